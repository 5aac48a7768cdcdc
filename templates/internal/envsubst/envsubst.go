package envsubst

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	fluxenvsubst "github.com/fluxcd/pkg/envsubst"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// Substitute replaces variables in data as Flux's postBuild substitution
// does, with the package kustomize-controller uses for it,
// github.com/fluxcd/pkg/envsubst, so every expression means what it means
// to Flux:
//
//   - ${NAME} is the value of NAME in vars; a NAME that vars holds is
//     defined even when its value is empty.
//   - ${NAME:=default} and ${NAME:-default} give default when NAME is not
//     set or empty, and so does ${NAME=default} (unlike the shell); a default may hold
//     other ${...}.
//   - ${NAME/a/b}, ${NAME//a/b}, ${NAME/#a/b}, ${NAME/%a/b} replace,
//     ${NAME:2}, ${NAME:0:2} cut, ${NAME#p}, ${NAME##p}, ${NAME%p},
//     ${NAME%%p} trim, ${NAME^}, ${NAME^^}, ${NAME,}, ${NAME,,} change case
//     and ${#NAME} is the length, like the shell's.
//   - "$$" is an escape for "$": $${NAME} becomes a literal ${NAME}, and
//     $$NAME becomes $NAME. A "$" not followed by "{" or "$" is left as it
//     is ($NAME is not substituted).
//
// Values are inserted verbatim, as Flux's envsubst does: a value with a
// newline or a YAML special character changes the document's structure,
// and lines of the output below a multi-line value no longer match the
// input. (kustomize-controller removes the newlines from its variables'
// values before it substitutes; the yaml engine does so too.)
//
// Where kiln differs from Flux it is stricter: a variable that is not set,
// read without a default, is an error (kustomize-controller makes it
// empty unless its StrictPostBuildSubstitutions feature gate is on), and
// an expression must close on its line (each line is evaluated on its
// own, which gives every error its line).
//
// file names the input in errors (repo-relative). A variable with no value
// and no default and a malformed expression are each a *diag.Error at file
// and the 1-based line; all problems of data come back together
// (errors.Join). Errors name variables, never their values.
//
// Substitute returns the result and the sorted names of the variables
// whose value it looked up in vars (names only read for a default they
// did not need are listed too; names vars does not hold are not).
func Substitute(data []byte, file string, vars map[string]string) ([]byte, []string, error) {
	return newScanner(file, vars).run(data)
}

func newScanner(file string, vars map[string]string) *scanner {
	return &scanner{file: file, vars: vars, used: map[string]bool{}, undefined: map[string]*undefinedVar{}, budget: newBudget()}
}

// child is a scanner for a look at part of s's input with vars, charging
// s's budget: what it evaluates costs as much as what s does.
func (s *scanner) child(vars map[string]string) *scanner {
	c := newScanner("", vars)
	c.budget = s.budget
	return c
}

// run substitutes data line by line and returns the result, the names
// used and every problem found, those of earlier calls included.
func (s *scanner) run(data []byte) ([]byte, []string, error) {
	if bytes.IndexByte(data, '$') < 0 && len(s.errs) == 0 && len(s.undefined) == 0 {
		return data, s.names(), nil
	}
	var out bytes.Buffer
	out.Grow(len(data))
	for n := 1; len(data) > 0; n++ {
		text, rest, nl := bytes.Cut(data, []byte("\n"))
		data = rest
		if bytes.IndexByte(text, '$') < 0 {
			out.Write(text)
		} else {
			out.WriteString(s.line(string(text), n))
		}
		if nl {
			out.WriteByte('\n')
		}
	}
	var errs []error
	errs = append(errs, s.errs...)
	for _, u := range s.undefined {
		errs = append(errs, u.err())
	}
	if len(errs) > 0 {
		return nil, nil, diag.Join(errs...)
	}
	return out.Bytes(), s.names(), nil
}

// names returns the sorted names of the variables used, nil for none.
func (s *scanner) names() []string {
	var names []string
	for n := range s.used {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// scanner holds the state of one Substitute call.
type scanner struct {
	file      string
	vars      map[string]string
	used      map[string]bool
	undefined map[string]*undefinedVar
	errs      []error
	// problems counts the problems recorded, so that a caller of line can
	// tell whether it found one.
	problems int
	// budget bounds what evaluating the placeholders may cost (see
	// charge); shared with the scanners of child.
	budget *budget
	// overBudget: the error for a spent budget is recorded.
	overBudget bool
	// quotedValue: line is evaluating a quoted scalar's value, which is
	// written back escaped (quote), so a line break in it is no problem.
	quotedValue bool
	// secret names the vars that may only be substituted whole
	// (secretTransforms).
	secret map[string]bool
	// commentRead counts the bytes SubstituteYAML's comments read again,
	// at most commentLimit.
	commentRead, commentLimit int
}

// undefinedVar collects the lines where one undefined variable is used, so
// that a variable used ten times is one error, not ten.
type undefinedVar struct {
	file  string
	name  string
	lines []int
	// expr is the first placeholder that reads the variable, as written
	// (${podselector:app-pods}), for the hint's literal form.
	expr string
}

func (u *undefinedVar) err() error {
	// The quoted scalars of a YAML file are evaluated before its lines
	// (SubstituteYAML), so the lines may come out of order.
	sort.Ints(u.lines)
	u.lines = slices.Compact(u.lines)
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
	expr := u.expr
	if expr == "" {
		expr = "${" + u.name + "}"
	}
	literal := strings.ReplaceAll(expr, "$", "$$")
	// Objects often carry another program's placeholders: a script's
	// ${HOME}, CloudNativePG's ${podselector:NAME} in pg_hba rules. Flux
	// substitutes them all the same, so the way to keep one is the escape,
	// which the hint names with the placeholder as written.
	hint := fmt.Sprintf("set %s in the environment's vars or give a default: ${%s:=value}; for a literal %s that another program reads, write %s",
		u.name, u.name, cutExpr(expr), cutExpr(literal))
	if !varName(u.name) {
		// ${1} in a shell script: no env file can set it (kiln and Flux
		// take names of letters, digits and _, not starting with a digit).
		msg += fmt.Sprintf(": %s is no variable name", u.name)
		hint = fmt.Sprintf("write %s for a literal %s (a shell script's), or give a default: ${%s:=value}", cutExpr(literal), cutExpr(expr), u.name)
	}
	return &diag.Error{File: u.file, Line: u.lines[0], Msg: msg, Hint: hint}
}

// varName reports whether name is one an env file can set: letters,
// digits and _, not starting with a digit (Flux's postBuild takes the
// same).
func varName(name string) bool {
	for i, c := range name {
		if c != '_' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && !(i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return name != ""
}

// syntaxHint is the hint of every malformed expression.
const syntaxHint = "write ${NAME}, ${NAME:=default} or another of Flux's expansions (${NAME/a/b}, ${NAME:0:2}…), " +
	"NAME made of letters, digits and _, closed by } on the same line; write $${...} for a literal ${...}"

// line substitutes one line (without its newline), recording its
// problems; on a problem the line is returned as it is.
func (s *scanner) line(text string, line int) string {
	t, err := fluxenvsubst.Parse(text)
	if err != nil {
		// The parser's errors are sentinels without a position; the
		// line's first placeholder that does not parse on its own shows
		// which text it means.
		expr := malformed(text)
		what := "malformed expression"
		if !strings.HasSuffix(expr, "}") {
			what = "unterminated"
		}
		s.errs = append(s.errs, &diag.Error{File: s.file, Line: line,
			Msg: fmt.Sprintf("%s %s (Flux's envsubst: %v)", what, strconv.Quote(exprStart(expr)), err), Err: err, Hint: syntaxHint})
		s.problems++
		return text
	}
	if s.secretTransforms(text, line) {
		return text
	}
	// Evaluation stops at the first variable that is not set; to report
	// every one of the line, evaluate again with those found so far taken
	// as empty, until none is left. Each round finds a new name; a line
	// with more than maxMissing of them gets those reported, so that a
	// hostile line cannot make the rounds quadratic.
	size, steps := s.measure(text)
	missing := map[string]bool{}
	for len(missing) < maxMissing {
		if !s.charge(size, steps, text, line) {
			return text
		}
		last, broke, ctrl, notText := "", "", "", ""
		out, panicked, err := execute(t, func(name string) (string, bool) {
			if v, ok := s.vars[name]; ok {
				s.used[name] = true
				if hasBreak(v) {
					broke = name
				}
				if hasControl(v) {
					ctrl = name
				}
				if !utf8.ValidString(v) {
					notText = name
				}
				return v, true
			}
			if missing[name] {
				return "", true
			}
			last = name
			return "", false
		})
		if panicked {
			expr := firstPlaceholder(text)
			s.errs = append(s.errs, &diag.Error{File: s.file, Line: line,
				Msg: fmt.Sprintf("Flux's envsubst fails on the line of %s: its evaluation crashes (kustomize-controller's too)", quoteExpr(expr)), Err: err,
				Hint: "give ${NAME:offset:length} an offset and a length that fit the value (a length beyond its end, not one near 2^63)"})
			s.problems++
			return text
		}
		if err == nil {
			if len(missing) > 0 {
				return text
			}
			refuse := func(msg, hint string) string {
				s.errs = append(s.errs, &diag.Error{File: s.file, Line: line,
					Msg: fmt.Sprintf("a value substituted for %s %s", placeholdersIn([]byte(text)), msg), Hint: hint})
				s.problems++
				return text
			}
			if notText != "" {
				// A secret var read from the process environment may be
				// any bytes. Unquoted, YAML refuses them; quoted, they
				// were written as U+FFFD, another value than the var's.
				return refuse("is not UTF-8 text: YAML and a Kubernetes object's strings hold only UTF-8 (Flux's substitution fails on it too)",
					"give the variable a UTF-8 value; for binary data, put its base64 into a Secret's data field")
			}
			if !s.quotedValue && ctrl != "" {
				// YAML refuses the character anywhere but escaped in
				// double quotes; its own error names neither the
				// placeholder nor the fix.
				return refuse("holds a control character (such as NUL, ESC or DEL), which YAML refuses unless escaped in double quotes: the file would not parse (in Flux either)",
					"quote the placeholder (\"${NAME}\" gives any value as it is, escaped), or remove the character from the value")
			}
			if !s.quotedValue && broke != "" {
				// Quoted scalars were given their values escaped before
				// this pass (quoted): this is unquoted text, which ends
				// at the break, and YAML reads the rest of the value as
				// YAML: another key, a comment, an object's end. A
				// secret's rest would escape every check of its forms.
				return refuse("holds a line break (a carriage return, U+0085, U+2028 or U+2029), which ends the line there: YAML would read the rest of the value as YAML (as it would in Flux, which removes only \\n)",
					"quote the placeholder (\"${NAME}\" gives any value as it is), or remove the line break from the value")
			}
			return out
		}
		if last == "" || missing[last] {
			// Not a variable that is not set: no other error is known.
			s.errs = append(s.errs, &diag.Error{File: s.file, Line: line, Msg: "cannot substitute the line: " + err.Error(), Err: err, Hint: syntaxHint})
			s.problems++
			return text
		}
		missing[last] = true
		s.problems++
		u := s.undefined[last]
		if u == nil {
			u = &undefinedVar{file: s.file, name: last, expr: placeholderOf(text, last)}
			s.undefined[last] = u
		}
		if len(u.lines) == 0 || u.lines[len(u.lines)-1] != line {
			u.lines = append(u.lines, line)
		}
	}
	return text
}

// malformed returns the first placeholder of text, a line Flux's envsubst
// cannot parse, that it cannot parse on its own, or that is not closed (to
// the end of the line); else the line's first placeholder, else text.
// Placeholders are read as placeholderSpans reads them.
func malformed(text string) string {
	for i := 0; ; {
		start := nextPlaceholder(text, i)
		if start < 0 {
			break
		}
		end := closing(text, start)
		if end < 0 {
			return text[start:]
		}
		if _, err := fluxenvsubst.Parse(text[start:end]); err != nil {
			return text[start:end]
		}
		i = end
	}
	if m := placeholderRE.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return text
}

// firstPlaceholder returns the first placeholder of text, a line Flux's
// envsubst parses, whole (${A:=${B}} with what is nested in it); text when
// it has none.
func firstPlaceholder(text string) string {
	start := nextPlaceholder(text, 0)
	if start < 0 {
		return text
	}
	if end := closing(text, start); end > 0 {
		return text[start:end]
	}
	return text[start:]
}

// placeholderOf returns the first placeholder of text, nested ones
// included, that reads the variable name (${name}, ${name:=d},
// ${name:app-pods}), whole; "" when there is none, or it is not closed.
func placeholderOf(text, name string) string {
	for i := 0; ; {
		start := nextPlaceholder(text, i)
		if start < 0 {
			return ""
		}
		rest := text[start+2:]
		if strings.HasPrefix(rest, name) && (len(rest) == len(name) || !nameByte(rest[len(name)])) {
			if end := closing(text, start); end > 0 {
				return text[start:end]
			}
			return ""
		}
		i = start + 2
	}
}

// nameByte reports whether c may continue a variable's name.
func nameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// nextPlaceholder returns where the first placeholder ("${") of text at or
// after i starts, as Flux's envsubst reads it: "$$" is an escaped "$" (so
// "$${A}" is text and "$$${A}" a "$" and a placeholder); -1 when there is
// none.
func nextPlaceholder[T ~string | ~[]byte](text T, i int) int {
	for i+1 < len(text) {
		switch {
		case text[i] != '$':
			i++
		case text[i+1] == '$':
			i += 2
		case text[i+1] == '{':
			return i
		default:
			i++
		}
	}
	return -1
}

// closing returns the end of the placeholder that starts at text[start]
// ("${"): after the "}" that closes it, those of placeholders nested in it
// counted; -1 when text ends first.
func closing[T ~string | ~[]byte](text T, start int) int {
	depth := 0
	for i := start; i < len(text); {
		switch {
		case text[i] == '$' && i+1 < len(text) && text[i+1] == '$':
			i += 2
		case text[i] == '$' && i+1 < len(text) && text[i+1] == '{':
			depth++
			i += 2
		case text[i] == '}':
			depth--
			i++
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return -1
}

// maxMissing bounds the variables that are not set reported for one line.
const maxMissing = 32

// placeholderRE finds a placeholder ("${" not escaped by a "$" before it)
// up to its "}" or the end of the line.
var placeholderRE = regexp.MustCompile(`(?:^|[^$])(\$\{[^}]*\}?)`)

// exprStart is what an error shows of expr, a placeholder Flux's envsubst
// cannot parse: its variable's name, when it is one, and
// nothing after it. Such text is as often a Secret's password that holds
// "${" (p@ss${word-1}) or a default written in the file
// (${DB_PASSWORD:=hunter2) as a mistyped placeholder, and no redactor
// knows it; the file and line say where it is.
func exprStart(expr string) string {
	rest := strings.TrimPrefix(expr, "${")
	n := 0
	for n < len(rest) && (rest[n] == '_' || 'a' <= rest[n] && rest[n] <= 'z' || 'A' <= rest[n] && rest[n] <= 'Z' || n > 0 && '0' <= rest[n] && rest[n] <= '9') {
		n++
	}
	name, after := rest[:n], rest[n:]
	switch {
	case after == "":
		return "${" + name // unterminated after the name
	case after == "}":
		return "${" + name + "}"
	case name != "" && after[0] == ':':
		return "${" + name + ":…"
	}
	return "${…"
}

// quoteExpr shows an expression from the input in a message, cut short so
// that a long line does not swamp the report.
func quoteExpr(expr string) string {
	return strconv.Quote(cutExpr(expr))
}

// cutExpr cuts an expression from the input short, as quoteExpr shows it.
func cutExpr(expr string) string {
	const limit = 40
	s := expr
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
		if strings.HasSuffix(expr, "}") {
			s += "}"
		}
	}
	return s
}

// hasControl reports whether text holds a character YAML allows only
// escaped in double quotes: a C0 control other than tab and the line
// breaks (hasBreak), DEL, a C1 control other than U+0085, U+FFFE or
// U+FFFF.
func hasControl(text string) bool {
	for _, r := range text {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f || (r >= 0x80 && r <= 0x9f && r != 0x85) || r == 0xfffe || r == 0xffff {
			return true
		}
	}
	return false
}

// hasBreak reports whether text holds a character YAML reads as a line
// break besides \n, which values never hold here (oneLine, as in Flux).
func hasBreak(text string) bool {
	return strings.ContainsAny(text, "\r\u0085\u2028\u2029")
}
