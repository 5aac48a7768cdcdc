package yamlenc

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// fastEncode writes n as kyaml's encoder does, for the documents it knows
// the encoder's output of: block mappings and sequences without comments,
// anchors or explicit tags, whose scalars are ASCII and either plain
// strings, decimal integers, booleans and nulls written plain, quoted
// strings on one line, or literal blocks without indentation or keep
// indicators. It reports false for anything else, which the caller encodes
// with yaml.v3 itself. yaml.v3's rules it follows are quoted where used;
// TestEncodeAsKyaml and FuzzEncode compare the two.
// size is about the text's length, to allocate it once.
func fastEncode(n *yaml.Node, size int) ([]byte, bool) {
	if n.Kind == yaml.DocumentNode {
		if commentedNode(n) || n.Anchor != "" || n.Style != 0 || len(n.Content) != 1 {
			return nil, false
		}
		n = n.Content[0]
	}
	if !plainCollection(n) || len(n.Content) == 0 {
		return nil, false
	}
	w := &fastWriter{b: make([]byte, 0, max(size, 64*len(n.Content)))}
	var ok bool
	if n.Kind == yaml.MappingNode {
		ok = w.mapping(n, 0, false)
	} else {
		ok = w.sequence(n, 0, false)
	}
	return w.b, ok
}

type fastWriter struct{ b []byte }

func commentedNode(n *yaml.Node) bool {
	return n.HeadComment != "" || n.LineComment != "" || n.FootComment != ""
}

// plainCollection reports whether n is a block mapping or sequence that
// yaml.v3 writes without tag, anchor or comment.
func plainCollection(n *yaml.Node) bool {
	if commentedNode(n) || n.Anchor != "" || n.Style != 0 {
		return false
	}
	switch n.Kind {
	case yaml.MappingNode:
		return n.Tag == "" || n.Tag == "!!map" || n.Tag == "tag:yaml.org,2002:map"
	case yaml.SequenceNode:
		return n.Tag == "" || n.Tag == "!!seq" || n.Tag == "tag:yaml.org,2002:seq"
	}
	return false
}

// emptyFlow reports whether n is an empty flow mapping or sequence that
// yaml.v3 writes without tag, anchor or comment: {} or [], as it writes an
// empty block one (a CRD's "status: {}").
func emptyFlow(n *yaml.Node) bool {
	if len(n.Content) != 0 || n.Style != yaml.FlowStyle {
		return false
	}
	block := *n
	block.Style = 0
	return plainCollection(&block)
}

func (w *fastWriter) indent(n int) {
	w.b = append(w.b, spaces(n)...)
}

// mapping writes a block mapping whose keys are at column ind; inline: its
// first key continues the current line (after a sequence's "- ").
func (w *fastWriter) mapping(n *yaml.Node, ind int, inline bool) bool {
	if len(n.Content)%2 != 0 {
		return false
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if i > 0 || !inline {
			w.indent(ind)
		}
		if !w.key(k) {
			return false
		}
		w.b = append(w.b, ':')
		if !w.value(v, ind, true) {
			return false
		}
	}
	return true
}

// sequence writes a block sequence whose "- " are at column ind; inline:
// its first item continues the current line.
func (w *fastWriter) sequence(n *yaml.Node, ind int, inline bool) bool {
	for i, v := range n.Content {
		if i > 0 || !inline {
			w.indent(ind)
		}
		w.b = append(w.b, '-')
		if !w.value(v, ind, false) {
			return false
		}
	}
	return true
}

// value writes what follows a key's ":" (afterKey) or an item's "-" at
// column ind: a scalar, an empty collection as {} or [], or a block
// collection, on the next line after a key (a sequence's "- " at the
// key's column: kyaml's compact sequences), on the same line after "- ".
func (w *fastWriter) value(v *yaml.Node, ind int, afterKey bool) bool {
	switch v.Kind {
	case yaml.ScalarNode:
		return w.scalar(v, ind+2)
	case yaml.MappingNode, yaml.SequenceNode:
		if !plainCollection(v) && !emptyFlow(v) {
			return false
		}
	default:
		return false
	}
	switch {
	case len(v.Content) == 0 && v.Kind == yaml.MappingNode:
		w.b = append(w.b, " {}\n"...)
		return true
	case len(v.Content) == 0:
		w.b = append(w.b, " []\n"...)
		return true
	case afterKey && v.Kind == yaml.MappingNode:
		w.b = append(w.b, '\n')
		return w.mapping(v, ind+2, false)
	case afterKey:
		w.b = append(w.b, '\n')
		return w.sequence(v, ind, false)
	case v.Kind == yaml.MappingNode:
		w.b = append(w.b, ' ')
		return w.mapping(v, ind+2, true)
	default:
		w.b = append(w.b, ' ')
		return w.sequence(v, ind+2, true)
	}
}

// key writes a mapping key as a simple key: one line, at most 128
// bytes (yaml_emitter_check_simple_key), and not empty (which the emitter
// quotes there).
func (w *fastWriter) key(k *yaml.Node) bool {
	if k.Kind != yaml.ScalarNode || commentedNode(k) || k.Anchor != "" || k.Value == "" || len(k.Value) > 128 ||
		!printableASCII(k.Value) || strings.IndexByte(k.Value, '\n') >= 0 || k.Style == yaml.LiteralStyle {
		return false
	}
	return w.inline(k)
}

// scalar writes a value after its "key:" or "-": " value\n", or a literal
// block whose lines are at column ind.
func (w *fastWriter) scalar(v *yaml.Node, ind int) bool {
	if commentedNode(v) || v.Anchor != "" {
		return false
	}
	// encoder.node: a string with a line break is a literal block.
	literal := v.Style == yaml.LiteralStyle || (v.Style == 0 && strings.IndexByte(v.Value, '\n') >= 0)
	if strTag(v.Tag) && (v.Style == yaml.DoubleQuotedStyle && strings.ContainsAny(v.Value, "\n\t") || literal && !blockAllowed(v.Value)) {
		// Double-quoted, with escapes: a CRD's descriptions that hold a
		// tab, or a space at the end of a line.
		return w.escaped(v.Value)
	}
	if literal {
		return strTag(v.Tag) && printableText(v.Value) && w.literal(v.Value, ind)
	}
	if !printableASCII(v.Value) {
		return false
	}
	if strings.IndexByte(v.Value, '\n') >= 0 || v.Value == "" && v.Tag == "" {
		return false
	}
	w.b = append(w.b, ' ')
	if !w.inline(v) {
		return false
	}
	w.b = append(w.b, '\n')
	return true
}

// inline writes a one-line printable ASCII scalar as yaml.v3 does: the tag
// is dropped when the value reads back as its type (encoder.node's
// resolve), a string that would read back as another type is
// double-quoted, and the emitter writes a plain value plain when its
// analysis allows (plainAllowed), else single-quoted.
func (w *fastWriter) inline(v *yaml.Node) bool {
	value := v.Value
	switch v.Style {
	case yaml.DoubleQuotedStyle:
		if !strTag(v.Tag) {
			return false
		}
		w.doubleQuoted(value)
		return true
	case yaml.SingleQuotedStyle:
		if !strTag(v.Tag) {
			return false
		}
		w.singleQuoted(value)
		return true
	case 0:
	default:
		return false
	}
	switch {
	case v.Tag == "":
		// No tag, nothing to resolve: the emitter alone decides.
	case strTag(v.Tag):
		str, sure := readsAsString(value)
		if !sure {
			return false
		}
		if !str {
			w.doubleQuoted(value)
			return true
		}
	case v.Tag == "!!int" || v.Tag == "tag:yaml.org,2002:int":
		if !decimal(value) {
			return false
		}
	case v.Tag == "!!bool" || v.Tag == "tag:yaml.org,2002:bool":
		if value != "true" && value != "false" {
			return false
		}
	case v.Tag == "!!null" || v.Tag == "tag:yaml.org,2002:null":
		if value != "null" {
			return false
		}
	default:
		return false
	}
	if value == "" || !plainAllowed(value) {
		w.singleQuoted(value)
		return true
	}
	w.b = append(w.b, value...)
	return true
}

// doubleQuoted writes printable ASCII double-quoted: yaml.v3 escapes only
// '"' and '\\' among those, and never breaks the line at unlimited width.
func (w *fastWriter) doubleQuoted(value string) {
	w.b = append(w.b, '"')
	for i := 0; i < len(value); i++ {
		if c := value[i]; c == '"' || c == '\\' {
			w.b = append(w.b, '\\')
		}
		w.b = append(w.b, value[i])
	}
	w.b = append(w.b, '"')
}

// blockAllowed is yaml_emitter_analyze_scalar's block_allowed for
// printable ASCII, line feeds and tabs: the emitter writes a literal
// block double-quoted instead when the value is empty, ends with a space
// or has a space before a line break (yaml_emitter_select_scalar_style).
// For another byte, whatever it says, the caller leaves the value to
// yaml.v3.
func blockAllowed(value string) bool {
	return value != "" && !strings.HasSuffix(value, " ") && !strings.Contains(value, " \n")
}

// escaped writes " value" double-quoted as yaml.v3 does
// (yaml_emitter_write_double_quoted_scalar) for a value of printable
// characters, line feeds and tabs: '"' and '\\' are escaped, and so are
// the line feed and the tab (neither is printable to it), as \n and \t;
// any other printable character, in ASCII or not, is written as it is,
// and at unlimited width the value stays on one line. A value with
// another character is left to yaml.v3.
func (w *fastWriter) escaped(value string) bool {
	w.b = append(w.b, ' ', '"')
	for i := 0; i < len(value); {
		c := value[i]
		switch {
		case c == '\n':
			w.b = append(w.b, '\\', 'n')
		case c == '\t':
			w.b = append(w.b, '\\', 't')
		case c == '"' || c == '\\':
			w.b = append(w.b, '\\', c)
		case c >= 0x20 && c <= 0x7e:
			w.b = append(w.b, c)
		case c < 0x80:
			return false
		default:
			r, size := utf8.DecodeRuneInString(value[i:])
			if !printableRune(r, size) {
				return false
			}
			w.b = append(w.b, value[i:i+size]...)
			i += size
			continue
		}
		i++
	}
	w.b = append(w.b, '"', '\n')
	return true
}

// printableRune reports whether yaml.v3 writes r, decoded from size
// bytes, outside ASCII, as it is in a double-quoted scalar or a literal
// block: printable (is_printable), neither a line break (U+2028, U+2029)
// nor a byte order mark. That is U+00A0 to U+D7FF and U+E000 to U+FFFD
// but those three; a byte that is not UTF-8 (utf8.RuneError of one byte)
// is none.
func printableRune(r rune, size int) bool {
	switch {
	case size == 1 || r == 0x2028 || r == 0x2029 || r == 0xfeff:
		return false
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd:
		return true
	}
	return false
}

// singleQuoted writes one-line printable ASCII single-quoted, which the
// emitter allows for it (no tab, no line break): a quote is doubled.
func (w *fastWriter) singleQuoted(value string) {
	w.b = append(w.b, '\'')
	for i := 0; i < len(value); i++ {
		if value[i] == '\'' {
			w.b = append(w.b, '\'')
		}
		w.b = append(w.b, value[i])
	}
	w.b = append(w.b, '\'')
}

// literal writes value as a literal block, when yaml.v3 does and with the
// header it gives: not for a value with a space before a line break or at
// its end (the emitter double-quotes those), one that starts with a space
// or a line break (an indentation indicator) or that ends with more than
// one line break (a keep indicator, and a document end marker after it).
func (w *fastWriter) literal(value string, ind int) bool {
	if value == "" || value[0] == ' ' || value[0] == '\n' || strings.HasSuffix(value, " ") ||
		strings.Contains(value, " \n") || strings.HasSuffix(value, "\n\n") || value == "\n" {
		return false
	}
	body := value
	if strings.HasSuffix(value, "\n") {
		w.b = append(w.b, " |\n"...)
		body = value[:len(value)-1]
	} else {
		w.b = append(w.b, " |-\n"...)
	}
	for line := range strings.SplitSeq(body, "\n") {
		if line != "" {
			w.indent(ind)
			w.b = append(w.b, line...)
		}
		w.b = append(w.b, '\n')
	}
	return true
}

func strTag(t string) bool {
	return t == "" || t == "!!str" || t == "tag:yaml.org,2002:str"
}

// printableASCII reports whether s holds only printable ASCII and line
// feeds: what the emitter writes as is (no tab, which changes its choice
// of style, nor a carriage return, a line break of its own).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c > 0x7e) && c != '\n' {
			return false
		}
	}
	return true
}

// printableText reports whether s holds only printable ASCII, line feeds
// and printable characters outside ASCII (printableRune), which the
// emitter writes in a literal block as they are: no tab, carriage return
// or other line break, nothing it would escape.
func printableText(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < 0x80 {
			if (c < 0x20 || c > 0x7e) && c != '\n' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !printableRune(r, size) {
			return false
		}
		i += size
	}
	return true
}

// plainAllowed is yaml_emitter_analyze_scalar's block_plain_allowed for
// a non-empty one-line printable ASCII string without tabs: no leading or
// trailing space and no block indicator (an indicator first, "---" or
// "..." first, ": " or a final ':', " #").
func plainAllowed(s string) bool {
	n := len(s)
	if s[0] == ' ' || s[n-1] == ' ' {
		return false
	}
	if n >= 3 && (s[:3] == "---" || s[:3] == "...") {
		return false
	}
	followedBySpace := func(i int) bool { return i+1 >= n || s[i+1] == ' ' }
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '?', ':', '-':
		if followedBySpace(0) {
			return false
		}
	}
	for i := 1; i < n; i++ {
		switch s[i] {
		case ':':
			if followedBySpace(i) {
				return false
			}
		case '#':
			if s[i-1] == ' ' {
				return false
			}
		}
	}
	return true
}

// readsAsString reports whether yaml.v3's resolve reads s as a string,
// and whether that is sure; where it is not (a timestamp's shape, a
// number it might read in a way not checked here), the caller leaves the
// value to yaml.v3.
func readsAsString(s string) (str, sure bool) {
	if s == "" {
		return false, true // null
	}
	switch c := s[0]; {
	case c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 't' || c == 'T' || c == 'f' || c == 'F' || c == 'o' || c == 'O' || c == '~':
		switch s {
		case "true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL":
			return false, true
		}
		return true, true
	case c == '.':
		switch s {
		case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF":
			return false, true
		}
		_, err := strconv.ParseFloat(s, 64)
		return err != nil, true
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		switch s {
		case "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
			return false, true
		}
		if len(s) > 4 && s[4] == '-' && strings.IndexFunc(s[:4], func(r rune) bool { return r < '0' || r > '9' }) < 0 {
			return false, false // perhaps a timestamp
		}
		plain := strings.ReplaceAll(s, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return false, true
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return false, true
		}
		if _, err := strconv.ParseFloat(plain, 64); err == nil {
			return false, false // a float if yaml.v3's pattern agrees
		}
		for _, p := range []string{"0b", "-0b", "+0b", "0o", "-0o", "+0o"} {
			if strings.HasPrefix(plain, p) {
				return false, false
			}
		}
		return true, true
	}
	return true, true
}

// decimal reports whether s is a decimal integer that resolve reads as
// one: no sign but '-', no leading zero, no '_', at most 18 digits.
func decimal(s string) bool {
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(d) > 18 || (d[0] == '0' && len(d) > 1) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}
