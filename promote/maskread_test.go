package promote

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
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

// TestShownTreesMaskFoldedSecretVar: the manifests repository's side may
// hold a secret var's value folded over two lines in a ConfigMap (a hand
// edit); kiln diff printed it in two pieces. The new side is as it was.
func TestShownTreesMaskFoldedSecretVar(t *testing.T) {
	t.Parallel()
	const p = "apps/c/configmap_c.yaml"
	head := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: demo\ndata:\n"
	old := map[string][]byte{p: []byte(head +
		"  k: correct horse battery staple rides again\n    across the wide open plains of text\n" +
		"  j: \"correct horse battery staple rides again across the wide\\\n    \\ open plains of text\"\n" +
		"  s: 'correct horse battery staple rides again\n    across the wide open plains of text'\n")}
	new := map[string][]byte{p: []byte(head + "  k: new-value\n")}
	so, sn := shownTrees(foldRedactor(), sopsyaml.Identities{}, nil, old, new)
	want := head + "  k: **redacted**\n  j: **redacted**\n  s: **redacted**\n"
	if d := cmp.Diff(want, string(so[p])); d != "" {
		t.Errorf("old side (-want +got)\n%s", d)
	}
	for _, piece := range []string{"horse", "plains"} {
		if strings.Contains(string(so[p]), piece) {
			t.Errorf("the old side shows %q", piece)
		}
	}
	if string(sn[p]) != string(new[p]) {
		t.Errorf("new side = %q, want it as it is", sn[p])
	}
}

// TestShownTreesMaskFoldedInputValue: kiln's own side is read too. A
// Helm values file in high-level/ may hold a Secret's value folded over
// lines; the Secret's value is masked there, so is the values file's.
func TestShownTreesMaskFoldedInputValue(t *testing.T) {
	t.Parallel()
	const values = "high-level/db/values.yaml"
	new := map[string][]byte{
		"apps/db/secret_db.yaml": []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: " + foldedSecret + "\n"),
		values:                   []byte("db:\n  password: correct horse battery staple rides again\n    across the wide open plains of text\n  user: app\n"),
	}
	_, sn := shownTrees(redact.New(nil), sopsyaml.Identities{}, nil, map[string][]byte{}, new)
	if d := cmp.Diff("db:\n  password: **redacted**\n  user: app\n", string(sn[values])); d != "" {
		t.Errorf("values file (-want +got)\n%s", d)
	}
}

// TestMaskReadPastOtherLineBreaks: yaml.v3 ends a line at a lone CR, NEL,
// LS and PS too. A value holding some before a folded secret var's value
// put the scalar on a line below the one yaml.v3 gave it, a later line was
// masked and the value shown.
func TestMaskReadPastOtherLineBreaks(t *testing.T) {
	t.Parallel()
	for name, brk := range map[string]string{"CR": "\r", "NEL": "\u0085", "LS": "\u2028", "PS": "\u2029"} {
		in := "data:\n  a: \"x" + strings.Repeat(brk, 3) + "y\"\n" +
			"  k: correct horse battery staple rides again\n    across the wide open plains of text\n" +
			"  j: x\n  l1: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  l2: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n  l3: c\n"
		want := "data:\n  a: \"x" + strings.Repeat(brk, 3) + "y\"\n" +
			"  k: **redacted**\n" +
			"  j: x\n  l1: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  l2: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n  l3: c\n"
		if got := string(redactRead(foldRedactor(), []byte(in))); got != want {
			t.Errorf("%s: got %q\nwant %q", name, got, want)
		}
	}
}
