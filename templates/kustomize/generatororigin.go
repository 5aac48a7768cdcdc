package kustomize

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// A ConfigMap or Secret a generator made has no document of its own: its
// origin names the kustomization, without a line, and an error about one
// of its keys (a key with a space or a '/', which the API server refuses)
// sent a reviewer to search the kustomization, whose generator may list
// several .env files, for a key that is written in none of them. Each
// key was written in one place: a line of an .env file, a literal, a
// files: entry; kiln points the key at it, and the rest of the object at
// the generator's entry. Only keys are read and matched, never values:
// a Secret's values stay out of every error.

// generatorAt is one configMapGenerator or secretGenerator entry of a
// kustomization, with the lines of what it lists.
type generatorAt struct {
	kf    *kfile
	field string // configMapGenerator or secretGenerator
	kind  string // ConfigMap or Secret
	name  string
	ns    string
	line  int
	entry *yaml.Node
	keys  map[string]templates.FieldAt // the keys it writes, by key; nil until read
}

// generatorFields sets, for each object of objs a generator of kfs made
// (the tree's kustomizations, top last, as patchFields orders them), the
// object's line to the generator's entry and found[i] to where each of
// its keys was written. A later kustomization's generator (behavior:
// merge in an overlay) wins a key over an earlier one's.
func generatorFields(fsys *securefs.FS, kfs []*kfile, objs []templates.Object, found []map[string]templates.FieldAt) {
	var gens []*generatorAt
	for i := range objs {
		o := &objs[i]
		if o.Line > 0 || o.Node == nil {
			continue
		}
		kind := o.Node.GetKind()
		if kind != "ConfigMap" && kind != "Secret" {
			continue
		}
		if gens == nil {
			gens = treeGenerators(fsys, kfs)
			if len(gens) == 0 {
				return
			}
		}
		name, ns := o.Node.GetName(), o.Node.GetNamespace()
		var own *generatorAt
		for _, g := range gens {
			if g.kind != kind || !strings.Contains(name, g.name) || g.ns != "" && g.ns != ns {
				continue
			}
			if g.kf.path == o.File && (own == nil || len(g.name) > len(own.name)) {
				own = g
			}
		}
		if own == nil {
			continue
		}
		o.Line = own.line
		// The lines of kustomize's output are not the kustomization's:
		// every field without a place of its own is the entry's.
		zeroLines(o.Node.YNode())
		for _, g := range gens {
			if g.kind != kind || g.name != own.name || g.ns != own.ns {
				continue
			}
			for _, data := range []string{"data", "binaryData"} {
				m := o.Node.Field(data)
				if m == nil || m.Value == nil || m.Value.YNode().Kind != kyaml.MappingNode {
					continue
				}
				for _, k := range m.Value.YNode().Content {
					at, ok := g.keysOf(fsys)[k.Value]
					if !ok {
						continue
					}
					if found[i] == nil {
						found[i] = map[string]templates.FieldAt{}
					}
					at.Path = data + "." + k.Value
					found[i][at.Path] = at
				}
			}
		}
	}
}

// treeGenerators lists the generator entries of kfs, in kfs's order.
func treeGenerators(fsys *securefs.FS, kfs []*kfile) []*generatorAt {
	out := []*generatorAt{}
	for _, kf := range kfs {
		for _, g := range []struct{ field, kind string }{{"configMapGenerator", "ConfigMap"}, {"secretGenerator", "Secret"}} {
			kv := kf.field([]string{g.field})
			if kv == nil || kv.value.Kind != yaml.SequenceNode {
				continue
			}
			for _, e := range kv.value.Content {
				var entry struct {
					Name      string `yaml:"name"`
					Namespace string `yaml:"namespace"`
				}
				if e.Kind != yaml.MappingNode || e.Decode(&entry) != nil || entry.Name == "" {
					continue
				}
				out = append(out, &generatorAt{kf: kf, field: g.field, kind: g.kind, name: entry.Name, ns: entry.Namespace, line: e.Line, entry: e})
			}
		}
	}
	return out
}

// keysOf returns where each key of g was written, reading its .env files
// on first use; a file that cannot be read places none of its keys.
func (g *generatorAt) keysOf(fsys *securefs.FS) map[string]templates.FieldAt {
	if g.keys != nil {
		return g.keys
	}
	g.keys = map[string]templates.FieldAt{}
	g.sources(fsys, func(key, file string, line int) {
		// A key written twice: kustomize refuses it (repeatedKey).
		if _, twice := g.keys[key]; !twice && key != "" {
			g.keys[key] = templates.FieldAt{File: file, Line: line, Generator: g.field + " " + g.name}
		}
	})
	return g.keys
}

// sources calls at with each key g writes and where, in the order
// kustomize's kv loader reads them: envs, then literals, then files.
func (g *generatorAt) sources(fsys *securefs.FS, at func(key, file string, line int)) {
	for _, field := range []string{"envs", "literals", "files"} {
		for _, item := range g.items(field) {
			switch field {
			case "envs":
				g.envKeys(fsys, item.Value, at)
			case "literals":
				// As kustomize's parseLiteralSource: the key ends at the
				// first '='; the value is neither read nor kept.
				if key, _, ok := strings.Cut(item.Value, "="); ok {
					at(key, g.kf.path, item.Line)
				}
			case "files":
				key, p := item.Value, item.Value
				if n := strings.Count(item.Value, "="); n == 1 {
					key, _, _ = strings.Cut(item.Value, "=")
				} else if n == 0 {
					key = path.Base(p)
				}
				at(key, g.kf.path, item.Line)
			}
		}
	}
}

// items returns the scalars g's entry lists under field; for envs, the
// deprecated env: last, where kustomize's FixKustomization appends it.
func (g *generatorAt) items(field string) []*yaml.Node {
	var out, env []*yaml.Node
	for i := 0; i+1 < len(g.entry.Content); i += 2 {
		k, v := g.entry.Content[i].Value, g.entry.Content[i+1]
		switch {
		case field == "envs" && k == "env" && v.Kind == yaml.ScalarNode && v.Value != "":
			env = []*yaml.Node{v}
		case k == field && v.Kind == yaml.SequenceNode:
			for _, item := range v.Content {
				if item.Kind == yaml.ScalarNode {
					out = append(out, item)
				}
			}
		}
	}
	return append(out, env...)
}

// envFile reads the .env file src of g; file is its repository path.
func (g *generatorAt) envFile(fsys *securefs.FS, src string) (data []byte, file string, ok bool) {
	if remote(src) {
		return nil, "", false
	}
	p := src
	if !filepath.IsAbs(p) {
		p = filepath.Join(g.kf.dir, filepath.FromSlash(src))
	}
	data, err := fsys.ReadFile(p)
	if err != nil {
		return nil, "", false
	}
	return data, rootfs.Rel(fsys.Root(), p), true
}

// envKeys calls at with each key of the .env file src and its line, read
// as kustomize's kv loader reads it: lines split at '\n' (a '\r' before
// it dropped), a BOM on the first, leading blanks trimmed, blank lines and
// comments skipped, the key up to the first '='.
func (g *generatorAt) envKeys(fsys *securefs.FS, src string, at func(key, file string, line int)) {
	data, file, ok := g.envFile(fsys, src)
	if !ok {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for n := 0; sc.Scan(); n++ {
		line := sc.Bytes()
		if n == 0 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		line = bytes.TrimLeftFunc(line, unicode.IsSpace)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, _, _ := bytes.Cut(line, []byte("="))
		at(string(key), file, n+1)
	}
}

// repeatedKey points de, kustomize's error that generator name of f
// gives key twice, at the second place that writes it, where kustomize
// stopped, and names the first in the hint. It reports false when no
// generator of f writes key twice (another kustomization's, or files
// kiln cannot read).
func repeatedKey(de *diag.Error, fsys *securefs.FS, f *kfile, name, key string) bool {
	for _, g := range treeGenerators(fsys, []*kfile{f}) {
		if g.name != name {
			continue
		}
		var at []string
		g.sources(fsys, func(k, file string, line int) {
			if k == key && len(at) < 2 {
				at = append(at, file+":"+strconv.Itoa(line))
				if len(at) == 2 {
					de.File, de.Line = file, line
				}
			}
		})
		if len(at) == 2 {
			de.Hint = fmt.Sprintf("%s %s (%s:%d) gives the key %s here and at %s: give each its own key (files: [other-key=path]), or drop one", g.field, name, f.path, g.line, key, at[0])
			return true
		}
	}
	return false
}

// invalidUTF8Line points de, kustomize's error that a line of an .env
// file of a generator of f is not UTF-8 (which names neither the line
// nor the generator), at the first such line of the generators' .env
// files, in kustomize's order.
func invalidUTF8Line(de *diag.Error, fsys *securefs.FS, f *kfile) bool {
	for _, g := range treeGenerators(fsys, []*kfile{f}) {
		for _, src := range g.items("envs") {
			data, file, ok := g.envFile(fsys, src.Value)
			if !ok {
				continue
			}
			for n, line := range strings.Split(string(data), "\n") {
				if !utf8.ValidString(line) {
					de.File, de.Line = file, n+1
					de.Hint = fmt.Sprintf("save %s as UTF-8 (%s %s at %s:%d reads it); a binary value belongs in a files: entry", path.Base(file), g.field, g.name, f.path, g.line)
					return true
				}
			}
		}
	}
	return false
}
