package redact

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestWriterHoldsAWrappedRun: a value's base64 in lines, written a line
// (or a byte) at a time, is masked as it is when written at once: no
// line of it is a form on its own. The lines around it pass unchanged.
func TestWriterHoldsAWrappedRun(t *testing.T) {
	t.Parallel()
	value := strings.Repeat("correct-horse-battery-staple/", 6)[:171]
	enc := base64.StdEncoding.EncodeToString([]byte(value))
	for _, tc := range []struct {
		name  string
		text  string
		chunk func(line string) []string
	}{
		{
			name:  "76 wide, a line a write",
			text:  "hello\ncert: " + wrap(enc, 76, "\n") + "\nnext: line\n",
			chunk: func(l string) []string { return []string{l} },
		},
		{
			name:  "64 wide in a block scalar, a byte a write",
			text:  "key: |\n  " + wrap(enc, 64, "\n  ") + "\nother: x\n",
			chunk: func(l string) []string { return strings.Split(l, "") },
		},
		{
			name:  "76 wide with CRLF, ended by Flush",
			text:  "pw:\r\n" + wrap(enc, 76, "\r\n") + "\r\n",
			chunk: func(l string) []string { return []string{l} },
		},
	} {
		var s Set
		s.Add(New(map[string]string{"PW": value}))
		var out bytes.Buffer
		w := s.Writer(&out)
		for _, line := range strings.SplitAfter(tc.text, "\n") {
			for _, c := range tc.chunk(line) {
				if _, err := w.Write([]byte(c)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if want := s.String(tc.text); out.String() != want || !strings.Contains(want, Mask) {
			t.Errorf("%s: wrote\n%q\nwant\n%q", tc.name, out.String(), want)
		}
	}
}

// TestWriterPassesOtherLines: a line that no run can take in is written
// as soon as its newline arrives, and a run's lines as soon as a line
// ends the run; only a line that may be the start or the middle of a run
// waits.
func TestWriterPassesOtherLines(t *testing.T) {
	t.Parallel()
	var s Set
	s.Add(New(map[string]string{"PW": "hunter2hunter2"}))
	var out bytes.Buffer
	w := s.Writer(&out)
	for _, step := range []struct{ write, want string }{
		{write: "hello\n", want: "hello\n"},
		{write: "kiln: rendering env dev\nwarning: pw is hunter2hunter2\n", want: "kiln: rendering env dev\nwarning: pw is **redacted**\n"},
		{write: "unfinished", want: ""},
		{write: " line\n", want: "unfinished line\n"},
		{write: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n", want: ""},
		{write: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n", want: ""},
		{write: "QUJD\n", want: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldY\nQUJD\n"},
		{write: "bye\n", want: "bye\n"},
	} {
		out.Reset()
		if _, err := w.Write([]byte(step.write)); err != nil {
			t.Fatal(err)
		}
		if out.String() != step.want {
			t.Errorf("after Write(%q), wrote %q, want %q", step.write, out.String(), step.want)
		}
	}
}

// TestWriterBoundsALongRun: a run far longer than any form is not held
// whole: its lines are written once no form that a later line completes
// can reach them, and still every occurrence of the value, wherever the
// lines written and those held part, is masked.
func TestWriterBoundsALongRun(t *testing.T) {
	t.Parallel()
	value := "Sup3r-S3cret-Token-0123456789"
	rng := rand.New(rand.NewPCG(3, 4))
	var blob []byte
	var at []int // where each copy of the value starts in blob
	for i := 0; i < 40; i++ {
		for j := rng.IntN(2000); j > 0; j-- {
			blob = append(blob, byte(rng.IntN(256)))
		}
		at = append(at, len(blob))
		blob = append(blob, value...)
	}
	enc := base64.StdEncoding.EncodeToString(blob)
	lines := strings.Split(wrap(enc, 76, "\n"), "\n")
	var s Set
	s.Add(New(map[string]string{"PW": value}))
	var out bytes.Buffer
	w := s.Writer(&out)
	most := 0
	for _, l := range lines {
		if _, err := w.Write([]byte(l + "\n")); err != nil {
			t.Fatal(err)
		}
		most = max(most, len(w.buf)+len(w.ctx))
	}
	// k lines hold more base64 than the longest form.
	k := s.Redactor().longest/76 + 2
	if most > (3*k+1)*77 {
		t.Errorf("the writer held %d bytes of a run of %d lines, want at most %d lines", most, len(lines), 3*k+1)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// No 8 characters of what encodes a copy of the value alone are
	// shown: a copy that the cut between written and held lines crosses
	// is masked on both sides of it.
	written := strings.ReplaceAll(out.String(), "\n", "")
	for _, p := range at {
		core := enc[(8*p+5)/6 : 8*(p+len(value))/6]
		for i := 0; i+8 <= len(core); i++ {
			if strings.Contains(written, core[i:i+8]) {
				t.Fatalf("the copy of the value at byte %d is shown in part: %q", p, core[i:i+8])
			}
		}
	}
	shown := 0
	for _, l := range strings.Split(out.String(), "\n") {
		if len(l) == 76 && strings.Contains(enc, l) {
			shown++
		}
	}
	if shown < len(lines)/2 {
		t.Errorf("%d of %d lines far from the value were shown, want most", shown, len(lines))
	}
}
