package validate

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/testenv"
)

// kpsChart is kube-prometheus-stack as render's tests keep it: its ten
// CRDs (4.4 MB) are the deepest real schemas kiln meets.
const kpsChart = "../../../testdata/charts/kube-prometheus-stack/kube-prometheus-stack-88.5.3.tgz"

// testCRD is one CRD's JSON encoding, named for failures.
type testCRD struct {
	name string
	data []byte
}

// realCRDs are the JSON encodings of every CRD the tests know: the
// package's testdata (real sources included), kube-prometheus-stack's and
// the embedded Flux CRDs.
var realCRDs = sync.OnceValues(func() ([]testCRD, error) {
	var out []testCRD
	add := func(name string, yaml []byte) error {
		objs, err := objects.Parse(yaml, name, 0)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if o.Node.GetKind() != "CustomResourceDefinition" {
				continue
			}
			enc := encode(o)
			if enc.err != nil {
				return fmt.Errorf("%s: %w", name, enc.err)
			}
			out = append(out, testCRD{name: name + ":" + o.Node.GetName(), data: enc.data})
		}
		return nil
	}
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		return nil, err
	}
	real, err := filepath.Glob("../../../testdata/manifests/*/*.yaml*")
	if err != nil {
		return nil, err
	}
	for _, f := range append(files, real...) {
		if filepath.Base(f) == "kustomization.yaml" {
			continue // kustomize's own file, not an object
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(f, ".gz") {
			if data, err = gunzip(data); err != nil {
				return nil, err
			}
		}
		if err := add(f, data); err != nil {
			return nil, err
		}
	}
	chart, err := os.ReadFile(kpsChart)
	if err != nil {
		return nil, err
	}
	tarData, err := gunzip(chart)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(bytes.NewReader(tarData))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if path.Base(path.Dir(h.Name)) != "crds" || !strings.HasPrefix(path.Base(h.Name), "crd-") {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		if err := add(h.Name, data); err != nil {
			return nil, err
		}
	}
	var flux []string
	for _, file := range fluxFiles {
		flux = append(flux, file)
	}
	sort.Strings(flux)
	for _, file := range flux {
		out = append(out, testCRD{name: file, data: fluxJSON(file)})
	}
	return out, nil
})

func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// sameAsStrict fails t unless data decodes the same way readCRD's way
// and decodeCRDStrict's way when readCRD reads it, and reports whether it
// did.
func sameAsStrict(t testing.TB, name string, data []byte) bool {
	t.Helper()
	fast, ok := readCRD(data)
	if !ok {
		return false
	}
	slow, err := decodeCRDStrict(data)
	switch {
	case err != nil:
		t.Errorf("%s: read, but strict decoding fails: %v", name, err)
	case !slow.clean:
		t.Errorf("%s: read, but strict decoding finds a strict error", name)
	case !reflect.DeepEqual(fast, slow):
		t.Errorf("%s: read otherwise than strict decoding and conversion%s", name, firstDiff(fast, slow))
	}
	return true
}

// firstDiff names the first version whose schema differs, or the v1 part.
func firstDiff(fast, slow *crdDoc) string {
	if !reflect.DeepEqual(fast.v1, slow.v1) {
		return ": in the v1 fields"
	}
	for i := range min(len(fast.schemas), len(slow.schemas)) {
		if !reflect.DeepEqual(fast.schemas[i], slow.schemas[i]) {
			a, _ := json.Marshal(fast.schemas[i])
			b, _ := json.Marshal(slow.schemas[i])
			n := 0
			for n < min(len(a), len(b)) && a[n] == b[n] {
				n++
			}
			return fmt.Sprintf(": version %d's schema, at …%s… vs …%s…", i, a[max(0, n-80):min(len(a), n+40)], b[max(0, n-80):min(len(b), n+40)])
		}
	}
	return ""
}

// TestReadCRDAsStrict: every real CRD is read by readCRD, as strict
// decoding and conversion read it, indented or not.
func TestReadCRDAsStrict(t *testing.T) {
	t.Parallel()
	crds, err := realCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) < 30 {
		t.Fatalf("%d CRDs", len(crds))
	}
	read := 0
	for _, c := range crds {
		compact := sameAsStrict(t, c.name, c.data)
		if compact {
			read++
		} else if slow, err := decodeCRDStrict(c.data); err == nil && slow.clean {
			t.Errorf("%s: not read: it would be decoded the slow way", c.name)
		}
		var ind bytes.Buffer
		if err := json.Indent(&ind, c.data, " \r", "\t "); err != nil {
			t.Fatal(err)
		}
		// Indenting is whitespace only: it must not change whether the
		// CRD is read the fast way.
		if indented := sameAsStrict(t, c.name+" indented", ind.Bytes()); indented != compact {
			t.Errorf("%s: read %v compact but %v indented", c.name, compact, indented)
		}
	}
	if read < len(crds)-1 {
		t.Errorf("%d of %d CRDs read", read, len(crds))
	}
}

// mutation changes a CRD's JSON at the nth match of anchor.
type mutation struct {
	name   string
	anchor string // inserted before, or replaced when replace
	text   string
	// replace: text replaces anchor rather than going before it.
	replace bool
	// prop: text is the start of a new property's schema (of type
	// string), added deep in the schema (anchor is ignored).
	prop bool
	// want: "read" (readCRD must read it), "refuse" (it must not), ""
	// either.
	want string
	// unless: a CRD holding this text already is left alone: the text
	// would be a key written twice there (Gateway API's TLSRoute CRD has
	// deprecated versions).
	unless string
}

// schemaAnchor is a key of schema nodes (and of printer columns) in the
// encodings; propAnchor starts the properties of one.
const (
	schemaAnchor = `"type":"`
	propAnchor   = `"properties":{"`
)

var mutations = []mutation{
	// What strict decoding reports, or decodes otherwise inside items.
	{name: "unknown field", prop: true, text: `"typo":1,`, want: "refuse"},
	{name: "unknown x- field", prop: true, text: `"x-kubernetes-foo":true,`, want: "refuse"},
	{name: "duplicate key", prop: true, text: `"type":"object",`, want: "refuse"},
	{name: "duplicate description", prop: true, text: `"description":"x","description":"x",`, want: "refuse"},
	{name: "wrong case", anchor: schemaAnchor, text: `"Type":"`, replace: true, want: "refuse"},
	{name: "wrong case description", anchor: `"description":"`, text: `"Description":"`, replace: true, want: "refuse"},
	{name: "null type", prop: true, text: `"format":null,`, want: "refuse"},
	{name: "null default", prop: true, text: `"default":null,`, want: "refuse"},
	{name: "null in enum", prop: true, text: `"enum":["a",null],`, want: "refuse"},
	{name: "null items", prop: true, text: `"items":null,`, want: "refuse"},
	{name: "null properties", prop: true, text: `"properties":null,`, want: "refuse"},
	{name: "items array", prop: true, text: `"items":[{"type":"string"}],`, want: "refuse"},
	{name: "items string", prop: true, text: `"items":"x",`, want: "refuse"},
	{name: "ref", prop: true, text: `"$ref":"#/a",`, want: "refuse"},
	{name: "patternProperties", prop: true, text: `"patternProperties":{"a":{"type":"string"}},`, want: "refuse"},
	{name: "wrong type bool", prop: true, text: `"nullable":"true",`, want: "refuse"},
	{name: "wrong type string", prop: true, text: `"pattern":1,`, want: "refuse"},
	{name: "wrong type required", prop: true, text: `"required":"a",`, want: "refuse"},
	{name: "int as float", prop: true, text: `"maxLength":1.0,`, want: "refuse"},
	{name: "int with exponent", prop: true, text: `"maxLength":1e2,`, want: "refuse"},
	{name: "int too large", prop: true, text: `"maxItems":9223372036854775808,`, want: "refuse"},
	{name: "leading zero", prop: true, text: `"maxLength":01,`, want: "refuse"},
	{name: "float out of range", prop: true, text: `"maximum":1e400,`, want: "refuse"},
	{name: "default out of range", prop: true, text: `"default":1e400,`, want: "refuse"},
	{name: "plus sign", prop: true, text: `"minimum":+1,`, want: "refuse"},
	{name: "bad validation rule", prop: true, text: `"x-kubernetes-validations":[{"rule":"true","bogus":1}],`, want: "refuse"},
	{name: "trailing comma", prop: true, text: `"format":"x",,`, want: "refuse"},
	{name: "control character", prop: true, text: "\"description\":\"a\tb\",", want: "refuse"},
	{name: "bad escape", prop: true, text: `"description":"a\qb",`, want: "refuse"},
	{name: "unknown version key", anchor: `"served":`, text: `"servd":true,`, want: "refuse"},
	{name: "unknown printer column key", anchor: `"jsonPath":`, text: `"jsonPth":"x",`, want: "refuse"},
	{name: "duplicate version key", anchor: `"served":`, text: `"served":true,`, want: "refuse"},
	{name: "unknown top key", anchor: `"apiVersion":`, text: `"apiversion":"v1",`, want: "refuse"},
	{name: "unknown metadata key", anchor: `"name":`, text: `"nmae":"x",`, want: "refuse"},

	// What readCRD reads as strict decoding does.
	{name: "escaped value", anchor: `"type":"string"`, text: `"type":"str\u0069ng"`, replace: true, want: "read"},
	{name: "escaped key", anchor: schemaAnchor, text: `"typ\u0065":"`, replace: true, want: "read"},
	{name: "escapes in description", prop: true, text: `"description":"a\"b\\c\/d\n\u00e9\ud83d\ude00",`, want: "read"},
	{name: "unicode escapes", prop: true, text: `"description":"a \u003cb\u003E \u0026 \u2028\u0000\u00e9\uFFFF\/",`, want: "read"},
	{name: "bad unicode escape", prop: true, text: `"description":"a\u12G4",`, want: "refuse"},
	{name: "short unicode escape", prop: true, text: `"description":"a\u12",`, want: "refuse"},
	{name: "lone surrogate", prop: true, text: `"description":"a\ud800b",`, want: "read"},
	{name: "not UTF-8", prop: true, text: "\"description\":\"a\xffb\xc3\",", want: "read"},
	{name: "UTF-8", prop: true, text: `"description":"é – ✓ 😀",`, want: "read"},
	{name: "title and docs", prop: true, text: `"title":"T","externalDocs":{"description":"d","url":"https://x"},`, want: "read"},
	{name: "numbers", prop: true, text: `"maximum":1E+2,"minimum":-0.5e-3,"multipleOf":0.1,"exclusiveMaximum":true,"exclusiveMinimum":false,`, want: "read"},
	{name: "integers", prop: true, text: `"maxLength":-0,"minLength":0,"maxItems":9223372036854775807,"minItems":3,"maxProperties":5,"minProperties":1,`, want: "read"},
	{name: "int-or-string", prop: true, text: `"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}],`, want: "read"},
	{name: "all of one of not", prop: true, text: `"allOf":[],"oneOf":[{"required":["a"]},{"properties":{"b":{"maxLength":2}}}],"not":{"required":["c"]},`, want: "read"},
	{name: "extensions", prop: true, text: `"x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true,"x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"x-kubernetes-map-type":"granular","nullable":true,"uniqueItems":false,`, want: "read"},
	{name: "validation rules", prop: true, text: `"x-kubernetes-validations":[{"rule":"self.size() > 0","message":"m","messageExpression":"'x'","reason":"FieldValueInvalid","fieldPath":".a","optionalOldSelf":true},{"rule":"true"}],`, want: "read"},
	{name: "empty validation rules", prop: true, text: `"x-kubernetes-validations":[],`, want: "read"},
	{name: "default object", prop: true, text: `"default":{"a":[1,2.5,-3e2,true,null,"x",{}],"b":{"c":9007199254740993}},`, want: "read"},
	{name: "default with a key twice", prop: true, text: `"default":{"a":1,"a":2},`, want: "read"},
	{name: "example and enum", prop: true, text: `"example":"x","enum":["a",1,1.5,false,{"k":[]},[]],`, want: "read"},
	{name: "empty things", prop: true, text: `"enum":[],"required":[],"properties":{},"items":{},"additionalProperties":{},`, want: "read"},
	{name: "additionalProperties false", prop: true, text: `"additionalProperties":false,`, want: "read"},
	{name: "space", prop: true, text: " \"format\" :\n\"x\"\t,\r", want: "read"},
	{name: "deprecated version", anchor: `"served":`, text: `"deprecated":true,"deprecationWarning":"w\u00e9",`, want: "read", unless: `"deprecated":`},
	// (cert-manager's Certificate has selectableFields: a second is refused.)
	{name: "selectable fields", anchor: `"served":`, text: `"selectableFields":[{"jsonPath":".spec.a"}],`},

	// Whatever readCRD does with these, it does as strict decoding.
	{name: "bool in items", anchor: `"items":{`, text: `"items":true,"x":{`, replace: true},
	{name: "items twice", anchor: `"items":{`, text: `"items":{},"items":{`, replace: true},
	{name: "empty schema", anchor: `"openAPIV3Schema":{`, text: `"openAPIV3Schema":{},"x":{`, replace: true},
	{name: "status", anchor: `"spec":`, text: `"status":{"acceptedNames":{"kind":"","plural":""},"conditions":[],"storedVersions":[]},`},
	{name: "creationTimestamp null", anchor: `"name":`, text: `"creationTimestamp":null,`},
	{name: "scope", anchor: `"scope":"`, text: `"scope":"Cluster","x":"`, replace: true},
	{name: "preserveUnknownFields", anchor: `"versions":`, text: `"preserveUnknownFields":false,`},
	{name: "conversion", anchor: `"versions":`, text: `"conversion":{"strategy":"None"},`},
}

// mutate applies m at its nth anchor; ok is false when there is none.
func (m mutation) mutate(data []byte, nth int) ([]byte, bool) {
	if m.prop {
		m = mutation{anchor: propAnchor, text: propAnchor[:len(propAnchor)-1] + `"zz":{` + m.text + `"type":"string"},"`, replace: true}
	}
	if nth < 0 {
		return nil, false
	}
	at := -1
	for i, from := 0, 0; i <= nth; i++ {
		j := bytes.Index(data[from:], []byte(m.anchor))
		if j < 0 {
			return nil, false
		}
		at = from + j
		from = at + len(m.anchor)
	}
	out := append([]byte{}, data[:at]...)
	out = append(out, m.text...)
	if m.replace {
		return append(out, data[at+len(m.anchor):]...), true
	}
	return append(out, data[at:]...), true
}

// TestReadCRDMutated: real CRDs changed in one place each, deep in their
// schemas or at the top, read by readCRD as strict decoding reads them,
// or left to it.
//
// Each CRD meets every third mutation, at three places each, the
// mutations shifting from one CRD to the next: every mutation still meets
// a third of the CRDs, and the whole product, under the race detector,
// was most of this package's test time.
func TestReadCRDMutated(t *testing.T) {
	t.Parallel()
	crds, err := realCRDs()
	if err != nil {
		t.Fatal(err)
	}
	applied := map[string]int{}
	for ci, c := range crds {
		if len(c.data) > 200_000 {
			continue // the large ones are read whole by TestReadCRDAsStrict
		}
		anchors := map[string]int{}
		for mi, m := range mutations {
			if (ci+mi)%3 != 0 || m.unless != "" && bytes.Contains(c.data, []byte(m.unless)) {
				continue
			}
			anchor := m.anchor
			if m.prop {
				anchor = propAnchor
			}
			if _, ok := anchors[anchor]; !ok {
				anchors[anchor] = bytes.Count(c.data, []byte(anchor))
			}
			n := anchors[anchor]
			for _, nth := range []int{0, n / 2, n - 1} {
				data, ok := m.mutate(c.data, nth)
				if !ok {
					continue
				}
				applied[m.name]++
				name := fmt.Sprintf("%s, %s at %d", c.name, m.name, nth)
				read := sameAsStrict(t, name, data)
				switch {
				case m.want == "read" && !read:
					t.Errorf("%s: not read", name)
				case m.want == "refuse" && read:
					t.Errorf("%s: read", name)
				}
			}
		}
	}
	for _, m := range mutations {
		if applied[m.name] == 0 {
			t.Errorf("%s: never applied", m.name)
		}
	}
}

// TestReadCRDRefusesWhole: a CRD's JSON that is not one object, or is
// followed by more, is left to strict decoding.
func TestReadCRDRefusesWhole(t *testing.T) {
	t.Parallel()
	crds, err := realCRDs()
	if err != nil {
		t.Fatal(err)
	}
	data := crds[0].data
	for _, doc := range [][]byte{
		nil,
		[]byte(`null`),
		[]byte(`[]`),
		append(append([]byte{}, data...), " {}"...),
		append([]byte("\xef\xbb\xbf"), data...),
		data[:len(data)-1],
	} {
		if _, ok := readCRD(doc); ok {
			t.Errorf("%.40q…: read", doc)
		}
	}
}

// FuzzReadCRD: whatever readCRD reads, strict decoding and conversion
// read the same way, without a strict error.
func FuzzReadCRD(f *testing.F) {
	crds, err := realCRDs()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range crds {
		if len(c.data) < 20_000 {
			f.Add(c.data)
		}
	}
	f.Add([]byte(`{"spec":{"versions":[{"name":"v1","schema":{"openAPIV3Schema":{"type":"object","properties":{"a":{"type":"integer","maximum":1e2,"default":{"x":[1]}}}}}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsStrict(t, "input", data)
	})
}

// kpsCRDs are kube-prometheus-stack's CRDs of realCRDs.
func kpsCRDs(tb testing.TB) []testCRD {
	tb.Helper()
	crds, err := realCRDs()
	if err != nil {
		tb.Fatal(err)
	}
	var out []testCRD
	for _, c := range crds {
		if strings.HasPrefix(c.name, "chart/charts/crds/") {
			out = append(out, c)
		}
	}
	if len(out) != 10 {
		tb.Fatalf("%d kube-prometheus-stack CRDs", len(out))
	}
	return out
}

// BenchmarkCompileKPSCRDs compiles kube-prometheus-stack's ten CRDs (4.4
// MB of YAML) as a cold run does: decoded, structural checks, defaults
// pruned (not the validators, built on first use).
func BenchmarkCompileKPSCRDs(b *testing.B) {
	crds := kpsCRDs(b)
	b.ReportAllocs()
	defer testenv.ReportCPU(b, testenv.ProcessCPU())
	for b.Loop() {
		for _, c := range crds {
			if cc := compileCRD(c.data, false); cc.err != nil {
				b.Fatal(cc.err)
			}
		}
	}
}

// BenchmarkDecodeKPSCRDs decodes kube-prometheus-stack's CRDs both ways:
// readCRD's and strict decoding with conversion.
func BenchmarkDecodeKPSCRDs(b *testing.B) {
	crds := kpsCRDs(b)
	b.Run("read", func(b *testing.B) {
		b.ReportAllocs()
		defer testenv.ReportCPU(b, testenv.ProcessCPU())
		for b.Loop() {
			for _, c := range crds {
				if _, ok := readCRD(c.data); !ok {
					b.Fatal("not read")
				}
			}
		}
	})
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		defer testenv.ReportCPU(b, testenv.ProcessCPU())
		for b.Loop() {
			for _, c := range crds {
				if _, err := decodeCRDStrict(c.data); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
