// Package jsonnetdepth bounds how deeply go-jsonnet's parser recurses on
// a source, without parsing it. The parser recurses once per nested
// expression, with some 50 KB of Go stack for a bracket, and a Go stack
// overflow ends the process whatever recovers it: a file of 20,000 "["
// (40 KB) crashed kiln init, which parses in its own process, and kiln
// render's worker. Count the source first, and parse only what is below
// kiln's limit.
package jsonnetdepth

import "strings"

// chainKeywords start an expression whose body, after a ";", go-jsonnet
// parses by recursing: a chain of them (local a = 1; local b = 2; …) nests
// like brackets until a "," or a closing bracket ends it.
var chainKeywords = map[string]bool{"local": true, "assert": true}

// prefixKeywords start an expression go-jsonnet parses by recursing, like
// a unary operator: in a local's value, it ends at the ";".
var prefixKeywords = map[string]bool{"if": true, "function": true, "error": true}

// Of returns a bound on how deeply go-jsonnet's parser recurses on
// src, read token by token without parsing (strings and comments skipped):
// open brackets, plus the expressions opened since the last "," at each
// bracket level (local and assert), plus those opened since the last "," or
// ";" (if, function, error and unary operators). It stops counting at max,
// returning the line that reached it; else it returns the deepest point
// and its line.
func Of(src string, max int) (depth, at int) {
	type level struct{ keywords, unary int } // chain keywords; prefix keywords and unary operators
	levels := []level{{}}
	total, line := 0, 1
	at = 1
	deepest := func() bool {
		if total > depth {
			depth, at = total, line
		}
		return depth >= max
	}
	operand := false // the last token ends an operand: a - or + after it is binary
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r':
			i++
			continue
		case c == '#' || strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				end = len(src) - i - 2
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += 2 + end + 2
			continue
		case strings.HasPrefix(src[i:], "|||"):
			// A text block ends at a line whose first non-blank is |||.
			j := i + 3
			for {
				nl := strings.IndexByte(src[j:], '\n')
				if nl < 0 {
					j = len(src)
					break
				}
				j += nl + 1
				if strings.HasPrefix(strings.TrimLeft(src[j:], " \t"), "|||") {
					j = strings.Index(src[j:], "|||") + j + 3
					break
				}
			}
			line += strings.Count(src[i:min(j, len(src))], "\n")
			i = j
			operand = true
			continue
		case c == '"' || c == '\'' || c == '@' && i+1 < len(src) && (src[i+1] == '"' || src[i+1] == '\''):
			verbatim := c == '@'
			if verbatim {
				i++
			}
			q := src[i]
			j := i + 1
			for j < len(src) {
				if src[j] == '\\' && !verbatim {
					j += 2
					continue
				}
				if src[j] == q {
					if verbatim && j+1 < len(src) && src[j+1] == q {
						j += 2
						continue
					}
					break
				}
				j++
			}
			line += strings.Count(src[i:min(j, len(src))], "\n")
			i = j + 1
			operand = true
			continue
		case c == '(' || c == '[' || c == '{':
			levels = append(levels, level{})
			total++
			operand = false
		case c == ')' || c == ']' || c == '}':
			if last := levels[len(levels)-1]; len(levels) > 1 {
				total -= 1 + last.keywords + last.unary
				levels = levels[:len(levels)-1]
			}
			operand = true
		case c == ',' || c == ';':
			last := &levels[len(levels)-1]
			total -= last.unary
			last.unary = 0
			if c == ',' {
				total -= last.keywords
				last.keywords = 0
			}
			operand = false
		case (c == '-' || c == '+' || c == '!' || c == '~') && !operand:
			levels[len(levels)-1].unary++
			total++
		case c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] >= '0' && src[j] <= '9' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z') {
				j++
			}
			if j == i { // $
				j++
			}
			word := src[i:j]
			i = j
			switch {
			case chainKeywords[word]:
				levels[len(levels)-1].keywords++
				total++
				operand = false
			case prefixKeywords[word]:
				levels[len(levels)-1].unary++
				total++
				operand = false
			case word == "then" || word == "else" || word == "in" || word == "for":
				operand = false
			default:
				operand = true
			}
			if deepest() {
				return depth, at
			}
			continue
		default:
			operand = false
		}
		i++
		if deepest() {
			return depth, at
		}
	}
	return depth, at
}
