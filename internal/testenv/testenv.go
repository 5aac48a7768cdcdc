// Package testenv prepares a test process's environment so that tests are
// hermetic: nothing they render reads or writes the developer's own caches.
package testenv

import (
	"os"
)

// Run runs a test binary's tests with XDG_CACHE_HOME pointing at a fresh
// folder, so that the user cache folder render.DefaultOptions picks (remote
// charts, the render cache) belongs to this process, then removes it. It
// returns m.Run's exit code. The programs the tests start exit promptly
// under the race detector (ChildrenExitPromptly), and their sandbox workers
// run kiln built without it (ServePlainWorker).
func Run(m interface{ Run() int }) int {
	ChildrenExitPromptly()
	defer preparePlainWorker()()
	dir, err := os.MkdirTemp("", "kiln-test-cache-")
	if err != nil {
		// No test can run hermetically: stop the binary, loudly.
		panic(err)
	}
	defer os.RemoveAll(dir)
	os.Setenv("XDG_CACHE_HOME", dir)
	return m.Run()
}

// Hermetic is m whose Run does what Run does, for wrappers such as
// testscript.Main that call m.Run themselves.
func Hermetic(m interface{ Run() int }) interface{ Run() int } { return hermetic{m} }

type hermetic struct{ m interface{ Run() int } }

func (h hermetic) Run() int { return Run(h.m) }
