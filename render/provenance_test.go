package render_test

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

func TestKeepProvenance(t *testing.T) {
	t.Parallel()
	const lock = `{"kilnVersion":"v1","env":"dev","source":{"repo":"https://github.com/acme/app","commit":"aaaa"},` +
		`"images":{"ghcr.io/acme/web":"ghcr.io/acme/web:1"},"apps":{"web":{"engine":"yaml","inputDigest":"sha256:in1","outputDigest":"sha256:out1","objects":1}}}`
	old := map[string][]byte{"kiln.lock.json": []byte(lock), "apps/web/configmap_web.yaml": []byte("a: 1\n")}
	with := func(edit func(l string) string, files map[string]string) map[string][]byte {
		out := map[string][]byte{"kiln.lock.json": []byte(edit(lock)), "apps/web/configmap_web.yaml": []byte("a: 1\n")}
		for p, data := range files {
			if data == "" {
				delete(out, p)
				continue
			}
			out[p] = []byte(data)
		}
		return out
	}
	repl := func(o, n string) func(string) string {
		return func(l string) string { return strings.Replace(l, o, n, 1) }
	}
	for _, tc := range []struct {
		name  string
		old   map[string][]byte
		files map[string][]byte
		kept  bool
	}{
		{name: "new source commit", files: with(repl(`"aaaa"`, `"bbbb"`), nil), kept: true},
		{name: "dirty", files: with(repl(`"commit":"aaaa"`, `"commit":"aaaa","dirty":true`), nil), kept: true},
		{name: "outside git", files: with(repl(`"repo":"https://github.com/acme/app","commit":"aaaa"`, ``), nil), kept: true},
		{name: "other repository URL", files: with(repl(`acme/app"`, `acme/app.git"`), nil), kept: true},
		{name: "new kiln version", files: with(repl(`"v1"`, `"v2"`), nil), kept: true},
		{name: "template changed, output not", files: with(repl(`sha256:in1`, `sha256:in2`), nil), kept: true},
		{name: "app kept from another commit", files: with(repl(`"objects":1}`, `"objects":1,"source":{"commit":"bbbb"}}`), nil), kept: true},
		// A newer kiln's digests of the same files.
		{name: "high-level digest added", files: with(repl(`"objects":1}`, `"objects":1,"highLevelDigest":"sha256:h"}`), nil), kept: true},
		// But not secretFiles: without them a job that lacks the secret
		// values (the promotion gate) refuses the app's files.
		{name: "secret files added", files: with(repl(`"objects":1}`, `"objects":1,"secretFiles":["secret_web.yaml"],"plainDigest":"sha256:p","highLevelDigest":"sha256:h"}`), nil)},
		{name: "new image", files: with(repl(`web:1"`, `web:2"`), nil)},
		{name: "new output digest", files: with(repl(`sha256:out1`, `sha256:out2`), nil)},
		{name: "object changed", files: with(repl(`"aaaa"`, `"bbbb"`), map[string]string{"apps/web/configmap_web.yaml": "a: 2\n"})},
		{name: "file added", files: with(repl(`"aaaa"`, `"bbbb"`), map[string]string{"apps/web/extra.yaml": "b: 1\n"})},
		{name: "file removed", files: with(repl(`"aaaa"`, `"bbbb"`), map[string]string{"apps/web/configmap_web.yaml": ""})},
		{name: "lock not JSON", files: with(func(string) string { return "{" }, nil)},
	} {
		tc.old = old
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := render.KeepProvenance(tc.old, tc.files)
			kept := string(got["kiln.lock.json"]) == string(tc.old["kiln.lock.json"])
			if kept != tc.kept {
				t.Errorf("old lock kept = %v, want %v", kept, tc.kept)
			}
			if !tc.kept && string(got["kiln.lock.json"]) != string(tc.files["kiln.lock.json"]) {
				t.Errorf("the new lock was not kept")
			}
		})
	}

	// A lock that no commit proves (rendered dirty, or outside git) gives
	// way to a clean commit's, which kiln verify can prove.
	for name, unproven := range map[string]string{
		"dirty":       strings.Replace(lock, `"commit":"aaaa"`, `"commit":"aaaa","dirty":true`, 1),
		"outside git": strings.Replace(lock, `"repo":"https://github.com/acme/app","commit":"aaaa"`, ``, 1),
		// kiln render --app kept web from a render at another commit.
		"app kept": strings.Replace(lock, `"objects":1}`, `"objects":1,"source":{"commit":"bbbb"}}`, 1),
	} {
		before := map[string][]byte{"kiln.lock.json": []byte(unproven), "apps/web/configmap_web.yaml": []byte("a: 1\n")}
		if got := render.KeepProvenance(before, old); string(got["kiln.lock.json"]) != lock {
			t.Errorf("%s lock kept over a clean commit's", name)
		}
		// Still unproven: no churn.
		again := map[string][]byte{"kiln.lock.json": []byte(strings.Replace(unproven, "v1", "v2", 1)), "apps/web/configmap_web.yaml": []byte("a: 1\n")}
		if got := render.KeepProvenance(before, again); string(got["kiln.lock.json"]) != unproven {
			t.Errorf("%s lock replaced by another unproven one", name)
		}
	}
}

// TestProvenanceAskedOnce: the command line's git read (Options.Provenance)
// runs while apps render; render asks for it once per Renderer, puts its
// Source in every env's lock, whether the env was rendered or came whole
// from the cache, and adds its warnings to the first env's.
func TestProvenanceAskedOnce(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	p := load(t, dir)
	want := render.Source{Repo: "https://github.com/acme/late.git", Commit: "fedcba9876543210fedcba9876543210fedcba98", Dirty: true}
	opts := testOptions()
	opts.Source = render.Source{Commit: "must be replaced"}
	opts.RenderCache = filepath.Join(t.TempDir(), "renders")
	for run := range 2 { // the second run is served by the cache
		var calls atomic.Int32
		opts.Provenance = func() (render.Source, []diag.Warning) {
			calls.Add(1)
			return want, []diag.Warning{{Msg: "provenance warning"}}
		}
		r, err := render.New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		results, err := r.Validate(context.Background(), nil) // two renders
		if err != nil {
			t.Fatal(err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("run %d: Provenance called %d times, want once", run, n)
		}
		for i, er := range results {
			if er.Err != nil {
				t.Fatalf("run %d: %s: %v", run, er.Env, er.Err)
			}
			var lock render.Lock
			if err := json.Unmarshal(er.Files[render.LockFile], &lock); err != nil {
				t.Fatal(err)
			}
			if lock.Source != want {
				t.Errorf("run %d: %s: lock source %+v, want %+v", run, er.Env, lock.Source, want)
			}
			warned := slices.ContainsFunc(er.Warnings, func(w diag.Warning) bool { return w.Msg == "provenance warning" })
			if warned != (i == 0) {
				t.Errorf("run %d: %s: provenance warning present = %v", run, er.Env, warned)
			}
		}
	}
}

// TestInputDigestCoversPatchFiles: an app's inputDigest in kiln.lock.json
// changes with what changes its output. A patch read from a file (path:)
// counted by its path only, so new patch text changed the app's objects
// and outputDigest while the lock said its inputs were the same. Where a
// patch is written in the env file (its line) is no input.
func TestInputDigestCoversPatchFiles(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: web\n    namespace: shop\n    yaml: web\n",
		"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  size: \"1\"\n  color: red\n",
		"envs/dev.yaml": "apps:\n  web:\n    patches:\n      - path: patches/size.yaml\n" +
			"      - patch: |-\n          - {op: replace, path: /data/color, value: blue}\n        target: {kind: ConfigMap}\n",
		"patches/size.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  size: \"2\"\n",
	}
	app := func(t *testing.T, files map[string]string) (string, string) {
		t.Helper()
		er := renderAll(t, loadProject(t, t.TempDir(), files), testOptions())[0]
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		var lock struct {
			Apps map[string]struct{ InputDigest, OutputDigest string }
		}
		if err := json.Unmarshal(er.Files["kiln.lock.json"], &lock); err != nil {
			t.Fatal(err)
		}
		return lock.Apps["web"].InputDigest, lock.Apps["web"].OutputDigest
	}
	with := func(path, content string) map[string]string {
		out := maps.Clone(files)
		out[path] = content
		return out
	}
	in, out := app(t, files)
	in2, out2 := app(t, with("patches/size.yaml", strings.Replace(files["patches/size.yaml"], `"2"`, `"3"`, 1)))
	if out2 == out {
		t.Fatal("the new patch file changed no object: the test proves nothing")
	}
	if in2 == in {
		t.Errorf("new text in the patch file changed outputDigest but not inputDigest %s", in)
	}
	in3, out3 := app(t, with("envs/dev.yaml", "# moved down a line\n"+files["envs/dev.yaml"]))
	if in3 != in || out3 != out {
		t.Errorf("a comment above the patches changed the digests: %s %s, was %s %s", in3, out3, in, out)
	}
}
