package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigErrorsHaveAHeader: kiln.yaml's errors, all reported at once,
// come under one "kiln: N errors in kiln.yaml" line as an env's do, each
// on its own line without a prefix of its own; a single one keeps the
// "kiln: " prefix.
func TestConfigErrorsHaveAHeader(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	config := filepath.Join(project, "kiln.yaml")
	data, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(config, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(string(data), "apps:\n", "apps:\n  - name: Bad_Name\n    bogus: 1\n", 1))
	_, stderr, code := runKiln(t, "render", "--config", config, "--env", "dev", "--out", filepath.Join(t.TempDir(), "out"))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := strings.Split(stderr, "\n")
	if lines[0] != "kiln: 4 errors in kiln.yaml" {
		t.Errorf("first line %q, want the header\n%s", lines[0], stderr)
	}
	if n := strings.Count(stderr, "kiln: "); n != 1 {
		t.Errorf("%d lines start with kiln:, want only the header\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "\nkiln.yaml:36: unknown key \"bogus\"\n") {
		t.Errorf("an error is not on its own line\n%s", stderr)
	}

	write(strings.Replace(string(data), "apps:\n", "apps:\n  - name: extra\n    namespace: ns\n    yaml: apps/vote\n    bogus: 1\n", 1))
	_, stderr, _ = runKiln(t, "render", "--config", config, "--env", "dev", "--out", filepath.Join(t.TempDir(), "out"))
	if !strings.HasPrefix(stderr, "kiln: kiln.yaml:38: app extra: unknown key \"bogus\"\n") {
		t.Errorf("a single error lost its prefix:\n%s", stderr)
	}
}

// TestOutOverlappingSourcesIsUsage: an --out that is inside, is or holds a
// source of the pipeline is a wrong flag value: exit 2, as every usage
// mistake, with the error naming the source.
func TestOutOverlappingSourcesIsUsage(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	config := filepath.Join(project, "kiln.yaml")
	for _, out := range []string{filepath.Join(project, "apps", "vote", "overlays", "dev", "out"), project} {
		_, stderr, code := runKiln(t, "render", "--config", config, "--env", "dev", "--out", out, "--no-cache")
		if code != 2 || !strings.Contains(stderr, "kiln replaces folders below --out") {
			t.Errorf("--out %s: exit %d, want 2 naming the source\n%s", out, code, stderr)
		}
	}
}

// TestFolderFlagsAreUsage: a folder flag kiln cannot read one way (a ".."
// after a symlink), an --out that cannot be a folder, and a --cache-dir
// that overlaps --out are wrong flag values: exit 2 naming what to pass,
// before anything is written.
func TestFolderFlagsAreUsage(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	config := filepath.Join(project, "kiln.yaml")
	dir := t.TempDir()
	for _, p := range []string{"real/sub", "out/dev"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"link": "real/sub", "dangling": "nowhere"} {
		if err := os.Symlink(filepath.Join(dir, target), filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "afile"), []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := func(p string) string { return dir + string(filepath.Separator) + p }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "--out", at("link/../out")}, "has a .. after a symlink, so it names two folders: " + at("real/out")},
		{[]string{"render", "--out", at("out"), "--cache-dir", at("link/../c")}, "--cache-dir " + at("link/../c") + " has a .. after a symlink"},
		{[]string{"diff", "--against", at("link/../out")}, "--against " + at("link/../out") + " has a .. after a symlink"},
		{[]string{"render", "--out", at("afile")}, "leads to a file, not a folder; --out is the folder"},
		{[]string{"render", "--out", at("afile/x")}, "leads to a file, not a folder"},
		{[]string{"render", "--out", at("dangling")}, "leads to a symlink to " + at("nowhere") + ", which does not exist"},
		{[]string{"render", "--out", at("out"), "--cache-dir", at("out/dev/.cache")}, "--cache-dir " + at("out/dev/.cache") + " lies in env dev's folder of --out " + at("out")},
		{[]string{"render", "--out", at("out"), "--cache-dir", dir}, "--cache-dir " + dir + " holds --out"},
	} {
		args := append(tc.args, "--config", config, "--env", "dev", "--no-cache")
		_, stderr, code := runKiln(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "hint: ") {
			t.Errorf("kiln %s: exit %d, want 2 with %q and a hint\n%s", strings.Join(tc.args, " "), code, tc.want, stderr)
		}
	}
	for _, p := range []string{"real/out", "real/sub/c", "out/dev/.cache", "nowhere"} {
		if _, err := os.Lstat(at(p)); err == nil {
			t.Errorf("%s was created", p)
		}
	}
}

// TestConfigPathIsUsage: a --config that names no readable file is a wrong
// flag value, exit 2 on every command that reads kiln.yaml (it was 1 on
// all but verify), with a hint about --config rather than one telling to
// pass it; a kiln.yaml that reads but is invalid stays exit 1.
func TestConfigPathIsUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "nowhere", "kiln.yaml")
	for _, cmd := range []string{"render", "validate", "diff", "graph", "promote", "verify"} {
		for _, config := range []string{missing, dir} {
			_, stderr, code := runKiln(t, cmd, "--config", config, "--env", "dev")
			if code != 2 || !strings.Contains(stderr, "hint: check the --config path") {
				t.Errorf("kiln %s --config %s: exit %d, want 2 with a hint about --config\n%s", cmd, config, code, stderr)
			}
		}
	}
	invalid := filepath.Join(dir, "kiln.yaml")
	if err := os.WriteFile(invalid, []byte("apiVersion: kiln/v1alpha1\nkind: Pipeline\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runKiln(t, "graph", "--config", invalid); code != 1 {
		t.Errorf("an invalid kiln.yaml: exit %d, want 1\n%s", code, stderr)
	}
}

// TestOutInEnvTreeIsUsage: --out rendered/dev, meant as rendered, is a
// wrong flag value, exit 2, naming the folder to give, and nothing is
// written into the tree of env dev: it put dev/ and .kiln.lock there,
// under a lock of its own, which the next render refused.
func TestOutInEnvTreeIsUsage(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	config := filepath.Join(project, "kiln.yaml")
	out := filepath.Join(t.TempDir(), "rendered")
	if _, stderr, code := runKiln(t, "render", "--config", config, "--env", "dev", "--out", out, "--no-cache"); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	env := filepath.Join(out, "dev")
	_, stderr, code := runKiln(t, "render", "--config", config, "--env", "dev", "--out", env, "--no-cache")
	if code != 2 || !strings.Contains(stderr, "is in the tree of env dev that kiln wrote") || !strings.Contains(stderr, "hint: give --out the folder holding the env folders, "+out) {
		t.Errorf("--out %s: exit %d, want 2 naming %s\n%s", env, code, out, stderr)
	}
	for _, p := range []string{"dev", ".kiln.lock"} {
		if _, err := os.Lstat(filepath.Join(env, p)); err == nil {
			t.Errorf("--out %s: %s written", env, p)
		}
	}
}

// TestOutInGitDirIsUsage: a path kiln writes (render's --out, init's
// --config) that is or lies in git's metadata folder is a wrong flag
// value, exit 2, before anything is written: .git and below, .GIT (which
// is .git on macOS and Windows), a symlink into .git, a bare repository
// such as a manifests clone. --out .git/refs wrote refs/dev/... that git
// read as broken refs; with an env named heads it would have replaced
// every branch.
func TestOutInGitDirIsUsage(t *testing.T) {
	t.Parallel()
	project := exampleCopy(t)
	config := filepath.Join(project, "kiln.yaml")
	git(t, project, "init", "-q")
	bare := filepath.Join(t.TempDir(), "manifests.git")
	git(t, project, "init", "-q", "--bare", bare)
	if err := os.Symlink(filepath.Join(project, ".git", "refs"), filepath.Join(project, "refs-link")); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{".git", ".git/x", ".GIT/y", "refs-link", bare, filepath.Join(bare, "rendered")} {
		if !filepath.IsAbs(out) {
			out = filepath.Join(project, out)
		}
		_, stderr, code := runKiln(t, "render", "--config", config, "--env", "dev", "--out", out, "--no-cache")
		if code != 2 || !strings.Contains(stderr, "in git's metadata folder") || !strings.Contains(stderr, "hint: give --out a path in the work tree") {
			t.Errorf("--out %s: exit %d, want 2 naming git's folder\n%s", out, code, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "dev")); err == nil {
			t.Errorf("--out %s: env dev written", out)
		}
	}
	// The cache writes and prunes below --cache-dir: .git/refs/renders/...
	// are refs to git.
	for _, cmd := range []string{"render", "validate", "diff", "promote", "verify"} {
		cache := filepath.Join(project, ".git", "refs")
		args := []string{cmd, "--config", config, "--env", "dev", "--cache-dir", cache}
		if cmd == "render" {
			// Should the refusal ever go, the render writes here, not
			// into the package's folder.
			args = append(args, "--out", filepath.Join(t.TempDir(), "rendered"))
		}
		_, stderr, code := runKiln(t, args...)
		if code != 2 || !strings.Contains(stderr, "--cache-dir "+cache+" is in git's metadata folder") {
			t.Errorf("%s --cache-dir %s: exit %d, want 2 naming git's folder\n%s", cmd, cache, code, stderr)
		}
		if _, err := os.Stat(filepath.Join(cache, "renders")); err == nil {
			t.Errorf("%s --cache-dir %s: the cache wrote there", cmd, cache)
		}
	}
	file := filepath.Join(project, ".git", "kiln.yaml")
	if _, stderr, code := runKiln(t, "init", "--config", file); code != 2 || !strings.Contains(stderr, "--config "+file+" is in git's metadata folder") {
		t.Errorf("init --config %s: exit %d, want 2 naming git's folder\n%s", file, code, stderr)
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("init wrote %s", file)
	}
}
