package validate

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// realDir holds excerpts of real public projects, shared with other
// packages' tests: testdata/manifests at the repository root.
var realDir = filepath.Join("..", "..", "..", "testdata", "manifests")

// readReal reads every object of a testdata/manifests/<source> folder at the repository root (YAML
// files, some gzipped because the CRD is large), in name order.
func readReal(t testing.TB, source string) []templates.Object {
	t.Helper()
	dir := filepath.Join(realDir, source)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yaml.gz") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var objs []templates.Object
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(n, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if n == "kustomization.yaml" {
			continue // kustomize's own file, not an object
		}
		objs = append(objs, parse(t, filepath.Join(dir, strings.TrimSuffix(n, ".gz")), string(data))...)
	}
	return objs
}

// realEnv validates a real source's objects with its own CRDs, as an env
// that renders them (or lists them under validation.crds) would.
func realEnv(t testing.TB, objs []templates.Object) *Env {
	t.Helper()
	e, err := schemas().Env("1.33.0", objs)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestRealSourcesPass: the manifests and CRDs of real public projects
// (testdata/manifests/README.md says where from) pass validation: built-in
// kinds against the Kubernetes OpenAPI schema, custom resources against
// the CRDs shipped with them.
func TestRealSourcesPass(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		source    string
		min       int      // objects at least
		mustCheck []string // kinds validated against a CRD of the source
	}{
		{"podinfo", 3, nil},
		{"kube-prometheus", 86, []string{"PrometheusRule", "ServiceMonitor"}},
		{"argo-cd", 4, []string{"Application", "AppProject"}},
		{"kubebuilder", 2, []string{"Captain"}},
		{"gateway-api", 25, []string{"GatewayClass", "Gateway", "TLSRoute", "HTTPRoute", "GRPCRoute", "ReferenceGrant"}},
		{"cert-manager", 5, []string{"Issuer", "Certificate"}},
		{"kube-prometheus-stack", 2, nil},
		{"external-dns", 3, []string{"DNSEndpoint"}},
		{"crossplane", 2, []string{"Composition"}},
		{"kube-thanos", 2, nil},
		{"cloudnative-pg", 2, []string{"Backup"}},
		{"home-ops", 3, nil},
		{"flux-image-automation", 3, nil},
		{"envoy-gateway", 2, []string{"ClientTrafficPolicy"}},
	} {
		t.Run(tc.source, func(t *testing.T) {
			t.Parallel()
			objs := readReal(t, tc.source)
			if len(objs) < tc.min {
				t.Fatalf("read %d objects, want at least %d", len(objs), tc.min)
			}
			env := realEnv(t, objs)
			for _, k := range tc.mustCheck {
				found := false
				for _, o := range objs {
					if o.Node.GetKind() == k {
						found = found || env.Defines(o.Node.GetApiVersion(), k)
					}
				}
				if !found {
					t.Errorf("no %s checked against its CRD", k)
				}
			}
			if err := env.Objects(tc.source, objs); err != nil {
				t.Errorf("real objects refused:\n%v", err)
			}
		})
	}
}

// realDoc returns the path of a real source's file and its text with the
// first from replaced by to, which must occur.
func realDoc(t *testing.T, source, file, from, to string) (path, doc string) {
	t.Helper()
	path = filepath.Join(realDir, source, file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc = strings.Replace(string(data), from, to, 1)
	if doc == string(data) && from != to {
		t.Fatalf("mutation %q not applied", from)
	}
	return path, doc
}

// mutated validates a real source's objects, with the first from in
// file replaced by to (which must occur), as an env rendering them would;
// it fails the test when they are accepted.
func mutated(t *testing.T, source, file, from, to string) error {
	t.Helper()
	env := realEnv(t, readReal(t, source))
	path, doc := realDoc(t, source, file, from, to)
	err := env.Objects(source, parse(t, path, doc))
	if err == nil {
		t.Fatal("accepted")
	}
	return err
}

// TestRealSourcesMutations seeds one mistake at a time into real objects
// and expects it refused at the right field.
func TestRealSourcesMutations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		source, file, from, to, want string
	}{
		{"podinfo", "deployment.yaml", "  selector:\n    matchLabels:\n      app: podinfo\n", "", `missing required field "spec.selector"`},
		{"podinfo", "deployment.yaml", "imagePullPolicy: IfNotPresent", "imagePullPolicy: Sometimes", `field "spec.template.spec.containers[0].imagePullPolicy": Unsupported value: "Sometimes"`},
		{"podinfo", "hpa.yaml", "  maxReplicas: 4\n", "", `missing required field "spec.maxReplicas"`},
		{"podinfo", "hpa.yaml", "    kind: Deployment\n", "", `missing required field "spec.scaleTargetRef.kind"`},
		{"podinfo", "service.yaml", "type: ClusterIP", "type: Internal", `field "spec.type": Unsupported value: "Internal"`},
		{"kube-prometheus", "prometheusOperator-prometheusRule.yaml", "  - name: prometheus-operator\n", "  - nmae: prometheus-operator\n", `field "spec.groups[0].name": Required value`},
		{"kube-prometheus", "prometheusOperator-prometheusRule.yaml", "for: 15m", "for: fifteen minutes", `field "spec.groups[0].rules[0].for": Invalid value: "fifteen minutes"`},
		{"kube-prometheus", "prometheusOperator-serviceMonitor.yaml", "  endpoints:\n", "  endpoint:\n", `unknown field "spec.endpoint"`},
		{"kube-prometheus", "nodeExporter-daemonset.yaml", "hostNetwork: true", "hostNetwork: yes please", `wrong type for field "spec.template.spec.hostNetwork"`},
		{"argo-cd", "application.yaml", "  project: default\n", "", `field "spec.project": Required value`},
		{"argo-cd", "project.yaml", "  - group: ''\n    kind: Namespace\n", "  - kind: Namespace\n", `field "spec.clusterResourceWhitelist[0].group": Required value`},
		{"kubebuilder", "captain.yaml", "  foo: bar\n", "  foo: bar\n  bar: foo\n", `unknown field "spec.bar"`},
		// Flux's image automation, against the embedded CRDs of its two
		// controllers.
		{"flux-image-automation", "imagepolicy.yaml", "  imageRepositoryRef:\n", "  imageRepository:\n", `unknown field "spec.imageRepository"`},
		{"flux-image-automation", "imagerepository.yaml", "  interval: 1m0s\n", "  interval: 1m0s\n  provider: docker\n", `field "spec.provider": Unsupported value: "docker"`},
		{"flux-image-automation", "imageupdateautomation.yaml", "    strategy: Setters\n", "    strategy: Always\n", `field "spec.update.strategy": Unsupported value: "Always"`},
		{"kubebuilder", "captain.yaml", "name: captain-sample", "name: Captain_Sample", `field "metadata.name": Invalid value: "Captain_Sample"`},
		// The sample as kubebuilder scaffolds it: an empty spec, a null,
		// which server-side apply keeps and the schema refuses (a create
		// would drop it and find spec missing).
		{"kubebuilder", "crew_v1_captain.yaml.scaffold", "# TODO(user): Add fields here\n", "\n", `field "spec": Invalid value: "null": spec in body must be of type object: "null"`},
		{"gateway-api", "basic-http.yaml", "  - name: http\n    protocol: HTTP\n    port: 80\n", "  - name: http\n    protocol: HTTP\n    port: 80\n    tls: {mode: Terminate}\n", `tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']`},
		{"cert-manager", "cert-manager-resources.yaml", "  secretName: test1\n", "", `field "spec.secretName": Required value`},
		{"external-dns", "dnsendpoint-example.yaml", "recordTTL: 180", "recordTTL: 3m", `spec.endpoints[0].recordTTL in body must be of type integer`},
		{"cert-manager", "cert-manager-resources.yaml", "  dnsNames:\n  - example.com\n", "  dnsNames: example.com\n", `field "spec.dnsNames": Invalid value: "string": spec.dnsNames in body must be of type array`},
		{"gateway-api", "basic-http.yaml", "controllerName: acme.io/gateway-controller", "controllerName: not a domain", `field "spec.controllerName": Invalid value: "not a domain"`},
		// The CEL rules of the route CRDs, on their documented examples.
		{"gateway-api", "http-routing_foo-httproute.yaml", "value: /login", "value: login", `field "spec.rules[0].matches[0].path": Invalid value: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']`},
		{"gateway-api", "http-request-mirroring_httproute-mirroring.yaml", "    - type: RequestMirror\n", "    - type: RequestRedirect\n      requestRedirect: {scheme: https}\n    - type: RequestMirror\n", `field "spec.rules[0]": Invalid value: RequestRedirect filter must not be used together with backendRefs`},
		{"gateway-api", "http-request-mirroring_httproute-mirroring.yaml", "    - type: RequestMirror\n", "    - type: RequestHeaderModifier\n", `filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type`},
		{"gateway-api", "http-routing_foo-httproute.yaml", "  parentRefs:\n  - name: example-gateway\n", "  parentRefs:\n  - name: example-gateway\n  - name: example-gateway\n", `sectionName must be unique when parentRefs includes 2 or more references to the same parent`},
		{"gateway-api", "http-routing_foo-httproute.yaml", "  parentRefs:\n  - name: example-gateway\n", "  parentRefs:\n  - name: example-gateway\n  - name: example-gateway\n    sectionName: http\n", `sectionName must be specified when parentRefs includes 2 or more references to the same parent`},
		{"gateway-api", "grpc-routing_foo-grpcroute.yaml", "service: com.example", "service: com/example", `service must only contain valid characters`},
		{"gateway-api", "traffic-splitting_traffic-split-2.yaml", "    - name: foo-v2\n      port: 8080\n", "    - name: foo-v2\n", `Must have port for Service reference`},
		{"gateway-api", "reference-grant.yaml", "    kind: Service\n", "", `field "spec.to[0].kind": Required value`},
		// A field of metadata the API server does not know, in a custom
		// resource or an object embedded in one: ObjectMeta's decoding
		// drops it (pruning leaves metadata alone), so the labels never
		// reach the cluster.
		{"argo-cd", "application.yaml", "  name: guestbook\n", "  name: guestbook\n  label: {team: a}\n", "unknown field \"metadata.label\"\n  hint: did you mean \"labels\"?"},
		{"crossplane", "composition.yaml", "      kind: Response\n", "      kind: Response\n      metadata: {name: dummy, label: {team: a}}\n", `unknown field "spec.pipeline[0].input.metadata.label"`},
	} {
		t.Run(tc.source+"/"+tc.want, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(realDir, tc.source, tc.file)
			err := mutated(t, tc.source, tc.file, tc.from, tc.to)
			var lines []string
			for _, e := range diag.Flatten(err) {
				lines = append(lines, e.Error())
			}
			got := strings.Join(lines, "\n")
			if !strings.Contains(got, tc.want) || !strings.Contains(got, path+":") {
				t.Fatalf("got\n%s\nwant an error at %s containing\n%s", got, path, tc.want)
			}
		})
	}
}

// BenchmarkKubePrometheus validates kube-prometheus's manifests (82
// objects: Deployments, DaemonSets, RBAC, NetworkPolicies, Services,
// PrometheusRules and ServiceMonitors against their CRDs) as one env
// does, with the CRDs and built-in schemas compiled once, as a Renderer
// does across envs.
func BenchmarkKubePrometheus(b *testing.B) {
	objs := readReal(b, "kube-prometheus")
	s := NewSchemas()
	env, err := s.Env("1.33.0", objs)
	if err != nil {
		b.Fatal(err)
	}
	if err := env.Objects("bench", objs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.clean = map[cleanKey]bool{} // each object checked as for the first time
		if err := env.Objects("bench", objs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileBuiltinSchemas measures a run's one-time cost of the
// built-in schemas: reading the embedded file and compiling the schemas of
// a Deployment, a Service and a DaemonSet.
func BenchmarkCompileBuiltinSchemas(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		bs := &builtins{}
		for _, k := range []struct{ g, v, k string }{{"apps", "v1", "Deployment"}, {"", "v1", "Service"}, {"apps", "v1", "DaemonSet"}} {
			if bs.schemaFor(schema.GroupVersionKind{Group: k.g, Version: k.v, Kind: k.k}) == nil {
				b.Fatal("no schema")
			}
		}
	}
}

// BenchmarkKubePrometheusCold validates kube-prometheus's objects as a
// cold run does: its CRDs, the validators of the versions its objects use
// and the built-in kinds' schemas compiled afresh each time.
func BenchmarkKubePrometheusCold(b *testing.B) {
	objs := readReal(b, "kube-prometheus")
	b.ReportAllocs()
	for b.Loop() {
		builtinSchemas = &builtins{}
		env, err := NewSchemas().Env("1.33.0", objs)
		if err != nil {
			b.Fatal(err)
		}
		if err := env.Objects("bench", objs); err != nil {
			b.Fatal(err)
		}
	}
}
