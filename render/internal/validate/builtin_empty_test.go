package validate

import (
	"strings"
	"testing"
)

// podWith is a Pod whose spec has extra (YAML indented by two spaces) and
// one container with container (indented by six).
func podWith(spec, container string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + spec +
		"  containers:\n    - name: c\n      image: nginx\n" + container
}

// TestBuiltinEmptyEnums: an empty enum value is refused, with the API
// server's message at the field, exactly where Kubernetes 1.37's create
// refuses it (emptyRefused; a differential test against its registry
// strategies), and accepted where the API server defaults or accepts it.
func TestBuiltinEmptyEnums(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	webhook := func(field string) string {
		return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: w}
webhooks:
  - name: v.example.com
    admissionReviewVersions: [v1]
    clientConfig: {url: "https://x.example.com/v"}
    sideEffects: None
` + field
	}
	refused := map[string]struct{ doc, want string }{
		"seccompProfile.type": {podWith("  securityContext:\n    seccompProfile: {type: \"\"}\n", ""),
			`field "spec.securityContext.seccompProfile.type": Required value: type is required when seccompProfile is set`},
		"appArmorProfile.type": {podWith("", "      securityContext:\n        appArmorProfile: {type: \"\"}\n"),
			`field "spec.containers[0].securityContext.appArmorProfile.type": Required value: type is required when appArmorProfile is set`},
		"mountPropagation": {podWith("  volumes: [{name: v, emptyDir: {}}]\n", "      volumeMounts: [{name: v, mountPath: /v, mountPropagation: \"\"}]\n"),
			`field "spec.containers[0].volumeMounts[0].mountPropagation": Unsupported value: "": supported values: "Bidirectional", "HostToContainer", "None"`},
		// From 1.33, where ProcMountType is on by default: before, the API
		// server makes any procMount Default (accepted, below).
		"procMount": {podWith("", "      securityContext: {procMount: \"\"}\n"),
			`field "spec.containers[0].securityContext.procMount": Unsupported value: ""`},
		"fsGroupChangePolicy": {podWith("  securityContext: {fsGroupChangePolicy: \"\"}\n", ""),
			`field "spec.securityContext.fsGroupChangePolicy": Unsupported value: ""`},
		"pod preemptionPolicy": {podWith("  preemptionPolicy: \"\"\n", ""),
			`field "spec.preemptionPolicy": Required value`},
		"node selector operator": {podWith("  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: k, operator: \"\", values: [v]}]}]\n", ""),
			`.matchExpressions[0].operator": Invalid value: "": not a valid selector operator`},
		"whenUnsatisfiable": {podWith("  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: \"\"}]\n", ""),
			`field "spec.topologySpreadConstraints[0].whenUnsatisfiable": Unsupported value: "": supported values: "DoNotSchedule", "ScheduleAnyway"`},
		"NetworkPolicy policyTypes": {"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec:\n  podSelector: {}\n  policyTypes: [\"\"]\n",
			`field "spec.policyTypes[0]": Unsupported value: "": supported values: "Egress", "Ingress"`},
		"NetworkPolicy port protocol": {"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 80, protocol: \"\"}]}]\n",
			`field "spec.ingress[0].ports[0].protocol": Unsupported value: ""`},
		"PVC accessModes and volumeMode": {"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nspec:\n  accessModes: [\"\"]\n  volumeMode: \"\"\n  resources: {requests: {storage: 1Gi}}\n",
			`field "spec.volumeMode": Unsupported value: "": supported values: "Block", "Filesystem"`},
		"Ingress pathType": {"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  rules: [{http: {paths: [{path: /, pathType: \"\", backend: {service: {name: s, port: {number: 80}}}}]}}]\n",
			`field "spec.rules[0].http.paths[0].pathType": Unsupported value: ""`},
		"Node taint effect": {"apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec:\n  taints: [{key: k, effect: \"\"}]\n",
			`field "spec.taints[0].effect": Required value`},
		"ResourceQuota scopes": {"apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec:\n  hard: {pods: \"1\"}\n  scopes: [\"\"]\n",
			`field "spec.scopes[0]": Invalid value: "": unsupported scope`},
		"PriorityClass preemptionPolicy": {"apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: pc}\nvalue: 10\npreemptionPolicy: \"\"\n",
			`field "preemptionPolicy": Required value`},
		"PDB unhealthyPodEvictionPolicy": {"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: b}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {a: b}}\n  unhealthyPodEvictionPolicy: \"\"\n",
			`field "spec.unhealthyPodEvictionPolicy": Unsupported value: ""`},
		"Service internalTrafficPolicy": {"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  internalTrafficPolicy: \"\"\n  ports: [{port: 80}]\n",
			`field "spec.internalTrafficPolicy": Unsupported value: "": supported values: "Cluster", "Local"`},
		"CSR usages": {"apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: c}\nspec:\n  request: " + testCSR + "\n  signerName: example.com/signer\n  usages: [\"\"]\n",
			`field "spec.usages[0]": Unsupported value: ""`},
		"webhook failurePolicy": {webhook("    failurePolicy: \"\"\n"), `field "webhooks[0].failurePolicy": Unsupported value: "": supported values: "Fail", "Ignore"`},
		"webhook matchPolicy":   {webhook("    matchPolicy: \"\"\n"), `field "webhooks[0].matchPolicy": Unsupported value: ""`},
		"webhook rule operations and scope": {webhook("    rules: [{apiGroups: [\"\"], apiVersions: [v1], resources: [pods], operations: [\"\"], scope: \"\"}]\n"),
			`field "webhooks[0].rules[0].scope": Unsupported value: "": supported values: "*", "Cluster", "Namespaced"`},
		"webhook sideEffects Some": {strings.Replace(webhook(""), "sideEffects: None", "sideEffects: Some", 1),
			`field "webhooks[0].sideEffects": Unsupported value: "Some": supported values: "None", "NoneOnDryRun"`},
		"webhook sideEffects empty": {strings.Replace(webhook(""), "sideEffects: None", `sideEffects: ""`, 1),
			`field "webhooks[0].sideEffects": Unsupported value: "": supported values: "None", "NoneOnDryRun"`},
		"CronJob schedule": {"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\nspec:\n  schedule: \"\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: busybox}]\n",
			`field "spec.schedule": Required value`},
	}
	// The cases refused only from a later kubeVersion than the env's.
	refusedFrom := map[string]string{"procMount": "1.33.0"}
	for name, c := range refused {
		t.Run("refused/"+name, func(t *testing.T) {
			t.Parallel()
			env := env
			if kube := refusedFrom[name]; kube != "" {
				var err error
				if env, err = schemas().Env(kube, nil); err != nil {
					t.Fatal(err)
				}
			}
			err := env.Objects("demo", parse(t, "e.yaml", c.doc))
			if err == nil {
				t.Fatalf("accepted; the API server refuses it with %s", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
			if n := strings.Count(err.Error(), "app demo:"); n != 1 && name != "PVC accessModes and volumeMode" && name != "webhook rule operations and scope" {
				t.Errorf("told %d times, want once: %v", n, err)
			}
		})
	}
	accepted := map[string]string{
		"imagePullPolicy, terminationMessagePolicy":            podWith("", "      imagePullPolicy: \"\"\n      terminationMessagePolicy: \"\"\n"),
		"restartPolicy, dnsPolicy":                             podWith("  restartPolicy: \"\"\n  dnsPolicy: \"\"\n", ""),
		"container port protocol":                              podWith("", "      ports: [{containerPort: 80, protocol: \"\"}]\n"),
		"httpGet scheme":                                       podWith("", "      livenessProbe: {httpGet: {port: 80, scheme: \"\"}}\n"),
		"toleration operator and effect":                       podWith("  tolerations: [{key: k, operator: \"\", effect: \"\"}]\n", ""),
		"hostPath type":                                        podWith("  volumes: [{name: v, hostPath: {path: /x, type: \"\"}}]\n", ""),
		"Service type, sessionAffinity, externalTrafficPolicy": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: \"\"\n  sessionAffinity: \"\"\n  externalTrafficPolicy: \"\"\n  ports: [{port: 80, protocol: \"\"}]\n",
		"Deployment strategy type":                             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  strategy: {type: \"\"}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: c, image: nginx}]\n",
		"CronJob concurrencyPolicy":                            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\nspec:\n  schedule: \"@daily\"\n  concurrencyPolicy: \"\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: busybox}]\n",
		"PV reclaimPolicy":                                     "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\nspec:\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: \"\"\n  hostPath: {path: /x}\n",
		"StorageClass reclaimPolicy":                           "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: sc}\nprovisioner: example.com/p\nreclaimPolicy: \"\"\n",
		"procMount before ProcMountType":                       podWith("", "      securityContext: {procMount: \"\"}\n"),
	}
	for name, doc := range accepted {
		t.Run("accepted/"+name, func(t *testing.T) {
			t.Parallel()
			if err := env.Objects("demo", parse(t, "e.yaml", doc)); err != nil {
				t.Fatalf("refused what the API server accepts (it defaults the empty value): %v", err)
			}
		})
	}
}

// testCSR is a certificate request (base64 of its PEM) the API server accepts.
const testCSR = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIS01ISUNBUUF3RURFT01Bd0dBMVVFQXd3RllXeHBZMlV3V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPUFFNQgpCd05DQUFTRHVoODNRSHlFNWdZSzJRL25jVStOV3FQMXhaWGxscnRtM1NkcUFCTW85SWwyNVZsQ0FBRGF3emhyClZWalQ2YXFBYTBJbFhiTHR0K1pMZWxXTTB5bG1vQUF3Q2dZSUtvWkl6ajBFQXdJRFNBQXdSUUloQUlvWTVJRDUKdGY1Yml1NkNzMWsxa1FZV204aUova0tCSFE3dW96WlJZVlJQQWlBc2dzUGkydTZIeDNkbXNQOEtvdDlpYVJzbgpLRnFpT0U5eVZVVklEZDNEQ3c9PQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K"
