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
	"unicode"
	"unicode/utf8"
)

// String shows the control characters of s, but tab, in caret notation (^[
// for ESC, ^M for CR), and the characters a reader cannot see as \uXXXX
// (\UXXXXXXXX above U+FFFF), as Go writes them: C1 controls, format
// characters (Unicode category Cf: the bidirectional controls, zero-width
// space and joiners, U+FEFF, the soft hyphen, tags), every space but
// U+0020 (Zs: U+00A0, U+2000-U+200A, U+3000...), the line and paragraph
// separators, and the other default-ignorable characters (the Hangul
// fillers, the combining grapheme joiner, variation selectors); bytes that
// are not UTF-8 as \xXX (a lone 0x9B is CSI to an 8-bit terminal). Such
// characters change no terminal state but hide or reorder what a reader
// sees: U+202E (right-to-left override) makes "yaml.exe" of "exe.lmay" in
// a browser, the "Trojan Source" trick (CVE-2021-42574), and a value that
// differs by a zero-width space or a no-break space alone reads as the
// same value. Visible text, whatever its script, stays as it is; so does
// a variation selector after a symbol or an ideograph, where it picks how
// the character before it is drawn (the emoji ⚠️).
func String(s string) string {
	if strings.IndexFunc(s, isControl) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	prev := rune(-1) // the character before, when shown as it is
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		shown := false
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02X", s[i])
		case !isControl(r) || selects(prev, r):
			b.WriteString(s[i : i+n])
			shown = true
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case r == 0x7f:
			b.WriteString("^?")
		case r > 0xffff:
			fmt.Fprintf(&b, "\\U%08X", r)
		default:
			fmt.Fprintf(&b, "\\u%04X", r)
		}
		prev = -1
		if shown {
			prev = r
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
	return invisible(r)
}

// invisible reports the characters, past the C0 and C1 controls, that
// show as nothing, look like a plain space, or reorder or break the text
// around them: the format characters (Cf, which holds the Bidi_Control
// set, the zero-width characters and the soft hyphen), the spaces but
// U+0020 (Zs), the line and paragraph separators (Zl, Zp), which browsers
// and some terminals break lines at, the default-ignorable characters that
// are no format character (the Hangul fillers U+115F, U+1160, U+3164,
// U+FFA0; U+034F), the variation selectors, and U+2800 (the blank braille
// pattern, drawn as a space). The standard library's tables, so that a
// new Unicode version comes with Go.
func invisible(r rune) bool {
	return r == 0x2800 || unicode.In(r, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// selects reports whether r is a variation selector that picks how prev,
// a symbol or an ideograph, is drawn (U+26A0 U+FE0F, the emoji ⚠️): it is
// shown as it is, a part of what the reader sees. After any other
// character, or after one shown escaped, it would draw nothing.
func selects(prev, r rune) bool {
	return prev >= 0 && unicode.Is(unicode.Variation_Selector, r) &&
		(unicode.Is(unicode.So, prev) || unicode.Is(unicode.Ideographic, prev))
}

// Lines is String on each line of s, its line feeds kept: for text of
// several lines, such as a multi-line error or a markdown document. A
// CR LF pair ends a line as a line feed does (a file written on Windows);
// a lone CR, which would rewrite the line, is shown as ^M.
func Lines(s string) string { return lines(strings.ReplaceAll(s, "\r\n", "\n")) }

// Quoted is String on each line of s, its line feeds kept and every
// carriage return shown: for text that quotes data line by line, such as
// a diff in a pull request body or a job summary. There a CR before a
// line feed belongs to the line, and folding the pair as Lines does shows
// a change of line endings alone (CR LF to LF) as lines that look the
// same; Quoted ends the CR LF lines in ^M, as cat -v and git's pager do.
func Quoted(s string) string { return lines(s) }

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

// Prefix is s cut to at most n bytes at a character's start, for text cut
// short to fit a limit: half a character at the end would be invalid
// UTF-8, which a browser shows as U+FFFD and an API may refuse whole.
func Prefix(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:max(n, 0)]
}
