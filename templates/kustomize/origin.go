package kustomize

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/builtins"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/templates"
)

// originFS serves the top kustomization file with originAnnotations added
// to its buildMetadata, so that kustomize records, on every object, the
// file it came from (config.kubernetes.io/origin), as `kustomize build`
// does when a kustomization asks for it. kiln reads the annotation to name
// each object's source file in errors, then removes it again unless the
// kustomization asked for it, so the output is what `kustomize build`
// writes. Everything else is the wrapped file system's.
type originFS struct {
	filesys.FileSystem
	kustomization string // absolute path of the top kustomization file
	asked         bool   // the kustomization lists originAnnotations itself
	managedBy     bool   // the kustomization lists managedByLabel
}

func (o *originFS) ReadFile(p string) ([]byte, error) {
	data, err := o.FileSystem.ReadFile(p)
	if err != nil || filepath.Clean(p) != o.kustomization {
		return data, err
	}
	rn, perr := kyaml.Parse(string(data))
	if perr != nil || rn.YNode().Kind != kyaml.MappingNode {
		return data, nil // kustomize reports it
	}
	var meta []string
	if f := rn.Field("buildMetadata"); f != nil && f.Value != nil {
		if err := f.Value.YNode().Decode(&meta); err != nil {
			return data, nil // kustomize reports it
		}
	}
	o.managedBy = slices.Contains(meta, types.ManagedByLabelOption)
	if slices.Contains(meta, types.OriginAnnotations) {
		o.asked = true
		return data, nil
	}
	meta = append(meta, types.OriginAnnotations)
	if err := rn.PipeE(kyaml.SetField("buildMetadata", kyaml.NewListRNode(meta...))); err != nil {
		return data, nil
	}
	out, err := rn.String()
	if err != nil {
		return data, nil
	}
	return []byte(out), nil
}

// kustomizeVersion is the release of the kustomize program built from the
// kustomize api module kiln links (go.mod), and the one `make refbin`
// installs: kustomize v5.M.P links api v0.(M+13).P.
// TestKustomizeVersionMatchesModule keeps the three in step.
const kustomizeVersion = "v5.8.2"

// managedByLabel sets the label buildMetadata: [managedByLabel] asks for
// to what `kustomize build` writes, kustomize-v5.8.2. krusty takes the
// version from the running binary's build information (api/provenance),
// which in kiln is kiln's own module version, or "(devel)": a value that
// changes with how kiln was built, and "kustomize-(devel)" is not even a
// valid label value. Like krusty, it sets the label on every object, at
// metadata.labels.
func managedByLabel(m resmap.ResMap) error {
	t := builtins.LabelTransformerPlugin{
		Labels:     map[string]string{konfig.ManagedbyLabelKey: "kustomize-" + kustomizeVersion},
		FieldSpecs: []types.FieldSpec{{Path: "metadata/labels", CreateIfNotPresent: true}},
	}
	return t.Transform(m)
}

// objectsOf turns kustomize's result into objects that name the file and
// line each came from (srcs, one per resource).
func objectsOf(m resmap.ResMap, srcs []source) ([]templates.Object, error) {
	var out []templates.Object
	var errs []error
	for i, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			// A value YAML cannot decode under its tag (pw: !!int
			// hunter2): the decoder's message quotes the value.
			return nil, &diag.Error{File: srcs[i].file, Line: srcs[i].line, Object: diag.Object{Kind: r.GetKind(), Namespace: r.GetNamespace(), Name: r.GetName()},
				Msg:  "kustomize cannot serialise the object: " + redact.YAML(strings.TrimPrefix(err.Error(), "yaml: ")),
				Hint: "remove the tag, or write a value of its type", Err: err}
		}
		objs, err := objects.Parse(y, srcs[i].file, max(srcs[i].line-1, 0))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for j := range objs {
			if srcs[i].line == 0 {
				objs[j].Line = 0 // no line of a source file: name the file only
			}
		}
		out = append(out, objs...)
	}
	return out, errors.Join(errs...)
}

// docAt is one document of a resource file: its kind, name and first line.
type docAt struct {
	kind, name string
	line       int
}

// documents lists the documents of a YAML stream.
func documents(data []byte) []docAt {
	dec := kyaml.NewDecoder(bytes.NewReader(data))
	var out []docAt
	for {
		var n kyaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) || err != nil {
			return out
		}
		if n.Kind == kyaml.DocumentNode && len(n.Content) == 1 {
			rn := kyaml.NewRNode(n.Content[0])
			if rn.YNode().Kind == kyaml.MappingNode {
				out = append(out, docAt{kind: rn.GetKind(), name: rn.GetName(), line: rn.YNode().Line})
			}
		}
	}
}

// lineOf finds the line of the document an output object came from: the
// one of its kind with its name, or whose name kustomize extended with a
// prefix or suffix (the longest such), or the only one of its kind.
func lineOf(docs []docAt, kind, name string) int {
	best, bestLen, ofKind, n := 0, -1, 0, 0
	for _, d := range docs {
		if d.kind != kind {
			continue
		}
		n++
		ofKind = d.line
		if d.name == name {
			return d.line
		}
		if d.name != "" && strings.Contains(name, d.name) && len(d.name) > bestLen {
			best, bestLen = d.line, len(d.name)
		}
	}
	switch {
	case best > 0:
		return best
	case n == 1:
		return ofKind
	}
	return 0
}
