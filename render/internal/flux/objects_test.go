package flux

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	notifyv1beta3 "github.com/fluxcd/notification-controller/api/v1beta3"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	swapi "github.com/fluxcd/source-watcher/api/v2/v1beta1"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	gold.File(t, filepath.Join("testdata", name), got, *update)
}

// decodeStrict decodes each document of a stream strictly into the Flux
// type its kind names, failing on any field Flux does not know.
func decodeStrict(t *testing.T, stream []byte) []string {
	t.Helper()
	var kinds []string
	for _, doc := range bytes.Split(stream, []byte("\n---\n")) {
		var tm struct{ Kind string }
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatal(err)
		}
		var into any
		switch tm.Kind {
		case "HelmRelease":
			into = &helmv2.HelmRelease{}
		case "HelmRepository":
			into = &sourcev1.HelmRepository{}
		case "OCIRepository":
			into = &sourcev1.OCIRepository{}
		case "Provider":
			into = &notifyv1beta3.Provider{}
		case "Alert":
			into = &notifyv1beta3.Alert{}
		case "ArtifactGenerator":
			into = &swapi.ArtifactGenerator{}
		default:
			t.Fatalf("unexpected kind %q", tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			t.Errorf("strict decode of %s: %v\n%s", tm.Kind, err, doc)
		}
		kinds = append(kinds, tm.Kind)
	}
	return kinds
}

func TestBuildHelmRelease(t *testing.T) {
	t.Parallel()
	base := HelmRelease{
		Name: "redis", Namespace: "instavote", App: "redis", Env: "dev", Interval: "10m", Timeout: "5m",
		GitSource: Ref{Kind: "GitRepository", Name: "flux-system", Namespace: "flux-system"},
		DependsOn: []Ref{{Name: "platform", Namespace: "instavote"}, {Name: "cert-manager", Namespace: "infra"}},
		Values:    map[string]any{"replicas": 1, "auth": map[string]any{"enabled": false}},
	}
	tests := []struct {
		name      string
		change    func(h *HelmRelease)
		golden    string
		wantKinds []string
	}{
		{name: "chart folder", change: func(h *HelmRelease) { h.Chart = "charts/redis" }, golden: "helmrelease-folder.yaml", wantKinds: []string{"HelmRelease"}},
		{name: "http repository", change: func(h *HelmRelease) {
			h.Chart, h.Repo, h.Version = "redis", "https://charts.example.com", "17.3.14"
		}, golden: "helmrelease-http.yaml", wantKinds: []string{"HelmRelease", "HelmRepository"}},
		{name: "oci exact version", change: func(h *HelmRelease) {
			h.Chart, h.Repo, h.Version = "redis", "oci://ghcr.io/acme/charts", "17.3.14"
		}, golden: "helmrelease-oci.yaml", wantKinds: []string{"HelmRelease", "OCIRepository"}},
		{name: "oci exact version with build metadata", change: func(h *HelmRelease) {
			h.Chart, h.Repo, h.Version = "redis", "oci://ghcr.io/acme/charts", "17.3.14+up1.2"
			h.Values, h.DependsOn, h.Timeout = nil, nil, ""
		}, golden: "helmrelease-oci-build.yaml", wantKinds: []string{"HelmRelease", "OCIRepository"}},
		{name: "oci constraint", change: func(h *HelmRelease) {
			h.Chart, h.Repo, h.Version = "redis", "oci://ghcr.io/acme/charts/", "~17.3"
			h.Values, h.DependsOn, h.Timeout = nil, nil, ""
		}, golden: "helmrelease-oci-semver.yaml", wantKinds: []string{"HelmRelease", "OCIRepository"}},
		{name: "chart folder in a bucket", change: func(h *HelmRelease) {
			h.Chart, h.GitSource = "charts/redis", Ref{Kind: "Bucket", Name: "manifests", Namespace: "flux-system"}
		}, golden: "helmrelease-folder-bucket.yaml", wantKinds: []string{"HelmRelease"}},
		{name: "chart folder in an oci artifact", change: func(h *HelmRelease) {
			h.Chart, h.GitSource = "./charts/redis/", Ref{Kind: "OCIRepository", Name: "manifests", Namespace: "flux-system"}
		}, golden: "helmrelease-folder-oci.yaml", wantKinds: []string{"HelmRelease", "ArtifactGenerator"}},
		{name: "chart without its crds", change: func(h *HelmRelease) {
			h.Chart, h.Repo, h.Version, h.SkipCRDs = "redis", "oci://ghcr.io/acme/charts", "17.3.14", true
			h.Values, h.DependsOn = nil, nil
		}, golden: "helmrelease-skip-crds.yaml", wantKinds: []string{"HelmRelease", "OCIRepository"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := base
			tt.change(&h)
			hr, src, err := BuildHelmRelease(h)
			if err != nil {
				t.Fatal(err)
			}
			objs := []any{hr}
			if src != nil {
				objs = append(objs, src)
			}
			data, err := MarshalAll(objs)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, data)
			crdValid(t, tt.golden, data)
			if diff := cmp.Diff(tt.wantKinds, decodeStrict(t, data)); diff != "" {
				t.Errorf("kinds (-want +got):\n%s", diff)
			}
			// Read back, the files build again as they are: a kept helm
			// app's are built again with kiln.yaml's flux settings of now.
			hrData, srcData := marshalBoth(t, hr, src)
			read, err := ReadHelmRelease(hrData, srcData)
			if err != nil {
				t.Fatal(err)
			}
			hr2, src2, err := BuildHelmRelease(read)
			if err != nil {
				t.Fatal(err)
			}
			hrAgain, srcAgain := marshalBoth(t, hr2, src2)
			if diff := cmp.Diff(string(hrData)+string(srcData), string(hrAgain)+string(srcAgain)); diff != "" {
				t.Errorf("built again from ReadHelmRelease (-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := BuildHelmRelease(HelmRelease{Interval: "soon"}); err == nil {
		t.Error("BuildHelmRelease accepted a bad interval")
	}
}

// marshalBoth is Marshal of a HelmRelease and of its source, nil when the
// source is.
func marshalBoth(t *testing.T, hr, src any) (hrData, srcData []byte) {
	t.Helper()
	hrData, err := Marshal(hr)
	if err != nil {
		t.Fatal(err)
	}
	if src == nil || reflect.ValueOf(src).IsNil() {
		return hrData, nil
	}
	if srcData, err = Marshal(src); err != nil {
		t.Fatal(err)
	}
	return hrData, srcData
}

// TestReadHelmReleaseRefuses: what BuildHelmRelease never builds is not
// read as a HelmRelease it could build again.
func TestReadHelmReleaseRefuses(t *testing.T) {
	t.Parallel()
	hr, _, err := BuildHelmRelease(HelmRelease{Name: "redis", Namespace: "ns", Interval: "1m", Chart: "charts/redis",
		GitSource: Ref{Kind: "GitRepository", Name: "flux-system", Namespace: "flux-system"}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(hr)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		hr, src string
		want    string
	}{
		{name: "unknown field", hr: strings.Replace(string(data), "  releaseName: redis\n", "  releaseName: redis\n  suspend2: true\n", 1), want: "unknown field"},
		{name: "another kind", hr: strings.Replace(string(data), "kind: HelmRelease", "kind: Kustomization", 1), want: "where a helm.toolkit.fluxcd.io/v2 HelmRelease was expected"},
		{name: "a source of a chart folder", hr: string(data), src: "apiVersion: v1\nkind: ConfigMap\n", want: "a source the HelmRelease's chart folder is not read from"},
		{name: "install settings", hr: strings.Replace(string(data), "  interval: 1m0s\n", "  install: {crds: CreateReplace}\n  interval: 1m0s\n", 1), want: "install settings are none kiln writes"},
		{name: "a chartRef without its source", hr: strings.Replace(string(data), "  chart:\n", "  chartRef: {kind: OCIRepository, name: redis}\n  chart:\n", 1), want: "no OCIRepository"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var src []byte
			if tt.src != "" {
				src = []byte(tt.src)
			}
			_, err := ReadHelmRelease([]byte(tt.hr), src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestBuildNotifications(t *testing.T) {
	t.Parallel()
	n := Notifications{
		Env: "dev", Namespace: "flux-system", SecretRef: "github-token",
		CommitStatus: "acme/manifests", Dispatch: "acme/instavote",
		NameTemplate: "{app}", Apps: []string{"vote", "redis", "db"},
	}
	data, err := MarshalAll(BuildNotifications(n))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "notifications.yaml", data)
	crdValid(t, "notifications.yaml", data)
	want := []string{"Provider", "Alert", "Provider", "Alert"}
	if diff := cmp.Diff(want, decodeStrict(t, data)); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}

	n.Dispatch = ""
	if got := len(BuildNotifications(n)); got != 2 {
		t.Errorf("commit status only: %d objects, want 2", got)
	}
	n.Dispatch, n.CommitStatus = "acme/instavote", ""
	objs := BuildNotifications(n)
	if len(objs) != 2 || objs[0].(*notifyv1beta3.Provider).Spec.Type != "githubdispatch" {
		t.Errorf("dispatch only: got %d objects, want the githubdispatch pair", len(objs))
	}
}

// TestCommitStatusExpr checks the expression text for each way of naming
// Kustomizations, and that applying its cut to a real name gives the app:
// the expression's substring bounds are computed the same way.
func TestCommitStatusExpr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tmpl, env, kust, want string
	}{
		{name: "app only", tmpl: "{app}", env: "dev", kust: "vote",
			want: `"kiln/dev/" + event.involvedObject.name`},
		{name: "app and env", tmpl: "{app}-{env}", env: "staging", kust: "vote-staging",
			want: `"kiln/staging/" + event.involvedObject.name.substring(0, size(event.involvedObject.name) - 8)`},
		{name: "prefix", tmpl: "{env}-{app}", env: "prod", kust: "prod-vote",
			want: `"kiln/prod/" + event.involvedObject.name.substring(5)`},
		{name: "both sides", tmpl: "kiln-{app}-{env}", env: "dev", kust: "kiln-vote-dev",
			want: `"kiln/dev/" + event.involvedObject.name.substring(5, size(event.involvedObject.name) - 4)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, CommitStatusExpr(tt.tmpl, tt.env)); diff != "" {
				t.Errorf("CommitStatusExpr (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCommitStatusExprCEL evaluates the emitted commitStatusExpr the way
// notification-controller v1.9 does (fluxcd/pkg/runtime/cel: the same
// environment options, compiled with event, alert and provider declared as
// google.protobuf.Struct and a string result; the objects converted with
// the unstructured converter) on the event of each app's Kustomization.
func TestCommitStatusExprCEL(t *testing.T) {
	t.Parallel()
	env, err := cel.NewEnv(
		cel.HomogeneousAggregateLiterals(),
		cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		ext.Strings(),
		ext.Sets(),
		ext.Encoders(),
		cel.Variable("event", cel.ObjectType("google.protobuf.Struct")),
		cel.Variable("alert", cel.ObjectType("google.protobuf.Struct")),
		cel.Variable("provider", cel.ObjectType("google.protobuf.Struct")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The part of Flux's event (fluxcd/pkg/apis/event/v1beta1) the
	// expression reads, with its JSON names.
	type event struct {
		InvolvedObject corev1.ObjectReference `json:"involvedObject"`
		Severity       string                 `json:"severity"`
		Reason         string                 `json:"reason"`
		Message        string                 `json:"message"`
		Metadata       map[string]string      `json:"metadata,omitempty"`
	}
	// Env and app names are DNS labels: up to 63 characters of a-z, 0-9
	// and '-', a digit first too; an app may hold the env's name.
	long := strings.Repeat("a1-", 20) + "end"
	for _, tc := range []struct{ tmpl, env string }{
		{"{app}", "dev"}, {"{app}-{env}", "staging"}, {"{env}-{app}", "prod"}, {"kiln-{app}-{env}", "dev"},
		// {app} more than once: flux.name allows it, and the cut must
		// still find the app, not a piece of it.
		{"{app}-{app}", "dev"}, {"k-{app}.{env}.{app}x", "prod"}, {"{app}{app}{app}", "dev"},
		{"{app}-{env}", long}, {"{env}.{app}", "1"}, {"{env}-{app}-{env}", "dev"},
	} {
		apps := []string{"vote", "a", "worker-2", "1", "dev-dev", "prod", long}
		objs := BuildNotifications(Notifications{Env: tc.env, Namespace: "flux-system", SecretRef: "gh",
			CommitStatus: "acme/manifests", NameTemplate: tc.tmpl, Apps: apps})
		provider, alert := objs[0].(*notifyv1beta3.Provider), objs[1].(*notifyv1beta3.Alert)
		ast, iss := env.Compile(provider.Spec.CommitStatusExpr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", provider.Spec.CommitStatusExpr, iss.Err())
		}
		if ast.OutputType() != cel.StringType {
			t.Fatalf("%s: output type %v, want string", provider.Spec.CommitStatusExpr, ast.OutputType())
		}
		prog, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.InterruptCheckFrequency(100))
		if err != nil {
			t.Fatal(err)
		}
		pm, err := runtime.DefaultUnstructuredConverter.ToUnstructured(provider)
		if err != nil {
			t.Fatal(err)
		}
		am, err := runtime.DefaultUnstructuredConverter.ToUnstructured(alert)
		if err != nil {
			t.Fatal(err)
		}
		for _, app := range apps {
			name := strings.NewReplacer("{app}", app, "{env}", tc.env).Replace(tc.tmpl)
			em, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&event{
				InvolvedObject: corev1.ObjectReference{Kind: "Kustomization", Namespace: "flux-system", Name: name, APIVersion: "kustomize.toolkit.fluxcd.io/v1"},
				Severity:       "info", Reason: "ReconciliationSucceeded", Message: "Reconciliation finished",
				Metadata: map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:0123456789abcdef0123456789abcdef01234567", "env": tc.env},
			})
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := prog.ContextEval(context.Background(), map[string]any{"event": em, "alert": am, "provider": pm})
			if err != nil {
				t.Fatalf("%s on %s: %v", provider.Spec.CommitStatusExpr, name, err)
			}
			if got, want := out.Value(), "kiln/"+tc.env+"/"+app; got != want {
				t.Errorf("%s on Kustomization %s = %v, want %s", provider.Spec.CommitStatusExpr, name, got, want)
			}
		}
	}
}
