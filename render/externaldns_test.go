package render_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// writeExternalDNS writes a repository rendering the real external-dns
// chart 1.21.1 (testdata/charts/external-dns: its CRDs in crds/, a strict
// values.schema.json) with envValues as the dev env's values, and the
// DNSEndpoints of external-dns' documentation
// (testdata/manifests/external-dns) as an app depending on it. kiln.yaml
// lists the real ServiceMonitor CRD under validation.crds, as a cluster
// with the Prometheus operator has it.
func writeExternalDNS(t *testing.T, envValues string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "charts", "external-dns"), os.DirFS("../testdata/charts/external-dns")); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.34.0\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"validation:\n  crds: [crds/servicemonitor.yaml]\n" +
			"apps:\n  - name: external-dns\n    namespace: external-dns\n    helm: {chart: charts/external-dns}\n" +
			"  - name: records\n    namespace: apps\n    yaml: records\n    dependsOn: [external-dns]\n",
		"envs/dev.yaml": "apps:\n  external-dns:\n    values:\n" + envValues,
	}
	for _, f := range []struct{ to, from string }{
		{"crds/servicemonitor.yaml", "kube-prometheus/0servicemonitorCustomResourceDefinition.yaml"},
		{"records/dnsendpoint-example.yaml", "external-dns/dnsendpoint-example.yaml"},
		{"records/dnsendpoint-aws-example.yaml", "external-dns/dnsendpoint-aws-example.yaml"},
	} {
		data, err := os.ReadFile("../testdata/manifests/" + f.from)
		if err != nil {
			t.Fatal(err)
		}
		files[f.to] = string(data)
	}
	// Both examples are named examplednsrecord: one per namespace.
	files["records/dnsendpoint-aws-example.yaml"] = strings.Replace(files["records/dnsendpoint-aws-example.yaml"],
		"  name: examplednsrecord\n", "  name: examplednsrecord\n  namespace: aws\n", 1)
	return writeProjectIn(t, root, files)
}

// TestExternalDNS renders and validates the real external-dns chart with
// the values of a production setup (AWS, the crd source, a ServiceMonitor,
// a secret of provider credentials): no false positive, under --strict,
// on its CRDs, RBAC, Deployment, Secret and ServiceMonitor, nor on the
// documented DNSEndpoints checked against the chart's CRD; and what Flux
// builds from the folder is what kiln checked. The chart's values schema
// asks for policy: without it, the render fails with its words.
func TestExternalDNS(t *testing.T) {
	t.Parallel()
	values := "      policy: upsert-only\n      provider: {name: aws}\n      sources: [service, ingress, crd]\n      txtOwnerId: dev\n" +
		"      domainFilters: [example.com]\n      serviceMonitor: {enabled: true, interval: 30s}\n" +
		"      env: [{name: AWS_DEFAULT_REGION, value: eu-west-1}]\n" +
		"      secretConfiguration: {enabled: true, mountPath: /.aws, data: {credentials: \"[default]\\nregion = eu-west-1\\n\"}}\n"
	er, _ := checkedRun(t, load(t, writeExternalDNS(t, values)), checkOptions(true))
	if er.Err != nil {
		t.Fatalf("external-dns refused:\n%v", er.Err)
	}
	if len(er.Warnings) != 0 {
		t.Errorf("warnings: %v", er.Warnings)
	}
	assertFluxBuildSame(t, er)
	kinds := map[string]int{}
	for _, id := range er.Objects {
		kinds[strings.SplitN(id, "/", 2)[0]]++
	}
	for kind, n := range map[string]int{"CustomResourceDefinition": 2, "DNSEndpoint": 2, "ServiceMonitor": 1, "Deployment": 1, "Secret": 1, "ClusterRole": 1} {
		if kinds[kind] != n {
			t.Errorf("%d %s, want %d (objects by kind: %v)", kinds[kind], kind, n, kinds)
		}
	}

	er, _ = checkedRun(t, load(t, writeExternalDNS(t, "      provider: {name: aws}\n")), checkOptions(true))
	if er.Err == nil || !strings.Contains(er.Err.Error(), "at '/policy': got null, want string") {
		t.Errorf("without policy: %v", er.Err)
	}
}

// TestSkipCRDs renders the real external-dns chart as karpenter's and
// other charts are installed: its CRDs in an app of their own (here a
// yaml app of the chart's crds/ files, as a chart-name-crd chart would
// give them) that the chart's app depends on, the chart's own copy left
// out with helm.skipCRDs, as helm install --skip-crds and a HelmRelease's
// install.crds: Skip leave it out. Without skipCRDs both apps hold each
// CRD, which two Kustomizations cannot own. The HelmRelease of
// high-level/ skips them too.
func TestSkipCRDs(t *testing.T) {
	t.Parallel()
	values := "      policy: sync\n      sources: [crd]\n"
	for _, skip := range []bool{true, false} {
		root := writeExternalDNS(t, values)
		kiln := "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.34.0\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: external-dns-crds\n    namespace: external-dns\n    yaml: charts/external-dns/crds\n" +
			"  - name: external-dns\n    namespace: external-dns\n    helm: {chart: charts/external-dns, skipCRDs: " + strconv.FormatBool(skip) + "}\n    dependsOn: [external-dns-crds]\n" +
			"  - name: records\n    namespace: apps\n    yaml: records\n    dependsOn: [external-dns]\n"
		writeProjectIn(t, root, map[string]string{"kiln.yaml": kiln})
		er, _ := checkedRun(t, load(t, root), checkOptions(true))
		if !skip {
			if er.Err == nil || !strings.Contains(er.Err.Error(), "CustomResourceDefinition/dnsendpoints.externaldns.k8s.io: also produced by app external-dns-crds") ||
				!strings.Contains(er.Err.Error(), "helm.skipCRDs: true on app external-dns leaves out its chart's crds/ copy") {
				t.Errorf("without skipCRDs: %v, want the CRD produced by both apps, and skipCRDs in the hint", er.Err)
			}
			continue
		}
		if er.Err != nil {
			t.Fatalf("with skipCRDs: %v", er.Err)
		}
		var crds []string
		for path, id := range er.Objects {
			if strings.HasPrefix(id, "CustomResourceDefinition/") {
				crds = append(crds, path)
			}
		}
		slices.Sort(crds)
		want := []string{"apps/external-dns-crds/customresourcedefinition_dnsendpoints.externaldns.k8s.io.yaml", "apps/external-dns-crds/customresourcedefinition_dnsrecords.externaldns.k8s.io.yaml"}
		if !slices.Equal(crds, want) {
			t.Errorf("CRD files %q, want %q", crds, want)
		}
		// The reviewers' HelmRelease installs what kiln rendered: without
		// install.crds: Skip, helm-controller would create the CRDs too.
		if hr := string(er.Files["high-level/external-dns/helmrelease.yaml"]); !strings.Contains(hr, "  install:\n    crds: Skip\n") {
			t.Errorf("high-level/external-dns/helmrelease.yaml says nothing of skipCRDs:\n%s", hr)
		}
		assertFluxBuildSame(t, er)
	}
}
