package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDiffSaysPipelineWarningsOnce: kiln diff renders each env on its own,
// and a warning about the whole pipeline (here the commit-status scale)
// came once per env; it comes once per command.
func TestDiffSaysPipelineWarningsOnce(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	var b strings.Builder
	b.WriteString("apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}, {name: prod, promoteFrom: dev}]\n")
	b.WriteString("manifests: {repo: https://github.com/acme/manifests.git}\nnotifications: {secretRef: github-token, commitStatus: true}\napps:\n")
	files := map[string]string{"envs/dev.yaml": "vars: {}\n", "envs/prod.yaml": "vars: {}\n"}
	for i := range 26 {
		app := fmt.Sprintf("app%02d", i)
		fmt.Fprintf(&b, "  - {name: %s, namespace: shop, yaml: apps/%s}\n", app, app)
		files["apps/"+app+"/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + app + "}\n"
	}
	files["kiln.yaml"] = b.String()
	writeFiles(t, root, files)
	cfg, out := filepath.Join(root, "kiln.yaml"), filepath.Join(root, "out")
	if _, stderr, code := runKiln(t, "render", "--config", cfg, "--out", out, "--no-cache"); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	// An image no app uses: a warning of the run too, once
	// (TestDiffJudgesImagesAcrossEnvs).
	_, stderr, code := runKiln(t, "diff", "--config", cfg, "--against", out, "--no-cache", "--image", "ghcr.io/acme/unused:1")
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, stderr)
	}
	if n := strings.Count(stderr, "status contexts on one manifests commit"); n != 1 {
		t.Errorf("the scale warning %d times, want once:\n%s", n, stderr)
	}
	if n := strings.Count(stderr, "image ghcr.io/acme/unused is used by no app in any of the rendered envs (dev, prod)"); n != 1 {
		t.Errorf("the unused-image warning %d times, want once:\n%s", n, stderr)
	}
}

// TestDiffJudgesImagesAcrossEnvs: kiln diff over several envs judges the
// given images across them, as render --all does, though it renders each
// env apart: an image only dev's apps run is no warning of prod, and no
// failure under --strict; an image no env runs is one warning, and under
// --strict one error, given with the last env as render gives it. A diff
// of one env judges it alone, as before.
func TestDiffJudgesImagesAcrossEnvs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	deployment := func(name, image string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n" +
			"  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " + name + "}}\n" +
			"    spec: {containers: [{name: app, image: " + image + "}]}\n"
	}
	writeFiles(t, root, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}, {name: prod}]\n" +
			"manifests: {repo: https://github.com/acme/manifests.git}\napps:\n" +
			"  - {name: web, namespace: shop, yaml: apps/web}\n  - {name: jobs, namespace: shop, yaml: apps/jobs}\n",
		"envs/dev.yaml":    "vars: {}\n",
		"envs/prod.yaml":   "apps:\n  jobs: {enabled: false}\n",
		"apps/web/d.yaml":  deployment("web", "ghcr.io/acme/web:0.1"),
		"apps/jobs/d.yaml": deployment("jobs", "ghcr.io/acme/jobs:0.1"),
	})
	// A checkout: outside one, --strict fails every env for that.
	git(t, root, "init", "-q")
	git(t, root, "add", "-A")
	git(t, root, "commit", "-q", "-m", "templates")
	cfg, out := filepath.Join(root, "kiln.yaml"), filepath.Join(root, "out")
	if _, stderr, code := runKiln(t, "render", "--config", cfg, "--out", out, "--no-cache"); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	diff := func(args ...string) (string, string, int) {
		t.Helper()
		return runKiln(t, append([]string{"diff", "--config", cfg, "--against", out, "--no-cache"}, args...)...)
	}

	// CI's image of jobs, which only dev runs yet.
	stdout, stderr, code := diff("--all", "--strict", "--image", "ghcr.io/acme/jobs:2.0")
	if code != 0 || strings.Contains(stderr, "used by no") || !strings.Contains(stdout, "image: 'ghcr.io/acme/jobs:2.0'") {
		t.Errorf("--all --strict, an image dev alone runs: exit %d, want 0, dev's new tag and no word of the image\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	const across = "image ghcr.io/acme/nothing is used by no app in any of the rendered envs (dev, prod)"
	_, stderr, code = diff("--all", "--image", "ghcr.io/acme/nothing:1")
	if code != 0 || strings.Count(stderr, "used by no") != 1 || strings.Count(stderr, "warning: "+across) != 1 {
		t.Errorf("--all, an image no env runs: exit %d, want 0 and one warning %q:\n%s", code, across, stderr)
	}

	_, stderr, code = diff("--all", "--strict", "--image", "ghcr.io/acme/nothing:1")
	if code != 1 || strings.Count(stderr, "used by no") != 1 || strings.Count(stderr, "error in env") != 1 ||
		!strings.Contains(stderr, "kiln: 1 error in env prod\n"+across+"\n") {
		t.Errorf("--all --strict, an image no env runs: exit %d, want 1 and one error of prod, no warning of it as well:\n%s", code, stderr)
	}
	stdout, stderr, code = diff("--all", "--strict", "--image", "ghcr.io/acme/nothing:1", "--output", "json")
	var rep struct {
		Envs   []struct{ Env string }
		Errors []jsonError
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--output json: %v\n%s", err, stdout)
	}
	wantErrs := []jsonError{{Env: "prod", Message: across, Hint: "check the repository name; kiln matches images by their normalised repository"}}
	if d := cmp.Diff(wantErrs, rep.Errors); code != 1 || d != "" || len(rep.Envs) != 1 || rep.Envs[0].Env != "dev" {
		t.Errorf("--all --strict --output json: exit %d, envs %v, want 1 and dev's diff alone; errors (-want +got):\n%s\nstderr:\n%s", code, rep.Envs, d, stderr)
	}

	// One env alone, as before.
	_, stderr, code = diff("--env", "prod", "--strict", "--image", "ghcr.io/acme/jobs:2.0")
	if code != 1 || !strings.Contains(stderr, "kiln: 1 error in env prod\nimage ghcr.io/acme/jobs is used by no app in env prod\n") {
		t.Errorf("--env prod --strict, an image dev alone runs: exit %d, want 1 and prod's own error:\n%s", code, stderr)
	}

	// The --images files are read once for every env and the judgement
	// after them, as render reads them: a malformed one is one mistake,
	// not one of each env.
	bad := filepath.Join(root, "images.json")
	writeFiles(t, root, map[string]string{"images.json": `{"ghcr.io/acme/jobs": `})
	_, stderr, code = diff("--all", "--images", bad)
	if code != 2 || strings.Count(stderr, "invalid images file") != 1 || strings.Contains(stderr, "in env") {
		t.Errorf("--all, a malformed --images file: exit %d, want 2 and the mistake once, of no env:\n%s", code, stderr)
	}
}

// TestDiffFetchesOncePerCommand: diffing every env against the manifests
// branch clones the repository and fetches the branch once, not once per
// env (promote's TestDiffSession shows the clone removed); each env still
// gets its own diff, and a repository that cannot be fetched is an error
// of each env.
func TestDiffFetchesOncePerCommand(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	if _, stderr, code := f.kiln(t, false, "promote", "--config", cfg, "--env", "dev"); code != 0 {
		t.Fatal(stderr)
	}
	stdout, stderr, code := f.kiln(t, false, "diff", "--config", cfg)
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, stderr)
	}
	if n := strings.Count(stderr, "kiln: fetching "); n != 1 {
		t.Errorf("fetched %d times, want once:\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "env dev: no differences against") || !strings.Contains(stdout, "+++ b/staging/apps/web/service_web.yaml") {
		t.Errorf("want dev unchanged and staging added\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}

	// A repository that is not there: every env says so.
	if err := os.Rename(f.remote, f.remote+".gone"); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = f.kiln(t, false, "diff", "--config", cfg)
	if code == 0 || strings.Count(stderr, "kiln: fetching ") != 1 ||
		!strings.Contains(stderr, "error in env dev") || !strings.Contains(stderr, "error in env staging") {
		t.Errorf("a missing repository: exit %d, want an error for each env after one fetch:\n%s", code, stderr)
	}
}

// TestDiffWarningsReadAsRender: a warning of kiln diff (or promote, or
// verify) reads as render prints it, "warning: …" with its hint on an
// indented line, not "kiln: warning: …" and "kiln:   hint: …"; kiln's
// own progress lines keep their "kiln: ".
func TestDiffWarningsReadAsRender(t *testing.T) {
	t.Parallel()
	root := t.TempDir() // not a git checkout: the provenance warning
	writeFiles(t, root, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\n" +
			"manifests: {repo: https://github.com/acme/manifests.git}\napps:\n  - {name: web, namespace: shop, yaml: apps/web}\n",
		"envs/dev.yaml":    "vars: {}\n",
		"apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
	})
	cfg, out := filepath.Join(root, "kiln.yaml"), filepath.Join(root, "out")
	_, rstderr, code := runKiln(t, "render", "--config", cfg, "--out", out, "--no-cache")
	if code != 0 {
		t.Fatalf("render: exit %d\n%s", code, rstderr)
	}
	stdout, stderr, code := runKiln(t, "diff", "--config", cfg, "--against", out, "--no-cache")
	if code != 0 || stdout != "" {
		t.Fatalf("diff: exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	const warning = "warning: the folder of "
	for name, text := range map[string]string{"render": rstderr, "diff": stderr} {
		var lines []string
		for l := range strings.Lines(text) {
			if strings.Contains(l, warning) || strings.Contains(l, "hint: render inside a clone") {
				lines = append(lines, strings.SplitAfter(l, ": ")[0])
			}
		}
		if want := []string{"warning: ", "  hint: "}; !cmp.Equal(lines, want) {
			t.Errorf("%s: the warning's lines start %q, want %q:\n%s", name, lines, want, text)
		}
	}
	if !strings.HasPrefix(stderr, "kiln: rendering env dev\n") {
		t.Errorf("diff's progress lost its kiln: prefix:\n%s", stderr)
	}
}

// TestPrefixedKeepsBytes: the progress writer adds its prefix and
// changes no byte of the line, UTF-8 or not.
func TestPrefixedKeepsBytes(t *testing.T) {
	var b strings.Builder
	w := prefixed(&b)
	for _, s := range []string{"cloning \xff\xfe/x\n", "warning: w\n  hint: h\n", "note: n\n", "a", "b\n"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got, want := b.String(), "kiln: cloning \xff\xfe/x\nwarning: w\n  hint: h\nnote: n\nkiln: ab\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestDiffJSONListsWarnings: kiln diff --output json lists the warnings
// it printed, each with its env, as render's document does: a script
// reading the document saw none of them.
func TestDiffJSONListsWarnings(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}, {name: prod}]\n" +
			"manifests: {repo: https://github.com/acme/manifests.git}\napps:\n  - {name: web, namespace: shop, yaml: apps/web}\n",
		"envs/dev.yaml":    "vars: {}\n",
		"envs/prod.yaml":   "vars: {}\n",
		"apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
	})
	cfg, out := filepath.Join(root, "kiln.yaml"), filepath.Join(root, "out")
	if _, stderr, code := runKiln(t, "render", "--config", cfg, "--out", out, "--no-cache", "--all"); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	for _, envs := range [][]string{{"--env", "dev"}, {"--all"}} {
		args := append([]string{"diff", "--config", cfg, "--against", out, "--no-cache", "--output", "json", "--image", "ghcr.io/acme/unused:1"}, envs...)
		stdout, stderr, code := runKiln(t, args...)
		if code != 0 {
			t.Fatalf("%q: exit %d\n%s", args, code, stderr)
		}
		var doc struct {
			Warnings []jsonError `json:"warnings"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("%q: %v\n%s", args, err, stdout)
		}
		n := 0
		for _, w := range doc.Warnings {
			if strings.Contains(w.Message, "ghcr.io/acme/unused") {
				n++
				if w.Env == "" {
					t.Errorf("%q: the warning names no env: %+v", args, w)
				}
			}
		}
		if n != 1 {
			t.Errorf("%q: %d warnings of the unused image in the document, want 1:\n%s", args, n, stdout)
		}
	}
}
