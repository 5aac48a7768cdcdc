// Package carry carries a panic out of the goroutines kiln starts into
// the goroutine that waits for them.
//
// cmd/kiln recovers a panic (a kiln bug) only in its own goroutine: there
// it masks secret values in the message, reports it like any error with
// its stack, and exits 1 after telling GitHub Actions what it must hear.
// A panic left in a goroutine of its own ends the process at once, its raw
// message on stderr. So a goroutine that runs kiln's work defers
// Panics.Catch, and the goroutine that waits for it calls Panics.Raise once
// it is done, as if the work had run there.
package carry

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Panics holds the first panic of the goroutines that catch with it. The
// zero value is ready to use; it must not be copied after first use.
type Panics struct {
	mu    sync.Mutex
	first *Panic
}

// Catch recovers a panic of the calling goroutine and keeps the first;
// defer it there (it must be the deferred function itself, for recover to
// see the panic).
func (p *Panics) Catch() {
	if v := recover(); v != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.first == nil {
			p.first = &Panic{Value: v, Stack: debug.Stack()}
		}
	}
}

// Raise panics with the first panic caught, if any. Call it once the
// goroutines that catch with p are done.
func (p *Panics) Raise() {
	p.mu.Lock()
	first := p.first
	p.mu.Unlock()
	if first != nil {
		panic(first)
	}
}

// Panic is a panic carried out of a goroutine: its value and the stack of
// the goroutine it happened in.
type Panic struct {
	Value any
	Stack []byte
}

func (p *Panic) Error() string {
	return fmt.Sprintf("%v\n\npanicked in another goroutine:\n%s", p.Value, p.Stack)
}

// Each calls f(0) … f(n-1), up to GOMAXPROCS at once, and returns when all
// have returned; a panic of f is raised again in the caller's goroutine
// then. Callers write results by index, so what they report does not
// depend on scheduling.
func Each(n int, f func(i int)) {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	var p Panics
	for i := range n {
		g.Go(func() error {
			defer p.Catch()
			f(i)
			return nil
		})
	}
	_ = g.Wait() // f returns nothing to fail with
	p.Raise()
}
