package secretgate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if obj.MustString() != before {
				t.Error("Object changed the object")
			}
		})
	}
}
