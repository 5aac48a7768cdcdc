package render

import (
	"sort"
	"strings"

	"github.com/kiln-gitops/kiln/internal/redact"
)

// ValidationChecks is how many objects the Renderer's validation checked,
// not counting those it remembered clean, in the run or from the render
// cache.
func (r *Renderer) ValidationChecks() int64 { return r.schemas.Checks() }

// KeepValidation turns the kept validation results on or off, for the
// benchmarks; it returns the previous setting.
func KeepValidation(on bool) bool {
	was := keepValidation
	keepValidation = on
	return was
}

// PlantObject adds the object file apps/<app>/<name> to an env's tree
// and updates the app's kustomization.yaml and kiln.lock.json entry as a
// render that produced the object would have written them (no secret
// vars), so that --app keeps the app with the object.
func PlantObject(files map[string][]byte, app, name string, data []byte) error {
	dir := "apps/" + app + "/"
	files[dir+name] = data
	objFiles := map[string][]byte{}
	var names []string
	for p, d := range files {
		if rest, ok := strings.CutPrefix(p, dir); ok && rest != "kustomization.yaml" {
			objFiles[rest] = d
			names = append(names, rest)
		}
	}
	sort.Strings(names)
	kust, err := kustomizationFile(names)
	if err != nil {
		return err
	}
	files[dir+"kustomization.yaml"] = kust
	lock, err := ParseLock(files[LockFile])
	if err != nil {
		return err
	}
	la := lock.Apps[app]
	la.OutputDigest = outputDigest(objFiles, redact.New(nil))
	la.Objects++
	lock.Apps[app] = la
	files[LockFile], err = lockFile(lock)
	return err
}

// SetEnvObjects lowers the bound on one env's objects (limits.EnvObjects)
// for a test; it returns the previous one.
func (r *Renderer) SetEnvObjects(n int) int {
	was := r.envObjects
	r.envObjects = n
	return was
}
