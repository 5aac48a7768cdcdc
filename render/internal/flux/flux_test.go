package flux

import (
	"strings"
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/google/go-cmp/cmp"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
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

// TestHealthChecks: health checks written without apiVersion or namespace
// get them from the app's object, and healthCheckExprs add the app's
// objects of their kind to healthChecks, since kustomize-controller only
// evaluates expressions on objects it already health-checks.
func TestHealthChecks(t *testing.T) {
	t.Parallel()
	k := Kustomization{
		Name: "shop", Namespace: "flux-system", App: "shop", Env: "dev",
		Path:      "./clusters/dev/apps/shop",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"},
		Interval:  "10m", Timeout: "5m", Prune: true,
		Objects: []Ref{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop"},
			{APIVersion: "batch/v1", Kind: "Job", Name: "migrate", Namespace: "shop"},
			{APIVersion: "v1", Kind: "Namespace", Name: "shop"},
			{APIVersion: "cert-manager.io/v1", Kind: "Certificate", Name: "web-tls", Namespace: "shop"},
			{APIVersion: "cert-manager.io/v1", Kind: "Certificate", Name: "api-tls", Namespace: "shop"},
			// Another version of the group and kind: the expression
			// applies to it too, as kustomize-controller matches it.
			{APIVersion: "cert-manager.io/v1beta1", Kind: "Certificate", Name: "old-tls", Namespace: "shop"},
		},
		HealthChecks: []HealthCheck{
			{Ref: Ref{Kind: "Job", Name: "migrate"}},                      // neither
			{Ref: Ref{APIVersion: "v1", Kind: "Namespace", Name: "shop"}}, // cluster-scoped
			{Ref: Ref{Kind: "Deployment", Name: "web", Namespace: "shop"}},
			{Ref: Ref{APIVersion: "apps/v1", Kind: "Deployment", Name: "elsewhere", Namespace: "other"}}, // kept as written
		},
		HealthCheckExprs: []Expr{{APIVersion: "cert-manager.io/v1", Kind: "Certificate",
			Current: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')",
			Failed:  "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False')"}},
	}
	obj, err := Build(k)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "kustomization-healthchecks.yaml", data)
	crdValid(t, "kustomization-healthchecks.yaml", data)
	var back kustomizev1.Kustomization
	if err := yaml.UnmarshalStrict(data, &back); err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	for _, hc := range back.Spec.HealthChecks {
		if hc.APIVersion == "" || (hc.Namespace == "" && hc.Kind != "Namespace") {
			t.Errorf("health check %+v lacks apiVersion or namespace", hc)
		}
	}

	for _, tt := range []struct {
		name   string
		change func(k *Kustomization)
		want   string
	}{
		{"no such object", func(k *Kustomization) { k.HealthChecks = []HealthCheck{{Ref: Ref{Kind: "Deployment", Name: "wbe"}}} },
			"kiln.yaml: flux.healthChecks[0] (Deployment wbe) matches no object of the app"},
		{"no such object, where written", func(k *Kustomization) {
			k.HealthChecks = []HealthCheck{{Ref: Ref{Kind: "Deployment", Name: "wbe"}, File: "envs/dev.yaml", Line: 7}}
		}, "envs/dev.yaml:7: flux.healthChecks[0] (Deployment wbe) matches no object of the app"},
		{"namespaced kind of another app without namespace", func(k *Kustomization) {
			k.ClusterScoped = func(string, string) bool { return false }
			k.HealthChecks = []HealthCheck{{Ref: Ref{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"}, File: "kiln.yaml", Line: 12}}
		}, "kiln.yaml:12: flux.healthChecks[0] (Deployment api) matches no object of the app"},
		{"ambiguous", func(k *Kustomization) {
			k.Objects = append(k.Objects, Ref{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "canary"})
			k.HealthChecks = []HealthCheck{{Ref: Ref{Kind: "Deployment", Name: "web"}}}
		}, "kiln.yaml: flux.healthChecks[0] (Deployment web) matches 2 objects of the app (apps/v1 in namespace shop; apps/v1 in namespace canary)"},
		// With wait, Flux ignores healthChecks: a check of an object the
		// app does not apply would silently go.
		{"another app's object under wait", func(k *Kustomization) {
			k.Wait = true
			k.HealthChecks = []HealthCheck{{Ref: Ref{Kind: "Deployment", Name: "web"}},
				{Ref: Ref{APIVersion: "apps/v1", Kind: "Deployment", Name: "elsewhere", Namespace: "other"}, File: "envs/dev.yaml", Line: 4}}
		}, "envs/dev.yaml:4: flux.healthChecks[1] (Deployment elsewhere) names an object the app does not apply, and with wait: true Flux ignores healthChecks"},
		// Refused once: that no object has its name is the same fault,
		// and its hint (give apiVersion and namespace) would not mend it.
		{"another app's object under wait, without apiVersion", func(k *Kustomization) {
			k.Wait = true
			k.HealthChecks = []HealthCheck{{Ref: Ref{Kind: "Deployment", Name: "other"}, File: "kiln.yaml", Line: 7}}
		}, "kiln.yaml:7: flux.healthChecks[0] (Deployment other) names an object the app does not apply, and with wait: true Flux ignores healthChecks"},
		{"expression for no object", func(k *Kustomization) {
			k.HealthChecks = nil
			k.HealthCheckExprs = []Expr{{APIVersion: "example.com/v1", Kind: "Widget", Current: "true"}}
		}, "kiln.yaml: flux.healthCheckExprs[0] (example.com/v1 Widget) matches no object of the app"},
		{"expression for no object, where written", func(k *Kustomization) {
			k.HealthChecks = nil
			k.HealthCheckExprs = []Expr{{APIVersion: "example.com/v1", Kind: "Widget", Current: "true", File: "envs/dev.yaml", Line: 9}}
		}, "envs/dev.yaml:9: flux.healthCheckExprs[0] (example.com/v1 Widget) matches no object of the app"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := k
			k.Objects = append([]Ref(nil), k.Objects...)
			tt.change(&k)
			_, err := Build(k)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || len(diag.Flatten(err)) != 1 {
				t.Errorf("error = %v\nwant one error, starting with %s", err, tt.want)
			}
		})
	}
}

// TestHealthCheckOtherVersion: Flux keeps a health check's group and
// kind, not its version, so a check written with an older version of the
// app's object (and no namespace) is that object, not "no object", and
// one written with its namespace is not a second check of it.
func TestHealthCheckOtherVersion(t *testing.T) {
	t.Parallel()
	obj, err := Build(Kustomization{
		Name: "shop", Namespace: "flux-system", App: "shop", Env: "dev", Path: "./clusters/dev/apps/shop",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"}, Interval: "10m",
		Objects:      []Ref{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop"}},
		HealthChecks: []HealthCheck{{Ref: Ref{APIVersion: "apps/v1beta2", Kind: "Deployment", Name: "web"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if want := "  - apiVersion: apps/v1\n    kind: Deployment\n    name: web\n    namespace: shop\n"; !strings.Contains(string(data), want) {
		t.Errorf("health checks lack\n%s\nin\n%s", want, data)
	}

	// Written whole, it is kept as written, and so it sat beside kiln's
	// own check of the object: Flux waited on the one object twice.
	obj, err = Build(Kustomization{
		Name: "shop", Namespace: "flux-system", App: "shop", Env: "dev", Path: "./clusters/dev/apps/shop",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"}, Interval: "10m",
		Objects: []Ref{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop"}},
		HealthChecks: []HealthCheck{
			{Ref: Ref{APIVersion: "apps/v1beta2", Kind: "Deployment", Name: "web", Namespace: "shop"}},
			{Ref: Ref{APIVersion: "example.com/v1", Kind: "Deployment", Name: "web", Namespace: "shop"}}, // another group: another object
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var hcs []string
	for _, hc := range obj.Spec.HealthChecks {
		hcs = append(hcs, hc.APIVersion+" "+hc.Kind+" "+hc.Namespace+"/"+hc.Name)
	}
	if want := []string{"apps/v1 Deployment shop/web", "example.com/v1 Deployment shop/web"}; strings.Join(hcs, "; ") != strings.Join(want, "; ") {
		t.Errorf("health checks = %q, want %q", hcs, want)
	}
}

// TestWaitOwnHealthChecks: under wait, a health check of one of the app's
// own objects is covered by wait and builds, without healthChecks.
func TestWaitOwnHealthChecks(t *testing.T) {
	t.Parallel()
	obj, err := Build(Kustomization{
		Name: "shop", Namespace: "flux-system", App: "shop", Env: "dev", Path: "./clusters/dev/apps/shop",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"}, Interval: "10m", Wait: true,
		Objects:      []Ref{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop", NeverReady: true}},
		HealthChecks: []HealthCheck{{Ref: Ref{Kind: "Deployment", Name: "web"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !obj.Spec.Wait || len(obj.Spec.HealthChecks) != 0 {
		t.Errorf("wait %v, healthChecks %v; want wait and none", obj.Spec.Wait, obj.Spec.HealthChecks)
	}
}

// TestWaitOwnHealthCheckOtherVersion: under wait, a health check of the
// app's own object written with another version of its group is still the
// app's object (Flux keeps a check's group and kind, not its version), so
// wait covers it; refusing it as an object the app does not apply sent the
// user to set wait: false for nothing.
func TestWaitOwnHealthCheckOtherVersion(t *testing.T) {
	t.Parallel()
	obj, err := Build(Kustomization{
		Name: "shop", Namespace: "flux-system", App: "shop", Env: "dev", Path: "./clusters/dev/apps/shop",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"}, Interval: "10m", Wait: true,
		Objects:      []Ref{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop"}},
		HealthChecks: []HealthCheck{{Ref: Ref{APIVersion: "apps/v1beta1", Kind: "Deployment", Name: "web", Namespace: "shop"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !obj.Spec.Wait || len(obj.Spec.HealthChecks) != 0 {
		t.Errorf("wait %v, healthChecks %v; want wait and none", obj.Spec.Wait, obj.Spec.HealthChecks)
	}
	// A kind of another group of the same name is not the app's object.
	_, err = Build(Kustomization{
		Name: "shop", Namespace: "flux-system", App: "shop", Env: "dev", Path: "./clusters/dev/apps/shop",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"}, Interval: "10m", Wait: true,
		Objects:      []Ref{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop"}},
		HealthChecks: []HealthCheck{{Ref: Ref{APIVersion: "example.com/v1", Kind: "Deployment", Name: "web", Namespace: "shop"}}},
	})
	if err == nil || !strings.Contains(err.Error(), "names an object the app does not apply") {
		t.Errorf("a check of example.com/v1 Deployment under wait: got %v, want it refused", err)
	}
}

// TestNeverReadyWorkloads: a workload whose health check Flux (kstatus)
// could never see pass is not made a health check: a paused Deployment,
// which the deployment controller never rolls out, and a DaemonSet with
// updateStrategy OnDelete, whose pods keep the old template after a
// change until deleted by hand; nor is one kustomize-controller does not
// apply (reconcile: disabled, ssa: Ignore, as a label or annotation in
// any case). The same kinds otherwise are (ssa: IfNotPresent is applied
// once), and an explicit flux.healthChecks entry for one is kept.
func TestNeverReadyWorkloads(t *testing.T) {
	t.Parallel()
	const docs = `apiVersion: apps/v1
kind: Deployment
metadata: {name: paused, namespace: shop}
spec: {paused: true}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: paused-caps, namespace: shop}
spec: {paused: True}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: running, namespace: shop}
spec: {paused: false}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain, namespace: shop}
spec: {replicas: 2}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ondelete, namespace: shop}
spec: {updateStrategy: {type: OnDelete}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: rolling, namespace: shop}
spec: {updateStrategy: {type: RollingUpdate}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec: {updateStrategy: {type: OnDelete}}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: other-group, namespace: shop}
spec: {paused: true}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reconcile-disabled, namespace: shop, annotations: {kustomize.toolkit.fluxcd.io/reconcile: disabled}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ssa-ignore, namespace: shop, labels: {kustomize.toolkit.fluxcd.io/ssa: ignore}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: if-not-present, namespace: shop, annotations: {kustomize.toolkit.fluxcd.io/ssa: IfNotPresent}}
`
	var refs []Ref
	for _, d := range strings.Split(docs, "---\n") {
		n, err := kyaml.Parse(d)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ObjectRef(n))
	}
	k := Kustomization{
		Name: "shop", Namespace: "flux-system", App: "shop", Env: "dev", Path: "./clusters/dev/apps/shop",
		SourceRef: Ref{Kind: "GitRepository", Name: "flux-system"}, Interval: "10m", Objects: refs,
	}
	checked := func(k Kustomization) []string {
		t.Helper()
		obj, err := Build(k)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, hc := range obj.Spec.HealthChecks {
			got = append(got, hc.Kind+"/"+hc.Name)
		}
		return got
	}
	want := []string{"DaemonSet/rolling", "Deployment/plain", "Deployment/running", "HelmRelease/if-not-present", "StatefulSet/db"}
	if diff := cmp.Diff(want, checked(k)); diff != "" {
		t.Errorf("health checks (-want +got):\n%s", diff)
	}
	k.HealthCheckExprs = []Expr{{APIVersion: "apps/v1", Kind: "StatefulSet", Current: "true"}}
	if diff := cmp.Diff(want, checked(k)); diff != "" {
		t.Errorf("with an expression for a kind (-want +got):\n%s", diff)
	}
	k.HealthCheckExprs = nil
	k.HealthChecks = []HealthCheck{{Ref: Ref{Kind: "Deployment", Name: "paused"}}}
	want = []string{"DaemonSet/rolling", "Deployment/paused", "Deployment/plain", "Deployment/running", "HelmRelease/if-not-present", "StatefulSet/db"}
	if diff := cmp.Diff(want, checked(k)); diff != "" {
		t.Errorf("with an explicit health check (-want +got):\n%s", diff)
	}
}
