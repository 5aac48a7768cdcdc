package redact

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMatcherAgainstNaive compares the automaton with strings.Contains on
// random patterns and texts over a small alphabet, where patterns overlap,
// nest and share suffixes all the time.
func TestMatcherAgainstNaive(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abc"[rng.IntN(3)]
		}
		return string(b)
	}
	for round := 0; round < 300; round++ {
		var patterns []string
		var owner []int
		for i := 0; i < 1+rng.IntN(8); i++ {
			patterns = append(patterns, word(1+rng.IntN(5)))
			owner = append(owner, i)
		}
		m := newMatcher(patterns, owner)
		text := word(rng.IntN(40))

		var want, got []int
		covered := make([]bool, len(text))
		for i, p := range patterns {
			if strings.Contains(text, p) {
				want = append(want, owner[i])
			}
			for at := 0; at+len(p) <= len(text); at++ {
				if text[at:at+len(p)] == p {
					for k := at; k < at+len(p); k++ {
						covered[k] = true
					}
				}
			}
		}
		seen := map[int]bool{}
		scan(m, text, func(_ int, n *acNode) {
			for _, o := range m.ownersOf(n) {
				if !seen[o] {
					seen[o] = true
					got = append(got, o)
				}
			}
		})
		sort.Ints(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("patterns %q text %q (-want +got):\n%s", patterns, text, diff)
		}
		gotCovered := make([]bool, len(text))
		for _, sp := range spansOf(m, text) {
			for k := sp[0]; k < sp[1]; k++ {
				gotCovered[k] = true
			}
		}
		if diff := cmp.Diff(covered, gotCovered); diff != "" {
			t.Fatalf("patterns %q text %q: masked bytes (-want +got):\n%s", patterns, text, diff)
		}
	}
}

// fleetEnv is an env of a large fleet: 50 secret vars and 300 objects'
// worth of YAML with no secret in it, the usual case.
func fleetEnv() (*Redactor, string) {
	secrets := map[string]string{}
	for i := 0; i < 50; i++ {
		secrets[fmt.Sprintf("SECRET_%d", i)] = fmt.Sprintf("s3cr3t-value-%d-<&>-%x", i, i*7919)
	}
	var b strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%d\n  namespace: fleet\nspec:\n  replicas: 3\n"+
			"  template:\n    spec:\n      containers:\n      - name: app\n        image: ghcr.io/acme/app-%d:1.2.%d\n"+
			"        env:\n        - name: LOG_LEVEL\n          value: debug\n        - name: CONFIG\n          value: '{\"a\": %d, \"b\": \"c\"}'\n", i, i, i, i)
	}
	return New(secrets), b.String()
}

func BenchmarkNew(b *testing.B) {
	secrets := map[string]string{}
	for i := 0; i < 50; i++ {
		secrets[fmt.Sprintf("SECRET_%d", i)] = fmt.Sprintf("s3cr3t-value-%d-<&>-%x", i, i*7919)
	}
	for b.Loop() {
		New(secrets)
	}
}

func BenchmarkFound(b *testing.B) {
	r, text := fleetEnv()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if r.Found(text) != nil {
			b.Fatal("found a secret")
		}
	}
}

func BenchmarkString(b *testing.B) {
	r, text := fleetEnv()
	text += "and one leak: " + r.secrets[0].value + "\n"
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		r.String(text)
	}
}

// BenchmarkReplacer is what the old redactor did (strings.Replacer over
// the raw values only), for comparison.
func BenchmarkReplacer(b *testing.B) {
	r, text := fleetEnv()
	var pairs []string
	for _, s := range r.secrets {
		pairs = append(pairs, s.value, Mask)
	}
	rep := strings.NewReplacer(pairs...)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		rep.Replace(text)
	}
}

// TestMatcherMemoryPerPatternByte: a long secret value has some 27 forms,
// 40 times its length in patterns, and the matcher a node for nearly every
// byte of them. With a slice of edges and one of owners in every node,
// and the node slice copied at each doubling, a 200 KB value in a Secret
// made the message redactor of an env with one unrelated error take
// 1.3 GB and 2 s (600 KB: 3.8 GB). Nodes are 28 bytes now, the slice
// sized once.
func TestMatcherMemoryPerPatternByte(t *testing.T) {
	value := strings.Repeat("0123456789abcdef", 20<<10/16)
	total := 0
	for _, f := range Forms(value) {
		total += len(f)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := New(map[string]string{"V": value})
	runtime.ReadMemStats(&after)
	if got := r.String("x " + value + " y"); strings.Contains(got, value[:64]) {
		t.Fatalf("the value is not masked: %.40q", got)
	}
	if perByte := float64(after.TotalAlloc-before.TotalAlloc) / float64(total); perByte > 48 {
		t.Errorf("building the matcher of a %d-byte value (%d bytes of forms) allocated %.0f bytes per byte of its forms, want at most 48",
			len(value), total, perByte)
	}
}

// TestWithUpTo: a Redactor for texts of at most upTo bytes (the message
// redactor of an env with errors) holds no form longer than that, so the
// values of a 1 MiB Secret cost kilobytes, not gigabytes; and in such
// texts it masks what the unbounded one masks: a whole value, an encoded
// form, the start of one at a cut end.
func TestWithUpTo(t *testing.T) {
	value := strings.Repeat("0123456789abcdef", 1<<20/16)
	texts := []string{
		"Invalid value: \"" + value[:3000] + "\"",
		"cut here: " + value[:200],
		"whole: " + value[:100],
	}
	short := value[:100]
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := (*Redactor)(nil).With(map[string]string{"big": value, "short": short}, 4096)
	runtime.GC()
	runtime.ReadMemStats(&after)
	// What it keeps: the forms of the value themselves (about 40 MiB,
	// which Redactor keeps for its masks), not an automaton over them
	// (about 1.2 GB).
	if got := int64(after.HeapAlloc) - int64(before.HeapAlloc); got > 96<<20 {
		t.Errorf("a Redactor for texts of 4 KiB over a 1 MiB value holds %d MB", got>>20)
	}
	full := New(map[string]string{"short": short})
	for _, s := range texts {
		if got, want := r.StringCut(s), full.StringCut(s); got != want {
			t.Errorf("StringCut(%.40q…) = %.60q, want %.60q", s, got, want)
		}
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(value[:1500]))
	if got := r.StringCut("data: " + b64[:2000]); strings.Contains(got, b64[:64]) {
		t.Errorf("the start of the value's base64 at a cut end is shown: %.80q", got)
	}
}
