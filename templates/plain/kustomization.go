package plain

import (
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
)

// checkKustomizations refuses a kustomization file below a yaml app's
// folder unless kustomize would build its folder into exactly what the
// yaml engine renders there: a kustomization with nothing but resources,
// which list every .yaml file below its folder that the engine renders
// and nothing else. Flux builds a folder that holds a kustomization with
// kustomize, so a namePrefix, a patch or a file left out of resources
// changes what it applies; the yaml engine renders every file and
// applies none of it. It did so silently: objects the author had left out
// reached the cluster, and the transformations did not. A kustomization
// that only lists the files, as many Flux repositories keep one, is
// allowed. rec records each file read: editing one can make the render
// fail. appDir is the app's folder, which the hint names.
func checkKustomizations(rec *deps.Recorder, appDir string, kusts, files []file) error {
	hint := kustomizationHint(path.Clean(appDir))
	var errs []error
	for _, k := range kusts {
		data, err := limits.ReadFileAs(k.abs, k.rel)
		if err != nil {
			errs = append(errs, &diag.Error{File: k.rel, Msg: "cannot read the file" + limits.Reason(err), Err: err})
			continue
		}
		rec.File(k.abs, data)
		errs = append(errs, checkKustomization(k.rel, data, files, hint)...)
	}
	return diag.Join(errs...)
}

// kustomizationHint is what to do about a kustomization below dir, a yaml
// app's folder, that the yaml engine cannot honour.
func kustomizationHint(dir string) string {
	return "render the app with `kustomize: " + dir + "` in kiln.yaml (kustomize builds it; ${VAR} placeholders are then not replaced), " +
		"or make the kustomization list exactly the folder's .yaml files under resources and nothing else, or remove it (kiln writes its own)"
}

// checkKustomization checks one kustomization file, rel, against the files
// the yaml engine renders.
func checkKustomization(rel string, data []byte, files []file, hint string) []error {
	dir := path.Dir(rel)
	fail := func(line int, format string, args ...any) error {
		return &diag.Error{File: rel, Line: line, Msg: fmt.Sprintf(format, args...), Hint: hint}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []error{fail(0, "a kustomization kiln cannot read: %s", strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	top := &doc
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	var resources *yaml.Node
	resourcesLine := 1
	switch {
	case top.Kind == yaml.DocumentNode || top.ShortTag() == "!!null":
		// Empty: kustomize builds nothing from it.
	case top.Kind != yaml.MappingNode:
		return []error{fail(top.Line, "a kustomization must be a mapping")}
	default:
		for i := 0; i+1 < len(top.Content); i += 2 {
			key, val := top.Content[i], top.Content[i+1]
			switch key.Value {
			case "apiVersion", "kind":
			case "resources":
				resources, resourcesLine = val, key.Line
			default:
				return []error{fail(key.Line, "the kustomization has %q, which kustomize (and Flux) would apply to this folder's objects and a yaml app does not", key.Value)}
			}
		}
	}

	rendered := map[string]bool{} // the files below dir the engine renders
	for _, f := range files {
		if strings.HasPrefix(f.rel, dir+"/") {
			rendered[f.rel] = true
		}
	}
	listed := map[string]bool{}
	if resources != nil && resources.ShortTag() != "!!null" {
		if resources.Kind != yaml.SequenceNode {
			return []error{fail(resources.Line, "resources must be a list of file names")}
		}
		for _, r := range resources.Content {
			p := path.Join(dir, r.Value)
			if r.Kind != yaml.ScalarNode || !rendered[p] || listed[p] {
				what := "is not a .yaml file the app renders below " + dir
				if listed[p] {
					what = "is listed twice"
				}
				return []error{fail(r.Line, "resources lists %q, which %s; kustomize (and Flux) would build this folder into other objects than a yaml app renders", r.Value, what)}
			}
			listed[p] = true
		}
	}
	var missing []string
	for _, f := range files {
		if rendered[f.rel] && !listed[f.rel] {
			missing = append(missing, fmt.Sprintf("%q", strings.TrimPrefix(f.rel, dir+"/")))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	them := "it"
	if len(missing) > 1 {
		them = "them"
	}
	if len(missing) > 3 {
		missing = append(missing[:3], fmt.Sprintf("and %d more", len(missing)-3))
	}
	return []error{fail(resourcesLine, "the kustomization does not list %s under resources: kustomize (and Flux) would leave %s out, and a yaml app renders %s",
		strings.Join(missing, ", "), them, them)}
}
