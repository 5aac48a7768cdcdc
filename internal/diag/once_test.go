package diag

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOnceEach checks that each key keeps its first warning, counting the
// later ones, and that a key without a warning swallows its repeats.
func TestOnceEach(t *testing.T) {
	t.Parallel()
	var w OnceEach
	for i, key := range []string{"a", "b", "a", "none", "a", "none", "b"} {
		if w.Seen(key) {
			continue
		}
		var warn *Warning
		if key != "none" {
			warn = &Warning{Line: i + 1, Msg: "cause " + key}
		}
		w.Add(key, warn)
	}
	got := w.Warnings("object")
	want := []Warning{
		{Line: 1, Msg: "cause a (and 2 more objects of the app)"},
		{Line: 2, Msg: "cause b (and 1 more object of the app)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
