package treediff

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// apply applies a unified diff made by Unified to old and returns the
// result; it checks the context and removed lines match.
func apply(t testing.TB, diff, old string) string {
	t.Helper()
	if diff == "" {
		return old
	}
	a := splitLines([]byte(old))
	var out []string
	pos := 0 // next line of a to copy
	inHunk := false
	lines := strings.SplitAfter(diff, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		noNL := i+1 < len(lines) && lines[i+1] == "\\ No newline at end of file\n"
		body := func() string {
			s := l[1:]
			if noNL {
				return strings.TrimSuffix(s, "\n")
			}
			return s
		}
		switch {
		case l == "" || strings.HasPrefix(l, "\\") || !inHunk && (strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ")):
		case strings.HasPrefix(l, "@@ -"):
			inHunk = true
			r := strings.Fields(l)[1][1:]
			start, count, _ := strings.Cut(r, ",")
			n, err := strconv.Atoi(start)
			if err != nil {
				t.Fatalf("bad hunk header %q", l)
			}
			if count != "0" {
				n-- // 1-based start of a non-empty range; an empty one names the line before
			}
			for pos < n {
				out = append(out, a[pos])
				pos++
			}
		case l[0] == ' ' || l[0] == '-':
			if pos >= len(a) || a[pos] != body() {
				t.Fatalf("diff line %q does not match old line %d %q", l, pos+1, safe(a, pos))
			}
			if l[0] == ' ' {
				out = append(out, a[pos])
			}
			pos++
		case l[0] == '+':
			out = append(out, body())
		default:
			t.Fatalf("unexpected diff line %q", l)
		}
	}
	out = append(out, a[pos:]...)
	return strings.Join(out, "")
}

func safe(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return "<end>"
}

// lcs is the textbook O(NM) longest common subsequence length.
func lcs(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] >= cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TestLineDiffMinimal checks on random inputs that the edit script is
// valid and as short as the LCS says it can be.
func TestLineDiffMinimal(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() []string {
		n := r.IntN(30)
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a'+r.IntN(4))) + "\n"
		}
		return out
	}
	for i := range 1000 {
		a, b := gen(), gen()
		edits := lineDiff(a, b)
		eq, del, ins := 0, 0, 0
		ai, bi := 0, 0
		for _, e := range edits {
			switch e.kind {
			case opEqual:
				for k := range e.n {
					if a[ai+k] != b[bi+k] {
						t.Fatalf("case %d: equal run does not match: %q vs %q", i, a, b)
					}
				}
				eq += e.n
				ai += e.n
				bi += e.n
			case opDelete:
				del += e.n
				ai += e.n
			case opInsert:
				ins += e.n
				bi += e.n
			}
		}
		if ai != len(a) || bi != len(b) {
			t.Fatalf("case %d: script covers %d/%d of %d/%d lines", i, ai, bi, len(a), len(b))
		}
		if want := lcs(a, b); eq != want {
			t.Fatalf("case %d: %d equal lines, want %d (LCS) for %q → %q", i, eq, want, a, b)
		}
		old, new := strings.Join(a, ""), strings.Join(b, "")
		if got := apply(t, Unified(Change{Path: "f", Op: Changed, Old: []byte(old), New: []byte(new)}, false), old); got != new {
			t.Fatalf("case %d: applying the diff gives %q, want %q", i, got, new)
		}
	}
}

// TestLineDiffLarge: a file of thousands of lines, two thirds changed,
// still gets the shortest script (below the cost limit).
func TestLineDiffLarge(t *testing.T) {
	t.Parallel()
	var a, b []string
	for i := range 3000 {
		a = append(a, "a"+strconv.Itoa(i)+"\n")
		if i%3 == 0 {
			b = append(b, "a"+strconv.Itoa(i)+"\n")
		} else {
			b = append(b, "b"+strconv.Itoa(i)+"\n")
		}
	}
	eq := 0
	for _, e := range lineDiff(a, b) {
		if e.kind == opEqual {
			eq += e.n
		}
	}
	if want := 1000; eq != want {
		t.Errorf("%d equal lines, want %d", eq, want)
	}
}

// TestLineDiffExpensive: two big files with little in common take the
// cost limit, and the diff still applies.
func TestLineDiffExpensive(t *testing.T) {
	t.Parallel()
	var a, b strings.Builder
	for i := range 30000 {
		fmt.Fprintf(&a, "a%d\n", i)
		if i%1000 == 0 {
			fmt.Fprintf(&b, "a%d\n", i)
		} else {
			fmt.Fprintf(&b, "b%d\n", i)
		}
	}
	start := time.Now()
	d := Unified(Change{Path: "f", Op: Changed, Old: []byte(a.String()), New: []byte(b.String())}, false)
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("took %s", el)
	}
	if got := apply(t, d, a.String()); got != b.String() {
		t.Error("applying the diff does not give the new file")
	}
}

func FuzzUnified(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n")
	f.Add("", "x")
	f.Add("x", "")
	f.Add("a\nb", "a\nb\n")
	f.Add("l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n", "l1\nX\nl3\nl4\nl5\nl6\nl7\nY\n")
	f.Fuzz(func(t *testing.T, old, new string) {
		if strings.ContainsRune(old, 0) || strings.ContainsRune(new, 0) {
			return
		}
		d := Unified(Change{Path: "f", Op: Changed, Old: []byte(old), New: []byte(new)}, false)
		if got := apply(t, d, old); got != new {
			t.Fatalf("applying the diff gives %q, want %q\n%s", got, new, d)
		}
	})
}
