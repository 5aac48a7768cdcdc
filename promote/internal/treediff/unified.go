package treediff

import (
	"bytes"
	"strconv"
	"strings"
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
// end of file" where a side ends without one. Files holding a NUL byte are
// reported as "Binary files ... differ". With color, lines carry ANSI
// colours (bold headers, cyan hunk headers, red removals, green
// additions); without, the text is plain. Equal contents give "".
func Unified(c Change, color bool) string {
	oldName, newName := "a/"+c.Path, "b/"+c.Path
	if c.Op == Added || (c.Old == nil && c.New != nil) {
		oldName = "/dev/null"
	}
	if c.Op == Removed || (c.New == nil && c.Old != nil) {
		newName = "/dev/null"
	}
	if bytes.Equal(c.Old, c.New) && c.Op != Added && c.Op != Removed {
		return ""
	}
	p := printer{color: color}
	if bytes.IndexByte(c.Old, 0) >= 0 || bytes.IndexByte(c.New, 0) >= 0 {
		p.line(colorMeta, "Binary files "+oldName+" and "+newName+" differ\n")
		return p.b.String()
	}
	a, b := splitLines(c.Old), splitLines(c.New)
	p.line(colorMeta, "--- "+oldName+"\n")
	p.line(colorMeta, "+++ "+newName+"\n")
	for _, h := range hunks(lineDiff(a, b)) {
		p.hunk(h, a, b)
	}
	return p.b.String()
}

// splitLines splits data into lines that keep their "\n", so a last line
// without one differs from the same line with one.
func splitLines(data []byte) []string {
	var out []string
	s := string(data)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// step is one line of the aligned sequence: kind, and its index in a
// (opEqual, opDelete) and in b (opEqual, opInsert).
type step struct {
	kind opKind
	ai   int
	bi   int
}

// hunk is the steps one @@ hunk prints: changes and their context.
type hunk struct {
	steps []step
}

// hunks groups the changes of an edit script into hunks with context
// lines around them; changes closer than 2*context lines share a hunk.
func hunks(edits []edit) []hunk {
	var steps []step
	ai, bi := 0, 0
	for _, e := range edits {
		for range e.n {
			steps = append(steps, step{e.kind, ai, bi})
			switch e.kind {
			case opEqual:
				ai++
				bi++
			case opDelete:
				ai++
			case opInsert:
				bi++
			}
		}
	}
	var out []hunk
	for i := 0; i < len(steps); {
		if steps[i].kind == opEqual {
			i++
			continue
		}
		start := max(0, i-context)
		end := i // end of the last change in this hunk, exclusive
		for j := i; j < len(steps); {
			if steps[j].kind != opEqual {
				j++
				end = j
				continue
			}
			// A run of equal lines: does another change follow close enough?
			k := j
			for k < len(steps) && steps[k].kind == opEqual {
				k++
			}
			if k == len(steps) || k-j > 2*context {
				break
			}
			j = k
		}
		stop := min(len(steps), end+context)
		out = append(out, hunk{steps[start:stop]})
		i = stop
	}
	return out
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
	p.b.WriteString(strings.TrimSuffix(s, "\n"))
	p.b.WriteString(colorReset)
	p.b.WriteString("\n")
}

func (p *printer) hunk(h hunk, a, b []string) {
	oldStart, newStart, oldN, newN := -1, -1, 0, 0
	for _, s := range h.steps {
		if s.kind != opInsert {
			if oldStart < 0 {
				oldStart = s.ai
			}
			oldN++
		}
		if s.kind != opDelete {
			if newStart < 0 {
				newStart = s.bi
			}
			newN++
		}
	}
	// An empty side is numbered by the line before it, as diff -u does.
	first := h.steps[0]
	if oldStart < 0 {
		oldStart = first.ai - 1
	}
	if newStart < 0 {
		newStart = first.bi - 1
	}
	p.line(colorFrag, "@@ -"+rangeOf(oldStart, oldN)+" +"+rangeOf(newStart, newN)+" @@\n")
	for _, s := range h.steps {
		switch s.kind {
		case opEqual:
			p.text("", " ", b[s.bi])
		case opDelete:
			p.text(colorOld, "-", a[s.ai])
		case opInsert:
			p.text(colorNew, "+", b[s.bi])
		}
	}
}

// text writes one diff line, marking a line without its "\n".
func (p *printer) text(c, prefix, l string) {
	if c == "" {
		p.b.WriteString(prefix + strings.TrimSuffix(l, "\n") + "\n")
	} else {
		p.line(c, prefix+strings.TrimSuffix(l, "\n")+"\n")
	}
	if !strings.HasSuffix(l, "\n") {
		p.b.WriteString("\\ No newline at end of file\n")
	}
}

// rangeOf formats a hunk range: 0-based start, count.
func rangeOf(start, n int) string {
	if n == 1 {
		return strconv.Itoa(start + 1)
	}
	return strconv.Itoa(start+1) + "," + strconv.Itoa(n)
}
