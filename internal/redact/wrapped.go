package redact

import "strings"

// Base64 broken into lines: kustomize's secretGenerator writes a Secret's
// data value in lines of 70 characters (kyaml's encodeBase64), MIME and
// openssl in lines of 76 and 64. A replacement that copies such a value
// into another field, and a message that quotes the field (`Invalid
// value: "V3Yw…\nAwN2…"`), holds the value's base64 with a line break, or
// its escape, every few characters: no fixed form is found across them,
// and a value longer than 52 bytes is always broken. So the redactor also
// reads each run of such lines as the one base64 text it was and
// searches that, as it reads runs of byte numbers (decimal.go).

// minLine is the shortest full line of a wrapped run: encoders wrap at 64
// or more, and shorter lines of equal length are too common in other text
// (a table's columns) to join.
const minLine = 16

// maxIndent is the most blanks after a line break inside a run: a YAML
// block scalar's indent.
const maxIndent = 64

// wrappedRuns calls keep with the span of each run of at least two
// base64 lines in text whose joined text holds what holds looks for. The
// lines of a run are separated by a line break or its escape (`\n`,
// `\\n`, `\r\n`) and an indent; its full lines have one length of
// minLine or more, and its last line is no longer. The first line may be
// longer than the others: the value's first line with base64 characters
// before it on the same line. Padding ends a run: no line follows one
// that ends in "=", and a line with more after its "=" is no base64. A
// shorter line that ends a run holding a form without it begins the next
// run too (cut).
// holds is given the joined lines, reused after it returns; a line that
// more text follows on its line is asked about first (endsLine).
//
// It returns the start of the run that a next line could still continue
// (text ends with a line break right after that run's last line, which
// is as long as the others) and the run's width; -1 when there is none.
func wrappedRuns(text string, holds func(joined []byte) bool, keep func(start, end int)) (open, openWidth int) {
	var joined []byte
	start, end, width, lines := -1, -1, 0, 0
	// asked is the number of lines holds was last asked about for this
	// run, and said no.
	asked := 0
	reset := func() { joined, start, lines, asked = joined[:0], -1, 0, 0 }
	flush := func() {
		if lines >= 2 && lines != asked && holds(joined) {
			keep(start, end)
		}
		reset()
	}
	// cut ends a run that holds a form at its line text[i:j], shorter
	// than the others. When the lines before it hold the form alone (a
	// value's base64 on one line, or a value's wrapped lines whose last
	// is full), this line may be the first of a value's wrapped lines
	// instead, the same value's or another's: read without it, the lines
	// after it hold no whole form and would be shown, so they are read
	// from this line on as a run of their own. The line stays in the span
	// kept too: it may be the last line of the text above, and masked too
	// much is better than shown.
	cut := func(i, j int) {
		keep(start, end)
		if j-i < minLine || !holds(joined[:len(joined)-(j-i)]) {
			reset()
			return
		}
		joined = append(joined[:0], text[i:j]...)
		start, width, lines, asked = i, j-i, 1, 0
	}
	for i := 0; i < len(text); {
		if !isBase64Byte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isBase64Byte(text[j]) {
			j++
		}
		n := j - i
		if lines > 0 && text[end:i] == lineBreakAt(text, end) && n <= width && joined[len(joined)-1] != '=' && !strings.Contains(strings.TrimRight(text[i:j], "="), "=") {
			if !endsLine(text, j) {
				// More text follows on this line: it is the run's last
				// line with text glued after it (".example.com"), or the
				// first word of the line after the run ("b: c" after a
				// last line as long as the others, or after a value's
				// base64 on one line). The word belongs to the run only
				// when the run holds nothing without it.
				if lines != asked && holds(joined) {
					if lines >= 2 {
						keep(start, end)
					}
					reset()
				} else {
					joined = append(joined, text[i:j]...)
					end, lines = j, lines+1
					flush()
				}
				i = j
				continue
			}
			// Continues the run: as long as its lines, or its last.
			joined = append(joined, text[i:j]...)
			end, lines = j, lines+1
			switch {
			case lines == 2 && n < width && n >= minLine:
				// The value's two lines, or its first full line after
				// a first that text glued to the value's start made
				// longer ("app-" of a replacement's delimiter, "TOKEN=",
				// the letter of an escaped line break): the run goes
				// on with this line's width when the two lines hold
				// nothing, so a value of two lines takes no word of
				// the line after it along.
				if holds(joined) {
					cut(i, j)
				} else {
					asked, width = lines, n
				}
			case n < width:
				if lines != asked && holds(joined) {
					cut(i, j)
				} else {
					reset()
				}
			}
		} else {
			flush()
			if n >= minLine {
				start, end, width, lines = i, j, n, 1
				joined = append(joined, text[i:j]...)
			}
		}
		// Past the line break, whose escape ends in a letter the next
		// line must not take for its own.
		i = j + len(lineBreakAt(text, j))
	}
	open, openWidth = -1, 0
	if lines > 0 && joined[len(joined)-1] != '=' && end < len(text) && lineBreakAt(text, end) == text[end:] {
		open, openWidth = start, width
	}
	flush()
	return open, openWidth
}

// endsLine reports whether the base64 token that ends at text[j] ends its
// line too: the text, a line break or its escape, or a closing quote
// comes next, after any blanks. A quote that a word follows is none
// ("it's").
func endsLine(text string, j int) bool {
	for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
		j++
	}
	if j == len(text) || lineBreakAt(text, j) != "" {
		return true
	}
	q := 0
	switch {
	case text[j] == '"' || text[j] == '\'' || text[j] == '`':
		q = 1
	case hasAt(text, j, `\"`):
		q = 2
	default:
		return false
	}
	return j+q == len(text) || !isBase64Byte(text[j+q])
}

// lineBreakAt returns the separator of a wrapped run that starts at text[i:]:
// a line break or its escape, then an indent; "" when there is none.
func lineBreakAt(text string, i int) string {
	if i >= len(text) || text[i] != '\n' && text[i] != '\r' && text[i] != '\\' {
		return "" // most tokens: no switch of six comparisons
	}
	j := i
	switch {
	case hasAt(text, j, "\r\n"):
		j += 2
	case hasAt(text, j, "\n"):
		j++
	case hasAt(text, j, `\\r\\n`):
		j += 6
	case hasAt(text, j, `\\n`):
		j += 3
	case hasAt(text, j, `\r\n`):
		j += 4
	case hasAt(text, j, `\n`):
		j += 2
	default:
		return ""
	}
	for k := 0; k < maxIndent && j < len(text) && (text[j] == ' ' || text[j] == '\t'); k++ {
		j++
	}
	return text[i:j]
}

func hasAt(text string, i int, s string) bool {
	return len(text)-i >= len(s) && text[i:i+len(s)] == s
}

// isBase64Byte reports whether c belongs to base64's standard or URL
// alphabet, or is its padding.
func isBase64Byte(c byte) bool { return base64Bytes[c] }

// base64Bytes is isBase64Byte's table: wrappedRuns reads every byte of
// whatever it masks, a whole env's manifests too, and a table lookup is
// cheaper than eight comparisons.
var base64Bytes = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' || c == '='
	}
	return t
}()
