package render_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// TestListedCRDFolder: validation.crds may name a folder, as projects
// ship their CRDs (a chart's crds/, tetragon's dozen files): its .yaml,
// .yml and .json files are read, its kustomization file, other files and
// subfolders are not. A CRD file added to the folder is seen by the next
// render with the same cache: a Certificate that no listed CRD defined
// passed unchecked, and is then checked against the new CRD and refused
// without its secretName. A file of the folder that
// holds another object, and a folder with no YAML file, are errors at
// the entry, saying what to do.
func TestListedCRDFolder(t *testing.T) {
	t.Parallel()
	certs := readRealFile(t, "cert-manager/cert-manager-resources.yaml")
	var cert string
	for _, doc := range strings.Split(certs, "\n---\n") {
		if doc += "\n"; strings.Contains(doc, "kind: Certificate\n") && strings.Contains(doc, "  secretName: test1\n") {
			cert = doc
		}
	}
	root := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"validation:\n  crds: [crds]\napps:\n  - name: web\n    namespace: apps\n    yaml: app\n",
		"envs/dev.yaml":           "{}\n",
		"crds/kustomization.yaml": "resources: [widgets.yaml]\n",
		"crds/README.md":          "the cluster's CRDs\n",
		"crds/old/notes.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n",
		"crds/widgets.yaml":       widgetCRD,
		"app/cert.yaml":           strings.Replace(cert, "  secretName: test1\n", "", 1),
	})
	p := load(t, root)
	opts := checkOptions(false)
	opts.CacheDir = t.TempDir()
	renderEnv := func() *render.EnvResult {
		er, _ := checkedRun(t, p, opts)
		return er
	}
	if err := renderEnv().Err; err != nil {
		t.Fatalf("first render, no Certificate CRD listed yet: %v", err)
	}

	write := func(rel, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, rel), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("crds/certificates.yml", readRealFile(t, "cert-manager/cert-manager.io_certificates.yaml"))
	if err := renderEnv().Err; err == nil || !strings.Contains(err.Error(), `field "spec.secretName": Required value`) {
		t.Errorf("the folder's new CRD file: got %v, want the Certificate refused", err)
	}

	// Shipped beside the CRDs (gateway-api's ValidatingAdmissionPolicy),
	// passed over; named on its own, refused.
	write("crds/notes.json", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "notes"}}`)
	if err := renderEnv().Err; err == nil || strings.Count(err.Error(), "\n  hint:") != 1 || !strings.Contains(err.Error(), `field "spec.secretName": Required value`) {
		t.Errorf("a ConfigMap in the folder, want the Certificate's error alone: %v", err)
	}
	write("notes.json", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "notes"}}`)
	config, err := os.ReadFile(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Named too, whether as a copy or as the folder's own file.
	for _, named := range []string{"notes.json", "crds/notes.json"} {
		write("kiln.yaml", strings.Replace(string(config), "crds: [crds]", "crds: [crds, "+named+"]", 1))
		if er, _ := checkedRun(t, load(t, root), opts); er.Err == nil || !strings.Contains(er.Err.Error(), named+":1") ||
			!strings.Contains(er.Err.Error(), "keep only CRDs in the files under validation.crds") {
			t.Errorf("a ConfigMap's file named as %s: %v", named, er.Err)
		}
	}

	write("kiln.yaml", string(config))
	for _, f := range []string{"kustomization.yaml", "widgets.yaml", "certificates.yml", "notes.json"} {
		if err := os.Remove(filepath.Join(root, "crds", f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := renderEnv().Err; err == nil || !strings.Contains(err.Error(), "kiln.yaml:6: validation.crds: folder crds holds no .yaml, .yml or .json file") {
		t.Errorf("a folder without YAML files: %v", err)
	}
}

// TestListedCRDTwice: the cluster holds one CustomResourceDefinition of
// a name, but validation.crds may list two, a stale copy left in a
// folder beside the new release's file most often. The later in name
// order won, silently: cert-manager's Certificate CRD with secretName
// made optional, in a file sorting after the real one, let a Certificate
// without secretName pass. Two copies that differ are an error naming
// both; the same CRD reached twice (a symlink in the folder to another
// of its files, a file listed beside its folder) is read as one.
func TestListedCRDTwice(t *testing.T) {
	t.Parallel()
	certCRD := readRealFile(t, "cert-manager/cert-manager.io_certificates.yaml")
	certs := readRealFile(t, "cert-manager/cert-manager-resources.yaml")
	var cert string
	for _, doc := range strings.Split(certs, "\n---\n") {
		if doc += "\n"; strings.Contains(doc, "kind: Certificate\n") && strings.Contains(doc, "  secretName: test1\n") {
			cert = doc
		}
	}
	stale := strings.Replace(certCRD, "            - secretName\n", "", 1)
	if stale == certCRD {
		t.Fatal("the Certificate CRD no longer requires secretName")
	}
	pipeline := func(crds string) string {
		return "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"validation:\n  crds: " + crds + "\napps:\n  - name: web\n    namespace: apps\n    yaml: app\n"
	}
	const refused = `field "spec.secretName": Required value`

	root := writeProject(t, map[string]string{
		"kiln.yaml":                              pipeline("[crds/cert-manager.io_certificates.yaml, crds, crds]"),
		"envs/dev.yaml":                          "{}\n",
		"crds/cert-manager.io_certificates.yaml": certCRD,
		"app/cert.yaml":                          strings.Replace(cert, "  secretName: test1\n", "", 1),
	})
	if err := os.Symlink("cert-manager.io_certificates.yaml", filepath.Join(root, "crds/same.yaml")); err != nil {
		t.Fatal(err)
	}
	err := renderOne(t, root).Err
	if err == nil || !strings.Contains(err.Error(), refused) || strings.Contains(err.Error(), "twice") {
		t.Errorf("the same CRD through a file, its folder and a symlink: got %v, want only the Certificate refused", err)
	}

	if err := os.WriteFile(filepath.Join(root, "crds/zz-old.yaml"), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	err = renderOne(t, root).Err
	if err == nil || !strings.Contains(err.Error(), "crds/zz-old.yaml:2: CustomResourceDefinition/certificates.cert-manager.io: validation.crds lists CustomResourceDefinition certificates.cert-manager.io twice, and the two differ (also at crds/cert-manager.io_certificates.yaml:2)") {
		t.Errorf("a stale copy of the CRD in the folder: %v", err)
	}

	// A file reached twice is read once (a hundred symlinks to a CRD file
	// of a few MiB took minutes): its mistake is reported once.
	if err := os.Remove(filepath.Join(root, "crds/zz-old.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "crds/notes.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("notes.yaml", filepath.Join(root, "crds/notes-again.yaml")); err != nil {
		t.Fatal(err)
	}
	err = renderOne(t, root).Err
	if n := strings.Count(fmt.Sprint(err), "crds/notes"); n != 1 {
		t.Errorf("a file that does not parse in the folder and a symlink to it: reported %d times, want once: %v", n, err)
	}
}

// TestListedCRDFolderSymlinkToFolder: a symlink in a validation.crds
// folder that leads to a folder is a subfolder, not read, like the others
// (it was an error telling to name a file, not a folder). Where it leads
// is part of what the render cache compares: pointed at a CRD file, the
// next render with the same cache checks against that CRD.
func TestListedCRDFolderSymlinkToFolder(t *testing.T) {
	t.Parallel()
	certs := readRealFile(t, "cert-manager/cert-manager-resources.yaml")
	var cert string
	for _, doc := range strings.Split(certs, "\n---\n") {
		if doc += "\n"; strings.Contains(doc, "kind: Certificate\n") && strings.Contains(doc, "  secretName: test1\n") {
			cert = doc
		}
	}
	root := writeProject(t, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"validation:\n  crds: [crds]\napps:\n  - name: web\n    namespace: apps\n    yaml: app\n",
		"envs/dev.yaml":                         "{}\n",
		"crds/widgets.yaml":                     widgetCRD,
		"vendor/cert-manager/certificates.yaml": readRealFile(t, "cert-manager/cert-manager.io_certificates.yaml"),
		"app/cert.yaml":                         strings.Replace(cert, "  secretName: test1\n", "", 1),
	})
	link := filepath.Join(root, "crds/cert-manager.yaml")
	if err := os.Symlink("../vendor/cert-manager", link); err != nil {
		t.Fatal(err)
	}
	p := load(t, root)
	opts := checkOptions(false)
	opts.CacheDir = t.TempDir()
	renderEnv := func() error {
		t.Helper()
		r, err := render.New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		results, err := r.Render(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return results[0].Err
	}
	if err := renderEnv(); err != nil {
		t.Fatalf("a symlink to a folder in the folder: %v", err)
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../vendor/cert-manager/certificates.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := renderEnv(); err == nil || !strings.Contains(err.Error(), `field "spec.secretName": Required value`) {
		t.Errorf("the symlink now leads to the Certificate CRD: got %v, want the Certificate refused", err)
	}
}

// TestListedAndRenderedCRDWarned: a CRD listed under validation.crds as
// installed by other means, and rendered by an app too (a chart's crds/
// beside an operator's own install), has two installers: Flux applies the
// app's copy over the other's. A warning at the app's CRD, once per app;
// none when only listed.
func TestListedAndRenderedCRDWarned(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"validation:\n  crds: [crds]\napps:\n  - name: web\n    namespace: apps\n    yaml: app\n",
		"envs/dev.yaml":     "{}\n",
		"crds/widgets.yaml": widgetCRD,
		"app/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	}
	er, _ := checkedRun(t, load(t, writeProject(t, files)), checkOptions(false))
	if er.Err != nil || len(er.Warnings) != 0 {
		t.Fatalf("listed only: %v %v", er.Err, er.Warnings)
	}
	files["app/crd.yaml"] = widgetCRD
	er, _ = checkedRun(t, load(t, writeProject(t, files)), checkOptions(false))
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	var got []string
	for _, w := range er.Warnings {
		got = append(got, w.File+": "+w.Msg)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "app/crd.yaml: validation.crds lists this CustomResourceDefinition as installed by other means, and the app renders it too") {
		t.Errorf("warnings: %q", got)
	}
}
