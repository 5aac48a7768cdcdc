package flux

import (
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func TestBuildAndMarshal(t *testing.T) {
	t.Parallel()
	k := Kustomization{
		Name: "worker", Namespace: "flux-system", App: "worker", Env: "dev",
		Path:      "./clusters/dev/apps/worker",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"},
		Interval:  "10m", Timeout: "5m", Prune: true,
		DependsOn: []Ref{{Name: "redis", Namespace: "flux-system"}, {Name: "infra-controllers", Namespace: "flux-system"}, {Name: "db", Namespace: "flux-system"}, {Name: "x", Namespace: "other"}},
		Objects: []Ref{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: "worker", Namespace: "instavote"},
			{APIVersion: "v1", Kind: "Service", Name: "worker", Namespace: "instavote"},
			{APIVersion: "batch/v1", Kind: "CronJob", Name: "cleanup", Namespace: "instavote"},
			{APIVersion: "helm.toolkit.fluxcd.io/v2", Kind: "HelmRelease", Name: "podinfo", Namespace: "instavote"},
			{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "db", Namespace: "instavote"},
		},
	}
	obj, err := Build(k)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  labels:
    app.kubernetes.io/managed-by: kiln
    kiln/app: worker
    kiln/env: dev
  name: worker
  namespace: flux-system
spec:
  dependsOn:
  - name: db
  - name: infra-controllers
  - name: redis
  - name: x
    namespace: other
  healthChecks:
  - apiVersion: apps/v1
    kind: Deployment
    name: worker
    namespace: instavote
  - apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    name: podinfo
    namespace: instavote
  - apiVersion: apps/v1
    kind: StatefulSet
    name: db
    namespace: instavote
  interval: 10m0s
  path: ./clusters/dev/apps/worker
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  timeout: 5m0s
`
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("Kustomization (-want +got):\n%s", diff)
	}
	// It must decode strictly with Flux's own type.
	var back kustomizev1.Kustomization
	if err := yaml.UnmarshalStrict(data, &back); err != nil {
		t.Fatalf("strict decode: %v", err)
	}

	k.Wait = true
	obj, err = Build(k)
	if err != nil {
		t.Fatal(err)
	}
	if !obj.Spec.Wait || len(obj.Spec.HealthChecks) != 0 {
		t.Errorf("wait: got wait=%v and %d health checks, want wait and none", obj.Spec.Wait, len(obj.Spec.HealthChecks))
	}
	if _, err := Build(Kustomization{Interval: "ten minutes"}); err == nil {
		t.Error("Build accepted a bad interval")
	}
}
