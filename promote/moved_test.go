package promote

import (
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// TestMovedWarningsByGroup: Flux tells objects apart by API group, kind,
// namespace and name. A core Service that leaves one app while a Knative
// Service of the same name joins another (a move to Knative) moves
// nothing, and was warned about as a move; worse, keyed without the group,
// one of two removed objects stood for the other, so a real move was
// judged by the wrong app's prune setting. The version does not count.
func TestMovedWarningsByGroup(t *testing.T) {
	t.Parallel()
	core := []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n")
	knative := []byte("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n")
	hpaOld := []byte("apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\n")
	hpaNew := []byte("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\n")
	old := map[string][]byte{
		"apps/web/service_web.yaml":                 core,
		"apps/web/horizontalpodautoscaler_web.yaml": hpaOld,
		// app legacy keeps what it prunes: it would hide a move from web.
		"flux/legacy.yaml":             []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: legacy\nspec:\n  prune: false\n"),
		"apps/legacy/service_web.yaml": knative,
	}
	new := map[string][]byte{
		"apps/serving/service_web.yaml":               knative,
		"apps/scale/horizontalpodautoscaler_web.yaml": hpaNew,
		"apps/svc/service_web.yaml":                   core,
	}
	var got []string
	for _, w := range movedWarnings(old, treediff.Trees(old, new)) {
		what, _, _ := strings.Cut(w.Msg, ":")
		got = append(got, w.File+": "+w.Object.String()+": "+what)
	}
	want := []string{
		"apps/scale/horizontalpodautoscaler_web.yaml: HorizontalPodAutoscaler/shop/web: moves from app web to app scale",
		"apps/svc/service_web.yaml: Service/shop/web: moves from app web to app svc",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}
}
