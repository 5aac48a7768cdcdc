package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

const migrateJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: ghcr.io/acme/web:1.0.0
        args: [migrate, --to, "1"]
`

// dataClaim is a claim whose deleting, by a prune or a recreate, deletes
// its data.
const dataClaim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n"

// promoted commits one file of the code repository and promotes dev.
func (f *fixture) promoted(t *testing.T, path, content string) {
	t.Helper()
	f.commitCode(t, map[string]string{path: content}, "add "+path)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
}

// diffLog runs kiln diff of dev and returns its log.
func (f *fixture) diffLog(t *testing.T) string {
	t.Helper()
	var log bytes.Buffer
	o := f.opts(t, "dev", nil)
	if _, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &log}); err != nil {
		t.Fatal(err)
	}
	return log.String()
}

// warned checks that kiln diff of dev logs the warning line, and that
// promoting dev logs warning and puts heading and item in the body.
func (f *fixture) warned(t *testing.T, line, warning, heading, item string) {
	t.Helper()
	if log := f.diffLog(t); !strings.Contains(log, "warning: "+line) {
		t.Errorf("diff does not warn %q:\n%s", line, log)
	}
	var log bytes.Buffer
	res, err := promote(t, f, f.opts(t, "dev", &log))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), warning) || !strings.Contains(res.Body, heading) || !strings.Contains(res.Body, item) {
		t.Errorf("promote does not warn %q:\n%s\nbody:\n%s", warning, log.String(), res.Body)
	}
}

// TestImmutableChangeWarned: a Job whose pod template changes (its next
// migration) is what
// Flux applies and the API server refuses; diff and promote warn, the
// pull request body says so at the top, and the force annotation (Flux
// recreates the Job) silences it. Real git repositories on disk.
func TestImmutableChangeWarned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.promoted(t, "apps/web/job.yaml", migrateJob)
	const warning = "Job/shop/migrate: spec.template changes, which the API server refuses on an existing object"

	f.commitCode(t, map[string]string{"apps/web/job.yaml": strings.Replace(migrateJob, `"1"`, `"2"`, 1)}, "next migration")
	f.warned(t, "apps/web/job_migrate.yaml: app web: "+warning, warning, "> **Flux cannot apply these changes as they are**",
		strings.Replace(warning, "Job/shop/migrate", "`Job/shop/migrate`", 1))

	forced := strings.Replace(migrateJob, "  name: migrate\n", "  name: migrate\n  annotations:\n    kustomize.toolkit.fluxcd.io/force: enabled\n", 1)
	f.commitCode(t, map[string]string{"apps/web/job.yaml": strings.Replace(forced, `"1"`, `"3"`, 1)}, "forced")
	if log := f.diffLog(t); strings.Contains(log, "warning") {
		t.Errorf("a forced Job is warned about:\n%s", log)
	}
}

// TestImmutableChangeDestroyingOnRecreate: for a claim (or a CRD) the
// force annotation is no answer, since Flux's recreating deletes its data
// (or every custom resource): the warning says so and does not suggest
// it, and with the annotation set the change is warned about, not
// silenced. Real git repositories on disk.
func TestImmutableChangeDestroyingOnRecreate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.promoted(t, "apps/web/pvc.yaml", dataClaim)
	f.commitCode(t, map[string]string{"apps/web/pvc.yaml": strings.Replace(dataClaim, "ReadWriteOnce", "ReadWriteMany", 1)}, "share the claim")
	log := f.diffLog(t)
	if !strings.Contains(log, "PersistentVolumeClaim/shop/data: spec changes, which the API server refuses on an existing object") ||
		!strings.Contains(log, "deletes with its data") ||
		!strings.Contains(log, "do not annotate it with kustomize.toolkit.fluxcd.io/force: enabled") {
		t.Errorf("diff does not warn that recreating loses data:\n%s", log)
	}
	forced := strings.Replace(dataClaim, "  name: data\n", "  name: data\n  annotations:\n    kustomize.toolkit.fluxcd.io/force: enabled\n", 1)
	f.commitCode(t, map[string]string{"apps/web/pvc.yaml": strings.Replace(forced, "ReadWriteOnce", "ReadWriteMany", 1)}, "force it")
	if log := f.diffLog(t); !strings.Contains(log, "so Flux will delete and recreate it: deleting a PersistentVolumeClaim releases its volume") {
		t.Errorf("a forced claim whose spec changes is not warned about:\n%s", log)
	}
}

// TestPrunedClaimWarned: a claim removed from an app is deleted by Flux's
// prune, and its data with it; diff and promote warn, the pull request
// body at its top. Real git repositories on disk.
func TestPrunedClaimWarned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.promoted(t, "apps/web/pvc.yaml", dataClaim)
	if err := os.Remove(filepath.Join(f.code, "apps", "web", "pvc.yaml")); err != nil {
		t.Fatal(err)
	}
	f.commitCode(t, nil, "drop the claim")
	const warning = "PersistentVolumeClaim/shop/data: leaves app web, whose Kustomization prunes what it no longer holds: Flux deletes it from the cluster"
	f.warned(t, "apps/web/persistentvolumeclaim_data.yaml: app web: "+warning, warning, "**Flux deletes these objects from the cluster, and what they hold with them**",
		strings.Replace(warning, "PersistentVolumeClaim/shop/data", "`PersistentVolumeClaim/shop/data`", 1))
}

// TestTransitionRuleWarned: the real Gateway API GatewayClass CRD makes
// spec.controllerName immutable with a CEL transition rule; changing it
// passes the render and fails Flux's apply. diff and promote warn, with the
// CRD's message, and the pull request body lists it with the changes
// Flux cannot apply. Real git repositories on disk.
func TestTransitionRuleWarned(t *testing.T) {
	t.Parallel()
	crd, err := os.ReadFile(filepath.Join("..", "testdata", "manifests", "gateway-api", "gatewayclasses-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const class = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: edge\nspec:\n  controllerName: acme.io/gateway-controller\n"
	f := newFixture(t)
	f.commitCode(t, map[string]string{"apps/web/gatewayclass-crd.yaml": string(crd)}, "add the CRD")
	f.promoted(t, "apps/web/gatewayclass.yaml", class)
	f.commitCode(t, map[string]string{"apps/web/gatewayclass.yaml": strings.Replace(class, "acme.io/", "example.net/", 1)}, "another controller")
	const warning = `GatewayClass/edge: field "spec.controllerName": Invalid value: field is immutable, a rule of its CustomResourceDefinition`
	f.warned(t, "apps/web/gatewayclass_edge.yaml:6: app web: "+warning, warning, "**Flux cannot apply these changes as they are**",
		"`GatewayClass/edge`: field \"spec.controllerName\"")
	// The promotion went ahead (a reviewer decides); a change its rules
	// allow is no warning.
	f.commitCode(t, map[string]string{"apps/web/gatewayclass.yaml": strings.Replace(class, "acme.io/", "example.net/", 1) + "  description: the edge\n"}, "describe it")
	if log := f.diffLog(t); strings.Contains(log, "warning") {
		t.Errorf("an allowed change is warned about:\n%s", log)
	}
}

// TestTransitionRuleWarnedAcrossVersions: the GatewayClass CRD serves
// v1beta1 and v1 without a conversion webhook, so a GatewayClass moved from
// v1beta1 to v1 is the same object to the API server, which refuses a new
// controllerName on it (kube-apiserver 1.37: "field is immutable"). diff
// and promote said nothing when the apiVersion changed with it.
func TestTransitionRuleWarnedAcrossVersions(t *testing.T) {
	t.Parallel()
	crd, err := os.ReadFile(filepath.Join("..", "testdata", "manifests", "gateway-api", "gatewayclasses-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const class = "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: GatewayClass\nmetadata:\n  name: edge\nspec:\n  controllerName: acme.io/gateway-controller\n"
	f := newFixture(t)
	f.commitCode(t, map[string]string{"apps/web/gatewayclass-crd.yaml": string(crd)}, "add the CRD")
	f.promoted(t, "apps/web/gatewayclass.yaml", class)
	moved := strings.Replace(strings.Replace(class, "v1beta1", "v1", 1), "acme.io/", "example.net/", 1)
	f.commitCode(t, map[string]string{"apps/web/gatewayclass.yaml": moved}, "v1, another controller")
	const warning = `GatewayClass/edge: field "spec.controllerName": Invalid value: field is immutable, a rule of its CustomResourceDefinition`
	f.warned(t, "apps/web/gatewayclass_edge.yaml:6: app web: "+warning, warning, "**Flux cannot apply these changes as they are**",
		"`GatewayClass/edge`: field \"spec.controllerName\"")
}

// TestBodyWarningsQuoteObjectNames: an RBAC object's name may be any path
// segment ("@", "#", "<" and spaces included), and the warnings at the top
// of the pull request body name the object. As text, the name would
// mention a GitHub user (a notification to them), link an issue and open
// HTML in the body; it must be a code span. Real git repositories on disk.
func TestBodyWarningsQuoteObjectNames(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const name = "@octocat <img src=x> #1 `x`"
	rb := func(role string) string {
		return `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: "` + name + `"
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ` + role + `
subjects:
- kind: ServiceAccount
  name: default
`
	}
	f.commitCode(t, map[string]string{"apps/web/rb.yaml": rb("reader")}, "add a binding")
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	f.commitCode(t, map[string]string{"apps/web/rb.yaml": rb("writer")}, "bind another role")
	res, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	const want = "> - `apps/web/rolebinding_-octocat--img-src-x---1--x-.yaml`: `` RoleBinding/shop/" + name + " ``: roleRef changes"
	if !strings.Contains(res.Body, want) {
		t.Errorf("the warning does not quote the object's name; want %q in:\n%s", want, res.Body)
	}
}

// TestBodyLinesMaskFirst: a warning's message reaches the PR body with its
// backticks replaced, which changed a secret value holding one so that
// the body's masking no longer found it; bodyLines masks first.
func TestBodyLinesMaskFirst(t *testing.T) {
	t.Parallel()
	rd := redact.New(map[string]string{"PW": "pa`ssw0rd-42"})
	ws := []diag.Warning{{File: "apps/web/job_m.yaml", Object: diag.Object{Kind: "Job", Name: "m"},
		Msg: "spec.template changes (args: pa`ssw0rd-42): the API server refuses them"}}
	for _, l := range bodyLines(ws, rd.String) {
		if strings.Contains(l, "ssw0rd") {
			t.Errorf("the line shows the value: %s", l)
		}
	}
}

// TestImmutableWarningsOfObjectsThatBecomeOthers: a file whose object gets
// another namespace (the app's namespace changed) holds a new object,
// which Flux creates while it prunes the old one: no update, so no field
// of the old one is immutable for it. A claim whose storage class changes
// on the way was warned about as an update the API server refuses.
func TestImmutableWarningsOfObjectsThatBecomeOthers(t *testing.T) {
	t.Parallel()
	pvc := func(ns, class string) []byte {
		return []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: " + ns + "\nspec:\n  storageClassName: " + class + "\n  accessModes: [ReadWriteOnce]\n")
	}
	old := map[string][]byte{"apps/db/persistentvolumeclaim_data.yaml": pvc("shop", "standard")}
	new := map[string][]byte{"apps/db/persistentvolumeclaim_data.yaml": pvc("shop2", "fast")}
	if ws := immutableWarnings(treediff.Trees(old, new)); len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	// In place, the same change is warned about.
	new = map[string][]byte{"apps/db/persistentvolumeclaim_data.yaml": pvc("shop", "fast")}
	if ws := immutableWarnings(treediff.Trees(old, new)); len(ws) != 1 {
		t.Errorf("in place: warnings %v, want one", ws)
	}
}

// TestStorageVersionDroppedHint: a CRD that drops its storage version
// (Strimzi 1.0's drop v1beta2) cannot take a new name, and deleting it
// deletes its custom resources: the hint says to keep the version until a
// storage migration, not to rename the object or annotate it for Flux to
// recreate it.
func TestStorageVersionDroppedHint(t *testing.T) {
	t.Parallel()
	crd := func(versions string) []byte {
		return []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: kafkas.kafka.strimzi.io\nspec:\n  group: kafka.strimzi.io\n  scope: Namespaced\n  names: {kind: Kafka, plural: kafkas}\n  versions:\n" + versions)
	}
	const path = "apps/strimzi/customresourcedefinition_kafkas.kafka.strimzi.io.yaml"
	old := map[string][]byte{path: crd("  - {name: v1beta2, served: true, storage: true}\n")}
	new := map[string][]byte{path: crd("  - {name: v1, served: true, storage: true}\n")}
	ws := immutableWarnings(treediff.Trees(old, new))
	if len(ws) != 1 {
		t.Fatalf("warnings %v, want one", ws)
	}
	if !strings.Contains(ws[0].Hint, "storage migration") || strings.Contains(ws[0].Hint, "another name") || strings.Contains(ws[0].Hint, "so that Flux deletes") {
		t.Errorf("hint: %s", ws[0].Hint)
	}
}

// TestBodyLinesEscapeHTML: a warning's message quotes text kiln does not
// write: a CustomResourceDefinition's rule message (a chart's CRD, its
// messageExpression may quote the object), an app name of the manifests
// branch's lock. As it was, a "<details>" in it folded the apps table
// away, and a tag showed as an image or a link in the body.
func TestBodyLinesEscapeHTML(t *testing.T) {
	t.Parallel()
	ws := []diag.Warning{{File: "apps/web/gateway_edge.yaml", Object: diag.Object{Kind: "Gateway", Name: "edge"},
		Msg: `field "spec.x": immutable <details> & </details><img src=x>, a rule of its CustomResourceDefinition`},
		{File: "kiln.lock.json", Msg: "app @acme/admins (see #12) leaves the env"}}
	lines := bodyLines(ws, func(s string) string { return s })
	if !strings.Contains(lines[1], "app @&#8203;acme/admins (see #&#8203;12) leaves") {
		t.Errorf("the line mentions a team or links an issue: %s", lines[1])
	}
	ws = ws[:1]
	for _, l := range bodyLines(ws, func(s string) string { return s }) {
		if strings.ContainsAny(l, "<>") {
			t.Errorf("the line opens HTML: %s", l)
		}
		if !strings.Contains(l, `field "spec.x": immutable &lt;details&gt; &amp; &lt;/details&gt;&lt;img src=x&gt;`) {
			t.Errorf("the line does not show the message as text: %s", l)
		}
	}
}

// TestBodyLinesEscapeMarkdownLinks: a warning's message (a CRD's rule
// message, which the chart writes) stays text in the body in markdown's
// syntax too: "[text](url)" showed as a link whose text hides where it
// goes, and "![x](url)" as an image, in the alert at the top of the pull
// request, as a tag would (TestBodyLinesEscapeHTML).
func TestBodyLinesEscapeMarkdownLinks(t *testing.T) {
	t.Parallel()
	ws := []diag.Warning{{File: "apps/web/gateway_edge.yaml", Object: diag.Object{Kind: "Gateway", Name: "edge"},
		Msg: `field "spec.x[0]": [approved by SRE](https://evil.example/a) ![x](https://evil.example/p.png) \[y](https://evil.example/b)`}}
	for _, l := range bodyLines(ws, func(s string) string { return s }) {
		want := `field "spec.x\[0\]": \[approved by SRE\](https://evil.example/a) !\[x\](https://evil.example/p.png) \\\[y\](https://evil.example/b)`
		if !strings.HasSuffix(l, want) {
			t.Errorf("the line makes a link or an image:\n%s\nwant it to end in\n%s", l, want)
		}
	}
}
