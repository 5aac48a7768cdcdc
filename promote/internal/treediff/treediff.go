package treediff

import (
	"bytes"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/lockfile"
)

// The values of Change.Op.
const (
	Added   = "added"
	Changed = "changed"
	Removed = "removed"
)

// Change is one file that differs between two trees.
type Change struct {
	// Path is the file's slash path relative to the env folder.
	Path string
	// Op is Added, Changed or Removed.
	Op string
	// Old and New are the file's contents before and after; nil when the
	// file does not exist on that side.
	Old, New []byte
	// OldName and NewName, when set, name the two sides in Unified's
	// headers instead of a/<Path> and b/<Path> (kiln diff --against-env
	// compares objects of two envs, not one file).
	OldName, NewName string
	// App is the app the file belongs to: from apps/<app>/...,
	// flux/<app>.yaml and high-level/<app>/...; "" for other files such as
	// kiln.lock.json and the env's flux/notifications.yaml.
	App string
	// Object names the Kubernetes object in the file as Kind/namespace/name
	// (Kind/name when it has no namespace), read from the new contents or,
	// for a removed file, the old ones; "" when the file holds no single
	// named object.
	Object string
	// OldSymlink says that the old side is a symlink in git, Old its
	// target's path (TreesWithSymlinks).
	OldSymlink bool
	// OldExecutable says that the old side is a file of mode 100755 in
	// git (TreesOf).
	OldExecutable bool
}

// Modes names the files of an old tree that are no regular 100644 file
// in git, as paths of the tree (TreesOf).
type Modes struct {
	Symlinks    []string
	Executables []string
}

// Trees returns the files that differ between old and new, sorted by path.
// A nil map is an empty tree.
func Trees(old, new map[string][]byte) []Change { return TreesWithSymlinks(old, new, nil) }

// TreesWithSymlinks is Trees where the files of old at the paths symlinks
// are symlinks in git, whose content in old is their target's path: each
// is a change, marked OldSymlink, even where new holds the same bytes.
// kiln writes regular files only, and Flux's source-controller leaves
// symlinks out of what it applies, so a symlink whose target's path reads
// as the rendered file is still not it. A path old lacks is ignored.
func TreesWithSymlinks(old, new map[string][]byte, symlinks []string) []Change {
	return TreesOf(old, new, Modes{Symlinks: symlinks})
}

// TreesOf is TreesWithSymlinks for m's symlinks, where the files of old
// at m's executables are of mode 100755 in git: each is a change too,
// marked OldExecutable, even where new holds the same bytes. kiln writes
// its files 100644, and git, a checkout and kiln verify see the mode:
// left as it is, it would be a difference no diff shows.
func TreesOf(old, new map[string][]byte, m Modes) []Change {
	symlinks := m.Symlinks
	paths := make([]string, 0, len(old)+len(new))
	for p := range old {
		paths = append(paths, p)
	}
	for p := range new {
		if _, ok := old[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	linked := make(map[string]bool, len(symlinks))
	for _, p := range symlinks {
		linked[p] = true
	}
	executable := make(map[string]bool, len(m.Executables))
	for _, p := range m.Executables {
		executable[p] = true
	}

	var out []Change
	for _, p := range paths {
		o, inOld := old[p]
		n, inNew := new[p]
		if inOld && inNew && bytes.Equal(o, n) && !linked[p] && !executable[p] {
			continue
		}
		c := change(p, o, n, inOld, inNew)
		c.OldSymlink = inOld && linked[p]
		c.OldExecutable = inOld && executable[p] && !linked[p]
		out = append(out, c)
	}
	return out
}

// change is the change of the file at p from o to n; inOld and inNew say
// which sides hold it.
func change(p string, o, n []byte, inOld, inNew bool) Change {
	c := Change{Path: p, App: AppOf(p)}
	switch {
	case !inOld:
		c.Op, c.New = Added, n
		c.Object = objectName(n)
	case !inNew:
		c.Op, c.Old = Removed, o
		c.Object = objectName(o)
	default:
		c.Op, c.Old, c.New = Changed, o, n
		c.Object = objectName(n)
	}
	if p == lockfile.NotificationsFile && !appFile(c.App, n, o) {
		c.App = ""
	}
	return c
}

// AppOf returns the app a path of the env tree belongs to, or "".
func AppOf(p string) string {
	app, _ := lockfile.AppOf(p)
	return app
}

// appFile reports whether the first of datas that exists is app's Flux
// file: its object carries kiln's label kiln/app: <app>. The env's
// flux/notifications.yaml reads as the Flux file of an app
// "notifications", but its Providers and Alerts carry no such label, and
// --output json gave them that app (the pull request body an app row).
func appFile(app string, datas ...[]byte) bool {
	for _, data := range datas {
		if data == nil {
			continue
		}
		var m struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
		}
		return yaml.Unmarshal(data, &m) == nil && m.Metadata.Labels["kiln/app"] == app
	}
	return false
}

// IsObject reports whether p is a Kubernetes object file of an app:
// apps/<app>/<file>.yaml other than the app's kustomization.yaml.
func IsObject(p string) bool {
	rest, ok := strings.CutPrefix(p, "apps/")
	if !ok {
		return false
	}
	app, file, ok := strings.Cut(rest, "/")
	return ok && app != "" && !strings.Contains(file, "/") &&
		strings.HasSuffix(file, ".yaml") && file != "kustomization.yaml"
}

// objectName reads Kind/ns/name from a one-document YAML file.
func objectName(data []byte) string { return ObjectOf(data).String() }

// ObjectOf reads the kind, namespace and name of the object in a
// one-document YAML file; the zero Object when it holds none.
func ObjectOf(data []byte) diag.Object {
	o, _ := Header(data)
	return o
}

// Header is ObjectOf with the object's apiVersion, read in the same pass.
func Header(data []byte) (diag.Object, string) {
	var m struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name      string `yaml:"name"`
			Namespace string `yaml:"namespace"`
		} `yaml:"metadata"`
	}
	// A file that is not a YAML mapping (kiln.lock.json is, but has no
	// kind) just has no object name.
	if err := yaml.Unmarshal(data, &m); err != nil || m.Kind == "" || m.Metadata.Name == "" {
		return diag.Object{}, ""
	}
	return diag.Object{Kind: m.Kind, Namespace: m.Metadata.Namespace, Name: m.Metadata.Name}, m.APIVersion
}

// Summary counts an app's changed objects.
type Summary struct {
	Added, Changed, Removed int
}

// Total is the number of objects added, changed or removed.
func (s Summary) Total() int { return s.Added + s.Changed + s.Removed }

// Count sums the object changes (see IsObject) per app. Apps with no
// object change are left out.
func Count(changes []Change) map[string]Summary {
	out := map[string]Summary{}
	for _, c := range changes {
		if !IsObject(c.Path) {
			continue
		}
		s := out[c.App]
		switch c.Op {
		case Added:
			s.Added++
		case Changed:
			s.Changed++
		case Removed:
			s.Removed++
		}
		out[c.App] = s
	}
	return out
}
