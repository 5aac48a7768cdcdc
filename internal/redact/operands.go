package redact

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// quotedRe matches what Go's libraries quote in an error message: a
// string in Go syntax ("…" with its escapes, as %q and strconv.Quote
// write it) or in backquotes (`…`, as yaml.v2/v3 and regexp quote a value).
var quotedRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile("\"(?:[^\"\\\\\\n]|\\\\.)*\"|`[^`]*`")
})

// Operands returns msg, an engine's error text, with every quoted operand
// replaced by Mask in its quotes: `parsing time "hunter2" as
// "2006-01-02"` becomes `parsing time "**redacted**" as "**redacted**"`.
//
// It is for the parts of an engine's message that report on data (the
// arguments a template function refused, a value a YAML decoder could not
// convert), which may be a secret from a values file, a generator literal
// or a var that no Redactor knows. What kiln cannot tell apart from such
// data goes with it; the message keeps its words and the location its
// caller gives, which say what to fix.
func Operands(msg string) string {
	return OperandsExcept(msg, nil)
}

// OperandsExcept is Operands keeping the operands that code says are
// code, not data: code is given each operand without its quotes (Go
// syntax unquoted, backquotes dropped). A caller keeps what its message
// shows elsewhere already, such as a string literal of the template
// action the message quotes, or a name its library puts there itself:
// masking those hides what to fix and protects nothing.
func OperandsExcept(msg string, code func(operand string) bool) string {
	return quotedRe().ReplaceAllStringFunc(msg, func(q string) string {
		if code != nil && code(Unquote(q)) {
			return q
		}
		return q[:1] + Mask + q[len(q)-1:]
	})
}

// Unquote returns q, an operand as quotedRe matches it, without its
// quotes; an operand in "…" that is not valid Go syntax comes back as it
// is between its quotes.
func Unquote(q string) string {
	if q[0] == '"' {
		if s, err := strconv.Unquote(q); err == nil {
			return s
		}
	}
	return q[1 : len(q)-1]
}

// Literals returns the string literals of src, a piece of template or
// program source an error message quotes (text/template's "at <ACTION>"),
// unquoted: the strings that are code there, whatever else equals them.
func Literals(src string) map[string]bool {
	lits := map[string]bool{}
	for _, q := range quotedRe().FindAllString(src, -1) {
		lits[Unquote(q)] = true
	}
	return lits
}

// jsonCharRe matches the character encoding/json's syntax error quotes
// of the text it was given ("invalid character 'h' looking for beginning
// of value"), in Go's escapes ('\n', '\x00').
var jsonCharRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(invalid character )'(?:[^'\\]|\\.)*'`)
})

// JSONChar returns msg with the character an encoding/json syntax error
// quotes masked, as JsonnetParse does for std.parseJson: it is a piece of
// the string parsed, which a template may have taken from a Secret's
// value; the words and the error's location say what to fix.
func JSONChar(msg string) string {
	return jsonCharRe().ReplaceAllString(msg, "${1}"+Mask)
}

// yamlValueRe matches what a YAML decoder's error quotes of a value:
// yaml.v2 and v3 put a scalar in backquotes ("cannot unmarshal !!str
// `hunter2` into int", "cannot decode !!str `hunter2` as a !!float");
// sigs.k8s.io/yaml prints a key it cannot convert, with everything in it,
// to the end of the line ("invalid map key: []interface {}{"hunter2"}");
// yaml.v3 names an alias it cannot resolve ("unknown anchor 'hunter2'
// referenced"), which is what follows a value's leading * once ${PW} is
// substituted; sigs.k8s.io/yaml prints a key of a type JSON has no key
// for (null) and the value under it, in Go syntax, to the end of the line
// ("unsupported map key of type: %!s(<nil>), key: <nil>, value: 31415926").
var yamlValueRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile("`[^`]*`|invalid map key: [^\\n]*|unknown anchor '[^']*' referenced|(unsupported map key of type: [^\\n]*?, )key: [^\\n]*")
})

// yamlBackquoted returns msg with each value a YAML decoder quotes in
// backquotes masked. The decoders do not escape a backquote inside the
// value ("cannot decode !!str `ab`Sup3rS3cret` as a !!int"): a quote runs
// to the last backquote of its entry of a TypeError (each "\n  line N: "
// starts one), or to the end of msg when none closes it there, never to
// the value's own first backquote, which left the rest of it in the clear.
// Only a TypeError's text ("unmarshal errors:" before the first quote) is
// cut into entries: a single error quotes its value whole, and a value
// holding a line break and "  line " ended its quote there, showing the
// rest of it.
func yamlBackquoted(msg string) string {
	h, q := strings.Index(msg, "unmarshal errors:\n"), strings.IndexByte(msg, '`')
	entries := h >= 0 && h < q
	var b strings.Builder
	for {
		start := strings.IndexByte(msg, '`')
		if start < 0 {
			b.WriteString(msg)
			return b.String()
		}
		end := len(msg)
		if e := strings.Index(msg[start:], "\n  line "); entries && e >= 0 {
			end = start + e
		}
		stop := end // unclosed in its entry: the rest is the value's
		if j := strings.LastIndexByte(msg[start+1:end], '`'); j >= 0 {
			stop = start + 1 + j + 1
		}
		b.WriteString(msg[:start])
		b.WriteString("`" + Mask + "`")
		msg = msg[stop:]
	}
}

// YAML returns msg, a YAML decoder's error text, with the values it
// quotes masked. The names of keys (`mapping key "replicas" already
// defined`), tags and lines stay: they say what to fix, and a key is a
// name, never a place for a secret (the plain-secret gate refuses a
// secret var's value in one).
func YAML(msg string) string {
	return yamlValueRe().ReplaceAllStringFunc(yamlBackquoted(msg), func(q string) string {
		switch {
		case q[0] == '`':
			return "`" + Mask + "`"
		case strings.HasPrefix(q, "invalid map key: "):
			return "invalid map key: " + Mask
		case strings.HasPrefix(q, "unsupported map key"):
			return q[:strings.Index(q, ", key: ")] + ", key: " + Mask
		}
		return "unknown anchor '" + Mask + "' referenced"
	})
}

// jsonnetParseRe matches what go-jsonnet's builtins that parse a string
// quote of it: std.parseJson passes on encoding/json's "invalid character
// 'x'" (with Go's escapes: '\n', '\x00'), std.parseInt, std.parseOctal
// and std.parseHex start with the whole string ("abc is not a base 10
// integer"), and std.jsonnet's own versions quote it ("Not hexadecimal:
// "abc"").
var jsonnetParseRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(failed to parse JSON: .*?invalid character )'(?:[^'\\]|\\.)*'|^(?s:.*)( is not a base \d+ integer)$|^((?:Not an octal number|Not hexadecimal): )(?s:.*)$`)
})

// JsonnetParse returns msg, a jsonnet runtime error, with the string a
// parsing builtin quotes masked: it may be a part of a secret (a slice of
// a var, a file read with importstr), which no redactor of whole values
// recognises. The words say what went wrong; the error's location says
// where.
func JsonnetParse(msg string) string {
	m := jsonnetParseRe().FindStringSubmatchIndex(msg)
	switch {
	case m == nil:
		return msg
	case m[2] >= 0: // parseJson: keep what follows the character
		return msg[:m[3]] + Mask + msg[m[1]:]
	case m[4] >= 0:
		return Mask + msg[m[4]:m[5]]
	default:
		return msg[m[6]:m[7]] + Mask
	}
}

// nodeContentsRe matches the end of kyaml's "wrong node kind" error
// (yaml/fns.go, ErrorIfInvalid): the node it found, printed whole.
var nodeContentsRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?s): node contents:\n.*$`)
})

// Nodes returns msg, a kustomize or kyaml error, without the node contents
// kyaml appends to "wrong node kind: expected MappingNode but got
// SequenceNode": the node may be a Secret's data, or a patch's value. The
// kinds say what is wrong; the patch and the object are the user's to see.
func Nodes(msg string) string {
	return nodeContentsRe().ReplaceAllString(msg, " (kiln does not show the node: it may hold a secret)")
}
