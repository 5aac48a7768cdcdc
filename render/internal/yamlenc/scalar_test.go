package yamlenc

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The direct writer decides, for each scalar, what yaml.v3 would write:
// plain, quoted, or not its business. These tests aim at that decision
// with values the fuzzer chooses byte by byte, not only words of a list:
// numbers, timestamps, base-60 and special floats in every shape, under
// every tag and style kiln's objects carry, as a mapping value, a
// sequence item and a key.

// scalarTags and scalarStyles are the tags and styles the tests give a
// scalar.
var (
	scalarTags   = []string{"!!str", "", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "tag:yaml.org,2002:str", "!custom"}
	scalarStyles = []yaml.Style{0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle, yaml.TaggedStyle}
)

// scalarDocs returns documents holding v with tag and style in each
// position a scalar takes: a mapping value, a sequence item, a key.
func scalarDocs(v, tag string, style yaml.Style) []*yaml.Node {
	s := func() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Style: style, Value: v} }
	k := func(name string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name} }
	doc := func(n *yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}} }
	mapping := func(c ...*yaml.Node) *yaml.Node {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: c}
	}
	return []*yaml.Node{
		doc(mapping(k("a"), s(), k("b"), k("c"))),
		doc(mapping(k("a"), &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{s(), k("x")}})),
		doc(mapping(s(), k("x"), k("b"), mapping(k("c"), s()))),
	}
}

// scalarValues are values around yaml.v3's resolve and emitter rules.
var scalarValues = []string{
	"0", "00", "007", "08", "0o17", "0o8", "0x1f", "0x", "0X1F", "0b101", "0b2", "+1", "-1", "+0", "-0", "1_000", "_1", "1_",
	"1.", ".1", "1.5", "-1.5", "+1.5", "1e3", "1E3", "1e+3", "1e-3", "1.5e3", "1.5e", "e3", ".e3", "1.2.3", "0.93.1",
	".inf", "-.inf", "+.inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "inf", "nan", "Infinity",
	"1:20", "1:20:30", "-1:20", "1:20.5", "190:20:30.15", "1:60",
	"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14", "2001-12-14T21:59:43Z", "2001-1-1", "20011214",
	"true", "false", "True", "FALSE", "yes", "No", "on", "OFF", "y", "n", "null", "Null", "~", "",
	"15s", "1h30m", "100Mi", "0.5", "1Gi", "v1", "1.0", "1.10", "10.0.0.1", "::1", "a:b", "a: b", "a:", ":a", "a #b", "#a", "-a", "- a", "-",
	"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ".status.replicas", "$.x", "@a", "`a", "%a", "&a", "*a", "!a", "|a", ">a", "?a", "? a", "'a", "\"a",
	"a'b", "a\"b", "a\\b", " a", "a ", "a\tb", "a,b", "[a]", "{a}", "a]", "<<", "=", "a=b", "--- a", "...", "... a",
	// Multi-line and tabbed, as a CRD's double-quoted descriptions are.
	"a\nb", "a\n", "\n", "\na", "a\n\nb", "\t", "a\tb\n\t* c \"d\" \\e\n", " a\n b ", "a \nb", "\ta\n", "a\n\x01", "é\n", "a\r\nb", "a\u2028b\tc",
	"“a” \nb", "a\u00a0\n", "\u0085\n", "a\u2029\n", "\ufeff\n", "\ufffd\t", "\ufffe\t", "\ue000\n", "\ud7ff\t", "\U0001F600\n", "\x80\n", "\u009f\t", "a\x7f\n",
}

// TestScalarsAsYAMLv3 checks every value of scalarValues under every tag
// and style, in every position, against yaml.v3.
func TestScalarsAsYAMLv3(t *testing.T) {
	for _, v := range scalarValues {
		for _, tag := range scalarTags {
			for _, style := range scalarStyles {
				for _, doc := range scalarDocs(v, tag, style) {
					checkEncode(t, doc)
				}
			}
		}
	}
}

// FuzzEncodeScalar: a value the fuzzer writes byte by byte, with a tag and
// style it picks, must be written as yaml.v3 writes it.
func FuzzEncodeScalar(f *testing.F) {
	for _, v := range scalarValues {
		f.Add(v, byte(0), byte(0))
	}
	f.Add("1.5e3", byte(1), byte(3))
	f.Add("2001-12-14", byte(6), byte(0))
	f.Add(strings.Repeat("9", 20), byte(2), byte(0))
	f.Fuzz(func(t *testing.T, v string, tag, style byte) {
		for _, doc := range scalarDocs(v, scalarTags[int(tag)%len(scalarTags)], scalarStyles[int(style)%len(scalarStyles)]) {
			checkEncode(t, doc)
		}
	})
}
