package envsubst

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// Substitute replaces variables in data, following Flux's postBuild
// substitution:
//
//   - ${NAME} becomes the value of NAME in vars. NAME matches
//     [_a-zA-Z][_a-zA-Z0-9]*. A NAME that vars holds is defined even when
//     its value is empty.
//   - ${NAME:=default} becomes the value of NAME, or default when vars
//     has no NAME or holds an empty value for it (shell semantics). The
//     default runs to the first "}" and may not contain "${".
//   - $${...} is an escape: it becomes a literal ${...}.
//   - A "$" that is not followed by "{" (a lone "$", "$NAME", "$$") is
//     left as it is: Flux only substitutes the braced form.
//
// Values are inserted verbatim, as Flux does: a value with a newline or a
// YAML special character changes the document's structure, and lines of
// the output below a multi-line value no longer match the input.
//
// file names the input in errors (repo-relative). The closing "}" must be
// on the same line as its "${". A variable with no value and no default,
// an unterminated "${" and a malformed expression are each a *diag.Error
// at file and the 1-based line of the "${"; all problems of data come back
// together (errors.Join). Errors name variables, never their values.
//
// Substitute returns the result and the sorted names of the variables
// whose value it looked up in vars (defaults are not listed: they are in
// the file already).
func Substitute(data []byte, file string, vars map[string]string) ([]byte, []string, error) {
	if bytes.IndexByte(data, '$') < 0 {
		return data, nil, nil
	}
	s := &scanner{file: file, vars: vars, used: map[string]bool{}, undefined: map[string]*undefinedVar{}}
	out := s.run(data)
	var errs []error
	errs = append(errs, s.errs...)
	for _, u := range s.undefined {
		errs = append(errs, u.err())
	}
	if len(errs) > 0 {
		return nil, nil, diag.Join(errs...)
	}
	var names []string
	for n := range s.used {
		names = append(names, n)
	}
	sort.Strings(names)
	return out, names, nil
}

// scanner holds the state of one Substitute call.
type scanner struct {
	file      string
	vars      map[string]string
	used      map[string]bool
	undefined map[string]*undefinedVar
	errs      []error
}

// undefinedVar collects the lines where one undefined variable is used, so
// that a variable used ten times is one error, not ten.
type undefinedVar struct {
	file  string
	name  string
	lines []int
}

func (u *undefinedVar) err() error {
	msg := fmt.Sprintf("variable %s is not set", u.name)
	if len(u.lines) > 1 {
		rest := make([]string, 0, len(u.lines)-1)
		for _, l := range u.lines[1:] {
			rest = append(rest, strconv.Itoa(l))
		}
		word := "line"
		if len(rest) > 1 {
			word = "lines"
		}
		msg += fmt.Sprintf(" (also used on %s %s)", word, strings.Join(rest, ", "))
	}
	return &diag.Error{
		File: u.file,
		Line: u.lines[0],
		Msg:  msg,
		Hint: fmt.Sprintf("set %s in the environment's vars or give a default: ${%s:=value}", u.name, u.name),
	}
}

func (s *scanner) run(data []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(data))
	line := 1
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n':
			line++
			out.WriteByte(c)
			i++
		case c != '$':
			// Copy the run up to the next '$' or newline in one go.
			j := i + 1
			for j < len(data) && data[j] != '$' && data[j] != '\n' {
				j++
			}
			out.Write(data[i:j])
			i = j
		case bytes.HasPrefix(data[i:], []byte("$${")):
			out.WriteString("${")
			i += 3
		case i+1 < len(data) && data[i+1] == '{':
			i = s.expr(data, i, line, &out)
		default:
			out.WriteByte('$')
			i++
		}
	}
	return out.Bytes()
}

// expr handles the "${" at data[start] and returns the index after it.
func (s *scanner) expr(data []byte, start, line int, out *bytes.Buffer) int {
	bodyStart := start + 2
	end := bytes.IndexAny(data[bodyStart:], "}\n")
	if end < 0 || data[bodyStart+end] == '\n' {
		s.errs = append(s.errs, &diag.Error{
			File: s.file,
			Line: line,
			Msg:  fmt.Sprintf("unterminated %s", quoteExpr(data[start:bodyStart+max(end, 0)], false)),
			Hint: "close it with } on the same line, or write $${ for a literal ${",
		})
		// Keep the text and scan on, to find the other problems too.
		out.WriteString("${")
		return bodyStart
	}
	body := data[bodyStart : bodyStart+end]
	next := bodyStart + end + 1
	name, def, hasDef, problem := parseBody(body)
	if problem != "" {
		s.errs = append(s.errs, &diag.Error{
			File: s.file,
			Line: line,
			Msg:  problem + " in " + quoteExpr(data[start:next], true),
			Hint: "write ${NAME} or ${NAME:=default}, NAME made of letters, digits and _; write $${...} for a literal ${...}",
		})
		out.Write(data[start:next])
		return next
	}
	v, ok := s.vars[name]
	if ok {
		s.used[name] = true
	}
	switch {
	case ok && (v != "" || !hasDef):
		out.WriteString(v)
	case hasDef:
		out.WriteString(def)
	default:
		u := s.undefined[name]
		if u == nil {
			u = &undefinedVar{file: s.file, name: name}
			s.undefined[name] = u
		}
		if len(u.lines) == 0 || u.lines[len(u.lines)-1] != line {
			u.lines = append(u.lines, line)
		}
	}
	return next
}

// parseBody splits the text between "${" and "}" into a name and an
// optional default; problem is non-empty when the text is malformed.
func parseBody(body []byte) (name, def string, hasDef bool, problem string) {
	n := 0
	for n < len(body) && isNameByte(body[n], n == 0) {
		n++
	}
	if n == 0 {
		return "", "", false, "invalid variable name"
	}
	name = string(body[:n])
	rest := body[n:]
	switch {
	case len(rest) == 0:
		return name, "", false, ""
	case bytes.HasPrefix(rest, []byte(":=")):
		def := rest[2:]
		if bytes.Contains(def, []byte("${")) {
			return "", "", false, "nested ${ in a default is not supported"
		}
		return name, string(def), true, ""
	case bytes.HasPrefix(rest, []byte(":-")):
		return "", "", false, "unsupported expansion \":-\" (use \":=\" for a default)"
	}
	return "", "", false, "invalid variable name"
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		return true
	case '0' <= c && c <= '9':
		return !first
	}
	return false
}

// quoteExpr shows an expression from the input in a message, cut short so
// that a long line does not swamp the report. closed says whether expr
// includes its "}".
func quoteExpr(expr []byte, closed bool) string {
	const limit = 40
	s := string(expr)
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
		if closed {
			s += "}"
		}
	}
	return strconv.Quote(s)
}
