package validate

import (
	"strings"
	"testing"
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
		{"built-in kind over 1.5 MiB", podTemplate(2048), ""},
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
