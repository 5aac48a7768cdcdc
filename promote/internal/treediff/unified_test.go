package treediff

import (
	"strconv"
	"strings"
	"testing"
)

// apply applies a unified diff made by Unified to old and returns the
// result; it checks the context and removed lines match.
func apply(t testing.TB, diff, old string) string {
	t.Helper()
	if diff == "" {
		return old
	}
	a := strings.SplitAfter(old, "\n")
	if len(a) > 0 && a[len(a)-1] == "" {
		a = a[:len(a)-1]
	}
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

// TestUnifiedOrder checks every pair of small files over three distinct
// lines: each diff applies, and within a run of changed lines no addition
// comes before a removal ("a b c c" to "a c b" used to print "+b" before
// "-c").
func TestUnifiedOrder(t *testing.T) {
	t.Parallel()
	var files []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		files = append(files, prefix)
		if n == 0 {
			return
		}
		for _, l := range []string{"a\n", "b\n", "c\n"} {
			gen(prefix+l, n-1)
		}
	}
	gen("", 4)
	for _, old := range files {
		for _, new := range files {
			d := Unified(Change{Path: "f", Op: Changed, Old: []byte(old), New: []byte(new)}, false)
			if got := apply(t, d, old); got != new {
				t.Fatalf("%q to %q: applying the diff gives %q\n%s", old, new, got, d)
			}
			lines := strings.Split(d, "\n")
			for i := 2; i+1 < len(lines); i++ {
				if strings.HasPrefix(lines[i], "+") && strings.HasPrefix(lines[i+1], "-") {
					t.Fatalf("%q to %q: an addition before a removal:\n%s", old, new, d)
				}
			}
		}
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

// TestQuoted: a path is printed as it is, or as git quotes it when a
// character in it would change what the line says.
func TestQuoted(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"apps/web/service_web.yaml": "apps/web/service_web.yaml",
		"apps/web/café.yaml":        "apps/web/café.yaml",
		"apps/web/x\n::error::y":    `"apps/web/x\n::error::y"`,
		"a\rb":                      `"a\rb"`,
		"a\x1b[2Jb":                 `"a\x1b[2Jb"`,
		"a\u009bb":                  `"a\u009bb"`,
		"a\"b":                      `"a\"b"`,
		`a\b`:                       `"a\\b"`,
		"a\xffb":                    `"a\xffb"`,
	} {
		if got := Quoted(in); got != want {
			t.Errorf("Quoted(%q) = %s, want %s", in, got, want)
		}
	}
	got := Unified(Change{Path: "apps/web/x\n::error::y.yaml", Op: Removed, Old: []byte("a: b\n")}, false)
	if !strings.HasPrefix(got, "--- \"a/apps/web/x\\n::error::y.yaml\"\n+++ /dev/null\n") {
		t.Errorf("Unified headers:\n%s", got)
	}
}

// TestUnifiedRemovedExecutable: a removed file of mode 100755 says so, as
// git diff does, where it read as the removal of a plain file.
func TestUnifiedRemovedExecutable(t *testing.T) {
	t.Parallel()
	c := Change{Op: Removed, Path: "apps/web/run.sh", Old: []byte("echo hi\n"), OldExecutable: true}
	want := "deleted file mode 100755\n--- a/apps/web/run.sh\n+++ /dev/null\n@@ -1 +0,0 @@\n-echo hi\n"
	if got := Unified(c, false); got != want {
		t.Errorf("Unified =\n%q\nwant\n%q", got, want)
	}
	c.OldExecutable = false
	if got := Unified(c, false); got != strings.TrimPrefix(want, "deleted file mode 100755\n") {
		t.Errorf("a plain file's removal =\n%q", got)
	}
}
