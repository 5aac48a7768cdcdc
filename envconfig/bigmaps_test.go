package envconfig

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// largeMappingsText is a values document with mappings over chunkPairs
// pairs in each shape splitLargeMappings meets: nested, in a list, anchored
// and merged into a mapping that sets some of the same keys (yaml.v3 then
// keeps the mapping's own), with a merge key, with a quoted "<<" key, with
// an integer key, and a small one.
func largeMappingsText(n int) string {
	var b strings.Builder
	block := func(indent, prefix string, n int) {
		for i := range n {
			fmt.Fprintf(&b, "%s%s%d: %d\n", indent, prefix, i, i)
		}
	}
	b.WriteString("flat:\n")
	block("  ", "k", n)
	b.WriteString("nested:\n  inner:\n")
	block("    ", "n", n)
	b.WriteString("  after: 1\nlist:\n  -\n")
	block("    ", "l", n)
	b.WriteString("  - small: 1\nanchored: &a\n")
	block("  ", "a", n)
	b.WriteString("merged:\n  a1: own\n  <<: *a\n  a2: own too\n")
	b.WriteString("withMerge:\n  <<: {m0: merged}\n")
	block("  ", "m", n)
	b.WriteString("quotedMergeKey:\n  '<<': x\n")
	block("  ", "q", n)
	b.WriteString("intKey:\n  1: one\n")
	block("  ", "i", n)
	b.WriteString("small: {x: 1}\n")
	return b.String()
}

// TestSplitLargeMappingsDecodesTheSame: the split decodes to what
// yaml.v3's Node.Decode makes of the same nodes, in every shape, and env
// values with large mappings reach a chart as Helm reads them.
func TestSplitLargeMappingsDecodesTheSame(t *testing.T) {
	t.Parallel()
	text := largeMappingsText(3*chunkPairs + 5)
	var want, got any
	if err := parsed(t, text).Decode(&want); err != nil {
		t.Fatal(err)
	}
	n := parsed(t, text)
	if err := decodeLinear(n, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeLinear (-Node.Decode +got):\n%s", diff)
	}
	if seq := n.Content[0].Content[1].Content; len(seq) != 2 || seq[0].Tag != "!!merge" {
		t.Errorf("the flat mapping was not split: %d nodes", len(seq))
	}
	env, err := ParseEnvFile([]byte("apps:\n  web:\n    values:\n      "+strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n      ")+"\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffFromValuesFile(t, text, env.Apps["web"].Values); diff != "" {
		t.Errorf("env values (-as helm reads a values file +got):\n%s", diff)
	}
}

// TestSplitLargeMappingsRandom compares decodeLinear with Node.Decode on
// random documents of large and small mappings, lists, anchors, aliases
// and merge keys.
func TestSplitLargeMappingsRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		text := randomDoc(r)
		var want, got any
		werr := parsed(t, text).Decode(&want)
		gerr := decodeLinear(parsed(t, text), &got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("doc %d: Node.Decode error %v, decodeLinear error %v\n%s", i, werr, gerr, text)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("doc %d: decodeLinear (-Node.Decode +got):\n%s\n%s", i, diff, text)
		}
	}
}

// randomDoc writes a document whose top mapping holds mappings of up to
// three times chunkPairs keys drawn from a small set (so keys repeat
// across mappings that merge each other), some anchored and merged.
func randomDoc(r *rand.Rand) string {
	var b strings.Builder
	anchors := 0
	for m := range 6 {
		fmt.Fprintf(&b, "m%d:", m)
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, " &x%d", anchors)
			anchors++
		}
		b.WriteString("\n")
		size := r.IntN(3*chunkPairs) + 1
		keys := r.Perm(4 * chunkPairs)[:size]
		for j, k := range keys {
			if j == size/2 && anchors > 0 && r.IntN(2) == 0 {
				fmt.Fprintf(&b, "  <<: *x%d\n", r.IntN(anchors))
			}
			switch r.IntN(10) {
			case 0:
				fmt.Fprintf(&b, "  k%d: [%d, 'v', yes]\n", k, j)
			case 1:
				fmt.Fprintf(&b, "  k%d: {deep: %d}\n", k, j)
			default:
				fmt.Fprintf(&b, "  k%d: %d\n", k, j)
			}
		}
	}
	return b.String()
}

// TestSplitLargeMappingsDuplicateKey: a duplicate key in a large mapping
// is refused with yaml.v3's own words, as Node.Decode refuses it.
func TestSplitLargeMappingsDuplicateKey(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 2 * chunkPairs {
		fmt.Fprintf(&b, "k%d: %d\n", i, i)
	}
	b.WriteString("k7: again\n")
	var want, got any
	werr := parsed(t, b.String()).Decode(&want)
	gerr := decodeLinear(parsed(t, b.String()), &got)
	if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
		t.Errorf("decodeLinear error %v, want Node.Decode's %v", gerr, werr)
	}
	_, err := ParseEnvFile([]byte("apps:\n  web:\n    values:\n      "+strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n", "\n      ")+"\n"), "envs/dev.yaml")
	if err == nil || !strings.Contains(err.Error(), `mapping key "k7" already defined at line 11`) {
		t.Errorf("ParseEnvFile error = %v, want the duplicate key k7 named with its lines", err)
	}
}

// parsed returns the document node of text.
func parsed(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

// BenchmarkEnvFileLargeMapping reads an env file whose values hold one
// mapping of 50,000 keys (1.4 MB): yaml.v3's duplicate check alone took
// three minutes before splitLargeMappings.
func BenchmarkEnvFileLargeMapping(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("apps:\n  web:\n    values:\n")
	for i := range 50000 {
		fmt.Fprintf(&sb, "      key%d: value%d\n", i, i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseEnvFile(data, "envs/dev.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
