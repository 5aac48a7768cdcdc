package scope

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates/kustomize"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/kustomize/kyaml/yaml/merge2"

	"github.com/kiln-gitops/kiln/templates"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestConcurrentFirstUse must not call t.Parallel: when it runs first (it
// is the first test, unless -shuffle moves it), it is the first use of
// kyaml's openapi globals in the test binary, and -race sees any unguarded
// first initialisation. Strategic merges run alongside, inside
// kustomize.Shared as all kiln code that reads the globals must.
func TestConcurrentFirstUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				dest := kyaml.MustParse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {containers: [{name: a, image: x}]}}}\n")
				patch := kyaml.MustParse("spec: {template: {spec: {containers: [{name: a, image: y}]}}}\n")
				// Under kiln's one guard of the globals, as render's
				// patches run: unguarded, it races with the first use.
				_ = kustomize.Shared(context.Background(), func() error {
					if _, err := merge2.Merge(patch, dest, kyaml.MergeOptions{}); err != nil {
						t.Error(err)
					}
					return nil
				})
			}
			s := New()
			if !s.Namespaced("example.com/v1", "Widget") {
				t.Error("unknown kind is not namespaced")
			}
			if s.Namespaced("rbac.authorization.k8s.io/v1", "ClusterRole") {
				t.Error("ClusterRole is namespaced")
			}
			if err := s.AddCRDs(parse(t, "crd.yaml", crd("Widget", "Cluster"))); err != nil {
				t.Error(err)
			}
			if s.Namespaced("example.com/v1", "Widget") {
				t.Error("Widget is namespaced after its CRD said Cluster")
			}
			_ = kustomize.Shared(context.Background(), func() error {
				_, _ = openapi.IsNamespaceScoped(kyaml.TypeMeta{APIVersion: "example.com/v1", Kind: "Gadget"})
				return nil
			})
		}()
	}
	wg.Wait()
}

func crd(kind, scope string) string {
	return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ` + strings.ToLower(kind) + `s.example.com
spec:
  group: example.com
  names: {kind: ` + kind + `, plural: ` + strings.ToLower(kind) + `s}
  scope: ` + scope + `
  versions: [{name: v1, served: true, storage: true}]
`
}

func TestNamespaced(t *testing.T) {
	t.Parallel()
	s := New()
	if err := s.AddCRDs(parse(t, "crds.yaml", crd("Widget", "Cluster")+"---\n"+crd("Gadget", "Namespaced"))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		apiVersion, kind string
		want             bool
	}{
		{apiVersion: "v1", kind: "Pod", want: true},
		{apiVersion: "v1", kind: "Service", want: true},
		{apiVersion: "v1", kind: "ConfigMap", want: true},
		{apiVersion: "apps/v1", kind: "Deployment", want: true},
		{apiVersion: "batch/v1", kind: "CronJob", want: true},
		{apiVersion: "networking.k8s.io/v1", kind: "Ingress", want: true},
		{apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", want: true},
		{apiVersion: "policy/v1", kind: "PodDisruptionBudget", want: true},
		{apiVersion: "v1", kind: "Namespace", want: false},
		{apiVersion: "v1", kind: "PersistentVolume", want: false},
		{apiVersion: "v1", kind: "Node", want: false},
		{apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", want: false},
		{apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", want: false},
		{apiVersion: "storage.k8s.io/v1", kind: "StorageClass", want: false},
		{apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", want: false},
		{apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", want: false},
		{apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", want: false},
		// Kinds kyaml's table (of an older Kubernetes) does not know,
		// from builtin.txt.
		{apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", want: true},
		{apiVersion: "resource.k8s.io/v1", kind: "ResourceClaim", want: true},
		{apiVersion: "flowcontrol.apiserver.k8s.io/v1", kind: "PriorityLevelConfiguration", want: false},
		{apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", kind: "FlowSchema", want: false},
		{apiVersion: "resource.k8s.io/v1", kind: "DeviceClass", want: false},
		{apiVersion: "networking.k8s.io/v1", kind: "ServiceCIDR", want: false},
		{apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingAdmissionPolicy", want: false},
		{apiVersion: "certificates.k8s.io/v1beta1", kind: "ClusterTrustBundle", want: false},
		{apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", want: true},
		{apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", want: true},
		{apiVersion: "example.com/v1", kind: "Unknown", want: true},
		{apiVersion: "example.com/v1", kind: "Widget", want: false},
		{apiVersion: "example.com/v1beta1", kind: "Widget", want: false},
		{apiVersion: "example.com/v1", kind: "Gadget", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.apiVersion+"/"+tc.kind, func(t *testing.T) {
			t.Parallel()
			if got := s.Namespaced(tc.apiVersion, tc.kind); got != tc.want {
				t.Errorf("Namespaced(%q, %q) = %v, want %v", tc.apiVersion, tc.kind, got, tc.want)
			}
			if known := s.Known(tc.apiVersion, tc.kind); known != (tc.kind != "Unknown" && !strings.Contains(tc.apiVersion, "fluxcd")) {
				t.Errorf("Known(%q, %q) = %v", tc.apiVersion, tc.kind, known)
			}
		})
	}
}

func TestAddCRDsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{
			name: "conflicting scopes",
			yaml: crd("Widget", "Cluster") + "---\n" + crd("Widget", "Namespaced"),
			wantErr: "crds.yaml:11: CustomResourceDefinition/widgets.example.com: CustomResourceDefinition says Widget.example.com is Namespaced, but CustomResourceDefinition/widgets.example.com (crds.yaml:1) says Cluster\n" +
				"  hint: define each custom resource once",
		},
		{
			name: "bad scope",
			yaml: crd("Widget", "Global"),
			wantErr: "crds.yaml:1: CustomResourceDefinition/widgets.example.com: CustomResourceDefinition spec.scope is \"Global\"\n" +
				"  hint: set spec.scope to \"Namespaced\" or \"Cluster\"",
		},
		{
			name: "no group",
			yaml: "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\nspec: {scope: Cluster}\n",
			wantErr: "crds.yaml:1: CustomResourceDefinition/x: CustomResourceDefinition has no spec.group or spec.names.kind\n" +
				"  hint: set spec.group and spec.names.kind",
		},
		{
			name: "same CRD twice is fine",
			yaml: crd("Widget", "Cluster") + "---\n" + crd("Widget", "Cluster"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := New().AddCRDs(parse(t, "crds.yaml", tc.yaml))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.wantErr, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSetDefault sets the namespace of testdata/objects.yaml and compares
// with testdata/objects.golden.
func TestSetDefault(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "objects.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs := parse(t, "testdata/objects.yaml", string(data))
	s := New()
	if err := s.AddCRDs(objs); err != nil {
		t.Fatal(err)
	}
	s.SetDefault(objs, "instavote")
	var b bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.WriteString(o.Node.MustString())
	}
	golden(t, filepath.Join("testdata", "objects.golden"), b.Bytes())

	// Setting it again changes nothing.
	before := b.String()
	s.SetDefault(objs, "other")
	b.Reset()
	for i, o := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.WriteString(o.Node.MustString())
	}
	if diff := cmp.Diff(before, b.String()); diff != "" {
		t.Errorf("second SetDefault changed objects (-want +got):\n%s", diff)
	}
}

func BenchmarkNamespaced(b *testing.B) {
	s := New()
	for b.Loop() {
		s.Namespaced("example.com/v1", "Widget")
		s.Namespaced("apps/v1", "Deployment")
	}
}

func parse(t testing.TB, file, data string) []templates.Object {
	t.Helper()
	objs, err := objects.Parse([]byte(data), file, 0)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	gold.File(t, file, got, *update)
}
