package yamlenc

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kiln-gitops/kiln/internal/testenv"
)

// kpsChart is a real CRD-heavy chart: its CRDs are the largest documents
// kiln writes.
const kpsChart = "../../../testdata/charts/kube-prometheus-stack/kube-prometheus-stack-88.5.3.tgz"

// corpus returns every YAML document of the repository's testdata folders
// and of kube-prometheus-stack's chart that parses, by name.
func corpus(t testing.TB) map[string]*yaml.Node {
	t.Helper()
	docs := map[string]*yaml.Node{}
	add := func(name string, data []byte) {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) || err != nil {
				return // templates and deliberately broken files end here
			}
			docs[name+"#"+string(rune('0'+i%10))+strings.Repeat("'", i/10)] = &n
		}
	}
	root := "../../.."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.Contains(p, "testdata") || (!strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".yml")) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		add(p, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(kpsChart)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(h.Name, ".yaml") {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		add(kpsChart+"/"+h.Name, data)
	}
	if len(docs) < 500 {
		t.Fatalf("only %d documents found", len(docs))
	}
	return docs
}

// tricky are documents whose layout depends on context: nested sequences
// and mappings in each other, block scalars with blank lines, leading
// spaces and kept final newlines, quoted and tagged values, flow and empty
// collections, long keys, comments and anchors (encoded whole).
const tricky = `a:
  - - x
    - y
  - - - deep
      - er
  - k: v
    l:
      - m: 1
        n: [1, 2]
      - {o: p}
      - []
      - {}
  - |
    line one

    line three
  - |2
      leading spaces
  - "quoted: yes"
  - 'single'
  - !!str 123
  - "123"
  - ? [complex, key]
    : value
b:
  c:
    d:
      e: |+
        keep


      f: >
        folded
        text
      g: ""
      h: ~
      i: null
      "j k": "l\tm"
  ? aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  : long key
lists:
- a
- b:
  - c
  - d: e
    f:
    - g
empty: {}
`

// TestEncodeAsKyaml: every document of the corpus, cut into pieces as
// small as one node, is written byte for byte as kyaml's encoder writes it.
func TestEncodeAsKyaml(t *testing.T) {
	docs := corpus(t)
	for i, extra := range []string{tricky, "# head\n" + tricky, "x: &a {b: c}\ny: *a\nz:\n  - 1\n  - 2\n", "- kilnyamlencpiece1: x\n- - 2\n  - 3\n", "- a\n- b\n", "plain\n", "|+\n  keep\n\n"} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(extra), &n); err != nil {
			t.Fatalf("%q: %v", extra, err)
		}
		docs[fmt.Sprintf("tricky %d", i)] = &n
	}
	// The whole-document encoding does not depend on minPiece: each is
	// taken once (under -race it was most of this test's time).
	wants := map[string][]byte{}
	for name, doc := range docs {
		if want, err := encode(doc); err == nil {
			wants[name] = want
		}
	}
	defer func(m, c int) { minPiece, minCut = m, c }(minPiece, minCut)
	for _, m := range []int{1, 2, 3, 7, 256} {
		minPiece, minCut = m, min(m, minCut)
		for name, doc := range docs {
			want, ok := wants[name]
			if !ok {
				continue
			}
			got, err := Encode(doc)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("minPiece %d: %s: got\n%s\nwant\n%s", m, name, got, want)
			}
		}
	}
}

// largest is the corpus's largest document: a CRD of kube-prometheus-stack.
func largest(b *testing.B) *yaml.Node {
	var big *yaml.Node
	for _, d := range corpus(b) {
		if big == nil || size(d) > size(big) {
			big = d
		}
	}
	return big
}

// BenchmarkEncodeCRD writes kube-prometheus-stack's largest CRD, as kiln
// writes every object (compare BenchmarkEncodeCRDWhole).
func BenchmarkEncodeCRD(b *testing.B) {
	doc := largest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeCRDWhole writes the same CRD with kyaml's encoder in one
// piece.
func BenchmarkEncodeCRDWhole(b *testing.B) {
	doc := largest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encode(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzEncode: documents built from arbitrary bytes (nested mappings and
// sequences of strings, numbers, booleans and nulls with every scalar
// style, from an alphabet of YAML's indicators) are written as kyaml's
// encoder writes them, whole and cut into one-node pieces.
func FuzzEncode(f *testing.F) {
	for _, seed := range []string{"", "a", "\x01\x02\x03", "key: value\n- x", strings.Repeat("\x05\x11\x93\xfe", 40), "\xff\x00\x7f\x80 \n#:-?'\"|>"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkEncode(t, fuzzDoc(data))
	})
}

// FuzzEncodeHostile: as FuzzEncode, with hostileDoc's documents.
func FuzzEncodeHostile(f *testing.F) {
	for _, seed := range []string{"", "\x01\x01\x01\x01", "\x04\x81\x02\x10\x20\x07\x80\x03", strings.Repeat("\x05\x11\x93\xfe\x30", 40), "\xff\x00\x7f\x80 \n#:-?'\"|>"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkEncode(t, hostileDoc(data))
	})
}

// TestEncodeHostileRandom runs FuzzEncodeHostile's check on many
// pseudo-random documents.
func TestEncodeHostileRandom(t *testing.T) { checkRandomDocs(t, 3, hostileDoc) }

// TestEncodeRandom runs FuzzEncode's check on many pseudo-random
// documents, so that every test run covers more than the seeds.
func TestEncodeRandom(t *testing.T) { checkRandomDocs(t, 1, fuzzDoc) }

// checkRandomDocs runs checkEncode on 3000 documents doc makes of
// pseudo-random bytes, the same for the same seed.
func checkRandomDocs(t *testing.T, seed uint64, doc func([]byte) *yaml.Node) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	for range 3000 {
		data := make([]byte, r.IntN(400))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		checkEncode(t, doc(data))
	}
}

func checkEncode(t *testing.T, doc *yaml.Node) {
	t.Helper()
	want, err := encode(doc)
	if err != nil {
		return // yaml.v3 refuses it (a null key…); kiln never holds such a node
	}
	defer func(m, c int) { minPiece, minCut = m, c }(minPiece, minCut)
	for _, m := range []int{1, 256} {
		minPiece, minCut = m, min(m, minCut)
		got, err := Encode(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("minPiece %d: got\n%s\nwant\n%s", m, got, want)
		}
	}
}

// fuzzWords are scalars around the emitter's and the resolver's rules.
var fuzzWords = []string{"", " ", "a", "ab c", "a:b", "a: b", "a:", "a #b", "a#b", "#a", "-", "- a", "-a", "--- a", "...", "?", "? a", ":a",
	"true", "True", "yes", "on", "null", "~", "0", "1", "-1", "007", "1_000", "0x1f", "1e3", "1.5", ".5", "2024-01-01", "<<", "@a", "`a", "%a", "&a", "*a", "!a", "|a", ">a",
	"'a'", "\"a\"", "a'b", "a\"b", "a\\b", "a\tb", "a\nb", "a\n", "a\n\n", "\na", " a", "a ", "a \nb", "a\n b", "a\n\nb", "é", "a\u2028b", "\x7f", "kilnyamlencpiece1",
	"/path", "_x", "x,y", "[a]", "{a}", "a]", strings.Repeat("k", 129), strings.Repeat("k", 128)}

// hostileWords are fuzzWords, scalarValues and values kiln's objects may
// hold that sit on the direct writer's newer paths (double-quoted and
// literal scalars outside ASCII, empty flow collections): line breaks
// other than "\n", a byte order mark, invalid UTF-8, control characters,
// trailing spaces and lines far past any width.
var hostileWords = slices.Concat(fuzzWords, scalarValues, []string{
	"a\r\nb", "\r\n", "a\rb", "\ufeffa", "a\ufeff", "\xff", "a\xfe\nb", "\x00", "a\x00b", "\x1b[0m", "a\x85b",
	"a  \n  b  ", "  a\n", "a\n  ", "\n\n", "a\n\n\n", "\t\n\t", "a\tb \n", " \u2028 ", "“a”\n b", "é \nb",
	strings.Repeat("long words ", 30), strings.Repeat("x", 300) + "\n" + strings.Repeat("y ", 100),
	strings.Repeat("é ", 60) + "\n\t", "- a\n- b", "a: b\nc: d", "# a\nb", "key with \"quotes\" and 'marks'\n",
})

// fuzzDoc builds a document from data: each byte chooses the next node.
func fuzzDoc(data []byte) *yaml.Node { return fuzzDocOf(data, fuzzWords, false) }

// hostileDoc builds a document from data as fuzzDoc does, with values of
// hostileWords, folded scalars, and head, line and foot comments.
func hostileDoc(data []byte) *yaml.Node { return fuzzDocOf(data, hostileWords, true) }

// fuzzDocOf builds a document from data with values of words, with
// comments if comments is set.
func fuzzDocOf(data []byte, words []string, comments bool) *yaml.Node {
	i := 0
	next := func() byte {
		if i >= len(data) {
			return 0
		}
		i++
		return data[i-1]
	}
	var node func(depth int) *yaml.Node
	// comment gives n, one time in four, a head, line or foot comment,
	// or several.
	comment := func(n *yaml.Node) {
		if !comments {
			return
		}
		b := next()
		if b%4 != 0 {
			return
		}
		if b&0x10 != 0 {
			n.HeadComment = "# head"
		}
		if b&0x20 != 0 {
			n.LineComment = "# line"
		}
		if b&0x40 != 0 {
			n.FootComment = "# foot"
		}
	}
	scalar := func() *yaml.Node {
		b := next()
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: words[int(next())%len(words)]}
		switch b % 8 {
		case 7:
			if comments {
				n.Style = yaml.FoldedStyle
			}
		case 1:
			n.Style = yaml.DoubleQuotedStyle
		case 2:
			n.Style = yaml.SingleQuotedStyle
		case 3:
			n.Style = yaml.LiteralStyle
		case 4:
			n.Tag = "!!int"
		case 5:
			n.Tag = "!!bool"
		case 6:
			n.Tag = ""
		}
		if b&0x80 != 0 {
			n.Value += words[int(next())%len(words)]
		}
		comment(n)
		return n
	}
	node = func(depth int) *yaml.Node {
		b := next()
		if depth > 5 || b%3 == 0 {
			return scalar()
		}
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if b%3 == 2 {
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
		}
		if b&0x40 != 0 {
			n.Style = yaml.FlowStyle
		}
		for range int(next()) % 5 {
			if n.Kind == yaml.MappingNode {
				n.Content = append(n.Content, scalar())
			}
			n.Content = append(n.Content, node(depth+1))
		}
		comment(n)
		return n
	}
	root := node(0)
	if root.Kind == yaml.ScalarNode {
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "k"}, root}}
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
}

// BenchmarkEncodeKPSCRDs writes kube-prometheus-stack's ten CRDs, as kiln
// writes them for a render of the chart.
func BenchmarkEncodeKPSCRDs(b *testing.B) {
	var crds []*yaml.Node
	for name, d := range corpus(b) {
		if strings.Contains(name, "/charts/crds/crds/") {
			crds = append(crds, d)
		}
	}
	if len(crds) != 10 {
		b.Fatalf("%d CRDs", len(crds))
	}
	b.ReportAllocs()
	defer testenv.ReportCPU(b, testenv.ProcessCPU())
	for b.Loop() {
		for _, d := range crds {
			if _, err := Encode(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
