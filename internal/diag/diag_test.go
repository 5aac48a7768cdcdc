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

// TestClip: a long name shows its start and how long it was, cut between
// runes.
func TestClip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{name: "short", in: "redis", want: "redis"},
		{name: "at the bound", in: "abcdefg", want: "abcdefg"},
		{name: "long", in: "abcdefgh", want: "abcdefg…(8 bytes)"},
		{name: "inside a rune", in: "abcdeféé", want: "abcdef…(10 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Clip(tc.in, 7)); diff != "" {
				t.Errorf("Clip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBound: a message keeps its words around a long one it quotes,
// which is clipped as a name is, and stays within MaxMessage; bounding
// again changes nothing.
func TestBound(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 100000)
	clipped := strings.Repeat("a", MaxName) + "…(100000 bytes)"
	words := strings.Repeat("word ", 1000) // 5000 bytes
	for _, tc := range []struct{ name, in, want string }{
		{name: "short", in: "field \"spec\": unknown", want: "field \"spec\": unknown"},
		{name: "a long word", in: `Invalid value: "` + long + `": must be no more than 253 characters`,
			want: `Invalid value: "` + clipped + `": must be no more than 253 characters`},
		{name: "a word at the bound", in: "x " + long[:MaxName] + " y", want: "x " + long[:MaxName] + " y"},
		{name: "long words", in: long + " and " + long, want: clipped + " and " + clipped},
		{name: "many words", in: words, want: words[:MaxMessage-1] + "… (905 more bytes of the message)"},
		// An engine's cut, which masking after it made longer: the note
		// counts the bytes of both cuts.
		{name: "cut twice", in: words[:MaxMessage-1] + "masked-value… (904 more bytes of the message)",
			want: words[:MaxMessage-1] + "… (916 more bytes of the message)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Bound(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Bound (-want +got):\n%s", diff)
			}
			if again := Bound(got); again != got {
				t.Errorf("Bound again changed it:\n%s\nto\n%s", got, again)
			}
		})
	}
}

// TestErrorBounded: an error about an object whose name has 100,000
// characters, quoted again in its message and its field's path, prints in
// a few KiB, and still tells apart from one about an object whose name
// differs past the bound.
func TestErrorBounded(t *testing.T) {
	t.Parallel()
	name := strings.Repeat("a", 100000)
	e := &Error{File: "a/cm.yaml", Line: 4, App: "y", Object: Object{Kind: "ConfigMap", Namespace: "x", Name: name},
		Field: "metadata.labels." + name, Msg: `Invalid value: "` + name + `": must be no more than 253 characters`,
		Hint: "check " + name}
	clipped := strings.Repeat("a", MaxName) + "…(100000 bytes)"
	want := "a/cm.yaml:4: app y: ConfigMap/x/" + clipped + `: Invalid value: "` + clipped + `": must be no more than 253 characters` +
		"\n  hint: check " + clipped
	if diff := cmp.Diff(want, e.Error()); diff != "" {
		t.Errorf("Error (-want +got):\n%s", diff)
	}
	if w := (Warning{Object: e.Object, Msg: e.Msg}).String(); len(w) > 3*MaxName {
		t.Errorf("the warning has %d bytes:\n%s", len(w), w)
	}
	b := e.Bounded()
	// A field's path is one word.
	if b.Field != Clip(e.Field, MaxName) || b.Object != e.Object || b.Hint != "check "+clipped {
		t.Errorf("Bounded = field %q, object %v, hint %q", b.Field, b.Object.String(), b.Hint)
	}
	if e.Msg != `Invalid value: "`+name+`": must be no more than 253 characters` {
		t.Error("Bounded changed the error")
	}
	if b := (&Error{File: strings.Repeat("d/", 5000), App: name}).Bounded(); len(b.File) > 5000 || b.App != clipped {
		t.Errorf("Bounded = file of %d bytes, app %q", len(b.File), b.App)
	}
	other := *e
	other.Object.Name = name + "b"
	if got := Sort([]error{&other, e}); len(got) != 2 || got[0] != e {
		t.Errorf("Sort = %v, want both, the shorter name first", got)
	}
}

// TestObjectQuoted: an object's part that holds a line break, an escape
// or a quote (a name read back from the manifests branch, which nothing
// validated) is quoted, so that it cannot forge a line of the log or
// drive the terminal; plain names stay as they are.
func TestObjectQuoted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		o    Object
		want string
	}{
		{Object{Kind: "ConfigMap", Namespace: "web", Name: "cfg"}, "ConfigMap/web/cfg"},
		{Object{Kind: "ConfigMap", Name: "a\nwarning: forged"}, `ConfigMap/"a\nwarning: forged"`},
		{Object{Kind: "Secret", Namespace: "x\x1b[2J", Name: `q"`}, `Secret/"x\x1b[2J"/"q\""`},
		{Object{Kind: "ConfigMap", Name: "café…"}, "ConfigMap/café…"},
	} {
		if got := tc.o.String(); got != tc.want {
			t.Errorf("%#v: String = %s, want %s", tc.o, got, tc.want)
		}
	}
}

// TestErrorMap: a redactor sees each part whole, an empty message as the
// cause's text, and the location stays.
func TestErrorMap(t *testing.T) {
	t.Parallel()
	e := &Error{File: "f", Line: 2, App: "a", Object: Object{Kind: "K", Namespace: "n", Name: "pw"}, Field: "pw", Hint: "pw",
		Err: errors.New("pw")}
	got := e.Map(strings.ToUpper)
	if got.Err != e.Err {
		t.Errorf("Map changed the cause to %v", got.Err)
	}
	got.Err = nil
	// File and App too: they are clipped when shown, so a masker must
	// see them whole first.
	want := Error{File: "F", Line: 2, App: "A", Object: Object{Kind: "K", Namespace: "N", Name: "PW"}, Field: "PW", Msg: "PW", Hint: "PW"}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("Map (-want +got):\n%s", diff)
	}
}

// wholeError is an error that is shown whole (Whole).
type wholeError struct{ text string }

func (e wholeError) Error() string { return e.text }
func (wholeError) ShowWhole()      {}

// TestTextShowsWholeErrorsWhole: a gate's list of many failed apps, or a
// kiln bug's stack, is shown whole, its hint at the end included; any
// other plain error is bounded.
func TestTextShowsWholeErrorsWhole(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("app failed: Health check failed\n", 400) + "  hint: see each app's Kustomization"
	if got := Text(wholeError{long}); got != long {
		t.Errorf("Text of a Whole error cut it to %d of %d bytes", len(got), len(long))
	}
	if got := Text(errors.New(long)); len(got) > MaxMessage+100 {
		t.Errorf("Text of a plain error is %d bytes, want it bounded", len(got))
	}
}

// TestFlattenWrappedJoin: a joined tree that fmt.Errorf wraps gives every
// leaf, each with the wrapper's words, so that sinks reading each leaf's
// *Error (JSON, annotations, ForApp) lose none.
func TestFlattenWrappedJoin(t *testing.T) {
	a := &Error{File: "a.yaml", Line: 1, Msg: "first"}
	b := &Error{File: "b.yaml", Line: 2, Msg: "second"}
	plain := errors.New("plain")
	err := fmt.Errorf("outer: %w", fmt.Errorf("build: %w (kustomize)", errors.Join(a, b, plain)))
	got := Flatten(err)
	var texts []string
	for _, e := range got {
		texts = append(texts, e.Error())
	}
	want := []string{
		"outer: build: " + a.Error() + " (kustomize)",
		"outer: build: " + b.Error() + " (kustomize)",
		"outer: build: plain (kustomize)",
	}
	if !slices.Equal(texts, want) {
		t.Fatalf("Flatten = %q, want %q", texts, want)
	}
	for i, de := range []*Error{a, b} {
		var x *Error
		if !errors.As(got[i], &x) || x != de {
			t.Errorf("leaf %d: errors.As = %v, want %v", i, x, de)
		}
	}
	if !errors.Is(got[2], plain) {
		t.Errorf("leaf 2 does not wrap the plain error")
	}
	var apps []string
	for _, e := range Flatten(ForApp(err, "db")) {
		var x *Error
		if errors.As(e, &x) {
			apps = append(apps, x.File+":"+x.App)
		}
	}
	if want := []string{"a.yaml:db", "b.yaml:db"}; !slices.Equal(apps, want) {
		t.Errorf("ForApp named %q, want %q", apps, want)
	}
	// One wrapped error is left as fmt.Errorf made it, and so is one
	// error with two causes.
	for _, one := range []error{fmt.Errorf("outer: %w", a), fmt.Errorf("%w: %w", plain, a)} {
		if got := Flatten(one); len(got) != 1 || got[0] != one {
			t.Errorf("Flatten(%v) = %v", one, got)
		}
	}
}

// TestArchiveEntry: a File the Helm engine gives a file inside a chart
// archive splits into the archive and the entry; other files do not.
func TestArchiveEntry(t *testing.T) {
	t.Parallel()
	for file, want := range map[string][2]string{
		"charts/a/charts/redis-17.0.0.tgz: redis/templates/x.yaml":    {"charts/a/charts/redis-17.0.0.tgz", "redis/templates/x.yaml"},
		"app-0.1.0.tgz: app/charts/db-1.0.0.tgz: db/templates/x.yaml": {"app-0.1.0.tgz", "app/charts/db-1.0.0.tgz: db/templates/x.yaml"},
		"charts/app.tar.gz: app/templates/x.yaml":                     {"charts/app.tar.gz", "app/templates/x.yaml"},
		"charts/app-0.1.0.tgz":                                        {},
		"apps/x.tgz.yaml":                                             {},
		"charts/a/templates/x.yaml":                                   {},
	} {
		archive, entry, ok := ArchiveEntry(file)
		if archive != want[0] || entry != want[1] || ok != (want[0] != "") {
			t.Errorf("ArchiveEntry(%q) = %q, %q, %v; want %q, %q", file, archive, entry, ok, want[0], want[1])
		}
	}
}
