// Package detach runs work that cannot be interrupted (a jsonnet
// evaluation, a krusty build, a strategic merge of long lists) so that
// its caller can still stop at its context's end. The work goes on, abandoned, until it returns or the
// program exits, as kiln does once a render fails; so it must write
// nothing its caller reads after giving up.
package detach

import "context"

// Run calls f on a goroutine of its own and returns its result, or ctx's
// error as soon as ctx ends. A panic in f, which on that goroutine would
// end the program, becomes onPanic's error.
func Run[T any](ctx context.Context, f func() (T, error), onPanic func(p any) error) (T, error) {
	type outcome struct {
		v   T
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if p := recover(); p != nil {
				o = outcome{err: onPanic(p)}
			}
			done <- o
		}()
		o.v, o.err = f()
	}()
	select {
	case o := <-done:
		return o.v, o.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
