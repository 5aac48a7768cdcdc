package treediff

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/kiln-gitops/kiln/internal/caret"
	"github.com/kiln-gitops/kiln/internal/diag"
)

// context is the number of unchanged lines shown around each change, as
// in `diff -u` and `git diff`.
const context = 3

// ANSI colours, the ones git uses by default.
const (
	colorMeta  = "\x1b[1m"
	colorFrag  = "\x1b[36m"
	colorOld   = "\x1b[31m"
	colorNew   = "\x1b[32m"
	colorReset = "\x1b[m"
)

// Unified returns the unified diff of one change, as `git diff` prints it:
// "--- a/<path>" and "+++ b/<path>" (/dev/null for an added or removed
// file), then @@ hunks with three lines of context and "\ No newline at
// end of file" where a side ends without one. Within a run of changed
// lines the removals come first, then the additions. Files holding a NUL
// byte are reported as "Binary files ... differ". A change from a symlink
// (OldSymlink) starts with a line that says so, one from an executable
// (OldExecutable) with git's "old mode 100755" and "new mode 100644"
// lines, which are all it shows when the bytes are equal, or, removed,
// with "deleted file mode 100755". With color, lines carry
// ANSI colours (bold headers, cyan hunk headers, red removals, green
// additions); without, the text is plain. Equal contents give "".
//
// The line diff is go-udiff's (gopls' diff package, kept as a module):
// Myers' algorithm on lines, deterministic, so equal inputs always give
// equal output.
func Unified(c Change, color bool) string {
	oldName, newName := Quoted("a/"+c.Path), Quoted("b/"+c.Path)
	if c.OldName != "" {
		oldName = Quoted(c.OldName)
	}
	if c.NewName != "" {
		newName = Quoted(c.NewName)
	}
	if c.Op == Added || (c.Old == nil && c.New != nil) {
		oldName = "/dev/null"
	}
	if c.Op == Removed || (c.New == nil && c.Old != nil) {
		newName = "/dev/null"
	}
	modeOnly := c.OldExecutable && c.Op == Changed
	if bytes.Equal(c.Old, c.New) && c.Op != Added && c.Op != Removed && !c.OldSymlink && !modeOnly {
		return ""
	}
	p := printer{color: color}
	if modeOnly {
		// As git diff says it, before the headers; alone when the
		// bytes are the same.
		p.line(colorMeta, "old mode 100755\n")
		p.line(colorMeta, "new mode 100644\n")
		if bytes.Equal(c.Old, c.New) {
			return p.b.String()
		}
	}
	if c.OldExecutable && newName == "/dev/null" {
		// As git diff says it: a removed executable is no plain file.
		p.line(colorMeta, "deleted file mode 100755\n")
	}
	if c.OldSymlink {
		// Before the headers, where patch and git apply skip what they
		// do not read: the lines below may show no change at all.
		note := oldName + " is a symlink in git (mode 120000): the old text is its target, and Flux does not apply a symlink"
		if c.Op == Changed {
			note = "symlink → file: " + note + "; kiln writes a regular file"
		} else {
			note = "symlink: " + note
		}
		p.line(colorMeta, note+"\n")
	}
	if bytes.IndexByte(c.Old, 0) >= 0 || bytes.IndexByte(c.New, 0) >= 0 {
		p.line(colorMeta, "Binary files "+oldName+" and "+newName+" differ\n")
		return p.b.String()
	}
	p.line(colorMeta, "--- "+oldName+"\n")
	p.line(colorMeta, "+++ "+newName+"\n")
	old := string(c.Old)
	u, err := udiff.ToUnifiedDiff(oldName, newName, old, udiff.Lines(old, string(c.New)), context)
	if err != nil {
		// udiff.Lines computed the edits from old itself, so they always
		// apply; say so rather than print a wrong diff.
		p.b.WriteString(fmt.Sprintf("(cannot print the diff: %v)\n", err))
		return p.b.String()
	}
	for _, h := range u.Hunks {
		p.hunk(h)
	}
	return p.b.String()
}

type printer struct {
	b     strings.Builder
	color bool
}

// line writes s (ending in "\n") in colour c.
func (p *printer) line(c, s string) {
	if !p.color {
		p.b.WriteString(s)
		return
	}
	p.b.WriteString(c)
	p.b.WriteString(caret.String(strings.TrimSuffix(s, "\n")))
	p.b.WriteString(colorReset)
	p.b.WriteString("\n")
}

// hunk prints one hunk. Its lines are reordered so that within each run
// of changed lines every removal precedes every addition, the order
// diff(1) and git use.
func (p *printer) hunk(h *udiff.Hunk) {
	oldN, newN := 0, 0
	for _, l := range h.Lines {
		if l.Kind != udiff.Insert {
			oldN++
		}
		if l.Kind != udiff.Delete {
			newN++
		}
	}
	// An empty side is numbered by the line before it, as diff -u does.
	oldStart, newStart := h.FromLine, h.ToLine
	if oldN == 0 {
		oldStart--
	}
	if newN == 0 {
		newStart--
	}
	p.line(colorFrag, "@@ -"+rangeOf(oldStart, oldN)+" +"+rangeOf(newStart, newN)+" @@\n")
	var adds []udiff.Line
	flush := func() {
		for _, l := range adds {
			p.text(colorNew, "+", l.Content)
		}
		adds = adds[:0]
	}
	for _, l := range h.Lines {
		switch l.Kind {
		case udiff.Equal:
			flush()
			p.text("", " ", l.Content)
		case udiff.Delete:
			p.text(colorOld, "-", l.Content)
		case udiff.Insert:
			adds = append(adds, l)
		}
	}
	flush()
}

// text writes one diff line, marking a line without its "\n".
func (p *printer) text(c, prefix, l string) {
	if c == "" {
		text := prefix + strings.TrimSuffix(l, "\n")
		if p.color {
			text = caret.String(text)
		}
		p.b.WriteString(text + "\n")
	} else {
		p.line(c, prefix+strings.TrimSuffix(l, "\n")+"\n")
	}
	if !strings.HasSuffix(l, "\n") {
		p.b.WriteString("\\ No newline at end of file\n")
	}
}

// rangeOf formats a hunk range: 1-based start, count.
func rangeOf(start, n int) string {
	if n == 1 {
		return strconv.Itoa(start)
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(n)
}

// Quoted returns a path as git prints it in a diff header or a listing
// (diag.QuotePath, which also quotes the file of every error and warning).
func Quoted(p string) string { return diag.QuotePath(p) }
