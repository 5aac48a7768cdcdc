package prbody

import (
	"cmp"
	"fmt"
	"html"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kiln-gitops/kiln/internal/caret"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// Limit is GitHub's limit on a pull request body: 65,536 characters. The
// body is measured in bytes, which are never fewer than characters, so a
// body within Limit always fits.
const Limit = 65536

// maxListed is how many left-out apps the note at the top names.
const maxListed = 20

// The most edges and characters a Mermaid diagram may have for GitHub to
// draw it: mermaid's defaults (maxEdges since mermaid 10.6.1, maxTextSize).
const (
	maxMermaidEdges = 500
	maxMermaidText  = 50000
)

// mermaidEdges counts the links of the flowchart m, one a line as
// render's graph writes them.
func mermaidEdges(m string) int {
	n := 0
	for line := range strings.SplitSeq(m, "\n") {
		if strings.Contains(line, " --> ") || strings.Contains(line, " -.-> ") {
			n++
		}
	}
	return n
}

// Input is what a promotion changes.
type Input struct {
	// Env is the environment promoted to.
	Env string
	// SourceRepo is the code repository's URL, or "". A GitHub URL makes
	// the commit a link; credentials in it are never printed.
	SourceRepo string
	// SourceCommit is the commit the tree was rendered from, or "".
	SourceCommit string
	// PromotedFrom is the env whose release this is (kiln promote --from),
	// or "".
	PromotedFrom string
	// Old is the lock of the env's current tree (nil on the first
	// promotion); New the lock of the new tree. Only each app's engine and
	// images, and the lock's own images, are printed from them.
	Old, New *lockfile.Lock
	// Changes are the file changes of the env tree (treediff.Trees), with
	// secret values already redacted.
	Changes []treediff.Change
	// Mermaid is the dependency graph with changed apps marked, without
	// the ``` fence, or "" for none.
	Mermaid string
	// Unappliable are changes Flux cannot apply as they are (an immutable
	// field changed), one line each, redacted: a warning at the top.
	Unappliable []string
	// Moved are objects that leave one app for another, which Flux may
	// delete before it recreates them, one line each, redacted: a warning
	// at the top.
	Moved []string
	// Pruned are objects that leave the env and whose deleting takes more
	// with them (a CRD's custom resources, a Namespace's objects, a
	// claim's data), one line each, redacted: a warning at the top.
	Pruned []string
	// RemovedApps are the apps whose Flux Kustomization leaves the env,
	// each with what Flux then deletes and leaves, one line each,
	// redacted: the first warning at the top, at most maxRemovedApps.
	RemovedApps []string
	// Unstable are the apps whose objects change though their inputs did
	// not (a template's random values), one line each, redacted.
	Unstable []string
	// Ratcheted are custom resources whose CRD refuses a value the
	// cluster keeps only because it was there before (CRD validation
	// ratcheting), one line each, redacted: a new cluster refuses them.
	Ratcheted []string
	// Redact masks the secret values in the body, or is nil. It runs
	// before the body is measured: a mask longer than the value it
	// replaces must not push the body over Limit.
	Redact func(string) string
}

// The statuses of an app in the table.
const (
	statusAdded     = "added"
	statusChanged   = "changed"
	statusRemoved   = "removed"
	statusUnchanged = "unchanged"
)

// appInfo is what the body says about one app.
type appInfo struct {
	name    string
	engine  string
	status  string
	objects treediff.Summary
	images  []string // changed images, "`repo`: `old` → `new`"
	diff    string   // unified diff of its objects and Flux Kustomization
	lines   int      // lines in diff
	// removed are the objects (their files' paths where they name none)
	// whose files the app loses, in file order: what its block names when
	// its diff is left out.
	removed []string
	// flux: not an app but the env's Flux notifications, name their file.
	flux bool
	// kustomization: what happened to the app's Flux Kustomization, ""
	// for nothing: changed (prune, suspend, path, …), or added or removed
	// for an app that stays, whose objects Flux then starts applying or
	// prunes all at once. Its object counts leave it out.
	kustomization string
	// noDiff: changed only in files no diff here shows (its high-level/
	// values), which "Other files" names. Its row read "changed +0 ~0 -0"
	// with no block under Changes, as if the body had lost its diff.
	noDiff bool
}

// Render returns the pull request body for in, redacted by in.Redact. It
// is deterministic and at most Limit bytes long.
func Render(in Input) string {
	apps := collect(in)
	fixedHead := head(in) + removedApps(in.Env, in.RemovedApps) + unappliable(in.Env, in.Unappliable) + moved(in.Env, in.Moved) + pruned(in.Env, in.Pruned) + unstable(in.Env, in.Unstable) + ratcheted(in.Env, in.Ratcheted)
	// The lock's images and the files no diff shows after the table,
	// bounded, and kept when diffs are left out: without them, a
	// promotion that changes only these would read as changing nothing.
	rest := lockImages(in) + otherFiles(in)
	table := tableOf(apps, false) + rest
	// The table without the rows of unchanged apps, the removed apps
	// first: for an env of so many apps that the full table does not fit,
	// where cutting it at a line would drop whatever sorts last, an app
	// removed with all its objects included.
	unlisted := unchanged(apps)
	compactTable := tableOf(apps, true) + rest
	graph := ""
	if strings.TrimSpace(in.Mermaid) != "" {
		m := strings.TrimRight(in.Mermaid, "\n")
		if edges := mermaidEdges(m); edges > maxMermaidEdges || len(m) > maxMermaidText {
			// GitHub would draw an error box in its place ("Edge limit
			// exceeded", "Maximum text size in diagram exceeded") in
			// every pull request of a large fleet.
			graph = fmt.Sprintf("### Dependencies\n\nNot drawn: the graph has %s and %d characters, more than GitHub draws (500 edges, 50,000 characters); `kiln graph --env %s` shows it.\n\n",
				words.Count(edges, "edge"), len(m), strings.ReplaceAll(in.Env, "`", ""))
		} else {
			f := fence(m, "```")
			graph = "### Dependencies\n\n" + f + "mermaid\n" + m + "\n" + f + "\n\n"
		}
	}

	// Each changed app's block, full and with its diff left out.
	var diffs []*appInfo
	for i := range apps {
		if apps[i].diff != "" {
			diffs = append(diffs, &apps[i])
		}
	}
	// The Alerts and Providers of flux/notifications.yaml after the apps:
	// shown like an app's objects, but no row of the apps table.
	if n := notifications(in); n != nil {
		diffs = append(diffs, n)
	}
	full := make(map[string]string, len(diffs))
	short := make(map[string]string, len(diffs))
	for _, a := range diffs {
		full[a.name] = details(a, diffBlock(a.diff))
		short[a.name] = details(a, fmt.Sprintf("diff of %s left out: %d lines; run `kiln diff --env %s` to see it.\n\n%s",
			code(a.name), a.lines, strings.ReplaceAll(in.Env, "`", ""), removedObjects(a.removed)))
	}
	changesHead := ""
	if len(diffs) > 0 {
		changesHead = "### Changes\n\n"
	}

	// Leave diffs out, largest first (ties by name), until the body fits.
	order := append([]*appInfo(nil), diffs...)
	sort.SliceStable(order, func(i, j int) bool {
		if len(full[order[i].name]) != len(full[order[j].name]) {
			return len(full[order[i].name]) > len(full[order[j].name])
		}
		return order[i].name < order[j].name
	})
	dropped := map[string]bool{}
	var droppedNames []string
	assemble := func(withGraph, compact bool) string {
		var b strings.Builder
		b.WriteString(fixedHead)
		if compact {
			b.WriteString(cutNote(in.Env, droppedNames, !withGraph && graph != "", unlisted))
			b.WriteString(compactTable)
		} else {
			b.WriteString(cutNote(in.Env, droppedNames, !withGraph && graph != "", 0))
			b.WriteString(table)
		}
		if withGraph {
			b.WriteString(graph)
		}
		b.WriteString(changesHead)
		for _, a := range diffs {
			if dropped[a.name] {
				b.WriteString(short[a.name])
			} else {
				b.WriteString(full[a.name])
			}
		}
		out := strings.TrimRight(b.String(), "\n") + "\n"
		if in.Redact != nil {
			out = in.Redact(out)
		}
		// Masked, then in caret notation: the body quotes text kiln does
		// not control (file names of the branch, diffs of its manifests),
		// and GitHub would show a bidi control in it reordering what the
		// reviewer reads, a zero-width or no-break space as nothing or a
		// space. Masked first, so that a secret value holding such a
		// character is still found; before the body is measured and cut,
		// so that a cut, at a line feed, never splits an escape. kiln's own
		// markdown holds no control character but line feeds and tabs,
		// which caret.Quoted keeps; it shows a CR before a line feed, a
		// diff's line's own, so that a change of line endings shows.
		return caret.Quoted(out)
	}
	// fit leaves diffs out until the body fits, then the graph too; ""
	// when it does not fit even then.
	fit := func(compact bool) string {
		clear(dropped)
		droppedNames = nil
		size := len(fixedHead) + len(graph) + len(changesHead)
		if compact {
			size += len(compactTable)
		} else {
			size += len(table)
		}
		for _, a := range diffs {
			size += len(full[a.name])
		}
		for i := 0; ; i++ {
			// size is the length before masking and escaping, which may
			// lengthen the body, so assemble's own length decides; it is an
			// upper bound otherwise: assemble keeps one final newline.
			if size+len(cutNote(in.Env, droppedNames, false, unlisted)) <= Limit {
				if s := assemble(true, compact); len(s) <= Limit {
					return s
				}
			}
			if i == len(order) {
				break
			}
			a := order[i]
			dropped[a.name] = true
			droppedNames = append(droppedNames, a.name)
			size += len(short[a.name]) - len(full[a.name])
		}
		// Still too long without any diff: the graph goes too.
		if s := assemble(false, compact); len(s) <= Limit {
			return s
		}
		return ""
	}
	if s := fit(false); s != "" {
		return s
	}
	// The full table alone fills the body: an env of thousands of apps.
	// Without the rows of the apps that did not change, the diffs may fit
	// again, and what sorts last, an app removed with all its objects
	// included, is not cut off.
	if s := fit(true); s != "" {
		return s
	}
	s := assemble(false, true)
	// Many hundreds of apps changed: cut at a line, and say so.
	tail := "\n\n**Cut here:** the rest does not fit GitHub's limit of 65,536 characters; run `kiln diff --env " + strings.ReplaceAll(in.Env, "`", "") + "` to see it.\n"
	cut := strings.LastIndexByte(s[:Limit-len(tail)], '\n')
	if cut < 0 {
		cut = len(caret.Prefix(s, Limit-len(tail)))
	}
	// Not inside an app's block: the note would be folded away in it,
	// and the block left open.
	if open := strings.LastIndex(s[:cut], "<details>"); open > strings.LastIndex(s[:cut], "</details>") {
		cut = open
	}
	return strings.TrimRight(s[:cut], "\n") + tail
}

// collect gathers every app of Old ∪ New ∪ Changes, sorted by name.
func collect(in Input) []appInfo {
	names := map[string]bool{}
	var oldApps, newApps map[string]lockfile.App
	if in.Old != nil {
		oldApps = in.Old.Apps
	}
	if in.New != nil {
		newApps = in.New.Apps
	}
	for n := range oldApps {
		names[n] = true
	}
	for n := range newApps {
		names[n] = true
	}
	byApp := map[string][]treediff.Change{}
	for _, c := range in.Changes {
		if c.App != "" {
			names[c.App] = true
			byApp[c.App] = append(byApp[c.App], c)
		}
	}
	counts := treediff.Count(in.Changes)

	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	out := make([]appInfo, 0, len(sorted))
	for _, n := range sorted {
		o, inOld := oldApps[n]
		nw, inNew := newApps[n]
		a := appInfo{name: n, engine: nw.Engine, objects: counts[n]}
		if !inNew {
			a.engine = o.Engine
		}
		switch {
		case inNew && !inOld:
			a.status = statusAdded
		case inOld && !inNew:
			a.status = statusRemoved
		case inOld && inNew:
			a.status = statusUnchanged
			if len(byApp[n]) > 0 {
				a.status = statusChanged
			}
		default: // only in Changes: judge by the files
			a.status = statusChanged
			if all(byApp[n], treediff.Added) {
				a.status = statusAdded
			} else if all(byApp[n], treediff.Removed) {
				a.status = statusRemoved
			}
		}
		a.images = imageChanges(o.Images, nw.Images)

		var d strings.Builder
		a.noDiff = a.status == statusChanged && len(byApp[n]) > 0
		for _, c := range byApp[n] {
			if inAppDiff(c) {
				d.WriteString(treediff.Unified(c, false))
				a.noDiff = false
			}
			if c.Op == treediff.Removed && treediff.IsObject(c.Path) {
				a.removed = append(a.removed, cmp.Or(c.Object, c.Path))
			}
			if strings.HasPrefix(c.Path, "flux/") && (c.Op == treediff.Changed || a.status == statusChanged) {
				a.kustomization = c.Op
			}
		}
		a.diff = d.String()
		a.lines = strings.Count(a.diff, "\n")
		out = append(out, a)
	}
	return out
}

// inAppDiff reports whether c shows in its app's diff: its objects,
// kustomization.yaml and Flux Kustomization.
func inAppDiff(c treediff.Change) bool {
	return c.App != "" && (strings.HasPrefix(c.Path, "apps/") || strings.HasPrefix(c.Path, "flux/"))
}

// isNotifications reports whether c is the change of the env's
// notifications file, which has a block of its own.
func isNotifications(c treediff.Change) bool {
	return c.Path == lockfile.NotificationsFile && c.App == ""
}

// notifications is the block of the env's notifications file, as an
// app's block but for the name, or nil when it did not change. The file
// reads as the Flux file of an app "notifications", but treediff gives it
// no app: its Providers and Alerts carry no kiln/app label.
func notifications(in Input) *appInfo {
	for _, c := range in.Changes {
		if isNotifications(c) {
			d := treediff.Unified(c, false)
			if d == "" {
				return nil
			}
			return &appInfo{name: lockfile.NotificationsFile, diff: d, lines: strings.Count(d, "\n"), flux: true}
		}
	}
	return nil
}

func all(cs []treediff.Change, op string) bool {
	for _, c := range cs {
		if c.Op != op {
			return false
		}
	}
	return len(cs) > 0
}

// head is the heading and the source line.
func head(in Input) string {
	var b strings.Builder
	b.WriteString("## kiln: " + code(in.Env))
	owner, repo, isGitHub := gitHubRepo(in.SourceRepo)
	commitOK := commitRE().MatchString(in.SourceCommit)
	switch {
	case in.SourceCommit == "":
	case isGitHub && commitOK:
		fmt.Fprintf(&b, " at [%s](https://github.com/%s/%s/commit/%s)", code(short(in.SourceCommit)), owner, repo, in.SourceCommit)
	default:
		b.WriteString(" at " + code(short(in.SourceCommit)))
	}
	b.WriteString("\n\n")

	var parts []string
	switch {
	case isGitHub:
		parts = append(parts, fmt.Sprintf("Rendered from [%s/%s](https://github.com/%s/%s)", owner, repo, owner, repo))
	case in.SourceRepo != "":
		repo := withoutCredentials(in.SourceRepo)
		if len(repo) > lockfile.MaxText {
			// The head is never cut: a URL no git remote has (the lock
			// refuses one, lockfile.Parse) must not fill the body.
			repo = caret.Prefix(repo, lockfile.MaxText) + "…"
		}
		parts = append(parts, "Rendered from "+code(repo))
	default:
		parts = append(parts, "Rendered")
	}
	if in.SourceCommit != "" {
		parts[0] += " at commit " + code(in.SourceCommit)
	}
	if in.PromotedFrom != "" {
		parts = append(parts, "promoted from "+code(in.PromotedFrom)+" (its images and source commit)")
	}
	b.WriteString(strings.Join(parts, ", ") + ".\n\n")
	if kept := keptApps(in.New); len(kept) > 0 {
		// At most maxListed: the head is never cut, and one line, so that
		// `kiln render --app` of one app in an env of thousands would
		// otherwise push the whole apps table out of the body.
		list := strings.Join(kept[:min(len(kept), maxListed)], ", ")
		if len(kept) > maxListed {
			list += fmt.Sprintf(" and %d more", len(kept)-maxListed)
		}
		b.WriteString("Not rendered at this commit: kept as earlier renders made them (`kiln render --app`): " + list + ".\n\n")
	}
	return b.String()
}

// keptApps names the apps of lock whose files another source than the
// lock's rendered (lockfile.App.Source), each with that source's commit,
// in name order.
func keptApps(lock *lockfile.Lock) []string {
	if lock == nil {
		return nil
	}
	var kept []string
	for _, name := range lock.KeptApps() {
		s := lock.Apps[name].Source
		at := "outside git"
		if s.Commit != "" {
			at = "at " + code(short(s.Commit))
		}
		if s.Dirty {
			at += " with uncommitted changes"
		}
		kept = append(kept, code(name)+" "+at)
	}
	return kept
}

// unappliable is the warning about changes Flux cannot apply, "" for none.
func unappliable(env string, lines []string) string {
	return alert(env, "WARNING", "**Flux cannot apply these changes as they are**: the API server refuses them on existing objects, or Flux skips the object once it exists (`kustomize.toolkit.fluxcd.io/ssa: IfNotPresent`).", lines,
		"Annotate each object with `kustomize.toolkit.fluxcd.io/force: enabled` so that Flux deletes and recreates it, or rename it; "+
			"but not where a line says what recreating destroys (a CustomResourceDefinition's custom resources, a claim's or volume's data): keep those fields as they were. "+
			"An object Flux skips changes only once deleted on the cluster.")
}

// moved is the warning about objects Flux may delete before it recreates
// them, "" for none.
func moved(env string, lines []string) string {
	return alert(env, "CAUTION", "**Flux may delete these objects before it recreates them**: each moves to another app, or its app's Kustomization is renamed; the new Kustomization takes it over only when it applies, while the old one prunes it.", lines,
		"To keep them in place (a PersistentVolumeClaim's data, a Namespace's contents, a CustomResourceDefinition's custom resources), first promote them annotated with `kustomize.toolkit.fluxcd.io/prune: disabled` in the app they leave, then move them; before renaming Kustomizations, first promote with `flux.prune: false`.")
}

// unstable is the warning about apps whose objects change though their
// inputs did not, "" for none.
func unstable(env string, lines []string) string {
	return alert(env, "WARNING", "**These objects change at every render**: a template draws random values or reads the clock (a chart that generates a password when none is given makes a new one each time), seen by a second render of the same inputs or against the env's current render of them.", lines,
		"Run `kiln validate` to see the template and fields; give such values as inputs (the password in the app's values, or an existing Secret), or the Secret stops matching what a database was initialised with.")
}

// ratcheted is the warning about custom resources a new cluster would
// refuse, "" for none.
func ratcheted(env string, lines []string) string {
	return alert(env, "WARNING", "**A new cluster would refuse these objects**: their CustomResourceDefinition now refuses a value they hold; this cluster takes the update only because the value was there before and does not change (CRD validation ratcheting, Kubernetes 1.30 and later), but a rebuild or a restore into another cluster fails to create them.", lines,
		"Change each value to one the CRD takes; where the field cannot change on an existing object, create the object anew under another name and move what it holds to it.")
}

// maxRemovedApps is how many removed apps the warning names: each line
// counts kinds and names namespaces and objects, a few hundred bytes, and
// the block is never cut.
const maxRemovedApps = 10

// removedApps is the warning about apps whose Kustomization leaves the
// env, "" for none: the promotion deletes each whole app from the
// cluster. The body is a push's job summary too, where nothing merges.
func removedApps(env string, lines []string) string {
	return alertOf(env, "CAUTION", "**The promotion deletes these apps from the cluster**: each app's Flux Kustomization leaves `flux/`, and Flux's garbage collection deletes every object it applied, but for those named as left.", lines, maxRemovedApps,
		"To keep an object, first promote it annotated with `kustomize.toolkit.fluxcd.io/prune: disabled` (or the app with `flux.prune: false`), then remove the app. `helm.sh/resource-policy: keep` does not keep it: Flux does not read it.")
}

// pruned is the warning about objects Flux deletes with what they hold,
// "" for none.
func pruned(env string, lines []string) string {
	return alert(env, "CAUTION", "**Flux deletes these objects from the cluster, and what they hold with them**: each leaves the env, and its app's Kustomization prunes what it no longer holds.", lines,
		"To keep one in the cluster, first promote it annotated with `kustomize.toolkit.fluxcd.io/prune: disabled`, then remove it.")
}

// alert is a GitHub alert block of kind (WARNING, CAUTION) at the top of
// the body: head, one item per line (at most maxListed, then how many more
// kiln diff shows), then what to do; "" for no lines. The block is bounded
// because it is never cut: a release that changes a Job in each of hundreds
// of apps must not push the apps table out of the body.
func alert(env, kind, head string, lines []string, todo string) string {
	return alertOf(env, kind, head, lines, maxListed, todo)
}

// alertOf is alert naming at most most lines.
func alertOf(env, kind, head string, lines []string, most int, todo string) string {
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> [!%s]\n> %s\n>\n", kind, head)
	for _, l := range lines[:min(len(lines), most)] {
		fmt.Fprintf(&b, "> - %s\n", strings.ReplaceAll(l, "\n", " "))
	}
	if len(lines) > most {
		fmt.Fprintf(&b, "> - and %d more: run `kiln diff --env %s` to see every one\n", len(lines)-most, strings.ReplaceAll(env, "`", ""))
	}
	fmt.Fprintf(&b, ">\n> %s\n\n", todo)
	return b.String()
}

// cutNote says at the top that the body was cut, or is "": the diffs
// dropped, the graph when noGraph, and the rows of unlisted unchanged apps.
func cutNote(env string, dropped []string, noGraph bool, unlisted int) string {
	if len(dropped) == 0 && !noGraph && unlisted == 0 {
		return ""
	}
	var what []string
	if len(dropped) > 0 {
		names := make([]string, 0, min(len(dropped), maxListed))
		for _, n := range dropped[:min(len(dropped), maxListed)] {
			names = append(names, code(n))
		}
		list := strings.Join(names, ", ")
		if len(dropped) > maxListed {
			list += fmt.Sprintf(" and %d more", len(dropped)-maxListed)
		}
		if len(dropped) == 1 {
			what = append(what, "the diff of "+list)
		} else {
			what = append(what, "the diffs of "+list+" (largest first)")
		}
	}
	if noGraph {
		what = append(what, "the dependency graph")
	}
	if unlisted > 0 {
		what = append(what, "the table's rows of "+words.Count(unlisted, "unchanged app"))
	}
	verb := " was"
	if len(dropped) > 1 || len(what) > 1 || unlisted > 0 {
		verb = " were"
	}
	return "> [!NOTE]\n> This description was cut to fit GitHub's limit of 65,536 characters: " +
		strings.Join(what, " and ") + verb + " left out. Run `kiln diff --env " + strings.ReplaceAll(env, "`", "") +
		"` to see every change.\n\n"
}

// tableOf is the apps table. compact leaves the rows of unchanged apps
// out, counting them under the table, and lists the removed apps first,
// then the added and the changed ones.
func tableOf(apps []appInfo, compact bool) string {
	if len(apps) == 0 {
		return "No apps.\n\n"
	}
	unlisted := 0
	if compact {
		unlisted = unchanged(apps)
		rank := map[string]int{statusRemoved: 0, statusAdded: 1, statusChanged: 2}
		var rows []appInfo
		for _, a := range apps {
			if a.status != statusUnchanged {
				rows = append(rows, a)
			}
		}
		sort.SliceStable(rows, func(i, j int) bool { return rank[rows[i].status] < rank[rows[j].status] })
		apps = rows
	}
	var b strings.Builder
	b.WriteString("### Apps\n\n")
	if compact && len(apps) > 0 {
		b.WriteString("Removed apps first, then added and changed ones.\n\n")
	}
	if len(apps) > 0 {
		b.WriteString("| App | Engine | Status | Objects +/~/- | Images |\n| --- | --- | --- | --- | --- |\n")
	}
	for _, a := range apps {
		objects := "—"
		if a.status != statusUnchanged {
			objects = fmt.Sprintf("+%d ~%d -%d", a.objects.Added, a.objects.Changed, a.objects.Removed)
			// Else "+0 ~0 -0" for a change of prune or suspend, or a
			// Kustomization removed, which a reviewer would skim past.
			objects += kustomizationNote(a.kustomization)
			if a.noDiff {
				objects += ", only files under Other files"
			}
		}
		engine := a.engine
		switch {
		case engine == "":
			engine = "—"
		case strings.ContainsFunc(engine, func(r rune) bool { return r < 'a' || r > 'z' }):
			// Not one of kiln's engines (helm, yaml, ...): a removed
			// app's comes from the manifests repository's lock, which
			// anyone who can push there may have edited, so it goes in a
			// code span like the app's name and mentions no one.
			engine = code(engine)
		}
		// At most maxListed images: a row is one line, which a body cut
		// to fit GitHub's limit loses whole, with every row after it.
		images := a.images[:min(len(a.images), maxListed)]
		if len(a.images) > maxListed {
			images = append(slices.Clip(images), fmt.Sprintf("and %d more", len(a.images)-maxListed))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(code(a.name)), cell(engine), a.status, objects, cell(strings.Join(images, "<br>")))
	}
	if len(apps) > 0 {
		b.WriteString("\n")
	}
	if unlisted > 0 {
		b.WriteString(words.Count(unlisted, "unchanged app") + " not listed.\n\n")
	}
	return b.String()
}

// lockImages is the section on the lock's images that changed, by
// repository, or "" for none. They are the images kiln was given
// (--image, --images, or --from's env), which the lock keeps even when
// no app runs one (kiln verify renders with them): a change of them alone
// is a promotion the apps table cannot show.
func lockImages(in Input) string {
	var old, new map[string]string
	if in.Old != nil {
		old = in.Old.Images
	}
	if in.New != nil {
		new = in.New.Images
	}
	sorted := sortedKeys(old, new)
	// An image an app runs shows in the app's row of the table already
	// (the usual release): listed again here, every release would say it
	// twice.
	run := map[string]bool{}
	if in.New != nil {
		for _, a := range in.New.Apps {
			for _, ref := range a.Images {
				run[sameRef(ref)] = true
			}
		}
	}
	var lines []string
	for _, r := range sorted {
		o, inOld := old[r]
		n, inNew := new[r]
		if inOld == inNew && o == n || inNew && run[sameRef(n)] {
			continue
		}
		ov, nv := lockVersion(o, inOld), lockVersion(n, inNew)
		if ov == nv {
			// Another spelling of the same version ("nginx:1.2" and
			// "docker.io/library/nginx:1.2"): the references differ.
			ov, nv = code(o), code(n)
		}
		lines = append(lines, code(r)+": "+ov+" → "+nv)
	}
	if len(lines) == 0 {
		return ""
	}
	return "### Images\n\nGiven with `--image`/`--images` or by `--from`; `" + lockfile.File + "` keeps them whether or not an app runs them:\n\n" +
		list(in.Env, lines)
}

// sameRef is ref spelled one way for every spelling of it ("redis:7.2"
// and "docker.io/library/redis:7.2", "GHCR.IO/acme/web:1" and
// "ghcr.io/acme/web:1"), or ref itself when it does not parse. A registry
// is a host name, which kiln matches images by without case (the lock's
// images have it in lower case); go-containerregistry keeps its case.
func sameRef(ref string) string {
	if host, rest, ok := strings.Cut(ref, "/"); ok && (strings.ContainsAny(host, ".:") || strings.EqualFold(host, "localhost")) {
		ref = strings.ToLower(host) + "/" + rest
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return ref
	}
	return r.Name()
}

// lockVersion prints the version of a lock's image reference, or "—" for
// none.
func lockVersion(ref string, ok bool) string {
	if !ok {
		return "—"
	}
	_, v := splitImage(ref)
	return code(v)
}

// otherFiles names the changed files no diff of the body shows (an app's
// high-level/ files, the shard marker, anything kiln does not write),
// or is "" for none. The lock is named only when nothing else changed:
// otherwise the rest of the body says what changed in it (the source
// commit, the apps and their engines, the images).
func otherFiles(in Input) string {
	var lines []string
	lockOnly := lockImages(in) == ""
	var lock string
	for _, c := range in.Changes {
		switch {
		case inAppDiff(c) || isNotifications(c):
			lockOnly = false
		case c.Path == lockfile.File:
			lock = code(c.Path) + ": " + c.Op
		default:
			lockOnly = false
			lines = append(lines, code(c.Path)+": "+c.Op)
		}
	}
	if lock != "" && lockOnly {
		lines = append(lines, lock)
	}
	if len(lines) == 0 {
		return ""
	}
	return "### Other files\n\nChanged without a diff here; `kiln diff --env " + strings.ReplaceAll(in.Env, "`", "") + "` shows them:\n\n" + list(in.Env, lines)
}

// list is a Markdown list of lines, at most maxListed, then how many more
// kiln diff shows.
func list(env string, lines []string) string {
	var b strings.Builder
	for _, l := range lines[:min(len(lines), maxListed)] {
		b.WriteString("- " + l + "\n")
	}
	if len(lines) > maxListed {
		fmt.Fprintf(&b, "- and %d more: run `kiln diff --env %s` to see every one\n", len(lines)-maxListed, strings.ReplaceAll(env, "`", ""))
	}
	b.WriteString("\n")
	return b.String()
}

// details is one app's collapsible block around content.
func details(a *appInfo, content string) string {
	if a.flux {
		return fmt.Sprintf("<details><summary>Flux notifications (<code>%s</code>)</summary>\n\n%s</details>\n\n", html.EscapeString(a.name), content)
	}
	// In <code>, as everywhere in the body: a name from the manifests
	// repository's lock (hand-edited, "@acme/admins") mentions no one.
	also := kustomizationNote(a.kustomization)
	return fmt.Sprintf("<details><summary><code>%s</code> (%s%s)</summary>\n\n%s</details>\n\n", html.EscapeString(caret.String(a.name)), objectCounts(a.objects), also, content)
}

// objectCounts is what a block's summary, all a reviewer sees of it
// folded, says of its objects: "3 objects removed" for an app that goes,
// where "changed" read as an update of objects Flux in fact deletes.
func objectCounts(s treediff.Summary) string {
	n := s.Total()
	switch {
	case n > 0 && s.Added == n:
		return words.Count(n, "object") + " added"
	case n > 0 && s.Removed == n:
		return words.Count(n, "object") + " removed"
	case s.Changed == n:
		return words.Count(n, "object") + " changed"
	}
	return fmt.Sprintf("%s: +%d ~%d -%d", words.Count(n, "object"), s.Added, s.Changed, s.Removed)
}

// removedObjects names the objects an app loses, at most maxListed, for
// its block when its diff is left out: the table's "-N" alone does not say
// what Flux prunes, and a reviewer of a large release would have to run
// kiln diff to learn that a Deployment goes. "" for none.
func removedObjects(objs []string) string {
	if len(objs) == 0 {
		return ""
	}
	names := make([]string, 0, min(len(objs), maxListed))
	for _, o := range objs[:min(len(objs), maxListed)] {
		names = append(names, code(o))
	}
	list := strings.Join(names, ", ")
	if len(objs) > maxListed {
		list += fmt.Sprintf(" and %d more", len(objs)-maxListed)
	}
	return "Removed: " + list + ".\n\n"
}

// unchanged is how many of apps did not change: the rows a compact table
// leaves out.
func unchanged(apps []appInfo) int {
	n := 0
	for _, a := range apps {
		if a.status == statusUnchanged {
			n++
		}
	}
	return n
}

// kustomizationNote is what an app's row and block add for what happened
// to its Flux Kustomization (appInfo.kustomization): changed, or removed or
// added while the app stayed; "" for nothing.
func kustomizationNote(op string) string {
	switch op {
	case "":
		return ""
	case treediff.Changed:
		return ", and its Flux Kustomization"
	default:
		return ", and its Flux Kustomization " + op
	}
}

// diffBlock fences a unified diff.
func diffBlock(d string) string {
	f := fence(d, "```")
	return f + "diff\n" + d + f + "\n\n"
}

// sortedKeys is the keys of a and b, each once, sorted.
func sortedKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// imageChanges lists, by repository, the images whose tags or digests
// differ between old and new.
func imageChanges(old, new []string) []string {
	o, n := byRepo(old, false), byRepo(new, false)
	fo, fn := byRepo(old, true), byRepo(new, true)
	sorted := sortedKeys(o, n)
	var out []string
	for _, r := range sorted {
		if versions(fo[r]) == versions(fn[r]) {
			continue
		}
		ov, nv := versions(o[r]), versions(n[r])
		if ov == nv {
			// Digests alike in the 12 digits shown: a pair of images
			// made to share them (2^24 tries) would read as no change.
			ov, nv = versions(fo[r]), versions(fn[r])
		}
		out = append(out, code(r)+": "+ov+" → "+nv)
	}
	return out
}

// byRepo is the versions of refs by repository, each digest whole when
// full, else shortened (splitImage).
func byRepo(refs []string, full bool) map[string][]string {
	out := map[string][]string{}
	for _, ref := range refs {
		if strings.HasPrefix(ref, "ENC[") {
			// A SOPS document's encrypted image, which a lock of an
			// earlier kiln lists: the body shows no ciphertext.
			continue
		}
		r, v := splitImage(ref)
		if full {
			r, v = splitRef(ref, -1)
		}
		out[r] = append(out[r], v)
	}
	return out
}

// versions prints the versions of one repository, or "—" for none.
func versions(vs []string) string {
	if len(vs) == 0 {
		return "—"
	}
	vs = append([]string(nil), vs...)
	sort.Strings(vs)
	for i, v := range vs {
		vs[i] = code(v)
	}
	return strings.Join(vs, ", ")
}

// splitImage splits an image reference into repository and version: the
// tag, the digest shortened to 12 hex digits, or both; "latest" when
// neither is given.
func splitImage(ref string) (repo, version string) { return splitRef(ref, 12) }

// ShortImage is ref as a promotion's title names it: the repository's
// last path element and the version, a digest cut as splitImage cuts it
// ("vote:1.4.2", "vote@sha256:0123456789ab", "vote:1.4.2@sha256:…").
func ShortImage(ref string) string {
	repo, version := splitImage(ref)
	name := repo[strings.LastIndexByte(repo, '/')+1:]
	if strings.Contains(version, ":") && !strings.Contains(version, "@") {
		return name + "@" + version // a digest alone: a tag has no ':'
	}
	return name + ":" + version
}

// splitRef is splitImage with the digest shortened to width hex digits,
// or whole for a negative width.
func splitRef(ref string, width int) (repo, version string) {
	name, digest, _ := strings.Cut(ref, "@")
	repo = name
	tag := ""
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		repo, tag = name[:i], name[i+1:]
	}
	if algo, hex, ok := strings.Cut(digest, ":"); ok && width >= 0 && len(hex) > width {
		digest = algo + ":" + hex[:width]
	}
	switch {
	case tag != "" && digest != "":
		return repo, tag + "@" + digest
	case digest != "":
		return repo, digest
	case tag != "":
		return repo, tag
	}
	return repo, "latest"
}

var (
	commitRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{7,64}$`) })
	ghPathRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^/?([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$`)
	})
)

// gitHubRepo recognises https://github.com/o/r(.git), ssh://git@github.com/o/r
// and git@github.com:o/r.
func gitHubRepo(s string) (owner, repo string, ok bool) {
	var path string
	if rest, found := strings.CutPrefix(s, "git@github.com:"); found {
		path = rest
	} else {
		u, err := url.Parse(s)
		if err != nil || !strings.EqualFold(u.Host, "github.com") || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "ssh") {
			return "", "", false
		}
		path = u.Path
	}
	m := ghPathRE().FindStringSubmatch(path)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// withoutCredentials drops the user information and query of a URL
// (redact.RemoteURL), so a token in it is never printed; for display, an
// scp-like user@host:path also loses its user.
func withoutCredentials(s string) string {
	if !strings.Contains(s, "://") {
		if at := strings.LastIndexByte(s, '@'); at >= 0 {
			return s[at+1:]
		}
	}
	return redact.RemoteURL(s)
}

// short is the 12-digit form of a commit.
func short(commit string) string {
	if commitRE().MatchString(commit) && len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// Code makes s a Markdown code span, whatever backticks it holds: text a
// manifest chooses (an object's name) shown so mentions no one, links no
// issue and opens no HTML.
func Code(s string) string { return code(s) }

// code makes s a Markdown code span, whatever backticks it holds.
func code(s string) string {
	if s == "" {
		return "``"
	}
	// On one line: a blank line would end the span, and the text after
	// it would be markdown.
	s = caret.String(s)
	f := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return f + " " + s + " " + f
	}
	return f + s + f
}

// cell escapes a table cell.
func cell(s string) string {
	return strings.ReplaceAll(caret.String(strings.ReplaceAll(s, "\n", " ")), "|", `\|`)
}

// fence returns a code fence longer than any backtick run in s.
func fence(s, shortest string) string {
	if n := longestRun(s, '`') + 1; n > len(shortest) {
		return strings.Repeat("`", n)
	}
	return shortest
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}
