package images

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// containerLists are the fields whose items are containers with an image.
// They are found at any depth, so pod templates of every workload kind
// (CronJob's jobTemplate included) and of custom resources are covered.
var containerLists = map[string]bool{"containers": true, "initContainers": true, "ephemeralContainers": true}

// Apply rewrites, in place, the image of every container and image volume
// of objs whose normalised repository is in s, and returns the repositories it matched.
// The manifest's spelling of the repository is kept; its tag and digest
// are replaced by the given ones. app names the app in errors.
//
// kustomize's imagetag filter is not used: it compares image names as
// strings (so "redis" and "docker.io/library/redis" differ), and its
// legacy walker only looks at containers and initContainers, not
// ephemeralContainers.
//
// An image that does not parse is an error in a built-in kind, but only
// when s is not empty: with nothing to match, images are left alone and
// not checked. In a custom resource it is left alone, as kustomize's
// images transformer leaves it: there a containers list is often no pod
// template but a pattern or a template for another program (a Kyverno
// policy's `image: "eu.foo.io/* | bar.io/*"`), and refusing it would
// make every render with CI's images fail. A given image such an object
// was meant to take is still reported by Unused.
//
// The warnings name each other field of objs that holds, whole, an image
// reference with a tag or a digest that Apply replaced: a copy the engine made of a container's image
// (a kustomize replacement, a chart's env var or label) keeps the
// template's image, where `kustomize edit set image` would have updated
// both, since kustomize runs replacements after its images.
func (s *Set) Apply(app string, objs []templates.Object) (used map[string]bool, warns []diag.Warning, err error) {
	used = map[string]bool{}
	if s.Len() == 0 {
		return used, nil, nil
	}
	var errs []error
	replaced := map[string]bool{}
	rewritten := map[*kyaml.Node]bool{}
	for _, o := range objs {
		if o.Node == nil || o.Node.GetKind() == "CustomResourceDefinition" {
			// A CRD's schema and examples are not containers to update
			// (kustomize skips CRDs for the same reason).
			continue
		}
		w := walker{set: s, used: used, app: app, obj: o, lenient: custom(o.Node.GetApiVersion()), replaced: replaced, rewritten: rewritten}
		w.walk(o.Node.YNode(), nil)
		errs = append(errs, w.errs...)
	}
	if len(replaced) > 0 {
		for _, o := range objs {
			if o.Node != nil && o.Node.GetKind() != "CustomResourceDefinition" {
				warns = append(warns, staleCopies(app, o, replaced, rewritten)...)
			}
		}
	}
	return used, warns, diag.Join(errs...)
}

// maxStale bounds the warnings of stale copies of one object.
const maxStale = 10

// staleCopies warns of each scalar value of o, not a container's image
// Apply rewrote, that is an image reference Apply replaced.
func staleCopies(app string, o templates.Object, replaced map[string]bool, rewritten map[*kyaml.Node]bool) []diag.Warning {
	var warns []diag.Warning
	var visit func(n *kyaml.Node, path []string)
	visit = func(n *kyaml.Node, path []string) {
		if len(warns) >= maxStale {
			return
		}
		switch n.Kind {
		case kyaml.DocumentNode:
			for _, c := range n.Content {
				visit(c, path)
			}
		case kyaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				visit(n.Content[i+1], append(path[:len(path):len(path)], n.Content[i].Value))
			}
		case kyaml.SequenceNode:
			for j, c := range n.Content {
				visit(c, append(path[:len(path):len(path)], "["+strconv.Itoa(j)+"]"))
			}
		case kyaml.ScalarNode:
			if replaced[n.Value] && !rewritten[n] {
				warns = append(warns, diag.Warning{File: o.File, Line: o.LineOf(n), App: app, Object: objectOf(o.Node),
					Msg:  fmt.Sprintf("%s holds %s, an image CI's images replaced: this copy of it keeps the template's image", objects.JoinPath(path), n.Value),
					Hint: "kiln sets CI's images after the engine, in containers' images and image volumes' references only; drop the copy, or make it of something CI's image does not change"})
			}
		}
	}
	visit(o.Node.YNode(), nil)
	return warns
}

// walker visits one object.
type walker struct {
	set  *Set
	used map[string]bool
	app  string
	obj  templates.Object
	errs []error
	// found, when set, collects images instead of rewriting them (List).
	found map[string]bool
	// lenient skips images that do not parse instead of refusing them
	// (custom resources).
	lenient bool
	// replaced collects the images Apply replaced, rewritten the nodes it
	// rewrote (for staleCopies).
	replaced  map[string]bool
	rewritten map[*kyaml.Node]bool
}

// custom reports whether apiVersion is of a custom resource: its group has
// a dot, which the API server requires of every CRD's group. The built-in
// kinds with pod templates are in groups without one ("", apps, batch).
func custom(apiVersion string) bool {
	group, _, ok := strings.Cut(apiVersion, "/")
	return ok && strings.Contains(group, ".")
}

// List returns every container image of an object, sorted and unique, as
// written. CustomResourceDefinitions have none, and a custom resource's
// values that are no image reference are none either (a Kyverno policy's
// pattern, see Apply): the lock file and the pull request list images.
// Nor are a SOPS document's: an image its encryptedRegex covers is
// ciphertext (ENC[…]), which no pull request body may show, and which
// says nothing of the image Flux will run once it decrypts the document.
func List(n *kyaml.RNode) []string {
	if n == nil || n.GetKind() == "CustomResourceDefinition" {
		return nil
	}
	w := walker{found: map[string]bool{}, lenient: custom(n.GetApiVersion()) || objects.IsSOPS(n)}
	w.walk(n.YNode(), nil)
	out := make([]string, 0, len(w.found))
	for img := range w.found {
		out = append(out, img)
	}
	sort.Strings(out)
	return out
}

// walk descends n; path is the field path to n, for messages.
func (w *walker) walk(n *kyaml.Node, path []string) {
	switch n.Kind {
	case kyaml.DocumentNode:
		for _, c := range n.Content {
			w.walk(c, path)
		}
	case kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := append(path[:len(path):len(path)], k.Value)
			if containerLists[k.Value] && v.Kind == kyaml.SequenceNode {
				for j, c := range v.Content {
					if img := field(c, "image"); img != nil {
						w.image(img, append(p[:len(p):len(p)], "["+strconv.Itoa(j)+"]", "image"))
					}
				}
			}
			if k.Value == "volumes" && v.Kind == kyaml.SequenceNode {
				// An image volume (volumes[].image.reference, a pod field
				// since Kubernetes 1.31) mounts an OCI image: CI's image
				// for it is as much the pod's image as a container's.
				for j, c := range v.Content {
					if ref := field(field(c, "image"), "reference"); ref != nil {
						w.image(ref, append(p[:len(p):len(p)], "["+strconv.Itoa(j)+"]", "image", "reference"))
					}
				}
			}
			w.walk(v, p)
		}
	case kyaml.SequenceNode:
		for j, c := range n.Content {
			w.walk(c, append(path[:len(path):len(path)], "["+strconv.Itoa(j)+"]"))
		}
	}
}

// field returns the value of key in the mapping m, or nil when m is no
// mapping or has no such key.
func field(m *kyaml.Node, key string) *kyaml.Node {
	if m == nil || m.Kind != kyaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// image rewrites one image reference v, at path.
func (w *walker) image(v *kyaml.Node, path []string) {
	if v.Kind != kyaml.ScalarNode || v.Value == "" {
		return
	}
	r, err := ParseRef(v.Value)
	if err != nil && w.lenient {
		return
	}
	if w.found != nil {
		w.found[v.Value] = true
		return
	}
	if err != nil {
		w.errs = append(w.errs, &diag.Error{
			File: w.obj.File, Line: w.obj.LineOf(v), App: w.app, Object: objectOf(w.obj.Node),
			Msg:  fmt.Sprintf("invalid image %q at %s: %v", v.Value, objects.JoinPath(path), err),
			Hint: "write the image as [registry/]repository[:tag][@digest]",
			Err:  err,
		})
		return
	}
	e, ok := w.set.entries[r.Repository]
	if !ok {
		return
	}
	w.used[r.Repository] = true
	if nv := r.Spelling + e.ref.suffix(); nv != v.Value {
		if r.Tag != "" || r.Digest != "" {
			// Only a pinned image goes stale in a copy. One without
			// tag or digest is a repository's name, which CI's image
			// keeps (an ImageRepository's spec.image, an env var
			// naming the repository), or a bare word ("nginx") that
			// the container's own name, the object's name and its
			// labels hold as often.
			w.replaced[v.Value] = true
		}
		w.rewritten[v] = true
		v.Value = nv
	}
}

func objectOf(n *kyaml.RNode) diag.Object {
	return diag.Object{Kind: n.GetKind(), Namespace: n.GetNamespace(), Name: n.GetName()}
}
