package promote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/gitinfo"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/render"
)

// Apps kept from an earlier render. kiln render --app (and Options.Render.
// Apps) renders only the apps it names and keeps the env's others as an
// earlier render wrote them; their kiln.lock.json entries then name the
// source that did (render.LockApp.Source), not the tree's. Promoting such
// an app must not replace what a branch holds of it from a render that is
// not older: kiln/<env> is force-pushed, so a change of that app pending
// in the env's pull request would vanish from it, and on the manifests
// branch it would be rolled back, while the commit and body named a source
// commit that never rendered the app.

// keptConflict is an app kept from an earlier render that a branch holds
// otherwise (keptConflicts), and the line that says how.
type keptConflict struct {
	app, line string
}

// joinConflicts joins the lines of cs for a message.
func joinConflicts(cs []keptConflict) string {
	lines := make([]string, len(cs))
	for i, c := range cs {
		lines[i] = c.line
	}
	return strings.Join(lines, "; ")
}

// keptConflicts lists, one line each, the apps of src kept from an earlier
// render that the env's tree on where (old, its lock oldLock; nil when it
// has none) holds otherwise, from a render the kept copy cannot be shown to
// be newer than: another source commit that is not an ancestor of the kept
// copy's, or the same commit rendered otherwise (other images).
func (r *run) keptConflicts(ctx context.Context, src *source, old map[string][]byte, oldLock *render.Lock) ([]keptConflict, error) {
	if oldLock == nil {
		return nil, nil
	}
	var lines []keptConflict
	for _, app := range render.KeptApps(src.lock) {
		theirs, ok := oldLock.Apps[app]
		if !ok || sameAppFiles(old, src.files, app) {
			continue
		}
		ours := *src.lock.Apps[app].Source
		ts := oldLock.Source
		if theirs.Source != nil {
			ts = *theirs.Source
		}
		why := ""
		switch {
		case ours.Commit == "" || ts.Commit == "":
			why = "a render outside git, which kiln cannot order"
		case ours.Commit == ts.Commit:
			why = "the same commit rendered otherwise: other images or values, or SOPS-encrypted values encrypted again, which gives other ciphertext"
		default:
			older, err := gitinfo.IsAncestor(ctx, r.p.Root, ts.Commit, ours.Commit)
			switch {
			case errors.Is(err, gitinfo.ErrUndecided) && gitinfo.IsShallow(ctx, r.p.Root):
				why = fmt.Sprintf("kiln cannot tell which is newer (%v; with the code repository's history, actions/checkout fetch-depth: 0, it can)", err)
			case errors.Is(err, gitinfo.ErrUndecided):
				// A full clone that lacks a commit: its history was
				// rewritten (a force-push) or the commit is another
				// repository's. More history would not help.
				why = fmt.Sprintf("kiln cannot tell which is newer: %v, though it is no shallow clone (history rewritten by a force-push, or a commit of another repository)", err)
			case err != nil:
				return nil, err
			case older && !ts.Dirty:
				continue
			case !older:
				why = "not older than the kept copy"
			default:
				why = "a render with uncommitted changes"
			}
		}
		lines = append(lines, keptConflict{app, fmt.Sprintf("app %s: kept as rendered at %s, the branch holds it as rendered at %s (%s)", diag.QuotePath(app), sourceName(ours), sourceName(ts), why)})
	}
	return lines, nil
}

// pick is one when n is 1, else many.
func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sourceName names a render's source for messages.
func sourceName(s render.Source) string {
	name := "an unknown commit (outside git)"
	if s.Commit != "" {
		name = diag.QuotePath(short(s.Commit))
	}
	if s.Dirty {
		name += " with uncommitted changes"
	}
	return name
}

// keptAt names each of apps, apps of lock kept from an earlier render
// (render.KeptApps), with the source that rendered it: "web at 1a2b3c4".
func keptAt(lock *render.Lock, apps []string) []string {
	parts := make([]string, len(apps))
	for i, app := range apps {
		// The lock is the manifests branch's: its names and commits are
		// anyone's who can push there, and reach logs and PR bodies.
		parts[i] = diag.QuotePath(app) + " at " + sourceName(*lock.Apps[app].Source)
	}
	return parts
}

// sameAppFiles reports whether two env trees hold the same files of app
// below apps/<app>/ and high-level/<app>/. Its flux/<app>.yaml is left
// out: a kept app's is made anew of kiln.yaml at the tree's source.
func sameAppFiles(a, b map[string][]byte, app string) bool {
	in := func(p string) bool { return inApp(p, app) }
	n := 0
	for p, data := range a {
		if !in(p) {
			continue
		}
		n++
		if o, ok := b[p]; !ok || !bytes.Equal(o, data) {
			return false
		}
	}
	for p := range b {
		if in(p) {
			n--
		}
	}
	return n == 0
}

// refuseKept refuses to replace the env's tree on where (a branch: the
// manifests branch, or kiln/<env> holding the open pull request) when
// lines, keptConflicts or keptConflictsAt of that branch's tree, name an
// app it holds otherwise than the copy this tree kept from an earlier
// render, and not from an older render. Both branches share it: they
// differ only in how their tree is read, and the refusal must read the
// same for either. err, from reading the tree, passes through.
func (r *run) refuseKept(src *source, where string, lines []keptConflict, err error) error {
	if err != nil || len(lines) == 0 {
		return err
	}
	apps := make([]string, len(lines))
	for i, c := range lines {
		apps[i] = c.app
	}
	what := where + " (the manifests branch)"
	if where != r.base {
		what = where + " (the env's pull request)"
	}
	msg := fmt.Sprintf("env %s: %s holds %s as another render made %s, which this tree would replace with %s kept from an earlier render (only the apps kiln render --app named were rendered at %s): %s",
		r.env.Name, what, words.First(apps, 5), pick(len(apps), "it", "them"), pick(len(apps), "a copy", "copies"),
		sourceName(src.lock.Source), joinConflicts(lines))
	hint := fmt.Sprintf("render %s at this commit too, or the whole env, and promote again", strings.Join(apps, ", "))
	if r.opts.Rendered != "" {
		hint = fmt.Sprintf("render %s at this commit too (kiln render --env %s --app %s --out %s) or the whole env (without --app), and promote again",
			pick(len(apps), "it", "them"), r.env.Name, strings.Join(apps, " --app "), r.opts.Rendered)
	} else if len(r.opts.Render.Apps) > 0 {
		hint = fmt.Sprintf("add %s to the apps promote renders (Options.Render.Apps), or render the whole env, and promote again", strings.Join(apps, ", "))
	}
	return &diag.Error{Msg: msg, Hint: hint}
}

// checkFromKept refuses to promote from an env whose lock (from's) keeps
// apps from renders at other sources than its own (kiln render --app):
// the next env is rendered from the lock's commit, so those apps would
// not be what the env judged healthy runs.
func (r *run) checkFromKept(lock *render.Lock) error {
	kept := render.KeptApps(lock)
	if len(kept) == 0 {
		return nil
	}
	parts := keptAt(lock, kept)
	c := short(lock.Source.Commit)
	return &diag.Error{
		Msg: fmt.Sprintf("env %s runs %s kept from earlier renders (kiln render --app) at other commits than its source commit %s (its kiln.lock.json): %s; %s rendered from %s would not get what %s runs",
			r.from, words.Count(len(kept), "app"), c, words.First(parts, 5), r.env.Name, c, r.from),
		Hint: fmt.Sprintf("promote env %s rendered whole at one commit (kiln promote --env %s, or --rendered of a render without --app), and promote from it once it is healthy", r.from, r.from)}
}

// keptConflictsAt is keptConflicts against the env's tree at tip's commit
// (the tip of kiln/<env>; none when ""), with the lock tip read there.
func (r *run) keptConflictsAt(ctx context.Context, src *source, tip tipLock) ([]keptConflict, error) {
	if tip.commit == "" || len(render.KeptApps(src.lock)) == 0 {
		return nil, nil
	}
	t, err := r.repo.Tree(ctx, tip.commit, r.dir)
	if err != nil {
		return nil, r.gitErr("reading "+r.dir+" from", err)
	}
	lock, perr := tip.lock, tip.perr
	if data, ok := t[render.LockFile]; ok && lock == nil && perr == nil {
		// tipLockAt could not read the lock that the tree holds (git
		// failed on that one file): judge the tree's copy, as a lock
		// that is there must never pass as one that is not.
		lock, perr = render.ParseLock(data)
	}
	if perr == nil {
		return r.keptConflicts(ctx, src, t, lock)
	}
	// A lock that does not parse (a hand edit, a merge conflict) names
	// no render: each kept app the branch holds otherwise is one kiln
	// cannot show older, and replacing it could drop a pending change.
	var lines []keptConflict
	for _, app := range render.KeptApps(src.lock) {
		if !holdsApp(t, app) || sameAppFiles(t, src.files, app) {
			continue
		}
		lines = append(lines, keptConflict{app, fmt.Sprintf("app %s: kept as rendered at %s, the branch holds it otherwise, and its %s does not parse (%v), so kiln cannot tell which render made it",
			diag.QuotePath(app), sourceName(*src.lock.Apps[app].Source), render.LockFile, perr)})
	}
	return lines, nil
}

// holdsApp reports whether the env tree t holds files of app.
func holdsApp(t map[string][]byte, app string) bool {
	for p := range t {
		if inApp(p, app) {
			return true
		}
	}
	return false
}

// inApp reports whether the tree path p is one of app's own files, below
// apps/<app>/ or high-level/<app>/.
func inApp(p, app string) bool {
	return strings.HasPrefix(p, "apps/"+app+"/") || strings.HasPrefix(p, "high-level/"+app+"/")
}
