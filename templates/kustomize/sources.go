package kustomize

import (
	"bytes"
	"errors"
	"io"
	"path"
	"path/filepath"
	"reflect"
	"strings"

	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// kiln names each object's source file and line in its errors. kustomize
// tells it through origin annotations (originFS), but asking for them makes
// krusty also record, after every transformer, a transformation annotation
// on every object, each a YAML round trip: a tenth of a fleet's render. For
// a plain tree the annotations are not needed: every object comes from a
// document of one of the tree's resource files, keeps its kind, and keeps
// its name inside the one kustomize gives it (prefixes and suffixes only add
// to it). So the resource files holding a document of the object's kind
// whose name is the object's or inside it always include the object's own,
// and when there is only one, it is the file the origin annotation would
// name. When there is not (two files could be the source), kiln builds again
// with the annotations.

// plainTree is what precheck found in a plain kustomization tree.
type plainTree struct {
	// files are the resource files of the tree, repository-relative; each
	// is also the path kustomize's origin annotation gives, joined to the
	// top kustomization's folder.
	files []string
}

// plainKustomization reports whether k only lists resources and sets
// fields that keep each object's kind and leave its name inside the new
// one. Anything else (patches and replacements may rename, generators and
// components add objects of their own, a List document becomes several
// objects, buildMetadata changes what kustomize writes) is not plain: an
// allowlist, so that a field kustomize adds later is not plain either.
func plainKustomization(k *types.Kustomization) bool {
	if k.Kind != types.KustomizationKind {
		return false
	}
	for _, l := range k.Labels {
		if len(l.FieldSpecs) > 0 {
			return false
		}
	}
	rest := *k
	rest.TypeMeta = types.TypeMeta{}
	rest.MetaData = nil
	rest.Resources = nil
	rest.NamePrefix, rest.NameSuffix, rest.Namespace = "", "", ""
	rest.CommonLabels, rest.Labels, rest.CommonAnnotations = nil, nil, nil
	rest.Images, rest.Replicas = nil, nil
	rest.SortOptions = nil
	rest.Crds = nil
	return reflect.ValueOf(rest).IsZero()
}

// source is where an object came from: a file and the line of its
// document, 0 when unknown, and that document's root node, nil when
// unknown.
type source struct {
	file string
	line int
	doc  *kyaml.Node
}

// capturingFS keeps what kustomize read, by cleaned absolute path, so
// that the resource files' documents are listed from the bytes the build
// used, without reading (and checking, and recording) each file again.
// A build runs on one goroutine.
type capturingFS struct {
	filesys.FileSystem
	read map[string][]byte
}

func (c *capturingFS) ReadFile(p string) ([]byte, error) {
	data, err := c.FileSystem.ReadFile(p)
	if err == nil {
		c.read[filepath.Clean(p)] = data
	}
	return data, err
}

// sources names each object's source file and line as originSources
// would, without origin annotations. It reports false when it cannot be
// sure: a resource file it cannot read or parse, a List document, an
// object that two files or none could hold.
func (t *plainTree) sources(m resmap.ResMap, fsys *capturingFS, root string) ([]source, bool) {
	type named struct{ file, name string }
	byKind := map[string][]named{}
	docs := make(map[string][]docAt, len(t.files))
	for _, f := range t.files {
		if _, ok := docs[f]; ok {
			continue
		}
		abs := filepath.Join(root, filepath.FromSlash(f))
		data, ok := fsys.read[abs]
		if !ok {
			var err error
			if data, err = fsys.FileSystem.ReadFile(abs); err != nil {
				return nil, false
			}
		}
		d, ok := documentsStrict(data)
		if !ok {
			return nil, false
		}
		docs[f] = d
		for _, doc := range d {
			byKind[doc.kind] = append(byKind[doc.kind], named{f, doc.name})
		}
	}
	res := m.Resources()
	out := make([]source, len(res))
	for i, r := range res {
		kind, name := r.GetKind(), r.GetName()
		file := ""
		for _, n := range byKind[kind] {
			if n.name != name && (n.name == "" || !strings.Contains(name, n.name)) {
				continue
			}
			if file != "" && file != n.file {
				return nil, false
			}
			file = n.file
		}
		if file == "" {
			return nil, false
		}
		line := lineOf(docs[file], kind, name)
		out[i] = source{file: file, line: line, doc: docNode(docs[file], line)}
	}
	return out, true
}

// originSources names each object's source file and line from its origin
// annotation: the resource file for a resource, the kustomization for a
// generated object, kfile when the origin is remote or unknown.
func originSources(m resmap.ResMap, fsys filesys.FileSystem, root, kfile string) []source {
	res := m.Resources()
	srcs := make([]source, len(res))
	files := map[string][]docAt{}
	for i, r := range res {
		srcs[i] = source{file: kfile}
		origin, err := r.GetOrigin()
		if err != nil || origin == nil || origin.Repo != "" {
			continue
		}
		rel := origin.Path
		if origin.ConfiguredIn != "" {
			rel = origin.ConfiguredIn
		}
		if rel == "" {
			continue
		}
		file := path.Join(path.Dir(kfile), filepath.ToSlash(rel))
		srcs[i].file = file
		if origin.ConfiguredIn != "" {
			continue // generated: the kustomization, no line of its own
		}
		docs, ok := files[file]
		if !ok {
			if data, err := fsys.ReadFile(filepath.Join(root, filepath.FromSlash(file))); err == nil {
				docs = documents(data)
			}
			files[file] = docs
		}
		srcs[i].line = lineOf(docs, r.GetKind(), r.GetName())
		srcs[i].doc = docNode(docs, srcs[i].line)
	}
	return srcs
}

// documentsStrict lists the documents of a YAML stream like documents,
// and reports false for a stream it cannot parse whole or one with a
// document kustomize would expand into several objects (a List).
func documentsStrict(data []byte) ([]docAt, bool) {
	dec := kyaml.NewDecoder(bytes.NewReader(data))
	var out []docAt
	for {
		var n kyaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, true
		}
		if err != nil {
			return nil, false
		}
		if n.Kind == kyaml.DocumentNode && len(n.Content) == 1 {
			rn := kyaml.NewRNode(n.Content[0])
			if rn.YNode().Kind == kyaml.MappingNode {
				d := docAt{kind: rn.GetKind(), name: rn.GetName(), line: rn.YNode().Line, node: rn.YNode()}
				if strings.HasSuffix(d.kind, "List") {
					return nil, false
				}
				out = append(out, d)
			}
		}
	}
}
