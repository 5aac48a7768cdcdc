package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestAPIServerFindings holds the objects on which kiln's verdict and a
// real kube-apiserver 1.37's (server-side apply, dry run, as Flux
// applies) disagreed when they were first compared
// (internal/apiservercheck, docs/validation.md), each with the API
// server's verdict: want is a part of kiln's error, "" for none.
func TestAPIServerFindings(t *testing.T) {
	t.Parallel()
	const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo, namespace: apps}
spec:
  selector: {matchLabels: {app: podinfo}}
  template:
    metadata: {labels: {app: podinfo}}
    spec:
      containers: [{name: podinfod, image: ghcr.io/stefanprodan/podinfo:6.9.0}]
`
	const pdb = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: NAME, namespace: apps}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: podinfo}}
`
	const event = `apiVersion: v1
kind: Event
metadata: {name: NAME, namespace: apps}
involvedObject: {kind: Deployment, name: podinfo, namespace: apps}
reason: Deployed
message: by kiln
type: Normal
`
	const ks = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
`
	tests := []struct {
		name, doc, want string
	}{
		// The API server: "spec.template.spec.ephemeralContainers:
		// Forbidden: ephemeral containers not allowed in pod template".
		{"ephemeral container in a template", deploy + "      ephemeralContainers: [{name: debug, image: busybox}]\n",
			`a.yaml:10: app demo: Deployment/apps/podinfo: field "spec.template.spec.ephemeralContainers": Forbidden: ephemeral containers not allowed in pod template`},
		{"ephemeral container in a CronJob's template", `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: apps}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: backup, image: busybox}]
          ephemeralContainers: [{name: debug, image: busybox}]
`, `field "spec.jobTemplate.spec.template.spec.ephemeralContainers": Forbidden: ephemeral containers not allowed in pod template`},
		// ValidatePodDisruptionBudget checks no metadata: only the path
		// segment check of every create is left.
		{"PodDisruptionBudget named in capitals", strings.Replace(pdb, "NAME", "PodInfo", 1), ""},
		{"PodDisruptionBudget named with a colon", strings.Replace(pdb, "NAME", "a:b", 1), ""},
		{"PodDisruptionBudget named with 254 characters", strings.Replace(pdb, "NAME", strings.Repeat("a", 254), 1), ""},
		{"PodDisruptionBudget named with a percent sign", strings.Replace(pdb, "NAME", "a%b", 1),
			`field "metadata.name": Invalid value: "a%b": may not contain '%'`},
		// A core v1 Event's name is checked only in events.k8s.io/v1.
		{"v1 Event named in capitals", strings.Replace(event, "NAME", "PodInfo.1", 1), ""},
		{"events.k8s.io Event named in capitals", `apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: PodInfo.1, namespace: apps}
eventTime: "2026-01-01T00:00:00.000000Z"
reportingController: example.com/kiln
reportingInstance: kiln-1
action: Deploy
reason: Deployed
type: Normal
regarding: {kind: Deployment, name: podinfo, namespace: apps}
`, `field "metadata.name": Invalid value: "PodInfo.1": a lowercase RFC 1123 subdomain`},
		// Server-side apply keeps a null where a CRD schema gives no
		// default, and the schema refuses it; a create would drop it.
		{"null in a custom resource", `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  timeout: null
`, `a.yaml:8: app demo: Kustomization/flux-system/apps: field "spec.timeout": Invalid value: "null": spec.timeout in body must be of type string: "null"`},
		{"null in a custom resource, the hint", strings.Replace(ks, "  interval: 10m\n", "  interval: 10m\n  timeout:\n", 1),
			`hint: the key has no value, so it is null, which kustomize.toolkit.fluxcd.io/v1 Kustomization`},
		// A null where the schema gives a default is the default.
		{"null in a custom resource's defaulted field", `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  force: null
`, ""},
		// Server-side apply types a custom resource's status against the
		// CRD before the status subresource drops it: an undeclared field
		// or a value of another kind fails the apply; an enum or a format
		// is never checked.
		{"unknown field in a custom resource's status", ks + "status: {observedGeneration: 2, foo: 1}\n",
			`a.yaml:8: app demo: Kustomization/flux-system/apps: unknown field "status.foo"`},
		{"string for a number in a custom resource's status", ks + "status: {observedGeneration: '2'}\n",
			`a.yaml:8: app demo: Kustomization/flux-system/apps: field "status.observedGeneration": Invalid value: "string": expected numeric (int or float), got string`},
		{"custom resource's status of the right kinds", ks + "status:\n  observedGeneration: 2\n  conditions: [{type: Ready, status: Maybe, lastTransitionTime: yesterday, reason: R, message: m}]\n", ""},
		// ValidateCSINode loops over a nil drivers list without complaint.
		{"CSINode without drivers", "apiVersion: storage.k8s.io/v1\nkind: CSINode\nmetadata: {name: node-1}\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := schemas().Env("1.37.0", nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, err := range diag.Flatten(e.Objects("demo", parse(t, "a.yaml", tc.doc))) {
				got = append(got, err.Error())
			}
			all := strings.Join(got, "\n")
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("want no error, got:\n%s", all)
			case tc.want != "" && !strings.Contains(all, tc.want):
				t.Errorf("want an error with %q, got:\n%s", tc.want, all)
			}
		})
	}
}

// TestAPIServerCRDVersionsDifferingInRules: a CRD whose versions differ
// only in a CEL rule (Gateway API's ReferenceGrant with a rule added to
// v1 alone) is taken by a real kube-apiserver 1.37. kiln hides the rules
// while apiextensions validates the CRD, and then refused it: "per-version
// schemas may not all be set to identical values".
func TestAPIServerCRDVersionsDifferingInRules(t *testing.T) {
	t.Parallel()
	const v1 = "    name: v1\n    schema:\n      openAPIV3Schema:\n"
	doc := realWith(t, "gateway-api/referencegrants-crd.yaml", v1, "        x-kubernetes-validations: [{rule: 'self.metadata.name != \"\"'}]\n")
	if _, err := schemas().Env("1.37.0", parse(t, "referencegrants-crd.yaml", doc)); err != nil {
		t.Errorf("want no error, got:\n%v", err)
	}
}

// TestAPIServerCRDRulesOnMetadata: a CRD with a rule on the root's
// metadata (kubebuilder's XValidation marker on an ObjectMeta field
// writes one) is refused by a real kube-apiserver 1.37; kiln hid the rule
// from apiextensions' validation and took it.
func TestAPIServerCRDRulesOnMetadata(t *testing.T) {
	t.Parallel()
	const meta = "          metadata:\n            type: object\n"
	doc := realWith(t, "kubebuilder/crew.testproject.org_captains.yaml", meta, "            x-kubernetes-validations: [{rule: 'self.name.size() <= 63'}]\n")
	_, err := schemas().Env("1.37.0", parse(t, "captains.yaml", doc))
	const want = `captains.yaml:37: CustomResourceDefinition/captains.crew.testproject.org: CustomResourceDefinition cannot be served: spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want an error with %q, got:\n%v", want, err)
	}
}

// TestAPIServerStatusUndeclared: with the status subresource on and no
// status in the schema, even a null status fails server-side apply
// (".status: field not declared in schema", a real kube-apiserver 1.37
// says); an empty schema-less status is no exception.
func TestAPIServerStatusUndeclared(t *testing.T) {
	t.Parallel()
	const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.t.example.com}
spec:
  group: t.example.com
  names: {kind: Thing, plural: things}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                a: {type: string}
`
	e, err := schemas().Env("1.37.0", parse(t, "crd.yaml", crd))
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"status: null", "status: {}", "status: {a: 1}"} {
		doc := "apiVersion: t.example.com/v1\nkind: Thing\nmetadata: {name: x, namespace: apps}\nspec: {a: b}\n" + status + "\n"
		err := e.Objects("demo", parse(t, "a.yaml", doc))
		const want = `a.yaml:5: app demo: Thing/apps/x: unknown field "status"`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an error with %q, got %v", status, want, err)
		}
	}
}

// realWith is the real source file (under realDir) with insert added after
// the first anchor, which it must hold.
func realWith(t *testing.T, file, anchor, insert string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(realDir, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(data), anchor, anchor+insert, 1)
	if doc == string(data) {
		t.Fatalf("%s has no %q", file, anchor)
	}
	return doc
}
