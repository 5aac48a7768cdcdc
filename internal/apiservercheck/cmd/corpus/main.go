// Command corpus writes the objects make apiservercheck judges, one YAML
// document per file: the real sources of testdata/manifests and their
// CRDs, this package's test data, the Flux CRDs kiln embeds, optionally a
// rendered tree (make demo's), and single mutations of them all.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

//go:embed mutations.yaml
var mutationsYAML []byte

func main() {
	repo := flag.String("repo", "../..", "the kiln repository")
	rendered := flag.String("rendered", "", "a rendered tree to add (make demo's ./rendered)")
	out := flag.String("out", "", "the folder to write the corpus to (in/ and crds/ under it)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "corpus: -out is required")
		os.Exit(2)
	}
	c := &corpus{in: filepath.Join(*out, "in"), crds: filepath.Join(*out, "crds")}
	if err := c.build(*repo, *rendered); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
	fmt.Printf("corpus: %d objects in %s, %d CRDs in %s\n", c.n, c.in, c.ncrd, c.crds)
}

type corpus struct {
	in, crds string
	n, ncrd  int
}

func (c *corpus) build(repo, rendered string) error {
	for _, d := range []string{c.in, c.crds} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	manifests := filepath.Join(repo, "testdata", "manifests")
	sources, err := os.ReadDir(manifests)
	if err != nil {
		return err
	}
	var realDocs []doc
	for _, s := range sources {
		if !s.IsDir() {
			continue
		}
		docs, err := c.split(filepath.Join(manifests, s.Name()), "real", "real-"+s.Name(), true)
		if err != nil {
			return err
		}
		realDocs = append(realDocs, docs...)
	}
	validate := filepath.Join(repo, "render", "internal", "validate")
	pkgDocs, err := c.split(filepath.Join(validate, "testdata"), "pkg", "pkg", false)
	if err != nil {
		return err
	}
	// Their objects are mutated as the real ones: the Flux objects kiln
	// writes and the package's own fixtures.
	realDocs = append(realDocs, pkgDocs...)
	// The widget CRD of the package's test data is the env's, as its
	// tests give it.
	if _, err := c.splitFile(filepath.Join(validate, "testdata", "widget-crd.yaml"), "pkg", "pkgcrd", true); err != nil {
		return err
	}
	flux, err := c.split(filepath.Join(validate, "fluxcrds"), "flux", "flux", true)
	if err != nil {
		return err
	}
	if rendered != "" {
		if err := filepath.WalkDir(rendered, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") || d.Name() == "kustomization.yaml" {
				return err // kustomize's own file, not an object
			}
			rel, _ := filepath.Rel(rendered, p)
			docs, err := c.splitFile(p, "demo", "demo-"+strings.ReplaceAll(strings.TrimSuffix(rel, ".yaml"), string(filepath.Separator), "_"), false)
			realDocs = append(realDocs, docs...)
			return err
		}); err != nil {
			return err
		}
	}
	if err := c.mutations(); err != nil {
		return err
	}
	if err := c.names(filepath.Join(repo, "internal", "builtinkinds", "builtin.txt")); err != nil {
		return err
	}
	for _, d := range realDocs {
		if err := c.mutateObject(d); err != nil {
			return err
		}
	}
	for _, d := range append(realDocs, flux...) {
		if err := c.mutateCRD(d); err != nil {
			return err
		}
	}
	return nil
}

// doc is one document of a source file, as written.
type doc struct {
	name string
	text []byte
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$\n?`)
var crdKind = regexp.MustCompile(`(?m)^kind:\s*CustomResourceDefinition\s*$`)

// split writes each document of each .yaml (or .yaml.gz) file of dir to
// its own file under in/<sub>, and the CRDs also to crds/ when crds.
func (c *corpus) split(dir, sub, prefix string, crds bool) ([]doc, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var all []doc
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || n == "kustomization.yaml" || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yaml.gz") || strings.HasSuffix(n, ".scaffold")) {
			continue
		}
		docs, err := c.splitFile(filepath.Join(dir, n), sub, prefix, crds)
		if err != nil {
			return nil, err
		}
		all = append(all, docs...)
	}
	return all, nil
}

func (c *corpus) splitFile(path, sub, prefix string, crds bool) ([]doc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	base := filepath.Base(path)
	for _, s := range []string{".gz", ".yaml", ".scaffold"} {
		base = strings.ReplaceAll(base, s, "")
	}
	var docs []doc
	for _, part := range docSep.Split(string(data), -1) {
		if !hasContent(part) {
			continue
		}
		if !strings.HasSuffix(part, "\n") {
			part += "\n"
		}
		d := doc{name: fmt.Sprintf("%s__%s__%03d", prefix, base, len(docs)), text: []byte(part)}
		docs = append(docs, d)
		if err := c.write(sub, d.name, d.text); err != nil {
			return nil, err
		}
		if crds && crdKind.Match(d.text) {
			if err := os.MkdirAll(c.crds, 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(c.crds, d.name+".yaml"), d.text, 0o644); err != nil {
				return nil, err
			}
			c.ncrd++
		}
	}
	return docs, nil
}

func hasContent(part string) bool {
	for _, l := range strings.Split(part, "\n") {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, "#") && t != "null" && t != "~" && t != "..." {
			return true
		}
	}
	return false
}

func (c *corpus) write(sub, name string, data []byte) error {
	dir := filepath.Join(c.in, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name = strings.NewReplacer("/", "_", ":", "_").Replace(name)
	if len(name) > 180 {
		// File systems take 255 bytes a name: keep its ends, and a digest
		// of the whole so that two long names stay apart.
		sum := sha256.Sum256([]byte(name))
		name = name[:100] + "-" + hex.EncodeToString(sum[:6]) + "-" + name[len(name)-60:]
	}
	c.n++
	return os.WriteFile(filepath.Join(dir, name+".yaml"), data, 0o644)
}

func (c *corpus) writeObject(sub, name string, obj any) error {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(obj); err != nil {
		return err
	}
	return c.write(sub, name, b.Bytes())
}

// mutations writes mutations.yaml's single mutations of its bases, and its
// raw documents (what only YAML text can say: duplicate keys, anchors,
// YAML 1.1 booleans, tags).
func (c *corpus) mutations() error {
	var m struct {
		Bases     map[string]any `yaml:"bases"`
		Mutations []struct {
			Base  string `yaml:"base"`
			Label string `yaml:"label"`
			Ops   []struct {
				Path   []any `yaml:"path"`
				Value  any   `yaml:"value"`
				Delete bool  `yaml:"delete"`
			} `yaml:"ops"`
		} `yaml:"mutations"`
		Raw []struct {
			Name string `yaml:"name"`
			Text string `yaml:"text"`
		} `yaml:"raw"`
	}
	if err := yaml.Unmarshal(mutationsYAML, &m); err != nil {
		return fmt.Errorf("mutations.yaml: %w", err)
	}
	for _, mu := range m.Mutations {
		obj := expand(deepCopy(m.Bases[mu.Base]))
		ok := true
		for _, op := range mu.Ops {
			if !set(obj, op.Path, expand(op.Value), op.Delete) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		if err := c.writeObject("gen", mu.Base+"__"+mu.Label, obj); err != nil {
			return err
		}
	}
	for _, r := range m.Raw {
		if err := c.write("gen", r.Name, []byte(r.Text)); err != nil {
			return err
		}
	}
	return nil
}

// expand replaces each {$repeat: c, $times: n} of v by n copies of c.
func expand(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if r, ok := t["$repeat"].(string); ok {
			return strings.Repeat(r, t["$times"].(int))
		}
		for k, x := range t {
			t[k] = expand(x)
		}
	case []any:
		for i, x := range t {
			t[i] = expand(x)
		}
	}
	return v
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

// set sets (or deletes) the value at path in obj; false when the path
// does not reach into obj.
func set(obj any, path []any, v any, del bool) bool {
	if len(path) == 0 {
		return false
	}
	cur := obj
	for _, k := range path[:len(path)-1] {
		switch t := cur.(type) {
		case map[string]any:
			s, ok := k.(string)
			if !ok {
				return false
			}
			if cur, ok = t[s]; !ok {
				return false
			}
		case []any:
			i, ok := k.(int)
			if !ok || i >= len(t) {
				return false
			}
			cur = t[i]
		default:
			return false
		}
	}
	last := path[len(path)-1]
	switch t := cur.(type) {
	case map[string]any:
		s, ok := last.(string)
		if !ok {
			return false
		}
		if del {
			delete(t, s)
		} else {
			t[s] = v
		}
	case []any:
		i, ok := last.(int)
		if !ok || i > len(t) || (del && i == len(t)) {
			return false
		}
		if del {
			return false // removing a list item: not a mutation mutations.yaml uses
		}
		if i == len(t) {
			return false
		}
		t[i] = v
	default:
		return false
	}
	return true
}

// groupVersions are the versions tried for each group's kinds in the name
// sweep; a version a cluster does not serve is refused by both sides.
var groupVersions = map[string][]string{
	"": {"v1"}, "apps": {"v1"}, "batch": {"v1"}, "autoscaling": {"v2"}, "policy": {"v1"},
	"rbac.authorization.k8s.io": {"v1"}, "networking.k8s.io": {"v1", "v1beta1"}, "storage.k8s.io": {"v1", "v1beta1"},
	"admissionregistration.k8s.io": {"v1", "v1beta1"}, "certificates.k8s.io": {"v1", "v1beta1"},
	"coordination.k8s.io": {"v1", "v1beta1"}, "discovery.k8s.io": {"v1"}, "events.k8s.io": {"v1"},
	"flowcontrol.apiserver.k8s.io": {"v1"}, "node.k8s.io": {"v1"}, "scheduling.k8s.io": {"v1"},
	"resource.k8s.io": {"v1"}, "apiextensions.k8s.io": {"v1"}, "apiregistration.k8s.io": {"v1"},
	"storagemigration.k8s.io": {"v1beta1", "v1alpha1"}, "internal.apiserver.k8s.io": {"v1beta1", "v1alpha1"},
	"authentication.k8s.io": {"v1"}, "authorization.k8s.io": {"v1"},
}

// names writes, for every built-in kind, objects with nothing but a name,
// each breaking one naming rule: which rule a kind's name follows is what
// they find (kiln's table of special kinds against the API server's
// validation of each).
func (c *corpus) names(builtin string) error {
	data, err := os.ReadFile(builtin)
	if err != nil {
		return err
	}
	names := map[string]string{"upper": "PodInfo", "underscore": "pod_info", "dot": "a.b", "long64": strings.Repeat("a", 64),
		"long254": strings.Repeat("a", 254), "digit": "1abc", "colon": "a:b", "ok": "abc"}
	labels := make([]string, 0, len(names))
	for l := range names {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(line, "#") {
			continue
		}
		group, kind, _ := strings.Cut(f[0], "/")
		versions, ok := groupVersions[group]
		if !ok {
			versions = []string{"v1", "v1beta1", "v1alpha1"}
		}
		for _, v := range versions {
			apiVersion := v
			if group != "" {
				apiVersion = group + "/" + v
			}
			for _, l := range labels {
				meta := fmt.Sprintf("  name: %q\n", names[l])
				if f[1] == "namespaced" {
					meta += "  namespace: apps\n"
				}
				g := group
				if g == "" {
					g = "core"
				}
				if err := c.write("names", fmt.Sprintf("%s_%s_%s__%s", g, v, kind, l), []byte("apiVersion: "+apiVersion+"\nkind: "+kind+"\nmetadata:\n"+meta)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// leaf is one field of an object and its value.
type leaf struct {
	path []any
	v    any
}

// leaves lists every field of o, and of the first two items of each list,
// in a stable order.
func leaves(o any, path []any, out *[]leaf) {
	switch t := o.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(append([]any{}, path...), k)
			*out = append(*out, leaf{p, t[k]})
			leaves(t[k], p, out)
		}
	case []any:
		for i, x := range t {
			if i == 2 {
				break
			}
			p := append(append([]any{}, path...), i)
			*out = append(*out, leaf{p, x})
			leaves(x, p, out)
		}
	}
}

type mutation struct {
	what string
	path []any
	v    any
	del  bool
}

// spread keeps at most n of ms, evenly spaced, so that every part of a
// large object is reached.
func spread(ms []mutation, n int) []mutation {
	if len(ms) <= n {
		return ms
	}
	out := make([]mutation, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, ms[i*len(ms)/n])
	}
	return out
}

func pathName(p []any) string {
	s := make([]string, len(p))
	for i, x := range p {
		s[i] = fmt.Sprint(x)
	}
	n := strings.Join(s, "-")
	if len(n) > 70 {
		n = n[len(n)-70:]
	}
	return n
}

func parseDoc(d doc) (map[string]any, bool) {
	var o map[string]any
	if err := yaml.Unmarshal(d.text, &o); err != nil || o == nil {
		return nil, false
	}
	return o, true
}

// mutateObject writes single mutations of an object that is no CRD:
// each scalar given a value of another type, each field removed or null,
// each list emptied.
func (c *corpus) mutateObject(d doc) error {
	o, ok := parseDoc(d)
	if !ok || o["kind"] == "CustomResourceDefinition" || o["kind"] == nil {
		return nil
	}
	var ls []leaf
	leaves(o, nil, &ls)
	var ms []mutation
	for _, l := range ls {
		if s, _ := l.path[0].(string); s == "apiVersion" || s == "kind" {
			continue
		}
		if len(l.path) == 2 && l.path[0] == "metadata" && (l.path[1] == "name" || l.path[1] == "namespace") {
			continue
		}
		switch v := l.v.(type) {
		case bool:
			ms = append(ms, mutation{"flip", l.path, "yes", false})
		case int:
			ms = append(ms, mutation{"flip", l.path, fmt.Sprint(v) + "x", false})
		case string:
			ms = append(ms, mutation{"flip", l.path, 12345, false})
		case []any:
			ms = append(ms, mutation{"empty", l.path, []any{}, false})
		}
		if _, isIndex := l.path[len(l.path)-1].(int); !isIndex {
			ms = append(ms, mutation{"del", l.path, nil, true})
		}
		ms = append(ms, mutation{"null", l.path, nil, false})
	}
	for i, m := range spread(ms, 60) {
		obj := deepCopy(o)
		if !set(obj, m.path, m.v, m.del) {
			continue
		}
		if err := c.writeObject("crmut", fmt.Sprintf("%s__%02d-%s-%s", d.name, i, m.what, pathName(m.path)), obj); err != nil {
			return err
		}
	}
	return nil
}

// crdMutations are the schema keywords set on schema nodes of a CRD.
var crdMutations = []struct {
	label, key string
	v          any
}{
	{"type-bad", "type", "strin"}, {"uniq", "uniqueItems", true}, {"fmt", "format", "nonsense"},
	{"pattern-bad", "pattern", "(["}, {"maxlen-neg", "maxLength", -1}, {"enum-empty", "enum", []any{}},
	{"pres", "x-kubernetes-preserve-unknown-fields", false}, {"int-or-string", "x-kubernetes-int-or-string", true},
	{"nullable", "nullable", true}, {"default-str", "default", "x"},
	{"rule-bad", "x-kubernetes-validations", []any{map[string]any{"rule": "self.nope +"}}},
	{"rule-ok", "x-kubernetes-validations", []any{map[string]any{"rule": "true"}}},
	{"maptype-bad", "x-kubernetes-map-type", "sometimes"}, {"listtype-map-nokeys", "x-kubernetes-list-type", "map"},
	{"desc-int", "description", 5},
}

// mutateCRD writes single mutations of a real CRD (up to 400 KB), moved
// to a group of its own so that the API server's dry run creates it
// rather than updating the CRD the env installed.
func (c *corpus) mutateCRD(d doc) error {
	if len(d.text) > 400_000 {
		return nil
	}
	o, ok := parseDoc(d)
	if !ok || o["kind"] != "CustomResourceDefinition" {
		return nil
	}
	spec, _ := o["spec"].(map[string]any)
	names, _ := spec["names"].(map[string]any)
	meta, _ := o["metadata"].(map[string]any)
	if spec == nil || names == nil || meta == nil {
		return nil
	}
	group := fmt.Sprintf("mut%d.example.com", c.n)
	spec["group"] = group
	meta["name"] = fmt.Sprint(names["plural"]) + "." + group
	delete(meta, "annotations")
	if err := c.writeObject("crdmut", d.name+"__ok", o); err != nil {
		return err
	}
	var ls []leaf
	leaves(o, nil, &ls)
	var ms []mutation
	for _, l := range ls {
		inSchema := false
		for _, k := range l.path {
			if k == "openAPIV3Schema" {
				inSchema = true
			}
		}
		if len(l.path) == 2 && ((l.path[0] == "metadata" && l.path[1] == "name") || (l.path[0] == "spec" && l.path[1] == "group")) {
			continue
		}
		if m, isMap := l.v.(map[string]any); isMap && (l.path[len(l.path)-1] == "openAPIV3Schema" || (inSchema && m["type"] != nil)) {
			for _, cm := range crdMutations {
				ms = append(ms, mutation{cm.label, append(append([]any{}, l.path...), cm.key), cm.v, false})
			}
		}
		switch l.v.(type) {
		case string, int, bool:
			if !inSchema {
				v := any(12345)
				if _, isString := l.v.(string); !isString {
					v = "x"
				}
				ms = append(ms, mutation{"flip", l.path, v, false})
			}
		}
		if _, isIndex := l.path[len(l.path)-1].(int); !isIndex && (!inSchema || len(l.path) < 9) {
			ms = append(ms, mutation{"del", l.path, nil, true})
		}
	}
	for i, m := range spread(ms, 80) {
		obj := deepCopy(o)
		if !set(obj, m.path, m.v, m.del) {
			continue
		}
		if err := c.writeObject("crdmut", fmt.Sprintf("%s__%02d-%s-%s", d.name, i, m.what, pathName(m.path)), obj); err != nil {
			return err
		}
	}
	return nil
}
