package redact

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

// wrappedRuns calls fn with each run of at least two base64 lines in text
// whose full lines have one length of minLine or more and whose last line
// is no longer, separated by a line break or its escape (`\n`, `\\n`,
// `\r\n`) and an indent, with its span in text and the lines joined; fn
// reports whether the joined text holds what it looks for. The first line
// may be longer than the others: the value's first line with base64
// characters before it on the same line. joined is reused after fn
// returns.
func wrappedRuns(text string, fn func(start, end int, joined []byte) bool) {
	var joined []byte
	start, end, width, lines := -1, -1, 0, 0
	// asked is the number of lines fn was last called with for this run.
	asked := 0
	flush := func() {
		if lines >= 2 && lines != asked {
			fn(start, end, joined)
		}
		joined, start, lines, asked = joined[:0], -1, 0, 0
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
		if lines > 0 && text[end:i] == lineBreakAt(text, end) && n <= width && joined[len(joined)-1] != '=' {
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
				asked = lines
				if fn(start, end, joined) {
					flush()
				} else {
					width = n
				}
			case n < width:
				flush()
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
	flush()
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
