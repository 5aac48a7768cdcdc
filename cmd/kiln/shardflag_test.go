package main

import (
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestParseShardTrimsBlanks: --shard takes blanks around its numbers as
// --env and KILN_ENV do (a workflow's "${{ matrix.shard }} / 4"), and still
// refuses what is not i/n.
func TestParseShardTrimsBlanks(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]render.Shard{
		"":        {},
		" ":       {},
		"1/2":     {Index: 1, Count: 2},
		" 1/2":    {Index: 1, Count: 2},
		"2 / 4\n": {Index: 2, Count: 4},
		"\t3/3 ":  {Index: 3, Count: 3},
	} {
		got, err := parseShard(in)
		if err != nil || got != want {
			t.Errorf("parseShard(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"1", "0/2", "3/2", "1/0", "a/2", "1/2/3", "1 2/3", "-1/2"} {
		if _, err := parseShard(in); err == nil {
			t.Errorf("parseShard(%q) is accepted", in)
		}
	}
}
