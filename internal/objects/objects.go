// Package objects splits a YAML stream into Kubernetes objects that remember
// the file and line they started on. Engines whose output is YAML text
// (helm, kustomize, plain) share it, so objects from every engine look alike.
package objects

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/builtinkinds"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/yamlpos"
	"github.com/kiln-gitops/kiln/templates"
)

// Parse decodes every document of data. file is recorded on each object;
// lines are 1-based lines of data plus lineOffset (for a stream cut out of a
// larger file). Empty documents are skipped; a List is expanded into its
// items; a document that is not a mapping with apiVersion and kind is an
// error naming file and line. The YAML is bounded by limits.Counter
// (aliases expanded, nesting depth, document count) before anything walks it.
func Parse(data []byte, file string, lineOffset int) ([]templates.Object, error) {
	return ParseCounted(data, file, lineOffset, &limits.Counter{Input: file})
}

// ParseCounted is Parse with a Counter shared by several calls, so that the
// bounds hold for one engine output cut into parts (Helm's templates).
func ParseCounted(data []byte, file string, lineOffset int, c *limits.Counter) ([]templates.Object, error) {
	return parseCounted(bytes.NewReader(lfBytes(data)), len(data), func() []byte { return data }, file, lineOffset, c, false)
}

// ParseCountedString is ParseCounted of a string, which it reads where it
// is: Helm's output is strings, megabytes of them for a chart with large
// CRDs, and converting one to bytes copied it.
func ParseCountedString(data string, file string, lineOffset int, c *limits.Counter) ([]templates.Object, error) {
	return parseCounted(strings.NewReader(lf(data)), len(data), func() []byte { return []byte(data) }, file, lineOffset, c, false)
}

// ParseHelmOutput is ParseCountedString for what a Helm chart renders,
// read as helm install reads it (sigs.k8s.io/yaml, YAML 1.1), not as
// kustomize does: merge keys (<<) expanded in Helm's order (yaml11Merges)
// and unquoted yes, on, n, … written as the booleans they are there
// (ResolveYAML11Bools), SOPS documents but for their bytes left alone.
func ParseHelmOutput(data string, file string, lineOffset int, c *limits.Counter) ([]templates.Object, error) {
	return parseCounted(strings.NewReader(lf(data)), len(data), func() []byte { return []byte(data) }, file, lineOffset, c, true)
}

// lf turns CRLF line breaks into LF before yaml.v3 reads them: it reads
// both as one line break in every value, but places comments by a column
// count the CR throws off, so a chart or a file checked out with CRLF
// (git's core.autocrlf on Windows) moved or dropped its comments, and its
// output differed from a checkout with LF in bytes Flux would apply. A lone
// CR is left as it is: yaml.v3 reads it as a line break too, and no
// checkout writes one. Lines keep their numbers, so errors and a SOPS
// document's bytes (kept from the text as written) are found at the same
// line.
func lf(data string) string {
	if !strings.Contains(data, "\r\n") {
		return data // Helm's output is megabytes: no copy when nothing changes
	}
	return strings.ReplaceAll(data, "\r\n", "\n")
}

// lfBytes is lf of bytes.
func lfBytes(data []byte) []byte {
	if !bytes.Contains(data, []byte("\r\n")) {
		return data
	}
	return bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
}

// parseCounted parses the size bytes that in reads; text returns them,
// for the text of a SOPS document. helm reads them as Helm does
// (ParseHelmOutput).
func parseCounted(in io.Reader, size int, text func() []byte, file string, lineOffset int, c *limits.Counter, helm bool) ([]templates.Object, error) {
	if size > limits.OutputSize {
		err := &limits.Error{What: "size", Limit: limits.Bytes(limits.OutputSize)}
		return nil, &diag.Error{File: file, Msg: err.Describe(), Err: err, Hint: limits.Hint}
	}
	dec := kyaml.NewDecoder(in)
	var out []templates.Object
	var errs []error
	for {
		var doc kyaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := yamlErrLine(err)
			if line == 0 {
				line = badCharLine(err, text())
			}
			if line == 0 {
				line = unnumberedLine(err, text())
			}
			return nil, &diag.Error{File: file, Line: lineOffset + line, Msg: "invalid YAML: " + redact.YAML(err.Error()), Err: err,
				Hint: diag.YAMLSyntaxHint(err)}
		}
		if err := c.Document(&doc); err != nil {
			return nil, &diag.Error{File: file, Line: lineOffset + doc.Line, Msg: limits.Describe(err), Err: err, Hint: limits.Hint}
		}
		node := &doc
		if node.Kind == kyaml.DocumentNode && len(node.Content) == 1 {
			node = node.Content[0]
		}
		if node.Kind == kyaml.ScalarNode && (node.Tag == "!!null" || node.Value == "") {
			continue // an empty document, e.g. a template that rendered nothing
		}
		line := lineOffset + node.Line
		if node.Kind != kyaml.MappingNode {
			errs = append(errs, &diag.Error{File: file, Line: line, Msg: "a YAML document is not a Kubernetes object (not a mapping)", Hint: "every document must be a mapping with apiVersion and kind"})
			continue
		}
		node.HeadComment, node.FootComment = "", ""
		rn := kyaml.NewRNode(node)
		if c.Aliased() || c.Merges() {
			if err := selfContained(rn, file, lineOffset, helm); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		objs, err := Check(rn, file, line)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if IsSOPS(rn) && len(objs) == 1 {
			// Keep the bytes: re-encoding could change a value's form and
			// the SOPS MAC with it. Check refuses a SOPS List.
			objs[0].Raw = documentAt(text(), node.Line)
		} else if helm {
			for _, o := range objs {
				ResolveYAML11Bools(o.Node.YNode())
			}
		}
		out = append(out, objs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Check makes sure rn is a Kubernetes object (apiVersion, kind and a
// metadata.name) and expands a list (see ListItems) into its items.
func Check(rn *kyaml.RNode, file string, line int) ([]templates.Object, error) {
	if err := typeMeta(rn, file, line); err != nil {
		return nil, err
	}
	kind := rn.GetKind()
	if _, ok := ListItems(rn.YNode()); ok && IsSOPS(rn) {
		// The sops: metadata is the List's, and kustomize's reader (so
		// Flux's build) expands the List into items without it: Flux
		// would apply each item still encrypted, ENC[…] as its values.
		return nil, &diag.Error{File: file, Line: line, Object: diag.Object{Kind: kind, Namespace: rn.GetNamespace(), Name: rn.GetName()},
			Msg:  "a SOPS-encrypted " + kind + ": Flux's kustomize build expands it into its items and drops its sops metadata, so each item would be applied still encrypted",
			Hint: "encrypt each of its objects in a file of its own (sops --encrypt), without the List around it"}
	}
	if items, ok := ListItems(rn.YNode()); ok {
		if items.Kind != kyaml.SequenceNode {
			if items.ShortTag() == "!!null" {
				return nil, nil // an empty list, as kustomize reads it
			}
			return nil, &diag.Error{File: file, Line: line + items.Line - rn.YNode().Line,
				Msg: kind + " items is not a list", Hint: "a " + kind + " holds its objects in a YAML sequence under items"}
		}
		var out []templates.Object
		var errs []error // every bad item in one run, as for documents
		for _, it := range items.Content {
			objs, err := Check(kyaml.NewRNode(it), file, line+it.Line-rn.YNode().Line)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, objs...)
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return out, nil
	}
	if _, md := Field(rn.YNode(), "metadata"); md != nil {
		// kyaml's getters walk metadata as a mapping's key and value
		// pairs, and index past a sequence of one item.
		for md.Kind == kyaml.AliasNode && md.Alias != nil {
			md = md.Alias
		}
		if md.Kind != kyaml.MappingNode && md.ShortTag() != kyaml.NodeTagNull {
			return nil, &diag.Error{File: file, Line: line + md.Line - rn.YNode().Line, Object: diag.Object{Kind: kind},
				Msg: "metadata is not a mapping", Hint: "write metadata as a mapping, with name (and namespace, labels, annotations) below it"}
		}
		if err := metaFields(md, kind, file, line-rn.YNode().Line); err != nil {
			return nil, err
		}
	}
	if rn.GetName() == "" {
		if IsKustomization(rn.GetApiVersion(), kind) {
			// kustomization.yaml has no name: told to set one, the author
			// of kube-prometheus' examples/kustomize.jsonnet would have
			// deployed a file kustomize reads as configuration.
			return nil, &diag.Error{File: file, Line: line, Object: diag.Object{Kind: kind}, Msg: KustomizationMsg(rn.GetApiVersion()), Hint: KustomizationHint}
		}
		if ComponentConfig(rn.GetApiVersion()) != "" {
			// Told to set a name, the user would have an object kiln
			// takes with a warning, and Flux's apply refuses.
			return nil, &diag.Error{File: file, Line: line, Object: diag.Object{Kind: kind},
				Msg: ComponentConfigMsg(rn.GetApiVersion(), kind), Hint: ComponentConfigHint(rn.GetApiVersion())}
		}
		hint := "set metadata.name"
		if gv, err := schema.ParseGroupVersion(rn.GetApiVersion()); err == nil &&
			builtinkinds.ClientOffers(gv.Group, kind, "create") && !builtinkinds.ClientOffers(gv.Group, kind, "get") {
			// A review (TokenReview, SubjectAccessReview), as kubectl's
			// test data sends with create -f: with a name, validation
			// refuses it as a kind the API server does not store.
			hint = kind + " is a request the API server answers once and stores nothing, so no object of it can be applied, named or not: remove it from the app"
		} else if g, _ := rn.Pipe(kyaml.Lookup("metadata", "generateName")); g != nil {
			// Helm hooks and kubectl create take it; an apply cannot.
			hint = "set metadata.name: Flux applies every object by its name (server-side apply), so metadata.generateName alone cannot be applied"
		}
		return nil, &diag.Error{File: file, Line: line, Object: diag.Object{Kind: kind}, Msg: "object has no metadata.name", Hint: hint}
	}
	return []templates.Object{{Node: rn, File: file, Line: line}}, nil
}

// IsKustomization reports whether apiVersion and kind are a kustomize
// Kustomization's (kustomization.yaml), which kustomize reads as its
// configuration and Flux leaves out of what it applies.
func IsKustomization(apiVersion, kind string) bool {
	group, _, ok := strings.Cut(apiVersion, "/")
	return ok && group == "kustomize.config.k8s.io" && kind == "Kustomization"
}

// KustomizationMsg and KustomizationHint are the error of a kustomize
// Kustomization among an app's objects.
func KustomizationMsg(apiVersion string) string {
	return "a kustomize Kustomization (" + apiVersion + ") is kustomize's configuration, not an object: Flux leaves it out of what it applies, so it would never reach the cluster"
}

const KustomizationHint = "leave it out of the app's output; to build a kustomize overlay, make the app a kustomize app (kustomize: <folder>)"

// metaFields refuses metadata fields of a shape kyaml's getters misread,
// at the field's line (offset turns a node's line into the file's). Labels
// and annotations are walked as a mapping's key and value pairs, which
// indexes past a sequence of one item (a panic in every later stage); a
// name or namespace that is a list or mapping reads as none, so the app's
// namespace silently replaced the one written. The API server refuses
// them all, for every kind.
func metaFields(md *kyaml.Node, kind, file string, offset int) error {
	if md.Kind != kyaml.MappingNode {
		return nil
	}
	var errs []error // each bad field in one run
	for _, key := range []string{"name", "namespace", "labels", "annotations"} {
		_, v := Field(md, key)
		for v != nil && v.Kind == kyaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if v == nil || v.ShortTag() == kyaml.NodeTagNull {
			continue
		}
		want, ok := "a string", v.Kind == kyaml.ScalarNode
		if key == "labels" || key == "annotations" {
			want, ok = "a mapping", v.Kind == kyaml.MappingNode
		}
		if !ok {
			// Not describe's text: an annotation written as one scalar may
			// be a value a Secret holds.
			got := map[kyaml.Kind]string{kyaml.MappingNode: "a mapping", kyaml.SequenceNode: "a list"}[v.Kind]
			if got == "" {
				got = "a scalar"
			}
			errs = append(errs, &diag.Error{File: file, Line: offset + v.Line, Object: diag.Object{Kind: kind},
				Msg: fmt.Sprintf("metadata.%s must be %s, not %s", key, want, got), Hint: fmt.Sprintf("write metadata.%s as %s", key, want)})
		}
	}
	return errors.Join(errs...)
}

// typeMeta checks apiVersion and kind as the API server reads them: both
// strings (a YAML number or null is not, though kyaml would read its text),
// the apiVersion a "group/version" or "version" whose version is a DNS-1035
// label and whose group a DNS-1123 subdomain, and the kind a name a
// CustomResourceDefinition could define (its lowercase a DNS-1035 label).
// Anything else no cluster serves, and "apiVersion: 5" or "kind: null"
// must not become a file named null_q.yaml.
func typeMeta(rn *kyaml.RNode, file string, line int) error {
	var errs []error
	for _, key := range []string{"apiVersion", "kind"} {
		at := line
		k, v := Field(rn.YNode(), key)
		if k != nil && line > 0 && k.Line >= rn.YNode().Line {
			at = line + k.Line - rn.YNode().Line
		}
		fail := func(msg, hint string) {
			errs = append(errs, &diag.Error{File: file, Line: at, Msg: msg, Hint: hint})
		}
		switch {
		case v == nil:
			hint := "every document must be a Kubernetes object with apiVersion and kind"
			if mk := misspeltKey(rn.YNode(), key); mk != nil {
				// kubernetes' own test data has "ind: ReplicationController"
				// (hack/testdata/recursive): the generic hint sent the user
				// looking for a key the file seems to have.
				if line > 0 && mk.Line >= rn.YNode().Line {
					at = line + mk.Line - rn.YNode().Line
				}
				hint = fmt.Sprintf("did you mean %q? the document has %q", key, mk.Value)
				if strings.EqualFold(mk.Value, key) {
					hint += ": keys are case-sensitive"
				}
			}
			fail("object has no "+key, hint)
		case v.Kind == kyaml.ScalarNode && (v.Value == "" || v.ShortTag() == "!!null"):
			fail("object has no "+key, "every document must be a Kubernetes object with apiVersion and kind")
		case v.Kind != kyaml.ScalarNode || v.ShortTag() != "!!str":
			fail(fmt.Sprintf("%s must be a string, not %s", key, describe(v)), fmt.Sprintf("write the %s as a string, such as %s", key, map[string]string{"apiVersion": `"apps/v1"`, "kind": `"Deployment"`}[key]))
		case key == "kind":
			if msgs := validation.IsDNS1035Label(strings.ToLower(v.Value)); len(msgs) > 0 {
				fail(fmt.Sprintf("kind %q is not a kind any API serves: %s", v.Value, strings.Join(msgs, "; ")), "a kind is a CamelCase word such as Deployment or Certificate")
			}
		default:
			gv, err := schema.ParseGroupVersion(v.Value)
			var msgs []string
			if err != nil {
				msgs = []string{err.Error()}
			} else {
				msgs = validation.IsDNS1035Label(gv.Version)
				if gv.Group != "" {
					msgs = append(msgs, validation.IsDNS1123Subdomain(gv.Group)...)
				}
			}
			if len(msgs) > 0 {
				fail(fmt.Sprintf("apiVersion %q is not an API version any cluster serves: %s", v.Value, strings.Join(msgs, "; ")), `an apiVersion is "version" or "group/version", such as "v1" or "apps/v1"`)
			}
		}
	}
	return errors.Join(errs...)
}

// misspeltKey returns the key of mapping m that looks like key misspelt
// (another case, a letter more, less or changed), nil when none does: a
// shorter key may lack one letter at most, so that "version" is not taken
// for apiVersion.
func misspeltKey(m *kyaml.Node, key string) *kyaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Value == key || len(k.Value) < len(key)-1 {
			continue
		}
		if diag.Closest(key, []string{k.Value}) != "" { // case-blind
			return k
		}
	}
	return nil
}

// Field returns the key and value nodes of the mapping m's entry key (the
// first, if written twice), nil when absent.
func Field(m *kyaml.Node, key string) (k, v *kyaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// Annotation returns the key and value nodes of the annotation name of
// the object n, nil when it has none. It walks the nodes itself: it runs
// for every object of a render, and kyaml's Pipe allocates its filters on
// every call.
func Annotation(n *kyaml.Node, name string) (k, v *kyaml.Node) {
	for _, key := range []string{"metadata", "annotations"} {
		if n == nil || n.Kind != kyaml.MappingNode {
			return nil, nil
		}
		_, n = Field(n, key)
	}
	if n == nil || n.Kind != kyaml.MappingNode {
		return nil, nil
	}
	return Field(n, name)
}

// LastApplied is the annotation kubectl apply leaves on an object: the
// object as applied, in JSON, so that on a Secret it holds the data and
// stringData values.
const LastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// LastAppliedValues returns the value nodes of every LastApplied
// annotation of the object n: under every metadata and annotations key,
// and the annotation written twice, as what masks values must not trust
// the last key as a JSON decoder does.
func LastAppliedValues(n *kyaml.Node) []*kyaml.Node {
	var out []*kyaml.Node
	each := func(m *kyaml.Node, key string, f func(*kyaml.Node)) {
		if m == nil || m.Kind != kyaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				f(m.Content[i+1])
			}
		}
	}
	each(n, "metadata", func(md *kyaml.Node) {
		each(md, "annotations", func(a *kyaml.Node) {
			each(a, LastApplied, func(v *kyaml.Node) { out = append(out, v) })
		})
	})
	return out
}

// describe names a YAML value's type for an error.
func describe(n *kyaml.Node) string {
	switch n.Kind {
	case kyaml.MappingNode:
		return "a mapping"
	case kyaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%s %s", n.ShortTag(), n.Value)
}

// yamlErrLine digs the line out of a yaml.v3 error message ("yaml: line 7: …").
func yamlErrLine(err error) int {
	var n int
	msg := err.Error()
	for i := 0; i+len("line ") < len(msg); i++ {
		if msg[i:i+5] == "line " {
			if _, e := fmt.Sscanf(msg[i+5:], "%d", &n); e == nil {
				return n
			}
		}
	}
	return 0
}

// badCharLine is the line of the first character of data that yaml.v3's
// reader refuses, for its errors that name no line ("control characters
// are not allowed", a byte that is no UTF-8); 0 for other errors. The
// reader checks the whole stream as it reads, before the parser sees it.
func badCharLine(err error, data []byte) int {
	msg := err.Error()
	utf8Err := strings.Contains(msg, "UTF-8 octet")
	if !utf8Err && !strings.Contains(msg, "control characters are not allowed") {
		return 0
	}
	line := 1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			if utf8Err {
				return line
			}
		} else if !yamlPrintable(r) {
			return line
		}
		if r == '\n' {
			line++
		}
		i += max(n, 1)
	}
	return 0
}

// unnumberedLine is the line of a yaml.v3 syntax error whose message
// names none, 0 when it cannot tell. yaml.v3's parser counts lines from 0
// and prints "line N: " only for N > 0, so an error on the stream's first
// line (`key: - a`, a `%YAML 1.2` directive, which it refuses) names no
// line; its "unknown anchor" names none wherever the alias is, and the
// alias is then found in the text. Reader errors are badCharLine's.
func unnumberedLine(err error, data []byte) int {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "yaml: unknown anchor '"); ok {
		if name, ok = strings.CutSuffix(name, "' referenced"); ok {
			return aliasLine(data, name)
		}
		return 0
	}
	if strings.Contains(msg, "anchor") || strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters") {
		return 0
	}
	return 1
}

// aliasLine is the line of the first alias *name in data, 0 if none: an
// alias ends at a blank, a line break, a flow indicator or the end, and
// one after a comment's " #" on its line is no alias.
func aliasLine(data []byte, name string) int {
	alias := []byte("*" + name)
	for from := 0; ; {
		i := bytes.Index(data[from:], alias)
		if i < 0 {
			return 0
		}
		i += from
		end := i + len(alias)
		ls := bytes.LastIndexByte(data[:i], '\n') + 1
		before := data[ls:i]
		comment := bytes.HasPrefix(bytes.TrimLeft(before, " \t"), []byte("#")) || bytes.Contains(before, []byte(" #"))
		if !comment && (end == len(data) || strings.IndexByte(" \t\r\n,]}", data[end]) >= 0) {
			return bytes.Count(data[:i], []byte("\n")) + 1
		}
		from = i + 1
	}
}

// yamlPrintable is the check of yaml.v3's reader (readerc.go): tab, line
// breaks, printable ASCII, NEL and the printable ranges of the BMP and
// beyond.
func yamlPrintable(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
		(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// IsSecret reports whether rn is a v1 Secret. Every apiVersion and kind
// key counts, so that a document with a key twice is treated as a Secret
// whichever one its reader believes: what masks values must not trust the
// last key as a JSON decoder does.
func IsSecret(rn *kyaml.RNode) bool {
	n := rn.YNode()
	if n == nil || n.Kind != kyaml.MappingNode {
		return false
	}
	var v1, secret bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k, v := n.Content[i].Value, n.Content[i+1]; k {
		case "apiVersion":
			v1 = v1 || v.Value == "v1"
		case "kind":
			secret = secret || v.Value == "Secret"
		}
	}
	return v1 && secret
}

// SecretValues returns the plain values of rn when it is a v1 Secret that
// is not SOPS-encrypted: every scalar under every data and stringData key
// (a key written twice counts twice), data's base64-decoded when it
// decodes, in document order. These are what inputs, errors and other
// objects may hold in plain text once a template, a replacement or a patch
// copied them; nil for any other object.
func SecretValues(rn *kyaml.RNode) []string {
	if !IsSecret(rn) || IsSOPS(rn) {
		return nil
	}
	var out []string
	c := rn.YNode().Content
	for i := 0; i+1 < len(c); i += 2 {
		f, m := c[i].Value, c[i+1]
		if (f != "data" && f != "stringData") || m.Kind != kyaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(m.Content); j += 2 {
			v := m.Content[j+1]
			if v.Kind != kyaml.ScalarNode {
				continue
			}
			out = append(out, v.Value)
			if f == "data" {
				if b, err := base64.StdEncoding.DecodeString(v.Value); err == nil {
					out[len(out)-1] = string(b)
				}
			}
		}
	}
	return out
}

// ValidDataKey reports whether k is a valid key of a ConfigMap's or
// Secret's data, as the API server checks it. A Secret's key that is not
// one may be a password (a secretGenerator .env line without '='
// becomes one whole key): what shows keys masks it.
func ValidDataKey(k string) bool { return len(validation.IsConfigMapKey(k)) == 0 }

// InvalidSecretKeyMasks numbers the keys of the data and stringData of
// the v1 Secrets among nodes that are not valid keys (ValidDataKey), in
// sorted order, by the mask a diff shows in their place. Given both
// sides of a diff, a key has the same mask on each, so that it still
// shows as kept, added or removed; nil when there is no such key.
func InvalidSecretKeyMasks(nodes ...*kyaml.RNode) map[string]string {
	var bad []string
	for _, n := range nodes {
		if n == nil || !IsSecret(n) {
			continue
		}
		c := n.YNode().Content
		for i := 0; i+1 < len(c); i += 2 {
			if f, v := c[i].Value, c[i+1]; (f == "data" || f == "stringData") && v.Kind == kyaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					if k := v.Content[j].Value; !ValidDataKey(k) {
						bad = append(bad, k)
					}
				}
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	m := map[string]string{}
	for i, k := range slices.Compact(bad) {
		m[k] = "**redacted: invalid key " + strconv.Itoa(i+1) + "**"
	}
	return m
}

// IsSOPS reports whether rn is a SOPS-encrypted document: a mapping whose
// top-level sops key is a mapping holding the mac, as every file the sops
// program writes has.
func IsSOPS(rn *kyaml.RNode) bool {
	n := rn.YNode()
	if n == nil || n.Kind != kyaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "sops" {
			continue
		}
		m := n.Content[i+1]
		if m.Kind != kyaml.MappingNode {
			return false
		}
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == "mac" {
				return true
			}
		}
		return false
	}
	return false
}

// sopsFileMarkers are the bytes by which kustomize-controller knows a
// Secret's data value for a file sops encrypted, by format (its decryptor's
// sopsFormatToMarkerBytes): YAML, JSON (and binary, a JSON envelope),
// dotenv. INI's marker alone, "[sops]", is also an unencrypted file's
// section; its mac is required too.
var sopsFileMarkers = [][]byte{[]byte("mac: ENC["), []byte(`"mac": "ENC[`), []byte("sops_mac=ENC[")}

// PruneAnnotation is Flux's annotation with which kustomize-controller's
// garbage collection leaves an object in the cluster when it is set to
// kustomizev1.DisabledValue ("disabled").
const PruneAnnotation = "kustomize.toolkit.fluxcd.io/prune"

// DecryptAnnotation is Flux's annotation with which kustomize-controller
// leaves an object encrypted when it is set to kustomizev1.DisabledValue
// (DecryptDisabled): for another controller to decrypt in the cluster,
// such as sops-secrets-operator with its SopsSecret.
const DecryptAnnotation = "kustomize.toolkit.fluxcd.io/decrypt"

// DecryptDisabled reports whether the object n carries DecryptAnnotation
// set to "disabled", in any case: kustomize-controller's decryptor
// (IsDecryptionDisabled) compares with strings.EqualFold, and
// DecryptResource then returns before it looks at the object, which is
// applied as it is written, sops key and ciphertext included. An
// encrypted annotation is ciphertext there, so it does not count.
func DecryptDisabled(n *kyaml.Node) bool {
	_, v := Annotation(n, DecryptAnnotation)
	return v != nil && v.Kind == kyaml.ScalarNode && strings.EqualFold(v.Value, "disabled")
}

// NeedsDecryption reports whether kustomize-controller must decrypt rn: a
// SOPS document (IsSOPS), or a Secret with a data value that is a whole
// file the sops program encrypted, base64-encoded, as a kustomize
// secretGenerator makes of an encrypted file. It decrypts either only when
// the Kustomization has decryption; without it the ciphertext is applied.
// An object whose decryption is disabled (DecryptDisabled) needs none:
// kustomize-controller skips it even under decryption, and decryption's
// secretRef would fail the whole Kustomization where that Secret is
// missing, as it is where another controller decrypts.
func NeedsDecryption(rn *kyaml.RNode) bool {
	if DecryptDisabled(rn.YNode()) {
		return false
	}
	if IsSOPS(rn) {
		return true
	}
	n := rn.YNode()
	if n == nil || n.Kind != kyaml.MappingNode || rn.GetKind() != "Secret" {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "data" || n.Content[i+1].Kind != kyaml.MappingNode {
			continue
		}
		m := n.Content[i+1].Content
		for j := 1; j < len(m); j += 2 {
			b, err := base64.StdEncoding.DecodeString(m[j].Value)
			if err == nil && IsSOPSFile(b) {
				return true
			}
		}
	}
	return false
}

// IsSOPSFile reports whether b holds a whole file the sops program
// encrypted (YAML, JSON, binary, dotenv or INI), by the markers
// kustomize-controller looks for in a Secret's data.
func IsSOPSFile(b []byte) bool {
	for _, mk := range sopsFileMarkers {
		if bytes.Contains(b, mk) {
			return true
		}
	}
	return bytes.Contains(b, []byte("[sops]")) && bytes.Contains(b, []byte("mac = ENC["))
}

// documentAt returns the text of the document of the YAML stream data that
// holds the 1-based line, as yaml.v3 counts lines, without its --- separator,
// ending in a newline. Documents are cut before each line that starts with
// a document marker (yamlpos.IsMarker), as yamlpos.Text.Documents cuts them,
// but at yaml.v3's line breaks: besides LF and CRLF, a lone CR, NEL, LS and
// PS end a line for it, so a value holding one (a quoted string with a
// U+2028 from a text pasted from the web) put the document's line past a
// count of LFs, and a SOPS Secret after it was given the bytes of a
// document further down, which kiln then wrote in its place.
func documentAt(data []byte, line int) []byte {
	starts := yamlLineStarts(data)
	first, end := 0, len(data) // the document's first line, and its end
	for i := 1; i < len(starts); i++ {
		if !yamlpos.IsMarker(data[starts[i]:]) {
			continue
		}
		if i > line-1 {
			end = starts[i]
			break
		}
		first = i
	}
	start := starts[first]
	if yamlpos.IsMarker(data[start:end]) {
		start = end
		if first+1 < len(starts) && starts[first+1] < end {
			start = starts[first+1]
		}
	}
	return withNewline(data[start:end])
}

// yamlLineStarts is the offset in data of each line yaml.v3 reads when it
// reads lf(data): its reader (is_break) ends a line at LF, CRLF, a lone CR,
// NEL (U+0085), LS (U+2028) and PS (U+2029). lf makes the CR before a CRLF
// ("\r\r\n") one CRLF with its LF.
func yamlLineStarts(data []byte) []int {
	starts := []int{0}
	for i := 0; i < len(data); i++ {
		if data[i] == '\r' && i+2 < len(data) && data[i+1] == '\r' && data[i+2] == '\n' {
			starts = append(starts, i+3)
			i += 2
			continue
		}
		if w := yamlpos.BreakWidth(data[i:]); w > 0 {
			starts = append(starts, i+w)
			i += w - 1
		}
	}
	return starts
}

func withNewline(b []byte) []byte {
	out := bytes.Clone(b)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out
}

// ListItems returns the items of a collection: any kind ending in "List"
// with an items field, whatever its apiVersion. That is how kustomize's
// resource factory (and so Flux's kustomize-controller) and kubectl read
// a document, so kube-prometheus's RoleBindingList or a `kubectl get -o
// yaml` dump apply as their items; a kind such as AllowList without items
// stays an object.
func ListItems(n *kyaml.Node) (*kyaml.Node, bool) {
	_, kind := Field(n, "kind")
	if kind == nil || kind.Kind != kyaml.ScalarNode || !strings.HasSuffix(kind.Value, "List") {
		return nil, false
	}
	_, items := Field(n, "items")
	return items, items != nil
}

// selfContained makes sure each object of the document rn can be written
// to a file of its own with every alias it holds: kiln writes one object
// a file, and kustomize-controller reads each file on its own.
//
//   - An alias to an anchor of an earlier document is an error. yaml.v3
//     resolves it across the stream, but the document's file would hold a
//     dangling alias, and kustomize (so Flux), kubectl and Helm each read
//     a document on its own and refuse it ("unknown anchor").
//   - Any other document with aliases or merge keys is de-anchored: each
//     alias replaced by a copy of its anchor's value and merge keys (<<)
//     merged, inline or of aliases, as kustomize reads every resource
//     before it transforms it; a chart's output (helm) as helm install
//     reads it instead (yaml11Merges), where a merge key overrides the
//     keys before it.
//     Kiln's image tags, patches and namespaces then change each field
//     on its own: `image: *img` takes CI's tag without changing the
//     annotation that holds the anchor, and a List's items, whose aliases
//     may cross from one to another, become plain trees.
//
// A SOPS document is left as it is: its MAC covers its bytes. No message
// names an anchor: a ${VAR} substituted into a yaml app can make one of a
// secret value.
func selfContained(rn *kyaml.RNode, file string, lineOffset int, helm bool) error {
	root := rn.YNode()
	inDoc := map[*kyaml.Node]bool{}
	var aliases []*kyaml.Node
	var walk func(n *kyaml.Node)
	walk = func(n *kyaml.Node) {
		if n == nil {
			return
		}
		inDoc[n] = true
		if n.Kind == kyaml.AliasNode {
			aliases = append(aliases, n)
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	for _, a := range aliases {
		if !inDoc[a.Alias] {
			return &diag.Error{File: file, Line: lineOffset + a.Line,
				Msg:  "an alias refers to an anchor of an earlier YAML document: each document is read on its own by kustomize (so by Flux), kubectl and Helm, which refuse it",
				Hint: "define the anchor in the same document as its aliases, or write the value out"}
		}
	}
	if IsSOPS(rn) {
		return nil
	}
	if helm {
		yaml11Merges(root, map[*kyaml.Node]bool{})
	}
	// root is a mapping: deAnchorAll changes it in place, as kyaml's would.
	if _, err := deAnchorAll(root); err != nil {
		// kyaml quotes the anchor; kiln does not.
		return &diag.Error{File: file, Line: lineOffset + root.Line, Msg: "cannot resolve the document's YAML aliases", Err: err,
			Hint: "write the values out instead of aliasing them"}
	}
	return nil
}

// JoinPath prints a field path given as segments, keys and "[i]"
// indexes, as sigs.k8s.io/json and the API server print it:
// spec.containers[0].image.
func JoinPath(segs []string) string {
	var b strings.Builder
	for i, s := range segs {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// ItemName returns the scalar name field of n, a list item (a container,
// a port, an env var: the key kubectl and strategic merge tell such items
// apart by), "" for none.
func ItemName(n *kyaml.Node) string {
	if n == nil || n.Kind != kyaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" && n.Content[i+1].Kind == kyaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}
