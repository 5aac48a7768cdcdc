package render_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

// readRealFile reads a file of testdata/manifests at the repository root,
// gunzipped when its name ends in .gz.
func readRealFile(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile("../testdata/manifests/" + rel)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(rel, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return string(data)
}

// TestListedCRDsInstalledByOtherMeans: the CRDs kiln.yaml lists under
// validation.crds are in the cluster already, installed by other means
// (a cloud provider's Gateway API, cert-manager's own chart); Flux never
// applies them. What the API server refuses when a CRD is created is no
// problem of the env then: cert-manager's real Certificate CRD, whose
// versions carry selectableFields (a field of Kubernetes 1.30, which an
// older API server drops when cert-manager's chart creates the CRD), with
// kubeVersion 1.29; Gateway API's real TLSRoute CRD, whose hostnames rule
// calls isIP (a CEL library an API server of 1.30 does not let a new rule
// use), with kubeVersion 1.30. Both listed, the env renders, and its
// custom resources are still checked against them: a Certificate without
// secretName is refused. The same CRDs rendered by an app are applied by
// Flux, and refused as before.
func TestListedCRDsInstalledByOtherMeans(t *testing.T) {
	t.Parallel()
	certCRD := readRealFile(t, "cert-manager/cert-manager.io_certificates.yaml")
	tlsCRD := readRealFile(t, "gateway-api/tlsroutes-crd.yaml.gz")
	certs := readRealFile(t, "cert-manager/cert-manager-resources.yaml")
	// A Certificate only: the file's Issuer needs a CRD not listed here.
	var cert string
	for _, doc := range strings.Split(certs, "\n---\n") {
		if doc += "\n"; strings.Contains(doc, "kind: Certificate\n") && strings.Contains(doc, "  secretName: test1\n") {
			cert = doc
		}
	}
	if cert == "" {
		t.Fatal("no Certificate in cert-manager-resources.yaml")
	}
	route := readRealFile(t, "gateway-api/tls-route.yaml")

	for _, tc := range []struct {
		name, kube, crd, obj, bad string
	}{
		{"cert-manager selectableFields", "1.29.0", certCRD, cert, `selectableFields" is not in the API of Kubernetes 1.29`},
		{"gateway-api isIP", "1.30.0", tlsCRD, route, `undeclared reference to 'isIP'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pipeline := "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"" + tc.kube + "\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n"
			files := map[string]string{
				"crds/crd.yaml":   tc.crd,
				"app/object.yaml": tc.obj,
				"envs/dev.yaml":   "{}\n",
			}
			files["kiln.yaml"] = pipeline + "validation:\n  crds: [crds/crd.yaml]\napps:\n  - name: web\n    namespace: apps\n    yaml: app\n"
			er := renderOne(t, writeProject(t, files))
			if err := olderThanFlux(er.Err); err != nil {
				t.Fatalf("refused with its CRD installed by other means:\n%v", err)
			}
			if len(er.Warnings) != 0 {
				t.Errorf("warnings: %v", er.Warnings)
			}

			// Still checked against the listed CRD.
			if tc.obj == cert {
				files["app/object.yaml"] = strings.Replace(cert, "  secretName: test1\n", "", 1)
				er := renderOne(t, writeProject(t, files))
				if er.Err == nil || !strings.Contains(er.Err.Error(), `field "spec.secretName": Required value`) {
					t.Errorf("a Certificate without secretName: %v", er.Err)
				}
				files["app/object.yaml"] = tc.obj
			}

			// Rendered by an app, the CRD is Flux's to apply.
			files["app/crd.yaml"] = tc.crd
			files["kiln.yaml"] = pipeline + "apps:\n  - name: web\n    namespace: apps\n    yaml: app\n"
			er = renderOne(t, writeProject(t, files))
			if er.Err == nil || !strings.Contains(er.Err.Error(), tc.bad) {
				t.Errorf("the CRD rendered by an app: got %v, want an error containing %q", er.Err, tc.bad)
			}
		})
	}
}

// olderThanFlux is err without the error --strict makes of the warning
// that kubeVersion is older than the pinned Flux supports, for the tests
// whose old kubeVersion is the point.
func olderThanFlux(err error) error {
	var rest []error
	for _, e := range diag.Flatten(err) {
		if !strings.Contains(e.Error(), "the oldest that Flux") {
			rest = append(rest, e)
		}
	}
	return diag.Join(rest...)
}

// renderOne renders the one env of the project at root, strict, and
// returns its result.
func renderOne(t *testing.T, root string) *render.EnvResult {
	t.Helper()
	r, err := render.New(load(t, root), checkOptions(true))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d envs", len(results))
	}
	for _, e := range diag.Flatten(results[0].Err) {
		t.Log(e)
	}
	return results[0]
}
