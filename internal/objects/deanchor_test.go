package objects

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// deAnchorCases are aliased documents with every quirk of kyaml's
// DeAnchor that deAnchor keeps.
var deAnchorCases = []string{
	"a: &x 1\nb: *x\n",
	"base: &b {x: 1, y: 2}\nm: {<<: *b, y: 3, z: 4}\n",
	"b1: &b1 {x: 1, y: 1}\nb2: &b2 {y: 2, z: 2}\nm: {<<: [*b1, *b2], w: 0}\n",
	"b1: &b1 {x: 1}\nb2: &b2 {<<: *b1, y: 2}\nm: {<<: *b2, z: 3}\nn: *b2\n",
	"b1: &b1 {x: 1}\nb2: &b2 {<<: *b1, y: 2}\nn: *b2\nm: {<<: *b2, z: 3}\n",
	"b: &b {x: 1}\nm: {\"<<\": plain, <<: *b}\n",
	"b: &b {x: 1}\nm: {\"<<\": only-a-string}\nn: *b\n",
	"b: &b {x: 1, x: 2}\nm: {<<: *b, y: 1, y: 2}\n",
	"b: &b {~: n, \"\": e}\nm: {<<: *b, ~: m}\nn: *b\n",
	"b: &b {? : n, x: 1}\nm: {<<: *b, \"\": e, ~: t}\n",
	"b: &b [1, 2]\nm: {<<: *b}\n",
	"b: &b {x: 1}\nm: {<<: [[*b]]}\n",
	"b: &b {x: 1}\nm: {<<: *b, <<: *b}\n",
	"m: {<<: 3}\nb: &b x\nc: *b\n",
	"b: &b {x: 1}\nm: {<<: {y: 2}, z: *b}\n",
	"l: &l [&e {a: 1}, *e]\nm: *l\n",
	"k: &k key\nm: {*k : v}\n",
	"s: &s !!str 012\nt: *s\nu: {<<: &m {v: *s}}\nw: *m\n",
}

// TestDeAnchorIsKyamls: deAnchor gives kyaml's tree, or fails where it
// fails, for the cases above, the fuzz corpus and random aliased
// documents; only the time differs.
func TestDeAnchorIsKyamls(t *testing.T) {
	t.Parallel()
	docs := append([]string(nil), deAnchorCases...)
	corpus, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "*", "*"))
	for _, f := range corpus {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The corpus file format: a header, then Go-quoted values.
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "[]byte("); ok {
				var s string
				if _, err := fmt.Sscanf(strings.TrimSuffix(v, ")"), "%q", &s); err == nil {
					docs = append(docs, s)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		docs = append(docs, randomAliased(rng))
	}
	compared, refused, large := 0, 0, 0
	for _, doc := range docs {
		var a, b yaml.Node
		if yaml.Unmarshal([]byte(doc), &a) != nil || yaml.Unmarshal([]byte(doc), &b) != nil || expanded(&a, map[*yaml.Node]int{}) > 5000 {
			// An alias bomb takes kyaml exponential time (kiln bounds
			// the expansion before it de-anchors: limits.Nodes).
			continue
		}
		res, gerr := deAnchor(&b)
		if errors.Is(gerr, errAliasLoop) || errors.As(gerr, new(*limits.Error)) {
			// kyaml would not finish (a loop), or takes past the bound.
			refused++
			continue
		}
		if gerr == nil && expanded(res, map[*yaml.Node]int{}) > 20_000 {
			// A handful of the random documents merge into hundreds of
			// thousands of nodes: kyaml and the encoder take seconds
			// each on them under the race detector, most of the test's
			// time, and they show nothing the smaller ones do not.
			large++
			continue
		}
		compared++
		want, werr := func() (string, error) {
			rn := kyaml.NewRNode(&a)
			if err := rn.DeAnchor(); err != nil {
				return "", err
			}
			return encodeNode(t, rn.YNode()), nil
		}()
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%q: kyaml's error %v, deAnchor's %v", doc, werr, gerr)
			continue
		}
		if werr != nil {
			continue
		}
		if got := encodeNode(t, res); got != want {
			t.Errorf("%q:\nkyaml:\n%s\ndeAnchor:\n%s", doc, want, got)
		}
	}
	if compared < 2000 || large > 10 {
		t.Fatalf("compared %d documents (%d refused, %d too large): the generator makes too few valid ones", compared, refused, large)
	}
}

// expanded is n's node count with every alias expanded.
func expanded(n *yaml.Node, memo map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = 1 << 30 // an alias inside its own anchor: no document
	size := 1
	if n.Kind == yaml.AliasNode {
		size = expanded(n.Alias, memo)
	}
	for _, c := range n.Content {
		size = min(size+expanded(c, memo), 1<<30)
	}
	memo[n] = size
	return size
}

func encodeNode(t *testing.T, n *yaml.Node) string {
	t.Helper()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return "encode error: " + err.Error()
	}
	return buf.String()
}

// randomAliased writes a flow-style document with anchors, aliases, merge
// keys (one source or a list), repeated, null, empty and "<<" string keys.
func randomAliased(rng *rand.Rand) string {
	var maps, all []string // anchors defined so far: of mappings, of anything
	n := 0
	keys := []string{"a", "b", "c", "a", "~", `""`, `"<<"`, "d"}
	var value func(depth int) string
	value = func(depth int) string {
		switch r := rng.IntN(10); {
		case r < 2 && len(all) > 0:
			return "*" + all[rng.IntN(len(all))]
		case r < 5 || depth > 3:
			return fmt.Sprint(rng.IntN(3))
		case r < 6:
			items := make([]string, rng.IntN(3))
			for i := range items {
				items[i] = value(depth + 1)
			}
			return anchor(rng, &n, &all, nil, "["+strings.Join(items, ", ")+"]")
		default:
			var pairs []string
			for range rng.IntN(4) {
				pairs = append(pairs, keys[rng.IntN(len(keys))]+": "+value(depth+1))
			}
			if len(maps) > 0 && rng.IntN(2) == 0 {
				m := "*" + maps[rng.IntN(len(maps))]
				if rng.IntN(3) == 0 {
					m = "[" + m + ", *" + maps[rng.IntN(len(maps))] + "]"
				}
				pairs = append(pairs[:len(pairs)/2], append([]string{"<<: " + m}, pairs[len(pairs)/2:]...)...)
			}
			return anchor(rng, &n, &all, &maps, "{"+strings.Join(pairs, ", ")+"}")
		}
	}
	var top []string
	for i := range 4 {
		top = append(top, fmt.Sprintf("k%d: %s", i, value(0)))
	}
	return strings.Join(top, "\n") + "\n"
}

// anchor gives text an anchor half the time, registering it once text is
// complete (an alias inside its own anchor's node is no document).
func anchor(rng *rand.Rand, n *int, all, maps *[]string, text string) string {
	if rng.IntN(2) == 0 {
		return text
	}
	*n++
	name := fmt.Sprintf("x%d", *n)
	*all = append(*all, name)
	if maps != nil {
		*maps = append(*maps, name)
	}
	return "&" + name + " " + text
}

// TestDeAnchorLinear: kyaml's lookups from each mapping's start made one
// mapping of k keys cost k² beside any alias. deAnchor indexes them: a
// mapping of 200,000 keys is merged without indexing it again.
func TestDeAnchorLinear(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a: &x 1\nb: *x\ndata:\n")
	for i := range 200_000 {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &n); err != nil {
		t.Fatal(err)
	}
	d := &deAnchorer{}
	if _, err := d.node(&n); err != nil {
		t.Fatal(err)
	}
	data := n.Content[0].Content[5]
	if len(data.Content) != 400_000 || d.nullWork != 0 {
		t.Fatalf("data has %d nodes, %d keys indexed again", len(data.Content), d.nullWork)
	}
}

// TestDeAnchorBoundsNullKeys: a null key set where an empty key was makes
// deAnchor index the mapping again, as kyaml's lookup by "" would scan
// it; empty and null keys alternating thousands of times are refused
// instead of taking k² time.
func TestDeAnchorBoundsNullKeys(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a: &x 1\nb: *x\ndata:\n")
	for i := range 20_000 {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	for range 1000 {
		b.WriteString("  ? \"\"\n  : e\n  ~: v\n")
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &n); err != nil {
		t.Fatal(err)
	}
	if _, err := deAnchor(&n); err == nil || !strings.Contains(err.Error(), "null mapping keys") {
		t.Fatalf("got %v, want the null-key bound", err)
	}
}

// TestDeAnchorBoundsMergeCopies: merge keys copy their sources, merges
// and aliases included, into the mapping being read, so a document within
// limits.Nodes, aliases expanded (this one: 300 bytes, 314 nodes), made
// kyaml copy until memory ran out, ending kiln (found comparing the two on
// random documents). Parse refuses it at the document's line instead.
func TestDeAnchorBoundsMergeCopies(t *testing.T) {
	t.Parallel()
	const doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" +
		"k0: {~: &x2 {a: &x1 {\"\": 1}, b: *x1, ~: *x1}, d: &x7 {b: 1, ~: &x4 [&x3 {c: *x1, a: *x1, ~: *x2}], \"\": &x6 {d: &x5 {~: 0, <<: *x1, ~: 1, ~: 2}, a: {\"<<\": 2, ~: *x1}}}, " +
		"c: {b: {d: {\"<<\": *x6}, <<: *x2, \"<<\": *x4, ~: *x7}, a: &x9 {d: *x3, c: &x8 {b: 2, d: 1}, a: 0}, d: &x10 {b: {<<: [*x7, *x6]}}}}\nk3: *x5\n"
	_, err := Parse([]byte(doc), "apps/x/cm.yaml", 0)
	if err == nil || !strings.Contains(err.Error(), "apps/x/cm.yaml:1: cannot resolve the document's YAML aliases") || !errors.As(err, new(*limits.Error)) {
		t.Fatalf("got %v, want the bound refused at the document", err)
	}
}
