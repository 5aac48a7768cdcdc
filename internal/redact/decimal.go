package redact

// A secret value's bytes as decimal numbers: jsonnet's std.encodeUTF8
// makes a list of them, which any serialiser may then lay out its own way
// ("[72, 117, …]", one a line and indented by std.manifestJson, "- 72"
// lines of YAML, space-joined). No fixed form covers every layout, so the
// redactor also reads each run of such numbers as the bytes it spells and
// searches those.

// maxGap is the most separator bytes between two numbers of a run: a
// comma, a line break and an indent.
const maxGap = 64

// decimalRuns calls fn with each run of at least MinLength decimal numbers
// from 0 to 255 in text, separated only by blanks, commas, brackets and
// dashes (a YAML list's "- "), with its span in text and the bytes the
// numbers spell. spelled is reused after fn returns.
func decimalRuns(text string, fn func(start, end int, spelled []byte)) {
	var run []byte
	start, end := -1, -1
	flush := func() {
		if len(run) >= MinLength {
			fn(start, end, run)
		}
		run, start = run[:0], -1
	}
	for i := 0; i < len(text); {
		d := i
		for d < len(text) && (text[d] < '0' || text[d] > '9') {
			d++
		}
		if d == len(text) {
			break
		}
		if len(run) > 0 && !separators(text[end:d]) {
			flush()
		}
		j, n := d, 0
		for j < len(text) && text[j] >= '0' && text[j] <= '9' {
			if j-d < 4 {
				n = n*10 + int(text[j]-'0')
			}
			j++
		}
		// A number of more than three digits or above 255, or one that
		// is part of a word, an address or a decimal: no byte.
		if j-d > 3 || n > 255 || d > 0 && isWordByte(text[d-1]) || j < len(text) && isWordByte(text[j]) {
			if len(run) > 0 {
				flush()
			}
			i = j
			continue
		}
		if start < 0 {
			start = d
		}
		run = append(run, byte(n))
		end, i = j, j
	}
	if len(run) > 0 {
		flush()
	}
}

// separators reports whether gap may stand between two numbers of a run.
func separators(gap string) bool {
	if len(gap) > maxGap {
		return false
	}
	for i := 0; i < len(gap); i++ {
		switch gap[i] {
		case ' ', '\t', '\r', '\n', ',', '[', ']', '-':
		default:
			return false
		}
	}
	return true
}

// isWordByte reports whether c continues a word or number token (a letter,
// a dot of a decimal or an address, an underscore).
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_'
}
