// Package caret keeps text kiln does not control from driving a terminal.
// Manifests pushed to the manifests branch, templates in a pull request
// and the lock files kiln reads back may hold escape sequences that clear
// the screen, move the cursor, rewrite lines above or set the window
// title; String shows their control characters in caret notation (^[ for
// ESC) instead, and Writer does so for all that passes through it. Use
// them only for a terminal: piped output keeps its bytes.
package caret

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// String shows the control characters of s, but tab, in caret notation, C1 controls as \uXXXX and bytes that are not UTF-8 as \xXX (a
// lone 0x9B is CSI to an 8-bit terminal).
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
	return (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f)
}

// Colors are the only escape sequences Writer lets through: the colours
// kiln diff draws with (bold, cyan, red, green, reset), which change no
// more than the colour of the text. Concealed text, cursor moves and
// titles stay in caret notation.
var Colors = []string{"\x1b[1m", "\x1b[36m", "\x1b[31m", "\x1b[32m", "\x1b[m"}

// Writer returns a writer that passes each line written to w through
// String, but for Colors. Each write is converted on its own: write whole
// lines, as kiln's masking writers do, so that no character or colour is
// cut in two.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (t writer) Write(p []byte) (int, error) {
	s := string(p)
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
			if strings.HasPrefix(s, c) {
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
	if _, err := io.WriteString(t.w, b.String()); err != nil {
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
