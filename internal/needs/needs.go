// Package needs finds the objects another object cannot work without:
// the ConfigMaps, Secrets, ServiceAccount, PriorityClass and RuntimeClass
// a workload's pod template names, the Service an admission webhook, an
// aggregated API or a CRD's conversion webhook calls, the Role a binding
// grants, the Service an Ingress or a Gateway API route sends requests
// to, the sources, Secrets and ConfigMaps Flux's own objects read, the
// issuer a cert-manager Certificate renews with and the credentials the
// issuer authenticates with, the Services an Argo Rollout switches, what
// Flagger's Canaries, KEDA's scalers, Flux's image automation, External
// Secrets' stores and the Prometheus Operator's Prometheus and
// Alertmanager look up, and a few more (Needed's list). promote uses it to
// warn when a promotion deletes one of them while an object the env
// keeps still names it. kiln renders do not check such references, since
// an operator or a controller may make what a template names.
package needs

import (
	"fmt"
	"slices"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/objects"
)

// Ref is one object that another needs.
type Ref struct {
	Group, Kind string // "" for the core group
	Namespace   string // "" for a cluster-scoped kind
	Name        string
	Field       string // where the other object names it: spec.template.spec.volumes[0].configMap.name
	Effect      string // what breaks without it, for a message
}

// Key is how Refs and the objects they name are matched: API group,
// Kind, namespace and name.
func (r Ref) Key() string { return Key(r.Group, r.Kind, r.Namespace, r.Name) }

// Key is Ref.Key for an object. The namespace of a cluster-scoped kind
// Of names is left out: kustomize's namespace transformer gives one to
// custom resources of any scope (a ClusterIssuer in an app with a
// namespace), which the API server ignores.
func Key(group, kind, namespace, name string) string {
	if clusterScoped[group+"\x00"+kind] {
		namespace = ""
	}
	return group + "\x00" + kind + "\x00" + namespace + "\x00" + name
}

// clusterScoped are the kinds Of names that have no namespace.
var clusterScoped = map[string]bool{
	"scheduling.k8s.io\x00PriorityClass":        true,
	"node.k8s.io\x00RuntimeClass":               true,
	"rbac.authorization.k8s.io\x00ClusterRole":  true,
	"networking.k8s.io\x00IngressClass":         true,
	"storage.k8s.io\x00StorageClass":            true,
	"cert-manager.io\x00ClusterIssuer":          true,
	"argoproj.io\x00ClusterAnalysisTemplate":    true,
	"external-secrets.io\x00ClusterSecretStore": true,
	"gateway.networking.k8s.io\x00GatewayClass": true,
	"keda.sh\x00ClusterTriggerAuthentication":   true,
}

// Needed reports whether objects of group and kind may be needed by
// others (Of may name them), so that callers look for users of those only.
func Needed(group, kind string) bool { return needed[group+"\x00"+kind] }

var needed = map[string]bool{
	"\x00ConfigMap":                             true,
	"\x00Secret":                                true,
	"\x00ServiceAccount":                        true,
	"\x00Service":                               true,
	"scheduling.k8s.io\x00PriorityClass":        true,
	"node.k8s.io\x00RuntimeClass":               true,
	"rbac.authorization.k8s.io\x00Role":         true,
	"rbac.authorization.k8s.io\x00ClusterRole":  true,
	"networking.k8s.io\x00IngressClass":         true,
	"storage.k8s.io\x00StorageClass":            true,
	"apps\x00Deployment":                        true,
	"apps\x00StatefulSet":                       true,
	"apps\x00ReplicaSet":                        true,
	"\x00ReplicationController":                 true,
	"gateway.networking.k8s.io\x00Gateway":      true,
	"cert-manager.io\x00Issuer":                 true,
	"cert-manager.io\x00ClusterIssuer":          true,
	sourceGroup + "\x00GitRepository":           true,
	sourceGroup + "\x00OCIRepository":           true,
	sourceGroup + "\x00Bucket":                  true,
	sourceGroup + "\x00HelmRepository":          true,
	sourceGroup + "\x00HelmChart":               true,
	sourceGroup + "\x00ExternalArtifact":        true,
	kustomizeGroup + "\x00Kustomization":        true,
	helmGroup + "\x00HelmRelease":               true,
	notificationGroup + "\x00Provider":          true,
	"argoproj.io\x00AnalysisTemplate":           true,
	"argoproj.io\x00ClusterAnalysisTemplate":    true,
	"external-secrets.io\x00SecretStore":        true,
	"external-secrets.io\x00ClusterSecretStore": true,
	"gateway.networking.k8s.io\x00GatewayClass": true,
	"apps\x00DaemonSet":                         true,
	"autoscaling\x00HorizontalPodAutoscaler":    true,
	"networking.k8s.io\x00Ingress":              true,
	"flagger.app\x00MetricTemplate":             true,
	"flagger.app\x00AlertProvider":              true,
	"keda.sh\x00ScaledObject":                   true,
	"keda.sh\x00TriggerAuthentication":          true,
	"keda.sh\x00ClusterTriggerAuthentication":   true,
	imageGroup + "\x00ImageRepository":          true,
}

// Flux's API groups.
const (
	sourceGroup       = "source.toolkit.fluxcd.io"
	kustomizeGroup    = "kustomize.toolkit.fluxcd.io"
	helmGroup         = "helm.toolkit.fluxcd.io"
	notificationGroup = "notification.toolkit.fluxcd.io"
	imageGroup        = "image.toolkit.fluxcd.io"
)

// The namespaces where the controllers of cluster-scoped objects read the
// Secrets those name, when installed as their documentation does: the
// namespace cert-manager's --cluster-resource-namespace defaults to (the
// controller's own) for a ClusterIssuer, and KEDA's
// KEDA_CLUSTER_OBJECT_NAMESPACE (the operator's own) for a
// ClusterTriggerAuthentication. Installed elsewhere, the Secrets they
// read there are not looked for: a warning is missed, rather than every
// ClusterIssuer's Secret guessed in every namespace.
const (
	certManagerNamespace = "cert-manager"
	kedaNamespace        = "keda"
)

// What breaks, by how the object is named.
const (
	podStart   = "pods created after the promotion (a rollout, a restart, a rescheduled pod) cannot start, as a container whose volume or environment needs it does not"
	podPull    = "pods created after the promotion (a rollout, a restart, a rescheduled pod) cannot pull images from the registry it holds credentials for"
	podRefused = "the API server refuses to create pods that name it, so pods created after the promotion (a rollout, a restart, a rescheduled pod) fail"
	webhook    = "the API server cannot call the webhook, and under failurePolicy Fail (the default) refuses every request the webhook matches"
	webhookIgn = "the API server cannot call the webhook and skips it (failurePolicy Ignore)"
	apiService = "the API it serves becomes unavailable, which also stalls the deletion of namespaces"
	conversion = "the API server cannot convert the custom resources between versions, so reading or writing them in another version fails"
	binding    = "the binding grants nothing, so its subjects lose what the role allowed them"
	ingress    = "requests the Ingress routes to it fail"
	route      = "requests the route sends to it fail (its share of them, when the rule splits traffic)"
	mirror     = "the route no longer mirrors requests to it"
	parent     = "the route is attached to no Gateway, so none of its requests reach its backends"
	gatewayTLS = "the Gateway's listener has no certificate, so TLS connections to it fail"
	ingressTLS = "the ingress controller serves its default certificate for the Ingress's TLS hosts instead, which clients reject"
	ingClass   = "the ingress controller no longer serves the Ingress (ingress-nginx, for one, drops an Ingress whose class is gone), so requests to its hosts are not routed"
	stsService = "the StatefulSet's pods lose their DNS names (pod-0.<service>), by which peers and clients reach each of them"
	hpaTarget  = "the HorizontalPodAutoscaler finds nothing to scale and stops working"
	claimClass = "a claim not yet bound (a new cluster, the claim made again) stays Pending, as nothing provisions its volume, and bound claims can no longer be expanded"
	stsClass   = "the claims the StatefulSet makes for new pods (a scale-up, a new cluster) stay Pending, and so do those pods"
	issuer     = "cert-manager can neither issue nor renew the certificate, so it expires at the end of its term"
	shimIssuer = "cert-manager can neither issue nor renew the certificate it makes for the %s's TLS, so it expires at the end of its term"

	ksSource    = "the Kustomization finds no source and stops reconciling: nothing it holds is applied, corrected or pruned"
	hrChart     = "the HelmRelease finds no chart and stops reconciling: no upgrade, rollback or drift correction"
	chartSrc    = "the HelmChart finds no source, so the HelmReleases built from it get no new chart"
	hrValues    = "the HelmRelease cannot compose its values and stops reconciling: no upgrade or drift correction"
	substitute  = "the Kustomization's post-build substitution fails, so it stops applying"
	kubeConfig  = "the controller cannot reach the remote cluster the object deploys to, so nothing is applied there"
	decrypt     = "the Kustomization cannot decrypt its SOPS-encrypted files, so it stops applying"
	impersonate = "the controller cannot act as the ServiceAccount, so the object stops reconciling"
	dependency  = "the object waits for a dependency that no longer exists and stops reconciling"
	sourceAuth  = "source-controller cannot fetch from the repository (the credentials, CA certificate, proxy or signature keys it held are gone), so what uses the source gets no new revision"
	alertProv   = "the Alert sends no notifications"
	provSecret  = "the Provider cannot reach or authenticate to its service, so the alerts sent through it are lost"
	recvSecret  = "the Receiver cannot check webhook calls, so pushes no longer trigger reconciliation"
	secretStore = "the ExternalSecret stops syncing: its Secret keeps its last values (a rotated credential is not picked up) and is not made again if deleted"
	rollout     = "Argo Rollouts marks the Rollout invalid (InvalidSpec) and stops reconciling it: no update of it rolls out"
	storeAuth   = "the store cannot authenticate to its provider, so the ExternalSecrets that use it stop syncing: their Secrets keep their last values (a rotated credential is not picked up) and are not made again if deleted"
	issuerAuth  = "cert-manager can neither issue nor renew the issuer's certificates (it held the CA's key pair, or the credentials for the DNS provider, the ACME account binding or Vault), so they expire at the end of their term"
	gwClass     = "the Gateway's class is deleted: an implementation that does not hold it with a finalizer stops serving the Gateway, and on a new cluster none accepts it, so requests to its listeners are not routed"
	saPull      = "pods created after the promotion (a rollout, a restart, a rescheduled pod) that run as the ServiceAccount cannot pull images from the registry it holds credentials for"

	canaryTarget = "Flagger stops advancing the Canary: no new version is analysed and promoted, and the primary keeps running the last one"
	canaryMetric = "the Canary's analysis fails that metric on every run, so Flagger rolls each new version back"
	canaryAlert  = "Flagger sends none of the Canary's alerts through that provider"
	flaggerCreds = "Flagger cannot authenticate to the service (the metrics provider of a MetricTemplate, the chat of an AlertProvider), so the Canaries' analyses using it fail or their alerts are lost"

	kedaTarget = "KEDA finds nothing to scale: the ScaledObject stops scaling the workload"
	kedaAuth   = "KEDA cannot authenticate the trigger's scaler, so it stops scaling the workload on that trigger"
	kedaSecret = "KEDA cannot read the credentials the TriggerAuthentication passes on, so the scalers that use it stop scaling their workloads"

	imagePolicy = "the ImagePolicy finds no scanned tags, so image automation stops updating the image it selects"
	imageRepo   = "image-reflector-controller cannot scan the registry (the credentials, CA certificate or proxy it held are gone), so the ImagePolicies that use it see no new tags"
	imageSource = "the ImageUpdateAutomation finds no Git repository to push to (or cannot sign its commits), so no image update reaches Git"

	promConfig = "the Prometheus Operator cannot build the Prometheus configuration and stops reconciling it: new scrape targets, rules and settings are not picked up"
	promAlerts = "Prometheus finds no Alertmanager behind it, so the alerts it fires are not delivered"
)

// podSpecs is where each workload kind keeps its pod spec, by API group
// and kind: Pod itself, and the kinds whose controllers create pods from it.
var podSpecs = map[string][]string{
	"\x00Pod":                   {"spec"},
	"\x00PodTemplate":           {"template", "spec"},
	"\x00ReplicationController": {"spec", "template", "spec"},
	"apps\x00Deployment":        {"spec", "template", "spec"},
	"apps\x00ReplicaSet":        {"spec", "template", "spec"},
	"apps\x00DaemonSet":         {"spec", "template", "spec"},
	"apps\x00StatefulSet":       {"spec", "template", "spec"},
	"batch\x00Job":              {"spec", "template", "spec"},
	"batch\x00CronJob":          {"spec", "jobTemplate", "spec", "template", "spec"},
	"argoproj.io\x00Rollout":    {"spec", "template", "spec"},
	"keda.sh\x00ScaledJob":      {"spec", "jobTargetRef", "template", "spec"},
}

// Reads reports whether Of reads objects of group and kind (may find
// that they need something), so that callers parse only those.
func Reads(group, kind string) bool {
	_, pod := podSpecs[group+"\x00"+kind]
	return pod || readers[group+"\x00"+kind]
}

var readers = map[string]bool{
	"admissionregistration.k8s.io\x00ValidatingWebhookConfiguration": true,
	"admissionregistration.k8s.io\x00MutatingWebhookConfiguration":   true,
	"apiextensions.k8s.io\x00CustomResourceDefinition":               true,
	"apiregistration.k8s.io\x00APIService":                           true,
	"rbac.authorization.k8s.io\x00RoleBinding":                       true,
	"rbac.authorization.k8s.io\x00ClusterRoleBinding":                true,
	"networking.k8s.io\x00Ingress":                                   true,
	"gateway.networking.k8s.io\x00HTTPRoute":                         true,
	"gateway.networking.k8s.io\x00GRPCRoute":                         true,
	"gateway.networking.k8s.io\x00TLSRoute":                          true,
	"gateway.networking.k8s.io\x00TCPRoute":                          true,
	"gateway.networking.k8s.io\x00UDPRoute":                          true,
	"gateway.networking.k8s.io\x00Gateway":                           true,
	"autoscaling\x00HorizontalPodAutoscaler":                         true,
	"\x00PersistentVolumeClaim":                                      true,
	"cert-manager.io\x00Certificate":                                 true,
	kustomizeGroup + "\x00Kustomization":                             true,
	helmGroup + "\x00HelmRelease":                                    true,
	sourceGroup + "\x00GitRepository":                                true,
	sourceGroup + "\x00OCIRepository":                                true,
	sourceGroup + "\x00Bucket":                                       true,
	sourceGroup + "\x00HelmRepository":                               true,
	sourceGroup + "\x00HelmChart":                                    true,
	notificationGroup + "\x00Alert":                                  true,
	notificationGroup + "\x00Provider":                               true,
	notificationGroup + "\x00Receiver":                               true,
	"external-secrets.io\x00ExternalSecret":                          true,
	"external-secrets.io\x00SecretStore":                             true,
	"external-secrets.io\x00ClusterSecretStore":                      true,
	"cert-manager.io\x00Issuer":                                      true,
	"cert-manager.io\x00ClusterIssuer":                               true,
	"\x00ServiceAccount":                                             true,
	"flagger.app\x00Canary":                                          true,
	"flagger.app\x00MetricTemplate":                                  true,
	"flagger.app\x00AlertProvider":                                   true,
	"keda.sh\x00ScaledObject":                                        true,
	"keda.sh\x00TriggerAuthentication":                               true,
	"keda.sh\x00ClusterTriggerAuthentication":                        true,
	imageGroup + "\x00ImagePolicy":                                   true,
	imageGroup + "\x00ImageRepository":                               true,
	imageGroup + "\x00ImageUpdateAutomation":                         true,
	"monitoring.coreos.com\x00Prometheus":                            true,
	"monitoring.coreos.com\x00Alertmanager":                          true,
}

func groupOf(apiVersion string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return "" // the core group: "v1"
	}
	return group
}

// Of returns what obj needs, in field order. A pod's reference marked
// `optional: true` is left out (the pod starts without it), and so is the
// ServiceAccount "default", which Kubernetes makes in every namespace and
// makes again when it is deleted.
func Of(obj *kyaml.Node) []Ref {
	if obj == nil || obj.Kind != kyaml.MappingNode {
		return nil
	}
	group, kind := groupOf(scalar(obj, "apiVersion")), scalar(obj, "kind")
	w := walker{ns: scalar(lookup(obj, "metadata"), "namespace")}
	if path, ok := podSpecs[group+"\x00"+kind]; ok {
		w.pod(lookup(obj, path...), strings.Join(path, "."))
		if kind == "StatefulSet" {
			w.local("", "Service", scalar(lookup(obj, "spec"), "serviceName"), "spec.serviceName", stsService)
			for i, t := range items(lookup(obj, "spec"), "volumeClaimTemplates") {
				w.cluster("storage.k8s.io", "StorageClass", scalar(lookup(t, "spec"), "storageClassName"), fmt.Sprintf("spec.volumeClaimTemplates[%d].spec.storageClassName", i), stsClass)
			}
		}
		if kind == "Rollout" {
			w.rollout(lookup(obj, "spec"))
		}
		if kind == "ScaledJob" {
			w.kedaTriggers(lookup(obj, "spec"))
		}
		return w.refs
	}
	spec := lookup(obj, "spec")
	switch group + "\x00" + kind {
	case "admissionregistration.k8s.io\x00ValidatingWebhookConfiguration", "admissionregistration.k8s.io\x00MutatingWebhookConfiguration":
		for i, h := range items(obj, "webhooks") {
			effect := webhook
			if scalar(h, "failurePolicy") == "Ignore" {
				effect = webhookIgn
			}
			w.service(lookup(h, "clientConfig", "service"), fmt.Sprintf("webhooks[%d].clientConfig.service", i), effect)
		}
	case "apiextensions.k8s.io\x00CustomResourceDefinition":
		w.service(lookup(obj, "spec", "conversion", "webhook", "clientConfig", "service"), "spec.conversion.webhook.clientConfig.service", conversion)
	case "apiregistration.k8s.io\x00APIService":
		w.service(lookup(obj, "spec", "service"), "spec.service", apiService)
	case "rbac.authorization.k8s.io\x00RoleBinding", "rbac.authorization.k8s.io\x00ClusterRoleBinding":
		ref := lookup(obj, "roleRef")
		ns := ""
		switch rk := scalar(ref, "kind"); {
		case rk == "Role" && kind == "RoleBinding":
			ns = w.ns
		case rk != "ClusterRole":
			return nil
		}
		if g := scalar(ref, "apiGroup"); g == "rbac.authorization.k8s.io" {
			w.add(Ref{Group: g, Kind: scalar(ref, "kind"), Namespace: ns, Name: scalar(ref, "name"), Field: "roleRef.name", Effect: binding})
		}
	case "networking.k8s.io\x00Ingress":
		w.cluster("networking.k8s.io", "IngressClass", scalar(spec, "ingressClassName"), "spec.ingressClassName", ingClass)
		w.backend(lookup(spec, "defaultBackend"), "spec.defaultBackend")
		for i, r := range items(spec, "rules") {
			for j, p := range items(lookup(r, "http"), "paths") {
				w.backend(lookup(p, "backend"), fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, j))
			}
		}
		// cert-manager's ingress-shim makes and renews the TLS Secrets of
		// an Ingress annotated with an issuer, so those are its to make
		// again; the issuer is what the Ingress needs then.
		shim := w.shimIssuer(lookup(obj, "metadata", "annotations"), kind)
		for i, t := range items(spec, "tls") {
			if !shim {
				w.local("", "Secret", scalar(t, "secretName"), fmt.Sprintf("spec.tls[%d].secretName", i), ingressTLS)
			}
		}
	case "gateway.networking.k8s.io\x00HTTPRoute", "gateway.networking.k8s.io\x00GRPCRoute", "gateway.networking.k8s.io\x00TLSRoute",
		"gateway.networking.k8s.io\x00TCPRoute", "gateway.networking.k8s.io\x00UDPRoute":
		for i, p := range items(spec, "parentRefs") {
			if g := scalar(p, "group"); (g != "" && g != "gateway.networking.k8s.io") || (scalar(p, "kind") != "" && scalar(p, "kind") != "Gateway") {
				continue // a Service (GAMMA's mesh routes) or another kind's parent
			}
			w.add(Ref{Group: "gateway.networking.k8s.io", Kind: "Gateway", Namespace: w.nsOr(scalar(p, "namespace")), Name: scalar(p, "name"), Field: fmt.Sprintf("spec.parentRefs[%d].name", i), Effect: parent})
		}
		for i, r := range items(spec, "rules") {
			rule := fmt.Sprintf("spec.rules[%d]", i)
			for j, b := range items(r, "backendRefs") {
				ref := fmt.Sprintf("%s.backendRefs[%d]", rule, j)
				w.backendRef(b, ref, route)
				w.mirrors(b, ref)
			}
			w.mirrors(r, rule)
		}
	case "gateway.networking.k8s.io\x00Gateway":
		w.cluster("gateway.networking.k8s.io", "GatewayClass", scalar(spec, "gatewayClassName"), "spec.gatewayClassName", gwClass)
		if w.shimIssuer(lookup(obj, "metadata", "annotations"), kind) {
			break // cert-manager's gateway-shim makes the listeners' Secrets
		}
		for i, l := range items(spec, "listeners") {
			for j, c := range items(lookup(l, "tls"), "certificateRefs") {
				if scalar(c, "group") != "" || (scalar(c, "kind") != "" && scalar(c, "kind") != "Secret") {
					continue
				}
				w.add(Ref{Kind: "Secret", Namespace: w.nsOr(scalar(c, "namespace")), Name: scalar(c, "name"), Field: fmt.Sprintf("spec.listeners[%d].tls.certificateRefs[%d].name", i, j), Effect: gatewayTLS})
			}
		}
	case "autoscaling\x00HorizontalPodAutoscaler":
		t := lookup(spec, "scaleTargetRef")
		// The kinds with a scale subresource Kubernetes serves; a custom
		// resource's (an Argo Rollout) is left out.
		switch g, tk := groupOf(scalar(t, "apiVersion")), scalar(t, "kind"); g + "\x00" + tk {
		case "apps\x00Deployment", "apps\x00StatefulSet", "apps\x00ReplicaSet", "\x00ReplicationController":
			w.local(g, tk, scalar(t, "name"), "spec.scaleTargetRef.name", hpaTarget)
		}
	case "\x00PersistentVolumeClaim":
		w.cluster("storage.k8s.io", "StorageClass", scalar(spec, "storageClassName"), "spec.storageClassName", claimClass)
	case "cert-manager.io\x00Certificate":
		ref := lookup(spec, "issuerRef")
		if g := scalar(ref, "group"); g != "" && g != "cert-manager.io" {
			break // an external issuer's kind
		}
		switch scalar(ref, "kind") {
		case "", "Issuer":
			w.local("cert-manager.io", "Issuer", scalar(ref, "name"), "spec.issuerRef.name", issuer)
		case "ClusterIssuer":
			w.cluster("cert-manager.io", "ClusterIssuer", scalar(ref, "name"), "spec.issuerRef.name", issuer)
		}
	case kustomizeGroup + "\x00Kustomization":
		w.fluxRef(lookup(spec, "sourceRef"), "spec.sourceRef", sourceGroup, ksSource, "OCIRepository", "GitRepository", "Bucket", "ExternalArtifact")
		w.local("", "Secret", scalar(lookup(spec, "decryption", "secretRef"), "name"), "spec.decryption.secretRef.name", decrypt)
		for i, s := range items(lookup(spec, "postBuild"), "substituteFrom") {
			w.valuesRef(s, fmt.Sprintf("spec.postBuild.substituteFrom[%d]", i), substitute)
		}
		w.reconciler(spec, kustomizeGroup, "Kustomization")
	case helmGroup + "\x00HelmRelease":
		w.fluxRef(lookup(spec, "chart", "spec", "sourceRef"), "spec.chart.spec.sourceRef", sourceGroup, hrChart, "HelmRepository", "GitRepository", "Bucket")
		w.fluxRef(lookup(spec, "chartRef"), "spec.chartRef", sourceGroup, hrChart, "OCIRepository", "HelmChart", "ExternalArtifact")
		for i, v := range items(spec, "valuesFrom") {
			w.valuesRef(v, fmt.Sprintf("spec.valuesFrom[%d]", i), hrValues)
		}
		w.reconciler(spec, helmGroup, "HelmRelease")
	case sourceGroup + "\x00GitRepository", sourceGroup + "\x00OCIRepository", sourceGroup + "\x00Bucket", sourceGroup + "\x00HelmRepository", sourceGroup + "\x00HelmChart":
		if kind == "HelmChart" {
			// The reference has no namespace field: fluxRef's default.
			w.fluxRef(lookup(spec, "sourceRef"), "spec.sourceRef", sourceGroup, chartSrc, "HelmRepository", "GitRepository", "Bucket")
		}
		for _, f := range [][]string{{"secretRef"}, {"certSecretRef"}, {"proxySecretRef"}, {"verify", "secretRef"}, {"sts", "secretRef"}, {"sts", "certSecretRef"}} {
			w.local("", "Secret", scalar(lookup(spec, f...), "name"), "spec."+strings.Join(f, ".")+".name", sourceAuth)
		}
		if kind == "OCIRepository" {
			// Its image pull secrets: read whatever the provider.
			w.serviceAccount(scalar(spec, "serviceAccountName"), "spec.serviceAccountName", sourceAuth)
		}
	case "external-secrets.io\x00ExternalSecret":
		w.store(lookup(spec, "secretStoreRef"), "spec.secretStoreRef")
		for _, list := range []string{"data", "dataFrom"} {
			for i, d := range items(spec, list) {
				w.store(lookup(d, "sourceRef", "storeRef"), fmt.Sprintf("spec.%s[%d].sourceRef.storeRef", list, i))
			}
		}
	case notificationGroup + "\x00Alert":
		w.local(notificationGroup, "Provider", scalar(lookup(spec, "providerRef"), "name"), "spec.providerRef.name", alertProv)
	case notificationGroup + "\x00Provider":
		for _, f := range []string{"secretRef", "certSecretRef", "proxySecretRef"} {
			w.local("", "Secret", scalar(lookup(spec, f), "name"), "spec."+f+".name", provSecret)
		}
	case notificationGroup + "\x00Receiver":
		w.local("", "Secret", scalar(lookup(spec, "secretRef"), "name"), "spec.secretRef.name", recvSecret)
	case "\x00ServiceAccount":
		// The API server gives them to each pod that runs as it.
		for i, s := range items(obj, "imagePullSecrets") {
			w.local("", "Secret", scalar(s, "name"), fmt.Sprintf("imagePullSecrets[%d].name", i), saPull)
		}
	case "cert-manager.io\x00Issuer", "cert-manager.io\x00ClusterIssuer":
		w.issuer(spec, kind == "ClusterIssuer")
	case "external-secrets.io\x00SecretStore", "external-secrets.io\x00ClusterSecretStore":
		// A SecretStore reads its own namespace's; a ClusterSecretStore
		// the one a reference names, or else the namespace of each
		// ExternalSecret that uses it: none to look for then.
		ns := func(ref *kyaml.Node) string {
			if kind == "SecretStore" {
				return w.ns
			}
			return scalar(ref, "namespace")
		}
		for _, p := range []string{"aws", "vault", "gcpsm", "azurekv"} {
			w.credentials(lookup(spec, "provider", p), "spec.provider."+p, ns, storeAuth, false)
		}
	case "monitoring.coreos.com\x00Prometheus", "monitoring.coreos.com\x00Alertmanager":
		w.operatorPods(spec)
		if kind == "Prometheus" {
			for _, f := range []string{"additionalScrapeConfigs", "additionalAlertRelabelConfigs", "additionalAlertManagerConfigs"} {
				if ref := lookup(spec, f); !isTrue(ref, "optional") {
					w.local("", "Secret", scalar(ref, "name"), "spec."+f+".name", promConfig)
				}
			}
			for i, am := range items(lookup(spec, "alerting"), "alertmanagers") {
				w.add(Ref{Kind: "Service", Namespace: w.nsOr(scalar(am, "namespace")), Name: scalar(am, "name"), Field: fmt.Sprintf("spec.alerting.alertmanagers[%d].name", i), Effect: promAlerts})
			}
		}
	case "flagger.app\x00Canary":
		w.canary(spec)
	case "flagger.app\x00MetricTemplate":
		w.local("", "Secret", scalar(lookup(spec, "provider", "secretRef"), "name"), "spec.provider.secretRef.name", flaggerCreds)
	case "flagger.app\x00AlertProvider":
		w.local("", "Secret", scalar(lookup(spec, "secretRef"), "name"), "spec.secretRef.name", flaggerCreds)
	case "keda.sh\x00ScaledObject":
		t := lookup(spec, "scaleTargetRef")
		// KEDA's defaults, each on its own (apis/keda/v1alpha1/gvkr.go).
		av, tk := scalar(t, "apiVersion"), scalar(t, "kind")
		if av == "" {
			av = "apps/v1"
		}
		if tk == "" {
			tk = "Deployment"
		}
		// The kinds Needed has; KEDA scales any with a scale subresource.
		switch g := groupOf(av); g + "\x00" + tk {
		case "apps\x00Deployment", "apps\x00StatefulSet":
			w.local(g, tk, scalar(t, "name"), "spec.scaleTargetRef.name", kedaTarget)
		}
		w.kedaTriggers(spec)
	case "keda.sh\x00TriggerAuthentication", "keda.sh\x00ClusterTriggerAuthentication":
		ns := w.ns
		if kind == "ClusterTriggerAuthentication" {
			ns = kedaNamespace
		}
		for _, f := range []struct{ list, kind string }{{"secretTargetRef", "Secret"}, {"configMapTargetRef", "ConfigMap"}} {
			for i, r := range items(spec, f.list) {
				w.add(Ref{Kind: f.kind, Namespace: ns, Name: scalar(r, "name"), Field: fmt.Sprintf("spec.%s[%d].name", f.list, i), Effect: kedaSecret})
			}
		}
	case imageGroup + "\x00ImagePolicy":
		ref := lookup(spec, "imageRepositoryRef")
		w.add(Ref{Group: imageGroup, Kind: "ImageRepository", Namespace: w.nsOr(scalar(ref, "namespace")), Name: scalar(ref, "name"), Field: "spec.imageRepositoryRef.name", Effect: imagePolicy})
	case imageGroup + "\x00ImageRepository":
		for _, f := range []string{"secretRef", "certSecretRef", "proxySecretRef"} {
			w.local("", "Secret", scalar(lookup(spec, f), "name"), "spec."+f+".name", imageRepo)
		}
		w.serviceAccount(scalar(spec, "serviceAccountName"), "spec.serviceAccountName", imageRepo)
	case imageGroup + "\x00ImageUpdateAutomation":
		ref := lookup(spec, "sourceRef")
		if scalar(ref, "kind") == "" {
			// The CRD's default, which a server-side apply fills in.
			w.add(Ref{Group: sourceGroup, Kind: "GitRepository", Namespace: w.nsOr(scalar(ref, "namespace")), Name: scalar(ref, "name"), Field: "spec.sourceRef.name", Effect: imageSource})
		} else {
			w.fluxRef(ref, "spec.sourceRef", sourceGroup, imageSource, "GitRepository")
		}
		w.local("", "Secret", scalar(lookup(spec, "git", "commit", "signingKey", "secretRef"), "name"), "spec.git.commit.signingKey.secretRef.name", imageSource)
	}
	return w.refs
}

// operatorPods adds what the pods the Prometheus Operator makes for a
// Prometheus or an Alertmanager (its StatefulSet's pod template) need:
// their ServiceAccount, PriorityClass and image pull Secrets, and the
// Secrets and ConfigMaps listed to be mounted in them.
func (w *walker) operatorPods(spec *kyaml.Node) {
	if sa := scalar(spec, "serviceAccountName"); sa != "default" {
		w.local("", "ServiceAccount", sa, "spec.serviceAccountName", podRefused)
	}
	w.cluster("scheduling.k8s.io", "PriorityClass", scalar(spec, "priorityClassName"), "spec.priorityClassName", podRefused)
	for i, s := range items(spec, "imagePullSecrets") {
		w.local("", "Secret", scalar(s, "name"), fmt.Sprintf("spec.imagePullSecrets[%d].name", i), podPull)
	}
	for _, f := range []struct{ list, kind string }{{"secrets", "Secret"}, {"configMaps", "ConfigMap"}} {
		for i, n := range items(spec, f.list) {
			if n.Kind == kyaml.ScalarNode && n.Tag != "!!null" {
				w.local("", f.kind, n.Value, fmt.Sprintf("spec.%s[%d]", f.list, i), podStart)
			}
		}
	}
}

// issuer adds the Secrets and ServiceAccounts a cert-manager Issuer or
// ClusterIssuer authenticates with: a CA's key pair, a DNS-01 solver's
// provider credentials, an ACME external account binding's key, Vault's
// and Venafi's credentials. The ACME account key (privateKeySecretRef)
// is left out: cert-manager makes it, and registers a new account
// without it. A ClusterIssuer's are in cert-manager's cluster resource
// namespace.
func (w *walker) issuer(spec *kyaml.Node, cluster bool) {
	ns := w.ns
	if cluster {
		ns = certManagerNamespace
	}
	at := func(*kyaml.Node) string { return ns }
	w.add(Ref{Kind: "Secret", Namespace: ns, Name: scalar(lookup(spec, "ca"), "secretName"), Field: "spec.ca.secretName", Effect: issuerAuth})
	acme := lookup(spec, "acme")
	w.credentials(lookup(acme, "externalAccountBinding"), "spec.acme.externalAccountBinding", at, issuerAuth, false)
	for i, s := range items(acme, "solvers") {
		dns := lookup(s, "dns01")
		if dns == nil || dns.Kind != kyaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(dns.Content); j += 2 {
			// A webhook solver's config is the webhook's own: no
			// reference cert-manager reads.
			if p := dns.Content[j].Value; p != "webhook" {
				w.credentials(dns.Content[j+1], fmt.Sprintf("spec.acme.solvers[%d].dns01.%s", i, p), at, issuerAuth, false)
			}
		}
	}
	w.credentials(lookup(spec, "vault"), "spec.vault", at, issuerAuth, false)
	venafi := lookup(spec, "venafi")
	w.add(Ref{Kind: "Secret", Namespace: ns, Name: scalar(lookup(venafi, "tpp", "credentialsRef"), "name"), Field: "spec.venafi.tpp.credentialsRef.name", Effect: issuerAuth})
	w.credentials(lookup(venafi, "cloud"), "spec.venafi.cloud", at, issuerAuth, false)
}

// credentials adds, in field order, the Secret each field under n named
// ...SecretRef or secretRef names (or, inside one that names none, each
// of its fields that does: External Secrets' auth.secretRef and
// authSecretRef), the ServiceAccount each serviceAccountRef names and the
// Secret or ConfigMap a caProvider names, in the namespace ns gives for
// the reference, none when "".
func (w *walker) credentials(n *kyaml.Node, field string, ns func(ref *kyaml.Node) string, effect string, inRef bool) {
	if n == nil || n.Kind != kyaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		if v.Kind != kyaml.MappingNode {
			continue
		}
		at := field + "." + k
		isRef := strings.HasSuffix(strings.ToLower(k), "secretref")
		kind := ""
		switch {
		case scalar(v, "name") == "":
		case isRef || inRef:
			kind = "Secret"
		case k == "serviceAccountRef":
			kind = "ServiceAccount"
		case k == "caProvider" && (scalar(v, "type") == "Secret" || scalar(v, "type") == "ConfigMap"):
			kind = scalar(v, "type")
		}
		if kind != "" {
			if refNS := ns(v); refNS != "" {
				w.add(Ref{Kind: kind, Namespace: refNS, Name: scalar(v, "name"), Field: at + ".name", Effect: effect})
			}
			continue
		}
		w.credentials(v, at, ns, effect, isRef)
	}
}

// canary adds what Flagger looks up for a Canary: the workload it
// promotes, the autoscaler and Ingress it copies for the primary, the
// metric templates its analysis queries and the alert providers it
// notifies; a reference's namespace defaults to the Canary's.
func (w *walker) canary(spec *kyaml.Node) {
	t := lookup(spec, "targetRef")
	switch g, k := groupOf(scalar(t, "apiVersion")), scalar(t, "kind"); g + "\x00" + k {
	case "apps\x00Deployment", "apps\x00DaemonSet":
		w.local(g, k, scalar(t, "name"), "spec.targetRef.name", canaryTarget)
	}
	a := lookup(spec, "autoscalerRef")
	switch g, k := groupOf(scalar(a, "apiVersion")), scalar(a, "kind"); g + "\x00" + k {
	case "autoscaling\x00HorizontalPodAutoscaler", "keda.sh\x00ScaledObject":
		w.local(g, k, scalar(a, "name"), "spec.autoscalerRef.name", canaryTarget)
	}
	if i := lookup(spec, "ingressRef"); groupOf(scalar(i, "apiVersion")) == "networking.k8s.io" && scalar(i, "kind") == "Ingress" {
		w.local("networking.k8s.io", "Ingress", scalar(i, "name"), "spec.ingressRef.name", canaryTarget)
	}
	analysis := lookup(spec, "analysis")
	for i, m := range items(analysis, "metrics") {
		ref := lookup(m, "templateRef")
		w.add(Ref{Group: "flagger.app", Kind: "MetricTemplate", Namespace: w.nsOr(scalar(ref, "namespace")), Name: scalar(ref, "name"), Field: fmt.Sprintf("spec.analysis.metrics[%d].templateRef.name", i), Effect: canaryMetric})
	}
	for i, al := range items(analysis, "alerts") {
		ref := lookup(al, "providerRef")
		w.add(Ref{Group: "flagger.app", Kind: "AlertProvider", Namespace: w.nsOr(scalar(ref, "namespace")), Name: scalar(ref, "name"), Field: fmt.Sprintf("spec.analysis.alerts[%d].providerRef.name", i), Effect: canaryAlert})
	}
}

// kedaTriggers adds the TriggerAuthentication (the default kind, in the
// object's namespace) or ClusterTriggerAuthentication each trigger of a
// ScaledObject or ScaledJob authenticates with.
func (w *walker) kedaTriggers(spec *kyaml.Node) {
	for i, t := range items(spec, "triggers") {
		ref, at := lookup(t, "authenticationRef"), fmt.Sprintf("spec.triggers[%d].authenticationRef.name", i)
		switch scalar(ref, "kind") {
		case "", "TriggerAuthentication":
			w.local("keda.sh", "TriggerAuthentication", scalar(ref, "name"), at, kedaAuth)
		case "ClusterTriggerAuthentication":
			w.cluster("keda.sh", "ClusterTriggerAuthentication", scalar(ref, "name"), at, kedaAuth)
		}
	}
}

// rollout adds what an Argo Rollout's controller looks up before it
// reconciles the Rollout (rollout/controller.go's
// getRolloutReferencedResources): the Services its strategy switches, the
// analysis templates its steps run, and the Deployment whose pod template
// it takes.
func (w *walker) rollout(spec *kyaml.Node) {
	if ref := lookup(spec, "workloadRef"); groupOf(scalar(ref, "apiVersion")) == "apps" && scalar(ref, "kind") == "Deployment" {
		w.local("apps", "Deployment", scalar(ref, "name"), "spec.workloadRef.name", rollout)
	}
	strategy := lookup(spec, "strategy")
	templates := func(analysis *kyaml.Node, field string) {
		for i, t := range items(analysis, "templates") {
			at := fmt.Sprintf("%s.templates[%d].templateName", field, i)
			if isTrue(t, "clusterScope") {
				w.cluster("argoproj.io", "ClusterAnalysisTemplate", scalar(t, "templateName"), at, rollout)
			} else {
				w.local("argoproj.io", "AnalysisTemplate", scalar(t, "templateName"), at, rollout)
			}
		}
	}
	if bg := lookup(strategy, "blueGreen"); bg != nil {
		for _, f := range []string{"activeService", "previewService"} {
			w.local("", "Service", scalar(bg, f), "spec.strategy.blueGreen."+f, rollout)
		}
		for _, f := range []string{"prePromotionAnalysis", "postPromotionAnalysis"} {
			templates(lookup(bg, f), "spec.strategy.blueGreen."+f)
		}
		return
	}
	canary := lookup(strategy, "canary")
	for _, f := range []string{"stableService", "canaryService"} {
		w.local("", "Service", scalar(canary, f), "spec.strategy.canary."+f, rollout)
	}
	for _, f := range []string{"pingService", "pongService"} {
		w.local("", "Service", scalar(lookup(canary, "pingPong"), f), "spec.strategy.canary.pingPong."+f, rollout)
	}
	templates(lookup(canary, "analysis"), "spec.strategy.canary.analysis")
	for i, st := range items(canary, "steps") {
		templates(lookup(st, "analysis"), fmt.Sprintf("spec.strategy.canary.steps[%d].analysis", i))
	}
}

// store adds the SecretStore (the default kind, in the ExternalSecret's
// namespace) or ClusterSecretStore an External Secrets store reference
// names.
func (w *walker) store(ref *kyaml.Node, field string) {
	switch scalar(ref, "kind") {
	case "", "SecretStore":
		w.local("external-secrets.io", "SecretStore", scalar(ref, "name"), field+".name", secretStore)
	case "ClusterSecretStore":
		w.cluster("external-secrets.io", "ClusterSecretStore", scalar(ref, "name"), field+".name", secretStore)
	}
}

// local adds the object of group and kind named name in the object's
// namespace.
func (w *walker) local(group, kind, name, field, effect string) {
	w.add(Ref{Group: group, Kind: kind, Namespace: w.ns, Name: name, Field: field, Effect: effect})
}

// cluster adds the cluster-scoped object of group and kind named name.
func (w *walker) cluster(group, kind, name, field, effect string) {
	w.add(Ref{Group: group, Kind: kind, Name: name, Field: field, Effect: effect})
}

// nsOr is ns, or the object's namespace when ns is "": a reference's
// namespace defaults to that of the object that holds it.
func (w *walker) nsOr(ns string) string {
	if ns == "" {
		return w.ns
	}
	return ns
}

// serviceAccount adds the ServiceAccount name unless it is "default",
// which Kubernetes makes again.
func (w *walker) serviceAccount(name, field, effect string) {
	if name != "default" {
		w.local("", "ServiceAccount", name, field, effect)
	}
}

// backendRef adds the Service a Gateway API backend reference names: a
// Service unless it names another kind, in the route's namespace unless
// it names one (a ReferenceGrant allows that).
func (w *walker) backendRef(b *kyaml.Node, field, effect string) {
	if scalar(b, "group") != "" || (scalar(b, "kind") != "" && scalar(b, "kind") != "Service") {
		return
	}
	w.add(Ref{Kind: "Service", Namespace: w.nsOr(scalar(b, "namespace")), Name: scalar(b, "name"), Field: field + ".name", Effect: effect})
}

// mirrors adds the Services the RequestMirror filters of a route rule or
// backend reference at field copy requests to.
func (w *walker) mirrors(n *kyaml.Node, field string) {
	for i, f := range items(n, "filters") {
		w.backendRef(lookup(f, "requestMirror", "backendRef"), fmt.Sprintf("%s.filters[%d].requestMirror.backendRef", field, i), mirror)
	}
}

// shimIssuer adds the Issuer or ClusterIssuer cert-manager's ingress-shim
// or gateway-shim issues an annotated object's certificates with, and
// reports whether there is one: the object's TLS Secrets are then
// cert-manager's to make.
func (w *walker) shimIssuer(annotations *kyaml.Node, kind string) bool {
	if g := scalar(annotations, "cert-manager.io/issuer-group"); g != "" && g != "cert-manager.io" {
		return true // an external issuer; cert-manager still makes the Secrets
	}
	if name := scalar(annotations, "cert-manager.io/cluster-issuer"); name != "" {
		w.cluster("cert-manager.io", "ClusterIssuer", name, "metadata.annotations.cert-manager.io/cluster-issuer", fmt.Sprintf(shimIssuer, kind))
		return true
	}
	if name := scalar(annotations, "cert-manager.io/issuer"); name != "" {
		switch scalar(annotations, "cert-manager.io/issuer-kind") {
		case "", "Issuer":
			w.local("cert-manager.io", "Issuer", name, "metadata.annotations.cert-manager.io/issuer", fmt.Sprintf(shimIssuer, kind))
		case "ClusterIssuer":
			w.cluster("cert-manager.io", "ClusterIssuer", name, "metadata.annotations.cert-manager.io/issuer", fmt.Sprintf(shimIssuer, kind))
		}
		return true
	}
	return scalar(annotations, "kubernetes.io/tls-acme") == "true"
}

// fluxRef adds the object a Flux cross-namespace reference (sourceRef,
// chartRef) names: one of kinds, of group unless its apiVersion names
// another, in the object's namespace unless it names one.
func (w *walker) fluxRef(ref *kyaml.Node, field, group, effect string, kinds ...string) {
	if av := scalar(ref, "apiVersion"); av != "" && groupOf(av) != group {
		return
	}
	if k := scalar(ref, "kind"); slices.Contains(kinds, k) {
		w.add(Ref{Group: group, Kind: k, Namespace: w.nsOr(scalar(ref, "namespace")), Name: scalar(ref, "name"), Field: field + ".name", Effect: effect})
	}
}

// valuesRef adds the ConfigMap or Secret a HelmRelease's valuesFrom or a
// Kustomization's substituteFrom names, unless it is optional: the
// controller then goes on without it.
func (w *walker) valuesRef(v *kyaml.Node, field, effect string) {
	if k := scalar(v, "kind"); (k == "ConfigMap" || k == "Secret") && !isTrue(v, "optional") {
		w.local("", k, scalar(v, "name"), field+".name", effect)
	}
}

// reconciler adds what a Kustomization or HelmRelease reconciles with:
// the kubeconfig of a remote cluster, the ServiceAccount it impersonates
// and the objects of its kind it depends on.
func (w *walker) reconciler(spec *kyaml.Node, group, kind string) {
	kc := lookup(spec, "kubeConfig")
	w.local("", "Secret", scalar(lookup(kc, "secretRef"), "name"), "spec.kubeConfig.secretRef.name", kubeConfig)
	w.local("", "ConfigMap", scalar(lookup(kc, "configMapRef"), "name"), "spec.kubeConfig.configMapRef.name", kubeConfig)
	if kc == nil {
		// Impersonation is of the target cluster's ServiceAccount when
		// there is a kubeconfig: not one of this cluster.
		w.serviceAccount(scalar(spec, "serviceAccountName"), "spec.serviceAccountName", impersonate)
	}
	for i, d := range items(spec, "dependsOn") {
		w.add(Ref{Group: group, Kind: kind, Namespace: w.nsOr(scalar(d, "namespace")), Name: scalar(d, "name"), Field: fmt.Sprintf("spec.dependsOn[%d].name", i), Effect: dependency})
	}
}

type walker struct {
	ns   string // the object's namespace
	refs []Ref
}

func (w *walker) add(r Ref) {
	if r.Name != "" {
		w.refs = append(w.refs, r)
	}
}

// pod adds what the pod spec at at needs.
func (w *walker) pod(spec *kyaml.Node, at string) {
	if spec == nil || spec.Kind != kyaml.MappingNode {
		return
	}
	named := func(group, kind, name, field, effect string) {
		ns := w.ns
		if group != "" {
			ns = "" // PriorityClass and RuntimeClass are cluster-scoped
		}
		w.add(Ref{Group: group, Kind: kind, Namespace: ns, Name: name, Field: at + "." + field, Effect: effect})
	}
	sa, field := scalar(spec, "serviceAccountName"), "serviceAccountName"
	if sa == "" {
		// Deprecated, and read by the API server only when
		// serviceAccountName is not set.
		sa, field = scalar(spec, "serviceAccount"), "serviceAccount"
	}
	if sa != "default" {
		named("", "ServiceAccount", sa, field, podRefused)
	}
	named("scheduling.k8s.io", "PriorityClass", scalar(spec, "priorityClassName"), "priorityClassName", podRefused)
	named("node.k8s.io", "RuntimeClass", scalar(spec, "runtimeClassName"), "runtimeClassName", podRefused)
	for i, s := range items(spec, "imagePullSecrets") {
		named("", "Secret", scalar(s, "name"), fmt.Sprintf("imagePullSecrets[%d].name", i), podPull)
	}
	// source adds the ConfigMap or Secret a volume or env source names,
	// unless it is optional.
	source := func(src *kyaml.Node, kind, nameKey, field string) {
		if src != nil && src.Kind == kyaml.MappingNode && !isTrue(src, "optional") {
			named("", kind, scalar(src, nameKey), field+"."+nameKey, podStart)
		}
	}
	for i, v := range items(spec, "volumes") {
		vol := fmt.Sprintf("volumes[%d]", i)
		source(lookup(v, "configMap"), "ConfigMap", "name", vol+".configMap")
		source(lookup(v, "secret"), "Secret", "secretName", vol+".secret")
		for j, s := range items(lookup(v, "projected"), "sources") {
			src := fmt.Sprintf("%s.projected.sources[%d]", vol, j)
			source(lookup(s, "configMap"), "ConfigMap", "name", src+".configMap")
			source(lookup(s, "secret"), "Secret", "name", src+".secret")
		}
	}
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for i, c := range items(spec, list) {
			ctr := fmt.Sprintf("%s[%d]", list, i)
			for j, e := range items(c, "envFrom") {
				from := fmt.Sprintf("%s.envFrom[%d]", ctr, j)
				source(lookup(e, "configMapRef"), "ConfigMap", "name", from+".configMapRef")
				source(lookup(e, "secretRef"), "Secret", "name", from+".secretRef")
			}
			for j, e := range items(c, "env") {
				from := fmt.Sprintf("%s.env[%d].valueFrom", ctr, j)
				vf := lookup(e, "valueFrom")
				source(lookup(vf, "configMapKeyRef"), "ConfigMap", "name", from+".configMapKeyRef")
				source(lookup(vf, "secretKeyRef"), "Secret", "name", from+".secretKeyRef")
			}
		}
	}
}

// service adds the Service a webhook or API service reference names, in
// the namespace it names.
func (w *walker) service(ref *kyaml.Node, field, effect string) {
	w.add(Ref{Kind: "Service", Namespace: scalar(ref, "namespace"), Name: scalar(ref, "name"), Field: field + ".name", Effect: effect})
}

// backend adds the Service an Ingress backend names, in the Ingress's
// namespace.
func (w *walker) backend(b *kyaml.Node, field string) {
	w.add(Ref{Kind: "Service", Namespace: w.ns, Name: scalar(lookup(b, "service"), "name"), Field: field + ".service.name", Effect: ingress})
}

func lookup(n *kyaml.Node, path ...string) *kyaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != kyaml.MappingNode {
			return nil
		}
		_, n = objects.Field(n, key)
	}
	return n
}

// scalar is the string at key in n, "" when it is missing or not a
// scalar.
func scalar(n *kyaml.Node, key string) string {
	v := lookup(n, key)
	if v == nil || v.Kind != kyaml.ScalarNode || v.Tag == "!!null" {
		return ""
	}
	return v.Value
}

// isTrue reports whether key of n is a YAML true, as the API server
// reads it: true, True or TRUE (sigs.k8s.io/yaml's YAML 1.1), not only
// the lower-case word.
func isTrue(n *kyaml.Node, key string) bool {
	switch scalar(n, key) {
	case "true", "True", "TRUE":
		return lookup(n, key).Style&(kyaml.SingleQuotedStyle|kyaml.DoubleQuotedStyle) == 0
	}
	return false
}

func items(n *kyaml.Node, key string) []*kyaml.Node {
	v := lookup(n, key)
	if v == nil || v.Kind != kyaml.SequenceNode {
		return nil
	}
	return v.Content
}
