package helm

import (
	"regexp"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/objects"
)

// A line of helm's output is no line of the template: actions print any
// number of lines, or none. So kiln used to give an error about a
// rendered object the template's file without a line, and a reviewer
// searched a 300-line template for the key. Most keys of a template are
// written as they are, though, only their values printed by actions: the
// key's line is found by reading the template as YAML-shaped lines, each
// key's path given by its indentation, and a key of the object is given
// the line of the one key of the template at its path (list items being
// any item of the list, as a range writes them all from one line). A key
// the template does not write literally (from an include, a toYaml, a
// templated key) gets the line of the nearest key above it that it does:
// the line where the action that printed it stands. A path the template
// writes on two lines (an if and its else) gives no line, nor does a
// template whose document for the object's kind is not clear (several
// of that kind whose metadata.name does not tell which printed the
// object): then the error names the file only, as before.

// templateKey is a key the template writes literally: its path (list
// indexes as "[]") and line.
type templateKey struct {
	path string
	line int
}

var (
	// keyLine is a line that starts with a literal key, after an
	// optional list dash: its indentation, dash, key and what follows.
	keyLine = regexp.MustCompile(`^( *)(- +)?("[^"{}]*"|'[^'{}]*'|[^\s#'"{}:\-][^\s{}:]*|-[^\s{}:]+):(?: +(.*))?$`)
	// dashLine is a list item that holds no key.
	dashLine = regexp.MustCompile(`^( *)- `)
	// kindLine is a document's literal kind.
	kindLine = regexp.MustCompile(`^kind: *["']?([A-Za-z0-9]+)["']? *$`)
	// blockScalar is a value that opens a block scalar.
	blockScalar = regexp.MustCompile(`^[|>][-+0-9]*\s*(#.*)?$`)
)

// tdoc is a document of a template: its lines, the line number of the
// first, and what its metadata.name writes as a pattern of the names it
// prints (nil when it writes none), with the number of literal
// characters the pattern holds.
type tdoc struct {
	lines   []string
	first   int
	name    *regexp.Regexp
	literal int
}

// templateDocs returns the documents of text, a template, that may write
// objects of kind: the template's only document with a literal key, or
// its documents with that literal kind. None when it is not clear.
func templateDocs(text, kind string) []tdoc {
	all := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	type doc struct{ start, end int }
	var docs []doc
	start := 0
	for i, l := range all {
		if strings.HasPrefix(l, "---") && strings.TrimSpace(strings.TrimLeft(l, "-")) == "" {
			docs = append(docs, doc{start, i})
			start = i + 1
		}
	}
	docs = append(docs, doc{start, len(all)})
	var written []doc // documents with a literal key: actions alone write no line kiln can name
	for _, d := range docs {
		for _, l := range all[d.start:d.end] {
			if keyLine.MatchString(l) {
				written = append(written, d)
				break
			}
		}
	}
	if len(written) == 1 {
		d := written[0]
		return []tdoc{{lines: all[d.start:d.end], first: d.start + 1}}
	}
	var match []tdoc
	for _, d := range written {
		for _, l := range all[d.start:d.end] {
			if m := kindLine.FindStringSubmatch(l); m != nil && m[1] == kind {
				t := tdoc{lines: all[d.start:d.end], first: d.start + 1}
				t.name, t.literal = namePattern(t.lines)
				match = append(match, t)
				break
			}
		}
	}
	return match
}

// pick returns the document of docs that wrote the object named name:
// the only one, or of several (a Service and its headless twin, three
// ClusterRoles -view, -edit and -admin) the one whose metadata.name
// matches name, the most literal of those that do. ok is false when
// that is not one document.
func pick(docs []tdoc, name string) (tdoc, bool) {
	if len(docs) == 1 {
		return docs[0], true
	}
	best, n := -1, 0
	for i, d := range docs {
		if d.name == nil || !d.name.MatchString(name) {
			continue
		}
		switch {
		case best < 0 || d.literal > docs[best].literal:
			best, n = i, 1
		case d.literal == docs[best].literal:
			n++
		}
	}
	if n != 1 {
		return tdoc{}, false
	}
	return docs[best], true
}

var (
	// metadataLine opens a document's metadata.
	metadataLine = regexp.MustCompile(`^metadata: *(#.*)?$`)
	// nameLine is metadata's name, indented.
	nameLine = regexp.MustCompile(`^( +)name: +(.+?) *$`)
	// action is a template action, with the blanks a trim marker takes.
	action = regexp.MustCompile(`\s*\{\{-?.*?-?\}\}\s*`)
)

// namePattern returns, for the lines of a template document, a pattern
// of the names its metadata.name prints, each action standing for any
// text, and the number of literal characters in it; nil when the
// document writes no metadata.name on its own line.
func namePattern(lines []string) (*regexp.Regexp, int) {
	in, indent := false, ""
	for _, l := range lines {
		if metadataLine.MatchString(l) {
			in = true
			continue
		}
		if !in {
			continue
		}
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "{{") {
			continue
		}
		if !strings.HasPrefix(l, " ") {
			return nil, 0 // metadata ended
		}
		if indent == "" {
			// metadata's keys stand at its first key's indentation;
			// a label called name stands deeper.
			indent = l[:len(l)-len(strings.TrimLeft(l, " "))]
		}
		m := nameLine.FindStringSubmatch(l)
		if m == nil || m[1] != indent {
			continue
		}
		v := m[2]
		if i := strings.Index(v, " #"); i >= 0 && !strings.Contains(v[i:], "}}") {
			v = strings.TrimSpace(v[:i])
		}
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		var b strings.Builder
		literal := 0
		b.WriteString("^")
		rest := v
		for _, loc := range action.FindAllStringIndex(v, -1) {
			lit := rest[:loc[0]-(len(v)-len(rest))]
			b.WriteString(regexp.QuoteMeta(lit))
			literal += len(lit)
			b.WriteString(".*")
			rest = v[loc[1]:]
		}
		b.WriteString(regexp.QuoteMeta(rest) + "$")
		literal += len(rest)
		re, err := regexp.Compile(b.String())
		if err != nil {
			return nil, 0
		}
		return re, literal
	}
	return nil, 0
}

// templateKeys lists the keys lines writes literally, by path; a path
// written twice maps to 0. first is the number of lines[0]. A list item
// whose first key is a literal name is listed a second time under its
// name ("ports[=http].containerPort"), as two items of a list written one
// after the other are told apart by it.
func templateKeys(lines []string, first int) keyLines {
	type open struct {
		indent int
		path   string // list items as []
		named  string // list items as [=name] where they have one
		item   bool   // a list item: its keys stand at indent+2 or more
	}
	var stack []open
	keys := keyLines{lines: map[string]int{}, values: map[string][]literalAt{}}
	note := func(p string, line int, value string) {
		if _, twice := keys.lines[p]; twice {
			keys.lines[p] = 0
		} else {
			keys.lines[p] = line
		}
		keys.values[p] = append(keys.values[p], literalAt{line, value})
	}
	item := func(d int, name string) {
		for len(stack) > 0 && (stack[len(stack)-1].indent > d || stack[len(stack)-1].indent == d && stack[len(stack)-1].item) {
			stack = stack[:len(stack)-1]
		}
		var parent open
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		o := open{indent: d, path: parent.path + "[]", named: parent.named + "[]", item: true}
		if name != "" {
			o.named = parent.named + "[=" + name + "]"
		}
		stack = append(stack, o)
	}
	block := -1 // the indentation of a key whose block scalar is being skipped
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		if block >= 0 {
			if indent > block {
				continue
			}
			block = -1
		}
		if strings.HasPrefix(t, "{{") {
			// An action alone on its line: the keys it prints are not
			// the template's, and it opens no structure of its own.
			if m := includeAction.FindStringSubmatch(t); m != nil {
				// It prints under the nearest key less indented than
				// what it prints: its nindent's, else its own line's.
				at := indent
				if n := indentArg.FindStringSubmatch(t); n != nil {
					at, _ = strconv.Atoi(n[1])
				}
				parent := ""
				for j := len(stack) - 1; j >= 0; j-- {
					if stack[j].indent < at {
						parent = stack[j].path
						break
					}
				}
				if keys.includes == nil {
					keys.includes = map[string][]includeAt{}
				}
				keys.includes[parent] = append(keys.includes[parent], includeAt{m[1], first + i})
			}
			continue
		}
		m := keyLine.FindStringSubmatch(l)
		if m == nil {
			if dm := dashLine.FindStringSubmatch(l); dm != nil {
				item(len(dm[1]), "")
			}
			continue
		}
		key := strings.Trim(m[3], `"'`)
		value := strings.TrimSpace(m[4])
		c := len(m[1])
		if m[2] != "" {
			item(c, itemNameAt(lines, i, c, len(m[2])))
			c += len(m[2])
		}
		for len(stack) > 0 && stack[len(stack)-1].indent >= c {
			stack = stack[:len(stack)-1]
		}
		p, named := key, key
		if len(stack) > 0 {
			p, named = stack[len(stack)-1].path+"."+key, stack[len(stack)-1].named+"."+key
		}
		note(p, first+i, value)
		if named != p {
			note(named, first+i, value)
		}
		stack = append(stack, open{indent: c, path: p, named: named})
		if blockScalar.MatchString(value) {
			block = c
		}
	}
	return keys
}

// itemNameAt returns the literal name of the list item whose dash is on
// lines[i] at indent d, its keys indented w more: the value of its name
// key, on the dash's line or a later one of the item; "" for none.
func itemNameAt(lines []string, i, d, w int) string {
	for j := i; j < len(lines); j++ {
		l := lines[j]
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "{{") {
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		if j > i && indent <= d {
			return ""
		}
		m := keyLine.FindStringSubmatch(l)
		if m == nil || (j == i) != (m[2] != "") || len(m[1])+len(m[2]) != d+w {
			continue
		}
		if strings.Trim(m[3], `"'`) == "name" {
			if v := strings.TrimSpace(m[4]); literalName.MatchString(v) {
				return strings.Trim(v, `"'`)
			}
			return ""
		}
	}
	return ""
}

// keyLines are the keys a template document writes literally: lines
// maps each path to its line, 0 when the template writes it on several;
// values lists, for each path, every line that writes it with the text
// after its colon.
type keyLines struct {
	lines  map[string]int
	values map[string][]literalAt
	// includes lists, by the path of the key they print under, the named
	// templates an action alone on its line includes ("spec.template":
	// {{ include "promtail.podTemplate" . | nindent 4 }}).
	includes map[string][]includeAt
}

// includeAt is an include or template action of a template, by the name
// of the template it includes.
type includeAt struct {
	name string
	line int
}

// includeAction is an action that starts by including a named template.
var includeAction = regexp.MustCompile(`^\{\{-?\s*(?:include|template)\s+"([^"]+)"`)

// indentArg is the indentation an action's nindent or indent gives what
// it prints.
var indentArg = regexp.MustCompile(`\|\s*n?indent\s+(\d{1,3})\s*-?\}\}`)

type literalAt struct {
	line  int
	value string
}

// line returns the line of the key at path p whose value is the scalar
// v: the one line that writes p, or of several the one that writes v as
// it is (two items of a list the template writes one after the other,
// the one whose value is wrong). 0 for none.
func (k keyLines) line(p string, v *kyaml.Node) int {
	if l := k.lines[p]; l > 0 || v == nil || v.Kind != kyaml.ScalarNode {
		return l
	}
	at := 0
	for _, c := range k.values[p] {
		if literalValue(c.value) == v.Value {
			if at > 0 {
				return 0
			}
			at = c.line
		}
	}
	return at
}

// literalValue is the scalar a literal value writes, quotes and a trailing
// comment taken off; "\x00" for a value an action prints, which no output
// value equals.
func literalValue(v string) string {
	if strings.Contains(v, "{{") {
		return "\x00"
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}

// literalName is a list item's name the template writes as it is.
var literalName = regexp.MustCompile(`^("[^"{}]+"|'[^'{}]+'|[A-Za-z0-9][A-Za-z0-9._-]*)$`)

// templateLines gives root, an object helm rendered from a template
// document, the lines of its keys in the template (templateKeys): each
// node the line of its key, or of the nearest key above it the template
// writes. It returns the root's line (the document's first key), 0 when
// the template writes none of the object's top keys, and then leaves
// the lines alone.
func templateLines(root *kyaml.Node, keys keyLines) int {
	top := 0
	for i := 0; i+1 < len(root.Content); i += 2 {
		if l := keys.lines[root.Content[i].Value]; l > 0 && (top == 0 || l < top) {
			top = l
		}
	}
	if top == 0 || root.Kind != kyaml.MappingNode {
		return 0
	}
	var walk func(n *kyaml.Node, path string, named []string, line int)
	walk = func(n *kyaml.Node, path string, named []string, line int) {
		n.Line, n.Column = line, 0
		switch n.Kind {
		case kyaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				pn := make([]string, 0, len(named))
				for _, c := range named {
					pn = append(pn, c+"."+k.Value)
				}
				if len(named) == 0 {
					pn = append(pn, k.Value)
				}
				l := line
				for _, c := range append(pn, p) {
					if at := keys.line(c, n.Content[i+1]); at > 0 {
						l = at
						break
					}
				}
				k.Line, k.Column = l, 0
				walk(n.Content[i+1], p, pn, l)
			}
		case kyaml.SequenceNode:
			for _, item := range n.Content {
				// The item's name as the template may write it, or an item
				// the template does not name (a name printed by an action).
				var pn []string
				name := objects.ItemName(item)
				for _, c := range named {
					if name != "" {
						pn = append(pn, c+"[="+name+"]")
					}
					pn = append(pn, c+"[]")
				}
				if len(pn) > maxNamed {
					pn = pn[:maxNamed]
				}
				walk(item, path+"[]", pn, line)
			}
		}
	}
	walk(root, "", nil, top)
	return top
}

// maxNamed bounds the paths of a field by its items' names that are
// looked up: each named item above it doubles them.
const maxNamed = 16
