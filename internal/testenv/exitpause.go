package testenv

import (
	"os"
	"strings"
)

// ChildrenExitPromptly lets the programs this test process starts (sandbox
// workers, kiln itself: this binary again) exit without the race
// detector's exit pause. A program built with -race sleeps atexit_sleep_ms,
// one second by default, before it exits, so that goroutines still running
// can report a race; a test that waits for a worker or a kiln to end paid
// that second each time, and it was most of make test's time. The pause
// guards goroutines racing in a program's last second, which in a worker
// or a CLI run that has already answered is nothing a test reads.
//
// The race runtime reads GORACE when a process starts, so this process keeps
// its own pause. A GORACE that already sets atexit_sleep_ms is left alone.
func ChildrenExitPromptly() {
	v := os.Getenv("GORACE")
	if strings.Contains(v, "atexit_sleep_ms") {
		return
	}
	os.Setenv("GORACE", strings.TrimSpace(v+" atexit_sleep_ms=0"))
}
