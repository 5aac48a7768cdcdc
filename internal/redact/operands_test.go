package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestOperands feeds Operands the messages of the libraries whose errors
// quote data, made by those libraries from a secret.
func TestOperands(t *testing.T) {
	t.Parallel()
	const secret = `hun"ter\2(`
	_, timeErr := time.Parse("2006-01-02", secret)
	_, atoiErr := strconv.Atoi(secret)
	_, reErr := regexp.Compile("hunter2(")
	var n int
	yamlErr := yaml.Unmarshal([]byte("x: "+strconv.Quote(secret)), &struct{ X *int }{&n})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{name: "time", err: timeErr, want: `parsing time "**redacted**" as "**redacted**": cannot parse "**redacted**" as "**redacted**"`},
		{name: "strconv", err: atoiErr, want: `strconv.Atoi: parsing "**redacted**": invalid syntax`},
		{name: "regexp", err: reErr, want: "error parsing regexp: missing closing ): `**redacted**`"},
		{name: "yaml.v3", err: yamlErr, want: "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `**redacted**` into int"},
		{name: "plain", err: errors.New("nil pointer evaluating interface {}.x"), want: "nil pointer evaluating interface {}.x"},
		{name: "printf %q", err: fmt.Errorf("cannot parse template %q", secret+"{{"), want: `cannot parse template "**redacted**"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.err == nil {
				t.Fatal("the library accepted the value")
			}
			if diff := cmp.Diff(tc.want, Operands(tc.err.Error())); diff != "" {
				t.Errorf("Operands(%q) (-want +got):\n%s", tc.err.Error(), diff)
			}
		})
	}
}

// TestOperandsExcept keeps the operands its caller knows to be code, and
// masks the rest, whatever their quotes.
func TestOperandsExcept(t *testing.T) {
	t.Parallel()
	const msg = "template: no template \"c.labels\" associated with template \"gotpl\": `(` \"Sup3r\\\"S3cret\""
	code := Literals(`include "c.labels" (printf "%s" .Values.pw) ` + "`(`")
	got := OperandsExcept(msg, func(op string) bool { return code[op] })
	const want = "template: no template \"c.labels\" associated with template \"**redacted**\": `(` \"**redacted**\""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OperandsExcept(%q) (-want +got):\n%s", msg, diff)
	}
}

// TestYAML feeds YAML the errors of the decoders kiln and its engines use,
// made from a document holding a secret where they quote it.
func TestYAML(t *testing.T) {
	t.Parallel()
	const secret = "Sup3rS3cret"
	var m map[string]any
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{name: "v3 tag", err: yaml.Unmarshal([]byte("pw: !!int "+secret), &m),
			want: "yaml: cannot decode !!str `**redacted**` as a !!int"},
		{name: "v3 type", err: yaml.Unmarshal([]byte("x: "+secret), &struct{ X int }{}),
			want: "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `**redacted**` into int"},
		{name: "sigs map key", err: sigsyaml.Unmarshal([]byte("? ["+secret+"]\n: x\n"), &m),
			want: "error converting YAML to JSON: yaml: invalid map key: **redacted**"},
		{name: "v3 unknown anchor", err: yaml.Unmarshal([]byte("pw: *"+secret), &m),
			want: "yaml: unknown anchor '**redacted**' referenced"},
		{name: "sigs null key", err: sigsyaml.Unmarshal([]byte("a:\n  ~: 31415926\n"), &m),
			want: "error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: **redacted**"},
		{name: "sigs null key of a mapping", err: sigsyaml.Unmarshal([]byte("a:\n  ~: {pw: "+secret+"}\n"), &m),
			want: "error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: **redacted**"},
		{name: "sigs unknown anchor", err: sigsyaml.Unmarshal([]byte("pw: *"+secret), &m),
			want: "error converting YAML to JSON: yaml: unknown anchor '**redacted**' referenced"},
		// A value that holds a backquote: the quote runs to its last
		// one, not to the value's first.
		{name: "v3 tag, a backquote inside", err: yaml.Unmarshal([]byte("pw: !!int \"ab`"+secret+"`x\""), &m),
			want: "yaml: cannot decode !!str `**redacted**` as a !!int"},
		{name: "v3 type, a backquote inside", err: yaml.Unmarshal([]byte("x: \"a`"+secret+"\"\ny: \"b`"+secret+"\""), &struct{ X, Y int }{}),
			want: "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `**redacted**` into int\n  line 2: cannot unmarshal !!str `**redacted**` into int"},
		// A single error quotes the value whole: a line break and
		// "  line " inside it start no entry.
		{name: "v3 tag, a backquote and a line inside", err: yaml.Unmarshal([]byte("pw: !!int \"ab`Sup\\n  line 3rS3cret\"\n"), &m),
			want: "yaml: cannot decode !!str `**redacted**` as a !!int"},
		// An entry's value (at most 10 bytes) holding "\n  line " is
		// cut at it, unclosed: masked to the entry's end.
		{name: "v3 type, a line inside", err: yaml.Unmarshal([]byte("x: \"S3\\n  line \"\n"), &struct{ X int }{}),
			want: "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `**redacted**`\n  line `**redacted**`"},
		{name: "v3 duplicate key", err: yaml.Unmarshal([]byte("replicas: 1\nreplicas: 2\n"), &m),
			want: "yaml: unmarshal errors:\n  line 2: mapping key \"replicas\" already defined at line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.err == nil {
				t.Fatal("the decoder accepted the document")
			}
			if diff := cmp.Diff(tc.want, YAML(tc.err.Error())); diff != "" {
				t.Errorf("YAML(%q) (-want +got):\n%s", tc.err.Error(), diff)
			}
		})
	}
}

// TestJsonnetParse feeds JsonnetParse encoding/json's own errors, as
// std.parseJson passes them on, and the parse builtins' texts: a quote
// or a newline is escaped inside the quotes; the words stay.
func TestJsonnetParse(t *testing.T) {
	t.Parallel()
	var v any
	for _, tc := range []struct{ name, msg, want string }{
		{"json character", "failed to parse JSON: " + json.Unmarshal([]byte("S3cret"), &v).Error(),
			"failed to parse JSON: invalid character **redacted** looking for beginning of value"},
		{"json quote", "failed to parse JSON: " + json.Unmarshal([]byte("{\"a\": 1 '}"), &v).Error(),
			"failed to parse JSON: invalid character **redacted** after object key:value pair"},
		{"json newline in a string", "failed to parse JSON: " + json.Unmarshal([]byte("\"a\nb\""), &v).Error(),
			"failed to parse JSON: invalid character **redacted** in string literal"},
		{"json end", "failed to parse JSON: unexpected end of JSON input", "failed to parse JSON: unexpected end of JSON input"},
		{"parseInt", "S3cret is not a base 10 integer", "**redacted** is not a base 10 integer"},
		{"parseInt, lines", "a\nS3cret is not a base 16 integer", "**redacted** is not a base 16 integer"},
		{"std's parseHex", "Not hexadecimal: \"S3cret\"", "Not hexadecimal: **redacted**"},
		{"other error", "Field does not exist: image", "Field does not exist: image"},
	} {
		if got := JsonnetParse(tc.msg); got != tc.want {
			t.Errorf("%s: JsonnetParse(%q) = %q, want %q", tc.name, tc.msg, got, tc.want)
		}
	}
}

// TestJSONChar feeds JSONChar encoding/json's own syntax errors.
func TestJSONChar(t *testing.T) {
	t.Parallel()
	var v any
	for _, tc := range []struct{ name, in, want string }{
		{"first character", "S3cret", "invalid character **redacted** looking for beginning of value"},
		{"after a key", "{\"a\": 1 '}", "invalid character **redacted** after object key:value pair"},
		{"escaped", "\"a\nb\"", "invalid character **redacted** in string literal"},
	} {
		msg := "error calling mustFromJson: " + json.Unmarshal([]byte(tc.in), &v).Error()
		if got := JSONChar(msg); got != "error calling mustFromJson: "+tc.want {
			t.Errorf("%s: JSONChar(%q) = %q, want %q", tc.name, msg, got, tc.want)
		}
	}
}

// TestNodes feeds Nodes kyaml's own error for a node of the wrong kind.
func TestNodes(t *testing.T) {
	t.Parallel()
	n, err := kyaml.Parse("stringData:\n  password: Sup3rS3cret\n")
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Pipe(kyaml.Lookup("stringData"), kyaml.Append(&kyaml.Node{Kind: kyaml.ScalarNode, Value: "x"}))
	if err == nil {
		t.Fatal("kyaml appended to a mapping")
	}
	const want = "wrong node kind: expected SequenceNode but got MappingNode (kiln does not show the node: it may hold a secret)"
	if diff := cmp.Diff(want, Nodes("patch failed: " + err.Error())[len("patch failed: "):]); diff != "" {
		t.Errorf("Nodes(%q) (-want +got):\n%s", err.Error(), diff)
	}
}
