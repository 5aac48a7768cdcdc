package render

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/flux"
	"github.com/kiln-gitops/kiln/render/internal/tree"
)

// Validate renders each env twice and adds an error to an env's result for
// every object whose bytes differ between the two renders: a template that
// uses random values, the clock or generated certificates would make Flux
// see a change on every render.
func (r *Renderer) Validate(ctx context.Context, envs []string) ([]*EnvResult, error) {
	first, err := r.Render(ctx, envs)
	if err != nil {
		return first, err
	}
	// Rendered afresh: served from the render cache, which the first
	// render filled, the second would equal it whatever the templates do
	// (but jsonnet's, which cannot differ: validateAgain).
	second, err := r.Render(validateAgain(ctx), envs)
	if err != nil {
		return first, err
	}
	for i, a := range first {
		b := second[i]
		filesA, filesB := a.Files, b.Files
		if a.Err != nil || b.Err != nil {
			filesA, filesB = a.struck, b.struck
		}
		a.struck, b.struck = nil, nil
		if filesA == nil || filesB == nil {
			continue
		}
		var errs []error
		for _, p := range tree.SortedKeys(filesA) {
			if !strings.HasPrefix(p, "apps/") || bytes.Equal(filesA[p], filesB[p]) || r.sameEncrypted(filesA[p], filesB[p]) {
				continue
			}
			app := strings.SplitN(p, "/", 3)[1]
			fields := differingFields(filesA[p], filesB[p])
			msg := a.Objects[p] + ": differs between two renders of the same inputs"
			field := ""
			if len(fields) > 0 {
				field = fields[0]
				msg += ", at " + listFields(fields)
			}
			at := b.sources[p]
			errs = append(errs, &diag.Error{File: at.file, Line: at.line, App: app, Field: field, Msg: msg,
				Hint: "the template uses random values, the current time or generated certificates; " +
					"make them inputs (values, vars) so every render is byte-identical (a chart that generates a " +
					"password when none is given finds the one it made before with lookup in a cluster, " +
					"and nothing here: give it in the values, or name an existing Secret)"})
		}
		for p := range filesB {
			if _, ok := filesA[p]; !ok && strings.HasPrefix(p, "apps/") {
				at := b.sources[p]
				errs = append(errs, &diag.Error{File: at.file, Line: at.line, App: strings.SplitN(p, "/", 3)[1], Msg: b.Objects[p] + ": appears in only one of two renders of the same inputs",
					Hint: "object names must not depend on random values or the current time"})
			}
		}
		if len(errs) > 0 {
			a.Err = diag.Join(append([]error{a.Err}, errs...)...)
			a.Files = nil
		}
	}
	return first, nil
}

// BootstrapDir is where flux bootstrap --path <manifests.path>/flux writes
// Flux's own manifests inside an env's tree, slash-terminated, with Flux
// in its default namespace; BootstrapDirs names every folder kept.
const BootstrapDir = tree.BootstrapDir

// BootstrapDirs are the folders of an env's tree that Flux's bootstrap may
// have written and that kiln keeps, slash-terminated: flux/flux-system/,
// and flux/<ns>/ for flux.namespace and flux.sourceRef.namespace, since
// `flux bootstrap --namespace ns` names its folder after its namespace.
func BootstrapDirs(p *envconfig.Pipeline) []string {
	return tree.BootstrapDirs(p.Flux.Namespace, p.Flux.SourceRef.Namespace)
}

// InBootstrap reports whether rel, a slash path in an env's tree, is in
// one of p's BootstrapDirs.
func InBootstrap(p *envconfig.Pipeline, rel string) bool {
	return tree.InBootstrap(rel, BootstrapDirs(p))
}

// FluxFile is the file of an env's tree that holds app's Flux Kustomization.
func FluxFile(app string) string { return tree.FluxFile(app) }

// NotApplied reports whether kustomize-controller leaves the object n out
// of what it applies and of what its finalizer deletes (a label or
// annotation reconcile: disabled, or ssa: Ignore).
func NotApplied(n *kyaml.RNode) bool { return flux.NotApplied(n) }

// PruneDisabled reports whether kustomize-controller's garbage collection
// and finalizer leave the object n in the cluster: a label or annotation
// kustomize.toolkit.fluxcd.io/prune: disabled, in any case, or an object
// Flux does not apply (NotApplied).
func PruneDisabled(n *kyaml.RNode) bool { return flux.PruneDisabled(n) }

// KeepBootstrap returns files with the files of old (the env's tree being
// replaced) in p's BootstrapDirs in place of any of its own: Flux's
// bootstrap files, which kiln does not render and must never delete.
// Render and promote keep them through this one function; neither
// argument changes.
func KeepBootstrap(p *envconfig.Pipeline, old, files map[string][]byte) map[string][]byte {
	return tree.KeepBootstrap(old, files, BootstrapDirs(p))
}

// ReadTree reads a tree written by WriteEnv (or any folder of regular
// files) into memory: slash path relative to dir → content.
func ReadTree(dir string) (map[string][]byte, error) {
	return tree.Read(dir)
}

// LockedError is an output folder another kiln process is writing: the
// error of OpenOutput, and of ReadOutput when a render holds the folder.
type LockedError = tree.LockedError

// ReadNamed reads <dir>/<env> as ReadOutput does, for a folder the user
// named only to read (kiln diff --against DIR): it creates no lock file
// there, and refuses a tree a render changed while it was read.
func ReadNamed(dir, env string) (map[string][]byte, error) {
	return tree.ReadNamed(dir, env)
}

// ReadOutput reads <out>/<env> as ReadTree does, holding out's lock
// (OpenOutput's, <out>/.kiln.lock) shared meanwhile: a kiln render writing
// out is an error naming it, not a tree read half written. Readers do
// not keep each other out. An out this process may not write is read
// without the lock when no lock file is there (no render is writing it).
func ReadOutput(out, env string) (map[string][]byte, error) {
	return tree.ReadOutput(out, env)
}

// maxFieldsNamed bounds the fields a nondeterminism error lists: a
// generated certificate changes a handful, a random name every field.
const maxFieldsNamed = 5

// differingFields returns the paths of the fields where two renders of an
// object differ (data.postgres-password for a password a chart generated,
// spec.template.metadata.annotations.checksum/secret for the workload that
// hashes it), sorted, so that the error says which value to give instead
// of only which object. A key found in only one render is not named, as a
// template may have drawn it at random: its parent is. nil when a file is
// not a YAML object.
func differingFields(a, b []byte) []string {
	var va, vb map[string]any
	if yaml.Unmarshal(a, &va) != nil || yaml.Unmarshal(b, &vb) != nil || va == nil || vb == nil {
		return nil
	}
	var out []string
	walkDiff(va, vb, "", &out)
	slices.Sort(out)
	return slices.Compact(out)
}

func walkDiff(a, b any, at string, out *[]string) {
	if reflect.DeepEqual(a, b) {
		return
	}
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if okA && okB {
		for k, v := range ma {
			w, ok := mb[k]
			if !ok {
				*out = append(*out, at)
				continue
			}
			walkDiff(v, w, joinField(at, k), out)
		}
		for k := range mb {
			if _, ok := ma[k]; !ok {
				*out = append(*out, at)
			}
		}
		return
	}
	la, okA := a.([]any)
	lb, okB := b.([]any)
	if okA && okB && len(la) == len(lb) {
		for i := range la {
			walkDiff(la[i], lb[i], fmt.Sprintf("%s[%d]", at, i), out)
		}
		return
	}
	*out = append(*out, at)
}

func joinField(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

// listFields names up to maxFieldsNamed fields and counts the others; the
// whole object (a path "") is "the whole object".
func listFields(fields []string) string {
	named := fields[:min(len(fields), maxFieldsNamed)]
	parts := make([]string, len(named))
	for i, f := range named {
		parts[i] = cmp.Or(f, "the whole object")
	}
	s := strings.Join(parts, ", ")
	if n := len(fields) - len(named); n > 0 {
		s += fmt.Sprintf(" and %d more fields", n)
	}
	return s
}
