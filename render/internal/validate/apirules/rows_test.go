package apirules

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"
)

// row is one mutation of a small object: the document read into obj's
// type, checked as the API server of kube ("" for the newest) checks it,
// and want, the one problem it has ("" when the API server takes it).
type row struct {
	name string
	obj  func() runtime.Object
	doc  string
	kube string
	want string
}

// checkRows runs rows: a refused row has exactly one problem, with its
// text and a hint; an accepted row none.
func checkRows(t *testing.T, rows []row) {
	t.Helper()
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			obj := tc.obj()
			if err := yaml.UnmarshalStrict([]byte(tc.doc), obj); err != nil {
				t.Fatal(err)
			}
			var opts Options
			if tc.kube != "" {
				opts.KubeVersion = version.MustParseGeneric(tc.kube)
			}
			var got []string
			for _, p := range Check(obj, opts) {
				got = append(got, p.Error.Error())
				if p.Hint == "" {
					t.Errorf("%s: no hint", p.Error)
				}
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("refused: %q", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("got %q, want one error containing %q", got, tc.want)
			}
		})
	}
}
