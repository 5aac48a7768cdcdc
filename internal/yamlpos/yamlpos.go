// Package yamlpos finds where a yaml.v3 node is written in its document's
// bytes. yaml.v3 gives a node's line and column, the column counted in
// characters; what the node does not keep (its quotes, a non-specific tag
// it dropped) is found in the text there.
package yamlpos

import (
	"bytes"
	"unicode/utf8"
)

// Text is a document's bytes with what finding positions in them needs:
// where each line starts, and for a line with a multi-byte character,
// where each of its characters starts (made on first use, once, so that a
// long line of flow scalars is not walked again for each).
//
// Lines end where yaml.v3's reader ends them (is_break): at LF, CRLF, a
// lone CR, NEL (U+0085), LS (U+2028) and PS (U+2029). Counted by LFs
// alone, a value holding one of the others put every node after it on a
// line yaml.v3 does not give it.
type Text struct {
	data   []byte
	starts []int         // the offset of each line; starts[0] is line 1's
	ends   []int         // the offset of each line's line break (or the text's end)
	multi  []bool        // whether the line holds a multi-byte character
	runes  map[int][]int // line -> the offset of each of its characters
}

// New indexes data.
func New(data []byte) *Text {
	t := &Text{data: data, starts: []int{0}, multi: []bool{false}, runes: map[int][]int{}}
	for i := 0; i < len(data); i++ {
		if w := BreakWidth(data[i:]); w > 0 {
			t.ends = append(t.ends, i)
			i += w - 1
			t.starts = append(t.starts, i+1)
			t.multi = append(t.multi, false)
		} else if data[i] >= utf8.RuneSelf {
			t.multi[len(t.multi)-1] = true
		}
	}
	t.ends = append(t.ends, len(data))
	return t
}

// BreakWidth is the length of the line break b starts with, as yaml.v3
// reads line breaks; 0 when it starts with none (or b is empty).
func BreakWidth(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch {
	case b[0] == '\n':
		return 1
	case b[0] == '\r':
		if len(b) > 1 && b[1] == '\n' {
			return 2
		}
		return 1
	case b[0] == 0xC2 && len(b) > 1 && b[1] == 0x85:
		return 2
	case b[0] == 0xE2 && len(b) > 2 && b[1] == 0x80 && (b[2] == 0xA8 || b[2] == 0xA9):
		return 3
	}
	return 0
}

// Offset returns the offset in the text of line and column (yaml.v3's,
// both from 1), or false when the text has no such place.
func (t *Text) Offset(line, column int) (int, bool) {
	if line < 1 || line > len(t.starts) || column < 1 {
		return 0, false
	}
	start, end := t.starts[line-1], t.ends[line-1] // the line break is no column
	if line == 1 && bytes.HasPrefix(t.data, []byte("\ufeff")) {
		start += 3 // the reader drops a byte order mark before counting
	}
	if !t.multi[line-1] {
		if start+column-1 > end {
			return 0, false
		}
		return start + column - 1, true
	}
	offs, ok := t.runes[line]
	if !ok {
		for i := range string(t.data[start:end]) {
			offs = append(offs, start+i)
		}
		offs = append(offs, end)
		t.runes[line] = offs
	}
	if column > len(offs) {
		return 0, false
	}
	return offs[column-1], true
}

// Data is the text's bytes.
func (t *Text) Data() []byte { return t.data }

// Starts is the offset of each line; Starts()[0] is line 1's.
func (t *Text) Starts() []int { return t.starts }

// Ends is the offset of each line's line break, the text's length for
// the last line: a line's text is data[Starts()[i]:Ends()[i]].
func (t *Text) Ends() []int { return t.ends }

// IsMarker reports whether the line l (from its start) begins with a
// document marker, --- or ..., followed by nothing or white space: such a
// line always separates documents, since inside one it would have to be
// indented.
func IsMarker(l []byte) bool {
	if !bytes.HasPrefix(l, []byte("---")) && !bytes.HasPrefix(l, []byte("...")) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\n' || l[3] == '\r'
}

// Doc is one document of a Text: the 0-based line it starts on, and its
// bytes' range, marker line included.
type Doc struct{ Line, Start, End int }

// Documents cuts the text before each line that starts with a document
// marker (IsMarker), so that a document that does not parse leaves the
// others to be read.
func (t *Text) Documents() []Doc {
	var out []Doc
	d := Doc{}
	for i := 1; i < len(t.starts); i++ {
		if IsMarker(t.data[t.starts[i]:]) {
			d.End = t.starts[i]
			out = append(out, d)
			d = Doc{Line: i, Start: t.starts[i]}
		}
	}
	d.End = len(t.data)
	return append(out, d)
}
