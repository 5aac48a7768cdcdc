package diag

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClosest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		s          string
		candidates []string
		want       string
	}{
		{name: "one letter off", s: "rediss", candidates: []string{"redis", "vote"}, want: "redis"},
		{name: "case only", s: "Redis", candidates: []string{"redis"}, want: "redis"},
		{name: "two edits of a short word", s: "prd", candidates: []string{"dev", "prod"}, want: "prod"},
		{name: "too far", s: "cache", candidates: []string{"redis"}, want: ""},
		// Replacing every character is no misspelling.
		{name: "one letter, another letter", s: "c", candidates: []string{"a"}, want: ""},
		{name: "two letters, another letter", s: "bb", candidates: []string{"a"}, want: ""},
		{name: "two letters, nothing in common", s: "zz", candidates: []string{"ab"}, want: ""},
		{name: "two letters, one kept", s: "db", candidates: []string{"dv", "redis"}, want: "dv"},
		{name: "no candidates", s: "x", candidates: nil, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Closest(tt.s, tt.candidates); got != tt.want {
				t.Errorf("Closest(%q, %q) = %q, want %q", tt.s, tt.candidates, got, tt.want)
			}
		})
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{name: "short", in: "abc def", want: "abc def"},
		{name: "between words", in: "abc def ghi", want: "abc def… (4 more bytes of the message)"},
		{name: "inside a word", in: "abc d3Zm/+== x", want: "abc … (10 more bytes of the message)"},
		{name: "one word", in: strings.Repeat("x", 20), want: "… (20 more bytes of the message)"},
		{name: "inside a rune", in: "ab: ééééé", want: "ab: … (10 more bytes of the message)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Cut(tc.in, 7)); diff != "" {
				t.Errorf("Cut (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSplitCut: the text Cut kept comes apart from its note, so that a
// redactor can mask a value the cut split (redact.StringCut).
func TestSplitCut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, kept, note string }{
		{name: "cut", in: Cut("pw: correct horse battery", 12), kept: "pw: correct ", note: "… (13 more bytes of the message)"},
		{name: "not cut", in: "pw: x", kept: "pw: x"},
		{name: "the words alone", in: "a… (3 more bytes of the message) b", kept: "a… (3 more bytes of the message) b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kept, note := SplitCut(tc.in)
			if kept != tc.kept || note != tc.note {
				t.Errorf("SplitCut(%q) = %q, %q, want %q, %q", tc.in, kept, note, tc.kept, tc.note)
			}
		})
	}
}

func TestForApp(t *testing.T) {
	plain := errors.New("not a diag.Error")
	err := errors.Join(
		&Error{File: "b.yaml", Msg: "second"},
		fmt.Errorf("wrapped: %w", &Error{File: "a.yaml", Msg: "first"}),
		&Error{File: "c.yaml", App: "other", Msg: "named already"},
		plain,
	)
	got := Flatten(ForApp(err, "db"))
	var apps []string
	for _, e := range got {
		var de *Error
		if errors.As(e, &de) {
			apps = append(apps, de.File+":"+de.App)
		} else if e != plain {
			t.Errorf("error %v changed", e)
		}
	}
	if want := []string{"a.yaml:db", "b.yaml:db", "c.yaml:other"}; !slices.Equal(apps, want) {
		t.Errorf("apps = %q, want %q", apps, want)
	}
	if len(got) != 4 {
		t.Errorf("got %d errors, want 4", len(got))
	}
	if ForApp(nil, "db") != nil {
		t.Error("ForApp(nil) is not nil")
	}
}
