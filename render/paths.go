package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

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
func namedPaths(app *envconfig.ResolvedApp) []namedPath {
	var out []namedPath
	switch {
	case app.Helm != nil:
		if app.Helm.Repo == "" {
			out = append(out, namedPath{key: "helm.chart", path: app.Helm.Chart, at: app.Helm.ChartAt})
		}
		for i, v := range app.Helm.Values {
			var at envconfig.At
			if i < len(app.Helm.ValuesAt) {
				at = app.Helm.ValuesAt[i]
			}
			out = append(out, namedPath{key: "helm.values", path: v, at: at, must: aFile})
		}
	case app.Jsonnet != nil:
		out = append(out, namedPath{key: "jsonnet.file", path: app.Jsonnet.File, at: app.Jsonnet.FileAt, must: aFile})
	case app.Kustomize != "":
		out = append(out, namedPath{key: "kustomize", path: app.Kustomize, at: app.PathAt, must: aFolder})
	case app.YAML != "":
		out = append(out, namedPath{key: "yaml", path: app.YAML, at: app.PathAt, must: aFolder})
	}
	return out
}

// checkAppPaths refuses, before the engine runs, an app whose chart,
// values file, folder or jsonnet file leads outside the repository, is
// missing, or is a folder where a file belongs (or the other way round):
// the mistake is the entry's, and the error points at it in kiln.yaml or
// the env file, where the engine, which knows only the path, could not.
func checkAppPaths(root string, app *envconfig.ResolvedApp) error {
	var errs []error
	for _, p := range namedPaths(app) {
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
		if s := rootfs.Suggest(root, root, p.path); s != "" {
			d.Hint = fmt.Sprintf("did you mean %q?", s)
		}
	case errors.As(err, &ie) && ie.Mode.IsDir():
		d.Msg = fmt.Sprintf("%s: %s is a folder, not a file", p.key, p.path)
		d.Hint = fmt.Sprintf("%s names files: name the file itself, not the folder that holds it", p.key)
	case errors.Is(err, errNotFolder):
		d.Msg = fmt.Sprintf("%s: %s is a file, not a folder", p.key, p.path)
		d.Hint = p.key + " names a folder: name the folder that holds the file"
		if dir := path.Dir(path.Clean(p.path)); dir != "." {
			d.Hint += fmt.Sprintf(" (%s)", dir)
		}
	case errors.Is(err, limits.ErrLimit):
		d.Hint = limits.Hint
	}
	return d
}
