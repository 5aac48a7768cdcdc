package promote

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/immutable"
	"github.com/kiln-gitops/kiln/internal/needs"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// prunedWarnings returns a warning for the objects that leave the env
// (an app removed, a manifest deleted or renamed) and whose deleting
// takes more with it (immutable.Destroys: a CRD's custom resources, a
// Namespace's objects, a claim's data), once per app and what is lost, at
// the first object in file order, counting the rest: removing an app with
// 300 CRDs makes one warning, not 300. Its app's Kustomization prunes
// what it no longer holds, all of it through its finalizer when the app
// is gone, so the merge deletes them from the cluster. Objects another app
// takes over are movedWarnings', and objects the old Kustomization does
// not prune (prune: false, or the object annotated for Flux to leave it)
// are left out. old is the env's current tree. The warnings name objects,
// never values.
func prunedWarnings(old map[string][]byte, changes []treediff.Change) []diag.Warning {
	added := objectsBy(changes, treediff.Added)
	leaving := objectsBy(changes, treediff.Removed)
	// A file that stays while its object becomes another (the app's
	// namespace changed, so every object of the app gets the new one):
	// Flux applies the new object and prunes the old one as it would a
	// removed file's.
	other := map[string]string{} // path → the object it holds now
	for _, c := range changes {
		was, ok := became(c)
		if !ok || !treediff.IsObject(c.Path) {
			continue
		}
		gone := c
		gone.Object = treediff.ObjectOf(c.Old).String()
		leaving[was] = gone
		added[identity(c.New, c.Object)] = c
		other[c.Path] = c.Object
	}
	prunes := pruning(old, changes)
	var kept *keptIndex
	ids := make([]string, 0, len(leaving))
	needed := false // whether an object others may need leaves, for keptObjects
	for id := range leaving {
		ids = append(ids, id)
		if _, moved := added[id]; !moved && othersNeed(id) {
			needed = true
		}
	}
	// The first of each cause in file order: the map's order is random.
	sort.Slice(ids, func(i, j int) bool { return leaving[ids[i]].Path < leaving[ids[j]].Path })
	var w diag.OnceEach
	for _, id := range ids {
		c := leaving[id]
		if _, moved := added[id]; moved {
			continue
		}
		objs, err := objects.Parse(c.Old, c.Path, 0)
		if err != nil || len(objs) != 1 {
			continue
		}
		if render.PruneDisabled(objs[0].Node) || !prunes(c.App) {
			continue
		}
		what, users := immutable.Destroys(objs[0].Node), ""
		if what == "" {
			if !othersNeed(id) {
				continue
			}
			// Nothing goes with it, but objects the env keeps may not
			// work without it.
			if kept == nil {
				kept = keptObjects(old, changes, needed)
			}
			o := objs[0].Node
			group, _, _ := strings.Cut(id, "\x00")
			key := needs.Key(group, o.GetKind(), o.GetNamespace(), o.GetName())
			if kept.holds[key] {
				// Another app holds the same cluster-scoped object (with
				// the other namespace kustomize gave it): it stays.
				continue
			}
			users = usersOf(kept.uses[key])
			if users == "" {
				continue
			}
		}
		now, becomes := other[c.Path]
		becomes = becomes && c.Op == treediff.Changed
		// The objects the env keeps in a Namespace it deletes go with it,
		// and so do the custom resources it keeps of a CRD it deletes;
		// their apps' Kustomizations cannot apply them again while it is
		// gone: a reviewer reading "every object in it" thinks of the
		// leaving app's, not of another app the merge keeps.
		keeps := ""
		switch o := objs[0].Node; {
		case o.GetKind() == "Namespace" && o.GetApiVersion() == "v1":
			if kept == nil {
				kept = keptObjects(old, changes, needed)
			}
			keeps = keptIn(kept.namespaces[o.GetName()], "object", "Namespace")
		case o.GetKind() == "CustomResourceDefinition" && strings.HasPrefix(o.GetApiVersion(), "apiextensions.k8s.io/"):
			if kept == nil {
				kept = keptObjects(old, changes, needed)
			}
			group, _ := o.GetString("spec.group")
			kind, _ := o.GetString("spec.names.kind")
			keeps = keptIn(kept.kinds[group+"\x00"+kind], "custom resource", "CustomResourceDefinition")
		}
		key := fmt.Sprintf("%s\x00%t\x00%s\x00%s", c.App, becomes, what, keeps)
		if users != "" {
			key = id // a line of its own: the users differ from object to object
		}
		if w.Seen(key) {
			continue
		}
		msg := fmt.Sprintf("leaves app %s, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster", treediff.Quoted(c.App))
		hint := fmt.Sprintf("to keep it in the cluster, first promote it with the annotation %s: disabled, then remove it", objects.PruneAnnotation)
		if becomes {
			msg = fmt.Sprintf("becomes %s, another object, so app %s's Kustomization no longer holds it and prunes it: Flux deletes it from the cluster", now, treediff.Quoted(c.App))
			hint = fmt.Sprintf("to keep it in the cluster, first promote it with the annotation %s: disabled, then make the change; or keep its namespace and name", objects.PruneAnnotation)
		}
		if what != "" {
			msg += ", and " + what
		}
		if keeps != "" {
			msg += keeps
			hint += fmt.Sprintf("; or move the %s to an app that stays", objs[0].Node.GetKind())
		}
		if users != "" {
			msg += users
			// Who else may make it: a Flux source or a cert-manager issuer
			// is no Secret that External Secrets writes.
			makers := "an operator, External Secrets"
			if k := objs[0].Node.GetKind(); k != "Secret" && k != "ConfigMap" {
				makers = "another Kustomization, an operator"
			}
			hint = fmt.Sprintf("keep the %s in the env (in an app that stays), or first promote the objects that need it without it; if something outside the env now makes it (%s), nothing breaks", objs[0].Node.GetKind(), makers)
		}
		w.Add(key, &diag.Warning{File: c.Path, App: c.App, Object: treediff.ObjectOf(c.Old),
			Msg: msg, Hint: hint})
	}
	out := w.Warnings("object")
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// keptNamed is how many apps keptIn names, then "and N more".
const keptNamed = 3

// keptIndex counts the objects of the env's new tree by app: by
// namespace, and by API group and kind ("group\x00Kind"); and, by
// needs.Key, the objects that need another (needs.Of) and the objects of
// kinds others may need it holds.
type keptIndex struct {
	namespaces, kinds map[string]map[string]int
	uses              map[string][]user
	holds             map[string]bool
}

// user is an object of the env's new tree that needs another, where it
// names it and what breaks without it.
type user struct {
	app, object, field, effect string
}

// keptObjects indexes the env's new tree: old with changes applied. The
// objects of kinds that may need others are parsed for what they need
// only when needed: when an object of a kind others may need leaves.
func keptObjects(old map[string][]byte, changes []treediff.Change, needed bool) *keptIndex {
	k := &keptIndex{namespaces: map[string]map[string]int{}, kinds: map[string]map[string]int{}, uses: map[string][]user{}, holds: map[string]bool{}}
	add := func(m map[string]map[string]int, key, app string) {
		if m[key] == nil {
			m[key] = map[string]int{}
		}
		m[key][app]++
	}
	count := func(p string, data []byte) {
		o, apiVersion := treediff.Header(data)
		if o.Kind == "" {
			return
		}
		app := treediff.AppOf(p)
		if o.Namespace != "" {
			add(k.namespaces, o.Namespace, app)
		}
		group := apiGroup(apiVersion)
		add(k.kinds, group+"\x00"+o.Kind, app)
		if needed && needs.Needed(group, o.Kind) {
			k.holds[needs.Key(group, o.Kind, o.Namespace, o.Name)] = true
		}
		if !needed || !needs.Reads(group, o.Kind) {
			return
		}
		objs, err := objects.Parse(data, p, 0)
		if err != nil || len(objs) != 1 {
			return
		}
		for _, r := range needs.Of(objs[0].Node.YNode()) {
			k.uses[r.Key()] = append(k.uses[r.Key()], user{app: app, object: o.String(), field: r.Field, effect: r.Effect})
		}
	}
	changed := map[string]bool{}
	for _, c := range changes {
		changed[c.Path] = true
		if c.New != nil && treediff.IsObject(c.Path) {
			count(c.Path, c.New)
		}
	}
	for p, data := range old {
		if !changed[p] && treediff.IsObject(p) {
			count(p, data)
		}
	}
	return k
}

// keptIn says which apps the env keeps nouns of (objects in a Namespace,
// custom resources of a CRD) that go with the gone object, the most
// first, "" for none.
func keptIn(byApp map[string]int, noun, gone string) string {
	if len(byApp) == 0 {
		return ""
	}
	apps := make([]string, 0, len(byApp))
	total := 0
	for app, n := range byApp {
		apps = append(apps, app)
		total += n
	}
	sort.Slice(apps, func(i, j int) bool {
		if byApp[apps[i]] != byApp[apps[j]] {
			return byApp[apps[i]] > byApp[apps[j]]
		}
		return apps[i] < apps[j]
	})
	parts := make([]string, 0, keptNamed+1)
	for i, app := range apps {
		if i == keptNamed {
			rest := 0
			for _, a := range apps[i:] {
				rest += byApp[a]
			}
			parts = append(parts, strconv.Itoa(rest)+" of "+words.Count(len(apps)-i, "more app"))
			break
		}
		// A folder of apps/ the manifests branch holds may have any name.
		parts = append(parts, strconv.Itoa(byApp[app])+" of app "+treediff.Quoted(diag.Clip(app, removedClip)))
	}
	stay := "which stays in the env: its Kustomization cannot"
	if len(apps) > 1 {
		stay = "which stay in the env: their Kustomizations cannot"
	}
	return fmt.Sprintf(", %s the env keeps among them (%s), %s apply them again while the %s is gone",
		words.Count(total, noun), words.And(parts), stay, gone)
}

// othersNeed reports whether the object of identity id (moved.go's
// identity: "group\x00Kind/…") is of a kind other objects may need.
func othersNeed(id string) bool {
	group, rest, _ := strings.Cut(id, "\x00")
	kind, _, _ := strings.Cut(rest, "/")
	return needs.Needed(group, kind)
}

// usersOf says which objects the env keeps need the gone object, the
// first few by app and object, and what breaks, "" for none.
func usersOf(users []user) string {
	if len(users) == 0 {
		return ""
	}
	users = slices.Clone(users)
	sort.SliceStable(users, func(i, j int) bool {
		if users[i].app != users[j].app {
			return users[i].app < users[j].app
		}
		return users[i].object < users[j].object
	})
	var parts []string
	objs := map[string]bool{}
	for _, u := range users {
		if objs[u.app+"\x00"+u.object] {
			continue // the first field that names it is enough
		}
		objs[u.app+"\x00"+u.object] = true
		if len(parts) < keptNamed {
			parts = append(parts, fmt.Sprintf("%s of app %s at %s", u.object, treediff.Quoted(diag.Clip(u.app, removedClip)), u.field))
		}
	}
	if n := len(objs) - len(parts); n > 0 {
		parts = append(parts, words.Count(n, "more object"))
	}
	return fmt.Sprintf(", while the env keeps %s needing it (%s): %s",
		words.Count(len(objs), "object"), words.And(parts), users[0].effect)
}
