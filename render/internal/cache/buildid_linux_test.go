package cache

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildIDOfTheRunningFile: a kiln whose file is replaced while it runs
// (`make install` during a render) still names its own build, not the one
// now at its path: otherwise it would keep its results under the new
// build's ID, and that build would be served them. The test binary runs
// a copy of itself, replaces the copy with another program, and then asks
// the copy for its build ID.
func TestBuildIDOfTheRunningFile(t *testing.T) {
	if os.Getenv("KILN_TEST_BUILDID_CHILD") != "" {
		// The child: wait until the parent replaced this file, then answer.
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		id, err := BuildID()
		if err != nil {
			id = "error: " + err.Error()
		}
		os.Stdout.WriteString("buildid=" + id + "\n")
		return
	}
	t.Parallel()
	want, err := BuildID()
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(t.TempDir(), "kiln")
	copyFile(t, self, copied)
	cmd := exec.Command(copied, "-test.run=^TestBuildIDOfTheRunningFile$", "-test.v")
	cmd.Env = append(os.Environ(), "KILN_TEST_BUILDID_CHILD=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Another program at the copy's path, as an install puts it: a new
	// file renamed over the old one.
	other, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, other, copied+".new")
	if err := os.Rename(copied+".new", copied); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "\n")
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "buildid="+want+"\n") {
		t.Fatalf("the running copy named another build, want %s:\n%s", want, out.String())
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}
