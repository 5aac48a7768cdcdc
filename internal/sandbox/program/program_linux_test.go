package program

import "testing"

// TestPathIsTheRunningFile: without an override a worker runs the file
// this process runs (/proc/self/exe), not whatever is at its path now.
func TestPathIsTheRunningFile(t *testing.T) {
	if p, err := Path(); err != nil || p != selfExe {
		t.Fatalf("Path() = %q, %v; want %s", p, err, selfExe)
	}
	Set("/usr/local/bin/kiln-test-worker")
	defer Set("")
	if p, _ := Path(); p != "/usr/local/bin/kiln-test-worker" {
		t.Fatalf("Path() = %q with an override", p)
	}
}
