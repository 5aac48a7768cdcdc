package warnlist

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/templates"
)

// TestBounded: a thousand distinct warnings, each added twice, in two
// random orders, keep the same first three by message and count the rest;
// a long message is cut.
func TestBounded(t *testing.T) {
	t.Parallel()
	var ws []templates.Warning
	for i := range 1000 {
		ws = append(ws, templates.Warning{File: "values.yaml", Msg: fmt.Sprintf("key k%04d", i), Hint: "h"})
	}
	ws = append(ws, ws...)
	want := []templates.Warning{
		{File: "values.yaml", Msg: "key k0000", Hint: "h"},
		{File: "values.yaml", Msg: "key k0001", Hint: "h"},
		{File: "values.yaml", Msg: "key k0002", Hint: "h"},
		{File: "values.yaml", Msg: "… and 997 more warnings (kiln shows the first 3, sorted)", Hint: "h"},
	}
	for seed := range uint64(2) {
		rand.New(rand.NewPCG(seed, 1)).Shuffle(len(ws), func(i, j int) { ws[i], ws[j] = ws[j], ws[i] })
		l := New(3)
		for _, w := range ws {
			l.Add(w)
		}
		if d := cmp.Diff(want, l.Warnings()); d != "" {
			t.Errorf("seed %d (-want +got):\n%s", seed, d)
		}
	}

	var l List
	l.Add(templates.Warning{Msg: strings.Repeat("é", MaxMsg)})
	l.Add(templates.Warning{Msg: "b"})
	got := l.Warnings()
	if len(got) != 2 || got[0].Msg != "b" || len(got[1].Msg) > MaxMsg || !strings.HasSuffix(got[1].Msg, "é…") {
		t.Errorf("a long message cut: got %+v", got)
	}
	if (&List{}).Warnings() != nil {
		t.Error("an empty list has warnings")
	}
}
