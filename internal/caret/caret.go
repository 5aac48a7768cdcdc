// Package caret keeps text kiln does not control from driving a terminal.
// Manifests pushed to the manifests branch, templates in a pull request
// and the lock files kiln reads back may hold escape sequences that clear
// the screen, move the cursor, rewrite lines above or set the window
// title; String shows their control characters in caret notation (^[ for
// ESC) instead, and Writer does so for all that passes through it. Use
// them for every human-readable sink (stderr, annotations, job summaries,
// pull request bodies and titles); data (YAML, JSON, a diff without colour
// on stdout) keeps its bytes.
package caret

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// String shows the control characters of s, but tab, in caret notation, C1
// controls and Unicode's bidirectional and line-breaking format characters
// as \uXXXX and bytes that are not UTF-8 as \xXX (a lone 0x9B is CSI to an
// 8-bit terminal). The format characters change no terminal state but
// reorder or break what a reader sees: U+202E (right-to-left override)
// makes "yaml.exe" of "exe.lmay" in a browser, the "Trojan Source" trick
// (CVE-2021-42574).
func String(s string) string {
	if strings.IndexFunc(s, isControl) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02X", s[i])
		case !isControl(r):
			b.WriteString(s[i : i+n])
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case r == 0x7f:
			b.WriteString("^?")
		default:
			fmt.Fprintf(&b, "\\u%04X", r)
		}
		i += n
	}
	return b.String()
}

func isControl(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\t'
	case r < 0x7f:
		return false
	case r <= 0x9f:
		return true // DEL and the C1 controls
	}
	return isFormat(r)
}

// isFormat reports the bidirectional controls (the Unicode Bidi_Control
// property: ALM, LRM, RLM, LRE…RLO, LRI…PDI) and the line and paragraph
// separators, which browsers and some terminals break lines at.
func isFormat(r rune) bool {
	switch r {
	case 0x061c, 0x200e, 0x200f, 0x2028, 0x2029:
		return true
	}
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// Lines is String on each line of s, its line feeds kept: for text of
// several lines, such as a multi-line error or a markdown document. A
// CR LF pair ends a line as a line feed does (a file written on Windows);
// a lone CR, which would rewrite the line, is shown as ^M.
func Lines(s string) string { return lines(strings.ReplaceAll(s, "\r\n", "\n")) }

// Colors are the only escape sequences Writer lets through: the colours
// kiln diff draws with (bold, cyan, red, green, reset), which change no
// more than the colour of the text. Concealed text, cursor moves and
// titles stay in caret notation.
var Colors = []string{"\x1b[1m", "\x1b[36m", "\x1b[31m", "\x1b[32m", "\x1b[m"}

// Writer returns a writer that passes each line written to w through
// String, but for Colors. Each write is converted on its own: write whole
// lines, as kiln's masking writers do, so that no character or colour is
// cut in two. Use it for a terminal, where kiln draws colours.
func Writer(w io.Writer) io.Writer { return Colored(w, func() bool { return true }) }

// Colored is Writer letting Colors through only while on reports true:
// for a terminal that kiln draws colours on only sometimes (stdout, while
// kiln diff colours its diff). The rest of the time the same sequences
// come from text kiln does not control (a manifest line of a diff printed
// without colour under NO_COLOR, a file name of the branch) and are shown
// in caret notation like any other.
func Colored(w io.Writer, on func() bool) io.Writer { return writer{w: w, colors: on} }

// Plain is Writer letting no escape sequence through, not even Colors:
// for a human-readable stream that is no terminal (a CI log, a file),
// where kiln draws no colour, so any escape sequence came from text kiln
// does not control, and GitHub's log viewer would obey it.
func Plain(w io.Writer) io.Writer { return writer{w: w, colors: func() bool { return false }} }

type writer struct {
	w      io.Writer
	colors func() bool
}

func (t writer) Write(p []byte) (int, error) {
	s := string(p)
	colors := t.colors()
	var b strings.Builder
	for {
		i := strings.IndexByte(s, 0x1b)
		if i < 0 {
			b.WriteString(lines(s))
			break
		}
		b.WriteString(lines(s[:i]))
		s = s[i:]
		n := 1
		for _, c := range Colors {
			if colors && strings.HasPrefix(s, c) {
				b.WriteString(c)
				n = len(c)
				break
			}
		}
		if n == 1 {
			b.WriteString("^[")
		}
		s = s[n:]
	}
	// One Write of the whole, as given: a writer's WriteString (a
	// bytes.Buffer's) would bypass a Write that counts or locks.
	if _, err := t.w.Write([]byte(b.String())); err != nil {
		return 0, err
	}
	return len(p), nil
}

// lines is String on each line of s, its newlines kept.
func lines(s string) string {
	if !strings.Contains(s, "\n") {
		return String(s)
	}
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = String(p)
	}
	return strings.Join(parts, "\n")
}
