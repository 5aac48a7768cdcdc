package promote

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// TestIfNotPresentWarnings: Flux skips an existing object marked
// kustomize.toolkit.fluxcd.io/ssa: IfNotPresent (label or annotation, any
// case), so a change to it that the diff shows never reaches the cluster.
// A new object is created (no warning), and an object without the mark,
// or only the old version marked, is applied. The app's second such
// object is counted in the first one's warning.
func TestIfNotPresentWarnings(t *testing.T) {
	t.Parallel()
	secret := func(name, meta, value string) []byte {
		return []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: shop\n" + meta + "stringData:\n  k: " + value + "\n")
	}
	ann := "  annotations:\n    kustomize.toolkit.fluxcd.io/ssa: IfNotPresent\n"
	lbl := "  labels:\n    kustomize.toolkit.fluxcd.io/ssa: ifnotpresent\n"
	old := map[string][]byte{
		"apps/db/secret_seed.yaml":    secret("seed", ann, "a"),
		"apps/db/secret_label.yaml":   secret("label", "", "a"),
		"apps/db/secret_plain.yaml":   secret("plain", "", "a"),
		"apps/db/secret_dropped.yaml": secret("dropped", ann, "a"),
		"apps/db/secret_same.yaml":    secret("same", ann, "a"),
	}
	new := map[string][]byte{
		"apps/db/secret_seed.yaml":    secret("seed", ann, "b"),
		"apps/db/secret_label.yaml":   secret("label", lbl, "b"), // marked in the same change: skipped all the same
		"apps/db/secret_plain.yaml":   secret("plain", "", "b"),
		"apps/db/secret_dropped.yaml": secret("dropped", "", "b"),
		"apps/db/secret_same.yaml":    secret("same", ann, "a"),
		"apps/db/secret_new.yaml":     secret("new", ann, "a"),
	}
	var got []string
	for _, w := range ifNotPresentWarnings(treediff.Trees(old, new)) {
		_, more, _ := strings.Cut(w.Msg, "cluster ")
		got = append(got, w.File+": "+w.App+": "+w.Object.String()+" "+more)
		if !strings.Contains(w.Msg, "never reaches the cluster") || strings.Contains(w.String(), "k: b") {
			t.Errorf("%s: %s", w.File, w.Msg)
		}
	}
	want := []string{
		"apps/db/secret_label.yaml: db: Secret/shop/label (and 1 more object of the app)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
