package kustomize

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// typeError reports a value of f of a type the Kustomization field does
// not take, at the value's line. krusty reads a kustomization as YAML 1.1
// turned into JSON, so an unquoted true, yes, on, y, 1.10 or 0755 is no
// string, and encoding/json names only the field's Go path
// ("Image.images.newTag"): not the file's line, nor which entry or key.
// An image tag such as `newTag: 1.10` is the common case. It reports
// false when err is no such error.
func (c *checker) typeError(f *kfile, err error) bool {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return false
	}
	var keys []string
	for _, k := range strings.Split(te.Field, ".") {
		// encoding/json names an embedded struct by its Go type
		// (secretGenerator.GeneratorArgs.name); a Kustomization's JSON
		// names start lower case.
		if k != "" && !unicode.IsUpper(rune(k[0])) {
			keys = append(keys, k)
		}
	}
	where, line := strings.Join(keys, "."), 0
	if n := f.top(); n != nil {
		if p, at := findTyped(n, keys, "", te.Value); at != nil {
			where, line = p, at.Line
		} else if len(keys) > 0 {
			line = f.keyLine(keys[0])
		}
	}
	hint := "write the field as the Kustomization takes it: https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/"
	switch {
	case te.Type.Kind() == reflect.String && (te.Value == "bool" || te.Value == "number"):
		hint = `quote the value ("true", "1.10"): kustomize reads YAML 1.1, where an unquoted true, yes, on, y, 1.10 or 0755 is a boolean or a number, not text`
	case te.Value == "string" && strings.HasPrefix(goKind(te.Type), "a ") && strings.HasSuffix(goKind(te.Type), "number"):
		hint = "write the number without quotes"
	case te.Type.Kind() == reflect.Slice && te.Value == "string":
		hint = "write a list: [entry], or one \"- entry\" line each"
	}
	c.fail(f.path, line, fmt.Sprintf("%s: %s where the kustomization takes %s", where, jsonKind(te.Value), goKind(te.Type)), hint, err)
	return true
}

// findTyped returns the path and node of the first value below n, along
// keys (sequences are searched item by item: encoding/json names no
// index), whose JSON type as krusty reads it is want. At the end of keys
// the value itself, or one of its entries (a label's value in a map of
// strings), may be the one.
func findTyped(n *yaml.Node, keys []string, path, want string) (string, *yaml.Node) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case n.Kind == yaml.DocumentNode && len(n.Content) == 1:
		return findTyped(n.Content[0], keys, path, want)
	case len(keys) == 0 && yamlJSONKind(n) == want:
		return path, n
	case n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			if p, at := findTyped(item, keys, path+"["+strconv.Itoa(i)+"]", want); at != nil {
				return p, at
			}
		}
	case n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if len(keys) == 0 {
				if p, at := findTyped(n.Content[i+1], nil, joinKey(path, k), want); at != nil {
					return p, at
				}
			} else if strings.EqualFold(k, keys[0]) {
				return findTyped(n.Content[i+1], keys[1:], joinKey(path, k), want)
			}
		}
	}
	return "", nil
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// yamlJSONKind is the JSON type krusty's YAML 1.1 reader gives n, named as
// encoding/json names it in an UnmarshalTypeError.
func yamlJSONKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "array"
	case yaml.ScalarNode:
	default:
		return ""
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return "string"
	}
	text := n.Value
	if n.Style&yaml.TaggedStyle != 0 {
		text = n.Tag + " " + n.Value
	}
	var v any
	if sigsyaml.Unmarshal([]byte(text), &v) != nil {
		return ""
	}
	switch v.(type) {
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	}
	return ""
}

func jsonKind(v string) string {
	switch v {
	case "bool":
		return "kustomize reads a boolean"
	case "number":
		return "kustomize reads a number"
	case "string":
		return "kustomize reads a string"
	case "array":
		return "kustomize reads a list"
	case "object":
		return "kustomize reads a mapping"
	}
	return "kustomize reads a " + v
}

func goKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "a mapping"
	}
	return t.String()
}
