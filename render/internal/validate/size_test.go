package validate

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestObjectSize: the API server reads at most 3 MiB of a request, and
// etcd (default --max-request-bytes) stores at most 1.5 MiB; a custom
// resource is stored as its JSON. A Grafana dashboard embedded in a
// custom resource passed kiln and failed on create.
func TestObjectSize(t *testing.T) {
	t.Parallel()
	env := testEnv(t, readObjects(t, "testdata/widget-crd.yaml")...)
	withExtra := func(kiB int) string {
		return strings.Replace(widget, "extra: {anything: [goes]}", "extra: {dashboard: "+strings.Repeat("x", kiB<<10)+"}", 1)
	}
	podTemplate := func(kiB int) string {
		return "apiVersion: v1\nkind: PodTemplate\nmetadata:\n  name: big\n  namespace: apps\ntemplate:\n  spec:\n    containers:\n" +
			"      - name: app\n        image: nginx:1.27\n        env:\n          - {name: BIG, value: " + strings.Repeat("x", kiB<<10) + "}\n"
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"custom resource under 1.5 MiB", withExtra(1500), ""},
		{"custom resource over 1.5 MiB", withExtra(1600), "etcd stores at most 1572864 (1.5 MiB"},
		{"kind without a CRD over 1.5 MiB", strings.Replace(withExtra(1600), "example.com/v1", "other.example.com/v1", 1), "etcd stores at most"},
		{"built-in kind under 1.5 MiB in protobuf", podTemplate(1400), ""},
		{"built-in kind over 1.5 MiB in protobuf", podTemplate(2048), "is 2097290 bytes in protobuf, the form the API server stores a PodTemplate in, and etcd stores at most 1572864"},
		{"built-in kind over 3 MiB", podTemplate(3100), "the API server reads at most 3145728 (3 MiB)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := env.Objects("demo", parse(t, "big.yaml", tc.doc))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tc.want == "" && err != nil {
				t.Fatalf("refused: %.300s", got)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %.300q, want it to say %q", got, tc.want)
			}
		})
	}
}

// TestCRDStoredSize: a CRD is a built-in kind, stored in protobuf. The
// real kube-prometheus-stack Prometheus CRD (474 KiB of JSON, one
// version) passes; served in four versions with the same schema, as CRDs
// mid-migration are, it is 1.9 MB in protobuf and 1.9 MB of JSON: under
// the API server's 3 MiB body limit, over etcd's 1.5 MiB. Refused whether
// the env compiled the CRD (its strict decoding skipped) or not.
func TestCRDStoredSize(t *testing.T) {
	t.Parallel()
	var one []byte
	for _, c := range kpsCRDs(t) {
		if strings.HasSuffix(c.name, ":prometheuses.monitoring.coreos.com") {
			one = c.data
		}
	}
	if one == nil {
		t.Fatal("no Prometheus CRD in kube-prometheus-stack")
	}
	var crd map[string]any
	if err := json.Unmarshal(one, &crd); err != nil {
		t.Fatal(err)
	}
	spec := crd["spec"].(map[string]any)
	v1 := spec["versions"].([]any)[0].(map[string]any)
	versions := []any{v1}
	for _, name := range []string{"v1beta1", "v1alpha2", "v1alpha1"} {
		v := maps.Clone(v1)
		v["name"], v["storage"] = name, false
		versions = append(versions, v)
	}
	spec["versions"] = versions
	four, err := json.Marshal(crd)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		want     string
		inTheEnv bool
	}{
		{"one version", one, "", false},
		{"one version, compiled", one, "", true},
		{"four versions", four, "bytes in protobuf, the form the API server stores a CustomResourceDefinition in", false},
		{"four versions, compiled", four, "bytes in protobuf, the form the API server stores a CustomResourceDefinition in", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs := parse(t, "crds.yaml", string(tc.data))
			var env *Env
			if tc.inTheEnv {
				env = testEnv(t, objs...)
			} else {
				env = testEnv(t)
			}
			var got []string
			for _, err := range diag.Flatten(env.Objects("demo", objs)) {
				got = append(got, err.Error())
			}
			if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)) {
				t.Errorf("JSON %d bytes: got %.400q, want one error saying %q", len(tc.data), got, tc.want)
			}
		})
	}
}
