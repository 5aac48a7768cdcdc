package validate

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	yaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/objects"
)

// TestFluxJSON: the embedded JSON of each Flux CRD is the encoding of its
// YAML file in fluxcrds/ without the schemas' descriptions (compared
// decompressed: gzip's bytes may change with Go's compressor), and there
// is one per file. With -update it writes them (go generate).
func TestFluxJSON(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("fluxcrds/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !*update {
		embedded, err := filepath.Glob("fluxcrds/json/*.json.gz")
		if err != nil {
			t.Fatal(err)
		}
		if len(embedded) != len(files) {
			t.Errorf("%d files in fluxcrds/json, %d CRDs in fluxcrds; run go generate ./render/internal/validate", len(embedded), len(files))
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := objects.Parse(data, f, 0)
		if err != nil || len(objs) != 1 {
			t.Fatalf("%s: %d objects, %v", f, len(objs), err)
		}
		stripDescriptions(objs[0].Node.YNode())
		enc := encode(objs[0])
		if enc.err != nil {
			t.Fatalf("%s: %v", f, enc.err)
		}
		name := filepath.Base(f)
		if *update {
			var z bytes.Buffer
			zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
			if err != nil {
				t.Fatal(err)
			}
			zw.Write(enc.data)
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll("fluxcrds/json", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("fluxcrds/json/"+strings.TrimSuffix(name, ".yaml")+".json.gz", z.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got := fluxJSON(name); !bytes.Equal(got, enc.data) {
			t.Errorf("%s: the embedded JSON differs from the CRD's encoding; run go generate ./render/internal/validate", name)
		}
	}
}

// stripDescriptions removes the description of every schema of a CRD (its
// versions' openAPIV3Schema and the schemas below), in place: three
// quarters of a Flux CRD's JSON that no check reads, and that every run
// decoding the CRD would scan. A property named "description" stays.
func stripDescriptions(crd *yaml.Node) {
	versions := mapValue(mapValue(crd, "spec"), "versions")
	if versions == nil {
		return
	}
	for _, v := range versions.Content {
		stripSchema(mapValue(mapValue(v, "schema"), "openAPIV3Schema"))
	}
}

func stripSchema(s *yaml.Node) {
	if s == nil || s.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(s.Content); i += 2 {
		if k := s.Content[i].Value; k == "description" && s.Content[i+1].Kind == yaml.ScalarNode {
			s.Content = append(s.Content[:i], s.Content[i+2:]...)
			i -= 2
		}
	}
	for _, k := range []string{"items", "additionalProperties", "not"} {
		stripSchema(mapValue(s, k))
	}
	for _, k := range []string{"properties", "patternProperties", "definitions"} {
		if m := mapValue(s, k); m != nil && m.Kind == yaml.MappingNode {
			for i := 1; i < len(m.Content); i += 2 {
				stripSchema(m.Content[i])
			}
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if l := mapValue(s, k); l != nil && l.Kind == yaml.SequenceNode {
			for _, c := range l.Content {
				stripSchema(c)
			}
		}
	}
}

// mapValue returns the value of key in the mapping m, nil for none.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// TestFluxJSONDescriptionsOnly: a Flux CRD compiled from its embedded
// JSON is the one compiled from its YAML file, descriptions aside: the
// same names, versions and structural schemas, and the same CEL rules.
func TestFluxJSONDescriptionsOnly(t *testing.T) {
	t.Parallel()
	for _, file := range fluxFiles {
		data, err := os.ReadFile(filepath.Join("fluxcrds", file))
		if err != nil {
			t.Fatal(err)
		}
		objs, err := objects.Parse(data, file, 0)
		if err != nil {
			t.Fatal(err)
		}
		full := compileCRD(encode(objs[0]).data, false)
		embedded := compileCRD(fluxJSON(file), false)
		if full.err != nil || embedded.err != nil {
			t.Fatalf("%s: %v, %v", file, full.err, embedded.err)
		}
		if !embedded.clean || full.name != embedded.name || full.group != embedded.group || full.kind != embedded.kind || full.namespaced != embedded.namespaced || !slices.Equal(full.served, embedded.served) || len(full.versions) != len(embedded.versions) {
			t.Fatalf("%s: compiled otherwise from the embedded JSON", file)
		}
		for name, v := range full.versions {
			e := embedded.versions[name]
			if e == nil || e.served != v.served || e.status != v.status {
				t.Fatalf("%s %s: compiled otherwise from the embedded JSON", file, name)
			}
			clearDescriptions(v.structural)
			if !reflect.DeepEqual(v.structural, e.structural) {
				t.Errorf("%s %s: the structural schemas differ beyond descriptions", file, name)
			}
		}
	}
}

func clearDescriptions(s *structuralschema.Structural) {
	if s == nil {
		return
	}
	s.Description = ""
	clearDescriptions(s.Items)
	if s.AdditionalProperties != nil {
		clearDescriptions(s.AdditionalProperties.Structural)
	}
	for k, p := range s.Properties {
		clearDescriptions(&p)
		s.Properties[k] = p
	}
}
