package helm

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/internal/yamlpos"
	"github.com/kiln-gitops/kiln/templates"
)

// values are the user-supplied values of one render, before they are
// coalesced over the chart's defaults.
type values struct {
	// merged is what `helm template -f a.yaml -f b.yaml` passes to the
	// chart: the files and then the env's values, deep-merged in order.
	merged map[string]any
	// files are the values files read, in order.
	files []namedData
	// userJSON is req.Values as canonical JSON (sorted keys), for the digest.
	userJSON []byte
	// warnings are what the files hold that helm ignores without a word.
	warnings []templates.Warning
}

type namedData struct {
	name string
	data []byte
}

// readValues reads req's values files (each contained in the repository)
// and merges them and req.Values like helm's -f flags: later maps are merged
// key by key into earlier ones, anything else replaces. rec records where
// each file led and its content.
func readValues(req *templates.Request, rec *deps.Recorder) (*values, error) {
	v := &values{merged: map[string]any{}}
	var errs []error
	for _, f := range req.ValuesFiles {
		name := path.Clean(f)
		data, err := readValuesFile(req.Root, f, rec)
		if err != nil {
			errs = append(errs, valuesFileError(name, err))
			continue
		}
		if strings.HasSuffix(name, ".gotmpl") {
			if i := bytes.Index(data, []byte("{{")); i >= 0 {
				errs = append(errs, &diag.Error{File: name, Line: 1 + bytes.Count(data[:i], []byte("\n")),
					Msg:  "values file is a helmfile template (.gotmpl): kiln reads values files as YAML, as helm does, and renders no template in them",
					Hint: "write the values it renders to as plain YAML, with what differs per environment in the env file's values (docs/templates.md)"})
				continue
			}
		}
		m, err := chartutil.ReadValues(data)
		if err != nil {
			hint, line := "values files must be YAML mappings", yamlLine(err)
			switch {
			case line > 0 || diag.YAMLUnknownEscape(err):
				// The decoder names a line only for a syntax error, but
				// not for every one: Helm's (yaml.v2) names none for an
				// escape YAML does not have.
				hint = diag.YAMLSyntaxHint(err)
			case strings.Contains(err.Error(), "!!binary"):
				// Nor for a !!binary that is not base64: find it.
				hint, line = "a !!binary value must be base64: write its base64, or the text itself without the tag", binaryLine(data)
			}
			errs = append(errs, &diag.Error{File: name, Line: line, Msg: "invalid values file: " + redact.YAML(err.Error()), Hint: hint, Err: err})
			continue
		}
		if sopsValues(m) {
			errs = append(errs, &diag.Error{File: name, Line: topKeyLine(data, "sops"),
				Msg:  "values file is SOPS-encrypted (as helm-secrets keeps secrets.yaml): kiln does not decrypt values files, so the chart would be given the ciphertext",
				Hint: "kiln gives Helm no secrets: point the chart at a Secret of its own (an existingSecret value) kept SOPS-encrypted in a yaml or kustomize app, which Flux decrypts, or render that Secret in a yaml or jsonnet app from secretVars with sops: in the env file (docs/secrets.md); and drop this file from helm.values"})
			continue
		}
		if line := extraDocumentLine(data); line > 0 {
			v.warnings = append(v.warnings, templates.Warning{File: name, Line: line,
				Msg:  "values file holds a second YAML document: helm reads only the first, and so does kiln; the values after this --- are not used",
				Hint: "merge the documents into one mapping, or put each into a file of its own and list them all in helm.values"})
		}
		v.files = append(v.files, namedData{name: name, data: data})
		v.merged = mergeMaps(v.merged, m)
	}
	js, err := json.Marshal(req.Values)
	if err == nil {
		var m chartutil.Values
		// A JSON round trip gives the env's values the same types as values
		// read from a file, so templates see them alike.
		m, err = chartutil.ReadValues(js)
		if err == nil {
			v.userJSON = js
			v.merged = mergeMaps(v.merged, m)
		}
	}
	if err != nil {
		errs = append(errs, &diag.Error{Msg: "the environment's helm values cannot be encoded: " + err.Error(), Hint: "use only YAML maps, lists, strings, numbers and booleans in values", Err: err})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return v, nil
}

// extraDocumentLine is the line of the "---" that starts a values file's
// second YAML document, when that document holds anything (or does not
// parse): helm's values reader (sigs.k8s.io/yaml) takes the first document
// and drops the others silently, so that `-f all.yaml` of files joined
// with --- loses all but the first. 0 when there is none.
func extraDocumentLine(data []byte) int {
	// Almost every values file is one document: it is parsed once, not
	// twice, unless a line could start another (--- or a ... end).
	if !bytes.Contains(data, []byte("\n---")) && !bytes.Contains(data, []byte("\n...")) {
		return 0
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first yaml.Node
	if dec.Decode(&first) != nil {
		return 0 // one document, or none: ReadValues has judged it
	}
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return 0
		}
		if err == nil && (len(doc.Content) == 0 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null") {
			continue // an empty document, such as a trailing ---
		}
		// The marker before the document, or before the line that did
		// not parse.
		lines := bytes.Split(data, []byte("\n"))
		from := first.Line
		if len(first.Content) > 0 {
			from = first.Content[0].Line
		}
		for i := from; i < len(lines); i++ {
			if l := bytes.TrimRight(lines[i], "\r"); bytes.HasPrefix(l, []byte("---")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t') {
				return i + 1
			}
		}
		return 0
	}
}

// sopsValues reports whether m, a values file's values, is a document the
// sops program encrypted: a top-level sops mapping holding the mac, as
// objects.IsSOPS judges a manifest.
func sopsValues(m map[string]any) bool {
	s, ok := m["sops"].(map[string]any)
	if !ok {
		return false
	}
	_, ok = s["mac"]
	return ok
}

// topKeyLine is the line of the top-level key of the YAML document data,
// 0 when it is not found.
func topKeyLine(data []byte, key string) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	m := doc.Content[0]
	for i := 0; m.Kind == yaml.MappingNode && i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

// readValuesFile is rootfs.ReadFile, recorded.
func readValuesFile(root, p string, rec *deps.Recorder) ([]byte, error) {
	real, err := rec.Resolve(root, p)
	if err != nil {
		return nil, err
	}
	data, err := limits.ReadFileAs(real, p)
	if err != nil {
		return nil, err
	}
	rec.File(p, data)
	return data, nil
}

func valuesFileError(name string, err error) error {
	var oe *rootfs.OutsideError
	switch {
	case errors.As(err, &oe):
		return &diag.Error{File: name, Msg: "values file " + oe.Error(), Hint: "values files must be inside the repository; fix the path in the app's helm.values", Err: err}
	case errors.Is(err, fs.ErrNotExist):
		return &diag.Error{File: name, Msg: "values file not found", Hint: "values file paths are relative to the repository root; fix the path in the app's helm.values", Err: err}
	}
	return &diag.Error{File: name, Msg: "reading values file: " + err.Error(), Err: err}
}

// mergeMaps is helm's own merge for -f values files (pkg/cli/values,
// unexported there): maps merge recursively, other values replace.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := asMap(v); ok {
			if am, ok := asMap(out[k]); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case chartutil.Values:
		return m, true
	}
	return nil, false
}

// yamlLineRe finds the line in sigs.k8s.io/yaml errors, which carry it only
// in their text ("yaml: line 3: ...").
var yamlLineRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`yaml: line (\d+):`) })

// binaryLine is the line of data's first !!binary that is not base64, 0
// when there is none or data does not parse.
func binaryLine(data []byte) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return 0
	}
	if b := yamlpos.BadBinary(&doc); b != nil {
		return b.Line
	}
	return 0
}

func yamlLine(err error) int {
	if m := yamlLineRe().FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// setAt names where the user's values set the value at path (a values
// schema mismatch's location), as the subject of a sentence: "the
// environment's values set" when they do, as they merge last, else the
// last values file that does, at the line of its key ("values/prod.yaml:4
// sets"). "" when none does: the chart's default is at fault.
func (v *values) setAt(path []string, env map[string]any) string {
	if _, ok := lookupPath(env, path); ok {
		return "the environment's values set"
	}
	for i := len(v.files) - 1; i >= 0; i-- {
		f := v.files[i]
		var doc yaml.Node
		if yaml.Unmarshal(f.data, &doc) != nil || len(doc.Content) == 0 {
			continue
		}
		if line := nodeLine(doc.Content[0], path); line > 0 {
			return f.name + ":" + strconv.Itoa(line) + " sets"
		}
	}
	return ""
}

// lookupPath is the value at path in m.
func lookupPath(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, k := range path {
		switch c := cur.(type) {
		case map[string]any:
			x, ok := c[k]
			if !ok {
				return nil, false
			}
			cur = x
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, len(path) > 0
}

// nodeLine is the line of the key (or list item) at path under n, 0 when
// n does not set it.
func nodeLine(n *yaml.Node, path []string) int {
	line := 0
	for _, k := range path {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			// The last of a key written twice is the one YAML readers keep.
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					line, next = n.Content[i].Line, n.Content[i+1]
				}
			}
			if next == nil {
				return 0
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(n.Content) {
				return 0
			}
			n = n.Content[i]
			line = n.Line
		default:
			return 0
		}
	}
	return line
}
