package validate

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestGroupVersionsAreClientGos: the schemes of the group versions know,
// together, the kinds scheme() (client-go's scheme and CRDs') knows, each
// as the same Go type, and no other; builtinGroup names the groups of
// scheme().
func TestGroupVersionsAreClientGos(t *testing.T) {
	t.Parallel()
	all := scheme().AllKnownTypes()
	for gvk, typ := range all {
		s := gvScheme(gvk.GroupVersion())
		if s == nil {
			if gvk.Version != "__internal" {
				t.Errorf("%s: no group version scheme", gvk)
			}
			continue
		}
		if got := s.AllKnownTypes()[gvk]; got != typ {
			t.Errorf("%s: %v in its group version's scheme, %v in scheme()", gvk, got, typ)
		}
		if typed := newTyped(gvk); typed == nil {
			t.Errorf("%s: no new object", gvk)
		}
	}
	groups := map[string]bool{}
	for gv := range groupVersions {
		groups[gv.Group] = true
		for gvk, typ := range gvScheme(gv).AllKnownTypes() {
			if all[gvk] != typ {
				t.Errorf("%s: %v in its group version's scheme, %v in scheme()", gvk, typ, all[gvk])
			}
		}
	}
	for _, gv := range scheme().PrioritizedVersionsAllGroups() {
		if !groups[gv.Group] || !builtinGroup(gv.Group) {
			t.Errorf("group %q of scheme() is no builtinGroup", gv.Group)
		}
	}
	if newTyped(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}) != nil || builtinGroup("example.com") {
		t.Error("example.com is a built-in group")
	}
}
