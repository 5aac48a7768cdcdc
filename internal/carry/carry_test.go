package carry

import (
	"strings"
	"sync"
	"testing"
)

// TestRaiseCarriesTheFirstPanic: of many goroutines, one panics; the
// others run to their end, and Raise panics in the waiting goroutine with
// that value and the panicking goroutine's stack.
func TestRaiseCarriesTheFirstPanic(t *testing.T) {
	var p Panics
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer p.Catch()
			if i == 3 {
				panic("boom at 3")
			}
			mu.Lock()
			done++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if done != 19 {
		t.Errorf("%d goroutines ran to their end, want 19", done)
	}
	var got any
	func() {
		defer func() { got = recover() }()
		p.Raise()
	}()
	cp, ok := got.(*Panic)
	if !ok {
		t.Fatalf("Raise panicked with %#v, want a *Panic", got)
	}
	if cp.Value != "boom at 3" || !strings.Contains(cp.Error(), "boom at 3") || !strings.Contains(string(cp.Stack), "carry_test.go") {
		t.Errorf("carried panic %q lacks the value or the goroutine's stack", cp.Error())
	}
}

// TestRaiseWithoutPanic: nothing caught, Raise returns.
func TestRaiseWithoutPanic(t *testing.T) {
	var p Panics
	func() {
		defer p.Catch()
	}()
	p.Raise()
}

// TestEachCarriesPanics: a panic in one of Each's calls reaches the
// caller's goroutine once every other call has returned.
func TestEachCarriesPanics(t *testing.T) {
	var mu sync.Mutex
	done := 0
	var got any
	func() {
		defer func() { got = recover() }()
		Each(50, func(i int) {
			if i == 7 {
				panic("boom at 7")
			}
			mu.Lock()
			done++
			mu.Unlock()
		})
	}()
	cp, ok := got.(*Panic)
	if !ok {
		t.Fatalf("recovered %#v, want a *Panic", got)
	}
	if cp.Value != "boom at 7" {
		t.Errorf("carried %v, want boom at 7", cp.Value)
	}
	if done != 49 {
		t.Errorf("%d calls returned before the panic was raised again, want 49", done)
	}
}
