package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
)

// namedPath is a path of the repository that kiln.yaml or an env file
// names: a file of validation.crds, an app's chart, values file, folder
// or jsonnet file.
type namedPath struct {
	// key is the entry's key, as messages name it: helm.values.
	key  string
	path string
	at   envconfig.At
	must pathKind
	// env is the env whose path this is, when the entry may be written
	// with {env} (an app's paths).
	env string
}

// pathKind is what a namedPath must be.
type pathKind int

const (
	fileOrFolder pathKind = iota // a chart: a folder or a .tgz
	aFile
	aFolder
)

// namedPaths are the paths of the repository app names, with where each
// is written. A chart of a chart repository is none.
func namedPaths(env string, app *envconfig.ResolvedApp) []namedPath {
	var out []namedPath
	switch {
	case app.Helm != nil:
		if app.Helm.Repo == "" {
			out = append(out, namedPath{key: "helm.chart", path: app.Helm.Chart, at: app.Helm.ChartAt, env: env})
		}
		for i, v := range app.Helm.Values {
			var at envconfig.At
			if i < len(app.Helm.ValuesAt) {
				at = app.Helm.ValuesAt[i]
			}
			out = append(out, namedPath{key: "helm.values", path: v, at: at, must: aFile, env: env})
		}
	case app.Jsonnet != nil:
		out = append(out, namedPath{key: "jsonnet.file", path: app.Jsonnet.File, at: app.Jsonnet.FileAt, must: aFile, env: env})
	case app.Kustomize != "":
		out = append(out, namedPath{key: "kustomize", path: app.Kustomize, at: app.PathAt, must: aFolder, env: env})
	case app.YAML != "":
		out = append(out, namedPath{key: "yaml", path: app.YAML, at: app.PathAt, must: aFolder, env: env})
	}
	return out
}

// checkAppPaths refuses, before the engine runs, an app whose chart,
// values file, folder or jsonnet file leads outside the repository, is
// missing, or is a folder where a file belongs (or the other way round):
// the mistake is the entry's, and the error points at it in kiln.yaml or
// the env file, where the engine, which knows only the path, could not.
func checkAppPaths(root, env string, app *envconfig.ResolvedApp) error {
	var errs []error
	for _, p := range namedPaths(env, app) {
		real, err := rootfs.Resolve(root, p.path)
		var fi fs.FileInfo
		if err == nil {
			fi, err = os.Stat(real)
		}
		if err == nil {
			switch {
			case fi.IsDir() && p.must == aFile, !fi.IsDir() && !fi.Mode().IsRegular():
				err = &limits.IrregularError{Path: p.path, Mode: fi.Mode()}
			case !fi.IsDir() && p.must == aFolder:
				err = errNotFolder
			}
		}
		if err != nil {
			errs = append(errs, pathError(root, p, err).ForApp(app.Name))
		}
	}
	return diag.Join(errs...)
}

// errNotFolder is the cause of an error about a file named where a
// folder belongs.
var errNotFolder = errors.New("not a folder")

// pathError is the error about p, which err says cannot be read as what
// p must be, at p's entry.
func pathError(root string, p namedPath, err error) *diag.Error {
	d := &diag.Error{File: p.at.File, Line: p.at.Line, Field: p.at.Field, Err: err,
		Msg: fmt.Sprintf("%s: cannot read %s: %s", p.key, p.path, rootfs.Why(err))}
	var oe *rootfs.OutsideError
	var ie *limits.IrregularError
	switch {
	case errors.As(err, &oe):
		d.Msg = p.key + " " + oe.Error()
		d.Hint = fmt.Sprintf("kiln reads only files inside the repository: fix %s, or copy what it names into the repository (a symlink that leads out does not do)", p.key)
	case errors.Is(err, fs.ErrNotExist):
		d.Msg = fmt.Sprintf("%s: %s does not exist", p.key, p.path)
		d.Hint = fmt.Sprintf("fix %s, a path relative to the repository root (the folder of kiln.yaml)", p.key)
		// A path with the env's name in it was most likely written with
		// {env}; its closest existing name is then often another env's
		// file, which the shared line must not be pointed at.
		if s := rootfs.Suggest(root, root, p.path); s != "" && (p.env == "" || !strings.Contains(p.path, p.env)) {
			d.Hint = fmt.Sprintf("did you mean %q?", s)
		} else if s != "" {
			d.Hint += fmt.Sprintf(", or create it for env %s", p.env)
		}
		if p.key == "helm.chart" {
			// "bitnami/redis", as helm install takes it.
			d.Hint += "; for a chart of a chart repository, set helm.repo and give the chart's name"
		}
	case errors.As(err, &ie) && ie.Mode.IsDir():
		d.Msg = fmt.Sprintf("%s: %s is a folder, not a file", p.key, p.path)
		d.Hint = fmt.Sprintf("%s names files: name the file itself, not the folder that holds it", p.key)
	case errors.Is(err, errNotFolder):
		d.Msg = fmt.Sprintf("%s: %s is a file, not a folder", p.key, p.path)
		switch dir := path.Dir(path.Clean(p.path)); {
		case p.key == "yaml":
			// Its folder may hold other files, all of which a yaml
			// app would apply.
			d.Hint = "yaml names a folder, every file of which is applied: for a single file, put it in a folder of its own and name that"
		case dir != ".":
			d.Hint = fmt.Sprintf("%s names a folder: name the folder that holds the file (%s)", p.key, dir)
		default:
			d.Hint = p.key + " names a folder: name the folder that holds the file"
		}
	case errors.Is(err, limits.ErrLimit):
		d.Hint = limits.Hint
	}
	return d
}
