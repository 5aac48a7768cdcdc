package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestVerifyCommand checks kiln verify's exit codes, diff(1)'s: 0 equal,
// 1 different (the files on stdout), 2 trouble.
func TestVerifyCommand(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	if _, stderr, code := f.kiln(t, false, "promote", "--config", cfg, "--env", "dev"); code != 0 {
		t.Fatalf("promote: exit %d\n%s", code, stderr)
	}

	stdout, stderr, code := f.kiln(t, false, "verify", "--config", cfg, "--env", "dev")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "is exactly what "+git(t, f.code, "rev-parse", "HEAD")+" renders") {
		t.Errorf("equal: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// A hand edit on the manifests branch.
	work := filepath.Join(t.TempDir(), "m")
	git(t, filepath.Dir(work), "clone", "-q", f.remote, work)
	p := filepath.Join(work, "clusters", "dev", "apps", "web", "service_web.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), "port: 80", "port: 8080", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, work, "commit", "-qam", "hand edit")
	git(t, work, "push", "-q", "origin", "HEAD:main")
	stdout, stderr, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev")
	if code != 1 || stdout != "changed apps/web/service_web.yaml\n" || !strings.Contains(stderr, " renders with the lock's images: 1 file differs\n") {
		t.Errorf("different: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	stdout, _, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev", "--output", "json")
	if err := validateOutput("verify", []byte(stdout)); code != 1 || err != nil {
		t.Errorf("verify --output json: exit %d, %v\n%s", code, err, stdout)
	}

	// A file name is whoever pushed it's: a line break in one must not
	// list another file, or in GitHub Actions make a workflow command.
	odd := "apps/web/x\n::error title=kiln verify::verified.yaml"
	writeFiles(t, filepath.Join(work, "clusters", "dev"), map[string]string{odd: "a: b\n"})
	git(t, work, "add", "-A")
	git(t, work, "commit", "-qm", "odd name")
	git(t, work, "push", "-q", "origin", "HEAD:main")
	f.vars["GITHUB_ACTIONS"] = "true"
	stdout, stderr, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev")
	delete(f.vars, "GITHUB_ACTIONS")
	if want := "changed apps/web/service_web.yaml\nremoved \"apps/web/x\\n::error title=kiln verify::verified.yaml\"\n"; code != 1 || stdout != want {
		t.Errorf("odd name: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, stdout, want, stderr)
	}

	// Trouble: no such folder to verify, and a usage mistake.
	if _, stderr, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev", "--against", filepath.Join(t.TempDir(), "none")); code != 2 {
		t.Errorf("trouble: exit %d, want 2\n%s", code, stderr)
	}
	if _, stderr, code = f.kiln(t, false, "verify", "--config", cfg); code != 2 || !strings.Contains(stderr, "give the env to verify with --env") {
		t.Errorf("usage: exit %d, want 2\n%s", code, stderr)
	}

	// In GitHub Actions, trouble is an annotation, as every command's
	// errors are (it was printed only).
	f.vars["GITHUB_ACTIONS"] = "true"
	if _, stderr, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev", "--against", filepath.Join(t.TempDir(), "none")); code != 2 || !strings.Contains(stderr, "::error ") {
		t.Errorf("trouble in GitHub Actions: exit %d, want 2 and an annotation\n%s", code, stderr)
	}
}

// TestVerifySourceRef: with --source-ref, a tree rendered from a commit off
// the code repository's reviewed branch fails verification (exit 1) without
// being rendered again; in CI, leaving the flag out is noted.
func TestVerifySourceRef(t *testing.T) {
	t.Parallel()
	f := newPromoteFixture(t)
	cfg := filepath.Join(f.code, "kiln.yaml")
	git(t, f.code, "checkout", "-q", "-b", "fork")
	if err := os.WriteFile(filepath.Join(f.code, "notes.txt"), []byte("unreviewed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, f.code, "add", "-A")
	git(t, f.code, "commit", "-qm", "unreviewed")
	fork := git(t, f.code, "rev-parse", "HEAD")
	if _, stderr, code := f.kiln(t, false, "promote", "--config", cfg, "--env", "dev"); code != 0 {
		t.Fatalf("promote: exit %d\n%s", code, stderr)
	}
	git(t, f.code, "checkout", "-q", "main")

	stdout, stderr, code := f.kiln(t, false, "verify", "--config", cfg, "--env", "dev", "--source-ref", "main")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "the source commit "+fork+" that ") || !strings.Contains(stderr, " is not on main: no reviewed source renders this folder") {
		t.Errorf("off main: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	stdout, _, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev", "--source-ref", "main", "--output", "json")
	if err := validateOutput("verify", []byte(stdout)); code != 1 || err != nil || !strings.Contains(stdout, `"offSourceRef": true`) {
		t.Errorf("verify --output json: exit %d, %v\n%s", code, err, stdout)
	}
	if _, stderr, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev", "--source-ref", "fork"); code != 0 || strings.Contains(stderr, "no --source-ref") {
		t.Errorf("on fork: exit %d\n%s", code, stderr)
	}
	if _, stderr, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev", "--source-ref", "nosuch"); code != 2 || !strings.Contains(stderr, "--source-ref nosuch is not a commit of this repository") {
		t.Errorf("unknown ref: exit %d\n%s", code, stderr)
	}
	f.vars["CI"] = "true"
	if _, stderr, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev"); code != 0 || !strings.Contains("\n"+stderr, "\nnote: no --source-ref:") {
		t.Errorf("in CI without --source-ref: exit %d\n%s", code, stderr)
	}
}

// TestSOPSIdentities reads age identities as sops does, from SOPS_AGE_KEY
// and SOPS_AGE_KEY_FILE, and never repeats a key in an error.
func TestSOPSIdentities(t *testing.T) {
	t.Parallel()
	key := func() string {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		return id.String()
	}
	k1, k2 := key(), key()
	file := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(file, []byte("# created: today\n"+k2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := "AGE-SECRET-KEY-1NOTAKEY"
	tests := []struct {
		name    string
		vars    map[string]string
		want    int
		wantErr string
	}{
		{"none", nil, 0, ""},
		{"key", map[string]string{"SOPS_AGE_KEY": k1}, 1, ""},
		{"file", map[string]string{"SOPS_AGE_KEY_FILE": file}, 1, ""},
		{"both", map[string]string{"SOPS_AGE_KEY": k1, "SOPS_AGE_KEY_FILE": file}, 2, ""},
		{"missing file", map[string]string{"SOPS_AGE_KEY_FILE": file + ".none"}, 0, "SOPS_AGE_KEY_FILE: open"},
		{"not a key", map[string]string{"SOPS_AGE_KEY": bad}, 0, "not age identities"},
	}
	for _, tt := range tests {
		ids, err := sopsIdentities(func(k string) (string, bool) { v, ok := tt.vars[k]; return v, ok })
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), bad) {
				t.Errorf("%s: error = %v, want %q without the key", tt.name, err, tt.wantErr)
			}
		case err != nil || len(ids) != tt.want:
			t.Errorf("%s: %d identities, %v; want %d", tt.name, len(ids), err, tt.want)
		}
	}
}
