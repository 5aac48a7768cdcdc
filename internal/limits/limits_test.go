package limits_test

import (
	"errors"
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/limits"
)

func TestCheckYAMLBytes(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"plain", "a: 1\nb: [1, 2]\n", ""},
		{"a few aliases", "a: &x [1, 2]\nb: *x\nc: *x\n", ""},
		{"nine levels of nine", bomb(9, 9), "the number of YAML nodes (aliases expanded) exceeds kiln's limit of 4000000"},
		{"deep", strings.Repeat("[", limits.Depth+1) + strings.Repeat("]", limits.Depth+1), "YAML nesting depth (aliases expanded) exceeds kiln's limit of 1000"},
		{"deep through aliases", "a: &a " + strings.Repeat("[", 600) + strings.Repeat("]", 600) + "\nb: " + strings.Repeat("[", 600) + "*a" + strings.Repeat("]", 600), "YAML nesting depth"},
		{"many documents", strings.Repeat("---\na: 1\n", limits.Documents+1), "the number of YAML documents exceeds kiln's limit of 100000"},
		{"not YAML is the caller's business", "a: [", ""},
		// Where CheckYAMLBytes stops parsing (withinBoundsUnparsed): the
		// same verdicts on both sides of each edge.
		{"998 levels, left unparsed", strings.Repeat("[", limits.Depth-2) + strings.Repeat("]", limits.Depth-2), ""},
		{"999 levels, parsed", strings.Repeat("[", limits.Depth-1) + strings.Repeat("]", limits.Depth-1), ""},
		{"1001 levels in block sequences", strings.Repeat("- ", limits.Depth+1) + "x\n", "YAML nesting depth"},
		{"a star in a scalar, parsed", "host: '*.example.com'\n", ""},
		{"longer than 64 KiB, parsed", strings.Repeat("k: v\n---\n", 10000), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := limits.CheckYAMLBytes([]byte(tc.yaml), "in.yaml")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "in.yaml: ") || !errors.Is(err, limits.ErrLimit) {
				t.Fatalf("got %v, want an ErrLimit naming in.yaml and saying %q", err, tc.want)
			}
		})
	}
}

// TestCheckYAMLBytesSkipsTheParse: a manifest without aliases, short and
// shallow like nearly every file kustomize reads, is checked from its bytes
// alone: no parse, nothing allocated.
func TestCheckYAMLBytesSkipsTheParse(t *testing.T) {
	deployment := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\nspec:\n  replicas: 2\n" +
		"  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n" +
		"    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports: [{containerPort: 80}]\n")
	if !limits.WithinBoundsUnparsed(deployment) {
		t.Fatal("a Deployment is not left unparsed")
	}
	if n := testing.AllocsPerRun(10, func() { _ = limits.CheckYAMLBytes(deployment, "d.yaml") }); n != 0 {
		t.Errorf("CheckYAMLBytes of a Deployment allocates %.0f times, want none (no parse)", n)
	}
}

// bomb is a "billion laughs" of levels levels of width aliases.
func bomb(levels, width int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [" + strings.TrimSuffix(strings.Repeat(`"lol",`, width), ",") + "]\n")
	for i := 1; i < levels; i++ {
		ref := "*l" + itoa(i-1) + ","
		b.WriteString("l" + itoa(i) + ": &l" + itoa(i) + " [" + strings.TrimSuffix(strings.Repeat(ref, width), ",") + "]\n")
	}
	return b.String()
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestCounterSpansDocuments: the node bound holds across the documents of
// one input, not per document.
func TestCounterSpansDocuments(t *testing.T) {
	c := limits.Counter{Input: "out"}
	doc := &kyaml.Node{Kind: kyaml.SequenceNode}
	for range 1000 {
		doc.Content = append(doc.Content, &kyaml.Node{Kind: kyaml.ScalarNode, Value: "x"})
	}
	var err error
	for i := 0; err == nil && i < limits.Nodes; i++ {
		err = c.Document(doc)
	}
	if !errors.Is(err, limits.ErrLimit) {
		t.Fatalf("got %v after many documents, want ErrLimit", err)
	}
}

// TestCounterAdd: counting documents in two Counters and adding one to the
// other refuses what counting them all in one does, and a refused Add
// changes nothing.
func TestCounterAdd(t *testing.T) {
	doc := &kyaml.Node{Kind: kyaml.SequenceNode}
	for range 99 {
		doc.Content = append(doc.Content, &kyaml.Node{Kind: kyaml.ScalarNode, Value: "x"})
	}
	// 100 nodes a document; the bound is 1000.
	count := func(docs int) *limits.Counter {
		c := &limits.Counter{Input: "out", MaxNodes: 1000}
		for range docs {
			if err := c.Document(doc); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	total := count(4)
	if err := total.Add(count(6)); err != nil {
		t.Fatalf("4 + 6 documents of 100 nodes: %v", err)
	}
	if err := total.Document(doc); !errors.Is(err, limits.ErrLimit) {
		t.Fatalf("the 11th document: got %v, want ErrLimit", err)
	}
	c := count(5)
	if err := c.Add(count(6)); !errors.Is(err, limits.ErrLimit) {
		t.Fatalf("5 + 6 documents: got %v, want ErrLimit", err)
	}
	for range 5 {
		if err := c.Document(doc); err != nil {
			t.Fatalf("a refused Add changed the count: %v", err)
		}
	}
}
