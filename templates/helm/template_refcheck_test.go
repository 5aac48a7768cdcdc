//go:build refcheck

package helm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/templates"
)

// TestTemplateBytes compares clientOnlyInstall, kiln's own copy of the
// steps of helm's install action, with the helm program (on PATH, as `make
// refcheck` installs it) byte for byte: what `helm template
// --include-crds --skip-tests` prints (without --include-crds for
// SkipCRDs), or the error it reports, given the API versions kiln adds for
// the kubeVersion as --api-versions.
func TestTemplateBytes(t *testing.T) {
	if _, err := exec.LookPath("helm"); err != nil {
		t.Fatal("the helm program is not on PATH; run `make refcheck`")
	}
	root := testRoot(t)
	tests := []struct {
		name string
		req  templates.Request
	}{
		{name: "features", req: templates.Request{Path: "charts/features", KubeVersion: "1.31.0"}},
		// The replica alias and the cache tag switched on: their CRDs and
		// templates appear.
		{name: "features-all-on", req: templates.Request{Path: "charts/features", KubeVersion: "1.30.2", Values: map[string]any{
			"tags": map[string]any{"extras": true}, "replica": map[string]any{"enabled": true}, "metrics": map[string]any{"enabled": false},
		}}},
		{name: "features-default-kube", req: templates.Request{Path: "charts/features"}},
		// skipCRDs: helm template without --include-crds, the subcharts'
		// crds/ left out too.
		{name: "features-skip-crds", req: templates.Request{Path: "charts/features", KubeVersion: "1.30.2", SkipCRDs: true, Values: map[string]any{
			"tags": map[string]any{"extras": true}, "replica": map[string]any{"enabled": true},
		}}},
		{name: "app-skip-crds", req: templates.Request{Path: "charts/app", KubeVersion: "1.31.0", SkipCRDs: true}},
		{name: "features-schema", req: templates.Request{Path: "charts/features", Values: map[string]any{"name": ""}}},
		{name: "app", req: templates.Request{Path: "charts/app", KubeVersion: "1.31.0"}},
		{name: "app-values", req: templates.Request{Path: "charts/app", KubeVersion: "1.29.4", ValuesFiles: []string{"values/base.yaml", "values/prod.yaml"},
			Values: map[string]any{"replicas": 5, "service": map[string]any{"annotations": nil}}}},
		{name: "kube-too-old", req: templates.Request{Path: "charts/app", KubeVersion: "1.24.0"}},
		{name: "fail", req: templates.Request{Path: "charts/failing"}},
		{name: "syntax", req: templates.Request{Path: "charts/syntax"}},
		{name: "nilptr", req: templates.Request{Path: "charts/nilptr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.Root, req.App, req.Namespace = root, "web", "shop"
			want := helmTemplate(t, &req)
			got := kilnTemplate(t, &req)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("kiln differs from helm template (-helm +kiln):\n%s", diff)
			}
		})
	}
}

// helmTemplate runs the helm program as the refcheck test of the example
// does, in the repository root. A failure gives "Error: <text>".
func helmTemplate(t *testing.T, req *templates.Request) string {
	t.Helper()
	args := []string{"template", req.App, req.Path, "-n", req.Namespace, "--skip-tests"}
	if !req.SkipCRDs {
		args = append(args, "--include-crds")
	}
	if req.KubeVersion != "" {
		args = append(args, "--kube-version", req.KubeVersion)
		// What kiln adds to helm's default API versions for a cluster of
		// that version (capabilities.go), given as helm takes it.
		kv, err := chartutil.ParseKubeVersion(req.KubeVersion)
		if err == nil {
			for _, v := range apiVersionsFor(kv) {
				if !chartutil.DefaultVersionSet.Has(v) {
					args = append(args, "--api-versions", v)
				}
			}
		}
	}
	for _, f := range req.ValuesFiles {
		args = append(args, "-f", f)
	}
	if req.Values != nil {
		data, err := yaml.Marshal(req.Values)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "env-values.yaml")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-f", f)
	}
	cmd := exec.Command("helm", args...)
	cmd.Dir = req.Root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// helm template adds this to errors of a release it rendered in part.
		msg := strings.TrimSuffix(strings.TrimSpace(stderr.String()), "\n\nUse --debug flag to render out invalid YAML")
		return msg + "\n"
	}
	return stdout.String()
}

// kilnTemplate loads req's chart and values as Engine.render does, runs
// clientOnlyInstall and prints the result as cmd/helm/template.go does.
func kilnTemplate(t *testing.T, req *templates.Request) string {
	t.Helper()
	e := New(Options{})
	src, err := e.chart(context.Background(), req, deps.New(req.Root))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := readValues(req, deps.New(req.Root))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := parseKubeVersion(req.KubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	chrt, err := loader.LoadFiles(src.files)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := clientOnlyInstall(chrt, vals.merged, installOptions{releaseName: req.App, namespace: req.Namespace, kubeVersion: kv, skipCRDs: req.SkipCRDs})
	if err != nil {
		return "Error: " + strings.TrimSpace(err.Error()) + "\n"
	}
	var manifest strings.Builder
	for _, c := range rel.manifest {
		fmt.Fprintf(&manifest, "---\n# Source: %s\n%s", c.source, c.body)
	}
	var out strings.Builder
	fmt.Fprintln(&out, strings.TrimSpace(manifest.String()))
	for _, c := range rel.hooks {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s", c.source, c.body)
	}
	return out.String()
}
