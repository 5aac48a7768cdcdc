package redact

import (
	"bytes"
	"crypto/md5"  //nolint:gosec // a form to search for, not a security primitive
	"crypto/sha1" //nolint:gosec // a form to search for, not a security primitive
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Forms returns every form of value that kiln's engines and serialisers can
// produce and that must therefore never reach a file or a person: the value
// itself; its escaped spellings in JSON (Go's encoder with and without
// HTML-safe \u003c escapes, jsonnet's std.manifestJson, ASCII-only JSON),
// YAML (double- and single-quoted), JSON inside JSON, Go and sprig (%q), XML/HTML, shell
// (jsonnet's escapeStringBash) and Flux/jsonnet dollar escaping; URL query
// and path escaping; lower- and upper-case hex; base64 in the standard and
// URL alphabets at each of the three alignments it can have inside a larger
// blob (so a base64-encoded .env file or JSON document holding the value is
// found too), for the value and for each of its escaped spellings; the
// value's base64 inside base64 (a Docker config.json's auth in a Secret's
// data); its bytes as a list of decimal numbers (jsonnet's std.encodeUTF8);
// base32
// (sprig's b32enc) at each of its five alignments; the MD5, SHA-1,
// SHA-256, SHA-512 and SHA3-512 hex digests of the value (helm's sha256sum,
// jsonnet's std.sha256 and std.sha3: a digest of a low-entropy secret is a
// guessing oracle); and,
// for a value of several lines, each line on its own, since YAML block
// scalars and templates re-indent lines, and the value without its line
// breaks, as a yaml app's substitution inserts it; and the value trimmed
// of blanks and as YAML reads it once substituted (yamlReads), with the
// encodings of each.
//
// Forms shorter than MinLength are left out, as are PEM armour lines
// ("-----BEGIN RSA PRIVATE KEY-----"), which are public. The result is
// de-duplicated and has no particular order. A value that is TooShort has
// no forms.
func Forms(value string) []string {
	if TooShort(value) {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if len(s) >= MinLength && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}

	// Text escapes are character by character, so the escape of the value
	// is a substring of the escape of any larger text holding it.
	texts := []string{
		value,
		JSONEscape(value, true),
		JSONEscape(value, false),
		jsonnetEscape(value),
		jsonASCII(value),
		yamlDoubleQuoted(value),
		strings.ReplaceAll(value, "'", "''"),
		unquote(strconv.Quote(value)),
		unquote(strconv.QuoteToASCII(value)),
		html.EscapeString(value),
		xmlEscape(value),
		strings.ReplaceAll(value, "'", `'"'"'`),
		strings.ReplaceAll(value, "$", "$$"),
	}
	one := strings.ReplaceAll(value, "\n", "")
	if one != value {
		// A yaml app's variable goes in without its line breaks, as
		// kustomize-controller substitutes it (templates/plain).
		texts = append(texts, one)
	}
	// The value as the object holds it once parsed, which is what kiln
	// writes: trimmed (TooShort judges the trimmed value too, and templates
	// trim), and as YAML reads a yaml app's substitution. Without these a
	// value with a blank at an end, or a backslash or quote inside, was
	// neither refused by the gate nor encrypted in a Secret.
	texts = append(texts, strings.TrimSpace(value))
	texts = append(texts, yamlReads(one)...)
	for _, t := range texts {
		add(t)
	}
	// JSON inside JSON (a config.json in a JSON document, an annotation
	// holding an object's JSON): the escape of the escape.
	for _, t := range texts[1:4] {
		add(JSONEscape(t, true))
		add(JSONEscape(t, false))
	}
	// Encodings of each distinct text form: a base64 Secret value, or a
	// base64-encoded JSON or .env file that holds the (escaped) value.
	for _, t := range append([]string(nil), out...) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			// The whole encoding too: a value encoded on its own (a
			// Secret's data value) ends in a group the stable cores leave
			// out, whose characters and padding would show its last bits.
			add(enc.EncodeToString([]byte(t)))
			for shift := 0; shift < 3; shift++ {
				add(stableCore(enc.EncodeToString, 6, t, shift))
				// The value last in a larger blob (a .env file's last
				// line) ends it as alone: in a last group and padding
				// only its last bytes make.
				add(stableTail(enc.EncodeToString, 6, t, shift))
			}
		}
	}
	// Base64 inside base64: a Secret's data value is the base64 of a file
	// that may hold the value base64-encoded already, as a Docker
	// config.json's "auth" holds base64("user:token") in a
	// kubernetes.io/dockerconfigjson Secret. The inner encoding's stable
	// core sits anywhere in the file, so it is encoded at each alignment.
	for _, inner := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for s1 := 0; s1 < 3; s1++ {
			// The tail too: a token ends auth's "user:token", and the
			// outer characters of auth's last group and padding told
			// its last bits, and changed kiln.lock.json's outputDigest
			// with it; followed by the JSON string's closing quote, as
			// config.json has it, for the outer group that straddles
			// the two.
			tail := stableTail(inner.EncodeToString, 6, value, s1)
			for _, in := range []string{stableCore(inner.EncodeToString, 6, value, s1), tail, tail + `"`} {
				for s2 := 0; s2 < 3; s2++ {
					add(stableCore(base64.StdEncoding.EncodeToString, 6, in, s2))
				}
			}
		}
	}
	for shift := 0; shift < 5; shift++ {
		add(stableCore(base32.StdEncoding.EncodeToString, 5, value, shift))
	}
	add(hex.EncodeToString([]byte(value)))
	add(strings.ToUpper(hex.EncodeToString([]byte(value))))
	// The value's bytes as decimal numbers, as jsonnet's std.encodeUTF8
	// makes them and std.toString ("72, 117") or std.manifestJsonMinified
	// ("72,117") write them: for a CI system's own masking (Forms). The
	// redactor itself reads every run of byte numbers, in any layout
	// (decimal.go).
	add(decimalBytes(value, ", "))
	add(decimalBytes(value, ","))
	add(url.QueryEscape(value))
	add(url.PathEscape(value))
	add(strings.ToLower(url.QueryEscape(value)))
	md := md5.Sum([]byte(value)) //nolint:gosec // see above
	sh1 := sha1.Sum([]byte(value))
	sh256 := sha256.Sum256([]byte(value))
	sh512 := sha512.Sum512([]byte(value))
	// jsonnet's std.sha3 is SHA3-512.
	sh3 := sha3.Sum512([]byte(value))
	for _, d := range [][]byte{md[:], sh1[:], sh256[:], sh512[:], sh3[:]} {
		add(hex.EncodeToString(d))
	}
	if strings.ContainsAny(value, "\r\n") {
		for _, l := range Lines(value) {
			if !isArmour(l) {
				add(l)
			}
		}
	}
	return out
}

// decimalBytes writes value's bytes as decimal numbers between sep.
func decimalBytes(value, sep string) string {
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(strconv.Itoa(int(value[i])))
	}
	return b.String()
}

// TooShort reports whether value is too short to be searched for or
// masked: fewer than MinLength bytes once surrounding blanks are removed.
// Such a value would match everywhere.
func TooShort(value string) bool {
	return len(strings.TrimSpace(value)) < MinLength
}

// Lines returns the lines of a multi-line value with surrounding blanks
// removed, skipping lines shorter than MinLength. A block scalar or a
// template's indent re-indents each line, so each is searched on its own.
func Lines(value string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(value, "\r\n", "\n"), "\n") {
		l = strings.TrimSpace(l)
		if len(l) >= MinLength {
			out = append(out, l)
		}
	}
	return out
}

// yamlReads returns the strings a YAML parser reads when a yaml app
// substitutes value (on one line) into a plain, a double-quoted and a
// single-quoted scalar (`key: ${PW}`, `key: "${PW}"`, `key: '${PW}'`): a
// plain scalar drops the blanks around it and a trailing comment, a
// double-quoted one resolves its escapes (\x41, \t, \u00e9), a
// single-quoted one reads a doubled quote as one. A context in which value is not one
// scalar (it closes the quotes, starts a flow collection, is an alias)
// adds nothing: the substituted text then holds value as it is, which is a
// form already. yaml.v3 expands no alias into a Node, so a hostile value
// costs no more than its length.
func yamlReads(value string) []string {
	var out []string
	for _, doc := range []string{"v: " + value, `v: "` + value + `"`, "v: '" + value + "'"} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &n); err != nil || len(n.Content) != 1 {
			continue
		}
		m := n.Content[0]
		if m.Kind != yaml.MappingNode || len(m.Content) != 2 || m.Content[1].Kind != yaml.ScalarNode {
			continue
		}
		if v := m.Content[1].Value; v != value {
			out = append(out, v)
		}
	}
	return out
}

// isArmour reports whether l is a PEM boundary line, which is the same in
// every key and certificate.
func isArmour(l string) bool {
	return strings.HasPrefix(l, "-----BEGIN ") || strings.HasPrefix(l, "-----END ")
}

// stableCore returns the part of the encoding of s that does not depend on
// the bytes around s when s starts shift bytes into a larger input: the
// characters before s's first bit and after its last whole character
// change with the neighbours, the ones between do not. bits is how many
// input bits one output character carries (6 for base64, 5 for base32).
func stableCore(encode func([]byte) string, bits int, s string, shift int) string {
	buf := make([]byte, shift+len(s))
	copy(buf[shift:], s)
	enc := encode(buf)
	first := (8*shift + bits - 1) / bits  // first character whose bits are all s's
	last := (8 * (shift + len(s))) / bits // characters wholly inside s end here
	if last <= first || last > len(enc) {
		return ""
	}
	return enc[first:last]
}

// stableTail is stableCore for s that ends what is encoded: from the
// first character whose bits are all s's to the end, the last group and
// padding included, which then depend on s alone.
func stableTail(encode func([]byte) string, bits int, s string, shift int) string {
	buf := make([]byte, shift+len(s))
	copy(buf[shift:], s)
	enc := encode(buf)
	first := (8*shift + bits - 1) / bits
	if first >= len(enc) {
		return ""
	}
	return enc[first:]
}

// JSONEscape is encoding/json's spelling of s without the quotes; html
// selects the HTML-safe \u003c \u003e \u0026 escapes Go uses by default
// (helm's toJson, json.Marshal).
func JSONEscape(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		return s
	}
	return unquote(strings.TrimSuffix(b.String(), "\n"))
}

// jsonnetEscape is go-jsonnet's escapeStringJson (std.manifestJson,
// std.escapeStringJson) without the quotes.
func jsonnetEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 32 || (c >= 127 && c <= 159):
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// jsonASCII is JSON with every non-ASCII character as \uXXXX (surrogate
// pairs above the BMP), as Python's json.dumps and many tools write it.
func jsonASCII(s string) string {
	var b strings.Builder
	for _, c := range JSONEscape(s, false) {
		switch {
		case c < utf8.RuneSelf:
			b.WriteRune(c)
		case c > 0xFFFF:
			c -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(c>>10), 0xDC00+(c&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, c)
		}
	}
	return b.String()
}

// yamlDoubleQuoted is yaml.v3's double-quoted spelling of s (kyaml and
// sigs.k8s.io/yaml write strings with tabs or control characters this way)
// without the quotes. The emitter folds long double-quoted lines; the
// folded pieces are found by the callers that look at decoded scalars.
func yamlDoubleQuoted(s string) string {
	n := &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: s}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return s
	}
	_ = enc.Close()
	out := strings.TrimSuffix(b.String(), "\n")
	if strings.Contains(out, "\n") {
		// Folded: the pieces are not the value's escape.
		return s
	}
	return unquote(out)
}

// xmlEscape is jsonnet's std.escapeStringXML.
func xmlEscape(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// unquote drops one pair of surrounding quotes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
