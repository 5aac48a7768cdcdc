package validate

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
)

// Fields newer than the cluster. kiln decodes built-in kinds against the
// newest schemas it embeds (1.37), so a field a later release added
// passes at any kubeVersion. The API server of an older release does not
// know it at all: not declared in its schema, and Flux's server-side apply
// of the object fails ("failed to create typed patch object: … field not
// declared in schema"). A field that release knows but keeps behind a
// gate that is off is another matter: it is dropped (Dropped warns).
//
// k8sopenapi/added.txt lists, for each kind, the fields releases after
// 1.24 added, with the release, generated from the OpenAPI documents of
// each release (added_gen_test.go). Before 1.24 kiln knows nothing of
// what was added: no field is refused for being older.

//go:embed k8sopenapi/added.txt
var addedTable string

// addedBase is the oldest release the table compares with.
const addedBase = 24

// addedNode is a field of a kind in the table: the minor release that
// added it (0: older), and the fields below it that a release added.
type addedNode struct {
	since  int
	props  map[string]*addedNode
	items  *addedNode // a list's items ("[]")
	values *addedNode // a map's values ("*")
}

// addedKinds is the table by kind, each kind's tree built on its first
// use: a run checks a handful of the table's kinds, and building every
// tree took about 2 ms, in the first check of a built-in object, which
// waits for the engines.
var addedKinds = sync.OnceValue(func() map[schema.GroupVersionKind]func() *addedNode {
	out := map[schema.GroupVersionKind]func() *addedNode{}
	for k, fields := range parseAdded(addedTable) {
		g, rest, _ := strings.Cut(k, "/")
		v, kind, _ := strings.Cut(rest, "/")
		out[schema.GroupVersionKind{Group: g, Version: v, Kind: kind}] = sync.OnceValue(func() *addedNode {
			root := &addedNode{}
			for p, since := range fields {
				root.at(p).since = since
			}
			return root
		})
	}
	return out
})

// addedOf is the tree of gvk's fields that releases after addedBase
// added, nil for a kind without any, or when kube (a 1.x release) is
// apiRelease or newer: the table holds no field newer than that.
func addedOf(gvk schema.GroupVersionKind, kube *version.Version) *addedNode {
	if kube == nil || kube.Major() != 1 || kube.Minor() >= apiReleaseMinor {
		return nil
	}
	get := addedKinds()[gvk]
	if get == nil {
		return nil
	}
	return get()
}

// parseAdded reads added.txt: by "group/version/Kind", each field's path
// and release.
func parseAdded(text string) map[string]map[string]int {
	out := map[string]map[string]int{}
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) != 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		minor, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		if out[f[0]] == nil {
			out[f[0]] = map[string]int{}
		}
		out[f[0]][f[1]] = minor
	}
	return out
}

// at returns the node of path below n, made as needed.
func (n *addedNode) at(path string) *addedNode {
	for _, seg := range strings.Split(path, ".") {
		name, lists := seg, 0
		for strings.HasSuffix(name, "[]") {
			name, lists = strings.TrimSuffix(name, "[]"), lists+1
		}
		if name == "*" {
			if n.values == nil {
				n.values = &addedNode{}
			}
			n = n.values
		} else if name != "" {
			if n.props == nil {
				n.props = map[string]*addedNode{}
			}
			c := n.props[name]
			if c == nil {
				c = &addedNode{}
				n.props[name] = c
			}
			n = c
		}
		for range lists {
			if n.items == nil {
				n.items = &addedNode{}
			}
			n = n.items
		}
	}
	return n
}

// newerField is a field of an object that kube's API does not know.
type newerField struct {
	path  string // as field paths are written: spec.containers[0].resizePolicy
	since int    // the minor release that added it
}

// newerFields returns the fields of obj (decoded JSON of kind gvk) that
// the API server of kube does not know, outermost only; none when kube is
// nil (the newest), not a 1.x release, or apiRelease or newer (addedOf).
func newerFields(gvk schema.GroupVersionKind, obj map[string]any, kube *version.Version) []newerField {
	root := addedOf(gvk, kube)
	if root == nil {
		return nil
	}
	var out []newerField
	var walk func(n *addedNode, v any, path string)
	walk = func(n *addedNode, v any, path string) {
		if n.since > int(kube.Minor()) {
			out = append(out, newerField{path, n.since})
			return
		}
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if p := n.props[k]; p != nil {
					q := k
					if path != "" {
						q = path + "." + k
					}
					walk(p, c, q)
				} else if n.values != nil {
					walk(n.values, c, path+"["+k+"]")
				}
			}
		case []any:
			if n.items != nil {
				for i, c := range v {
					walk(n.items, c, path+"["+strconv.Itoa(i)+"]")
				}
			}
		}
	}
	walk(root, obj, "")
	return out
}

// newerThan reports the release that added the field at path (indexes
// allowed: spec.containers[0].x) or a field holding it, when kube's API
// does not know it; 0 when it does.
func newerThan(gvk schema.GroupVersionKind, path string, kube *version.Version) int {
	n := addedOf(gvk, kube)
	for _, seg := range splitPath(path) {
		if n == nil {
			return 0
		}
		switch {
		case strings.HasPrefix(seg, "["):
			if _, err := strconv.Atoi(seg[1 : len(seg)-1]); err == nil {
				n = n.items
			} else {
				n = n.values
			}
		default:
			n = n.props[seg]
		}
		if n != nil && n.since > int(kube.Minor()) {
			return n.since
		}
	}
	return 0
}

// newerMsg says that kube's API lacks a field a later release added.
func newerMsg(gvk schema.GroupVersionKind, f newerField, kube *version.Version) (msg, hint string) {
	return fmt.Sprintf("field %q is not in the API of Kubernetes %d.%d (%s %s has it from 1.%d): Flux's server-side apply fails (\"field not declared in schema\")",
			f.path, kube.Major(), kube.Minor(), gvk.GroupVersion(), gvk.Kind, f.since),
		fmt.Sprintf("if the cluster runs Kubernetes 1.%d or later, set kubeVersion to its version; otherwise remove the field", f.since)
}
