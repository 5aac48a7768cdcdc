package promote

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// Bounds of one removed app's warning, which the pull request body shows
// in a block it never cuts: an app of thousands of objects of hundreds of
// kinds in hundreds of namespaces still makes a line of a few hundred
// bytes. The names come from the manifests branch, which anyone who may
// push there can edit, so each is clipped too.
const (
	removedKinds      = 8  // kinds counted by name, then "and N more kinds"
	removedNamespaces = 5  // namespaces named, then "and N more"
	removedNamed      = 3  // objects named in each group Flux treats apart
	removedClip       = 63 // bytes of a kind or namespace shown (a DNS label's)
	removedObjectClip = 80 // bytes of each part of an object shown
)

// helmKeep is the annotation by which Helm keeps an object on uninstall.
const helmKeep = "helm.sh/resource-policy"

// removedAppWarnings returns a warning for each app whose Flux
// Kustomization (flux/<app>.yaml) leaves the env: the app is gone from
// kiln.yaml or disabled in the env. The Kustomization that applies flux/
// (the bootstrap) deletes it when it prunes, and its finalizer, when the
// app's Kustomization prunes, deletes every object it applied: the whole
// app at once, which the apps table's "-N" hardly says. Each warning
// counts what Flux deletes by kind, names its namespaces, and names apart
// what Flux leaves (kustomize.toolkit.fluxcd.io/prune: disabled, or the
// whole app under prune: false), what helm.sh/resource-policy: keep does
// not keep (Flux does not read it), and what another app takes over
// (movedWarnings). Bounded, and naming objects, never values. old is the
// env's current tree.
func removedAppWarnings(old map[string][]byte, changes []treediff.Change) []diag.Warning {
	gone := leavingApps(changes)
	if len(gone) == 0 {
		return nil
	}
	added := objectsBy(changes, treediff.Added)
	doomed := doomedBy(old, changes, added)
	var out []diag.Warning
	for _, app := range gone {
		out = append(out, removedApp(app, old, added, doomed))
	}
	return out
}

// leavingApps are the apps whose Kustomization (flux/<app>.yaml) changes
// remove, sorted.
func leavingApps(changes []treediff.Change) []string {
	var gone []string
	for _, c := range changes {
		if c.Op == treediff.Removed && c.App != "" && c.Path == render.FluxFile(c.App) {
			gone = append(gone, c.App)
		}
	}
	sort.Strings(gone)
	return gone
}

// doomed are the Namespaces and CustomResourceDefinitions that the
// changes delete from the cluster: they leave the env, no app takes them
// over, and their app's Kustomization deletes what leaves it (pruning).
// Kubernetes then deletes every object in such a namespace, and every
// custom resource of such a kind, whatever Flux was told to leave: an
// object annotated kustomize.toolkit.fluxcd.io/prune: disabled there goes
// all the same.
type doomed struct {
	namespaces map[string]bool
	kinds      map[string]bool // group + "/" + kind, that a leaving CRD serves
}

// doomedBy is the doomed of changes to old; added are the objects added
// (objectsBy).
func doomedBy(old map[string][]byte, changes []treediff.Change, added map[string]treediff.Change) doomed {
	d := doomed{namespaces: map[string]bool{}, kinds: map[string]bool{}}
	prunes := pruning(old, changes)
	for _, c := range changes {
		if c.Op != treediff.Removed || !treediff.IsObject(c.Path) {
			continue
		}
		obj := treediff.ObjectOf(c.Old)
		if obj.Kind != "Namespace" && obj.Kind != "CustomResourceDefinition" {
			continue
		}
		if inAdded(added, c.Old, obj) || pruneDisabled(c.Old, c.Path) || !prunes(c.App) {
			continue
		}
		var m struct {
			APIVersion string `json:"apiVersion"`
			Spec       struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
			} `json:"spec"`
		}
		if yaml.Unmarshal(c.Old, &m) != nil {
			continue
		}
		switch {
		case obj.Kind == "Namespace" && m.APIVersion == "v1":
			d.namespaces[obj.Name] = true
		case obj.Kind == "CustomResourceDefinition" && strings.HasPrefix(m.APIVersion, "apiextensions.k8s.io/") && m.Spec.Names.Kind != "":
			d.kinds[m.Spec.Group+"/"+m.Spec.Names.Kind] = true
		}
	}
	return d
}

// holds reports whether the object obj, in data, goes with a Namespace or
// CustomResourceDefinition of d.
func (d doomed) holds(data []byte, obj diag.Object) bool {
	if obj.Namespace != "" && d.namespaces[obj.Namespace] {
		return true
	}
	if len(d.kinds) == 0 {
		return false
	}
	group, _, _ := strings.Cut(identity(data, ""), "\x00")
	return d.kinds[group+"/"+obj.Kind]
}

// removedApp is the warning of one app whose Kustomization leaves the env.
func removedApp(app string, old map[string][]byte, added map[string]treediff.Change, doomed doomed) diag.Warning {
	fluxFile := render.FluxFile(app)
	// lost are the objects Flux leaves that go with a Namespace or CRD
	// the same merge deletes (doomed): named apart, never as left.
	var deleted, kept, ignored, moved, lost []diag.Object
	dir := "apps/" + app + "/"
	var paths []string
	for p := range old {
		if strings.HasPrefix(p, dir) && treediff.IsObject(p) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		data := old[p]
		obj := treediff.ObjectOf(data)
		switch {
		case obj == diag.Object{}:
			// Not one object kiln could read back: still one file Flux
			// applied, counted by no kind.
			deleted = append(deleted, diag.Object{Kind: "unreadable file"})
		case inAdded(added, data, obj):
			moved = append(moved, obj)
		case pruneDisabled(data, p) && doomed.holds(data, obj):
			lost = append(lost, obj)
		case pruneDisabled(data, p):
			kept = append(kept, obj)
		default:
			deleted = append(deleted, obj)
			if helmKept(data) {
				ignored = append(ignored, obj)
			}
		}
	}
	total := len(deleted) + len(kept) + len(moved) + len(lost)
	k := kustomizationOf(old[fluxFile])
	var b strings.Builder
	fmt.Fprintf(&b, "app %s leaves the env: the promotion removes its Flux Kustomization%s, which the Kustomization applying flux/ deletes when it prunes", treediff.Quoted(app), k)
	if deletes, why := deletesOnRemoval(old[fluxFile]); !deletes {
		fmt.Fprintf(&b, "; %s, so Flux leaves the %s it applied in the cluster, no longer managed by anything", why, words.Count(total, "object"))
		// Left by Flux, those in a namespace (or of a kind) that another
		// app's pruning deletes go with it all the same.
		var gone []diag.Object
		for _, o := range slices.Concat(deleted, kept, lost) {
			if o.Namespace != "" && doomed.namespaces[o.Namespace] {
				gone = append(gone, o)
			}
		}
		if len(gone) > 0 {
			fmt.Fprintf(&b, "; but Kubernetes deletes %d of them with the Namespace the promotion deletes: %s", len(gone), named(gone))
		}
		return diag.Warning{File: fluxFile, App: app, Msg: b.String(),
			Hint: "delete them by hand if they are to go, or keep the app in the env"}
	}
	fmt.Fprintf(&b, ", and its finalizer then deletes from the cluster %s", words.Count(len(deleted), "object"))
	if len(deleted) > 0 {
		fmt.Fprintf(&b, ": %s", kindCounts(deleted))
		if ns := namespacesOf(deleted); ns != "" {
			fmt.Fprintf(&b, ", in %s", ns)
		}
	}
	if len(kept) > 0 {
		fmt.Fprintf(&b, "; Flux leaves %d in the cluster (%s: disabled, or an object Flux does not apply): %s", len(kept), objects.PruneAnnotation, named(kept))
	}
	if len(lost) > 0 {
		fmt.Fprintf(&b, "; %d marked prune: disabled %s deleted all the same, with the Namespace or CustomResourceDefinition this promotion deletes: %s", len(lost), pick(len(lost), "is", "are"), named(lost))
	}
	if len(ignored) > 0 {
		fmt.Fprintf(&b, "; %d of those deleted %s %s: keep, which Flux does not read (only %s: disabled keeps an object): %s", len(ignored), pick(len(ignored), "carries", "carry"), helmKeep, objects.PruneAnnotation, named(ignored))
	}
	if len(moved) > 0 {
		fmt.Fprintf(&b, "; %d move to other apps, which take them over when they apply (see the moved objects)", len(moved))
	}
	return diag.Warning{File: fluxFile, App: app, Msg: b.String(),
		Hint: fmt.Sprintf("to keep an object in the cluster, first promote it with the annotation %s: disabled (or the app with flux.prune: false), then remove the app", objects.PruneAnnotation)}
}

// inAdded reports whether the object in data is one another app adds.
func inAdded(added map[string]treediff.Change, data []byte, obj diag.Object) bool {
	_, ok := added[identity(data, obj.String())]
	return ok
}

// kustomizationOf is " ns/name" of the Kustomization in data, clipped,
// or "" when it does not read.
func kustomizationOf(data []byte) string {
	obj := treediff.ObjectOf(data)
	if obj.Name == "" {
		return ""
	}
	return " " + clipObject(diag.Object{Namespace: obj.Namespace, Name: obj.Name})
}

// helmKept reports whether the object in data carries helm.sh/resource-
// policy: keep (read as Helm reads it: trimmed, any case).
func helmKept(data []byte) bool {
	var m struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if yaml.Unmarshal(data, &m) != nil {
		return false
	}
	v, ok := m.Metadata.Annotations[helmKeep]
	return ok && strings.EqualFold(strings.TrimSpace(v), "keep")
}

// kindCounts counts objs by kind, most first (ties by kind), at most
// removedKinds kinds.
func kindCounts(objs []diag.Object) string {
	n := map[string]int{}
	for _, o := range objs {
		n[diag.Clip(o.Kind, removedClip)]++
	}
	kinds := make([]string, 0, len(n))
	for k := range n {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int { return cmp.Or(n[b]-n[a], strings.Compare(a, b)) })
	parts := make([]string, 0, min(len(kinds), removedKinds))
	for _, k := range kinds[:min(len(kinds), removedKinds)] {
		parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
	}
	s := strings.Join(parts, ", ")
	if len(kinds) > removedKinds {
		rest := 0
		for _, k := range kinds[removedKinds:] {
			rest += n[k]
		}
		s += fmt.Sprintf(", and %s of %d more kinds", words.Count(rest, "object"), len(kinds)-removedKinds)
	}
	return s
}

// namespacesOf names the namespaces of objs, at most removedNamespaces,
// and counts the objects without one (cluster-scoped: kiln gives every
// namespaced object one); "" for none of either.
func namespacesOf(objs []diag.Object) string {
	seen := map[string]bool{}
	var ns []string
	cluster := 0
	for _, o := range objs {
		switch {
		case o.Kind == "unreadable file":
		case o.Namespace == "":
			cluster++
		case !seen[o.Namespace]:
			seen[o.Namespace] = true
			ns = append(ns, diag.QuotePath(diag.Clip(o.Namespace, removedClip)))
		}
	}
	sort.Strings(ns)
	var parts []string
	if len(ns) > 0 {
		parts = append(parts, words.Noun(len(ns), "namespace")+" "+words.First(ns, removedNamespaces))
	}
	if cluster > 0 {
		parts = append(parts, fmt.Sprintf("%d cluster-wide", cluster))
	}
	return strings.Join(parts, " and ")
}

// named names the first removedNamed of objs, then how many more.
func named(objs []diag.Object) string {
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = clipObject(o)
	}
	return words.First(names, removedNamed)
}

// clipObject is o as Kind/namespace/name with each part clipped.
func clipObject(o diag.Object) string {
	c := o.Map(func(s string) string { return diag.Clip(s, removedObjectClip) })
	if c.Kind == "" {
		if c.Namespace == "" {
			return diag.QuotePath(c.Name)
		}
		return diag.QuotePath(c.Namespace) + "/" + diag.QuotePath(c.Name)
	}
	return c.String()
}
