package promote

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/redact"
)

// foldedSecret is long enough for kyaml and people to fold it.
const foldedSecret = "correct horse battery staple rides again across the wide open plains of text"

func foldRedactor() *redact.Redactor {
	return redact.New(map[string]string{"PW": foldedSecret, "LINES": "ab\ncd\nef"})
}

// TestMaskReadScalars: a secret var's value that YAML reads from a
// scalar but that is not in its text (folded over lines, escaped, a
// block's lines too short to be forms) is masked whole, the scalar's
// lines becoming one; what the redactor finds in the text stays masked
// where it is.
func TestMaskReadScalars(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
	}{{
		name: "plain folded",
		in:   "data:\n  k: correct horse battery staple rides again\n    across the wide open plains of text\n  j: x\n",
		want: "data:\n  k: **redacted**\n  j: x\n",
	}, {
		name: "double-quoted with a line continuation",
		in:   "data:\n  j: \"correct horse battery staple rides again across the wide\\\n    \\ open plains of text\"\n  k: x\n",
		want: "data:\n  j: **redacted**\n  k: x\n",
	}, {
		name: "single-quoted folded",
		in:   "data:\n  s: 'correct horse battery staple rides again\n    across the wide open plains of text' # why\n  k: x\n",
		want: "data:\n  s: **redacted** # why\n  k: x\n",
	}, {
		name: "folded block",
		in:   "data:\n  f: >- # a comment\n    correct horse battery staple rides again\n    across the wide open plains of text\n\n  k: x\n",
		want: "data:\n  f: **redacted**\n\n  k: x\n",
	}, {
		name: "escaped on one line",
		in:   "k: \"correct\\x20horse battery staple rides again across the wide open plains of text\"\n",
		want: "k: **redacted**\n",
	}, {
		name: "in a flow mapping, tagged",
		in:   "d: {k: !!str \"correct horse battery staple rides again\n     across the wide open plains of text\", j: x}\n",
		want: "d: {k: **redacted**, j: x}\n",
	}, {
		name: "anchored on the line before, and its alias",
		in:   "t: &a\n  correct horse battery staple rides again\n  across the wide open plains of text\nu: *a\n",
		want: "t: **redacted**\nu: *a\n",
	}, {
		name: "after a key of multi-byte characters, with CR LF line ends",
		in:   "ключ: {k: \"correct horse battery staple rides again\r\n   across the wide open plains of text\"}\r\nj: x\r\n",
		want: "ключ: {k: **redacted**}\r\nj: x\r\n",
	}, {
		name: "a key",
		in:   "? correct horse battery staple rides again\n  across the wide open plains of text\n: v\n",
		want: "? **redacted**\n: v\n",
	}, {
		name: "a literal block of lines too short to be forms",
		in:   "l: |\n  ab\n  cd\n  ef\nn: x\n",
		want: "l: **redacted**\nn: x\n",
	}, {
		name: "the value whole on one of the lines, and folded",
		in:   "k: " + foldedSecret + " and correct horse battery\n  staple rides again across the wide open plains of text\n",
		want: "k: **redacted**\n",
	}, {
		name: "after a value masked on its line, which reads as an alias",
		in:   "k: " + foldedSecret + "\nj: correct horse battery staple rides again\n  across the wide open plains of text\n",
		want: "k: **redacted**\nj: **redacted**\n",
	}, {
		name: "a literal block holding the value on one line stays",
		in:   "conf: |\n  user=app\n  password=" + foldedSecret + "\nk: x\n",
		want: "conf: |\n  user=app\n  password=**redacted**\nk: x\n",
	}, {
		name: "a document that does not parse, then one that does",
		in:   "a: [correct horse battery staple rides again\n  across the wide open plains of text\n---\nk: correct horse battery staple rides again\n  across the wide open plains of text\n",
		want: "a: [correct horse battery staple rides again\n  across the wide open plains of text\n---\nk: **redacted**\n",
	}, {
		name: "folded scalars without a secret",
		in:   "k: some text\n  folded\nj: \"and\\\n  more\"\n",
		want: "k: some text\n  folded\nj: \"and\\\n  more\"\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tc.want, string(redactRead(foldRedactor(), []byte(tc.in)))); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestMaskReadLeavesOneLineValues: a file whose values are all in its
// text as they are comes back as the redactor alone masks it, byte for
// byte.
func TestMaskReadLeavesOneLineValues(t *testing.T) {
	t.Parallel()
	rd := foldRedactor()
	for _, in := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: " + foldedSecret + "\n  j: '" + foldedSecret + "'\n  l: |\n    line\n",
		"{\"k\": \"" + foldedSecret + "\", \"n\": [1, 2]}\n",
		"not: [yaml\n",
		"",
	} {
		if got, want := string(redactRead(rd, []byte(in))), string(rd.Bytes([]byte(in))); got != want {
			t.Errorf("redactRead(%q) = %q, want %q", in, got, want)
		}
	}
}
