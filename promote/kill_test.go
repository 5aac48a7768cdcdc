//go:build unix

package promote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/promote/internal/gh"
	"github.com/kiln-gitops/kiln/promote/internal/ghfake"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// killEnv tells this test binary, started again by TestKilledPromotion,
// to be a kiln promotion that is killed: it holds a killRun as JSON.
const killEnv = "KILN_TEST_KILL_RUN"

// killRun is what the killed promotion runs.
type killRun struct {
	Code, Remote, API, Env, WorkDir string
	// Gits is a folder that holds a file for each git the run started
	// while it runs: the kill orphans them, and the rerun waits.
	Gits string
}

// TestKillChild is the killed promotion: a real one, through GitHub's API,
// which something kills with SIGKILL on the way (a git command of its, a
// hook of the remote, the test).
func TestKillChild(t *testing.T) {
	spec := os.Getenv(killEnv)
	if spec == "" {
		t.Skip("run by TestKilledPromotion")
	}
	var k killRun
	if err := json.Unmarshal([]byte(spec), &k); err != nil {
		t.Fatal(err)
	}
	f := &fixture{code: k.Code, remote: k.Remote}
	o := f.opts(t, k.Env, &bytes.Buffer{})
	o.GitHub, o.GitHubAPI, o.WorkDir = nil, k.API, k.WorkDir
	o.GitEnv = append(o.GitEnv, fmt.Sprintf("KILN_TEST_PID=%d", os.Getpid()), "KILN_TEST_KILL_AT="+os.Getenv("KILN_TEST_KILL_AT"), "KILN_TEST_GITS="+k.Gits)
	_, err := Promote(context.Background(), f.pipeline(t), o)
	t.Fatalf("the promotion was not killed: %v", err)
}

// othersFiles are files of the manifests repository that kiln did not
// write, each of which must survive every promotion, killed or not. (One
// in the promoted env's folder outside flux/flux-system/ refuses the
// promotion instead: others' makes sure.)
func othersFiles(env string) map[string]string {
	files := map[string]string{}
	for p, c := range allOthersFiles {
		if !strings.HasPrefix(p, "clusters/"+env+"/") || strings.HasPrefix(p, "clusters/"+env+"/flux/flux-system/") {
			files[p] = c
		}
	}
	return files
}

var allOthersFiles = map[string]string{
	".gitattributes":                      "*.yaml text eol=lf\n",
	"CODEOWNERS":                          "* @acme/platform\n",
	"clusters/staging/apps/mine/cm.yaml":  "kind: ConfigMap\n",
	"clusters/dev/apps/mine/cm.yaml":      "kind: ConfigMap\n",
	"teams/b/staging/kiln.lock.json":      "{\"apps\":{}}\n",
	"teams/b/staging/apps/other/cm.yaml":  "kind: ConfigMap\n",
	"clusters/staging/flux/flux-system/x": "bootstrap\n",
	"clusters/dev/flux/flux-system/x":     "bootstrap\n",
}

// TestKilledPromotion kills a promotion with SIGKILL at each moment of
// its way (a fetch, before, during and after the push, while GitHub opens,
// updates or labels the pull request), then runs it again: the manifests
// branch, kiln/<env> and the pull request end as an uninterrupted
// promotion leaves them, every file kiln did not write is still there,
// and nothing the killed run left behind stays. Once converged, two runs
// at once find it done.
//
// Each moment is a subtest of its own, about four promotions and a test
// binary started: only distinct ones are. The fetch comes before the
// promotion takes any path of its env or mode, so it is killed in one env,
// and only during (a kill before it starts leaves less: an empty clone);
// a push killed before it starts leaves the remote as it was, in either
// mode and with a pull request open or not (the rerun pushes, opens or
// updates, as any promotion does), so it is killed once. Listing pull
// requests comes before any write to GitHub, so it is killed once, with
// one open, which the rerun must find; adding labels is the same request
// whether the pull request was opened or updated, so it is killed once,
// after one was opened. What two runs at once
// meet once the rerun converged is the same after every moment: they run
// after the push's last moment in each env.
func TestKilledPromotion(t *testing.T) {
	t.Parallel()
	realGit, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	// git, killing the promotion that runs it as KILN_TEST_KILL_AT says:
	// <subcommand>:<before|during|after>. Each git of the killed run holds
	// a file in $KILN_TEST_GITS while it runs.
	wrapper := `#!/bin/sh
[ -z "$KILN_TEST_GITS" ] && exec "` + realGit + `" "$@"
touch "$KILN_TEST_GITS/$$"
trap 'rm -f "$KILN_TEST_GITS/$$"' EXIT
if [ -n "$KILN_TEST_KILL_AT" ] && [ "$1" = "${KILN_TEST_KILL_AT%%:*}" ]; then
	case "${KILN_TEST_KILL_AT#*:}" in
	before) kill -KILL $PPID; exit 1 ;;
	during) "` + realGit + `" "$@" & sleep 0.05; kill -KILL $PPID; wait; exit ;;
	after) "` + realGit + `" "$@"; rc=$?; kill -KILL $PPID; exit $rc ;;
	esac
fi
"` + realGit + `" "$@"
`
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	// postReceive kills the promotion once the remote moved the branch,
	// while git push waits for the hook.
	postReceive := "#!/bin/sh\n[ -n \"$KILN_TEST_PID\" ] && kill -KILL $KILN_TEST_PID\nexit 0\n"

	type moment struct {
		name, env string
		// again: the env was promoted once before, so that the killed
		// run updates its pull request.
		again  bool
		killAt string
		hook   bool
		// api kills when GitHub's API receives a request of this route,
		// which fault answers.
		route string
		fault ghfake.Fault
		// concurrent: two runs at once follow the rerun.
		concurrent bool
	}
	slow := ghfake.Slow(30 * time.Second)
	applied := ghfake.Fault{AfterApply: true, Delay: 30 * time.Second}
	var moments []moment
	for _, env := range []string{"staging", "dev"} {
		for _, again := range []bool{false, true} {
			if env == "dev" && again {
				continue
			}
			if env == "staging" && !again {
				moments = append(moments,
					moment{name: "fetch during", killAt: "fetch:during"},
					moment{name: "push before", killAt: "push:before"},
				)
			}
			moments = append(moments,
				moment{name: "push during", killAt: "push:during"},
				moment{name: "push hook", hook: true},
				moment{name: "push after", killAt: "push:after", concurrent: true},
			)
			if env == "staging" {
				route := ghfake.RouteCreatePull
				if again {
					route = ghfake.RouteUpdatePull
				}
				if again {
					moments = append(moments, moment{name: "list pulls", route: ghfake.RouteListPulls, fault: slow})
				}
				moments = append(moments,
					moment{name: route + " unapplied", route: route, fault: slow},
					moment{name: route + " applied", route: route, fault: applied},
				)
				if !again {
					moments = append(moments,
						moment{name: "labels unapplied", route: ghfake.RouteAddLabels, fault: slow},
						moment{name: "labels applied", route: ghfake.RouteAddLabels, fault: applied},
					)
				}
			}
			for i := len(moments) - 1; i >= 0 && moments[i].env == ""; i-- {
				moments[i].env, moments[i].again = env, again
			}
		}
	}
	for _, m := range moments {
		t.Run(fmt.Sprintf("%s again=%v %s", m.env, m.again, m.name), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			api := ghfake.New(t, testToken)
			work := t.TempDir()
			run := func(t *testing.T) (*Result, error, string) {
				var log bytes.Buffer
				o := f.opts(t, m.env, &log)
				o.GitHub, o.GitHubAPI, o.WorkDir = nil, api.URL(), work
				o.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
				res, err := promote(t, f, o)
				return res, err, log.String()
			}
			// The env was promoted (and merged) before: files of others
			// in its folder are kept from then on.
			if _, err, log := run(t); err != nil {
				t.Fatalf("the first promotion: %v\n%s", err, log)
			}
			if m.env == "staging" {
				gittest.Git(t, f.remote, "update-ref", "refs/heads/main", "refs/heads/kiln/staging")
			}
			gittest.Update(t, f.remote, "main", othersFiles(m.env), nil, "files of others")
			if m.env == "staging" && !m.again {
				// Its pull request closed: the killed run opens one.
				client, err := gh.New(gh.Options{Token: testToken, APIURL: api.URL()})
				if err != nil {
					t.Fatal(err)
				}
				if err := client.ClosePR(t.Context(), "acme", "manifests", 1, ""); err != nil {
					t.Fatal(err)
				}
			}
			f.commitCode(t, map[string]string{"apps/web/service.yaml": strings.Replace(project("")["apps/web/service.yaml"], "port: 80", "port: 81", 1)}, "port")
			if m.hook {
				if err := os.WriteFile(filepath.Join(f.remote, "hooks", "post-receive"), []byte(postReceive), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if m.route != "" {
				api.Inject(m.route, m.fault)
			}
			gits := t.TempDir()
			spec, err := json.Marshal(killRun{Code: f.code, Remote: f.remote, API: api.URL(), Env: m.env, WorkDir: work, Gits: gits})
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$")
			// The killed child removes none of its temporary folders
			// (its tests' and its hermetic cache): under TMPDIR they go
			// with this test's.
			cmd.Env = append(os.Environ(), killEnv+"="+string(spec), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "KILN_TEST_KILL_AT="+m.killAt, "TMPDIR="+t.TempDir())
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			// The first promotion made requests of the route too: the
			// killed run's is the one after them.
			before := api.Count(m.route)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			reached := make(chan bool, 1)
			if m.route != "" {
				go func() {
					deadline := time.Now().Add(60 * time.Second)
					for api.Count(m.route) == before && time.Now().Before(deadline) {
						time.Sleep(10 * time.Millisecond)
					}
					reached <- api.Count(m.route) > before
					// An applied write is made at once, under the fake's lock.
					time.Sleep(100 * time.Millisecond)
					_ = cmd.Process.Signal(syscall.SIGKILL)
				}()
			}
			err = cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("the promotion was not killed: %v\n%s", err, out.String())
			}
			if m.route != "" && !<-reached {
				t.Fatalf("the promotion was killed before it asked GitHub's %s:\n%s", m.route, out.String())
			}
			// The remote's hook kills no rerun.
			_ = os.Remove(filepath.Join(f.remote, "hooks", "post-receive"))
			// A git the kill orphaned (a push above all) ends on its own.
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if left, err := os.ReadDir(gits); err != nil || len(left) == 0 {
					break
				} else if time.Now().After(deadline) {
					t.Fatalf("gits of the killed run still run after 30s: %v", left)
				}
			}

			res, err, log := run(t)
			if err != nil {
				t.Fatalf("the rerun: %v\n%s\nthe killed run:\n%s", err, log, out.String())
			}
			if strings.Contains(log, "no answer from GitHub") {
				t.Errorf("the rerun met the fault meant for the killed run:\n%s", log)
			}
			checkConverged(t, f, api, m.env, res)
			if !m.concurrent {
				if entries, err := os.ReadDir(work); err != nil || len(entries) != 0 {
					t.Errorf("the work dir holds %v (%v)", entries, err)
				}
				return
			}
			// Two runs at once now find it done.
			var wg sync.WaitGroup
			errs := make([]error, 2)
			logs := make([]string, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i], logs[i] = run(t)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("concurrent rerun %d: %v\n%s", i, err, logs[i])
				}
			}
			checkConverged(t, f, api, m.env, res)
			if entries, err := os.ReadDir(work); err != nil || len(entries) != 0 {
				t.Errorf("the work dir holds %v (%v)", entries, err)
			}
		})
	}
}

// checkConverged checks that env is promoted as res says, as an
// uninterrupted promotion leaves it.
func checkConverged(t *testing.T, f *fixture, api *ghfake.Server, env string, res *Result) {
	t.Helper()
	base := gittest.Files(t, f.remote, "main")
	for p, want := range othersFiles(env) {
		if base[p] != want {
			t.Errorf("main's %s = %q, want %q", p, base[p], want)
		}
	}
	if env == "dev" {
		if n := len(gittest.Log(t, f.remote, "main")); n > 4 {
			t.Errorf("main holds %d commits: %v", n, gittest.Log(t, f.remote, "main"))
		}
		if len(api.PRs("acme", "manifests")) != 0 {
			t.Errorf("pull requests for a push env: %+v", api.PRs("acme", "manifests"))
		}
		return
	}
	tip := gittest.Git(t, f.remote, "rev-parse", "kiln/staging")
	if parent := gittest.Git(t, f.remote, "rev-parse", "kiln/staging^"); parent != gittest.Git(t, f.remote, "rev-parse", "main") {
		t.Errorf("kiln/staging's parent %s is not main's tip", parent)
	}
	branch := gittest.Files(t, f.remote, tip)
	for p, c := range base {
		if !strings.HasPrefix(p, "clusters/staging/") || strings.HasPrefix(p, "clusters/staging/apps/mine/") || strings.HasPrefix(p, "clusters/staging/flux/flux-system/") {
			if branch[p] != c {
				t.Errorf("kiln/staging's %s = %q, want main's %q", p, branch[p], c)
			}
		}
	}
	if branch["clusters/staging/kiln.lock.json"] == "" {
		t.Errorf("kiln/staging holds no lock: %v", slices.Sorted(func(yield func(string) bool) {
			for p := range branch {
				if !yield(p) {
					return
				}
			}
		}))
	}
	var open []ghfake.PR
	for _, pr := range api.PRs("acme", "manifests") {
		if pr.State == "open" {
			open = append(open, pr)
		}
	}
	if len(open) != 1 {
		t.Fatalf("%d open pull requests: %+v", len(open), open)
	}
	pr := open[0]
	if pr.Head != "kiln/staging" || pr.Base != "main" || pr.Title != res.Title || pr.Body != res.Body || !slices.Equal(pr.Labels, []string{"env/staging", "kiln"}) {
		t.Errorf("pull request %+v, want the promotion's title %q and body", pr, res.Title)
	}
	if res.Commit != tip {
		t.Errorf("result commit %s, kiln/staging at %s", res.Commit, tip)
	}
}
