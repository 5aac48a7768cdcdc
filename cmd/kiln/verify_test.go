package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if code != 1 || stdout != "changed apps/web/service_web.yaml\n" {
		t.Errorf("different: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	stdout, _, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev", "--output", "json")
	if err := validateOutput("verify", []byte(stdout)); code != 1 || err != nil {
		t.Errorf("verify --output json: exit %d, %v\n%s", code, err, stdout)
	}

	// Trouble: no such folder to verify, and a usage mistake.
	if _, stderr, code = f.kiln(t, false, "verify", "--config", cfg, "--env", "dev", "--against", filepath.Join(t.TempDir(), "none")); code != 2 {
		t.Errorf("trouble: exit %d, want 2\n%s", code, stderr)
	}
	if _, stderr, code = f.kiln(t, false, "verify", "--config", cfg); code != 2 || !strings.Contains(stderr, "give the env to verify with --env") {
		t.Errorf("usage: exit %d, want 2\n%s", code, stderr)
	}
}
