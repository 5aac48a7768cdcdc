package kustomize

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/detach"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// Options configures the kustomize engine. It has no fields yet: load
// restrictions (root-only), plugins (builtins only, no helm) and output
// order (kustomize build's legacy order) are fixed, because they are what
// makes a render contained and equal to `kustomize build`. The struct
// exists so that knobs can be added without changing New's signature.
type Options struct{}

// Engine renders kustomizations. It is safe for concurrent use; builds
// run concurrently, except those that set `openapi:` (see Shared).
type Engine struct {
	opts Options
}

var _ templates.Engine = (*Engine)(nil)

// A JSON6902 copy operation (patchesJson6902, or a patch that is a list)
// duplicates a value of the object: bound what one patch's copies add, as
// render's env patches do with the same global of the same library.
func init() { jsonpatch.AccumulatedCopySizeLimit = limits.OutputSize }

// New returns a kustomize engine.
func New(opts Options) *Engine {
	return &Engine{opts: opts}
}

// krustyOptions are `kustomize build`'s defaults with kiln's containment:
// kustomize build sorts in the legacy order unless the kustomization sets
// sortOptions, and loads only below each kustomization's root; plugins
// are off, and with them helmCharts (which would run the helm program).
// The order is left unspecified, as kustomize build leaves it without
// --reorder: krusty sorts in the legacy order then too, and an explicit
// one makes it log, for every kustomization with sortOptions, a warning
// about a --reorder flag that kiln does not have.
func krustyOptions() *krusty.Options {
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionUnspecified
	o.LoadRestrictions = types.LoadRestrictionsRootOnly
	o.PluginConfig = types.DisabledPluginConfig()
	o.PluginConfig.HelmConfig.Enabled = false
	o.AddManagedbyLabel = false
	return o
}

// Render builds the kustomization in req.Path. Objects come in kustomize's
// output order and name the kustomization file, without a line: an object
// may be assembled from many files. Inputs are the files kustomize read.
//
// krusty cannot be interrupted, and its build is quadratic in the number
// of objects (each one appended is compared with every other): a 300 KB
// resource of 5,000 ConfigMaps takes 15 s, bases that each include the
// next one twice double the objects at every level, and either outlasts
// any --timeout. So the build runs on a goroutine of its own, and Render
// returns ctx's error as soon as ctx ends. The build is abandoned then:
// it fails at its next read of a file, and otherwise runs on until it
// ends, or until the program exits, as kiln does once a render fails.
func (e *Engine) Render(ctx context.Context, req *templates.Request) (*templates.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fsys, err := securefs.New(req.Root)
	if err != nil {
		return nil, fmt.Errorf("rendering app %q: %w", req.App, err)
	}
	res, err := detach.Run(ctx, func() (*templates.Result, error) { return e.render(ctx, req, fsys) }, func(p any) error {
		return &diag.Error{File: req.Path, App: req.App, Msg: fmt.Sprintf("kustomize panicked: %v", p),
			Hint: "check the files the kustomization names; if they are valid, report it to kiln with the kustomization"}
	})
	if err != nil && ctx.Err() != nil {
		fsys.Stop() // the abandoned build fails at its next read
	}
	return res, err
}

// render is Render's build, on its goroutine.
func (e *Engine) render(ctx context.Context, req *templates.Request, fsys *securefs.FS) (*templates.Result, error) {
	dir, kfile, err := findKustomization(req, fsys)
	if err != nil {
		return nil, err
	}
	pre := precheck(fsys, dir)
	errs, setsSchema, tree, vars, annotations := pre.errs, pre.setsSchema, pre.tree, pre.vars, pre.annotations
	if len(errs) > 0 {
		for i, e := range errs {
			errs[i] = e.ForApp(req.App)
		}
		return nil, diag.Join(asErrors(errs)...)
	}
	if tree != nil && rootfs.Rel(fsys.Root(), dir) != path.Dir(kfile) {
		tree = nil // the resource files' paths would not be kfile's
	}

	var objs []templates.Object
	var warnings []templates.Warning
	var remote bool
	built := false
	if tree != nil && !setsSchema { // a plain tree never sets openapi:
		// A plain tree's sources are found without origin annotations
		// (sources.go), and its build never reads kyaml's schema, so it
		// does not wait for the schema's parse (plainBuild).
		err = Unparsed(ctx, func() error {
			objs, built = plainBuild(fsys, req.Root, dir, kfile, tree)
			return nil
		})
	}
	if err == nil && !built {
		// Any other outcome of a plain tree, a build error included (its
		// text may show the annotations), is the annotated build's. Builds
		// that leave kyaml's global schema alone run concurrently; one
		// whose tree sets openapi: runs alone (see schemaGuard).
		// So does one whose tree declares vars: krusty logs about them,
		// and kiln captures its log (captureLog).
		guard := Shared
		if setsSchema || vars {
			guard = exclusive
		}
		err = guard(ctx, func() error {
			build := func() error {
				var err error
				objs, remote, err = annotatedBuild(fsys, req.Root, dir, kfile, req.App, annotations)
				return err
			}
			if !vars {
				return build()
			}
			var err error
			warnings, err = captureLog(kfile, build)
			return err
		})
	}
	if err != nil {
		var re *readError
		if errors.As(err, &re) && (errors.Is(re.err, limits.ErrLimit) || errors.As(re.err, new(*diag.Error))) {
			// A bound of the output (its size, documents, nodes): the
			// kustomization's, for the app; or errors of the objects,
			// each with its own place, every one of them reported.
			return nil, diag.ForApp(re.err, req.App)
		}
		if errors.As(err, &re) {
			return nil, fmt.Errorf("rendering app %q: reading kustomize's output: %w", req.App, re.err)
		}
		var de *diag.Error
		if errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, buildError(req, fsys, kfile, err)
	}

	for i := range objs {
		if objs[i].File != kfile {
			objs[i].Overlay = kfile
		}
	}
	if !built {
		// A plain tree has no patches.
		patchFields(fsys, kfile, objs)
	}
	res := &templates.Result{
		Objects:     objs,
		Inputs:      fsys.Opened(),
		InputDigest: fsys.Digest(),
		Warnings:    append(append(warnings, pre.warns...), unselected(pre.selections, objs, pre.blind, pre.hidden)...),
	}
	var ok bool
	res.Deps, ok = fsys.Deps()
	// precheck refuses every remote base, component and file before the
	// build, so nothing can come off the network; should an object still
	// come from a repository, its content is not on the disk. kustomize
	// reads no environment or clock for a build with plugins off.
	res.Cacheable = ok && !remote
	return res, nil
}

// plainBuild builds the kustomization in dir as `kustomize build` does and
// names each object's source from tree. It reports false when the build
// fails, panics, or the sources are not certain.
//
// It runs under Unparsed: a plain tree's build reads nothing of kyaml's
// OpenAPI schema but namespace scopes. In kustomize api and kyaml v0.21.2
// the schema is parsed (kyaml's initSchema) only by the strategic-merge
// walk (yaml/walk through merge2: patches, patchesStrategicMerge,
// helmCharts' values), by SchemaForResourceType, Schema and their kin, and
// after an openapi: field; krusty reaches none of them for resources,
// prefixes and suffixes, namespace, labels, annotations, images, replicas,
// sortOptions or crds (crds become transformer configurations through
// kube-openapi's types, not kyaml's schema). The scope of a kind
// (resid.NewGvk, for every object and reference) is
// openapi.IsCertainlyClusterScoped, which with the default schema answers
// from kyaml's precomputed table without parsing (see Unparsed); krusty's
// SetSchema with no openapi: field writes the default version over itself
// under kyaml's lock. TestPlainBuildsLeaveSchemaUnparsed checks it in a
// fresh process, with many builds at once (run it with -race).
func plainBuild(fsys *securefs.FS, root, dir, kfile string, tree *plainTree) (objs []templates.Object, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			objs, ok = nil, false
		}
	}()
	cfs := &capturingFS{FileSystem: fsys, read: map[string][]byte{}}
	m, err := build(fsys, cfs, dir)
	if err != nil {
		return nil, false
	}
	srcs, ok := tree.sources(m, cfs, root)
	if !ok {
		return nil, false
	}
	objs, err = objectsOf(m, srcs, kfile)
	return objs, err == nil
}

// build runs krusty on the kustomization in dir, reading through fs
// (fsys or a wrapper of it), with what it reads bounded by
// limits.BuildReads; reads after it (sources, errors) are not.
func build(fsys *securefs.FS, fs filesys.FileSystem, dir string) (resmap.ResMap, error) {
	fsys.SetReadBudget(limits.BuildReads)
	defer fsys.SetReadBudget(0)
	return krusty.MakeKustomizer(krustyOptions()).Run(fs, dir)
}

// annotatedBuild builds the kustomization in dir with origin annotations
// (originFS) and names each object's source from them. annotations says
// that a replacement of the tree reads or writes metadata.annotations
// whole (annotationsWhole): the output is then a build's without them.
func annotatedBuild(fsys *securefs.FS, root, dir, kfile, app string, annotations bool) (objs []templates.Object, remote bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			// A panic may leave kustomize's global schema half built;
			// exclusive restores it. (A shared build never writes it.)
			if pe, ok := r.(error); ok && strings.HasPrefix(pe.Error(), invalidSchemaPrefix) {
				if de := schemaFileError(fsys, kfile, app, pe); de != nil {
					objs, remote, err = nil, false, de
					return
				}
			}
			err = &diag.Error{File: kfile, App: app, Msg: fmt.Sprintf("kustomize panicked: %v", r),
				Hint: "check the files the kustomization names (kustomize panics on an invalid openapi: schema, for one); if they are valid, report it to kiln with the kustomization"}
		}
	}()
	ofs := &originFS{FileSystem: fsys, kustomization: filepath.Join(dir, path.Base(kfile))}
	m, err := build(fsys, ofs, dir)
	if err != nil {
		if ofs.asked || len(fsys.Denied()) > 0 || len(fsys.Refused()) > 0 {
			return nil, false, err
		}
		// The origin annotations kiln asked for can fail a build that
		// `kustomize build` passes: with them krusty also records each
		// transformer in alpha.config.kubernetes.io/transformations, and
		// fails on an object whose own such annotation is no list of
		// transformations (kustomize build drops it). The build's own
		// error wins when it fails without them too.
		clean, cerr := build(fsys, fsys, dir)
		if cerr != nil {
			return nil, false, err
		}
		if ofs.managedBy {
			if err := managedByLabel(clean); err != nil {
				return nil, false, err
			}
		}
		srcs := make([]source, len(clean.Resources()))
		for i := range srcs {
			srcs[i] = source{file: kfile}
		}
		objs, err = objectsOf(clean, srcs, kfile)
		if err != nil {
			return nil, false, &readError{err}
		}
		return objs, fromRepo(clean), nil
	}
	remote = fromRepo(m)
	// Only the top kustomization's buildMetadata counts, as in krusty, and
	// a plain tree (plainBuild) has none.
	if ofs.managedBy {
		if err := managedByLabel(m); err != nil {
			return nil, false, err
		}
	}
	srcs := originSources(m, fsys, root, kfile)
	if !ofs.asked {
		if err := m.RemoveOriginAnnotations(); err != nil {
			return nil, false, &readError{err}
		}
		if annotations || originCopied(m) {
			// A replacement copied an object's annotations (or its whole
			// metadata) into another field before kiln could remove the
			// origin annotation it asked for, or found annotations to
			// read or replace only because kiln asked for that one (it
			// fails under kustomize build when the object has none):
			// build again without it, as kustomize build does, and keep
			// the sources of the first build, which lists the same
			// objects in the same order.
			clean, err := build(fsys, fsys, dir)
			if err != nil {
				return nil, false, err
			}
			if ofs.managedBy {
				if err := managedByLabel(clean); err != nil {
					return nil, false, err
				}
			}
			if !sameIDs(m, clean) {
				for i := range srcs {
					srcs[i] = source{file: kfile}
				}
			}
			m = clean
		}
	}
	objs, err = objectsOf(m, srcs, kfile)
	if err != nil {
		return nil, false, &readError{err}
	}
	return objs, remote, nil
}

// originAnnotation is the annotation kustomize records an object's
// source in (api/internal/utils.OriginAnnotationKey).
const originAnnotation = "config.kubernetes.io/origin"

// originCopied reports whether an object of m still has a mapping key
// originAnnotation anywhere, once the origin annotations are removed
// from the objects' metadata.
func originCopied(m resmap.ResMap) bool {
	var walk func(n *kyaml.Node) bool
	walk = func(n *kyaml.Node) bool {
		if n.Kind == kyaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == originAnnotation {
					return true
				}
			}
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	for _, r := range m.Resources() {
		if walk(r.RNode.YNode()) {
			return true
		}
	}
	return false
}

// sameIDs reports whether a and b hold objects of the same ids in the
// same order.
func sameIDs(a, b resmap.ResMap) bool {
	ra, rb := a.Resources(), b.Resources()
	if len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		if ra[i].CurId() != rb[i].CurId() {
			return false
		}
	}
	return true
}

// fromRepo reports whether an object of m came from a remote repository.
func fromRepo(m resmap.ResMap) bool {
	for _, r := range m.Resources() {
		if o, err := r.GetOrigin(); err == nil && o != nil && o.Repo != "" {
			return true
		}
	}
	return false
}

// readError carries an error about kustomize's output objects out of the
// build lock, apart from kustomize's own errors.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// findKustomization returns the absolute, symlink-free folder of
// req.Path and its kustomization file relative to the root. It records in
// fsys's Recorder where req.Path led and which kustomization file names
// are there: a second one makes the build fail.
func findKustomization(req *templates.Request, fsys *securefs.FS) (dir, kfile string, err error) {
	fail := func(msg, hint string, cause error) (string, string, error) {
		return "", "", &diag.Error{File: req.Path, App: req.App, Msg: msg, Hint: hint, Err: cause}
	}
	rec := fsys.Recorder()
	dir, err = rec.Resolve(req.Root, req.Path)
	if err != nil {
		var oe *rootfs.OutsideError
		if errors.As(err, &oe) {
			return fail(fmt.Sprintf("kustomize path %s", oe.Error()), hintOutside, err)
		}
		return fail("cannot read the kustomize folder", "", err)
	}
	info, err := fsys.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		hint := "set the app's kustomize: to a folder of the repository that holds a kustomization.yaml"
		if s := rootfs.Suggest(req.Root, req.Root, req.Path); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		return fail("kustomize folder does not exist", hint, err)
	case err != nil:
		return fail("cannot read the kustomize folder", "", err)
	case !info.IsDir():
		hint := "set the app's kustomize: to a folder, not a file"
		if isKustomizationName(filepath.Base(dir)) {
			hint = fmt.Sprintf("set the app's kustomize: to the folder that holds it: %q", path.Dir(req.Path))
		}
		return fail("kustomize path is a file, not a folder", hint, nil)
	}
	var found []string
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		info, err := fsys.Stat(p)
		if err == nil && info.Mode().IsRegular() {
			found = append(found, name)
		}
	}
	rel := rootfs.Rel(req.Root, dir)
	switch len(found) {
	case 0:
		return fail("no kustomization.yaml, kustomization.yml or Kustomization in the folder",
			"add a kustomization.yaml, or set the app's kustomize: to the folder that has one", nil)
	case 1:
		return dir, path.Join(rel, found[0]), nil
	default:
		return fail("more than one kustomization file in the folder: "+strings.Join(found, ", "),
			"keep one: kustomize refuses to choose", nil)
	}
}

func isKustomizationName(name string) bool {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if name == n {
			return true
		}
	}
	return false
}

func asErrors(des []*diag.Error) []error {
	out := make([]error, len(des))
	for i, d := range des {
		out[i] = d
	}
	return out
}
