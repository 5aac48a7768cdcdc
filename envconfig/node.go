package envconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/yamlpos"
)

// decoder walks yaml.Node trees and collects every problem it meets as a
// *diag.Error located in file, so that one run reports them all.
type decoder struct {
	file string
	// appName names the app being read, for the App field of errors.
	appName string
	errs    []error
	// merged counts the entries "<<" merge keys brought in, file-wide,
	// against maxMerged.
	merged int
	// originLine is the line of flux.sourceRef.originRevision.
	originLine int
	// dispatchLine is the line of notifications.dispatch.
	dispatchLine int
	// promoteFromLines are the lines of the environments' promoteFrom
	// values, by environment name.
	promoteFromLines map[string]int
	// paths holds the path of every node of the document (apps[2].helm,
	// and the same for the key "helm"), for the Field of errors.
	paths map[*yaml.Node]string
}

// index records the path of every node below root in d.paths: keys and
// values of a mapping get parent.key, items of a list parent[i]. A node
// reached twice (an anchor's) keeps its first path, where it is written.
func (d *decoder) index(root *yaml.Node) {
	d.paths = map[*yaml.Node]string{}
	var walk func(n *yaml.Node, path string, depth int)
	walk = func(n *yaml.Node, path string, depth int) {
		if _, seen := d.paths[n]; seen || depth > maxIndexDepth {
			return
		}
		d.paths[n] = path
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
					p = path
				}
				walk(k, p, depth+1)
				walk(n.Content[i+1], p, depth+1)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
			}
		}
	}
	walk(root, "", 0)
}

// maxIndexDepth bounds the walk of index; deeper nodes (only in free-form
// values) go without a path.
const maxIndexDepth = 64

// fieldOf returns the path of n in the document, "" when unknown.
func (d *decoder) fieldOf(n *yaml.Node) string {
	if p, ok := d.paths[n]; ok {
		return p
	}
	return d.paths[deref(n)]
}

// maxMerged bounds the work merge keys cause: nested merges of lists of
// anchors grow exponentially (a "billion laughs"), and no real
// configuration comes near this many merged entries.
const maxMerged = 10000

// errAt records a problem at node n.
func (d *decoder) errAt(n *yaml.Node, msg, hint string) {
	d.errs = append(d.errs, &diag.Error{File: d.file, Line: line(n), App: d.appName, Field: d.fieldOf(n), Msg: msg, Hint: hint})
}

// err returns the collected problems, sorted, or nil.
func (d *decoder) err() error { return diag.Join(d.errs...) }

// at is where n is written.
func (d *decoder) at(n *yaml.Node) At { return At{File: d.file, Line: line(n), Field: d.fieldOf(n)} }

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// maxAliasDepth bounds alias chains; yaml.v3 already rejects an anchor that
// contains itself, this is belt and braces against loops.
const maxAliasDepth = 64

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// isNull reports whether n is absent or an explicit null ("key:" with nothing after it).
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what n is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!bool":
			return "a boolean (" + n.Value + ")"
		case "!!int", "!!float":
			return "a number (" + n.Value + ")"
		}
		return fmt.Sprintf("a string (%q)", n.Value)
	}
	return "an unknown YAML node"
}

// typeHints says how to write a value of each expected type.
var typeHints = map[string]string{
	"a string":  "write one value after the colon; quote it if it contains \": \" or \" #\"",
	"a boolean": "write true or false, without quotes",
	"a list":    "write a list: [a, b] on one line, or one \"- item\" per line",
	"a mapping": "write key: value pairs, indented below the key",
}

// wrongType records that key holds n where want was expected.
func (d *decoder) wrongType(n *yaml.Node, key, want string) {
	d.errAt(n, fmt.Sprintf("%s: expected %s, got %s", key, want, describe(n)), typeHints[want])
}

// pair is one key and its value in a mapping.
type pair struct {
	key, val *yaml.Node
	// merged is true for entries brought in by a "<<" merge key, which
	// explicit keys override.
	merged bool
}

// pairs returns the entries of mapping n, expanding "<<" merge keys
// (explicit entries first, as they take precedence). Non-scalar keys are
// reported and skipped.
func (d *decoder) pairs(n *yaml.Node, depth int) []pair {
	var out, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			d.errAt(n.Content[i], "a key must be a plain string, got "+describe(k), "write key: value")
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, depth)...)
			continue
		}
		out = append(out, pair{key: k, val: v})
	}
	return append(out, merged...)
}

// merge expands the value of a "<<" key: a mapping or a list of mappings.
func (d *decoder) merge(v *yaml.Node, depth int) []pair {
	if d.merged > maxMerged {
		return nil
	}
	if depth > maxAliasDepth {
		d.errAt(v, "merge keys (<<) nest too deeply", "flatten the anchors")
		return nil
	}
	v = deref(v)
	var srcs []*yaml.Node
	switch {
	case v != nil && v.Kind == yaml.MappingNode:
		srcs = []*yaml.Node{v}
	case v != nil && v.Kind == yaml.SequenceNode:
		for _, c := range v.Content {
			srcs = append(srcs, deref(c))
		}
	default:
		d.errAt(v, "<<: expected a mapping or a list of mappings, got "+describe(v), "merge an anchored mapping: <<: *name")
		return nil
	}
	var out []pair
	for _, s := range srcs {
		if s == nil || s.Kind != yaml.MappingNode {
			d.errAt(v, "<<: expected a mapping or a list of mappings, got "+describe(s), "merge an anchored mapping: <<: *name")
			continue
		}
		for _, p := range d.pairs(s, depth+1) {
			if d.merged++; d.merged > maxMerged {
				if d.merged == maxMerged+1 {
					d.errAt(v, fmt.Sprintf("merge keys (<<) expand to more than %d entries", maxMerged), "merge fewer anchors, or write the keys out")
				}
				return out
			}
			p.merged = true
			out = append(out, p)
		}
	}
	return out
}

// fixedKeys are keys a mapping (by the key fields is given) cannot hold
// although a similar mapping can, with the message and hint that say why:
// the closest valid key would be a wrong suggestion.
var fixedKeys = map[[2]string][2]string{
	{"an app override", "name"}: {"an app override cannot rename the app: the key it is written under is the app's name",
		"remove name: here; an app has one name in every env (its Kustomization's name comes from flux.name)"},
}

// fields reads mapping n whose keys must be among known. It reports a
// non-mapping, unknown keys (with the closest known key) and duplicate keys,
// and returns the value node of each key present. A null n reads as an
// empty mapping; ok is false when n is not a mapping at all.
func (d *decoder) fields(n *yaml.Node, key string, known []string) (map[string]*yaml.Node, bool) {
	out := map[string]*yaml.Node{}
	if isNull(n) {
		return out, true
	}
	m := deref(n)
	if m.Kind != yaml.MappingNode {
		if key == "" {
			// The whole document: there is no key to name.
			d.errAt(n, "the file must be a mapping of keys, got "+describe(n),
				"write key: value pairs at the top level, with the keys "+strings.Join(known, ", "))
			return out, false
		}
		d.wrongType(n, key, "a mapping")
		return out, false
	}
	first := map[string]int{}
	for _, p := range d.pairs(m, 0) {
		k := p.key.Value
		if !slices.Contains(known, k) {
			if why, fixed := fixedKeys[[2]string{key, k}]; fixed {
				d.errAt(p.key, why[0], why[1])
				continue
			}
			msg := fmt.Sprintf("unknown key %q", k)
			if c := diag.Closest(k, known); c != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", c)
			}
			where := "here"
			if key != "" {
				where = "in " + key
			}
			d.errAt(p.key, msg, fmt.Sprintf("valid keys %s: %s", where, strings.Join(known, ", ")))
			continue
		}
		if _, dup := out[k]; dup {
			if !p.merged {
				d.errAt(p.key, fmt.Sprintf("duplicate key %q (first at line %d)", k, first[k]), "keep one of them")
			}
			continue
		}
		out[k] = p.val
		first[k] = p.key.Line
	}
	return out, true
}

// entries reads a free-form mapping (vars, apps overrides) and returns its
// entries in file order, reporting duplicates. A null n is empty.
func (d *decoder) entries(n *yaml.Node, key string) []pair {
	if isNull(n) {
		return nil
	}
	m := deref(n)
	if m.Kind != yaml.MappingNode {
		d.wrongType(n, key, "a mapping")
		return nil
	}
	seen := map[string]int{}
	var out []pair
	for _, p := range d.pairs(m, 0) {
		k := p.key.Value
		if l, dup := seen[k]; dup {
			if !p.merged {
				d.errAt(p.key, fmt.Sprintf("%s: duplicate key %q (first at line %d)", key, k, l), "keep one of them")
			}
			continue
		}
		seen[k] = p.key.Line
		out = append(out, p)
	}
	return out
}

// str reads a scalar as text. Numbers and booleans read as written
// (version: 1.2 is "1.2"); null, lists and mappings are errors.
func (d *decoder) str(n *yaml.Node, key string) (string, bool) {
	s := deref(n)
	if s == nil || s.Kind != yaml.ScalarNode || s.ShortTag() == "!!null" {
		d.wrongType(n, key, "a string")
		return "", false
	}
	if s.ShortTag() == "!!binary" {
		// Its text is base64, which kiln would have taken as the value.
		d.errAt(n, key+": a !!binary value", "write the text itself, without the !!binary tag")
		return "", false
	}
	return s.Value, true
}

// boolean reads a YAML boolean; "true" in quotes is a string and an error.
func (d *decoder) boolean(n *yaml.Node, key string) (bool, bool) {
	s := deref(n)
	if s == nil || s.Kind != yaml.ScalarNode || s.ShortTag() != "!!bool" {
		d.wrongType(n, key, "a boolean")
		return false, false
	}
	b, err := strconv.ParseBool(strings.ToLower(s.Value))
	if err != nil {
		d.wrongType(n, key, "a boolean")
		return false, false
	}
	return b, true
}

// list reads a sequence; null reads as an empty list. ok is false when n
// is something else.
func (d *decoder) list(n *yaml.Node, key string) ([]*yaml.Node, bool) {
	if isNull(n) {
		return nil, true
	}
	s := deref(n)
	if s.Kind != yaml.SequenceNode {
		d.wrongType(n, key, "a list")
		return nil, false
	}
	return s.Content, true
}

// strList reads a list of strings and the node of each.
func (d *decoder) strList(n *yaml.Node, key string) ([]string, []*yaml.Node) {
	items, _ := d.list(n, key)
	var out []string
	var nodes []*yaml.Node
	for i, it := range items {
		if s, ok := d.str(it, fmt.Sprintf("%s[%d]", key, i)); ok {
			out = append(out, s)
			nodes = append(nodes, deref(it))
		}
	}
	return out, nodes
}

// yamlLineRE matches the location yaml.v3 puts in its syntax errors and
// in each entry of a TypeError. yaml.v3 has no typed syntax error (it
// formats "yaml: line N: problem"), and a TypeError's entries are text
// ("line N: problem"), so the text is the only place the line is found.
var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`) })

// flowPlaceholderRE finds a kiln placeholder such as {env} in a line.
var flowPlaceholderRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{[A-Za-z_]+\}`) })

// parseDoc parses data as a single YAML document. It returns nil, nil for
// an empty document (only comments or whitespace).
func parseDoc(data []byte, file string) (*yaml.Node, error) {
	if err := checkText(data, file); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxErrorIn(err, file, data)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &diag.Error{File: file, Line: max(next.Line, 1), Msg: "more than one YAML document (a second \"---\")",
			Hint: "keep one document in this file"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxErrorIn(err, file, data)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	if n := foreignTag(doc.Content[0]); n != nil {
		return nil, &diag.Error{File: file, Line: n.Line, Msg: fmt.Sprintf("the YAML tag %s is not one kiln reads", n.Tag),
			Hint: "remove the tag: kiln.yaml and env files hold plain YAML (strings, numbers, booleans, lists and mappings); kiln resolves no other tags"}
	}
	if bytes.IndexByte(data, '!') >= 0 {
		nonSpecific(doc.Content[0], yamlpos.New(data))
	}
	return doc.Content[0], nil
}

// nonSpecific tags !!str each scalar under n written with YAML's
// non-specific tag, "!" ("replicas: ! 3"), which the YAML spec makes a
// string and which Helm, reading values through yaml.v2, reads as one
// ("3"; "! yes" the string yes, not YAML 1.1's true). yaml.v3 drops that
// tag and resolves the scalar as if it were plain, so an env value "! 3"
// reached a chart as the number 3 and rendered otherwise than `helm
// template -f` with the same file. The tag leaves no trace in the node but
// its position: a plain scalar cannot start with "!", so a scalar yaml.v3
// resolved (no explicit tag) whose text starts with "!", after an anchor if
// any, had it. Quoted and block scalars are strings already.
func nonSpecific(n *yaml.Node, t *yamlpos.Text) {
	if n.Kind == yaml.ScalarNode && n.Style == 0 && startsWithTag(t, n) {
		n.Tag, n.Style = "!!str", yaml.TaggedStyle
	}
	// Aliases are not followed: each node is in the tree once.
	for _, c := range n.Content {
		nonSpecific(c, t)
	}
}

// startsWithTag reports whether the text of n starts with a tag's "!",
// after an anchor ("&a ! 3") if it has one.
func startsWithTag(t *yamlpos.Text, n *yaml.Node) bool {
	at, ok := t.Offset(n.Line, n.Column)
	if !ok {
		return false
	}
	rest := t.Data()[at:]
	if n.Anchor != "" && len(rest) > len(n.Anchor) && rest[0] == '&' {
		rest = bytes.TrimLeft(rest[1+len(n.Anchor):], " \t")
	}
	return len(rest) > 0 && rest[0] == '!'
}

// coreTags are the tags of YAML's core schema, which yaml.v3 resolves, and
// !!binary, which it decodes ("!" is the non-specific tag of a quoted
// scalar).
var coreTags = map[string]bool{"!": true, "!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!map": true, "!!seq": true, "!!binary": true, "!!timestamp": true, "!!merge": true}

// foreignTag returns the first node of the tree under n (aliases not
// followed: each node is in the tree once) with an explicit tag that is
// not a core one: "!vault secret/x", "!!set". kiln read such a node as
// if untagged, so "path: !encrypted abc" was the path "abc".
func foreignTag(n *yaml.Node) *yaml.Node {
	if n.Style&yaml.TaggedStyle != 0 && !coreTags[n.ShortTag()] {
		return n
	}
	for _, c := range n.Content {
		if f := foreignTag(c); f != nil {
			return f
		}
	}
	return nil
}

// syntaxErrorIn turns a yaml.v3 syntax error into a *diag.Error. With the
// parsed data at hand it corrects the line (see problemLine) and spots a
// common cause: an unquoted {env} inside [ ] or { }, which YAML reads as a
// mapping.
func syntaxErrorIn(err error, file string, data []byte) *diag.Error {
	e := &diag.Error{File: file, Line: 1, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "),
		Hint: "fix the YAML syntax (indentation, a missing \": \", an unclosed quote or bracket)", Err: err}
	m := yamlLineRE().FindStringSubmatch(err.Error())
	if m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = "invalid YAML: " + m[2]
	}
	if diag.YAMLUnknownEscape(err) {
		e.Hint = diag.YAMLSyntaxHint(err)
	}
	if data == nil {
		return e
	}
	problem := strings.TrimPrefix(err.Error(), "yaml: ")
	if m != nil {
		problem = m[2]
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	e.Line = problemLine(lines, e.Line, problem)
	if e.Line >= 1 && e.Line <= len(lines) && flowPlaceholderRE().Match(lines[e.Line-1]) {
		e.Hint = "quote values that contain {env} inside [ ] or { }, such as [\"values-{env}.yaml\"]: unquoted, YAML reads {env} as a mapping"
	}
	return e
}

// maxRefineLines bounds the size of file problemLine searches.
const maxRefineLines = 20000

// problemLine returns the first line at which the file stops parsing with
// the same problem. yaml.v3 reports the line where the enclosing block
// started, counted from 0, rather than the line of the problem
// (https://github.com/go-yaml/yaml/issues/542, /issues/205). The problem
// lies at or after that line, and a prefix of the file that holds the
// problem line fails with the same problem while a shorter one parses or
// fails differently (it is cut short), so a binary search over prefixes
// finds the line in O(n log n).
func problemLine(lines [][]byte, reported int, problem string) int {
	lo, hi := max(reported, 1), len(lines)
	if hi > maxRefineLines || lo > hi {
		return max(reported, 1)
	}
	fails := func(k int) bool { return parseProblem(bytes.Join(lines[:k], nil)) == problem }
	if !fails(hi) {
		return max(reported, 1)
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// parseProblem returns the problem text of the first syntax error in data, or "".
func parseProblem(data []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			return ""
		}
		if m := yamlLineRE().FindStringSubmatch(err.Error()); m != nil {
			return m[2]
		}
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
}

// checkText rejects text yaml.v3 would refuse without saying where: bytes
// that are not UTF-8 and control characters.
func checkText(data []byte, file string) error {
	ln := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return &diag.Error{File: file, Line: ln, Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x)", data[i]),
				Hint: "save the file as UTF-8"}
		case r == '\n':
			ln++
		case r == '\t' || r == '\r' || r == 0xFEFF || r == 0x85:
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xFFFE || r == 0xFFFF:
			return &diag.Error{File: file, Line: ln, Msg: fmt.Sprintf("control character %U is not allowed in YAML", r),
				Hint: "remove the character, or write it as an escape in a double-quoted string"}
		}
		i += size
	}
	return nil
}
