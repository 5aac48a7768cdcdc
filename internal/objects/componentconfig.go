package objects

import "strings"

// componentConfigGroups are the API groups of the configuration files
// Kubernetes' own programs read from disk, by the program that reads
// each: kinds with an apiVersion and a kind like an object's, which no
// API server serves. The Kubernetes documentation shows many of them
// beside its objects (content/en/examples of kubernetes/website: an
// AdmissionConfiguration, an EgressSelectorConfiguration, an audit
// Policy, kind's Cluster); in an app's folder, Flux's apply fails the
// app on one with "no matches for kind". A CustomResourceDefinition in a
// k8s.io group needs Kubernetes' API review (the
// api-approved.kubernetes.io annotation), which none of these groups has
// had: the groups are the component-config packages of kubernetes/
// kubernetes (staging/src/k8s.io/*/config, apiserver/pkg/apis,
// pod-security-admission), kubeadm's and kind's.
var componentConfigGroups = map[string]string{
	"apiserver.config.k8s.io":              "kube-apiserver",
	"apiserver.k8s.io":                     "kube-apiserver",
	"audit.k8s.io":                         "kube-apiserver (its audit policy, or an audit log's events)",
	"pod-security.admission.config.k8s.io": "kube-apiserver's PodSecurity admission plugin",
	"eventratelimit.admission.k8s.io":      "kube-apiserver's EventRateLimit admission plugin",
	"imagepolicy.k8s.io":                   "kube-apiserver's ImagePolicyWebhook admission plugin",
	"kubelet.config.k8s.io":                "the kubelet",
	"credentialprovider.kubelet.k8s.io":    "the kubelet's image credential provider plugins",
	"kubescheduler.config.k8s.io":          "kube-scheduler",
	"kubeproxy.config.k8s.io":              "kube-proxy",
	"kubecontrollermanager.config.k8s.io":  "kube-controller-manager",
	"cloudcontrollermanager.config.k8s.io": "cloud-controller-manager",
	"client.authentication.k8s.io":         "client-go's exec credential plugins",
	"kubectl.config.k8s.io":                "kubectl (its kuberc)",
	"kubeadm.k8s.io":                       "kubeadm",
	"kind.x-k8s.io":                        "kind",
}

// ComponentConfig names the Kubernetes program whose configuration file
// an object of apiVersion is ("" when it is none).
func ComponentConfig(apiVersion string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return componentConfigGroups[group]
}

// ComponentConfigMsg and ComponentConfigHint are the error, or the
// warning, of a component's configuration file among an app's objects.
func ComponentConfigMsg(apiVersion, kind string) string {
	return kind + " (" + apiVersion + ") is a configuration file of " + ComponentConfig(apiVersion) +
		", not an object of the Kubernetes API: no API server serves its kind, so Flux's apply would fail the app on it (\"no matches for kind\")"
}

// ComponentConfigHint says where the file belongs instead.
func ComponentConfigHint(apiVersion string) string {
	return "leave it out of the app's output: " + ComponentConfig(apiVersion) + " reads it from a file on the machine it runs on, not from the cluster"
}
