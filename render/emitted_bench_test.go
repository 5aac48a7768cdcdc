package render

import (
	"fmt"
	"testing"

	"github.com/kiln-gitops/kiln/render/internal/flux"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// BenchmarkCheckEmitted measures the render-time check of the Flux
// objects kiln writes: 100 apps' Kustomizations (health checks and
// dependsOn included) and the notifications of one env, with the Flux
// CRDs already compiled (BenchmarkCompileFluxCRDs in
// render/internal/validate measures that, paid once per run).
func BenchmarkCheckEmitted(b *testing.B) {
	files := tree.Files{}
	emitted := map[string]string{}
	var apps []string
	for i := range 100 {
		app := fmt.Sprintf("app%03d", i)
		apps = append(apps, app)
		k := flux.Kustomization{
			Name: app, Namespace: "flux-system", App: app, Env: "dev", Path: "./clusters/dev/apps/" + app,
			SourceRef: flux.Ref{Kind: "GitRepository", Name: "flux-system"},
			Interval:  "10m", Timeout: "5m", Prune: true,
			Objects: []flux.Ref{{APIVersion: "apps/v1", Kind: "Deployment", Name: app, Namespace: "shop"}},
		}
		if i > 0 {
			k.DependsOn = []flux.Ref{{Name: apps[i-1], Namespace: "flux-system"}}
		}
		obj, err := flux.Build(k)
		if err != nil {
			b.Fatal(err)
		}
		if files["flux/"+app+".yaml"], err = flux.Marshal(obj); err != nil {
			b.Fatal(err)
		}
		emitted["flux/"+app+".yaml"] = app
	}
	data, err := flux.MarshalAll(flux.BuildNotifications(flux.Notifications{Env: "dev", Namespace: "flux-system", SecretRef: "github-token",
		CommitStatus: "acme/manifests", Dispatch: "acme/app", NameTemplate: "{app}", Apps: apps}))
	if err != nil {
		b.Fatal(err)
	}
	files["flux/notifications.yaml"] = data
	emitted["flux/notifications.yaml"] = ""
	r := &Renderer{schemas: validate.NewSchemas()}
	if err := r.checkEmitted(files, emitted); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.checkEmitted(files, emitted); err != nil {
			b.Fatal(err)
		}
	}
}
