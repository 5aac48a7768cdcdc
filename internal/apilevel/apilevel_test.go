package apilevel

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestOnByDefault: the versions kube-apiserver's own lists of 1.24 to
// 1.37 (pkg/controlplane/instance.go) serve by default, and some it does
// not, by the release that introduced them.
func TestOnByDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		gv         string
		introduced int
		want       bool
	}{
		{"apps/v1", 9, true},
		{"resource.k8s.io/v1", 34, true},
		{"policy/v1beta1", 5, true},                        // legacy beta, on until removed in 1.25
		{"flowcontrol.apiserver.k8s.io/v1beta2", 23, true}, // legacy beta
		{"flowcontrol.apiserver.k8s.io/v1beta3", 26, true}, // the exception
		{"admissionregistration.k8s.io/v1beta1", 28, false},
		{"resource.k8s.io/v1beta1", 32, false},
		{"storage.k8s.io/v1beta1", 31, false},
		{"coordination.k8s.io/v1alpha2", 32, false},
		{"internal.apiserver.k8s.io/v1alpha1", 20, false},
	} {
		gv, err := schema.ParseGroupVersion(tc.gv)
		if err != nil {
			t.Fatal(err)
		}
		if got := OnByDefault(gv, tc.introduced); got != tc.want {
			t.Errorf("OnByDefault(%s, 1.%d) = %v, want %v", tc.gv, tc.introduced, got, tc.want)
		}
	}
	for v, want := range map[string]Level{"v1": Stable, "v2": Stable, "v1beta3": Beta, "v2alpha1": Alpha, "v1beta": Alpha, "": Alpha} {
		if got := Of(v); got != want {
			t.Errorf("Of(%q) = %v, want %v", v, got, want)
		}
	}
}
