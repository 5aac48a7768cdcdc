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
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
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

// webhookResources is a ValidatingWebhookConfiguration whose one rule
// names resources (a YAML flow sequence's entries).
func webhookResources(resources string) string {
	return "webhooks:\n- name: check.example.com\n  sideEffects: None\n  admissionReviewVersions: [v1]\n  clientConfig: {service: {namespace: default, name: checker}}\n" +
		"  rules: [{operations: [CREATE], apiGroups: [''], apiVersions: [v1], resources: [" + resources + "]}]"
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

// limitRange is a LimitRange document whose first limit is item (its
// lines indented as the first entry of spec.limits).
func limitRange(item string) string {
	return "spec:\n  limits:\n  - " + item
}

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
			`spec.rules[0].http.paths[0].backend.service.name: Invalid value: "web.svc": a DNS-1035 label`},
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
		{"claim without access modes", &corev1.PersistentVolumeClaim{}, "spec: {resources: {requests: {storage: 1Gi}}}", "spec.accessModes: Required value: at least 1 access mode is required"},

		// StatefulSet update strategies.
		{"statefulset OnDelete with rollingUpdate", &appsv1.StatefulSet{}, "spec:\n  selector: {matchLabels: {app: a}}\n  updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}\n  template:" + podTemplate,
			"spec.updateStrategy.rollingUpdate: Invalid value: \"\": only allowed for updateStrategy 'RollingUpdate'"},
		{"statefulset negative partition", &appsv1.StatefulSet{}, "spec:\n  selector: {matchLabels: {app: a}}\n  updateStrategy: {rollingUpdate: {partition: -1}}\n  template:" + podTemplate,
			"spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0"},
		{"statefulset maxUnavailable 0", &appsv1.StatefulSet{}, "spec:\n  selector: {matchLabels: {app: a}}\n  updateStrategy: {rollingUpdate: {maxUnavailable: 0}}\n  template:" + podTemplate,
			`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "0": cannot be 0`},

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
// refused: a StatefulSet's rollingUpdate.maxUnavailable (1.35), pod
// affinity's matchLabelKeys (1.31), a Job's backoffLimitPerIndex (1.29).
func TestRulesByKubeVersion(t *testing.T) {
	ingress := "metadata: {annotations: {kubernetes.io/ingress.class: nginx}}\nspec: {ingressClassName: nginx, defaultBackend: {service: {name: web, port: {number: 80}}}}"
	sts := "spec:\n  selector: {matchLabels: {app: a}}\n  updateStrategy: {rollingUpdate: {maxUnavailable: 0}}\n  template:" + podTemplate
	affinity := "spec:\n  containers: [{name: a, image: a}]\n  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n" +
		"      - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: a}}, matchLabelKeys: [app], mismatchLabelKeys: [app]}\n"
	job := "spec:\n  backoffLimitPerIndex: -1\n  template:" + podTemplate + "\n      restartPolicy: Never"
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
		{"statefulset 1.34", func() runtime.Object { return &appsv1.StatefulSet{} }, sts, "1.34.2", ""},
		{"statefulset 1.35", func() runtime.Object { return &appsv1.StatefulSet{} }, sts, "1.35.0",
			`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "0": cannot be 0`},
		{"affinity 1.30", func() runtime.Object { return &corev1.Pod{} }, affinity, "1.30.4", ""},
		{"affinity 1.31", func() runtime.Object { return &corev1.Pod{} }, affinity, "1.31.0",
			`spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[0]: Invalid value: "app": exists in both matchLabelKeys and mismatchLabelKeys`},
		{"job 1.28", func() runtime.Object { return &batchv1.Job{} }, job, "1.28.9", ""},
		{"job 1.29", func() runtime.Object { return &batchv1.Job{} }, job, "1.29.0",
			"spec.backoffLimitPerIndex: Invalid value: -1: must be greater than or equal to 0"},
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
		case tc.want != "" && !slices.Contains(got, tc.want):
			t.Errorf("%s: got %q, want %q among them", tc.name, got, tc.want)
		}
	}
}
