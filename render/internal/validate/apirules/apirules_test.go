package apirules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	storagev1alpha1 "k8s.io/api/storage/v1alpha1"
	storagev1beta1 "k8s.io/api/storage/v1beta1"
)

// ingress is an Ingress document with one rule: host, one path of path
// and pathType (flow mapping entries) and its backend.
func ingress(host, path, backend string) string {
	return "spec:\n  rules: [{" + host + ", http: {paths: [{" + path + ", backend: {" + backend + "}}]}}]"
}

// cronJob is a CronJob document with schedule and, when not "", one more
// line of spec.
func cronJob(schedule, more string) string {
	if more != "" {
		more = "\n  " + more
	}
	return "spec:\n  schedule: " + schedule + more + "\n  jobTemplate:\n    spec:\n      template:\n        spec: {restartPolicy: Never, containers: [{name: main, image: busybox}]}"
}

// webhookURL is a ValidatingWebhookConfiguration calling url.
func webhookURL(url string) string {
	return "webhooks:\n- name: check.example.com\n  sideEffects: None\n  admissionReviewVersions: [v1]\n  clientConfig: {url: '" + url + "'}\n"
}

// webhookMatch is a ValidatingWebhookConfiguration (or, decoded as one,
// a MutatingWebhookConfiguration) whose webhook has a match condition
// for each expression (YAML scalars), named c0, c1, ...
func webhookMatch(expressions ...string) string {
	conds := ""
	for i, e := range expressions {
		conds += fmt.Sprintf("  - {name: c%d, expression: %s}\n", i, e)
	}
	return webhookURL("https://hooks.example.com/check") + "  matchConditions:\n" + conds
}

// webhookResources is a ValidatingWebhookConfiguration whose one rule
// names resources (a YAML flow sequence's entries).
func webhookResources(resources string) string {
	return "webhooks:\n- name: check.example.com\n  sideEffects: None\n  admissionReviewVersions: [v1]\n  clientConfig: {service: {namespace: default, name: checker}}\n" +
		"  rules: [{operations: [CREATE], apiGroups: [''], apiVersions: [v1], resources: [" + resources + "]}]"
}

// pfp is a Job document whose pod failure policy has rules (flow
// sequence entries); its pod template's container is main.
func pfp(rules string) string {
	return "spec:\n  podFailurePolicy: {rules: [" + rules + "]}\n  template:" + podTemplate + "\n      restartPolicy: Never"
}

// indexed is an indexed Job document of 5 completions with one more
// line of spec.
func indexed(more string) string {
	return "spec:\n  completions: 5\n  completionMode: Indexed\n  " + more + "\n  template:" + podTemplate + "\n      restartPolicy: Never"
}

// dataClaim is a volume claim template for a volume named data.
const dataClaim = "[{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}]"

// statefulSet is a StatefulSet document whose container mounts data,
// with one more line of pod spec (when not "") and the claim templates.
func statefulSet(podMore, claims string) string {
	if podMore != "" {
		podMore = "\n      " + podMore
	}
	return "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      containers: [{name: main, image: busybox, volumeMounts: [{name: data, mountPath: /data}]}]" +
		podMore + "\n  volumeClaimTemplates: " + claims
}

// blockPod is a Pod document whose container has one more line
// (containerMore, such as its volumeDevices) and whose volume data has
// the source source (more volumes may follow as flow entries).
func blockPod(containerMore, source string) string {
	return "spec:\n  containers:\n  - name: a\n    image: a\n    " + containerMore + "\n  volumes:\n  - name: data\n    " + source
}

// storageClass is the AWS EBS CSI driver's documented StorageClass with
// more lines (more, when not "").
func storageClass(more string) string {
	return "provisioner: ebs.csi.aws.com\nparameters: {type: gp3, encrypted: 'true'}\nallowVolumeExpansion: true\nmountOptions: [debug]\n" + more
}

// manyParameters is n flow mapping entries p0: x, p1: x, ...
func manyParameters(n int) string {
	entries := make([]string, n)
	for i := range entries {
		entries[i] = fmt.Sprintf("p%d: x", i)
	}
	return strings.Join(entries, ", ")
}

// endpointSlice is the EndpointSlice of the Kubernetes documentation
// (concepts/services-networking/endpoint-slices) with addressType typ, its
// endpoint's addresses (flow sequence entries) and one more line of the
// endpoint (when not "").
func endpointSlice(typ, addresses, endpointMore string) string {
	if endpointMore != "" {
		endpointMore = "\n  " + endpointMore
	}
	return "metadata: {name: example-abc, labels: {kubernetes.io/service-name: example}}\naddressType: " + typ +
		"\nports:\n- {name: http, protocol: TCP, port: 80}\nendpoints:\n- addresses: [" + addresses + "]\n  conditions: {ready: true}\n  hostname: pod-1\n  nodeName: node-1\n  zone: us-west2-a" + endpointMore
}

// manyAddresses is n IPv4 addresses as flow sequence entries.
func manyAddresses(n int) string {
	entries := make([]string, n)
	for i := range entries {
		entries[i] = fmt.Sprintf("'10.1.%d.%d'", i/250, i%250+1)
	}
	return strings.Join(entries, ", ")
}

// limitRange is a LimitRange document whose first limit is item (its
// lines indented as the first entry of spec.limits).
func limitRange(item string) string {
	return "spec:\n  limits:\n  - " + item
}

// claimSources is a PersistentVolumeClaim document with a dataSource
// and a dataSourceRef (flow mappings).
func claimSources(source, ref string) string {
	return "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, dataSource: " + source + ", dataSourceRef: " + ref + "}"
}

// annotatedPod is a Pod document with annotations (flow mapping
// entries) and spec (lines at the spec's indentation).
func annotatedPod(annotations, spec string) string {
	return "metadata: {annotations: {" + annotations + "}}\nspec:\n  " + strings.ReplaceAll(spec, "\n", "\n  ")
}

// annotatedDeployment is a Deployment document whose pod template has
// annotations (flow mapping entries) and spec (lines at the spec's
// indentation); as a StatefulSet's, DaemonSet's or ReplicaSet's too.
func annotatedDeployment(annotations, spec string) string {
	return "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}, annotations: {" + annotations + "}}\n    spec:\n      " +
		strings.ReplaceAll(spec, "\n", "\n      ")
}

// oneContainer is the containers of a pod spec: a, of image a.
const oneContainer = "containers: [{name: a, image: a}]"

const podTemplate = `
    metadata: {labels: {app: a}}
    spec:
      containers: [{name: main, image: busybox}]`

// TestKindsWithoutRealFixture covers the rules on kinds the real
// fixtures of package validate do not hold in a breakable form: Jobs and
// CronJobs, StatefulSets, and the 1 MiB limit of ConfigMaps and Secrets.
func TestKindsWithoutRealFixture(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	for _, tc := range []struct {
		name string
		obj  runtime.Object
		doc  string
		want string // "" when valid
	}{
		// Without manualSelector the API server makes the selector and
		// the template's job-name and controller-uid labels itself.
		{"job with a selector of its own", &batchv1.Job{}, "metadata: {name: migrate}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:" + podTemplate + "\n      restartPolicy: Never",
			`spec.selector: Invalid value: "app=a": ` + "`selector` not auto-generated"},
		{"job selecting its name", &batchv1.Job{}, "metadata: {name: migrate}\nspec:\n  selector: {matchLabels: {job-name: migrate}}\n  template:" + podTemplate + "\n      restartPolicy: Never", ""},
		{"job labelling its pods with another job's name", &batchv1.Job{}, "metadata: {name: migrate}\nspec:\n  template:\n    metadata: {labels: {app: a, job-name: setup}}\n    spec:\n      containers: [{name: a, image: a}]\n      restartPolicy: Never",
			`spec.template.metadata.labels[job-name]: Invalid value: "setup": must be 'migrate'`},
		{"job labelling its pods with its name", &batchv1.Job{}, "metadata: {name: migrate}\nspec:\n  template:\n    metadata: {labels: {batch.kubernetes.io/job-name: migrate}}\n    spec:\n      containers: [{name: a, image: a}]\n      restartPolicy: Never", ""},
		{"job labelling its pods with a uid", &batchv1.Job{}, "metadata: {name: migrate}\nspec:\n  template:\n    metadata: {labels: {controller-uid: 0c1d2e3f}}\n    spec:\n      containers: [{name: a, image: a}]\n      restartPolicy: Never",
			`spec.template.metadata.labels[controller-uid]: Invalid value: "0c1d2e3f": must be the Job's uid`},
		{"indexed job whose last pod has too long a name", &batchv1.Job{}, "metadata: {name: " + strings.Repeat("a", 62) + "}\nspec:\n  completionMode: Indexed\n  completions: 10\n  template:" + podTemplate + "\n      restartPolicy: Never",
			"metadata.name: Invalid value: \"" + strings.Repeat("a", 62) + "\": will not able to create pod with invalid DNS label: " + strings.Repeat("a", 62) + "-9"},
		{"indexed job named with a dot", &batchv1.Job{}, "metadata: {name: db.migrate}\nspec:\n  completionMode: Indexed\n  completions: 1\n  template:" + podTemplate + "\n      restartPolicy: Never",
			"will not able to create pod with invalid DNS label: db.migrate-0"},
		{"indexed job", &batchv1.Job{}, "metadata: {name: " + strings.Repeat("a", 61) + "}\nspec:\n  completionMode: Indexed\n  completions: 10\n  template:" + podTemplate + "\n      restartPolicy: Never", ""},
		{"cronjob labelling its jobs' pods with a job name", &batchv1.CronJob{}, "metadata: {name: nightly}\nspec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {app: a, job-name: nightly}}\n        spec:\n          restartPolicy: Never\n          containers: [{name: a, image: a}]",
			`spec.jobTemplate.spec.template.metadata.labels[job-name]: Invalid value: "nightly": the API server sets this label of each Job's pods to the Job's name, nightly-<minutes since the epoch>`},
		{"job restarting OnFailure", &batchv1.Job{}, "spec:\n  template:" + podTemplate + "\n      restartPolicy: OnFailure", ""},
		{"job without restartPolicy", &batchv1.Job{}, "spec:\n  template:" + podTemplate,
			`spec.template.spec.restartPolicy: Unsupported value: "": supported values: "OnFailure", "Never"`},
		{"job restarting Always", &batchv1.Job{}, "spec:\n  template:" + podTemplate + "\n      restartPolicy: Always",
			`spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`},
		{"cronjob", &batchv1.CronJob{}, "spec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: main, image: busybox}]",
			`spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: ""`},
		{"statefulset", &appsv1.StatefulSet{}, "spec:\n  selector: {matchLabels: {app: b}}\n  template:" + podTemplate,
			"spec.template.metadata.labels: Invalid value: \"app=a\": `selector` does not match template `labels`"},
		// Since Kubernetes 1.34 the API server checks a StatefulSet's pod
		// template with a volume for each claim template, and the claims.
		{"statefulset mounting its claim", &appsv1.StatefulSet{}, statefulSet("", dataClaim), ""},
		{"statefulset with a volume named like its claim", &appsv1.StatefulSet{}, statefulSet("volumes: [{name: data, emptyDir: {}}]", dataClaim), ""},
		{"statefulset hostname left to the controller", &appsv1.StatefulSet{}, statefulSet("hostname: Not_A_Label", dataClaim), ""},
		{"statefulset mounting no claim", &appsv1.StatefulSet{}, statefulSet("", "[{metadata: {name: cache}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}]"),
			`spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"`},
		{"statefulset claim without a size", &appsv1.StatefulSet{}, statefulSet("", "[{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce]}}]"),
			"spec.volumeClaimTemplates[0].spec.resources[storage]: Required value"},
		{"statefulset container without image", &appsv1.StatefulSet{}, "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      containers: [{name: main}]",
			"spec.template.spec.containers[0].image: Required value"},
		{"statefulset service name", &appsv1.StatefulSet{}, statefulSet("", dataClaim) + "\n  serviceName: Data_Headless",
			`spec.serviceName: Invalid value: "Data_Headless": a lowercase RFC 1123 label`},
		{"statefulset with a deadline", &appsv1.StatefulSet{}, statefulSet("activeDeadlineSeconds: 60", dataClaim),
			"spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported"},
		{"statefulset matching", &appsv1.StatefulSet{}, "spec:\n  selector: {matchExpressions: [{key: app, operator: In, values: [a, b]}]}\n  template:" + podTemplate, ""},
		{"configmap at the limit", &corev1.ConfigMap{}, "data: {a: " + big[:1<<20-1] + ", b: x}", ""},
		{"configmap over the limit", &corev1.ConfigMap{}, "data: {a: " + big + "}\nbinaryData: {b: eA==}", "data: Too long: may not be more than 1048576 bytes"},
		{"configmap key in both", &corev1.ConfigMap{}, "data: {a: x}\nbinaryData: {a: eA==}", `binaryData[a]: Invalid value: "a": duplicate of key present in data`},
		{"secret key in both", &corev1.Secret{}, "stringData: {a: x}\ndata: {a: eA==}", ""},
		// No part of a Secret's invalid key is shown, only its position:
		// a secretGenerator .env line without '=' is one key, value and
		// all, a password alone on its line is all key, and the first
		// word of a passphrase is a piece of it.
		{"secret key", &corev1.Secret{}, "stringData: {'a b': x}", `stringData: Invalid value: key 1 of 1 (in sorted order): a valid config key`},
		{"secret key holding a value", &corev1.Secret{}, "data: {'PASSWORD hunter2': ''}", `data: Invalid value: key 1 of 1 (in sorted order): a valid config key`},
		{"secret key that is a value", &corev1.Secret{}, "data: {'Xy9Kq7PassW0rd!': ''}", `data: Invalid value: key 1 of 1 (in sorted order): a valid config key`},
		{"secret key that is a value with a blank", &corev1.Secret{}, "data: {'Xy9Kq7.PassW0rd with blank': ''}", `data: Invalid value: key 1 of 1 (in sorted order): a valid config key`},
		{"secret key name and value", &corev1.Secret{}, "stringData: {'DB_PASSWORD: hunter2': ''}", `stringData: Invalid value: key 1 of 1 (in sorted order): a valid config key`},
		{"secret key that is a passphrase", &corev1.Secret{}, "stringData: {A: x, 'Word rest of passphrase': y, z: x}", `stringData: Invalid value: key 2 of 3 (in sorted order): a valid config key`},
		{"configmap key", &corev1.ConfigMap{}, "data: {'a b': x}", `data[a b]: Invalid value: "a b": a valid config key`},
		{"secret over the limit", &corev1.Secret{}, "stringData: {a: " + big + "}\ndata: {b: eA==}", "data: Too long"},
		// The keys a Secret's type requires, from data and stringData
		// together, as the API server merges them.
		{"tls secret", &corev1.Secret{}, "type: kubernetes.io/tls\ndata: {tls.crt: eA==}\nstringData: {tls.key: ''}", ""},
		{"tls secret without its key", &corev1.Secret{}, "type: kubernetes.io/tls\ndata: {tls.crt: eA==}", "data[tls.key]: Required value"},
		{"basic-auth secret with a password", &corev1.Secret{}, "type: kubernetes.io/basic-auth\nstringData: {password: x}", ""},
		{"ssh-auth secret with an empty key", &corev1.Secret{}, "type: kubernetes.io/ssh-auth\nstringData: {ssh-privatekey: ''}", "data[ssh-privatekey]: Required value"},
		{"service account token secret", &corev1.Secret{}, "type: kubernetes.io/service-account-token", "metadata.annotations[kubernetes.io/service-account.name]: Required value"},
		{"dockerconfigjson secret", &corev1.Secret{}, "type: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: '{\"auths\": {}}'}", ""},
		{"dockerconfigjson secret without it", &corev1.Secret{}, "type: kubernetes.io/dockerconfigjson\ndata: {config.json: eA==}", "data[.dockerconfigjson]: Required value"},
		{"dockercfg secret not JSON", &corev1.Secret{}, "type: kubernetes.io/dockercfg\nstringData: {.dockercfg: s3cret-not-json}", "stringData[.dockercfg]: Invalid value: \"<secret contents redacted>\": is not a JSON object"},
		{"opaque secret", &corev1.Secret{}, "type: Opaque", ""},
		{"secret of another type", &corev1.Secret{}, "type: example.com/anything", ""},

		// Admission webhook rules' resources and wildcards.
		// A webhook URL whose password holds "#" or ":": neither the
		// password nor a piece of it is quoted.
		{"webhook url with a password and #", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookURL("https://admin:12#s3cret@hooks.example.com/check"),
			`webhooks[0].clientConfig.url: Invalid value: "<fragment redacted>": fragments are not permitted in the URL`},
		{"webhook url with a password that breaks the port", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookURL("https://admin:s3#cret@hooks.example.com/check"),
			`webhooks[0].clientConfig.url: Required value: url must be a valid URL: invalid port after host; desired format: https://host[/path]`},
		{"webhook url with a token in its query", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookURL("https://hooks.example.com/check?token=s3cret"),
			`webhooks[0].clientConfig.url: Invalid value: "<query redacted>": query parameters are not permitted in the URL`},
		{"webhook on every resource", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookResources("'*/*'"), ""},
		{"webhook on all resources and a subresource", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookResources("'*', pods/status"), ""},
		{"webhook on */* and more", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookResources("'*/*', pods"),
			`webhooks[0].rules[0].resources: Invalid value: ["*/*","pods"]: if '*/*' is present, must not specify other resources`},
		{"webhook on pods/* and pods/status", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookResources("'pods/*', pods/status"),
			`webhooks[0].rules[0].resources[1]: Invalid value: "pods/status": if 'pods/*' is present, must not specify pods/status`},
		{"webhook on * and pods", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookResources("'*', pods"),
			`webhooks[0].rules[0].resources: Invalid value: ["*","pods"]: if '*' is present, must not specify other resources without subresources`},
		{"webhook with an empty resource", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookResources("pods, ''"),
			`webhooks[0].rules[0].resources[1]: Required value`},

		// Match conditions compile as CEL in the admission environment
		// (the Kubernetes documentation's examples, and mistakes in them).
		{"webhook match conditions", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookMatch(
			`'!(request.resource.group == "coordination.k8s.io" && request.resource.resource == "leases")'`,
			`'!("system:nodes" in request.userInfo.groups)'`,
			`'!authorizer.group("admissionregistration.k8s.io").resource("validatingwebhookconfigurations").name("my-webhook.example.com").check("breakglass").allowed()'`,
			`'has(object.metadata) && object.metadata.name.startsWith("kube-")'`), ""},
		{"webhook match condition not a bool", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookMatch("request.resource.group"),
			`webhooks[0].matchConditions[0].expression: Invalid value: "request.resource.group": must evaluate to bool but got string`},
		{"webhook match condition with params", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookMatch("params.enabled == true"),
			`webhooks[0].matchConditions[0].expression: Invalid value: "params.enabled == true": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params'`},
		{"webhook match condition that does not parse", &admissionregistrationv1.ValidatingWebhookConfiguration{}, webhookMatch("'request.kind.kind == \"Pod'"),
			`webhooks[0].matchConditions[0].expression: Invalid value: "request.kind.kind == \"Pod": compilation failed: ERROR: <input>:1:22: Syntax error`},
		{"mutating webhook match condition", &admissionregistrationv1.MutatingWebhookConfiguration{}, webhookMatch("request.dryRun"), ""},
		// PriorityClasses: system- names and values are the API server's.
		{"priority class of a user", &schedulingv1.PriorityClass{}, "metadata: {name: batch-high}\nvalue: 1000000000", ""},
		{"priority class above a user's", &schedulingv1.PriorityClass{}, "metadata: {name: batch-high}\nvalue: 1000000001",
			"value: Forbidden: maximum allowed value of a user defined priority is 1000000000"},
		{"priority class named system-", &schedulingv1.PriorityClass{}, "metadata: {name: system-high}\nvalue: 1000",
			"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-high is not a known system priority class"},
		{"system priority class with its value", &schedulingv1.PriorityClass{}, "metadata: {name: system-cluster-critical}\nvalue: 2000000000", ""},
		{"system priority class with another value", &schedulingv1.PriorityClass{}, "metadata: {name: system-node-critical}\nvalue: 2000000000",
			"error: value of system-node-critical PriorityClass must be 2000001000"},

		// Job counts and the settings that need indexed completion.
		{"job with negative backoffLimit", &batchv1.Job{}, "spec:\n  backoffLimit: -1\n  template:" + podTemplate + "\n      restartPolicy: Never",
			"spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"},
		{"indexed job without completions", &batchv1.Job{}, "spec:\n  completionMode: Indexed\n  template:" + podTemplate + "\n      restartPolicy: Never",
			"spec.completions: Required value: when completion mode is Indexed"},
		{"indexed job", &batchv1.Job{}, "spec:\n  completionMode: Indexed\n  completions: 3\n  backoffLimitPerIndex: 1\n  maxFailedIndexes: 1\n  template:" + podTemplate + "\n      restartPolicy: Never", ""},
		{"per-index backoff without indexes", &batchv1.Job{}, "spec:\n  backoffLimitPerIndex: 1\n  template:" + podTemplate + "\n      restartPolicy: Never",
			"spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"},
		{"hpa object metric of no name", &autoscalingv2.HorizontalPodAutoscaler{}, "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n  metrics:\n" +
			"  - {type: Object, object: {describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: ''}, metric: {name: requests}, target: {type: Value, value: '10'}}}",
			"spec.metrics[0].object.describedObject.name: Required value"},
		// The pod failure policy of the Kubernetes documentation
		// (concepts/workloads/controllers/job#pod-failure-policy), and
		// mistakes in it (podfailure.go).
		{"pod failure policy", &batchv1.Job{}, pfp("{action: FailJob, onExitCodes: {containerName: main, operator: In, values: [42]}}, {action: Ignore, onPodConditions: [{type: DisruptionTarget}]}"), ""},
		{"pod failure policy with exit code 0", &batchv1.Job{}, pfp("{action: FailJob, onExitCodes: {operator: In, values: [0, 42]}}"),
			"spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator"},
		{"pod failure policy not in exit code 0", &batchv1.Job{}, pfp("{action: Count, onExitCodes: {operator: NotIn, values: [0]}}"), ""},
		{"pod failure policy unordered", &batchv1.Job{}, pfp("{action: FailJob, onExitCodes: {operator: NotIn, values: [42, 3]}}"),
			"spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [42,3]: must be ordered"},
		{"pod failure policy exit code twice", &batchv1.Job{}, pfp("{action: FailJob, onExitCodes: {operator: NotIn, values: [3, 3]}}"),
			"spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Duplicate value: 3"},
		{"pod failure policy without exit codes", &batchv1.Job{}, pfp("{action: FailJob, onExitCodes: {operator: In, values: []}}"),
			"spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []: at least one value is required"},
		{"pod failure policy of another container", &batchv1.Job{}, pfp("{action: FailJob, onExitCodes: {containerName: sidecar, operator: In, values: [1]}}"),
			`spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "sidecar": must be one of the container or initContainer names in the pod template`},
		{"pod failure policy empty operator", &batchv1.Job{}, pfp("{action: FailJob, onExitCodes: {operator: '', values: [1]}}"),
			`spec.podFailurePolicy.rules[0].onExitCodes.operator: Required value: valid values: ["In" "NotIn"]`},
		{"pod failure policy empty action", &batchv1.Job{}, pfp("{action: '', onPodConditions: [{type: DisruptionTarget}]}"),
			`spec.podFailurePolicy.rules[0].action: Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]`},
		{"pod failure policy FailIndex without backoffLimitPerIndex", &batchv1.Job{}, pfp("{action: FailIndex, onExitCodes: {operator: In, values: [1]}}"),
			`spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set`},
		{"pod failure policy FailIndex", &batchv1.Job{}, "spec:\n  completions: 4\n  completionMode: Indexed\n  backoffLimitPerIndex: 1\n" +
			"  podFailurePolicy: {rules: [{action: FailIndex, onExitCodes: {operator: In, values: [1]}}]}\n  template:" + podTemplate + "\n      restartPolicy: Never", ""},
		{"pod failure policy rule of both", &batchv1.Job{}, pfp("{action: Ignore, onExitCodes: {operator: In, values: [2]}, onPodConditions: [{type: DisruptionTarget}]}"),
			"spec.podFailurePolicy.rules[0]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported"},
		{"pod failure policy rule of neither", &batchv1.Job{}, pfp("{action: Ignore, onPodConditions: []}"),
			"spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required"},
		{"pod failure policy condition type", &batchv1.Job{}, pfp("{action: Ignore, onPodConditions: [{type: 'Disruption Target', status: 'False'}]}"),
			`spec.podFailurePolicy.rules[0].onPodConditions[0].type: Invalid value: "Disruption Target": name part must consist of`},
		{"pod failure policy condition status", &batchv1.Job{}, pfp("{action: Ignore, onPodConditions: [{type: DisruptionTarget, status: 'true'}]}"),
			`spec.podFailurePolicy.rules[0].onPodConditions[0].status: Unsupported value: "true": supported values: "False", "True", "Unknown"`},
		{"pod failure policy of 21 rules", &batchv1.Job{}, pfp(strings.Repeat("{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}, ", 20) + "{action: Count, onPodConditions: [{type: DisruptionTarget}]}"),
			"spec.podFailurePolicy.rules: Too many: 21: must have at most 20 items"},
		{"cronjob pod failure policy", &batchv1.CronJob{}, "spec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [0]}}]}\n" +
			"      template:\n        spec: {restartPolicy: Never, containers: [{name: main, image: busybox}]}",
			"spec.jobTemplate.spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator"},
		// An indexed Job's success policy (successpolicy.go), the
		// documentation's (concepts/workloads/controllers/job#success-policy)
		// and mistakes in it.
		{"success policy", &batchv1.Job{}, indexed("successPolicy: {rules: [{succeededIndexes: '0,2-3', succeededCount: 1}]}"), ""},
		{"success policy without rules", &batchv1.Job{}, indexed("successPolicy: {rules: []}"),
			"spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified"},
		{"success policy rule of nothing", &batchv1.Job{}, indexed("successPolicy: {rules: [{}]}"),
			"spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified"},
		{"success policy index too large", &batchv1.Job{}, indexed("successPolicy: {rules: [{succeededIndexes: 0-10}]}"),
			`spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-10": error parsing succeededIndexes: too large index: "10"`},
		{"success policy indexes out of order", &batchv1.Job{}, indexed("successPolicy: {rules: [{succeededIndexes: '3,1', succeededCount: 1}]}"),
			`spec.successPolicy.rules[0].succeededIndexes: Invalid value: "3,1": error parsing succeededIndexes: non-increasing order, previous: 3, current: 1`},
		{"success policy count above completions", &batchv1.Job{}, indexed("successPolicy: {rules: [{succeededCount: 6}]}"),
			"spec.successPolicy.rules[0].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)"},
		{"success policy count above its indexes", &batchv1.Job{}, indexed("successPolicy: {rules: [{succeededIndexes: 1-2, succeededCount: 3}]}"),
			"spec.successPolicy.rules[0].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)"},
		{"indexed job failing more indexes than it has", &batchv1.Job{}, indexed("backoffLimitPerIndex: 1\n  maxFailedIndexes: 6"),
			"spec.maxFailedIndexes: Invalid value: 6: must be less than or equal to completions"},
		{"pod failure policy restarting OnFailure", &batchv1.Job{}, "spec:\n  podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [42]}}]}\n  template:" + podTemplate + "\n      restartPolicy: OnFailure",
			`spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified`},
		{"cronjob with negative history", &batchv1.CronJob{}, cronJob("'@daily'", "failedJobsHistoryLimit: -1"),
			"spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0"},
		{"cronjob with negative deadline", &batchv1.CronJob{}, cronJob("'@daily'", "startingDeadlineSeconds: -5"),
			"spec.startingDeadlineSeconds: Invalid value: -5: must be greater than or equal to 0"},

		// A Job's name becomes a label of its pods, unless its selector is manual.
		{"job name of 63", &batchv1.Job{}, "metadata: {name: " + strings.Repeat("j", 63) + "}\nspec:\n  template:" + podTemplate + "\n      restartPolicy: Never", ""},
		{"job name of 64", &batchv1.Job{}, "metadata: {name: " + strings.Repeat("j", 64) + "}\nspec:\n  template:" + podTemplate + "\n      restartPolicy: Never",
			"metadata.name: Invalid value: \"" + strings.Repeat("j", 64) + "\": must be no more than 63 characters"},
		{"job name of 64, manual selector", &batchv1.Job{}, "metadata: {name: " + strings.Repeat("j", 64) + "}\nspec:\n  manualSelector: true\n  selector: {matchLabels: {app: a}}\n  template:" + podTemplate + "\n      restartPolicy: Never", ""},
		{"job manual selector not matching", &batchv1.Job{}, "spec:\n  manualSelector: true\n  selector: {matchLabels: {app: b}}\n  template:" + podTemplate + "\n      restartPolicy: Never",
			"spec.template.metadata.labels: Invalid value: \"app=a\": `selector` does not match template `labels`"},
		{"job manual selector missing", &batchv1.Job{}, "spec:\n  manualSelector: true\n  template:" + podTemplate + "\n      restartPolicy: Never",
			"spec.selector: Required value"},
		{"job template label value", &batchv1.Job{}, "spec:\n  template:\n    metadata: {labels: {version: 1.0.0+build.1}}\n    spec: {restartPolicy: Never, containers: [{name: main, image: busybox}]}",
			`spec.template.metadata.labels: Invalid value: "1.0.0+build.1": a valid label must be`},
		{"statefulset template annotation key", &appsv1.StatefulSet{}, "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}, annotations: {'bad key': x}}\n    spec: {containers: [{name: main, image: busybox}]}",
			`spec.template.metadata.annotations: Invalid value: "bad key": name part must consist of`},

		// CronJobs: the name, the schedule as the API server parses it, the time zone's form.
		{"cronjob name of 52", &batchv1.CronJob{}, "metadata: {name: " + strings.Repeat("c", 52) + "}\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec: {restartPolicy: Never, containers: [{name: main, image: busybox}]}", ""},
		{"cronjob name of 53", &batchv1.CronJob{}, "metadata: {name: " + strings.Repeat("c", 53) + "}\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec: {restartPolicy: Never, containers: [{name: main, image: busybox}]}",
			"metadata.name: Invalid value: \"" + strings.Repeat("c", 53) + "\": must be no more than 52 characters"},
		{"cronjob schedule of four fields", &batchv1.CronJob{}, cronJob("'*/5 * * *'", ""),
			`spec.schedule: Invalid value: "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *]`},
		{"cronjob schedule with Sunday as 7", &batchv1.CronJob{}, cronJob("'0 0 * * 7'", ""),
			`spec.schedule: Invalid value: "0 0 * * 7": end of range (7) above maximum (6): 7`},
		{"cronjob schedule with TZ", &batchv1.CronJob{}, cronJob("'CRON_TZ=Europe/Paris 0 3 * * *'", ""),
			`spec.schedule: Invalid value: "CRON_TZ=Europe/Paris 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`},
		{"cronjob schedule with a time zone", &batchv1.CronJob{}, cronJob("'0 3 * * *'", "timeZone: Europe/Paris"), ""},
		{"cronjob empty time zone", &batchv1.CronJob{}, cronJob("'0 3 * * *'", "timeZone: ''"),
			`spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string`},
		{"cronjob Local time zone", &batchv1.CronJob{}, cronJob("'0 3 * * *'", "timeZone: Local"),
			`spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone`},
		{"cronjob misspelt time zone", &batchv1.CronJob{}, cronJob("'0 3 * * *'", "timeZone: Europe/Pairs"),
			`spec.timeZone: Invalid value: "Europe/Pairs": unknown time zone Europe/Pairs`},
		// Named in 2022 (tzdata 2022g): in Go's embedded database.
		{"cronjob new time zone", &batchv1.CronJob{}, cronJob("'0 3 * * *'", "timeZone: America/Ciudad_Juarez"), ""},
		{"cronjob UTC", &batchv1.CronJob{}, cronJob("'0 3 * * *'", "timeZone: UTC"), ""},
		{"cronjob time zone of a bad form", &batchv1.CronJob{}, cronJob("'0 3 * * *'", "timeZone: Europe/../Paris"),
			`spec.timeZone: Invalid value: "Europe/../Paris": unknown time zone Europe/../Paris`},
		{"cronjob job template selector", &batchv1.CronJob{}, "spec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      selector: {matchLabels: {app: a}}\n      template:" + strings.ReplaceAll(podTemplate, "\n    ", "\n        ") + "\n          restartPolicy: Never",
			"spec.jobTemplate.spec.selector: Invalid value: \"\": `selector` will be auto-generated"},
		{"cronjob manual selector", &batchv1.CronJob{}, "spec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      manualSelector: true\n      template:" + strings.ReplaceAll(podTemplate, "\n    ", "\n        ") + "\n          restartPolicy: Never",
			`spec.jobTemplate.spec.manualSelector: Unsupported value: "true"`},

		// Ingresses (networking.k8s.io/v1).
		{"ingress", &networkingv1.Ingress{}, ingress("host: app.example.com", "path: /, pathType: Prefix", "service: {name: web, port: {number: 80}}"), ""},
		{"ingress wildcard host and implementation-specific regex path", &networkingv1.Ingress{}, ingress("host: '*.example.com'", "path: '/api(/|$)(.*)', pathType: ImplementationSpecific", "service: {name: web, port: {name: http}}"), ""},
		{"ingress relative path", &networkingv1.Ingress{}, ingress("host: app.example.com", "path: api, pathType: Prefix", "service: {name: web, port: {number: 80}}"),
			`spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path`},
		{"ingress path with //", &networkingv1.Ingress{}, ingress("host: app.example.com", "path: /api//v1, pathType: Exact", "service: {name: web, port: {number: 80}}"),
			`spec.rules[0].http.paths[0].path: Invalid value: "/api//v1": must not contain '//'`},
		{"ingress IP host", &networkingv1.Ingress{}, ingress("host: 10.0.0.1", "path: /, pathType: Prefix", "service: {name: web, port: {number: 80}}"),
			`spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address`},
		{"ingress host with a port", &networkingv1.Ingress{}, ingress("host: 'app.example.com:443'", "path: /, pathType: Prefix", "service: {name: web, port: {number: 80}}"),
			`spec.rules[0].host: Invalid value: "app.example.com:443": a lowercase RFC 1123 subdomain`},
		{"ingress backend without service", &networkingv1.Ingress{}, ingress("host: app.example.com", "path: /, pathType: Prefix", ""),
			`spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is required`},
		{"ingress backend service name", &networkingv1.Ingress{}, ingress("host: app.example.com", "path: /, pathType: Prefix", "service: {name: web.svc, port: {number: 80}}"),
			`spec.rules[0].http.paths[0].backend.service.name: Invalid value: "web.svc": must not contain dots`},
		{"ingress backend port both", &networkingv1.Ingress{}, ingress("host: app.example.com", "path: /, pathType: Prefix", "service: {name: web, port: {number: 80, name: http}}"),
			`spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both port name & port number`},
		{"ingress backend port missing", &networkingv1.Ingress{}, ingress("host: app.example.com", "path: /, pathType: Prefix", "service: {name: web, port: {}}"),
			`spec.rules[0].http.paths[0].backend: Required value: port name or number is required`},
		{"ingress without rules or default backend", &networkingv1.Ingress{}, "spec: {ingressClassName: nginx}",
			"spec: Invalid value: \"\": either `defaultBackend` or `rules` must be specified"},
		// Both, agreeing, are taken from Kubernetes 1.27 (the newest
		// release here); TestIngressClassByKubeVersion has the older rule.
		{"ingress class annotation and field", &networkingv1.Ingress{}, "metadata: {annotations: {kubernetes.io/ingress.class: nginx}}\nspec: {ingressClassName: nginx, defaultBackend: {service: {name: web, port: {number: 80}}}}", ""},
		{"ingress class annotation and another field", &networkingv1.Ingress{}, "metadata: {annotations: {kubernetes.io/ingress.class: nginx}}\nspec: {ingressClassName: internal, defaultBackend: {service: {name: web, port: {number: 80}}}}",
			"metadata.annotations[kubernetes.io/ingress.class]: Invalid value: \"nginx\": must match `ingressClassName` when both are specified"},
		// IngressClasses: ingress-nginx's and the AWS Load Balancer
		// Controller's documented ones, and mistakes in them.
		{"ingress-nginx class", &networkingv1.IngressClass{}, "spec: {controller: k8s.io/ingress-nginx}", ""},
		{"alb class with parameters", &networkingv1.IngressClass{}, "spec:\n  controller: ingress.k8s.aws/alb\n  parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: awesome-class-cfg}", ""},
		{"class with namespaced parameters", &networkingv1.IngressClass{}, "spec:\n  controller: example.com/ingress\n  parameters: {kind: ConfigMap, name: cfg, scope: Namespace, namespace: ingress}", ""},
		{"class controller without a domain", &networkingv1.IngressClass{}, "spec: {controller: nginx}",
			`spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")`},
		{"class parameters in a namespace of no scope", &networkingv1.IngressClass{}, "spec:\n  controller: ingress.k8s.aws/alb\n  parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: cfg, namespace: kube-system}",
			"spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"},
		{"class parameters of an unknown scope", &networkingv1.IngressClass{}, "spec:\n  controller: example.com/ingress\n  parameters: {kind: ConfigMap, name: cfg, scope: Namespaced}",
			`spec.parameters.scope: Unsupported value: "Namespaced": supported values: "Cluster", "Namespace"`},
		{"class parameters of Namespace scope without namespace", &networkingv1.IngressClass{}, "spec:\n  controller: example.com/ingress\n  parameters: {kind: ConfigMap, name: cfg, scope: Namespace}",
			"spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"},
		{"class parameters group with a version", &networkingv1.IngressClass{}, "spec:\n  controller: ingress.k8s.aws/alb\n  parameters: {apiGroup: elbv2.k8s.aws/v1beta1, kind: IngressClassParams, name: cfg}",
			`spec.parameters.apiGroup: Invalid value: "elbv2.k8s.aws/v1beta1": a lowercase RFC 1123 subdomain`},
		{"ingress resource backend of a path kind", &networkingv1.Ingress{}, "spec: {defaultBackend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket/v1, name: static-assets}}}",
			`spec.defaultBackend.resource.kind: Invalid value: "StorageBucket/v1": may not contain '/'`},
		{"ingress resource backend", &networkingv1.Ingress{}, "spec: {defaultBackend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static-assets}}}", ""},
		{"ingress class annotation alone", &networkingv1.Ingress{}, "metadata: {annotations: {kubernetes.io/ingress.class: nginx}}\nspec: {defaultBackend: {service: {name: web, port: {number: 80}}}}", ""},
		{"ingress TLS host", &networkingv1.Ingress{}, "spec:\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n  tls: [{hosts: [App.example.com], secretName: web-tls}]",
			`spec.tls[0].hosts[0]: Invalid value: "App.example.com": a lowercase RFC 1123 subdomain`},

		// Secrets of the built-in types, their keys split between data
		// and stringData (more cases above).
		{"tls secret, key in data", &corev1.Secret{}, "type: kubernetes.io/tls\nstringData: {tls.crt: x}\ndata: {tls.key: eA==}", ""},
		{"tls secret, cert in stringData, no key", &corev1.Secret{}, "type: kubernetes.io/tls\nstringData: {tls.crt: x}", "data[tls.key]: Required value"},
		{"dockerconfigjson secret not JSON", &corev1.Secret{}, "type: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: 'hunter2'}",
			`stringData[.dockerconfigjson]: Invalid value: "<secret contents redacted>": is not a JSON object`},
		{"dockerconfigjson secret, key in stringData under another name", &corev1.Secret{}, "type: kubernetes.io/dockerconfigjson\nstringData: {config.json: '{}'}", "data[.dockerconfigjson]: Required value"},
		{"secret of another type with data", &corev1.Secret{}, "type: example.com/anything\nstringData: {x: y}", ""},

		// NetworkPolicies and claims.
		{"network policy port name", &networkingv1.NetworkPolicy{}, "spec:\n  podSelector: {}\n  ingress: [{ports: [{port: metrics_port}]}]",
			`spec.ingress[0].ports[0].port: Invalid value: "metrics_port": must contain only alpha-numeric characters`},
		{"network policy empty peer", &networkingv1.NetworkPolicy{}, "spec:\n  podSelector: {}\n  egress: [{to: [{}]}]",
			`spec.egress[0].to[0]: Required value: must specify a peer`},
		{"network policy ipBlock with a selector", &networkingv1.NetworkPolicy{}, "spec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]",
			`spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer`},
		{"network policy pods of namespaces", &networkingv1.NetworkPolicy{}, "spec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {a: b}}}], ports: [{port: 8080}, {port: http}]}]", ""},
		{"claim", &corev1.PersistentVolumeClaim{}, "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}", ""},
		{"claim without storage", &corev1.PersistentVolumeClaim{}, "spec: {accessModes: [ReadWriteOnce]}", "spec.resources[storage]: Required value"},
		// A claim's dataSource and dataSourceRef, when both are written,
		// name the same object, the apiGroup compared as written.
		{"claim sources alike", &corev1.PersistentVolumeClaim{}, claimSources("{kind: PersistentVolumeClaim, name: a}", "{kind: PersistentVolumeClaim, name: a}"), ""},
		{"claim sources of other names", &corev1.PersistentVolumeClaim{}, claimSources("{kind: PersistentVolumeClaim, name: a}", "{kind: PersistentVolumeClaim, name: b}"),
			"spec.dataSource: Invalid value: must match dataSourceRef"},
		{"claim sources of other kinds", &corev1.PersistentVolumeClaim{}, claimSources("{apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: a}", "{apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshotContent, name: a}"),
			"spec.dataSource: Invalid value: must match dataSourceRef"},
		{"claim sources, one apiGroup empty", &corev1.PersistentVolumeClaim{}, claimSources("{kind: PersistentVolumeClaim, name: a}", "{apiGroup: '', kind: PersistentVolumeClaim, name: a}"),
			"spec.dataSource: Invalid value: must match dataSourceRef"},
		{"claim sources, a namespaced ref", &corev1.PersistentVolumeClaim{}, claimSources("{kind: PersistentVolumeClaim, name: a}", "{kind: PersistentVolumeClaim, name: b, namespace: other}"), ""},
		{"claim template sources", &appsv1.StatefulSet{}, statefulSet("", "[{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, "+
			"dataSource: {kind: PersistentVolumeClaim, name: a}, dataSourceRef: {kind: PersistentVolumeClaim, name: b}}}]"),
			"spec.volumeClaimTemplates[0].spec.dataSource: Invalid value: must match dataSourceRef"},
		{"ephemeral volume sources", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a}]\n  volumes: [{name: scratch, ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, " +
			"dataSource: {kind: PersistentVolumeClaim, name: a}, dataSourceRef: {apiGroup: '', kind: PersistentVolumeClaim, name: a}}}}}]",
			"spec.volumes[0].ephemeral.volumeClaimTemplate.spec.dataSource: Invalid value: must match dataSourceRef"},
		{"claim without access modes", &corev1.PersistentVolumeClaim{}, "spec: {resources: {requests: {storage: 1Gi}}}", "spec.accessModes: Required value: at least 1 access mode is required"},
		// An ephemeral volume's claim template has labels and annotations
		// only: its claim is named <pod>-<volume>.
		{"ephemeral volume template named", &appsv1.Deployment{}, "spec:\n  selector: {matchLabels: {app: a}}\n  template:" + podTemplate +
			"\n      volumes: [{name: scratch, ephemeral: {volumeClaimTemplate: {metadata: {name: scratch, labels: {app: a}}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}}}]",
			"spec.template.spec.volumes[0].ephemeral.volumeClaimTemplate.metadata.name: Forbidden: cannot be set for an ephemeral volume"},
		{"ephemeral volume template in a namespace", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a}]\n  volumes: [{name: scratch, ephemeral: {volumeClaimTemplate: " +
			"{metadata: {namespace: shop}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}}}]",
			"spec.volumes[0].ephemeral.volumeClaimTemplate.metadata.namespace: Forbidden: cannot be set for an ephemeral volume"},
		{"ephemeral volume template labelled", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a}]\n  volumes: [{name: scratch, ephemeral: {volumeClaimTemplate: " +
			"{metadata: {labels: {app: a}, annotations: {note: x}, creationTimestamp: null}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}}}]", ""},

		// StatefulSet update strategies.
		{"statefulset OnDelete with rollingUpdate", &appsv1.StatefulSet{}, "spec:\n  selector: {matchLabels: {app: a}}\n  updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}\n  template:" + podTemplate,
			"spec.updateStrategy.rollingUpdate: Invalid value: \"\": only allowed for updateStrategy 'RollingUpdate'"},
		{"statefulset negative partition", &appsv1.StatefulSet{}, "spec:\n  selector: {matchLabels: {app: a}}\n  updateStrategy: {rollingUpdate: {partition: -1}}\n  template:" + podTemplate,
			"spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0"},
		{"statefulset maxUnavailable 0", &appsv1.StatefulSet{}, "spec:\n  selector: {matchLabels: {app: a}}\n  updateStrategy: {rollingUpdate: {maxUnavailable: 0}}\n  template:" + podTemplate,
			`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "0": cannot be 0`},

		// The annotations the API server reads on a pod and on every pod
		// template (ValidatePodSpecificAnnotations), and their agreement
		// with the securityContext fields they duplicate.
		{"mirror pod annotation without a node", &corev1.Pod{}, annotatedPod("kubernetes.io/config.mirror: abc", oneContainer),
			`metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "abc": must set spec.nodeName if mirror pod annotation is set`},
		{"mirror pod annotation with a node", &corev1.Pod{}, annotatedPod("kubernetes.io/config.mirror: abc", "nodeName: node-1\n"+oneContainer), ""},
		{"mirror pod annotation on a template", &appsv1.Deployment{}, annotatedDeployment("kubernetes.io/config.mirror: abc", oneContainer),
			`spec.template.metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "abc": must set spec.nodeName`},
		{"tolerations annotation", &corev1.Pod{}, annotatedPod(`scheduler.alpha.kubernetes.io/tolerations: '[{"key": "dedicated", "operator": "Equal", "value": "user1", "effect": "NoSchedule"}, {"operator": "Exists"}]'`, oneContainer), ""},
		{"tolerations annotation null", &corev1.Pod{}, annotatedPod("scheduler.alpha.kubernetes.io/tolerations: 'null'", oneContainer), ""},
		{"tolerations annotation empty", &corev1.Pod{}, annotatedPod("scheduler.alpha.kubernetes.io/tolerations: ''", oneContainer), ""},
		{"tolerations annotation not JSON", &corev1.Pod{}, annotatedPod("scheduler.alpha.kubernetes.io/tolerations: 'dedicated=user1:NoSchedule'", oneContainer),
			`metadata.annotations[scheduler.alpha.kubernetes.io/tolerations]: Invalid value: "scheduler.alpha.kubernetes.io/tolerations": invalid character`},
		{"tolerations annotation not a list", &appsv1.DaemonSet{}, annotatedDeployment(`scheduler.alpha.kubernetes.io/tolerations: '{"key": "dedicated"}'`, oneContainer),
			`spec.template.metadata.annotations[scheduler.alpha.kubernetes.io/tolerations]: Invalid value: "scheduler.alpha.kubernetes.io/tolerations": json: cannot unmarshal object`},
		{"tolerations annotation Exists with a value", &corev1.Pod{}, annotatedPod(`scheduler.alpha.kubernetes.io/tolerations: '[{"key": "dedicated", "operator": "Exists", "value": "user1"}]'`, oneContainer),
			"metadata.annotations[scheduler.alpha.kubernetes.io/tolerations][0].operator: Invalid value: \"user1\": value must be empty when `operator` is 'Exists'"},
		{"tolerations annotation operator", &appsv1.StatefulSet{}, annotatedDeployment(`scheduler.alpha.kubernetes.io/tolerations: '[{"key": "dedicated", "operator": "In"}]'`, oneContainer),
			`spec.template.metadata.annotations[scheduler.alpha.kubernetes.io/tolerations][0].operator: Unsupported value: "In": supported values: "Equal", "Exists"`},
		{"tolerations annotation effect", &corev1.Pod{}, annotatedPod(`scheduler.alpha.kubernetes.io/tolerations: '[{"key": "dedicated", "effect": "NoScheduleNoAdmit"}]'`, oneContainer),
			`metadata.annotations[scheduler.alpha.kubernetes.io/tolerations][0].effect: Unsupported value: "NoScheduleNoAdmit"`},
		{"deletion cost", &corev1.Pod{}, annotatedPod("controller.kubernetes.io/pod-deletion-cost: '-2147483648'", oneContainer), ""},
		{"deletion cost 0", &appsv1.ReplicaSet{}, annotatedDeployment("controller.kubernetes.io/pod-deletion-cost: '0'", oneContainer), ""},
		{"deletion cost negative with a leading zero", &corev1.Pod{}, annotatedPod("controller.kubernetes.io/pod-deletion-cost: '-08'", oneContainer), ""},
		{"deletion cost with a plus", &corev1.Pod{}, annotatedPod("controller.kubernetes.io/pod-deletion-cost: '+10'", oneContainer),
			`metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "+10": must be a 32bit integer`},
		{"deletion cost with a leading zero", &appsv1.Deployment{}, annotatedDeployment("controller.kubernetes.io/pod-deletion-cost: '008'", oneContainer),
			`spec.template.metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "008": must be a 32bit integer`},
		{"deletion cost empty", &corev1.Pod{}, annotatedPod("controller.kubernetes.io/pod-deletion-cost: ''", oneContainer),
			`metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "": must be a 32bit integer`},
		{"deletion cost above int32", &corev1.Pod{}, annotatedPod("controller.kubernetes.io/pod-deletion-cost: '2147483648'", oneContainer),
			`Invalid value: "2147483648": must be a 32bit integer`},
		{"seccomp annotations", &corev1.Pod{}, annotatedPod("seccomp.security.alpha.kubernetes.io/pod: docker/default, container.seccomp.security.alpha.kubernetes.io/a: localhost/profiles/audit.json", oneContainer), ""},
		{"seccomp annotation of the field's spelling", &corev1.Pod{}, annotatedPod("seccomp.security.alpha.kubernetes.io/pod: RuntimeDefault", oneContainer),
			`metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Invalid value: "RuntimeDefault": must be a valid seccomp profile`},
		{"seccomp annotation outside the directory", &batchv1.Job{}, "spec:\n  template:\n    metadata: {annotations: {container.seccomp.security.alpha.kubernetes.io/main: localhost/../audit.json}}\n    spec: {restartPolicy: Never, containers: [{name: main, image: busybox}]}",
			`spec.template.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/main]: Invalid value: "../audit.json": must not contain '..'`},
		{"seccomp annotation absolute", &corev1.Pod{}, annotatedPod("seccomp.security.alpha.kubernetes.io/pod: localhost//var/lib/kubelet/seccomp/audit.json", oneContainer),
			`metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Invalid value: "/var/lib/kubelet/seccomp/audit.json": must be a relative path`},
		{"apparmor annotations", &corev1.Pod{}, annotatedPod("container.apparmor.security.beta.kubernetes.io/a: runtime/default, container.apparmor.security.beta.kubernetes.io/init: 'localhost/'",
			"initContainers: [{name: init, image: a}]\n"+oneContainer), ""},
		{"apparmor annotation empty", &corev1.Pod{}, annotatedPod("container.apparmor.security.beta.kubernetes.io/a: ''", oneContainer), ""},
		{"apparmor annotation of no container", &appsv1.Deployment{}, annotatedDeployment("container.apparmor.security.beta.kubernetes.io/app: runtime/default", oneContainer),
			`spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]: Invalid value: "app": container not found`},
		{"apparmor annotation of the field's spelling", &corev1.Pod{}, annotatedPod("container.apparmor.security.beta.kubernetes.io/a: RuntimeDefault", oneContainer),
			`metadata.annotations[container.apparmor.security.beta.kubernetes.io/a]: Invalid value: "RuntimeDefault": invalid AppArmor profile name: "RuntimeDefault"`},
		{"seccomp annotation and field agree", &corev1.Pod{}, annotatedPod("seccomp.security.alpha.kubernetes.io/pod: docker/default", "securityContext: {seccompProfile: {type: RuntimeDefault}}\n"+oneContainer), ""},
		{"seccomp annotation and field disagree", &corev1.Pod{}, annotatedPod("seccomp.security.alpha.kubernetes.io/pod: runtime/default", "securityContext: {seccompProfile: {type: Unconfined}}\n"+oneContainer),
			"spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match"},
		{"seccomp annotation and field name other profiles", &appsv1.Deployment{}, annotatedDeployment("container.seccomp.security.alpha.kubernetes.io/a: localhost/a.json",
			"containers: [{name: a, image: a, securityContext: {seccompProfile: {type: Localhost, localhostProfile: b.json}}}]"),
			"spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile: Forbidden: seccomp profile in annotation and field must match"},
		// A container's seccomp annotation is compared with its own field
		// only.
		{"container seccomp annotation and pod field", &corev1.Pod{}, annotatedPod("container.seccomp.security.alpha.kubernetes.io/a: unconfined", "securityContext: {seccompProfile: {type: RuntimeDefault}}\n"+oneContainer), ""},
		{"apparmor annotation and container field disagree", &corev1.Pod{}, annotatedPod("container.apparmor.security.beta.kubernetes.io/a: runtime/default",
			"containers: [{name: a, image: a, securityContext: {appArmorProfile: {type: Unconfined}}}]"),
			"spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and field must match"},
		// A Pod's annotation is copied into the container's field before
		// validation, so it cannot disagree with the pod's profile; a
		// template's is not.
		{"apparmor annotation and pod field of a pod", &corev1.Pod{}, annotatedPod("container.apparmor.security.beta.kubernetes.io/a: runtime/default",
			"securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k8s-a}}\n"+oneContainer), ""},
		{"apparmor annotation and pod field of a template", &appsv1.Deployment{}, annotatedDeployment("container.apparmor.security.beta.kubernetes.io/a: runtime/default",
			"securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k8s-a}}\n"+oneContainer),
			"spec.template.spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and field must match"},
		{"apparmor annotation without a profile and pod field of a pod", &corev1.Pod{}, annotatedPod("container.apparmor.security.beta.kubernetes.io/a: 'localhost/'",
			"securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k8s-a}}\n"+oneContainer),
			"spec.containers[0].securityContext.appArmorProfile.localhostProfile: Forbidden: apparmor profile in annotation and field must match"},
		{"apparmor annotation and field of a template agree", &batchv1.CronJob{}, "spec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n" +
			"        metadata: {annotations: {container.apparmor.security.beta.kubernetes.io/main: localhost/k8s-main}}\n" +
			"        spec: {restartPolicy: Never, securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k8s-main}}, containers: [{name: main, image: busybox}]}", ""},

		// Only a Pod's images may not have spaces around them.
		{"pod image with a space", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: ' nginx:1.27'}]",
			`spec.containers[0].image: Invalid value: " nginx:1.27": must not have leading or trailing whitespace`},
		{"pod init image with a space", &corev1.Pod{}, "spec:\n  initContainers: [{name: init, image: \"busybox\\t\"}]\n  " + oneContainer,
			`spec.initContainers[0].image: Invalid value: "busybox\t": must not have leading or trailing whitespace`},
		{"template image with a space", &appsv1.Deployment{}, annotatedDeployment("a: b", "containers: [{name: a, image: ' nginx:1.27'}]"), ""},

		// Containers.
		{"env from nothing", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, env: [{name: A, valueFrom: {}}]}]",
			"spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of"},
		{"env from two sources", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, env: [{name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}, secretKeyRef: {name: s, key: k}}}]}]",
			"spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not have more than one field specified at a time"},
		{"env with an empty value and a source", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, env: [{name: A, value: '', valueFrom: {fieldRef: {fieldPath: metadata.name}}}]}]", ""},
		{"env without a name", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, env: [{name: '', value: x}]}]", "spec.containers[0].env[0].name: Required value"},
		{"grpc probe", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, startupProbe: {grpc: {port: 9090}}}]", ""},
		{"negative request", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {requests: {cpu: -1}}}]",
			`spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0`},
		{"fractional gpu", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {limits: {nvidia.com/gpu: 500m}}}]",
			`spec.containers[0].resources.limits[nvidia.com/gpu]: Invalid value: "500m": must be an integer`},
		{"resource in capitals", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {limits: {CPU: 1}}}]",
			`spec.containers[0].resources.limits[CPU]: Invalid value: "CPU": must be a standard resource for containers`},
		{"huge pages and ephemeral storage", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {limits: {hugepages-2Mi: 2Mi, ephemeral-storage: 1Gi, memory: 1Gi}}}]", ""},

		// A Service's empty targetPort is defaulted to its port, as 0 is.
		{"service targetPort empty", &corev1.Service{}, "spec:\n  ports: [{port: 80, targetPort: ''}]", ""},
		{"service targetPort 0", &corev1.Service{}, "spec:\n  ports: [{port: 80, targetPort: 0}]", ""},
		// The node port allocator refuses a port in no range.
		{"service node port above 65535", &corev1.Service{}, "spec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 70000}]",
			"spec.ports[0].nodePort: Invalid value: 70000: provided port is not in the valid range"},
		{"service node port negative", &corev1.Service{}, "spec:\n  type: LoadBalancer\n  ports: [{port: 80, nodePort: -1}]",
			"spec.ports[0].nodePort: Invalid value: -1: provided port is not in the valid range"},
		{"service node port", &corev1.Service{}, "spec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]", ""},

		// Extended resources and huge pages cannot be overcommitted.
		{"gpu limit only", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {limits: {nvidia.com/gpu: 1}}}]", ""},
		{"gpu request equal to its limit", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 1}}}]", ""},
		{"gpu request below its limit", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 2}}}]",
			`spec.containers[0].resources.requests[nvidia.com/gpu]: Invalid value: "1": must be equal to nvidia.com/gpu limit of 2`},
		{"gpu request without limit", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {requests: {nvidia.com/gpu: 1}}}]",
			`spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources`},
		{"huge pages request below limit", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {requests: {hugepages-2Mi: 2Mi, memory: 1Gi}, limits: {hugepages-2Mi: 4Mi, memory: 1Gi}}}]",
			`must be equal to hugepages-2Mi limit of 4Mi`},
		{"huge pages alone", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {limits: {hugepages-2Mi: 4Mi}}}]",
			`spec.containers[0].resources: Forbidden: HugePages require cpu or memory`},
		{"huge pages beside a cpu request", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {requests: {cpu: 100m}, limits: {hugepages-1Gi: 2Gi}}}]", ""},
		{"huge pages of part of a page", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {limits: {hugepages-2Mi: 3Mi, memory: 1Gi}}}]",
			`spec.containers[0].resources.limits[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer multiple of hugepages-2Mi`},
		{"memory request below limit", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {requests: {memory: 1Gi, ephemeral-storage: 1Gi}, limits: {memory: 2Gi, ephemeral-storage: 2Gi}}}]", ""},
		// LimitRanges: the example of the Kubernetes documentation
		// (concepts/policy/limit-range), and mistakes in it.
		{"limit range", &corev1.LimitRange{}, limitRange("default: {cpu: 500m}\n    defaultRequest: {cpu: 500m}\n    max: {cpu: '1'}\n    min: {cpu: 100m}\n    type: Container"), ""},
		{"limit range of every type", &corev1.LimitRange{}, limitRange("max: {cpu: '2', nvidia.com/gpu: 2}\n    min: {memory: 64Mi}\n    type: Container\n  - {type: Pod, max: {memory: 4Gi, hugepages-2Mi: 1Gi}, maxLimitRequestRatio: {cpu: 4}}\n  - {type: PersistentVolumeClaim, max: {storage: 50Gi}, min: {storage: 1Gi}}"), ""},
		{"limit range default above max", &corev1.LimitRange{}, limitRange("default: {cpu: '2'}\n    max: {cpu: '1'}\n    type: Container"),
			`spec.limits[0].default[cpu]: Invalid value: "1": default value 2 is greater than max value 1`},
		{"limit range min above the default request", &corev1.LimitRange{}, limitRange("defaultRequest: {memory: 128Mi}\n    default: {memory: 256Mi}\n    min: {memory: 256Mi}\n    type: Container"),
			`spec.limits[0].defaultRequest[memory]: Invalid value: "128Mi": min value 256Mi is greater than default request value 128Mi`},
		{"limit range min above max", &corev1.LimitRange{}, limitRange("max: {memory: 1Gi}\n    min: {memory: 2Gi}\n    type: Pod"),
			`spec.limits[0].min[memory]: Invalid value: "2Gi": min value 2Gi is greater than max value 1Gi`},
		// The default request is the max when both defaults are left out.
		{"limit range default request above its limit", &corev1.LimitRange{}, limitRange("defaultRequest: {cpu: '2'}\n    default: {cpu: '1'}\n    type: Container"),
			`spec.limits[0].defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than default limit value 1`},
		{"limit range gpu default request below its defaulted limit", &corev1.LimitRange{}, limitRange("defaultRequest: {nvidia.com/gpu: 1}\n    max: {nvidia.com/gpu: 2}\n    type: Container"),
			`spec.limits[0].defaultRequest[nvidia.com/gpu]: Invalid value: "1": default value 2 must equal to defaultRequest value 1 in nvidia.com/gpu`},
		{"limit range pod defaults", &corev1.LimitRange{}, limitRange("default: {cpu: '1'}\n    type: Pod"),
			"spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"},
		{"limit range claims without storage bounds", &corev1.LimitRange{}, limitRange("max: {cpu: '1'}\n    type: PersistentVolumeClaim"),
			"spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided"},
		{"limit range type in lowercase", &corev1.LimitRange{}, limitRange("max: {cpu: '1'}\n    type: container"),
			`spec.limits[0].type: Invalid value: "container": must be a standard limit type or fully qualified`},
		{"limit range type twice", &corev1.LimitRange{}, limitRange("max: {cpu: '1'}\n    type: Container\n  - {type: Container, min: {cpu: 100m}}"),
			`spec.limits[1].type: Duplicate value: "Container"`},
		{"limit range misspelt resource", &corev1.LimitRange{}, limitRange("max: {memroy: 1Gi}\n    type: Container"),
			`spec.limits[0].max[memroy]: Invalid value: "memroy": must be a standard resource type or fully qualified`},
		{"limit range container storage", &corev1.LimitRange{}, limitRange("max: {storage: 1Gi}\n    type: Container"),
			`spec.limits[0].max[storage]: Invalid value: "storage": must be a standard resource for containers`},
		{"limit range ratio below 1", &corev1.LimitRange{}, limitRange("maxLimitRequestRatio: {cpu: 500m}\n    type: Container"),
			`spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1`},
		{"limit range ratio above max/min", &corev1.LimitRange{}, limitRange("maxLimitRequestRatio: {cpu: 10}\n    min: {cpu: 500m}\n    max: {cpu: '1'}\n    type: Pod"),
			`spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "10": ratio 10 is greater than max/min = 2.000000`},
		{"pod with an ephemeral container", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a}]\n  ephemeralContainers: [{name: debug, image: busybox}]",
			"spec.ephemeralContainers: Forbidden: cannot be set on create"},
		{"pod bound and gated", &corev1.Pod{}, "spec:\n  nodeName: node-1\n  schedulingGates: [{name: example.com/quota}]\n  containers: [{name: a, image: a}]",
			"spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared"},
		{"pod bound", &corev1.Pod{}, "spec:\n  nodeName: node-1\n  containers: [{name: a, image: a}]", ""},
		// ReplicationControllers and PodTemplates: their pod specs too.
		{"replication controller", &corev1.ReplicationController{}, "spec:\n  template:" + podTemplate, ""},
		{"replication controller not matching", &corev1.ReplicationController{}, "spec:\n  selector: {app: b}\n  template:" + podTemplate,
			"spec.template.metadata.labels: Invalid value: \"app=a\": `selector` does not match template `labels`"},
		{"replication controller without labels", &corev1.ReplicationController{}, "spec:\n  template:\n    spec:\n      containers: [{name: main, image: busybox}]",
			"spec.selector: Required value"},
		{"replication controller restarting Never", &corev1.ReplicationController{}, "spec:\n  template:" + podTemplate + "\n      restartPolicy: Never",
			`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`},
		{"replication controller pod spec", &corev1.ReplicationController{}, "spec:\n  template:" + podTemplate + "\n      dnsConfig: {nameservers: [dns.local]}",
			`spec.template.spec.dnsConfig.nameservers[0]: Invalid value: "dns.local": must be a valid IP address`},
		{"pod template", &corev1.PodTemplate{}, "template:" + strings.ReplaceAll(podTemplate, "\n    ", "\n  "), ""},
		{"pod template pod spec", &corev1.PodTemplate{}, "template:" + strings.ReplaceAll(podTemplate, "\n    ", "\n  ") + "\n    volumes: [{name: a, secret: {secretName: a, defaultMode: 644}}]",
			`template.spec.volumes[0].secret.defaultMode: Invalid value: 644: must be a number between 0 and 0777 (octal), both inclusive`},
		// Block devices: a claim's volume, once, not also mounted.
		{"block device of a claim", &corev1.Pod{}, blockPod("volumeDevices: [{name: data, devicePath: /dev/xvda}]", "persistentVolumeClaim: {claimName: data}"), ""},
		{"block device of an ephemeral volume", &corev1.Pod{}, blockPod("volumeDevices: [{name: data, devicePath: /dev/xvda}]", "ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], volumeMode: Block, resources: {requests: {storage: 1Gi}}}}}"), ""},
		{"block device of an emptyDir", &corev1.Pod{}, blockPod("volumeDevices: [{name: data, devicePath: /dev/xvda}]", "emptyDir: {}"),
			`spec.containers[0].volumeDevices[0].name: Invalid value: "data": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode`},
		{"block device of no volume", &corev1.Pod{}, blockPod("volumeDevices: [{name: disk, devicePath: /dev/xvda}]", "persistentVolumeClaim: {claimName: data}"),
			`spec.containers[0].volumeDevices[0].name: Not found: "disk"`},
		{"block device path with ..", &corev1.Pod{}, blockPod("volumeDevices: [{name: data, devicePath: /dev/../xvda}]", "persistentVolumeClaim: {claimName: data}"),
			`spec.containers[0].volumeDevices[0].devicePath: Invalid value: "/dev/../xvda": can not contain backsteps ('..')`},
		{"block device twice", &corev1.Pod{}, blockPod("volumeDevices: [{name: data, devicePath: /dev/xvda}, {name: data, devicePath: /dev/xvdb}]", "persistentVolumeClaim: {claimName: data}"),
			`spec.containers[0].volumeDevices[1].name: Invalid value: "data": must be unique`},
		{"block device at a mount's path", &corev1.Pod{}, blockPod("volumeDevices: [{name: data, devicePath: /data}]\n    volumeMounts: [{name: cache, mountPath: /data}]", "persistentVolumeClaim: {claimName: data}\n  - {name: cache, emptyDir: {}}"),
			`spec.containers[0].volumeDevices[0].devicePath: Invalid value: "/data": must not already exist as a path in volumeMounts`},
		{"statefulset block device of its claim", &appsv1.StatefulSet{}, strings.Replace(statefulSet("", dataClaim), "volumeMounts: [{name: data, mountPath: /data}]", "volumeDevices: [{name: data, devicePath: /dev/xvda}]", 1), ""},
		// A claim's volume attributes class, in a claim template too.
		{"claim with a volume attributes class", &corev1.PersistentVolumeClaim{}, "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, volumeAttributesClassName: gold}", ""},
		{"claim with an empty volume attributes class", &corev1.PersistentVolumeClaim{}, "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, volumeAttributesClassName: ''}", ""},
		{"statefulset claim template with a bad volume attributes class", &appsv1.StatefulSet{}, statefulSet("", strings.Replace(dataClaim, "accessModes:", "volumeAttributesClassName: gold.iops/fast, accessModes:", 1)),
			`spec.volumeClaimTemplates[0].spec.volumeAttributesClassName: Invalid value: "gold.iops/fast": a lowercase RFC 1123 subdomain`},
		// StorageClasses: the AWS EBS CSI driver's documented one, and mistakes in it.
		{"storage class", &storagev1.StorageClass{}, storageClass("reclaimPolicy: Retain\nvolumeBindingMode: WaitForFirstConsumer\nallowedTopologies:\n- matchLabelExpressions: [{key: topology.ebs.csi.aws.com/zone, values: [us-east-1a, us-east-1b]}]\n- matchLabelExpressions: [{key: topology.ebs.csi.aws.com/zone, values: [us-east-1c]}]"), ""},
		{"storage class of a built-in provisioner", &storagev1.StorageClass{}, "provisioner: kubernetes.io/no-provisioner\nvolumeBindingMode: WaitForFirstConsumer", ""},
		{"storage class provisioner with a space", &storagev1.StorageClass{}, "provisioner: ebs csi", `provisioner: Invalid value: "ebs csi": name part must consist of`},
		{"storage class recycling", &storagev1.StorageClass{}, storageClass("reclaimPolicy: Recycle"),
			`reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"`},
		{"storage class empty binding mode", &storagev1.StorageClass{}, storageClass("volumeBindingMode: ''"),
			`volumeBindingMode: Unsupported value: "": supported values: "Immediate", "WaitForFirstConsumer"`},
		{"storage class empty parameter name", &storagev1.StorageClass{}, strings.Replace(storageClass(""), "type: gp3", "'': gp3", 1), `parameters: Invalid value: "": field can not be empty.`},
		{"storage class parameters too large", &storagev1.StorageClass{}, strings.Replace(storageClass(""), "type: gp3", "tagSpecification_1: "+strings.Repeat("x", 256<<10), 1),
			`parameters: Too long: may not be more than 262144 bytes`},
		{"storage class of 513 parameters", &storagev1.StorageClass{}, strings.Replace(storageClass(""), "type: gp3", manyParameters(513), 1),
			`parameters: Too many: 514: must have at most 512 items`},
		// VolumeAttributesClasses: the AWS EBS CSI driver's documented one,
		// and mistakes in it; v1beta1 and v1alpha1 alike.
		{"volume attributes class", &storagev1.VolumeAttributesClass{}, "driverName: ebs.csi.aws.com\nparameters: {type: gp3, iops: '3000'}", ""},
		{"volume attributes class without parameters", &storagev1.VolumeAttributesClass{}, "driverName: ebs.csi.aws.com",
			`parameters: Required value: must contain at least one key/value pair`},
		{"volume attributes class driver with a space", &storagev1beta1.VolumeAttributesClass{}, "driverName: Not A Driver\nparameters: {iops: '3000'}",
			`driverName: Invalid value: "Not A Driver": name part must consist of`},
		{"v1alpha1 volume attributes class empty parameter name", &storagev1alpha1.VolumeAttributesClass{}, "driverName: ebs.csi.aws.com\nparameters: {'': x}",
			`parameters: Invalid value: "": field can not be empty.`},
		{"storage class topology without values", &storagev1.StorageClass{}, storageClass("allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: []}]}]"),
			`allowedTopologies[0].matchLabelExpressions[0].values: Required value`},
		{"storage class topology key twice", &storagev1.StorageClass{}, storageClass("allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [a]}, {key: topology.kubernetes.io/zone, values: [b]}]}]"),
			`allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: "topology.kubernetes.io/zone"`},
		{"storage class topology value twice", &storagev1.StorageClass{}, storageClass("allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [a, a]}]}]"),
			`allowedTopologies[0].matchLabelExpressions[0].values[1]: Duplicate value: "a"`},
		{"storage class topology term twice", &storagev1.StorageClass{}, storageClass("allowedTopologies: [{matchLabelExpressions: [{key: zone, values: [a, b]}]}, {matchLabelExpressions: [{key: zone, values: [b, a]}]}]"),
			`allowedTopologies[1].matchLabelExpressions: Duplicate value: ""`},
		{"storage class topology key", &storagev1.StorageClass{}, storageClass("allowedTopologies: [{matchLabelExpressions: [{key: 'topology zone', values: [a]}]}]"),
			`allowedTopologies[0].matchLabelExpressions[0].key: Invalid value: "topology zone": name part must consist of`},
		// EndpointSlices: the Kubernetes documentation's example, and mistakes in it.
		{"endpoint slice", &discoveryv1.EndpointSlice{}, endpointSlice("IPv4", "'10.1.2.3'", ""), ""},
		{"endpoint slice of names", &discoveryv1.EndpointSlice{}, endpointSlice("FQDN", "db.example.com.", ""), ""},
		{"endpoint slice of IPv6", &discoveryv1.EndpointSlice{}, endpointSlice("IPv6", "'2001:db8::1'", ""), ""},
		{"endpoint slice with an IPv6 address of IPv4", &discoveryv1.EndpointSlice{}, endpointSlice("IPv4", "'2001:db8::1'", ""),
			`endpoints[0].addresses[0]: Invalid value: "2001:db8::1": must be a valid IPv4 address`},
		{"endpoint slice with a host name of IPv4", &discoveryv1.EndpointSlice{}, endpointSlice("IPv4", "db.example.com", ""),
			`endpoints[0].addresses[0]: Invalid value: "db.example.com": must be a valid IP address`},
		{"endpoint slice with a loopback address", &discoveryv1.EndpointSlice{}, endpointSlice("IPv4", "'127.0.0.1'", ""),
			`endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)`},
		{"endpoint slice with a single-label name", &discoveryv1.EndpointSlice{}, endpointSlice("FQDN", "db", ""),
			`endpoints[0].addresses[0]: Invalid value: "db": should be a domain with at least two segments separated by dots`},
		{"endpoint slice with an endpoint without address", &discoveryv1.EndpointSlice{}, strings.Replace(endpointSlice("IPv4", "'10.1.2.3'", ""), "addresses: ['10.1.2.3']", "addresses: []", 1),
			`endpoints[0].addresses: Required value: must contain at least 1 address`},
		{"endpoint slice with 101 addresses", &discoveryv1.EndpointSlice{}, endpointSlice("IPv4", manyAddresses(101), ""),
			`endpoints[0].addresses: Too many: 101: must have at most 100 items`},
		{"endpoint slice of 1001 endpoints", &discoveryv1.EndpointSlice{}, "addressType: IPv4\nendpoints: [" + strings.Repeat("{addresses: ['10.1.2.3']}, ", 1000) + "{addresses: ['10.1.2.4']}]",
			`endpoints: Too many: 1001: must have at most 1000 items`},
		{"endpoint slice hostname", &discoveryv1.EndpointSlice{}, strings.Replace(endpointSlice("IPv4", "'10.1.2.3'", ""), "hostname: pod-1", "hostname: pod_1", 1),
			`endpoints[0].hostname: Invalid value: "pod_1": a lowercase RFC 1123 label`},
		{"endpoint slice zone hint twice", &discoveryv1.EndpointSlice{}, endpointSlice("IPv4", "'10.1.2.3'", "hints: {forZones: [{name: us-west2-a}, {name: us-west2-a}]}"),
			`endpoints[0].hints.forZones[1].name: Duplicate value: "us-west2-a"`},
		{"endpoint slice with two unnamed ports", &discoveryv1.EndpointSlice{}, strings.Replace(endpointSlice("IPv4", "'10.1.2.3'", ""), "- {name: http, protocol: TCP, port: 80}", "- {port: 80}\n- {port: 443}", 1),
			`ports[1].name: Duplicate value: ""`},
		{"endpoint slice port name", &discoveryv1.EndpointSlice{}, strings.Replace(endpointSlice("IPv4", "'10.1.2.3'", ""), "name: http,", "name: HTTP,", 1),
			`ports[0].name: Invalid value: "HTTP": a lowercase RFC 1123 label`},
		{"endpoint slice empty protocol", &discoveryv1.EndpointSlice{}, strings.Replace(endpointSlice("IPv4", "'10.1.2.3'", ""), "protocol: TCP", "protocol: ''", 1),
			`ports[0].protocol: Unsupported value: "": supported values: "SCTP", "TCP", "UDP"`},
		{"endpoint slice app protocol", &discoveryv1.EndpointSlice{}, strings.Replace(endpointSlice("IPv4", "'10.1.2.3'", ""), "port: 80}", "port: 80, appProtocol: 'grpc web'}", 1),
			`ports[0].appProtocol: Invalid value: "grpc web": name part must consist of`},
		// Resize policies (the newest release; TestRulesByKubeVersion has the older).
		{"resize policy", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}, {resourceName: memory, restartPolicy: RestartContainer}]}]", ""},
		{"resize policy of a sidecar and an init container", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a}]\n  initContainers: [{name: s, image: s, restartPolicy: Always, resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]}, {name: i, image: i, resizePolicy: [{resourceName: memory, restartPolicy: NotRequired}]}]", ""},
		{"resize policy of storage", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resizePolicy: [{resourceName: ephemeral-storage, restartPolicy: NotRequired}]}]",
			`spec.containers[0].resizePolicy[0].resourceName: Unsupported value: "ephemeral-storage": supported values: "cpu", "memory"`},
		{"resize policy of cpu twice", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}, {resourceName: cpu, restartPolicy: RestartContainer}]}]",
			`spec.containers[0].resizePolicy[1]: Duplicate value: "cpu"`},
		{"resize policy restarting Always", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resizePolicy: [{resourceName: cpu, restartPolicy: Always}]}]",
			`spec.containers[0].resizePolicy[0].restartPolicy: Unsupported value: "Always": supported values: "NotRequired", "RestartContainer"`},
		{"resize policy restarting a job's container", &batchv1.Job{}, "spec:\n  template:" + podTemplate + "\n      restartPolicy: Never\n      initContainers: [{name: i, image: i, resizePolicy: [{resourceName: memory, restartPolicy: RestartContainer}]}]",
			`spec.template.spec.initContainers[0].resizePolicy[0].restartPolicy: Invalid value: "RestartContainer": must be 'NotRequired' when ` + "`restartPolicy`" + ` is 'Never'`},
		{"prefixed native resource below limit", &corev1.Pod{}, "spec:\n  containers: [{name: a, image: a, resources: {requests: {example.kubernetes.io/thing: 1}, limits: {example.kubernetes.io/thing: 2}}}]", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := yaml.UnmarshalStrict([]byte(tc.doc), tc.obj); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range Check(tc.obj, Options{}) {
				got = append(got, p.Error.Error())
				if strings.Contains(p.Error.Error(), "s3cret") {
					t.Errorf("the error shows a Secret's value: %s", p.Error)
				}
				// Any piece of a Secret's invalid key may be a piece of a
				// password; the problem keeps it only to find its line.
				if p.Key != "" {
					for _, piece := range strings.FieldsFunc(p.Key, func(r rune) bool { return strings.ContainsRune(" :.!", r) }) {
						if len(piece) >= 4 && strings.Contains(p.Error.Error(), piece) {
							t.Errorf("the error shows %q of the Secret's key: %s", piece, p.Error)
						}
					}
				}
				if p.Hint == "" {
					t.Errorf("%s: no hint", p.Error)
				}
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("refused: %v", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("got %q, want one error containing %q", got, tc.want)
			}
		})
	}
}

// TestEnvNamesFollowKubeVersion: the API server takes any printable
// ASCII but '=' in an environment variable's name or an envFrom prefix
// from Kubernetes 1.32 (RelaxedEnvironmentVariableValidation, beta and
// on), and refuses what is no C identifier with '-' and '.' before.
func TestEnvNamesFollowKubeVersion(t *testing.T) {
	const doc = "spec:\n  containers: [{name: a, image: a, env: [{name: '%s', value: x}], envFrom: [{prefix: '%s', configMapRef: {name: c}}]}]"
	for _, tc := range []struct {
		kube, name, prefix string
		want               []string
	}{
		{"1.32.0", "podinfo.ui color", "1st_", nil},
		{"", "podinfo.ui color", "1st_", nil},
		{"1.31.4", "PODINFO_UI.color-1", "app.", nil},
		{"1.31.4", "podinfo.ui color", "app.", []string{`spec.containers[0].env[0].name: Invalid value: "podinfo.ui color": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit`}},
		{"1.31.4", "A", "1st_", []string{`spec.containers[0].envFrom[0].prefix: Invalid value: "1st_": a valid environment variable name must consist of`}},
		{"1.32.0", "A=B", "app", []string{`spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`}},
	} {
		t.Run(tc.kube+" "+tc.name+" "+tc.prefix, func(t *testing.T) {
			var pod corev1.Pod
			if err := yaml.UnmarshalStrict([]byte(fmt.Sprintf(doc, tc.name, tc.prefix)), &pod); err != nil {
				t.Fatal(err)
			}
			var opts Options
			if tc.kube != "" {
				opts.KubeVersion = version.MustParseGeneric(tc.kube)
			}
			var got []string
			for _, p := range Check(&pod, opts) {
				got = append(got, p.Error.Error())
				if p.Hint == "" {
					t.Errorf("%s: no hint", p.Error)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("got %q, want %q", got[i], tc.want[i])
				}
			}
		})
	}
}

// TestRulesByKubeVersion: rules a feature gate changed follow the env's
// kubeVersion. Before 1.27 the API server refused the
// kubernetes.io/ingress.class annotation beside spec.ingressClassName even
// when they agree. Fields whose gate is off by default before a release
// are dropped by that release's API server, so nothing in them is
// refused: a StatefulSet's rollingUpdate.maxUnavailable (1.37), pod
// affinity's matchLabelKeys (1.31), a Job's backoffLimitPerIndex (1.29),
// a container's resizePolicy (1.33), a claim's volumeAttributesClassName
// (1.34).
// From 1.36 addresses and CIDRs of the older fields are parsed strictly
// (StrictIPCIDRValidation): leading zeros, IPv4-mapped IPv6 addresses and
// host bits in a CIDR are refused. From 1.36 a Service name is a DNS-1123
// label (RelaxedServiceNameValidation), so an Ingress may name 1web; from
// 1.33 a DNS search domain may hold '_' (RelaxedDNSSearchValidation) and
// a lifecycle hook may sleep 0 s (PodLifecycleSleepActionAllowZero); from
// 1.37 an autoscaler with an Object or External metric may scale to zero
// (HPAScaleToZero); from 1.33 a pod with hostUsers: false shares no host
// namespace (UserNamespacesSupport; before, hostUsers is dropped), and
// from 1.34 has no block device. From 1.33 procMount: Unmasked needs
// hostUsers: false (ProcMountType; before, procMount is set to Default)
// and seLinuxChangePolicy is Recursive (SELinuxChangePolicy; before, it is
// dropped), or MountOption from 1.37 (SELinuxMount); from 1.33 a Windows
// pod may not set hostUsers, supplementalGroupsPolicy or
// seLinuxChangePolicy. Fields kept from a release on are checked from it:
// a mount's recursiveReadOnly (1.31); a pod's hostnameOverride, an
// environment variable's fileKeyRef and an image volume (1.35); the
// clusterTrustBundle and podCertificate projections count as sources
// (1.37); containers' restartPolicy and restartPolicyRules (1.35), rules
// that restart all containers and sidecars' rules (1.36); a pod's
// resourceClaims and its containers' resources.claims (1.34); a Service's
// trafficDistribution (1.31; PreferSameZone and PreferSameNode from 1.34);
// a Job's podReplacementPolicy (1.29) and managedBy (1.32); an
// autoscaler's tolerance (1.35); a pod's own resources (1.34), against
// its containers' as the kubelet sums them. An AppArmor annotation must
// agree with appArmorProfile from 1.30, where the field came; a
// StatefulSet's seccomp and AppArmor annotations with their fields from
// 1.34, where its template became a checked pod template (its annotations
// were checked before). On the host's network a hostPort left out is the
// containerPort when duplicates are looked for: always in a Pod, in a pod
// template until 1.28 (DefaultHostNetworkHostPortsInPodTemplates).
func TestRulesByKubeVersion(t *testing.T) {
	ingress := "metadata: {annotations: {kubernetes.io/ingress.class: nginx}}\nspec: {ingressClassName: nginx, defaultBackend: {service: {name: web, port: {number: 80}}}}"
	sts := "spec:\n  selector: {matchLabels: {app: a}}\n  updateStrategy: {rollingUpdate: {maxUnavailable: 0}}\n  template:" + podTemplate
	spread := "topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}, matchLabelKeys: [pod-template-hash, app]}]"
	spreadTemplate := "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: a, image: a}]\n      " + spread
	spreadPod := "metadata: {labels: {app: web}}\nspec:\n  containers: [{name: a, image: a}]\n  " + spread
	antiAffinity := "affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: web}}, matchLabelKeys: [app]}]}}"
	affinityPod := "metadata: {labels: {app: web}}\nspec:\n  containers: [{name: a, image: a}]\n  " + antiAffinity
	retention := "spec:\n  selector: {matchLabels: {app: a}}\n  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: delete}\n  template:" + podTemplate
	affinity := "spec:\n  containers: [{name: a, image: a}]\n  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n" +
		"      - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: a}}, matchLabelKeys: [app], mismatchLabelKeys: [app]}\n"
	job := "spec:\n  backoffLimitPerIndex: -1\n  template:" + podTemplate + "\n      restartPolicy: Never"
	policy := "spec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.1/8, except: ['10.1.0.0/16']}}]}]"
	service := "spec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n  externalIPs: [192.0.2.010]\n  loadBalancerSourceRanges: [' 192.168.1.5/24']"
	topology := "metadata: {annotations: {service.kubernetes.io/topology-mode: Auto, service.kubernetes.io/topology-aware-hints: Disabled}}\nspec:\n  ports: [{port: 80}]"
	annotated := "metadata: {annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: '10.0.0.0/8, ::ffff:192.168.0.0/112'}}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]"
	searches := "spec:\n  containers: [{name: a, image: a}]\n  dnsConfig: {searches: [_srv.example.com, .]}"
	sleep := "spec:\n  containers: [{name: a, image: a, lifecycle: {preStop: {sleep: {seconds: 0}}}}]"
	hpa := func(metric string) string {
		return "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 0\n  maxReplicas: 3\n  metrics:\n  - " + metric
	}
	cpu := hpa("{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}")
	queue := hpa("{type: External, external: {metric: {name: queue_messages_ready}, target: {type: AverageValue, averageValue: '30'}}}")
	hpaV1 := "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 0\n  maxReplicas: 3"
	sidecarProbe := "spec:\n  containers: [{name: a, image: a}]\n  initContainers: [{name: proxy, image: envoy, restartPolicy: Always, readinessProbe: {tcpSocket: {port: 9901}}}]"
	searches7 := "spec:\n  containers: [{name: a, image: a}]\n  dnsConfig: {searches: [a.example, b.example, c.example, d.example, e.example, f.example, g.example]}"
	rwop := "spec: {accessModes: [ReadWriteOncePod], resources: {requests: {storage: 1Gi}}}"
	target := func(ref string) string { return "spec:\n  scaleTargetRef: " + ref + "\n  maxReplicas: 3" }
	described := "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n  metrics:\n" +
		"  - {type: Object, object: {describedObject: {apiVersion: v1, kind: Service, name: web}, metric: {name: requests}, target: {type: Value, value: '10'}}}"
	userns := "spec:\n  hostUsers: false\n  hostPID: true\n  containers: [{name: a, image: a}]"
	backend := "spec: {defaultBackend: {service: {name: 1web, port: {number: 80}}}}"
	pod := "spec:\n  containers: [{name: a, image: a}]\n  hostAliases: [{ip: '::ffff:10.1.2.3', hostnames: [db]}]\n  dnsPolicy: None\n  dnsConfig: {nameservers: [10.96.000.10]}"
	resize := "spec:\n  containers: [{name: a, image: a, resizePolicy: [{resourceName: storage, restartPolicy: NotRequired}]}]"
	claim := "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, volumeAttributesClassName: Gold_IOPS}"
	// procMount as in the Kubernetes documentation's user namespaces
	// task, with and without hostUsers: false.
	unmasked := func(hostUsers string) string {
		return "spec:\n  " + hostUsers + "containers: [{name: a, image: a, securityContext: {procMount: Unmasked}}]"
	}
	seLinux := func(policy string) string {
		return "spec:\n  securityContext: {seLinuxChangePolicy: " + policy + "}\n  containers: [{name: a, image: a}]"
	}
	usernsDevice := "spec:\n  hostUsers: false\n  containers: [{name: a, image: a, volumeDevices: [{name: data, devicePath: /dev/xvda}]}]\n  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]"
	windows := func(more string) string {
		return "spec:\n  os: {name: windows}\n  " + more
	}
	mount := func(m string) string {
		return "spec:\n  containers: [{name: a, image: a, volumeMounts: [" + m + "]}]\n  volumes: [{name: data, emptyDir: {}}]"
	}
	hostname := func(more string) string {
		return "spec:\n  " + more + "\n  containers: [{name: a, image: a}]"
	}
	// As in the Kubernetes documentation's EnvFiles task: an init
	// container writes the file into an emptyDir.
	fileEnv := func(ref, volume string) string {
		return "spec:\n  initContainers: [{name: setup, image: busybox, command: [sh, -c, 'echo CONFIG_MAIN=hello > /data/config.env'], volumeMounts: [{name: config, mountPath: /data}]}]\n" +
			"  containers: [{name: a, image: a, env: [{name: CONFIG_MAIN, valueFrom: {fileKeyRef: {" + ref + "}}}]}]\n  volumes: [" + volume + "]"
	}
	imageVolume := func(volume string) string {
		return "spec:\n  containers: [{name: a, image: a, volumeMounts: [{name: models, mountPath: /models}]}]\n  volumes: [" + volume + "]"
	}
	// As in the Kubernetes documentation's container restart rules
	// example: restart in place on exit code 42.
	restartRules := func(policy, rules string) string {
		return "spec:\n  restartPolicy: Never\n  containers:\n  - name: a\n    image: a\n    " + policy + "\n    restartPolicyRules: " + rules
	}
	sidecarRules := "spec:\n  initContainers: [{name: proxy, image: envoy, restartPolicy: Always, restartPolicyRules: [{action: RestartAllContainers, exitCodes: {operator: In, values: [42]}}]}]\n  containers: [{name: a, image: a}]"
	// As in the Kubernetes documentation's DRA task: a pod's claim from a
	// template, used by its container.
	dra := func(podClaims, ctrClaims string) string {
		return "spec:\n  resourceClaims: " + podClaims + "\n  containers: [{name: a, image: a, resources: {claims: " + ctrClaims + "}}]"
	}
	traffic := func(td string) string {
		return "spec:\n  selector: {app: web}\n  ports: [{port: 80}]\n  trafficDistribution: " + td
	}
	jobWith := func(more string) string {
		return "spec:\n  " + more + "\n  template:" + podTemplate + "\n      restartPolicy: Never"
	}
	failurePolicy := "podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [42]}}]}"
	tolerance := func(t string) string {
		return "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n  behavior: {scaleUp: {tolerance: '" + t + "'}}"
	}
	// As in the Kubernetes documentation's pod-level resources task: a
	// pod's own cpu and memory, shared by its containers.
	podLevel := func(pod, ctr string) string {
		return "spec:\n  resources: " + pod + "\n  containers:\n  - {name: a, image: nginx, resources: " + ctr + "}\n  - {name: b, image: fedora, resources: " + ctr + "}"
	}
	regularRestart := "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n" +
		"      containers: [{name: a, image: a}, {name: proxy, image: b, restartPolicy: Always}]"
	initRestart := "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n" +
		"      initContainers: [{name: setup, image: b, restartPolicy: Never}]\n      containers: [{name: a, image: a}]"
	hostNetTemplate := "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      hostNetwork: true\n" +
		"      containers: [{name: a, image: a, ports: [{containerPort: 8080}]}, {name: b, image: b, ports: [{containerPort: 8080}]}]"
	hostNetPod := func(containers, initContainers string) string {
		doc := "spec:\n  hostNetwork: true\n  containers: " + containers
		if initContainers != "" {
			doc += "\n  initContainers: " + initContainers
		}
		return doc
	}
	apparmorTemplate := annotatedDeployment("container.apparmor.security.beta.kubernetes.io/a: unconfined", "securityContext: {appArmorProfile: {type: RuntimeDefault}}\n"+oneContainer)
	seccompTemplate := annotatedDeployment("seccomp.security.alpha.kubernetes.io/pod: unconfined", "securityContext: {seccompProfile: {type: RuntimeDefault}}\n"+oneContainer)
	projection := "spec:\n  containers: [{name: a, image: a}]\n  volumes: [{name: certs, projected: {sources: [{secret: {name: tls}, clusterTrustBundle: {signerName: example.com/signer, path: ca.pem}}]}}]"
	for _, tc := range []struct {
		name string
		obj  func() runtime.Object
		doc  string
		kube string
		want string // "" when taken
	}{
		{"ingress class 1.26", func() runtime.Object { return &networkingv1.Ingress{} }, ingress, "1.26.9",
			`metadata.annotations[kubernetes.io/ingress.class]: Invalid value: "nginx": can not be set when the class field is also set`},
		{"ingress class 1.27", func() runtime.Object { return &networkingv1.Ingress{} }, ingress, "1.27.0", ""},
		// No enum in the schema: the values are the API server's rule.
		{"statefulset claim retention lowercase 1.26", func() runtime.Object { return &appsv1.StatefulSet{} }, retention, "1.26.0", ""},
		{"statefulset claim retention lowercase 1.27", func() runtime.Object { return &appsv1.StatefulSet{} }, retention, "1.27.0",
			`spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "delete": supported values: "Retain", "Delete"`},
		{"statefulset claim retention 1.37", func() runtime.Object { return &appsv1.StatefulSet{} }, strings.Replace(retention, "delete", "Delete", 1), "1.37.0", ""},
		// A spread's matchLabelKeys key also in its labelSelector: refused
		// before 1.34; from 1.34 only where the merge puts it twice (a
		// Pod that has the label), not in a template.
		{"spread key in its selector 1.33", func() runtime.Object { return &appsv1.Deployment{} }, spreadTemplate, "1.33.0",
			`spec.template.spec.topologySpreadConstraints[0].matchLabelKeys[1]: Invalid value: "app": exists in both matchLabelKeys and labelSelector`},
		{"spread key in its selector 1.34", func() runtime.Object { return &appsv1.Deployment{} }, spreadTemplate, "1.34.0", ""},
		{"spread key in its selector 1.26", func() runtime.Object { return &appsv1.Deployment{} }, spreadTemplate, "1.26.0", ""},
		{"spread key in a pod's selector 1.34", func() runtime.Object { return &corev1.Pod{} }, spreadPod, "1.34.0",
			`spec.topologySpreadConstraints[0].matchLabelKeys[1]: Invalid value: "app": exists in both matchLabelKeys and labelSelector`},
		{"spread key of a pod 1.34", func() runtime.Object { return &corev1.Pod{} }, strings.Replace(spreadPod, "matchLabels: {app: web}", "matchLabels: {tier: web}", 1), "1.34.0", ""},
		// Pod affinity's keys are merged into a new Pod's selector from
		// 1.31, where the field is kept; a template's are not.
		{"affinity key in a pod's selector 1.31", func() runtime.Object { return &corev1.Pod{} }, affinityPod, "1.31.0",
			`spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[0]: Invalid value: "app": exists in both matchLabelKeys and labelSelector`},
		{"affinity key in a pod's selector 1.30", func() runtime.Object { return &corev1.Pod{} }, affinityPod, "1.30.0", ""},
		{"affinity key in a template's selector 1.37", func() runtime.Object { return &appsv1.Deployment{} },
			"spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: a, image: a}]\n      " + antiAffinity, "1.37.0", ""},
		{"statefulset 1.36", func() runtime.Object { return &appsv1.StatefulSet{} }, sts, "1.36.2", ""},
		{"statefulset 1.37", func() runtime.Object { return &appsv1.StatefulSet{} }, sts, "1.37.0",
			`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "0": cannot be 0`},
		{"affinity 1.30", func() runtime.Object { return &corev1.Pod{} }, affinity, "1.30.4", ""},
		{"affinity 1.31", func() runtime.Object { return &corev1.Pod{} }, affinity, "1.31.0",
			`spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[0]: Invalid value: "app": exists in both matchLabelKeys and mismatchLabelKeys`},
		{"job 1.28", func() runtime.Object { return &batchv1.Job{} }, job, "1.28.9", ""},
		{"job 1.29", func() runtime.Object { return &batchv1.Job{} }, job, "1.29.0",
			"spec.backoffLimitPerIndex: Invalid value: -1: must be greater than or equal to 0"},
		{"ip block 1.35", func() runtime.Object { return &networkingv1.NetworkPolicy{} }, policy, "1.35.4", ""},
		{"ip block 1.36", func() runtime.Object { return &networkingv1.NetworkPolicy{} }, policy, "1.36.0",
			`spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.1/8": must not have bits set beyond the prefix length`},
		{"topology annotations differing 1.26", func() runtime.Object { return &corev1.Service{} }, topology, "1.26.0", ""},
		{"topology annotations differing 1.27", func() runtime.Object { return &corev1.Service{} }, topology, "1.27.0",
			`metadata.annotations[service.kubernetes.io/topology-mode]: Invalid value: "Auto": must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified`},
		{"topology annotations alike 1.37", func() runtime.Object { return &corev1.Service{} }, strings.Replace(topology, "Disabled", "Auto", 1), "1.37.0", ""},
		{"service addresses 1.35", func() runtime.Object { return &corev1.Service{} }, service, "1.35.0", ""},
		{"external IP 1.36", func() runtime.Object { return &corev1.Service{} }, service, "1.36.1",
			`spec.externalIPs[0]: Invalid value: "192.0.2.010": must not have leading 0s`},
		{"source range 1.36", func() runtime.Object { return &corev1.Service{} }, service, "1.36.1",
			`spec.loadBalancerSourceRanges[0]: Invalid value: "192.168.1.5/24": must not have bits set beyond the prefix length`},
		{"source range annotation 1.35", func() runtime.Object { return &corev1.Service{} }, annotated, "1.35.0", ""},
		{"source range annotation 1.36", func() runtime.Object { return &corev1.Service{} }, annotated, "1.36.0",
			`metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value: "::ffff:192.168.0.0/112": must not have an IPv4-mapped IPv6 address`},
		{"dns searches 1.32", func() runtime.Object { return &corev1.Pod{} }, searches, "1.32.5",
			`spec.dnsConfig.searches[0]: Invalid value: "_srv.example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		{"dns searches 1.33", func() runtime.Object { return &corev1.Pod{} }, searches, "1.33.0", ""},
		{"zero sleep 1.32", func() runtime.Object { return &corev1.Pod{} }, sleep, "1.32.0",
			"spec.containers[0].lifecycle.preStop.sleep: Invalid value: 0: must be greater than 0 and less than terminationGracePeriodSeconds (30). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep."},
		{"zero sleep 1.33", func() runtime.Object { return &corev1.Pod{} }, sleep, "1.33.0", ""},
		// Before JobBackoffLimitPerIndex the API server drops FailIndex
		// rules unchecked.
		{"FailIndex rule 1.28", func() runtime.Object { return &batchv1.Job{} }, pfp("{action: FailIndex, onExitCodes: {operator: In, values: [0]}}"), "1.28.9", ""},
		{"FailIndex rule 1.29", func() runtime.Object { return &batchv1.Job{} }, pfp("{action: FailIndex, onExitCodes: {operator: In, values: [1]}}"), "1.29.0",
			`spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set`},
		// Before JobSuccessPolicy the API server drops successPolicy.
		{"success policy 1.30", func() runtime.Object { return &batchv1.Job{} }, indexed("successPolicy: {rules: []}"), "1.30.0", ""},
		{"success policy 1.31", func() runtime.Object { return &batchv1.Job{} }, indexed("successPolicy: {rules: []}"), "1.31.0",
			"spec.successPolicy.rules: Required value"},
		{"scale to zero 1.36", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, queue, "1.36.0",
			"spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"},
		{"scale to zero 1.37", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, queue, "1.37.0", ""},
		{"scale to zero by cpu 1.37", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, cpu, "1.37.0",
			"spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas"},
		{"scale to zero v1 1.37", func() runtime.Object { return &autoscalingv1.HorizontalPodAutoscaler{} }, hpaV1, "1.37.0",
			"spec.minReplicas: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas"},
		// SidecarContainers, on by default from 1.29: before, the
		// sidecar's restartPolicy is dropped and its probe refused.
		{"sidecar with a probe 1.28", func() runtime.Object { return &corev1.Pod{} }, sidecarProbe, "1.28.0",
			"spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"},
		{"sidecar with a probe 1.29", func() runtime.Object { return &corev1.Pod{} }, sidecarProbe, "1.29.0", ""},
		// ExpandedDNSConfig, on by default from 1.26.
		{"seven DNS searches 1.25", func() runtime.Object { return &corev1.Pod{} }, searches7, "1.25.0", "must not have more than 6 search paths"},
		{"seven DNS searches 1.26", func() runtime.Object { return &corev1.Pod{} }, searches7, "1.26.0", ""},
		// ReadWriteOncePod, on by default from 1.27.
		{"read-write-once-pod claim 1.26", func() runtime.Object { return &corev1.PersistentVolumeClaim{} }, rwop, "1.26.0",
			`spec.accessModes: Unsupported value: "ReadWriteOncePod": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce"`},
		{"read-write-once-pod claim 1.27", func() runtime.Object { return &corev1.PersistentVolumeClaim{} }, rwop, "1.27.0", ""},
		// ValidateAPIVersion of a scale target, from 1.34.
		{"scale target without a group 1.33", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, target("{apiVersion: v1, kind: Deployment, name: web}"), "1.33.0", ""},
		{"scale target without a group 1.34", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, target("{apiVersion: v1, kind: Deployment, name: web}"), "1.34.0",
			`spec.scaleTargetRef.apiVersion: Invalid value: "v1": apiVersion must specify API group`},
		{"scale target without apiVersion 1.37", func() runtime.Object { return &autoscalingv1.HorizontalPodAutoscaler{} }, target("{kind: Deployment, name: web}"), "1.37.0",
			`spec.scaleTargetRef.apiVersion: Invalid value: "": apiVersion must specify API group`},
		{"scale target of a bad apiVersion 1.37", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, target("{apiVersion: apps/v1/x, kind: Deployment, name: web}"), "1.37.0",
			`spec.scaleTargetRef.apiVersion: Invalid value: "apps/v1/x": unexpected GroupVersion string: apps/v1/x`},
		{"scale target a ReplicationController 1.37", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, target("{apiVersion: v1, kind: ReplicationController, name: web}"), "1.37.0", ""},
		{"described object of the core group 1.37", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, described, "1.37.0", ""},
		{"host users 1.32", func() runtime.Object { return &corev1.Pod{} }, userns, "1.32.0", ""},
		{"host users 1.33", func() runtime.Object { return &corev1.Pod{} }, userns, "1.33.0",
			"spec.hostPID: Forbidden: when `hostUsers` is false"},
		{"service name 1.35", func() runtime.Object { return &networkingv1.Ingress{} }, backend, "1.35.2",
			`spec.defaultBackend.service.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`},
		{"service name 1.36", func() runtime.Object { return &networkingv1.Ingress{} }, backend, "1.36.0", ""},
		{"pod addresses 1.35", func() runtime.Object { return &corev1.Pod{} }, pod, "1.35.0", ""},
		{"host alias 1.36", func() runtime.Object { return &corev1.Pod{} }, pod, "1.36.0",
			`spec.hostAliases[0].ip: Invalid value: "::ffff:10.1.2.3": must not be an IPv4-mapped IPv6 address`},
		{"nameserver 1.36", func() runtime.Object { return &corev1.Pod{} }, pod, "1.36.0",
			`spec.dnsConfig.nameservers[0]: Invalid value: "10.96.000.10": must not have leading 0s`},
		{"endpoint slice address 1.35", func() runtime.Object { return &discoveryv1.EndpointSlice{} }, endpointSlice("IPv4", "'10.1.2.03'", ""), "1.35.0", ""},
		{"endpoint slice address 1.36", func() runtime.Object { return &discoveryv1.EndpointSlice{} }, endpointSlice("IPv4", "'10.1.2.03'", ""), "1.36.0",
			`endpoints[0].addresses[0]: Invalid value: "10.1.2.03": must not have leading 0s`},
		{"resize policy 1.32", func() runtime.Object { return &corev1.Pod{} }, resize, "1.32.5", ""},
		{"resize policy 1.33", func() runtime.Object { return &corev1.Pod{} }, resize, "1.33.0",
			`spec.containers[0].resizePolicy[0].resourceName: Unsupported value: "storage": supported values: "cpu", "memory"`},
		{"match condition 1.27", func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} }, webhookMatch("request.resource.group"), "1.27.3", ""},
		// ManifestBasedAdmissionControlConfig, on from 1.37, keeps the
		// suffix for configurations kube-apiserver reads from files.
		{"webhook named as a static configuration 1.36", func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
			"metadata: {name: policy.static.k8s.io}\n" + webhookURL("https://hooks.example.com/check"), "1.36.0", ""},
		{"webhook named as a static configuration 1.37", func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
			"metadata: {name: policy.static.k8s.io}\n" + webhookURL("https://hooks.example.com/check"), "1.37.0",
			`metadata.name: Invalid value: "policy.static.k8s.io": names ending with ".static.k8s.io" are reserved for static manifest-based configurations and cannot be managed via the API`},
		{"binding named as a static configuration 1.37", func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{} },
			"metadata: {name: deny.static.k8s.io}\nspec: {policyName: deny, validationActions: [Deny]}\n", "1.37.0",
			`metadata.name: Invalid value: "deny.static.k8s.io": names ending with`},
		{"match condition of 1.33's library with 1.33", func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} }, webhookMatch("'isSemver(request.name)'"), "1.33.1",
			`webhooks[0].matchConditions[0].expression: Invalid value: "isSemver(request.name)": compilation failed: ERROR: <input>:1:9: undeclared reference to 'isSemver'`},
		{"match condition of 1.33's library with 1.34", func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} }, webhookMatch("'isSemver(request.name)'"), "1.34.0", ""},
		{"unmasked proc 1.32", func() runtime.Object { return &corev1.Pod{} }, unmasked(""), "1.32.3", ""},
		{"unmasked proc 1.33", func() runtime.Object { return &corev1.Pod{} }, unmasked(""), "1.33.0",
			"spec.containers[0].securityContext.procMount: Invalid value: \"Unmasked\": `hostUsers` must be false to use `Unmasked`"},
		{"unmasked proc in a user namespace 1.33", func() runtime.Object { return &corev1.Pod{} }, unmasked("hostUsers: false\n  "), "1.33.0", ""},
		{"unmasked proc with hostUsers: true 1.37", func() runtime.Object { return &corev1.Pod{} }, unmasked("hostUsers: true\n  "), "1.37.0",
			"spec.containers[0].securityContext.procMount: Invalid value: \"Unmasked\": `hostUsers` must be false to use `Unmasked`"},
		{"SELinux mount option 1.32", func() runtime.Object { return &corev1.Pod{} }, seLinux("MountOption"), "1.32.0", ""},
		{"SELinux mount option 1.36", func() runtime.Object { return &corev1.Pod{} }, seLinux("MountOption"), "1.36.2",
			`spec.securityContext.seLinuxChangePolicy: Unsupported value: "MountOption": supported values: "Recursive"`},
		{"SELinux recursive 1.33", func() runtime.Object { return &corev1.Pod{} }, seLinux("Recursive"), "1.33.0", ""},
		{"SELinux mount option 1.37", func() runtime.Object { return &corev1.Pod{} }, seLinux("MountOption"), "1.37.0", ""},
		{"SELinux policy misspelt 1.32", func() runtime.Object { return &corev1.Pod{} }, seLinux("recursive"), "1.32.0", ""},
		{"SELinux policy misspelt 1.33", func() runtime.Object { return &corev1.Pod{} }, seLinux("recursive"), "1.33.0",
			`spec.securityContext.seLinuxChangePolicy: Unsupported value: "recursive": supported values: "Recursive"`},
		{"SELinux policy misspelt 1.37", func() runtime.Object { return &corev1.Pod{} }, seLinux("recursive"), "1.37.0",
			`spec.securityContext.seLinuxChangePolicy: Unsupported value: "recursive": supported values: "MountOption", "Recursive"`},
		{"block device in a user namespace 1.33", func() runtime.Object { return &corev1.Pod{} }, usernsDevice, "1.33.0", ""},
		{"block device in a user namespace 1.34", func() runtime.Object { return &corev1.Pod{} }, usernsDevice, "1.34.0",
			"spec.containers[0].volumeDevices: Forbidden: when `hostUsers` is false"},
		{"windows host users 1.32", func() runtime.Object { return &corev1.Pod{} }, windows("hostUsers: false\n  containers: [{name: a, image: a}]"), "1.32.0", ""},
		{"windows host users 1.33", func() runtime.Object { return &corev1.Pod{} }, windows("hostUsers: false\n  containers: [{name: a, image: a}]"), "1.33.0",
			"spec.hostUsers: Forbidden: cannot be set for a windows pod"},
		{"windows groups policy 1.32", func() runtime.Object { return &corev1.Pod{} }, windows("securityContext: {supplementalGroupsPolicy: Strict}\n  containers: [{name: a, image: a}]"), "1.32.0", ""},
		{"windows groups policy 1.33", func() runtime.Object { return &corev1.Pod{} }, windows("securityContext: {supplementalGroupsPolicy: Strict}\n  containers: [{name: a, image: a}]"), "1.33.0",
			"spec.securityContext.supplementalGroupsPolicy: Forbidden: cannot be set for a windows pod"},
		{"windows SELinux policy 1.32", func() runtime.Object { return &corev1.Pod{} }, windows("securityContext: {seLinuxChangePolicy: Recursive}\n  containers: [{name: a, image: a}]"), "1.32.0", ""},
		{"windows SELinux policy 1.33", func() runtime.Object { return &corev1.Pod{} }, windows("securityContext: {seLinuxChangePolicy: Recursive}\n  containers: [{name: a, image: a}]"), "1.33.0",
			"spec.securityContext.seLinuxChangePolicy: Forbidden: cannot be set for a windows pod"},
		// Before ProcMountType the API server sets it to Default, which a
		// Windows pod may not set either.
		{"windows proc mount 1.30", func() runtime.Object { return &corev1.Pod{} }, windows("containers: [{name: a, image: a, securityContext: {procMount: Default}}]"), "1.30.0",
			"spec.containers[0].securityContext.procMount: Forbidden: cannot be set for a windows pod"},
		{"recursive read-only writable mount 1.30", func() runtime.Object { return &corev1.Pod{} }, mount("{name: data, mountPath: /data, recursiveReadOnly: Enabled}"), "1.30.0", ""},
		{"recursive read-only writable mount 1.31", func() runtime.Object { return &corev1.Pod{} }, mount("{name: data, mountPath: /data, recursiveReadOnly: Enabled}"), "1.31.0",
			"spec.containers[0].volumeMounts[0].recursiveReadOnly: Forbidden: may only be specified when readOnly is true"},
		{"recursive read-only with propagation 1.37", func() runtime.Object { return &corev1.Pod{} }, mount("{name: data, mountPath: /data, readOnly: true, recursiveReadOnly: IfPossible, mountPropagation: HostToContainer}"), "1.37.0",
			"spec.containers[0].volumeMounts[0].recursiveReadOnly: Forbidden: may only be specified when mountPropagation is None or not specified"},
		{"recursive read-only 1.37", func() runtime.Object { return &corev1.Pod{} }, mount("{name: data, mountPath: /data, readOnly: true, recursiveReadOnly: Enabled}"), "1.37.0", ""},
		{"recursive read-only disabled 1.37", func() runtime.Object { return &corev1.Pod{} }, mount("{name: data, mountPath: /data, recursiveReadOnly: Disabled}"), "1.37.0", ""},
		// The schema has no enum for the field: its values are the
		// API server's rule (validateMountRecursiveReadOnly).
		{"recursive read-only lowercase 1.31", func() runtime.Object { return &corev1.Pod{} }, mount("{name: data, mountPath: /data, readOnly: true, recursiveReadOnly: enabled}"), "1.31.0",
			`spec.containers[0].volumeMounts[0].recursiveReadOnly: Unsupported value: "enabled": supported values: "Disabled", "Enabled", "IfPossible"`},
		{"recursive read-only lowercase 1.30", func() runtime.Object { return &corev1.Pod{} }, mount("{name: data, mountPath: /data, readOnly: true, recursiveReadOnly: enabled}"), "1.30.0", ""},
		{"hostname override on the host network 1.34", func() runtime.Object { return &corev1.Pod{} }, hostname("hostNetwork: true\n  hostnameOverride: db-0"), "1.34.0", ""},
		{"hostname override on the host network 1.35", func() runtime.Object { return &corev1.Pod{} }, hostname("hostNetwork: true\n  hostnameOverride: db-0"), "1.35.0",
			"spec.hostnameOverride: Forbidden: may not be specified when hostNetwork is true"},
		{"hostname override as FQDN 1.37", func() runtime.Object { return &corev1.Pod{} }, hostname("setHostnameAsFQDN: true\n  hostnameOverride: db-0"), "1.37.0",
			"spec.hostnameOverride: Forbidden: may not be specified when setHostnameAsFQDN is true"},
		{"hostname override not a DNS name 1.37", func() runtime.Object { return &corev1.Pod{} }, hostname("hostnameOverride: DB_0"), "1.37.0",
			`spec.hostnameOverride: Invalid value: "DB_0": a lowercase RFC 1123 subdomain must consist of`},
		{"hostname override too long 1.37", func() runtime.Object { return &corev1.Pod{} }, hostname("hostnameOverride: " + strings.Repeat("a", 65)), "1.37.0",
			"spec.hostnameOverride: Too long: may not be more than 64 bytes"},
		{"hostname override 1.37", func() runtime.Object { return &corev1.Pod{} }, hostname("hostnameOverride: db-0.example"), "1.37.0", ""},
		{"env file 1.37", func() runtime.Object { return &corev1.Pod{} }, fileEnv("volumeName: config, path: config.env, key: CONFIG_MAIN", "{name: config, emptyDir: {}}"), "1.37.0", ""},
		// Before 1.34 the field is not in the API: validation's check of
		// newer fields refuses it, and this rule adds nothing (the
		// documentation's envars-file-container.yaml drew both).
		{"env file 1.33", func() runtime.Object { return &corev1.Pod{} }, fileEnv("volumeName: config, path: config.env, key: CONFIG_MAIN", "{name: config, emptyDir: {}}"), "1.33.0", ""},
		{"env file 1.34", func() runtime.Object { return &corev1.Pod{} }, fileEnv("volumeName: config, path: config.env, key: CONFIG_MAIN", "{name: config, emptyDir: {}}"), "1.34.0",
			"spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"},
		{"env file in a ConfigMap 1.34", func() runtime.Object { return &corev1.Pod{} }, fileEnv("volumeName: config, path: config.env, key: CONFIG_MAIN", "{name: config, configMap: {name: cfg}}"), "1.34.0",
			"spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of"},
		{"env file in a ConfigMap 1.35", func() runtime.Object { return &corev1.Pod{} }, fileEnv("volumeName: config, path: config.env, key: CONFIG_MAIN", "{name: config, configMap: {name: cfg}}"), "1.35.0",
			`spec.containers[0].env[0].valueFrom.fileKeyRef.volumeName: Invalid value: "config": referenced volume must be of type emptyDir`},
		{"env file in no volume 1.37", func() runtime.Object { return &corev1.Pod{} }, fileEnv("volumeName: cfg, path: config.env, key: CONFIG_MAIN", "{name: config, emptyDir: {}}"), "1.37.0",
			`spec.containers[0].env[0].valueFrom.fileKeyRef.volumeName: Not found: "cfg"`},
		{"env file outside its volume 1.37", func() runtime.Object { return &corev1.Pod{} }, fileEnv("volumeName: config, path: ../config.env, key: CONFIG_MAIN", "{name: config, emptyDir: {}}"), "1.37.0",
			`spec.containers[0].env[0].valueFrom.fileKeyRef.path: Invalid value: "../config.env": must not contain '..'`},
		{"env file without a key 1.37", func() runtime.Object { return &corev1.Pod{} }, fileEnv("volumeName: config, path: config.env", "{name: config, emptyDir: {}}"), "1.37.0",
			"spec.containers[0].env[0].valueFrom.fileKeyRef.key: Required value"},
		{"image volume without a reference 1.34", func() runtime.Object { return &corev1.Pod{} }, imageVolume("{name: models, image: {pullPolicy: IfNotPresent}}"), "1.34.0", ""},
		{"image volume without a reference 1.35", func() runtime.Object { return &corev1.Pod{} }, imageVolume("{name: models, image: {pullPolicy: IfNotPresent}}"), "1.35.0",
			"spec.volumes[0].image.reference: Required value"},
		{"image volume and emptyDir 1.35", func() runtime.Object { return &corev1.Pod{} }, imageVolume("{name: models, emptyDir: {}, image: {reference: 'quay.io/crio/artifact:v2'}}"), "1.35.0",
			"spec.volumes[0].image: Forbidden: may not specify more than 1 volume type"},
		{"image volume 1.37", func() runtime.Object { return &corev1.Pod{} }, imageVolume("{name: models, image: {reference: 'quay.io/crio/artifact:v2', pullPolicy: IfNotPresent}}"), "1.37.0", ""},
		{"trust bundle beside a secret 1.36", func() runtime.Object { return &corev1.Pod{} }, projection, "1.36.0", ""},
		{"trust bundle beside a secret 1.37", func() runtime.Object { return &corev1.Pod{} }, projection, "1.37.0",
			"spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type per source"},
		{"restart rules 1.35", func() runtime.Object { return &corev1.Pod{} }, restartRules("restartPolicy: Never", "[{action: Restart, exitCodes: {operator: In, values: [42]}}]"), "1.35.0", ""},
		{"restart rules without a policy 1.34", func() runtime.Object { return &corev1.Pod{} }, restartRules("", "[{action: Restart, exitCodes: {operator: In, values: [42]}}]"), "1.34.1", ""},
		{"restart rules without a policy 1.35", func() runtime.Object { return &corev1.Pod{} }, restartRules("", "[{action: Restart, exitCodes: {operator: In, values: [42]}}]"), "1.35.0",
			"spec.containers[0].restartPolicy: Required value: must specify restartPolicy when restart rules are used"},
		{"restart policy misspelt 1.35", func() runtime.Object { return &corev1.Pod{} }, restartRules("restartPolicy: never", "[]"), "1.35.0",
			`spec.containers[0].restartPolicy: Unsupported value: "never": supported values: "Always", "Never", "OnFailure"`},
		{"restart rule without exit codes 1.37", func() runtime.Object { return &corev1.Pod{} }, restartRules("restartPolicy: Never", "[{action: Restart}]"), "1.37.0",
			"spec.containers[0].restartPolicyRules[0].exitCodes: Required value: must be specified"},
		{"restart rule operator 1.37", func() runtime.Object { return &corev1.Pod{} }, restartRules("restartPolicy: Never", "[{action: Restart, exitCodes: {operator: Equals, values: [42]}}]"), "1.37.0",
			`spec.containers[0].restartPolicyRules[0].exitCodes.operator: Unsupported value: "Equals": supported values: "In", "NotIn"`},
		{"restart all containers 1.35", func() runtime.Object { return &corev1.Pod{} }, restartRules("restartPolicy: Never", "[{action: RestartAllContainers, exitCodes: {operator: In, values: [42]}}]"), "1.35.0",
			`spec.containers[0].restartPolicyRules[0].action: Unsupported value: "RestartAllContainers": supported values: "Restart"`},
		{"restart all containers 1.36", func() runtime.Object { return &corev1.Pod{} }, restartRules("restartPolicy: Never", "[{action: RestartAllContainers, exitCodes: {operator: In, values: [42]}}]"), "1.36.0", ""},
		{"sidecar restart rules 1.35", func() runtime.Object { return &corev1.Pod{} }, sidecarRules, "1.35.0",
			"spec.initContainers[0].restartPolicyRules: Forbidden: restartPolicyRules are not allowed for init containers with restart policy Always"},
		{"sidecar restart rules 1.36", func() runtime.Object { return &corev1.Pod{} }, sidecarRules, "1.36.0", ""},
		{"too many exit codes 1.37", func() runtime.Object { return &corev1.Pod{} }, restartRules("restartPolicy: Never", "[{action: Restart, exitCodes: {operator: NotIn, values: ["+strings.Repeat("1, ", 255)+"0]}}]"), "1.37.0",
			"spec.containers[0].restartPolicyRules[0].exitCodes.values: Too many: 256: must have at most 255 items"},
		{"resource claim 1.37", func() runtime.Object { return &corev1.Pod{} }, dra("[{name: gpu, resourceClaimTemplateName: single-gpu}]", "[{name: gpu}]"), "1.37.0", ""},
		{"resource claim request 1.37", func() runtime.Object { return &corev1.Pod{} }, dra("[{name: gpu, resourceClaimName: shared-gpus}]", "[{name: gpu, request: first}, {name: gpu, request: second}]"), "1.37.0", ""},
		{"resource claim the pod lacks 1.33", func() runtime.Object { return &corev1.Pod{} }, dra("[{name: gpu, resourceClaimTemplateName: single-gpu}]", "[{name: gpus}]"), "1.33.0", ""},
		{"resource claim the pod lacks 1.34", func() runtime.Object { return &corev1.Pod{} }, dra("[{name: gpu, resourceClaimTemplateName: single-gpu}]", "[{name: gpus}]"), "1.34.0",
			`spec.containers[0].resources.claims[0]: Not found: "gpus": must be one of the names in pod.spec.resourceClaims: gpu`},
		{"resource claim of no pod claims 1.37", func() runtime.Object { return &corev1.Pod{} }, dra("[]", "[{name: gpu}]"), "1.37.0",
			`spec.containers[0].resources.claims[0]: Not found: "gpu": must be one of the names in pod.spec.resourceClaims which is empty`},
		{"resource claim used twice 1.37", func() runtime.Object { return &corev1.Pod{} }, dra("[{name: gpu, resourceClaimTemplateName: single-gpu}]", "[{name: gpu, request: first}, {name: gpu}]"), "1.37.0",
			`spec.containers[0].resources.claims[1]: Duplicate value: "gpu"`},
		{"resource claim without a source 1.37", func() runtime.Object { return &corev1.Pod{} }, dra("[{name: gpu}]", "[]"), "1.37.0",
			"spec.resourceClaims[0]: Invalid value: must specify one of: `resourceClaimName`, `resourceClaimTemplateName`"},
		{"resource claim with two sources 1.37", func() runtime.Object { return &corev1.Pod{} }, dra("[{name: gpu, resourceClaimName: a, resourceClaimTemplateName: b}]", "[]"), "1.37.0",
			"spec.resourceClaims[0]: Invalid value: at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified"},
		{"resource claim named twice 1.37", func() runtime.Object { return &corev1.Pod{} }, dra("[{name: gpu, resourceClaimName: a}, {name: gpu, resourceClaimName: b}]", "[]"), "1.37.0",
			`spec.resourceClaims[1].name: Duplicate value: "gpu"`},
		{"resource claim template name 1.37", func() runtime.Object { return &corev1.Pod{} }, dra("[{name: gpu, resourceClaimTemplateName: Single_GPU}]", "[]"), "1.37.0",
			`spec.resourceClaims[0].resourceClaimTemplateName: Invalid value: "Single_GPU": a lowercase RFC 1123 subdomain`},
		{"traffic distribution misspelt 1.30", func() runtime.Object { return &corev1.Service{} }, traffic("PreferClosest"), "1.30.0", ""},
		{"traffic distribution misspelt 1.31", func() runtime.Object { return &corev1.Service{} }, traffic("PreferClosest"), "1.31.0",
			`spec.trafficDistribution: Unsupported value: "PreferClosest": supported values: "PreferClose"`},
		{"traffic distribution same node 1.33", func() runtime.Object { return &corev1.Service{} }, traffic("PreferSameNode"), "1.33.0",
			`spec.trafficDistribution: Unsupported value: "PreferSameNode": supported values: "PreferClose"`},
		{"traffic distribution same node 1.34", func() runtime.Object { return &corev1.Service{} }, traffic("PreferSameNode"), "1.34.0", ""},
		{"traffic distribution close 1.37", func() runtime.Object { return &corev1.Service{} }, traffic("PreferClose"), "1.37.0", ""},
		{"traffic distribution misspelt 1.37", func() runtime.Object { return &corev1.Service{} }, traffic("PreferSameZones"), "1.37.0",
			`spec.trafficDistribution: Unsupported value: "PreferSameZones": supported values: "PreferClose", "PreferSameZone", "PreferSameNode"`},
		{"replacement policy with a failure policy 1.28", func() runtime.Object { return &batchv1.Job{} }, jobWith("podReplacementPolicy: TerminatingOrFailed\n  " + failurePolicy), "1.28.0", ""},
		{"replacement policy with a failure policy 1.29", func() runtime.Object { return &batchv1.Job{} }, jobWith("podReplacementPolicy: TerminatingOrFailed\n  " + failurePolicy), "1.29.0",
			`spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"`},
		{"replacement policy 1.37", func() runtime.Object { return &batchv1.Job{} }, jobWith("podReplacementPolicy: Failed\n  " + failurePolicy), "1.37.0", ""},
		// Recreate is in k8s.io/api's enum, behind an alpha gate.
		{"statefulset recreate 1.37", func() runtime.Object { return &appsv1.StatefulSet{} }, "spec:\n  selector: {matchLabels: {app: a}}\n  updateStrategy: {type: Recreate}\n  template:" + podTemplate, "1.37.0",
			"spec.updateStrategy: Invalid value: must be 'RollingUpdate' or 'OnDelete'"},
		{"success policy without indexes 1.30", func() runtime.Object { return &batchv1.Job{} }, jobWith("successPolicy: {rules: [{succeededCount: 1}]}"), "1.30.0", ""},
		{"success policy without indexes 1.31", func() runtime.Object { return &batchv1.Job{} }, jobWith("successPolicy: {rules: [{succeededCount: 1}]}"), "1.31.0",
			`spec.successPolicy: Invalid value: "": requires indexed completion mode`},
		{"managed by 1.31", func() runtime.Object { return &batchv1.Job{} }, jobWith("managedBy: kueue"), "1.31.0", ""},
		{"managed by 1.32", func() runtime.Object { return &batchv1.Job{} }, jobWith("managedBy: kueue"), "1.32.0",
			`spec.managedBy: Invalid value: "kueue": must be a domain-prefixed path (such as "acme.io/foo")`},
		{"managed by 1.37", func() runtime.Object { return &batchv1.Job{} }, jobWith("managedBy: kueue.x-k8s.io/multikueue"), "1.37.0", ""},
		{"managed by too long 1.37", func() runtime.Object { return &batchv1.Job{} }, jobWith("managedBy: example.com/" + strings.Repeat("a", 60)), "1.37.0",
			"spec.managedBy: Too long: may not be more than 63 bytes"},
		{"negative tolerance 1.34", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, tolerance("-0.05"), "1.34.0", ""},
		{"negative tolerance 1.35", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, tolerance("-0.05"), "1.35.0",
			`spec.behavior.scaleUp.tolerance: Invalid value: "-50m": must be greater than or equal to 0`},
		{"tolerance 1.37", func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }, tolerance("0.05"), "1.37.0", ""},
		{"pod resources 1.37", func() runtime.Object { return &corev1.Pod{} }, podLevel("{limits: {cpu: '1', memory: 200Mi}, requests: {cpu: '1', memory: 100Mi}}", "{requests: {cpu: 500m, memory: 50Mi}, limits: {cpu: 500m}}"), "1.37.0", ""},
		{"pod requests below its containers' 1.33", func() runtime.Object { return &corev1.Pod{} }, podLevel("{requests: {cpu: 500m}}", "{requests: {cpu: 400m}}"), "1.33.0", ""},
		{"pod requests below its containers' 1.34", func() runtime.Object { return &corev1.Pod{} }, podLevel("{requests: {cpu: 500m}}", "{requests: {cpu: 400m}}"), "1.34.0",
			`spec.resources.requests[cpu]: Invalid value: "500m": must be greater than or equal to aggregate container requests of 800m`},
		{"container limit above the pod's 1.37", func() runtime.Object { return &corev1.Pod{} }, podLevel("{limits: {memory: 200Mi}}", "{limits: {memory: 300Mi}}"), "1.37.0",
			`spec.containers[0].resources.limits[memory]: Invalid value: "300Mi": must be less than or equal to pod limits of 200Mi`},
		{"pod request above its limit 1.37", func() runtime.Object { return &corev1.Pod{} }, podLevel("{requests: {cpu: '2'}, limits: {cpu: '1'}}", "{}"), "1.37.0",
			`spec.resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1`},
		{"pod storage 1.37", func() runtime.Object { return &corev1.Pod{} }, podLevel("{requests: {ephemeral-storage: 1Gi}}", "{}"), "1.37.0",
			`spec.resources.requests[ephemeral-storage]: Unsupported value: "ephemeral-storage": supported values: "cpu", "hugepages-", "memory"`},
		{"windows pod resources 1.37", func() runtime.Object { return &corev1.Pod{} }, "spec:\n  os: {name: windows}\n  resources: {requests: {cpu: '1'}}\n  containers: [{name: a, image: a}]", "1.37.0",
			"spec.resources: Forbidden: may not be set for a windows pod"},
		// The appArmorProfile fields came in 1.30, and with them the
		// refusal of an annotation that disagrees.
		{"apparmor annotation and field of a template 1.29", func() runtime.Object { return &appsv1.Deployment{} }, apparmorTemplate, "1.29.0", ""},
		{"apparmor annotation and field of a template 1.30", func() runtime.Object { return &appsv1.Deployment{} }, apparmorTemplate, "1.30.0",
			"spec.template.spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and field must match"},
		// A StatefulSet's template was checked as a pod template only from
		// 1.34; its annotations always.
		{"statefulset seccomp annotation and field 1.33", func() runtime.Object { return &appsv1.StatefulSet{} }, seccompTemplate, "1.33.0", ""},
		{"statefulset seccomp annotation and field 1.34", func() runtime.Object { return &appsv1.StatefulSet{} }, seccompTemplate, "1.34.0",
			"spec.template.spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match"},
		{"statefulset seccomp annotation 1.24", func() runtime.Object { return &appsv1.StatefulSet{} }, annotatedDeployment("seccomp.security.alpha.kubernetes.io/pod: default", oneContainer), "1.24.0",
			`spec.template.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Invalid value: "default": must be a valid seccomp profile`},
		{"deployment seccomp annotation and field 1.24", func() runtime.Object { return &appsv1.Deployment{} }, seccompTemplate, "1.24.0",
			"spec.template.spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match"},
		// On the host's network each hostPort left out becomes the
		// containerPort: always in a Pod, in a template until 1.28.
		// A regular container's restartPolicy: refused from its arrival
		// (1.28) until ContainerRestartRules (1.34, dropped while off;
		// validate's Dropped warns), checked from 1.35.
		{"regular container restart policy 1.33", func() runtime.Object { return &appsv1.Deployment{} }, regularRestart, "1.33.5",
			"spec.template.spec.containers[1].restartPolicy: Forbidden: may not be set for non-init containers"},
		{"regular container restart policy 1.28", func() runtime.Object { return &appsv1.Deployment{} }, regularRestart, "1.28.0",
			"spec.template.spec.containers[1].restartPolicy: Forbidden: may not be set for non-init containers"},
		{"regular container restart policy 1.34", func() runtime.Object { return &appsv1.Deployment{} }, regularRestart, "1.34.0", ""},
		{"init container restart policy Never 1.33", func() runtime.Object { return &appsv1.Deployment{} }, initRestart, "1.33.0",
			`spec.template.spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always"`},
		{"init container restart policy Never 1.34", func() runtime.Object { return &appsv1.Deployment{} }, initRestart, "1.34.0", ""},
		{"init container restart policy Never 1.35", func() runtime.Object { return &appsv1.Deployment{} }, initRestart, "1.35.0", ""},
		{"regular container restart policy 1.35", func() runtime.Object { return &appsv1.Deployment{} }, regularRestart, "1.35.0", ""},
		{"host network ports of a template 1.27", func() runtime.Object { return &appsv1.DaemonSet{} }, hostNetTemplate, "1.27.9",
			`spec.template.spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"`},
		{"host network ports of a template 1.28", func() runtime.Object { return &appsv1.DaemonSet{} }, hostNetTemplate, "1.28.0", ""},
		{"host network ports of a pod 1.28", func() runtime.Object { return &corev1.Pod{} }, hostNetPod("[{name: a, image: a, ports: [{containerPort: 8080}]}, {name: b, image: b, ports: [{containerPort: 8080}]}]", ""), "1.28.0",
			`spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"`},
		{"host network port written and defaulted 1.37", func() runtime.Object { return &corev1.Pod{} }, hostNetPod("[{name: a, image: a, ports: [{containerPort: 8080, hostPort: 8080}]}, {name: b, image: b, ports: [{containerPort: 8080}]}]", ""), "1.37.0",
			`spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"`},
		{"host network port on two protocols 1.37", func() runtime.Object { return &corev1.Pod{} }, hostNetPod("[{name: dns, image: a, ports: [{containerPort: 53, protocol: UDP}, {containerPort: 53}]}]", ""), "1.37.0", ""},
		{"host network ports of two host IPs 1.37", func() runtime.Object { return &corev1.Pod{} }, hostNetPod("[{name: a, image: a, ports: [{containerPort: 8080, hostIP: 10.0.0.1}]}, {name: b, image: b, ports: [{containerPort: 8080, hostIP: 10.0.0.2}]}]", ""), "1.37.0", ""},
		// Init containers run one at a time: each is checked on its own.
		{"host network port of an init container 1.37", func() runtime.Object { return &corev1.Pod{} }, hostNetPod("[{name: a, image: a, ports: [{containerPort: 8080}]}]", "[{name: init, image: a, ports: [{containerPort: 8080}]}]"), "1.37.0", ""},
		{"host network ports of an init container 1.37", func() runtime.Object { return &corev1.Pod{} }, hostNetPod("[{name: a, image: a}]", "[{name: init, image: a, ports: [{name: x, containerPort: 8080}, {name: y, containerPort: 8080}]}]"), "1.37.0",
			`spec.initContainers[0].ports[1].hostPort: Duplicate value: "TCP//8080"`},
		{"ports of a pod off the host network 1.37", func() runtime.Object { return &corev1.Pod{} }, "spec:\n  containers: [{name: a, image: a, ports: [{containerPort: 8080}]}, {name: b, image: b, ports: [{containerPort: 8080}]}]", "1.37.0", ""},
		{"volume attributes class 1.33", func() runtime.Object { return &corev1.PersistentVolumeClaim{} }, claim, "1.33.4", ""},
		{"volume attributes class 1.34", func() runtime.Object { return &corev1.PersistentVolumeClaim{} }, claim, "1.34.0",
			`spec.volumeAttributesClassName: Invalid value: "Gold_IOPS": a lowercase RFC 1123 subdomain must consist of`},
	} {
		obj := tc.obj()
		if err := yaml.UnmarshalStrict([]byte(tc.doc), obj); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range Check(obj, Options{KubeVersion: version.MustParseGeneric(tc.kube)}) {
			got = append(got, p.Error.Error())
		}
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%s: refused: %q", tc.name, got)
		case tc.want != "" && !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, tc.want) }):
			t.Errorf("%s: got %q, want %q among them", tc.name, got, tc.want)
		}
	}
}

// TestStrictIPHints: an address or CIDR that only strict parsing refuses
// gets the value to write instead; one that is no address keeps its
// field's hint.
func TestStrictIPHints(t *testing.T) {
	for _, tc := range []struct {
		value string
		cidr  bool
		want  string
	}{
		{"010.000.001.002", false, "write 10.0.1.2: "},
		{"::ffff:10.1.2.3", false, "write 10.1.2.3: "},
		{"db.local", false, "the field's hint"},
		{"10.0.0.1/8", true, "write the network, 10.0.0.0/8, or the one address, 10.0.0.1/32: "},
		{"010.0.0.0/8", true, "write 10.0.0.0/8: "},
		{"10.0.0.0/08", true, "write 10.0.0.0/8: "},
		{"::ffff:10.0.0.1/104", true, "write the network, 10.0.0.0/8, or the one address, 10.0.0.1/32: "},
		{"::ffff:0.0.0.0/80", true, "write an IPv4 CIDR, or an IPv6 one outside ::ffff:0:0/96: "},
		{"2001:db8::1/32", true, "write the network, 2001:db8::/32, or the one address, 2001:db8::1/128: "},
		{"10.0.0.0/33", true, "the field's hint"},
	} {
		got := strictHint(tc.value, tc.cidr, "the field's hint")
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: got %q, want it to start with %q", tc.value, got, tc.want)
		}
	}
}
