package yamlenc

import (
	"bytes"
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kiln-gitops/kiln/internal/testenv"
)

// wideDoc is an object whose data holds n entries, each a mapping of
// eight: every entry is large enough to be cut out of data's piece, whose
// text then holds n stand-ins. seq: data is a sequence of those mappings.
func wideDoc(t testing.TB, n int, seq bool) *yaml.Node {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n")
	for i := range n {
		if !seq {
			fmt.Fprintf(&b, "  k%d:\n", i)
		}
		for j := range 8 {
			switch {
			case !seq:
				fmt.Fprintf(&b, "    f%d: v\n", j)
			case j == 0:
				fmt.Fprintf(&b, "- f%d: v%d\n", j, i)
			default:
				fmt.Fprintf(&b, "  f%d: v\n", j)
			}
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

// TestEncodeWideLinear: finding the stand-ins of a piece with many reads
// its text once, not once per stand-in (which took 2 s for a 1 MB object
// of 14,000 entries, and grew with the square of the entries).
func TestEncodeWideLinear(t *testing.T) {
	for _, seq := range []bool{false, true} {
		for _, n := range []int{100, 3000} {
			doc := wideDoc(t, n, seq)
			want, err := encode(doc)
			if err != nil {
				t.Fatal(err)
			}
			c := &cutter{}
			got, err := c.encode(doc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("seq %v, %d entries: not kyaml's encoding", seq, n)
			}
			if c.n < n/2 {
				t.Fatalf("seq %v, %d entries: only %d stand-ins, the test tests nothing", seq, n, c.n)
			}
			if c.scanned > 2*len(want) {
				t.Errorf("seq %v, %d entries: %d bytes read to find stand-ins for %d bytes of output", seq, n, c.scanned, len(want))
			}
		}
	}
}

// BenchmarkEncodeWide writes an object of 10,000 entries (700 KB), each
// cut out as a piece of its own.
func BenchmarkEncodeWide(b *testing.B) {
	doc := wideDoc(b, 10_000, false)
	b.ReportAllocs()
	defer testenv.ReportCPU(b, testenv.ProcessCPU())
	for b.Loop() {
		if _, err := Encode(doc); err != nil {
			b.Fatal(err)
		}
	}
}
