package secretgate

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/redact"
)

const passphrase = "correct horse battery staple and then some more words to pass the eighty column limit of the emitter"

func TestObject(t *testing.T) {
	t.Parallel()
	rd := redact.New(map[string]string{"PW": "P@ss<w0rd>&1", "PHRASE": passphrase})
	tests := []struct {
		name   string
		obj    string
		permit Permit
		want   []Finding
		// line is the line of the first finding's Node, when not 0.
		line int
	}{
		{name: "clean", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n"},
		{name: "raw in a ConfigMap", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 'P@ss<w0rd>&1'}\n",
			want: []Finding{{Name: "PW", Field: "data.k"}}},
		{name: "json-escaped inside a value", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: '{\"pw\":\"P@ss\\u003cw0rd\\u003e\\u00261\"}'}\n",
			want: []Finding{{Name: "PW", Field: "data.k"}}},
		{name: "in a key", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {'P@ss<w0rd>&1': x}\n",
			want: []Finding{{Name: "PW", Field: "data.P@ss<w0rd>&1"}}},
		{name: "in a comment", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n# P@ss<w0rd>&1\ndata: {k: v}\n",
			want: []Finding{{Name: "PW"}}},
		{name: "long value with spaces", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 'x " + passphrase + "'}\n",
			want: []Finding{{Name: "PHRASE", Field: "data.k"}}},
		{name: "base64 in a Secret, not allowed", obj: "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {pw: UEBzczx3MHJkPiYx}\n",
			want: []Finding{{Name: "PW", Field: "data.pw"}}},
		{name: "base64 in a Secret, allowed", obj: "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {pw: UEBzczx3MHJkPiYx}\nstringData: {raw: 'P@ss<w0rd>&1'}\n",
			permit: PlainSecrets},
		{name: "allowed Secret, value in an annotation", obj: "apiVersion: v1\nkind: Secret\nmetadata: {name: a, annotations: {x: 'P@ss<w0rd>&1'}}\ndata: {pw: UEBzczx3MHJkPiYx}\n",
			permit: PlainSecrets, want: []Finding{{Name: "PW", Field: "metadata.annotations.x"}}},
		{name: "allowed Secret, value as a data key", obj: "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {'P@ss<w0rd>&1': x}\n",
			permit: PlainSecrets, want: []Finding{{Name: "PW", Field: "stringData.P@ss<w0rd>&1"}}},
		{name: "permit applies to v1 Secrets only", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {pw: 'P@ss<w0rd>&1'}\n",
			permit: PlainSecrets, want: []Finding{{Name: "PW", Field: "data.pw"}}},
		// jsonnet's std.encodeUTF8: the value's bytes as a list of
		// numbers, written as a YAML list, as std.toString writes it, and
		// minified.
		{name: "bytes as a list", obj: "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: a}\nspec:\n  values:\n    pw:\n" + byteList("P@ss<w0rd>&1"),
			want: []Finding{{Name: "PW", Field: "spec.values.pw"}}, line: 6},
		// As the API server writes the key: data.a.b would be the key
		// b of a mapping a.
		{name: "a key with a period", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: y\n  a.b: 'P@ss<w0rd>&1'\n",
			want: []Finding{{Name: "PW", Field: "data[a.b]"}}, line: 6},
		{name: "a key that is a period", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  '.': 'P@ss<w0rd>&1'\n",
			want: []Finding{{Name: "PW", Field: "data[.]"}}, line: 5},
		{name: "bytes in a string", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: '[80, 64, 115, 115, 60, 119, 48, 114, 100, 62, 38, 49]'}\n",
			want: []Finding{{Name: "PW", Field: "data.k"}}},
		{name: "bytes in a string, minified", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: '[80,64,115,115,60,119,48,114,100,62,38,49]'}\n",
			want: []Finding{{Name: "PW", Field: "data.k"}}},
		{name: "other numbers", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {ports: [80, 443, 8080, 9090, 10250]}\n"},
		{name: "a permit that says no", obj: "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {pw: UEBzczx3MHJkPiYx}\n",
			permit: Any(func(*kyaml.RNode) bool { return false }), want: []Finding{{Name: "PW", Field: "data.pw"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			obj, err := kyaml.Parse(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			before := obj.MustString()
			got, err := Object(rd, obj, tt.permit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Finding{}, "Node")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, f := range got {
				if (f.Field != "") != (f.Node != nil) {
					t.Errorf("finding %+v: a Node without a Field or a Field without one", f)
				}
			}
			if tt.line != 0 && (len(got) == 0 || got[0].Node == nil || got[0].Node.Line != tt.line) {
				t.Errorf("the finding is not at line %d: %+v", tt.line, got)
			}
			if obj.MustString() != before {
				t.Error("Object changed the object")
			}
		})
	}
}

// byteList writes s's bytes as a YAML block list, indented for a field of
// spec.values.
func byteList(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("    - " + strconv.Itoa(int(s[i])) + "\n")
	}
	return b.String()
}
