package promote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/caret"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/promote/internal/gh"
	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/render"
)

// StatusContext is the commit status context Flux's notification-controller
// posts for one app of one env (see flux/notifications.yaml).
func StatusContext(env, app string) string { return "kiln/" + env + "/" + app }

// GateError is a promotion gate not met: the previous env is not healthy
// (yet) on the manifests branch's head commit. kiln exits with 3.
type GateError struct {
	// Env is the env promoted from.
	Env string
	// Commit is the manifests commit whose statuses were read: the
	// branch's head at the last poll.
	Commit string
	// Branch is the manifests branch.
	Branch string
	// Judged counts the distinct heads of Branch the gate judged; more
	// than one when the branch moved while it waited.
	Judged int
	// Failed are apps whose status is failure or error.
	Failed []GateApp
	// Pending are apps whose status is pending or not there yet.
	Pending []GateApp
	// Waited is how long the gate polled.
	Waited time.Duration
	// Cut says that --wait ran out in the middle of a poll, and what kiln
	// was waiting on then: GitHub's rate limit, a commit GitHub did not
	// know yet, an answer or a fetch that had not come. "" when the wait
	// ran out between polls.
	Cut string
	// Unread is set when no poll read the statuses of Commit before the
	// wait ran out: Pending are then all the apps of its lock, their
	// states unknown.
	Unread bool
	// hint replaces the pending apps' hint when the wait was cut.
	hint string
}

// ShowWhole: every line names one app of kiln.yaml and a status
// description GitHub bounds (140 characters), so the text is shown whole,
// its hint included (diag.Whole).
func (e *GateError) ShowWhole() {}

// GateApp is one app's status.
type GateApp struct {
	// App is the app's name.
	App string
	// State is GitHub's status state, or "" when there is none. A pending
	// app's is "success" when Flux said by it that the app applied
	// nothing yet (notApplied).
	State string
	// Description is what Flux said: its event's reason, in words
	// ("health check failed"), not its message.
	Description string
	// BlockedBy are the failed apps this pending app depends on, directly
	// or transitively: Flux does not reconcile it until they are ready.
	BlockedBy []string
}

func (e *GateError) Error() string {
	var b strings.Builder
	if len(e.Failed) > 0 {
		fmt.Fprintf(&b, "env %s is not healthy on commit %s%s:", e.Env, short(e.Commit), e.moved())
		for _, a := range e.Failed {
			fmt.Fprintf(&b, "\n  app %s: %s", a.App, a.State)
			if a.Description != "" {
				fmt.Fprintf(&b, ": %s", a.Description)
			}
		}
		for _, a := range e.Pending {
			if len(a.BlockedBy) > 0 {
				fmt.Fprintf(&b, "\n  app %s: not reconciled: it depends on %s, which failed", a.App, strings.Join(a.BlockedBy, ", "))
			}
		}
		fmt.Fprintf(&b, "\n  hint: fix %s in env %s (flux get kustomizations shows Flux's view), then promote again", names(e.Failed), e.Env)
		return b.String()
	}
	fmt.Fprintf(&b, "env %s is not healthy yet on commit %s%s: no successful status for app", e.Env, short(e.Commit), e.moved())
	if len(e.Pending) > 1 {
		b.WriteString("s")
	}
	b.WriteString(" " + names(e.Pending))
	var none, pending []string
	var reasons []string            // the notApplied descriptions met, in order
	notYet := map[string][]string{} // description -> apps
	for _, a := range e.Pending {
		switch {
		case a.State == "":
			none = append(none, a.App)
		case a.State == "success":
			if notYet[a.Description] == nil {
				reasons = append(reasons, a.Description)
			}
			notYet[a.Description] = append(notYet[a.Description], a.App)
		default:
			pending = append(pending, a.App)
		}
	}
	var parts []string
	if len(pending) > 0 {
		parts = append(parts, "pending: "+list(pending))
	}
	for _, r := range reasons {
		// A success that says Flux applied nothing yet (notApplied).
		parts = append(parts, "success but "+r+", so not applied yet: "+list(notYet[r]))
	}
	if len(none) > 0 {
		parts = append(parts, "no status yet: "+list(none))
	}
	if e.Unread {
		parts, none = []string{"statuses not read"}, nil
	}
	fmt.Fprintf(&b, " (%s)", strings.Join(parts, "; "))
	if e.Waited > 0 {
		fmt.Fprintf(&b, " after waiting %s", e.Waited)
	}
	if e.Cut != "" {
		fmt.Fprintf(&b, "; %s", e.Cut)
	}
	hint := "wait until Flux has reconciled env " + e.Env + ", or pass --wait 10m to poll"
	if e.Cut != "" {
		hint = cmp.Or(e.hint, "run again later, or pass a longer --wait")
	}
	if len(none) > 0 {
		// A suspended Kustomization reconciles nothing, so Flux posts no
		// status for it on a new commit: the gate would wait in vain.
		// An older Flux cannot apply notifications.yaml at all (its
		// Provider has no commitStatusExpr), so none is ever posted.
		// notification-controller v1.8 (Flux 2.8) drops error events for
		// git providers (v1.8.0 every event of a Kustomization), so a
		// failed app there has no status rather than a failure.
		hint += "; statuses come from flux/notifications.yaml (notifications.commitStatus: true in kiln.yaml), whose github Provider sets commitStatusExpr, which needs Flux 2.6 or later (an older Flux fails to apply the file: flux get kustomizations shows why); Flux 2.8 posts no failure status (2.8.0 none at all), so there an app that failed has none: flux get kustomizations shows it failing, Flux 2.9 posts it; and a suspended Kustomization posts none: flux get kustomizations shows SUSPENDED, flux resume kustomization resumes it"
	}
	fmt.Fprintf(&b, "\n  hint: %s", hint)
	return b.String()
}

// moved says that the commit is the branch's newest head when the branch
// moved while the gate waited.
func (e *GateError) moved() string {
	if e.Judged <= 1 {
		return ""
	}
	return fmt.Sprintf(" (the head of %s, which moved %d times while kiln waited)", e.Branch, e.Judged-1)
}

func names(apps []GateApp) string {
	n := make([]string, len(apps))
	for i, a := range apps {
		n[i] = a.App
	}
	return list(n)
}

// maxListed bounds how many app names one list in a message shows: with
// hundreds of apps the message would drown the point.
const maxListed = 20

func list(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

// notApplied are the descriptions of the success statuses Flux posts for
// a reconcile that applied nothing. notification-controller before v1.8
// (Flux 2.6 and 2.7) posts every info event of a Kustomization that is not
// progressing as success, its reason as the description
// (internal/notifier/github.go, Post), and kustomize-controller emits one
// when a dependency is not ready (Reconcile: DependencyNotReady, with the
// new revision) and, from v1.8, when a newer revision cancels the health
// checks (HealthCheckCanceled). Such a success says the app has not applied
// the commit yet: with flux.bootstrap every app posts it on each new commit
// until the bootstrap has applied it, and the gate would pass before any
// app ran. Only "reconciliation succeeded" (the Ready event) says it ran.
var notApplied = map[string]bool{
	"dependency not ready":  true,
	"health check canceled": true,
}

// judged is what the gate found healthy: the previous env's lock on the
// manifests commit whose statuses were all successful.
type judged struct {
	lock *render.Lock
	// commit is the manifests branch head that was judged.
	commit string
	// heads are the branches as fetched for that poll.
	heads map[string]string
	// files are the env folder's own files on commit (ownFiles).
	files map[string][]byte
}

// waitGrace is how long past the end of --wait the gate lets the step in
// flight then (a status read, a fetch of the manifests branch) run before
// it cuts it: a poll may start at the deadline itself.
const waitGrace = 10 * time.Second

// githubTroubleHint is the hint of a wait that ran out on GitHub's API
// failing or limiting kiln, during the client's retries or after them.
const githubTroubleHint = githubDownHint + ", or pass a longer --wait"

// githubDownHint is the hint of a GitHub request that failed for
// GitHub's trouble (gh.Transient), which no setting or token mends.
const githubDownHint = githubDown + ": run again later"

// githubDown says that GitHub, not the token, failed a request.
const githubDown = "GitHub's API failed or limited kiln's requests (not a matter of the token)"

// statusReadHint is the hint of a status read that failed for a reason
// asking again does not mend.
const statusReadHint = "check manifests.github and that the token may read statuses (statuses: read)"

// refusedHint is the hint for a fetch of the manifests repository that
// the host refused for good, "" for any other failure.
func refusedHint(err error) string {
	switch {
	case errors.Is(err, gitrepo.ErrDenied):
		return "the manifests repository took kiln's credentials at the first fetch and refuses them now: the token (--token or GITHUB_TOKEN) expired, was revoked or lost its access to manifests.repo (for an ssh URL, the key did); give one that may read and push to it (contents: write), and promote again"
	case errors.Is(err, gitrepo.ErrNoRepository):
		return "manifests.repo names no repository any more: it was deleted, renamed or moved while the gate waited, or the token may no longer read it (GitHub answers so for a private repository); point manifests.repo in kiln.yaml at where it is now, or give a token that may read it, and promote again"
	}
	return ""
}

// lagHint is the hint for a commit that git fetched and GitHub's API does
// not know.
const lagHint = "if the commit was pushed a moment ago, run again; otherwise check that manifests.github names the repository manifests.repo points at, and that the token may read its statuses"

// gate waits (up to Wait) until every app in the previous env's
// kiln.lock.json has a successful status on the manifests branch's head.
// Flux applies only the newest commit it sees, so an intermediate commit
// may never get statuses: every poll fetches the branch again and judges
// its newest head, reading the lock from that same commit. A failure ends
// the wait at once. heads are the branches as the caller fetched them,
// used for the first poll.
//
// Wait bounds all of it: the GitHub client's own retries (a rate limit
// may ask for minutes) start no pause past its end, and a fetch or a
// status read still running waitGrace after it is cut. The wait running
// out in the middle of a poll is a GateError, as between polls.
func (r *run) gate(ctx context.Context, branch string, heads map[string]string) (*judged, error) {
	from := r.from
	client, err := r.github()
	if err != nil {
		return nil, err
	}
	start := r.opts.Now()
	deadline := start.Add(r.opts.Wait)
	var seen []string // heads judged, oldest first
	// What readFrom found at the last head read: a commit's folder never
	// changes, so polls of an unmoved branch read and check it once.
	var readAt string
	var lock *render.Lock
	var deps map[string][]string
	var files map[string][]byte // the folder's own files at readAt
	var apps []string           // the apps of the lock on the latest head
	var last *GateError         // the latest poll's verdict on pending apps
	// ranOut is the verdict when the wait runs out in the middle of a
	// poll of tip: what the latest reading of tip's statuses left pending,
	// or, when none read them, every app of its lock.
	ranOut := func(tip, cut, hint string) *GateError {
		ge := &GateError{Env: from, Commit: tip, Branch: r.base, Judged: len(seen), Cut: cut, hint: hint,
			Waited: r.opts.Now().Sub(start).Round(time.Second)}
		if last != nil && last.Commit == tip {
			ge.Pending = last.Pending
			return ge
		}
		ge.Unread = true
		for _, app := range apps {
			ge.Pending = append(ge.Pending, GateApp{App: app})
		}
		return ge
	}
	for polls := 0; ; polls++ {
		if polls > 0 {
			fctx, cancel := r.bound(ctx, deadline)
			fetched, err := r.repo.Fetch(fctx, r.base, branch)
			cancel()
			if r.cut(ctx, fctx, err) {
				return nil, ranOut(heads[r.base], fmt.Sprintf("--wait %s ran out while git fetched the manifests branch %s", r.opts.Wait, r.base),
					"run again later, or pass a longer --wait; check that the manifests repository answers (manifests.repo)")
			}
			if hint := refusedHint(err); hint != "" && ctx.Err() == nil {
				// The host refused the fetch for good (the token expired
				// or lost its access, the repository is gone): no later
				// poll mends it, so the wait ends now, exit 1, as a
				// failure that is not the wait running out.
				return nil, &diag.Error{Msg: fmt.Sprintf("fetching the manifests branch %s of %s again, %s into --wait %s: %v", r.base, r.repo.Remote, r.opts.Now().Sub(start).Round(time.Second), r.opts.Wait, err), Err: err,
					Hint: hint}
			}
			if err != nil && ctx.Err() == nil && r.anotherPoll(deadline) {
				// The same fetch worked when the gate began, so a later
				// failure that is no refusal is the network's or the
				// host's passing trouble (as GitHub's API failing,
				// below): ask again at the next poll while the wait lasts.
				if err := r.pollAgain(ctx, fmt.Sprintf("fetching the manifests branch %s failed: %v", r.base, err)); err != nil {
					return nil, err
				}
				continue
			}
			if err != nil && ctx.Err() == nil {
				// No time left for another poll: the wait ran out on the
				// fetch's failure, as when it runs out during the fetch
				// (cut, above); git's answer goes to the log.
				fmt.Fprintf(r.log, "fetching the manifests branch %s failed: %v\n", r.base, err)
				return nil, ranOut(heads[r.base], fmt.Sprintf("--wait %s runs out before kiln's next poll, and git failed this one's fetch of the manifests branch %s (logged above)", r.opts.Wait, r.base),
					"run again later, or pass a longer --wait; check that the manifests repository answers (manifests.repo)")
			}
			if err != nil {
				return nil, r.gitErr("fetching", err)
			}
			heads = fetched
		}
		tip := heads[r.base]
		if tip == "" {
			return nil, &diag.Error{Msg: fmt.Sprintf("the manifests branch %s is gone, so env %s has no kiln.lock.json to promote from", r.base, from),
				Hint: "promote env " + from + " first: kiln promote --env " + from}
		}
		if len(seen) == 0 || seen[len(seen)-1] != tip {
			if len(seen) > 0 {
				fmt.Fprintf(r.log, "the manifests branch %s moved to %s; judging env %s there\n", r.base, short(tip), from)
			}
			seen = append(seen, tip)
		}
		if tip != readAt {
			if lock, deps, files, err = r.readFrom(ctx, tip); err != nil {
				return nil, err
			}
			readAt = tip
		}
		apps = make([]string, 0, len(lock.Apps))
		for app := range lock.Apps {
			apps = append(apps, app)
		}
		sort.Strings(apps)
		sctx, cancel := r.bound(ctx, deadline)
		statuses, err := client.Statuses(sctx, r.owner, r.name, tip)
		cancel()
		var lag *gh.UnknownCommitError
		var late *gh.DeadlineError
		switch {
		case err != nil && ctx.Err() != nil:
			// Interrupted, or the caller's own deadline: not the wait
			// running out, and no fault of GitHub's or the token's.
			return nil, ctx.Err()
		case errors.As(err, &late) && late.Err != nil && !errors.As(late.Err, &lag) && !gh.Transient(late.Err):
			// The client pauses after any failure to reach GitHub, and
			// one that asking again does not mend (a host that does not
			// resolve, a certificate that does not verify) ends the gate
			// as when the retries end within the wait (below): exit 1,
			// whatever the wait, and not GitHub's trouble nor the
			// token's.
			return nil, &diag.Error{Msg: fmt.Sprintf("reading the commit statuses of %s on %s/%s: %v", short(tip), r.owner, r.name, late.Err), Err: err,
				Hint: r.apiHint(err, statusReadHint)}
		case errors.As(err, &late):
			// Else the client paused for a lag (above) or GitHub failing
			// or limiting it.
			hint := githubTroubleHint
			if errors.As(err, &lag) {
				hint = lagHint
			}
			return nil, ranOut(tip, fmt.Sprintf("--wait %s runs out before kiln's next request to GitHub: %s", r.opts.Wait, late.Waiting), hint)
		case r.cut(ctx, sctx, err):
			return nil, ranOut(tip, fmt.Sprintf("--wait %s ran out while kiln waited for GitHub's answer to the status read of %s", r.opts.Wait, short(tip)), "")
		case errors.As(err, &lag):
			// git has the commit, GitHub's API does not: it lags a moment
			// behind a push (the client asked again, with backoff), or
			// manifests.github names another repository.
			return nil, &diag.Error{Msg: fmt.Sprintf("the manifests branch %s is at commit %s, which git fetched, but GitHub's API for %s/%s does not know it: %v", r.base, short(tip), r.owner, r.name, err), Err: err,
				Hint: lagHint}
		}
		if err != nil && gh.Transient(err) && ctx.Err() == nil {
			// GitHub failing or limiting kiln after the client's own
			// retries (an incident, a rate limit) says nothing of env
			// from's health, and the token is not at fault: within
			// --wait, ask again at the next poll, as for a pending app.
			msg := fmt.Sprintf("reading the commit statuses of %s on %s/%s: %v", short(tip), r.owner, r.name, err)
			if r.opts.Wait > 0 && r.anotherPoll(deadline) {
				if err := r.pollAgain(ctx, msg); err != nil {
					return nil, err
				}
				continue
			}
			if r.opts.Wait > 0 {
				// The client's retries ended with no time left for
				// another poll: the wait ran out on GitHub's failure,
				// as when it runs out during those retries (late,
				// above), and whether the last pause fell just inside
				// the wait or past it is no reason to exit otherwise.
				// GitHub's answer goes to the log: the verdict is
				// shown whole, and that answer is GitHub's text.
				fmt.Fprintf(r.log, "%s\n", msg)
				return nil, ranOut(tip, fmt.Sprintf("--wait %s runs out before kiln's next poll, and GitHub's API failed this one's status read of %s (logged above)", r.opts.Wait, short(tip)),
					githubTroubleHint)
			}
			return nil, &diag.Error{Msg: msg, Err: err,
				Hint: githubDownHint + "; with --wait kiln asks again at every poll until the wait runs out"}
		}
		if err != nil {
			return nil, &diag.Error{Msg: fmt.Sprintf("reading the commit statuses of %s on %s/%s: %v", short(tip), r.owner, r.name, err), Err: err,
				Hint: r.apiHint(err, statusReadHint)}
		}
		latest := map[string]GateApp{}
		for _, s := range statuses {
			// Anyone with statuses: write may post the context, and the
			// verdict is shown whole: a line feed in the description
			// would start a line of the poster's own (a fake verdict, a
			// workflow command in GitHub Actions' log), so it is shown
			// in caret notation, as an escape sequence is.
			latest[s.Context] = GateApp{State: s.State, Description: caret.String(s.Description)}
		}
		ge := &GateError{Env: from, Commit: tip, Branch: r.base, Judged: len(seen)}
		failed := map[string]bool{}
		for _, app := range apps {
			st := latest[StatusContext(from, app)]
			st.App = app
			switch {
			case st.State == "success" && !notApplied[st.Description]:
			case st.State == "failure" || st.State == "error":
				ge.Failed = append(ge.Failed, st)
				failed[app] = true
			default:
				ge.Pending = append(ge.Pending, st)
			}
		}
		if len(ge.Failed) > 0 {
			// Flux does not reconcile an app while a dependency is not
			// ready, so an app waiting on a failed one never gets a
			// status: name the failure it waits on.
			for i, a := range ge.Pending {
				ge.Pending[i].BlockedBy = failedDeps(a.App, deps, failed)
			}
			return nil, ge
		}
		if len(ge.Pending) == 0 {
			fmt.Fprintf(r.log, "env %s is healthy on %s (%d apps); promoting the release in its lock there (source %s)\n",
				from, short(tip), len(apps), short(lock.Source.Commit))
			return &judged{lock: lock, commit: tip, heads: heads, files: files}, nil
		}
		now := r.opts.Now()
		if now.Add(r.opts.PollInterval).After(deadline) {
			if r.opts.Wait > 0 {
				ge.Waited = now.Sub(start).Round(time.Second)
			}
			return nil, ge
		}
		last = ge
		fmt.Fprintf(r.log, "waiting for env %s on %s: %s not healthy yet\n", from, short(tip), names(ge.Pending))
		if err := r.opts.Sleep(ctx, r.opts.PollInterval); err != nil {
			return nil, err
		}
	}
}

// bound returns the context of one step of a poll under --wait, which
// ends at deadline: the GitHub client starts no pause that would end after
// it, and the step is cut waitGrace after it. Without --wait it is ctx.
func (r *run) bound(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if r.opts.Wait <= 0 {
		return ctx, func() {}
	}
	ctx = gh.WithRetryDeadline(ctx, deadline)
	if !r.realClock {
		// A fake clock (Options.Now) names no real moment to cut a
		// step at; the pauses it drives are bounded all the same.
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, deadline.Add(cmp.Or(r.opts.waitGrace, waitGrace)))
}

// cut reports whether a step of a poll failed with err because its
// context from bound ran out, not because ctx, the caller's, ended.
func (r *run) cut(ctx, step context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && errors.Is(step.Err(), context.DeadlineExceeded)
}

// anotherPoll reports whether a poll after the next interval still falls
// within the wait, which ends at deadline.
func (r *run) anotherPoll(deadline time.Time) bool {
	return !r.opts.Now().Add(r.opts.PollInterval).After(deadline)
}

// pollAgain logs why the gate asks again, passing trouble it waits out,
// and sleeps until the next poll.
func (r *run) pollAgain(ctx context.Context, why string) error {
	fmt.Fprintf(r.log, "%s; asking again in %s\n", why, r.opts.PollInterval)
	return r.opts.Sleep(ctx, r.opts.PollInterval)
}

// readFrom reads the previous env's lock at the manifests commit tip, the
// dependsOn of its apps' Kustomizations there (app → apps it depends on),
// as Flux sees them, and the folder's own files (ownFiles), which
// checkFromOwn holds to what kiln makes of them.
func (r *run) readFrom(ctx context.Context, tip string) (*render.Lock, map[string][]string, map[string][]byte, error) {
	from := r.from
	dir, err := envPath(r.p, from)
	if err != nil {
		return nil, nil, nil, err
	}
	lockPath := path.Join(dir, "kiln.lock.json")
	data, err := r.repo.ReadFile(ctx, tip, lockPath)
	if errors.Is(err, fs.ErrNotExist) {
		hint := fmt.Sprintf("promote env %s first (kiln promote --env %s)", from, from)
		// An env with mode: push has no pull request to merge.
		if i := slices.IndexFunc(r.p.Environments, func(e envconfig.Environment) bool { return e.Name == from }); i < 0 || r.p.Environments[i].Mode != ModePush {
			hint += " and merge its pull request"
		}
		return nil, nil, nil, &diag.Error{Msg: fmt.Sprintf("env %s has no %s on the manifests branch %s", from, lockPath, r.base), Hint: hint}
	}
	if err != nil {
		return nil, nil, nil, r.gitErr("reading "+lockPath+" from", err)
	}
	lock, err := render.ParseLock(data)
	if err != nil {
		return nil, nil, nil, &diag.Error{File: lockPath, Msg: err.Error(), Err: err,
			Hint: "promote env " + from + " again so that kiln rewrites its kiln.lock.json"}
	}
	// The gate judges the apps the lock names, so a lock that names none
	// (all of the env's apps disabled, or a file edited by hand) would
	// pass it having judged nothing, and a lock written for another env
	// would have it judge the wrong statuses. Either way no health backs
	// the promotion.
	if lock.Env != from {
		return nil, nil, nil, &diag.Error{File: lockPath, Msg: fmt.Sprintf("the lock on %s says it was rendered for env %q, not %s, so the gate cannot judge env %s by it", short(tip), lock.Env, from, from),
			Hint: fmt.Sprintf("promote env %s again (kiln promote --env %s) so that kiln rewrites its kiln.lock.json", from, from)}
	}
	if len(lock.Apps) == 0 {
		return nil, nil, nil, &diag.Error{File: lockPath, Msg: fmt.Sprintf("env %s has no apps on %s, so no status shows that the release works there", from, short(tip)),
			Hint: fmt.Sprintf("enable an app in env %s and promote it first, or promote env %s without --from to render it from the checked-out source", from, r.env.Name)}
	}
	if err := r.checkOneFolder(ctx, tip, lockPath, lock); err != nil {
		return nil, nil, nil, err
	}
	// One read of the whole folder, every app's Kustomization with it: a
	// poll of hundreds of apps must not start hundreds of git processes.
	files, err := r.repo.Tree(ctx, tip, dir)
	if err != nil {
		return nil, nil, nil, r.gitErr("reading "+dir+" from", err)
	}
	files = ownFiles(files)
	// The statuses say that Flux ran the folder on tip, and the promotion
	// hands on the release its lock records: the two are one only while
	// the folder is what kiln wrote with that lock. A commit of others
	// after kiln's (a hotfix that sets an image back, a file added by
	// hand) would have the gate pass on a folder that is not the release
	// it promotes. The secret values are not read here: the files that
	// hold one are held to their names (render.CheckTree).
	changed := "a commit of others changed it"
	if render.OlderLock(lock) {
		changed += ", or its lock is an older kiln's, which holds entries or image keys this kiln checks otherwise"
	}
	if err := render.CheckTree(files, lock, nil, render.BootstrapDirs(r.p), dir,
		fmt.Sprintf("the folder of env %s on commit %s of the manifests branch %s is not what kiln wrote with its kiln.lock.json (%s), so its statuses do not show that the release in its lock works there; make the change in the source repository and promote env %s again (kiln promote --env %s), or revert the commit that changed the folder, then promote from it once healthy", from, short(tip), r.base, changed, from, from)); err != nil {
		return nil, nil, nil, err
	}
	type key struct{ ns, name string }
	byName := map[key]string{}
	dependsOn := map[string][]key{}
	for app := range lock.Apps {
		data, ok := files["flux/"+app+".yaml"]
		if !ok {
			// No Kustomization (an older layout or a hand edit): the
			// app's dependencies are unknown, which only costs the
			// naming of a failed dependency.
			continue
		}
		var k kustomizev1.Kustomization
		if err := yaml.Unmarshal(data, &k); err != nil {
			continue
		}
		byName[key{k.Namespace, k.Name}] = app
		for _, d := range k.Spec.DependsOn {
			ns := d.Namespace
			if ns == "" {
				ns = k.Namespace
			}
			dependsOn[app] = append(dependsOn[app], key{ns, d.Name})
		}
	}
	deps := map[string][]string{}
	for app, ks := range dependsOn {
		for _, k := range ks {
			if dep, ok := byName[k]; ok {
				deps[app] = append(deps[app], dep)
			}
		}
		sort.Strings(deps[app])
	}
	return lock, deps, files, nil
}

// checkOneFolder refuses to judge the previous env by its statuses when
// another folder of the manifests repository at tip holds a kiln.lock.json
// of that env naming one of its apps too: manifests.path changed, and
// the old folder was left. A status kiln/<env>/<app>
// names the app's Kustomization, not the folder it applies, so until the
// cluster's bootstrap points at the new folder, its Kustomizations of the
// same names go on applying the old one and report success on every new
// commit: the gate would pass a release the env never ran. A folder of
// another pipeline's env of the same name with other apps (another code
// repository promoting into the same manifests repository) posts other
// statuses and does not count.
func (r *run) checkOneFolder(ctx context.Context, tip, lockPath string, lock *render.Lock) error {
	paths, err := r.repo.Named(ctx, tip, render.LockFile)
	if err != nil {
		return r.gitErr("listing the "+render.LockFile+" files of", err)
	}
	var others []string
	for _, p := range paths {
		if p == lockPath {
			continue
		}
		data, err := r.repo.ReadFile(ctx, tip, p)
		if err != nil {
			return r.gitErr("reading "+p+" from", err)
		}
		l, err := render.ParseLock(data)
		if err != nil || l.Env != r.from {
			continue
		}
		for app := range l.Apps {
			if _, ok := lock.Apps[app]; ok {
				others = append(others, path.Dir(p))
				break
			}
		}
	}
	if len(others) == 0 {
		return nil
	}
	return &diag.Error{File: lockPath,
		Msg: fmt.Sprintf("env %s has a kiln.lock.json in %s and also in %s on %s, with apps of the same names: the statuses kiln/%s/<app> name Kustomizations, not the folder they apply, so they cannot show that env %s runs the release in %s",
			r.from, path.Dir(lockPath), strings.Join(others, ", "), short(tip), r.from, r.from, path.Dir(lockPath)),
		Hint: fmt.Sprintf("point the cluster of env %s at %s/flux (flux bootstrap --path %s/flux), then delete %s in a commit of your own, and promote again", r.from, path.Dir(lockPath), path.Dir(lockPath), strings.Join(others, ", "))}
}

// ownFiles drops from files, an env's folder, those of other envs' folders
// nested in it (each holds a kiln.lock.json): another pipeline's
// promotions, which are not this env's to judge (inEnv).
func ownFiles(files map[string][]byte) map[string][]byte {
	var nested []string
	for p := range files {
		if d, ok := strings.CutSuffix(p, "/"+render.LockFile); ok {
			nested = append(nested, d+"/")
		}
	}
	if len(nested) == 0 {
		return files
	}
	own := make(map[string][]byte, len(files))
	for p, data := range files {
		if !slices.ContainsFunc(nested, func(d string) bool { return strings.HasPrefix(p, d) }) {
			own[p] = data
		}
	}
	return own
}

// failedDeps returns the failed apps that app waits on, directly or
// through other dependencies, sorted.
func failedDeps(app string, deps map[string][]string, failed map[string]bool) []string {
	seen := map[string]bool{app: true}
	var out []string
	queue := []string{app}
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		for _, d := range deps[a] {
			if seen[d] {
				continue
			}
			seen[d] = true
			if failed[d] {
				out = append(out, d)
				continue
			}
			queue = append(queue, d)
		}
	}
	sort.Strings(out)
	return out
}
