package promote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/kiln-gitops/kiln/internal/diag"
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
	// Commit is the manifests commit whose statuses were read.
	Commit string
	// Failed are apps whose status is failure or error.
	Failed []GateApp
	// Pending are apps whose status is pending or not there yet.
	Pending []GateApp
	// Waited is how long the gate polled.
	Waited time.Duration
}

// GateApp is one app's status.
type GateApp struct {
	// App is the app's name.
	App string
	// State is GitHub's status state, or "" when there is none.
	State string
	// Description is what Flux said.
	Description string
}

func (e *GateError) Error() string {
	var b strings.Builder
	if len(e.Failed) > 0 {
		fmt.Fprintf(&b, "env %s is not healthy on commit %s:", e.Env, short(e.Commit))
		for _, a := range e.Failed {
			fmt.Fprintf(&b, "\n  app %s: %s", a.App, a.State)
			if a.Description != "" {
				fmt.Fprintf(&b, ": %s", a.Description)
			}
		}
		fmt.Fprintf(&b, "\n  hint: fix %s in env %s (flux get kustomizations shows Flux's view), then promote again", names(e.Failed), e.Env)
		return b.String()
	}
	fmt.Fprintf(&b, "env %s is not healthy yet on commit %s: no successful status for app", e.Env, short(e.Commit))
	if len(e.Pending) > 1 {
		b.WriteString("s")
	}
	b.WriteString(" " + names(e.Pending))
	var none, pending []string
	for _, a := range e.Pending {
		if a.State == "" {
			none = append(none, a.App)
		} else {
			pending = append(pending, a.App)
		}
	}
	var parts []string
	if len(pending) > 0 {
		parts = append(parts, "pending: "+strings.Join(pending, ", "))
	}
	if len(none) > 0 {
		parts = append(parts, "no status yet: "+strings.Join(none, ", "))
	}
	fmt.Fprintf(&b, " (%s)", strings.Join(parts, "; "))
	if e.Waited > 0 {
		fmt.Fprintf(&b, " after waiting %s", e.Waited)
	}
	hint := "wait until Flux has reconciled env " + e.Env + ", or pass --wait 10m to poll"
	if len(none) > 0 {
		hint += "; statuses come from flux/notifications.yaml (notifications.commitStatus: true in kiln.yaml)"
	}
	fmt.Fprintf(&b, "\n  hint: %s", hint)
	return b.String()
}

func names(apps []GateApp) string {
	n := make([]string, len(apps))
	for i, a := range apps {
		n[i] = a.App
	}
	return strings.Join(n, ", ")
}

// gate reads the previous env's kiln.lock.json from the manifests branch
// at tip and waits (up to Wait) until every app in it has a successful
// status on tip. It returns the lock.
func (r *run) gate(ctx context.Context, tip string) (*render.Lock, error) {
	from := r.from
	lockPath := path.Join(envPath(r.p, from), "kiln.lock.json")
	data, err := r.repo.ReadFile(ctx, tip, lockPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &diag.Error{Msg: fmt.Sprintf("env %s has no %s on the manifests branch %s", from, lockPath, r.base),
			Hint: fmt.Sprintf("promote env %s first (kiln promote --env %s) and merge its pull request", from, from)}
	}
	if err != nil {
		return nil, r.gitErr("reading "+lockPath+" from", err)
	}
	lock, err := render.ParseLock(data)
	if err != nil {
		return nil, &diag.Error{File: lockPath, Msg: err.Error(), Err: err,
			Hint: "promote env " + from + " again so that kiln rewrites its kiln.lock.json"}
	}
	apps := make([]string, 0, len(lock.Apps))
	for app := range lock.Apps {
		apps = append(apps, app)
	}
	sort.Strings(apps)
	client, err := r.github()
	if err != nil {
		return nil, err
	}
	start := r.opts.Now()
	deadline := start.Add(r.opts.Wait)
	for {
		statuses, err := client.Statuses(ctx, r.owner, r.name, tip)
		if err != nil {
			return nil, &diag.Error{Msg: fmt.Sprintf("reading the commit statuses of %s on %s/%s: %v", short(tip), r.owner, r.name, err), Err: err,
				Hint: "check manifests.github and that the token may read statuses (statuses: read)"}
		}
		latest := map[string]GateApp{}
		for _, s := range statuses {
			latest[s.Context] = GateApp{State: s.State, Description: s.Description}
		}
		ge := &GateError{Env: from, Commit: tip}
		for _, app := range apps {
			st := latest[StatusContext(from, app)]
			st.App = app
			switch st.State {
			case "success":
			case "failure", "error":
				ge.Failed = append(ge.Failed, st)
			default:
				ge.Pending = append(ge.Pending, st)
			}
		}
		if len(ge.Failed) > 0 {
			return nil, ge
		}
		if len(ge.Pending) == 0 {
			fmt.Fprintf(r.log, "env %s is healthy on %s (%d apps)\n", from, short(tip), len(apps))
			return lock, nil
		}
		now := r.opts.Now()
		if now.Add(r.opts.PollInterval).After(deadline) {
			if r.opts.Wait > 0 {
				ge.Waited = now.Sub(start).Round(time.Second)
			}
			return nil, ge
		}
		fmt.Fprintf(r.log, "waiting for env %s: %s not healthy yet\n", from, names(ge.Pending))
		if err := r.opts.Sleep(ctx, r.opts.PollInterval); err != nil {
			return nil, err
		}
	}
}
