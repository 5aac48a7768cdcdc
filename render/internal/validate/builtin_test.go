package validate

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// builtinDocs are valid built-in objects with what real charts emit and
// the API server accepts: absent defaulted fields (a Service port's
// protocol, a container's imagePullPolicy), empty strings and nulls,
// int-or-string ports both ways, fractional quantities, a status.
const builtinDocs = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
  creationTimestamp: null
spec:
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
          imagePullPolicy: ""
          ports:
            - containerPort: 8080
              name: http
          resources:
            requests: {cpu: 0.5, memory: 64Mi}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
              httpHeaders: [{name: X-Probe, value: ""}]
      tolerations:
        - key: dedicated
          operator: Exists
status: {}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: apps
spec:
  type: ClusterIP
  selector: {app: web}
  ports:
    - port: 80
      targetPort: 8080
      name: http
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: apps
spec:
  schedule: "0 * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: busybox
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: web
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
  - kind: ServiceAccount
    name: web
    namespace: apps
`

// TestBuiltinMutations: each mutation of valid built-in objects (one at a
// time) is refused as the OpenAPI schema of Kubernetes says, at the line
// of the field (or of its nearest parent when it is missing), and the
// valid objects pass.
func TestBuiltinMutations(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	if err := env.Objects("demo", parse(t, "b.yaml", builtinDocs)); err != nil {
		t.Fatalf("the valid objects: %v", err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"Deployment without selector", "  selector:\n    matchLabels: {app: web}\n", "", `b.yaml:7: app demo: Deployment/apps/web: missing required field "spec.selector"`},
		{"Deployment without template", "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx\n          imagePullPolicy: \"\"\n          ports:\n            - containerPort: 8080\n              name: http\n          resources:\n            requests: {cpu: 0.5, memory: 64Mi}\n          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: http\n              httpHeaders: [{name: X-Probe, value: \"\"}]\n      tolerations:\n        - key: dedicated\n          operator: Exists\n", "", `b.yaml:7: app demo: Deployment/apps/web: missing required field "spec.template.spec.containers"`},
		{"container port without containerPort", "            - containerPort: 8080\n", "            - hostPort: 8080\n", `b.yaml:21: app demo: Deployment/apps/web: missing required field "spec.template.spec.containers[0].ports[0].containerPort"`},
		{"enum", "operator: Exists", "operator: Sometimes", `b.yaml:32: app demo: Deployment/apps/web: field "spec.template.spec.tolerations[0].operator": Unsupported value: "Sometimes": supported values: "Equal", "Exists", "Gt", "Lt"`},
		{"enum of a Service", "type: ClusterIP", "type: Internal", `b.yaml:41: app demo: Service/apps/web: field "spec.type": Unsupported value: "Internal"`},
		{"Service port without port", "    - port: 80\n", "    - nodePort: 30080\n", `b.yaml:44: app demo: Service/apps/web: missing required field "spec.ports[0].port"`},
		{"CronJob without schedule", "  schedule: \"0 * * * *\"\n", "", `b.yaml:53: app demo: CronJob/apps/report: missing required field "spec.schedule"`},
		{"CronJob enum", "concurrencyPolicy: Forbid", "concurrencyPolicy: Never", `field "spec.concurrencyPolicy": Unsupported value: "Never"`},
		{"binding without roleRef name", "  name: view\n", "", `b.yaml:69: app demo: ClusterRoleBinding/web: missing required field "roleRef.name"`},
		{"subject without kind", "  - kind: ServiceAccount\n    name: web\n", "  - name: web\n", `missing required field "subjects[0].kind"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(builtinDocs, tc.from, tc.to, 1)
			if doc == builtinDocs {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			err := env.Objects("demo", parse(t, "b.yaml", doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got\n%v\nwant an error containing\n%s", err, tc.want)
			}
		})
	}
}

// TestClusterScopedNamespace: the API server clears the namespace of a
// cluster-scoped object before it validates it, so a namespace that is no
// namespace name is not refused there; in a namespaced object it is.
func TestClusterScopedNamespace(t *testing.T) {
	t.Parallel()
	crd, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clusterCRD := strings.Replace(string(crd), "scope: Namespaced", "scope: Cluster", 1)
	const bad = `field "metadata.namespace": Invalid value: "Bad_NS": a lowercase RFC 1123 label`
	for _, tc := range []struct{ name, crd, doc, want string }{
		{"cluster role", "", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cr, namespace: Bad_NS}\nrules: []\n", ""},
		{"custom resource of a cluster-scoped CRD", clusterCRD, strings.Replace(widget, "namespace: apps", "namespace: Bad_NS", 1), ""},
		{"role", "", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: Bad_NS}\nrules: []\n", bad},
		{"custom resource of a namespaced CRD", string(crd), strings.Replace(widget, "namespace: apps", "namespace: Bad_NS", 1), bad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var crds []templates.Object
			if tc.crd != "" {
				crds = parse(t, "crd.yaml", tc.crd)
			}
			errs := diag.Flatten(testEnv(t, crds...).Objects("demo", parse(t, "o.yaml", tc.doc)))
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("refused: %v", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("got %v, want one error containing %s", errs, tc.want)
			}
		})
	}
}

// TestBuiltinZeroValuesAccepted: fields the OpenAPI schema marks required
// whose Go zero value the API server's create accepts (differential test
// against k8s.io/kubernetes 1.37's registry strategies) are not missing
// when left out: the decoder gives them that zero value.
func TestBuiltinZeroValuesAccepted(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	for name, doc := range map[string]string{
		"HTTP header without value": `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: nginx
      livenessProbe:
        httpGet: {port: 80, httpHeaders: [{name: X-Probe}]}
`,
		"sysctl without value": `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    sysctls: [{name: net.ipv4.tcp_syncookies}]
  containers: [{name: c, image: nginx}]
`,
		"LimitRange without limits": `apiVersion: v1
kind: LimitRange
metadata: {name: lr}
spec: {}
`,
		"podFailurePolicy without rules": `apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  podFailurePolicy: {}
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
`,
		"CSI token request without audience": `apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: csi.example.com}
spec:
  attachRequired: true
  podInfoOnMount: false
  tokenRequests: [{expirationSeconds: 3600}]
`,
		"zone hint without name": `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s}
addressType: IPv4
endpoints:
  - addresses: [10.1.2.3]
    hints: {forZones: [{}]}
`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := env.Objects("demo", parse(t, "z.yaml", doc)); err != nil {
				t.Fatalf("refused what the API server accepts: %v", err)
			}
		})
	}
}

// TestBuiltinNotTwice: a field strict decoding refuses (wrong type, or an
// integer its Go type cannot hold) is not reported again by the schema,
// whose range error names the field only in its detail.
func TestBuiltinNotTwice(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	for _, tc := range []struct{ name, to, want string }{
		{"wrong type", "containerPort: eighty", `b.yaml:21: app demo: Deployment/apps/web: wrong type for field "spec.template.spec.containers[0].ports[0].containerPort": got string, want integer`},
		{"fraction", "containerPort: 8080.5", `wrong type for field "spec.template.spec.containers[0].ports[0].containerPort": got number 8080.5, want integer`},
		{"out of int32", "containerPort: 99999999999",
			`b.yaml:21: app demo: Deployment/apps/web: field "spec.template.spec.containers[0].ports[0].containerPort": 99999999999 is out of the int32 range (-2147483648 to 2147483647)`},
		{"out of int32 below", "containerPort: -2147483649", `-2147483649 is out of the int32 range (-2147483648 to 2147483647)`},
		{"out of int64", "containerPort: 99999999999999999999", `is out of the int32 range`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(builtinDocs, "containerPort: 8080", tc.to, 1)
			errs := diag.Flatten(env.Objects("demo", parse(t, "b.yaml", doc)))
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want one error containing %s", errs, tc.want)
			}
		})
	}
}

// TestOwnerReferenceNotTwice: an owner reference without its uid (or
// name, kind, apiVersion) is reported once, by the metadata rules with
// the API server's message, not again as the schema's missing field.
func TestOwnerReferenceNotTwice(t *testing.T) {
	t.Parallel()
	const doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: b}\n  - {apiVersion: v1, kind: ConfigMap, uid: 0d2f5a9e-3c7b-4b7e-9a43-8c1d2e3f4a5b}\n"
	errs := diag.Flatten(testEnv(t).Objects("demo", parse(t, "o.yaml", doc)))
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if len(errs) != 2 || !strings.Contains(got[0], `field "metadata.ownerReferences[0].uid": Required value`) ||
		!strings.Contains(got[1], `field "metadata.ownerReferences[1].name": Required value`) {
		t.Fatalf("want the missing uid and name once each, got\n%s", strings.Join(got, "\n"))
	}
}

// TestBadBase64Located: a Secret value that is not base64 is reported at
// its own line and field, once.
func TestBadBase64Located(t *testing.T) {
	t.Parallel()
	doc := "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\ndata:\n  ok: aGVsbG8=\n  bad: not base64!\n  empty: \"\"\n"
	err := testEnv(t).Objects("demo", parse(t, "s.yaml", doc))
	want := `s.yaml:6: app demo: Secret/a/s: invalid value for field "data.bad": not valid base64`
	if err == nil || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), "data.bad") != 1 {
		t.Fatalf("got\n%v\nwant one error containing\n%s", err, want)
	}
}

// TestDecoderErrorsShowNoValue: a value a type's own decoder refuses may
// be a secret, and the decoder quotes it, or a piece of it that no
// redactor knows as a form of the secret: time.Parse says `cannot parse
// "hunter2-secret" as "01"` of "2024-hunter2-secret". The error names the
// field and line and keeps the decoder's words, never the value; a bad
// base64 value says what to do instead of where its first bad byte is.
func TestDecoderErrorsShowNoValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{
			name: "time",
			doc:  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: a\n  creationTimestamp: \"2024-hunter2-secret\"\n",
			want: `s.yaml:6: app demo: Secret/a/s: invalid value for field "metadata.creationTimestamp": parsing time "**redacted**" as "**redacted**": cannot parse "**redacted**" as "**redacted**"`,
		},
		{
			name: "base64",
			doc:  "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\ndata:\n  password: hunter2-secret\n",
			want: `s.yaml:5: app demo: Secret/a/s: invalid value for field "data.password": not valid base64` + "\n" +
				"  hint: the values of a Secret's data are base64-encoded: encode the value, or put it in plain text under stringData",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := refused(t, tt.doc).Error(); !strings.Contains(got, tt.want) || strings.Contains(got, "hunter2") || strings.Contains(got, "byte 7") {
				t.Errorf("got\n%s\nwant it to contain\n%s\nand no piece of the value", got, tt.want)
			}
		})
	}
}

// TestSecretKeyErrorsShowNoKey: a Secret's key that is not a valid key may
// be a password or a passphrase (a secretGenerator .env line without '='
// is one whole key). No error shows any piece of it, its first word
// included: the API server rules' error about the key, and every error
// that names a field below it by its path, say its position instead and
// point at its line.
func TestSecretKeyErrorsShowNoKey(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\n"
	tests := []struct {
		name, doc, want string
	}{
		{
			name: "invalid key",
			doc:  head + "stringData:\n  A: x\n  Word rest of passphrase: y\n  z: x\n",
			want: `s.yaml:6: app demo: Secret/a/s: field "stringData": Invalid value: key 2 of 3 (in sorted order): a valid config key`,
		},
		{
			name: "invalid key in data",
			doc:  head + "data:\n  Word rest of passphrase: eA==\n",
			want: `s.yaml:5: app demo: Secret/a/s: field "data": Invalid value: key 1 of 1 (in sorted order): a valid config key`,
		},
		{
			name: "value not base64",
			doc:  head + "data:\n  ok: eA==\n  Word rest of passphrase: hunter2-secret\n",
			want: `s.yaml:6: app demo: Secret/a/s: invalid value for field "data.(key 1 of 2 in sorted order)": not valid base64`,
		},
		{
			name: "wrong type",
			doc:  head + "stringData:\n  ok: x\n  Word rest of passphrase: [1, 2]\n",
			want: `s.yaml:6: app demo: Secret/a/s: wrong type for field "stringData.(key 1 of 2 in sorted order)": got list, want string`,
		},
		{
			// The decoded object keeps the last data, whose keys the
			// messages name; each mapping's keys are hidden.
			name: "data written twice",
			doc:  head + "data:\n  ok: eA==\ndata:\n  Word rest of passphrase: hunter2-secret\n",
			want: `s.yaml:7: app demo: Secret/a/s: invalid value for field "data.(key 1 of 2 in sorted order)": not valid base64`,
		},
		{
			// Each key is replaced whole, the longest first: the shorter
			// one replaced inside the longer left its rest shown.
			name: "a key that starts another",
			doc:  head + "data:\n  Word rest: eA==\n  Word rest of passphrase: hunter2-secret\n",
			want: `s.yaml:6: app demo: Secret/a/s: invalid value for field "data.(key 2 of 2 in sorted order)": not valid base64`,
		},
		{
			name: "duplicate",
			doc:  head + "stringData:\n  Word rest \"of\" passphrase: x\n  Word rest \"of\" passphrase: y\n",
			want: `s.yaml:6: app demo: Secret/a/s: duplicate field "stringData.(key 1 of 1 in sorted order)"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := refused(t, tt.doc)
			got := err.Error()
			if !strings.Contains(got, tt.want) {
				t.Errorf("got\n%s\nwant it to contain\n%s", got, tt.want)
			}
			for _, piece := range []string{"Word", "passphrase", "hunter2"} {
				if strings.Contains(got, piece) {
					t.Errorf("the error shows %q of the key:\n%s", piece, got)
				}
			}
			for _, e := range diag.Flatten(err) {
				var d *diag.Error
				if errors.As(e, &d) && strings.Contains(d.Field, "Word") {
					t.Errorf("the error's field shows the key: %q", d.Field)
				}
			}
		})
	}
}

// TestConfigMapKeyShown: a ConfigMap's keys are not secret, and its
// invalid key is quoted whole, at its line, in its field's path as the
// API server writes it (data[.], not data..).
func TestConfigMapKeyShown(t *testing.T) {
	t.Parallel()
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\ndata:\n  ok: x\n  bad key: y\n  .: z\n  ..x: w\n"
	errs := diag.Flatten(testEnv(t).Objects("demo", parse(t, "c.yaml", doc)))
	var got []string
	for _, e := range errs {
		got = append(got, strings.SplitN(e.Error(), "\n", 2)[0])
	}
	want := []string{
		`c.yaml:6: app demo: ConfigMap/a/c: field "data[bad key]": Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
		`c.yaml:7: app demo: ConfigMap/a/c: field "data[.]": Invalid value: ".": must not be '.'`,
		`c.yaml:8: app demo: ConfigMap/a/c: field "data[..x]": Invalid value: "..x": must not start with '..'`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// refused validates doc, s.yaml of app demo, and returns its errors; it
// fails the test when doc is accepted.
func refused(t *testing.T, doc string) error {
	t.Helper()
	err := testEnv(t).Objects("demo", parse(t, "s.yaml", doc))
	if err == nil {
		t.Fatal("the object was accepted")
	}
	return err
}

// TestBoolForStringHint: a boolean where text belongs may come from a
// chart's unquoted `on`, which kiln writes as the boolean helm install
// reads: the hint says so, since the error cannot show the word.
func TestBoolForStringHint(t *testing.T) {
	t.Parallel()
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\ndata:\n  ssl: true\n"
	errs := diag.Flatten(testEnv(t).Objects("demo", parse(t, "c.yaml", doc)))
	if len(errs) != 1 {
		t.Fatalf("got %v, want one error", errs)
	}
	var d *diag.Error
	if !errors.As(errs[0], &d) || !strings.Contains(d.Msg, `wrong type for field "data.ssl": got bool, want string`) ||
		!strings.Contains(d.Hint, "unquoted yes, no, on, off, y or n is a boolean") {
		t.Fatalf("got %q (hint %q)", errs[0], d.Hint)
	}
}

// TestPlaceholderHint: a name that is a Flux postBuild placeholder
// (fluxcd/flux2-hub-spoke-example's deploy/tenants/flux.yaml, a Namespace
// ${CLUSTER_NAME} its Flux Kustomization substitutes) is refused with a
// hint that says why it was not substituted, not one to read the API
// server's rules.
func TestPlaceholderHint(t *testing.T) {
	t.Parallel()
	const doc = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${CLUSTER_NAME}\n---\n" +
		"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: flux\n  namespace: ${CLUSTER_NAME:=hub}\n"
	errs := diag.Flatten(testEnv(t).Objects("tenants", parse(t, "flux.yaml", doc)))
	if len(errs) != 2 {
		t.Fatalf("got %d errors, want 2: %v", len(errs), errs)
	}
	for _, err := range errs {
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Fatalf("%v: not a diag.Error", err)
		}
		const want = "${CLUSTER_NAME} is a placeholder of Flux's postBuild substitution, which kiln applies in yaml apps only"
		if !strings.HasPrefix(de.Hint, want) {
			t.Errorf("%s: hint %q, want it to start with %q", de.Error(), de.Hint, want)
		}
	}
}

// TestBase64HintsByField: the Kubernetes documentation's
// storage/test-crd.yaml (testdata/manifests/kubernetes-website) has
// caBundle: <CABundle info>. The error at that field told the user to put
// the value under a Secret's stringData, and the CRD's own error called
// its schema not structural: each hint now fits its field.
func TestBase64HintsByField(t *testing.T) {
	t.Parallel()
	path, doc := realDoc(t, "kubernetes-website", "storage_test-crd.invalid", "", "")
	objs := parse(t, path, doc)
	e, err := schemas().Env("1.37.0", objs)
	var got []string
	for _, err := range []error{err, e.Objects("website", objs)} {
		for _, d := range diag.Flatten(err) {
			got = append(got, d.Error())
		}
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`invalid value for field "spec.conversion.webhook.clientConfig.caBundle": not valid base64` + "\n  hint: the field holds bytes, which the API reads as base64: encode the value (base64 -w0 < file)",
		"CustomResourceDefinition cannot be served: reading the CustomResourceDefinition: illegal base64 data at input byte 0\n  hint: fix the value the error at its field names",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("errors:\n%s\nwant one containing %q", all, want)
		}
	}
	if strings.Contains(all, "stringData") || strings.Contains(all, "not structural") {
		t.Errorf("a hint of another case:\n%s", all)
	}
}

// TestCRDNameHintWithUppercasePlural: the documentation's
// storage/test-crd.yaml, with a caBundle that decodes, is refused for its
// plural SelfieRequests. Its name, selfierequests.stable.example.com,
// drew the hint to rename it "SelfieRequests.stable.example.com", a name
// the API server refuses as well; the plural is what to change.
func TestCRDNameHintWithUppercasePlural(t *testing.T) {
	t.Parallel()
	path, doc := realDoc(t, "kubernetes-website", "storage_test-crd.invalid", "caBundle: <CABundle info>", "caBundle: Zm9v")
	_, err := schemas().Env("1.37.0", parse(t, path, doc))
	want := `metadata.name: Invalid value: "selfierequests.stable.example.com": must be spec.names.plural+"."+spec.group` + "\n" +
		`  hint: write spec.names.plural in lowercase, "selfierequests": the name is already that plural and spec.group`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %q", err, want)
	}
}
