package yamlenc

import (
	"strings"

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
func fastEncode(n *yaml.Node) ([]byte, bool) {
	if n.Kind == yaml.DocumentNode {
		if commentedNode(n) || n.Anchor != "" || n.Style != 0 || len(n.Content) != 1 {
			return nil, false
		}
		n = n.Content[0]
	}
	if !plainCollection(n) || len(n.Content) == 0 {
		return nil, false
	}
	w := &fastWriter{b: make([]byte, 0, 64*len(n.Content))}
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

func (w *fastWriter) indent(n int) {
	for range n {
		w.b = append(w.b, ' ')
	}
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
		switch v.Kind {
		case yaml.ScalarNode:
			if !w.scalar(v, ind+2) {
				return false
			}
		case yaml.MappingNode, yaml.SequenceNode:
			if !plainCollection(v) {
				return false
			}
			switch {
			case len(v.Content) == 0 && v.Kind == yaml.MappingNode:
				w.b = append(w.b, " {}\n"...)
			case len(v.Content) == 0:
				w.b = append(w.b, " []\n"...)
			case v.Kind == yaml.MappingNode:
				w.b = append(w.b, '\n')
				if !w.mapping(v, ind+2, false) {
					return false
				}
			default:
				// kyaml's compact sequences: the items' "- " at the key's column.
				w.b = append(w.b, '\n')
				if !w.sequence(v, ind, false) {
					return false
				}
			}
		default:
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
		switch v.Kind {
		case yaml.ScalarNode:
			if !w.scalar(v, ind+2) {
				return false
			}
		case yaml.MappingNode, yaml.SequenceNode:
			if !plainCollection(v) {
				return false
			}
			switch {
			case len(v.Content) == 0 && v.Kind == yaml.MappingNode:
				w.b = append(w.b, " {}\n"...)
			case len(v.Content) == 0:
				w.b = append(w.b, " []\n"...)
			case v.Kind == yaml.MappingNode:
				w.b = append(w.b, ' ')
				if !w.mapping(v, ind+2, true) {
					return false
				}
			default:
				w.b = append(w.b, ' ')
				if !w.sequence(v, ind+2, true) {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// key writes a mapping key: a string yaml.v3 writes plain as a simple key
// (at most 128 bytes).
func (w *fastWriter) key(k *yaml.Node) bool {
	if k.Kind != yaml.ScalarNode || commentedNode(k) || k.Anchor != "" || k.Style != 0 || !strTag(k.Tag) ||
		len(k.Value) == 0 || len(k.Value) > 128 || !plainString(k.Value) {
		return false
	}
	w.b = append(w.b, k.Value...)
	return true
}

// scalar writes a value after its "key:" or "-": " value\n", or a literal
// block whose lines are at column ind.
func (w *fastWriter) scalar(v *yaml.Node, ind int) bool {
	if commentedNode(v) || v.Anchor != "" || !printableASCII(v.Value) {
		return false
	}
	value := v.Value
	switch v.Style {
	case 0:
		switch {
		case strings.Contains(value, "\n"):
			// encoder.node: a string with a line break is a literal block.
			return strTag(v.Tag) && w.literal(value, ind)
		case strTag(v.Tag):
			// encoder.node quotes a string that would read back as another
			// type (resolve); plainString only passes strings that do not.
			// The emitter then writes it plain when its analysis allows,
			// else single-quoted: plainString is that analysis for
			// one-line ASCII, and the others are left to yaml.v3.
			if !plainString(value) {
				return false
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
		w.b = append(w.b, ' ')
		w.b = append(w.b, value...)
		w.b = append(w.b, '\n')
		return true
	case yaml.DoubleQuotedStyle:
		// A quoted string keeps its quotes (encoder.node drops its tag);
		// yaml.v3 escapes only '"' and '\' among printable ASCII, and never
		// breaks a line at unlimited width.
		if !strTag(v.Tag) || strings.Contains(value, "\n") {
			return false
		}
		w.b = append(w.b, ' ', '"')
		for i := 0; i < len(value); i++ {
			if c := value[i]; c == '"' || c == '\\' {
				w.b = append(w.b, '\\')
			}
			w.b = append(w.b, value[i])
		}
		w.b = append(w.b, '"', '\n')
		return true
	case yaml.SingleQuotedStyle:
		// Allowed for one-line printable ASCII without tabs; a quote is
		// doubled.
		if !strTag(v.Tag) || strings.Contains(value, "\n") {
			return false
		}
		w.b = append(w.b, ' ', '\'')
		w.b = append(w.b, strings.ReplaceAll(value, "'", "''")...)
		w.b = append(w.b, '\'', '\n')
		return true
	case yaml.LiteralStyle:
		return strTag(v.Tag) && w.literal(value, ind)
	}
	return false
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

// plainString reports whether yaml.v3 writes the one-line printable ASCII
// string s plain, as a value or a simple key: s reads back as a string
// (resolve: it starts with a letter, '_' or '/', and is not a boolean or
// null word), and the emitter's analysis (yaml_emitter_analyze_scalar)
// finds no leading or trailing space and no block indicator: ": " or a
// final ':', " #", or "---" / "..." at the start.
func plainString(s string) bool {
	if s == "" || strings.ContainsAny(s, "\n\t") {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '/') {
		return false
	}
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL":
		return false
	}
	if s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	return !strings.Contains(s, ": ") && !strings.Contains(s, " #")
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
