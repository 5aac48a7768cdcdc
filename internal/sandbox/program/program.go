// Package program names the program a new sandbox worker runs.
//
// kiln's own programs never set it: a worker is the running program again,
// which serves in main before anything else starts (render.Serve). A test
// binary built with the race detector sets it to kiln built without it
// (internal/testenv), so that its workers start as a user's kiln does
// rather than as a second race-enabled test binary, which maps hundreds of
// MiB of shadow memory and initializes every linked package under the
// detector before it can serve. It is a package of its own, importing
// nothing of kiln's, because spawn's and sandbox's own tests import
// testenv, which sets it.
package program

import "sync/atomic"

var override atomic.Pointer[string]

// Set makes path the program new workers run; "" is the running program.
func Set(path string) {
	if path == "" {
		override.Store(nil)
		return
	}
	override.Store(&path)
}

// Path is the program a new worker runs: the running program's file, on
// Linux even after the file at its path was replaced (see running).
func Path() (string, error) {
	if p := override.Load(); p != nil {
		return *p, nil
	}
	return running()
}
