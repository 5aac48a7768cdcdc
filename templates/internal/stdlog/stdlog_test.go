package stdlog

import (
	"bytes"
	"errors"
	"log"
	"slices"
	"sync"
	"testing"
)

// TestLinesRestoresLogger: Lines hands each line logged during its call
// to the caller and puts the standard logger back as it found it (output,
// flags, prefix), after an error and a panic too, and with many captures
// at once (engines render side by side). Not parallel: it owns the
// process-wide logger while it runs, which is why the engines' tests,
// parallel, do not look at the logger themselves.
func TestLinesRestoresLogger(t *testing.T) {
	w, flags, prefix := log.Writer(), log.Flags(), log.Prefix()
	defer func() { log.SetOutput(w); log.SetFlags(flags); log.SetPrefix(prefix) }()
	var mine bytes.Buffer
	log.SetOutput(&mine)
	log.SetFlags(log.Lshortfile)
	log.SetPrefix("before: ")
	restored := func(when string) {
		t.Helper()
		if log.Writer() != &mine || log.Flags() != log.Lshortfile || log.Prefix() != "before: " {
			t.Errorf("%s: the standard logger was left changed", when)
		}
	}

	var got []string
	err := Lines(func() error {
		log.Print("one")
		log.Printf("two\nthree")
		return errors.New("failed")
	}, func(l string) { got = append(got, l) })
	if err == nil || err.Error() != "failed" || !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Errorf("Lines() = %v, lines %q; want the error and one, two, three without flags or prefix", err, got)
	}
	restored("after an error")

	func() {
		defer func() { _ = recover() }()
		_ = Lines(func() error { panic("boom") }, func(string) {})
	}()
	restored("after a panic")

	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_ = Lines(func() error { log.Print("x"); return nil }, func(string) {})
		})
	}
	wg.Wait()
	restored("after captures side by side")
	if mine.Len() != 0 {
		t.Errorf("the caller's logger got %q, which the captures took", mine.String())
	}
}
