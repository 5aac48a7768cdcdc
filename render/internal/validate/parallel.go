package validate

import (
	"runtime"

	"golang.org/x/sync/errgroup"
)

// parallel calls f(0) … f(n-1) on up to GOMAXPROCS goroutines and returns
// when all have returned. Callers write results by index, so what they
// report does not depend on scheduling.
func parallel(n int, f func(i int)) {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		g.Go(func() error {
			f(i)
			return nil
		})
	}
	_ = g.Wait() // f returns nothing to fail with
}
