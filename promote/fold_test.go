package promote

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// TestWarningsOncePerAppAndCause: one cause that touches many objects of
// an app (an app renamed, an app of CRDs removed, a chart upgrade that
// changes an immutable field of every Job, every object marked
// IfNotPresent) makes one warning at the first object, counting the rest,
// not one line per object burying the others. Another app, or another
// cause, keeps its own warning.
func TestWarningsOncePerAppAndCause(t *testing.T) {
	t.Parallel()
	const n = 300
	job := func(name, image string) []byte {
		return []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: " + name + "\n  namespace: shop\n  labels: {kustomize.toolkit.fluxcd.io/ssa: IfNotPresent}\n" +
			"spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: " + image + "}]\n")
	}
	crd := func(name string) []byte {
		return []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: " + name + ".example.com\n")
	}
	old := map[string][]byte{
		"apps/db/namespace_shop.yaml":                             []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"),
		"apps/solo/customresourcedefinition_one.example.com.yaml": crd("one"),
	}
	new := map[string][]byte{}
	for i := range n {
		name := fmt.Sprintf("j%03d", i)
		old["apps/web/job_shop_"+name+".yaml"] = job(name, "web:1")
		new["apps/web/job_shop_"+name+".yaml"] = job(name, "web:2")
		// App old renamed to app new: each object moves.
		cm := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: shop\n")
		old["apps/old/configmap_shop_"+name+".yaml"] = cm
		new["apps/new/configmap_shop_"+name+".yaml"] = cm
		// App db removed, with its CRDs and its Namespace.
		old[fmt.Sprintf("apps/db/customresourcedefinition_%s.example.com.yaml", name)] = crd(name)
	}
	changes := treediff.Trees(old, new)
	for _, tc := range []struct {
		name string
		got  []diag.Warning
		want []string
	}{
		{"moved", movedWarnings(old, changes), []string{
			"apps/new/configmap_shop_j000.yaml: new: ConfigMap/shop/j000: moves from app old to app new (and 299 more objects of the app)",
		}},
		{"pruned", prunedWarnings(old, changes), []string{
			"apps/db/customresourcedefinition_j000.example.com.yaml: db: CustomResourceDefinition/j000.example.com: leaves app db (and 299 more objects of the app)",
			"apps/db/namespace_shop.yaml: db: Namespace/shop: leaves app db",
			"apps/solo/customresourcedefinition_one.example.com.yaml: solo: CustomResourceDefinition/one.example.com: leaves app solo",
		}},
		{"immutable", immutableWarnings(changes), []string{
			"apps/web/job_shop_j000.yaml: web: Job/shop/j000: spec.template changes (and 299 more objects of the app)",
		}},
		{"IfNotPresent", ifNotPresentWarnings(changes), []string{
			"apps/web/job_shop_j000.yaml: web: Job/shop/j000: changes (and 299 more objects of the app)",
		}},
	} {
		var got []string
		for _, w := range tc.got {
			// The cause, and the count at the message's end.
			what, _, _ := strings.Cut(w.Msg, ",")
			what, _, _ = strings.Cut(what, ":")
			if i := strings.LastIndex(w.Msg, " (and "); i >= 0 {
				what += w.Msg[i:]
			}
			got = append(got, w.File+": "+w.App+": "+w.Object.String()+": "+what)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s warnings:\n%s\nwant:\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}
