package apirules

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	// The zones the API server knows without a system database: a
	// CronJob's timeZone is looked up in them.
	_ "time/tzdata"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	storagev1alpha1 "k8s.io/api/storage/v1alpha1"
	storagev1beta1 "k8s.io/api/storage/v1beta1"
	"k8s.io/apimachinery/pkg/api/resource"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Problem is one rule the object breaks: the API server's field error
// and what to do about it.
type Problem struct {
	*field.Error
	Hint string
	// Key is the invalid key of a Secret's data or stringData that the
	// problem is about, for finding its line. Never show it: the Error
	// names the key by its position only, as the key may be a password
	// (a secretGenerator .env line without '=' becomes one whole key).
	Key string
}

// Options says which API server's rules to apply.
type Options struct {
	// KubeVersion is the API server's version, for the rules a feature
	// gate changed (on by default from some release); nil applies the
	// rules of the newest release.
	KubeVersion *version.Version
}

// Check returns every rule obj breaks, in a stable order. Kinds without
// rules here return nil.
func Check(obj runtime.Object, opts Options) []Problem {
	c := checker{kube: opts.KubeVersion, celCompat: CELCompatibility(opts.KubeVersion)}
	c.admissionPolicy(obj) // every version of the policy kinds: admissionpolicy.go
	c.staticName(obj)      // the admission kinds' reserved names: admissionpolicy.go
	c.resourceKinds(obj)   // every version of the DRA kinds: devices.go
	c.priorityLevel(obj)   // every version: prioritylevel.go
	c.serviceCIDR(obj)     // v1 and v1beta1: servicecidr.go
	spec := field.NewPath("spec")
	switch o := obj.(type) {
	case *appsv1.Deployment:
		c.workload("deployment", o.Spec.Selector, &o.Spec.Template, spec, true)
		if o.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType && o.Spec.Strategy.RollingUpdate != nil {
			c.add(field.Forbidden(spec.Child("strategy", "rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"),
				"remove strategy.rollingUpdate, or use strategy type RollingUpdate")
		}
		c.deploymentSpec(&o.Spec, spec)
	case *appsv1.StatefulSet:
		c.workload("statefulset", o.Spec.Selector, &o.Spec.Template, spec, false)
		c.statefulSetSpec(&o.Spec, spec)
		c.statefulSetPods(&o.Spec, spec)
	case *appsv1.DaemonSet:
		c.workload("daemonset", o.Spec.Selector, &o.Spec.Template, spec, true)
		c.daemonSetSpec(&o.Spec, spec)
	case *appsv1.ReplicaSet:
		c.workload("replicaset", o.Spec.Selector, &o.Spec.Template, spec, true)
		nonNegativeIfSet(&c, o.Spec.Replicas, spec.Child("replicas"))
		c.nonNegative(int64(o.Spec.MinReadySeconds), spec.Child("minReadySeconds"))
	case *batchv1.Job:
		c.jobName(o.Name, o.Spec.ManualSelector)
		c.jobGenerated(o)
		c.indexedJobName(o)
		c.job(&o.Spec, spec, true)
	case *batchv1.CronJob:
		c.cronJob(o)
		c.cronJobGeneratedLabels(o)
	case *corev1.Pod:
		c.bare = true
		c.podLabels = o.Labels
		c.podAnnotations(o.Annotations, &o.Spec, field.NewPath("metadata", "annotations"))
		c.pod(&o.Spec, spec, nil)
		c.podCreate(&o.Spec, spec)
		c.podImages(&o.Spec, spec)
		c.annotationsMatchFields(o.Annotations, &o.Spec, spec, true)
	case *corev1.ReplicationController:
		c.replicationController(o)
	case *corev1.PodTemplate:
		c.templateMeta(&o.Template, field.NewPath("template"))
		c.pod(&o.Template.Spec, field.NewPath("template", "spec"), nil)
		c.annotationsMatchFields(o.Template.Annotations, &o.Template.Spec, field.NewPath("template", "spec"), false)
	case *corev1.Service:
		c.service(&o.Spec, spec)
		c.serviceTypeFields(o)
		c.serviceAddresses(o)
	case *networkingv1.Ingress:
		c.ingress(o)
	case *networkingv1.IngressClass:
		c.ingressClass(o)
	case *corev1.ConfigMap:
		c.keys(o.Data, o.BinaryData, field.NewPath("data"), field.NewPath("binaryData"), "ConfigMap")
	case *corev1.Secret:
		c.keys(o.StringData, o.Data, field.NewPath("stringData"), field.NewPath("data"), "Secret")
		c.secretType(o)
	case *networkingv1.NetworkPolicy:
		c.networkPolicy(o)
	case *corev1.PersistentVolumeClaim:
		c.claim(&o.Spec, field.NewPath("spec"))
		c.claimSpec(&o.Spec, field.NewPath("spec"))
	case *corev1.PersistentVolume:
		c.persistentVolume(o)
	case *storagev1.StorageClass:
		c.storageClass(o)
	case *storagev1.VolumeAttributesClass:
		c.volumeAttributesClass(o.DriverName, o.Parameters)
	case *storagev1beta1.VolumeAttributesClass:
		c.volumeAttributesClass(o.DriverName, o.Parameters)
	case *storagev1alpha1.VolumeAttributesClass:
		c.volumeAttributesClass(o.DriverName, o.Parameters)
	case *discoveryv1.EndpointSlice:
		c.endpointSlice(o)
	case *corev1.Endpoints:
		c.endpoints(o)
	case *corev1.Namespace:
		c.namespaceFinalizers(o)
	case *nodev1.RuntimeClass:
		c.runtimeClass(o)
	case *storagev1.CSIDriver:
		c.csiDriverSpec(o)
	case *storagev1.VolumeAttachment:
		c.volumeAttachment(o)
	case *coordinationv1.Lease:
		c.lease(o)
	case *flowcontrolv1.FlowSchema:
		c.flowSchema(o)
	case *corev1.LimitRange:
		c.limitRange(o)
	case *corev1.ResourceQuota:
		c.resourceQuota(o)
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		c.webhooks(validatingWebhooks(o.Webhooks))
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		c.webhooks(mutatingWebhooks(o.Webhooks))
	case *rbacv1.Role:
		c.policyRules(o.Rules, true)
	case *rbacv1.ClusterRole:
		c.policyRules(o.Rules, false)
		c.aggregation(o.AggregationRule)
	case *rbacv1.RoleBinding:
		c.roleRef(o.RoleRef, []string{"Role", "ClusterRole"})
		c.subjects(o.Subjects, true)
	case *rbacv1.ClusterRoleBinding:
		c.roleRef(o.RoleRef, []string{"ClusterRole"})
		c.subjects(o.Subjects, false)
	case *schedulingv1.PriorityClass:
		c.priorityClass(o)
	case *policyv1.PodDisruptionBudget:
		c.disruptionBudget(&o.Spec, spec)
	case *autoscalingv2.HorizontalPodAutoscaler:
		c.autoscalerV2(&o.Spec, spec)
	case *autoscalingv1.HorizontalPodAutoscaler:
		c.autoscalerV1(&o.Spec, spec)
	case *apiregistrationv1.APIService:
		c.apiService(o)
	case *certificatesv1.CertificateSigningRequest:
		c.certificateSigningRequest(o)
	case *corev1.Node:
		c.node(o)
	}
	return c.problems
}

type checker struct {
	problems []Problem
	// kube is the API server's version (nil: the newest), for the rules
	// that follow it: those of feature gates (on, below) and a few others
	// (since).
	kube *version.Version
	// celCompat is the API server's CEL compatibility version, the
	// libraries a new expression may use.
	celCompat *version.Version
	// bare says the object is a Pod, not a pod template, which the API
	// server defaults and checks a little differently.
	bare bool
	// podLabels are a bare Pod's labels, which the API server merges
	// into its selectors (spreadKeysInSelector).
	podLabels map[string]string
}

// on reports whether feature gate is on by default in the API server's
// release (gates.go), so that what it governs is kept and validated.
func (c *checker) on(gate string) bool { return GateOn(gate, c.kube) }

// since reports whether the API server is release major.minor or later,
// for a rule that changed in a release without a feature gate.
func (c *checker) since(major, minor uint) bool { return atLeast(c.kube, major, minor) }

// serviceName checks a name that refers to a Service, as the Service's
// own name is checked.
func (c *checker) serviceName(p *field.Path, name string) {
	check, hint := apimachineryvalidation.NameIsDNS1035Label, "a Service name is a DNS-1035 label: lowercase letters, digits and '-', starting with a letter"
	if c.on("RelaxedServiceNameValidation") {
		check, hint = apimachineryvalidation.NameIsDNSLabel, "a Service name is a DNS-1123 label: lowercase letters, digits and '-', at most 63"
	}
	for _, msg := range check(name, false) {
		c.add(field.Invalid(p, name, msg), hint)
	}
}

// atLeast reports whether v, an API server's version (nil: the newest),
// is major.minor or later.
func atLeast(v *version.Version, major, minor uint) bool {
	return v == nil || v.AtLeast(version.MajorMinor(major, minor))
}

// envName returns what is wrong with an environment variable name or
// envFrom prefix under the API server's rules, and a hint.
func (c *checker) envName(name string) (msgs []string, hint string) {
	if c.on("RelaxedEnvironmentVariableValidation") {
		return validation.IsRelaxedEnvVarName(name), "an environment variable name is printable ASCII without '='"
	}
	return validation.IsEnvVarName(name), "before Kubernetes 1.32 an environment variable name is letters, digits, '_', '-' and '.', not starting with a digit: rename it, or raise the env's kubeVersion if the cluster is newer"
}

func (c *checker) add(err *field.Error, hint string) {
	c.problems = append(c.problems, Problem{Error: err, Hint: hint})
}

// workload checks what apps/v1 workloads share: a non-empty, valid
// selector that matches the pod template's labels, pods that restart
// Always, and, when podSpec, the pod spec.
func (c *checker) workload(kind string, sel *metav1.LabelSelector, tpl *corev1.PodTemplateSpec, spec *field.Path, podSpec bool) {
	selPath := spec.Child("selector")
	switch {
	case sel == nil:
		// The schema's required field reports it.
	case len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0:
		c.add(field.Invalid(selPath, sel, "empty selector is invalid for "+kind),
			"set spec.selector.matchLabels to labels of spec.template.metadata.labels")
	default:
		if c.selector(sel, selPath) {
			c.selectsTemplate(sel, tpl, spec, "")
		}
	}
	c.templateMeta(tpl, spec.Child("template"))
	tplSpec := spec.Child("template", "spec")
	if p := tpl.Spec.RestartPolicy; p != "" && p != corev1.RestartPolicyAlways {
		c.add(field.NotSupported(tplSpec.Child("restartPolicy"), p, []corev1.RestartPolicy{corev1.RestartPolicyAlways}),
			"a "+kind+"'s pods restart Always: remove restartPolicy, or use a Job for pods that finish")
	}
	if ads := tpl.Spec.ActiveDeadlineSeconds; ads != nil {
		// A Deployment's message names the ReplicaSets it makes.
		owner := map[string]string{"deployment": "ReplicaSet", "replicaset": "ReplicaSet", "daemonset": "DaemonSet", "statefulset": "StatefulSet"}[kind]
		c.add(field.Forbidden(tplSpec.Child("activeDeadlineSeconds"), "activeDeadlineSeconds in "+owner+" is not Supported"),
			"pods of a "+kind+" run until replaced: remove activeDeadlineSeconds, or use a Job for pods with a deadline")
	}
	if podSpec {
		c.pod(&tpl.Spec, tplSpec, nil)
		c.annotationsMatchFields(tpl.Annotations, &tpl.Spec, tplSpec, false)
	}
}

// selector checks an optional label selector, and reports whether it is
// valid.
func (c *checker) selector(sel *metav1.LabelSelector, p *field.Path) bool {
	errs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, p)
	for _, e := range errs {
		c.add(e, "fix the selector: keys and values must be valid labels, operators In, NotIn, Exists or DoesNotExist")
	}
	return len(errs) == 0
}

// selectsTemplate checks that sel, a valid selector of a workload's spec,
// matches the labels of its pod template tpl; orElse ends the hint.
func (c *checker) selectsTemplate(sel *metav1.LabelSelector, tpl *corev1.PodTemplateSpec, spec *field.Path, orElse string) {
	if s, err := metav1.LabelSelectorAsSelector(sel); err == nil && !s.Matches(labels.Set(tpl.Labels)) {
		c.add(field.Invalid(spec.Child("template", "metadata", "labels"), labels.Set(tpl.Labels).String(), "`selector` does not match template `labels`"),
			"give the pod template every label spec.selector asks for ("+s.String()+")"+orElse)
	}
}

// job checks a Job's (or a CronJob's job template's) pods: they must not
// restart Always, and a selector the user sets must match.
func (c *checker) job(js *batchv1.JobSpec, spec *field.Path, ownSelector bool) {
	if ownSelector && js.ManualSelector != nil && *js.ManualSelector {
		// Only a manual selector is the user's; the API server generates
		// the others from the Job's uid, matching by construction.
		selPath := spec.Child("selector")
		if js.Selector == nil {
			c.add(field.Required(selPath, ""), "with manualSelector: true, set spec.selector to labels of the pod template")
		} else if c.selector(js.Selector, selPath) {
			c.selectsTemplate(js.Selector, &js.Template, spec, ", or drop manualSelector and selector")
		}
	}
	c.templateMeta(&js.Template, spec.Child("template"))
	tplSpec := spec.Child("template", "spec")
	switch js.Template.Spec.RestartPolicy {
	case corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever:
	default:
		c.add(field.NotSupported(tplSpec.Child("restartPolicy"), js.Template.Spec.RestartPolicy,
			[]corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}),
			"set restartPolicy: OnFailure or Never in the job's pod template (Always is the default of other workloads, not of Jobs)")
	}
	c.pod(&js.Template.Spec, tplSpec, nil)
	c.annotationsMatchFields(js.Template.Annotations, &js.Template.Spec, tplSpec, false)
	c.jobCounts(js, spec)
	c.podFailurePolicy(js, spec.Child("podFailurePolicy"))
}

// pod checks a pod spec: unique, valid container and volume names,
// mounts of volumes that exist at unique paths, ports in range with
// valid, unique names, and requests within limits. claims are the
// volumes a StatefulSet's volumeClaimTemplates add.
func (c *checker) pod(ps *corev1.PodSpec, path *field.Path, claims []string) {
	// volumes maps each volume's name to whether a claim backs it (a
	// persistentVolumeClaim or ephemeral volume, or a claim template),
	// which a block device needs.
	volumes := map[string]bool{}
	for _, name := range claims {
		volumes[name] = true
	}
	for i, v := range ps.Volumes {
		if slices.Contains(claims, v.Name) {
			// The API server replaces such a volume by the claim's.
			continue
		}
		c.volume(&ps.Volumes[i], path.Child("volumes").Index(i))
		p := path.Child("volumes").Index(i).Child("name")
		c.name(p, v.Name, "volume")
		if _, dup := volumes[v.Name]; dup {
			c.add(field.Duplicate(p, v.Name), "give each volume its own name")
		}
		volumes[v.Name] = v.PersistentVolumeClaim != nil || v.Ephemeral != nil
	}
	podClaims := c.podResourceClaims(ps, path)
	names := map[string]bool{}
	lists := []struct {
		key        string
		containers []corev1.Container
	}{{"initContainers", ps.InitContainers}, {"containers", ps.Containers}}
	for _, l := range lists {
		for i, ctr := range l.containers {
			cp := path.Child(l.key).Index(i)
			c.name(cp.Child("name"), ctr.Name, "container")
			if names[ctr.Name] {
				c.add(field.Duplicate(cp.Child("name"), ctr.Name), "give each container (and init container) of the pod its own name")
			}
			names[ctr.Name] = true
			c.container(&ctr, cp, volumes)
			c.devices(&ctr, cp, volumes)
			c.resizePolicy(ctr.ResizePolicy, cp.Child("resizePolicy"), ps.RestartPolicy)
			c.containerSecurity(ctr.SecurityContext, cp.Child("securityContext"), c.hostUsersOn(ps))
			c.containerRestart(&ctr, cp, l.key == "initContainers")
			c.containerClaims(ctr.Resources.Claims, cp.Child("resources", "claims"), podClaims)
			// Before 1.29 the API server drops a sidecar's restartPolicy
			// (SidecarContainers off), and then refuses its probes.
			sidecar := ctr.RestartPolicy != nil && *ctr.RestartPolicy == corev1.ContainerRestartPolicyAlways && c.on("SidecarContainers")
			c.probes(&ctr, cp, l.key == "containers" || sidecar, c.gracePeriod(ps))
		}
	}
	c.hostPorts(ps, path)
	c.podSpecRules(ps, path)
	c.podSecurity(ps, path)
	c.podFields(ps, path)
	c.fileKeyRefVolumes(ps, path)
	c.podResources(ps, path)
	c.overhead(ps.Overhead, path.Child("overhead"))
}

// container checks one container's mounts, ports and resources.
func (c *checker) container(ctr *corev1.Container, cp *field.Path, volumes map[string]bool) {
	if ctr.Image == "" {
		// The schema leaves image optional (for tools that fill it in), but
		// the API server refuses a container without one, in pod templates
		// as in pods.
		c.add(field.Required(cp.Child("image"), ""), "give the container an image; kiln's --image sets the tag of an image the manifest names, it does not add one")
	}
	paths := map[string]bool{}
	portNames := map[string]bool{}
	for j, m := range ctr.VolumeMounts {
		mp := cp.Child("volumeMounts").Index(j)
		if _, ok := volumes[m.Name]; !ok {
			c.add(field.NotFound(mp.Child("name"), m.Name), fmt.Sprintf("add a volume named %q to the pod's volumes, or mount one that exists", m.Name))
		}
		if paths[m.MountPath] {
			c.add(field.Invalid(mp.Child("mountPath"), m.MountPath, "must be unique"), "mount each path of a container once")
		}
		paths[m.MountPath] = true
	}
	for j, port := range ctr.Ports {
		pp := cp.Child("ports").Index(j)
		for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
			c.add(field.Invalid(pp.Child("containerPort"), port.ContainerPort, msg), "use a port from 1 to 65535")
		}
		if port.HostPort != 0 {
			for _, msg := range validation.IsValidPortNum(int(port.HostPort)) {
				c.add(field.Invalid(pp.Child("hostPort"), port.HostPort, msg), "use a port from 1 to 65535, or leave hostPort out")
			}
		}
		if port.Name == "" {
			continue
		}
		for _, msg := range validation.IsValidPortName(port.Name) {
			c.add(field.Invalid(pp.Child("name"), port.Name, msg), "a port name is at most 15 lowercase letters, digits and '-', with at least one letter")
		}
		if portNames[port.Name] {
			c.add(field.Duplicate(pp.Child("name"), port.Name), "give each port of the container its own name")
		}
		portNames[port.Name] = true
	}
	c.env(ctr.Env, cp.Child("env"))
	c.envFrom(ctr.EnvFrom, cp.Child("envFrom"))
	c.mounts(ctr, cp)
	c.requirements(&ctr.Resources, cp.Child("resources"), c.resource)
}

// requirements checks a container's or pod's resources, as the API
// server's validateResourceRequirements: each name and amount (by
// resource), whole huge pages beside cpu or memory, and each request at
// most its limit (equal to it for a resource that cannot be overcommitted).
func (c *checker) requirements(r *corev1.ResourceRequirements, p *field.Path, check func(corev1.ResourceName, resource.Quantity, *field.Path)) {
	for _, kind := range []struct {
		key  string
		list corev1.ResourceList
	}{{"limits", r.Limits}, {"requests", r.Requests}} {
		for _, res := range slices.Sorted(maps.Keys(kind.list)) {
			check(res, kind.list[res], p.Child(kind.key).Key(string(res)))
		}
	}
	c.hugePages(r, p)
	for _, res := range slices.Sorted(maps.Keys(r.Requests)) {
		req := r.Requests[res]
		reqPath := p.Child("requests").Key(string(res))
		limit, ok := r.Limits[res]
		switch {
		case ok && req.Cmp(limit) != 0 && !overcommitAllowed(res):
			c.add(field.Invalid(reqPath, req.String(), fmt.Sprintf("must be equal to %s limit of %s", res, limit.String())),
				fmt.Sprintf("%s cannot be overcommitted: make the request equal to the limit, or set only the limit (the request defaults to it)", res))
		case ok && req.Cmp(limit) > 0:
			c.add(field.Invalid(reqPath, req.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", res, limit.String())),
				"lower the request or raise the limit")
		case !ok && !overcommitAllowed(res):
			c.add(field.Required(p.Child("limits"), "Limit must be set for non overcommitable resources"),
				fmt.Sprintf("%s cannot be overcommitted: set limits.%s (the request defaults to it)", res, res))
		}
	}
}

// service checks ports: present unless the service is headless or an
// ExternalName, in range, named when there are several, names unique, no
// port and protocol twice, no nodePort on a ClusterIP service; and an
// ExternalName service's name.
func (c *checker) service(s *corev1.ServiceSpec, spec *field.Path) {
	if s.Type == corev1.ServiceTypeExternalName && s.ExternalName == "" {
		c.add(field.Required(spec.Child("externalName"), ""), "set spec.externalName to the DNS name the service points at")
	}
	headless := s.ClusterIP == corev1.ClusterIPNone || (len(s.ClusterIPs) > 0 && s.ClusterIPs[0] == corev1.ClusterIPNone)
	if len(s.Ports) == 0 && !headless && s.Type != corev1.ServiceTypeExternalName {
		c.add(field.Required(spec.Child("ports"), ""),
			"give the service at least one port, or make it headless with clusterIP: None")
	}
	for _, e := range metav1validation.ValidateLabels(s.Selector, spec.Child("selector")) {
		c.add(e, "a selector's keys and values are labels: a value is at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
	}
	c.trafficDistribution(s.TrafficDistribution, spec.Child("trafficDistribution"))
	if s.Type == "" || s.Type == corev1.ServiceTypeClusterIP {
		for i, p := range s.Ports {
			if p.NodePort != 0 {
				c.add(field.Forbidden(spec.Child("ports").Index(i).Child("nodePort"), "may not be used when `type` is 'ClusterIP'"),
					"remove nodePort, or set spec.type: NodePort or LoadBalancer")
			}
		}
	}
	names := map[string]bool{}
	seen := map[string]bool{}
	for i, p := range s.Ports {
		pp := spec.Child("ports").Index(i)
		if len(s.Ports) > 1 && p.Name == "" {
			c.add(field.Required(pp.Child("name"), ""), "name every port of a service with several ports")
		} else if p.Name != "" {
			for _, msg := range validation.IsDNS1123Label(p.Name) {
				c.add(field.Invalid(pp.Child("name"), p.Name, msg), "a service port name is a DNS label: lowercase letters, digits and '-'")
			}
			if names[p.Name] {
				c.add(field.Duplicate(pp.Child("name"), p.Name), "give each port of the service its own name")
			}
			names[p.Name] = true
		}
		for _, msg := range validation.IsValidPortNum(int(p.Port)) {
			c.add(field.Invalid(pp.Child("port"), p.Port, msg), "use a port from 1 to 65535")
		}
		c.appProtocol(p.AppProtocol, pp.Child("appProtocol"))
		switch p.TargetPort.Type {
		case intstr.Int:
			if p.TargetPort.IntVal != 0 {
				for _, msg := range validation.IsValidPortNum(int(p.TargetPort.IntVal)) {
					c.add(field.Invalid(pp.Child("targetPort"), p.TargetPort.IntVal, msg), "use a port from 1 to 65535, or a container port's name")
				}
			}
		case intstr.String:
			if p.TargetPort.StrVal == "" {
				break // defaulted to the port, as 0 is
			}
			for _, msg := range validation.IsValidPortName(p.TargetPort.StrVal) {
				c.add(field.Invalid(pp.Child("targetPort"), p.TargetPort.StrVal, msg), "use a container port's name (at most 15 characters) or a number")
			}
		}
		protocol := p.Protocol
		if protocol == "" {
			protocol = corev1.ProtocolTCP
		}
		key := fmt.Sprintf("%d/%s", p.Port, protocol)
		if seen[key] {
			c.add(field.Duplicate(pp, key), fmt.Sprintf("port %d with protocol %s is already a port of the service: remove one", p.Port, protocol))
		}
		seen[key] = true
	}
}

// MaxDataSize is the most a ConfigMap's or Secret's data may hold, in
// bytes (etcd's limit on one object, less room for the rest).
const MaxDataSize = 1 << 20

// keys checks a ConfigMap's or Secret's keys: valid, not in both maps,
// and the total size within 1 MiB.
func (c *checker) keys(text map[string]string, binary map[string][]byte, textPath, binPath *field.Path, kind string) {
	size := 0
	badKey := func(p *field.Path, k, msg string, i, n int) {
		const hint = "a key is letters, digits, '-', '_' or '.'; a path with '/' is not a key"
		if kind != "Secret" {
			c.add(field.Invalid(p.Key(k), k, msg), hint)
			return
		}
		// A Secret's bad key may hold its value: a secretGenerator .env
		// line without '=' ("PASSWORD hunter2") becomes one whole key, and
		// a password alone on its line is all key. No part of it is
		// shown (a leading word may be the passphrase's first); the
		// position and the line (Problem.Key) say which key it is.
		c.problems = append(c.problems, Problem{
			Error: field.Invalid(p, field.OmitValueType{}, fmt.Sprintf("key %d of %d (in sorted order): %s", i+1, n, msg)),
			Hint:  hint + "; in a secretGenerator .env file, write each line as KEY=value",
			Key:   k,
		})
	}
	textKeys := slices.Sorted(maps.Keys(text))
	for i, k := range textKeys {
		size += len(text[k])
		for _, msg := range validation.IsConfigMapKey(k) {
			badKey(textPath, k, msg, i, len(textKeys))
		}
	}
	binKeys := slices.Sorted(maps.Keys(binary))
	for i, k := range binKeys {
		size += len(binary[k])
		for _, msg := range validation.IsConfigMapKey(k) {
			badKey(binPath, k, msg, i, len(binKeys))
		}
		if _, dup := text[k]; dup && kind == "ConfigMap" {
			c.add(field.Invalid(binPath.Key(k), k, "duplicate of key present in data"), "keep the key in data or in binaryData, not both")
		}
	}
	if size > MaxDataSize {
		c.add(field.TooLong(field.NewPath("data"), "", MaxDataSize),
			fmt.Sprintf("a %s holds at most 1 MiB; this one holds %d bytes: split it, or mount the data another way", kind, size))
	}
}

// secretType checks the keys a Secret's type requires, as the API server's
// ValidateSecret does, on data and stringData together (the API server
// merges stringData into data before it validates). No message holds a
// value: where the API server says a value is not JSON, it shows
// "<secret contents redacted>" but adds its JSON error, which quotes a
// character of the value; kiln says only that it is not JSON.
func (c *checker) secretType(o *corev1.Secret) {
	data := field.NewPath("data")
	has := func(k string) bool {
		_, inData := o.Data[k]
		_, inString := o.StringData[k]
		return inData || inString
	}
	value := func(k string) []byte {
		if v, ok := o.StringData[k]; ok {
			return []byte(v)
		}
		return o.Data[k]
	}
	typ := string(o.Type)
	need := func(k, hint string) {
		c.add(field.Required(data.Key(k), "a Secret of type "+typ+" must hold it"), hint)
	}
	switch o.Type {
	case corev1.SecretTypeServiceAccountToken:
		if o.Annotations[corev1.ServiceAccountNameKey] == "" {
			c.add(field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), "a Secret of type "+typ+" names its ServiceAccount"),
				"annotate the Secret with "+corev1.ServiceAccountNameKey+": <service account name>")
		}
	case corev1.SecretTypeDockercfg, corev1.SecretTypeDockerConfigJson:
		k := corev1.DockerConfigKey
		if o.Type == corev1.SecretTypeDockerConfigJson {
			k = corev1.DockerConfigJsonKey
		}
		if !has(k) {
			need(k, "put the registry credentials under data."+k+" (kubectl create secret docker-registry writes one)")
			break
		}
		var m map[string]any
		if json.Unmarshal(value(k), &m) != nil {
			at := data.Key(k)
			if _, ok := o.StringData[k]; ok {
				at = field.NewPath("stringData").Key(k)
			}
			c.add(field.Invalid(at, "<secret contents redacted>", "is not a JSON object"),
				"check that "+k+" holds the JSON of a Docker config (data: base64 of it; stringData: the JSON itself)")
		}
	case corev1.SecretTypeBasicAuth:
		if !has(corev1.BasicAuthUsernameKey) && !has(corev1.BasicAuthPasswordKey) {
			need(corev1.BasicAuthUsernameKey, "a basic-auth Secret holds username or password (or both)")
			need(corev1.BasicAuthPasswordKey, "a basic-auth Secret holds username or password (or both)")
		}
	case corev1.SecretTypeSSHAuth:
		if len(value(corev1.SSHAuthPrivateKey)) == 0 {
			need(corev1.SSHAuthPrivateKey, "put the private key under "+corev1.SSHAuthPrivateKey)
		}
	case corev1.SecretTypeTLS:
		for _, k := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
			if !has(k) {
				need(k, "a TLS Secret holds tls.crt and tls.key (either may be empty)")
			}
		}
	}
}

// replicas checks an autoscaler's bounds.
func (c *checker) replicas(min *int32, max int32, spec *field.Path) {
	switch {
	case min != nil && *min < 0 && c.on("HPAScaleToZero"):
		c.add(field.Invalid(spec.Child("minReplicas"), *min, "must be greater than or equal to 0"), "set minReplicas to 0 or more")
	case min != nil && *min < 1 && !c.on("HPAScaleToZero"):
		c.add(field.Invalid(spec.Child("minReplicas"), *min, "must be greater than or equal to 1"),
			"scaling to zero needs the HPAScaleToZero feature gate, on by default from Kubernetes 1.37: set minReplicas to 1 or more")
	}
	if min != nil && max < *min {
		c.add(field.Invalid(spec.Child("maxReplicas"), max, "must be greater than or equal to `minReplicas`"), "raise maxReplicas or lower minReplicas")
	}
}

// name checks a container's or volume's name: a DNS label.
func (c *checker) name(p *field.Path, name, what string) {
	for _, msg := range validation.IsDNS1123Label(name) {
		c.add(field.Invalid(p, name, msg), "a "+what+" name is a DNS label: at most 63 lowercase letters, digits and '-'")
	}
}

// templateMeta checks a pod template's labels and annotations, as the API
// server does for every workload, the annotations it reads on a pod
// included, and what ValidatePodTemplateSpec refuses in any template:
// ephemeral containers, which only the ephemeralcontainers subresource
// of a running Pod adds. path is the template's; the labels' field path
// is their place in the manifest (the API server says
// spec.template.labels), so the error points at the bad entry.
func (c *checker) templateMeta(tpl *corev1.PodTemplateSpec, path *field.Path) {
	meta := path.Child("metadata")
	c.labelsAndAnnotations(tpl.Labels, tpl.Annotations, meta)
	c.podAnnotations(tpl.Annotations, &tpl.Spec, meta.Child("annotations"))
	if len(tpl.Spec.EphemeralContainers) > 0 {
		c.add(field.Forbidden(path.Child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"),
			"remove ephemeralContainers: kubectl debug adds them to a running pod, never to a template")
	}
}

// labelsAndAnnotations checks the labels and annotations of a template's
// metadata (at path), which the API server checks as an object's own.
func (c *checker) labelsAndAnnotations(labels, annotations map[string]string, path *field.Path) {
	for _, e := range metav1validation.ValidateLabels(labels, path.Child("labels")) {
		c.add(e, "a label key is an optional DNS subdomain prefix and '/' and a name of at most 63 letters, digits, '-', '_' or '.'; a value is at most 63 of those, starting and ending with a letter or digit")
	}
	for _, e := range apimachineryvalidation.ValidateAnnotations(annotations, path.Child("annotations")) {
		c.add(e, "an annotation key has the form of a label key; all annotations together hold at most 256 KiB")
	}
}

// jobName checks that a Job's name fits the label the API server gives its
// pods: unless the selector is manual, it adds
// batch.kubernetes.io/job-name: <name> to the pod template, and a label
// value has at most 63 characters (the API server then reports
// spec.template.labels; the name is what to change).
func (c *checker) jobName(name string, manual *bool) {
	if (manual != nil && *manual) || len(name) <= validation.LabelValueMaxLength {
		return
	}
	c.add(field.Invalid(field.NewPath("metadata", "name"), name, fmt.Sprintf("must be no more than %d characters", validation.LabelValueMaxLength)),
		"the API server copies a Job's name into the batch.kubernetes.io/job-name label of its pods, and a label value has at most 63 characters: shorten the name")
}

// jobUIDPlaceholder stands for the uid the API server gives a new Job,
// which no manifest can know: it is no valid label value, so no value a
// selector or label names equals it.
const jobUIDPlaceholder = "<the Job's uid>"

// jobGenerated checks what the API server generates for a Job whose
// selector is not manual (validateGeneratedSelector): it labels the pod
// template with the Job's name and uid (job-name, controller-uid, and from
// 1.27 their batch.kubernetes.io/ forms), leaving a label the template
// already has as written, and adds the uid to the selector. So a template
// label of those keys other than the Job's name (a uid cannot be known) is
// refused, and so is a selector written without manualSelector: true that
// asks for anything else than those labels ("`selector` not
// auto-generated"), such as a Deployment's app: web copied into a Job.
func (c *checker) jobGenerated(job *batchv1.Job) {
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector {
		return
	}
	const (
		legacyName, legacyUID = "job-name", "controller-uid"
	)
	expected := map[string]string{legacyUID: jobUIDPlaceholder, legacyName: job.Name}
	keys := []string{legacyUID, legacyName}
	if c.since(1, 27) {
		expected[batchv1.ControllerUidLabel] = jobUIDPlaceholder
		expected[batchv1.JobNameLabel] = job.Name
		keys = append(keys, batchv1.ControllerUidLabel, batchv1.JobNameLabel)
	}
	for _, k := range keys {
		v, ok := job.Spec.Template.Labels[k]
		if !ok || v == expected[k] {
			continue
		}
		p := field.NewPath("spec", "template", "metadata", "labels").Key(k)
		if expected[k] == jobUIDPlaceholder {
			c.add(field.Invalid(p, v, "must be the Job's uid"),
				"remove the "+k+" label from the pod template: the API server sets it to the uid it gives the Job")
			continue
		}
		c.add(field.Invalid(p, v, fmt.Sprintf("must be '%s'", job.Name)),
			"remove the "+k+" label from the pod template: the API server sets it to the Job's name")
	}
	if job.Spec.Selector == nil {
		return
	}
	if sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector); err == nil && !sel.Matches(labels.Set(expected)) {
		c.add(field.Invalid(field.NewPath("spec", "selector"), sel.String(), "`selector` not auto-generated"),
			"remove spec.selector: the API server makes a Job's selector from its uid; or, to choose the pods yourself, set manualSelector: true")
	}
}

// cronJobGeneratedLabels refuses, in a CronJob's job template, the pod
// template labels the API server generates for each Job (jobGenerated):
// the controller names each Job <cronjob>-<minutes since the epoch>, so a
// job-name label written there is never its name and a controller-uid
// never its uid, and the API server refuses every Job the CronJob
// creates: the CronJob is taken and never runs.
func (c *checker) cronJobGeneratedLabels(cj *batchv1.CronJob) {
	keys := []string{"controller-uid", "job-name"}
	if c.since(1, 27) {
		keys = append(keys, batchv1.ControllerUidLabel, batchv1.JobNameLabel)
	}
	for _, k := range keys {
		v, ok := cj.Spec.JobTemplate.Spec.Template.Labels[k]
		if !ok {
			continue
		}
		what := "name, " + cj.Name + "-<minutes since the epoch>"
		if strings.HasSuffix(k, "controller-uid") {
			what = "uid"
		}
		c.add(field.Invalid(field.NewPath("spec", "jobTemplate", "spec", "template", "metadata", "labels").Key(k), v,
			"the API server sets this label of each Job's pods to the Job's "+what+", and refuses every Job whose template has another value: the CronJob would never run"),
			"remove the "+k+" label from the job template's pod template")
	}
}

// indexedJobName checks that an Indexed Job's pods can be named: each
// pod's hostname is <job name>-<index>, a DNS label, so a name of 62
// characters with 10 completions, or one with a dot, is refused
// (ValidateJob; an API server that predates the rule took the Job, and its
// controller could create no pod, so kiln refuses it whatever the
// kubeVersion).
func (c *checker) indexedJobName(job *batchv1.Job) {
	s := &job.Spec
	// A Job without a name is the metadata check's to report.
	if job.Name == "" || s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || s.Completions == nil || *s.Completions <= 0 {
		return
	}
	host := fmt.Sprintf("%s-%d", job.Name, *s.Completions-1)
	if len(validation.IsDNS1123Label(host)) > 0 {
		c.add(field.Invalid(field.NewPath("metadata", "name"), job.Name, "will not able to create pod with invalid DNS label: "+host),
			"an Indexed Job's pods are named <job name>-<index>, which must be a DNS label (at most 63 lowercase letters, digits or '-'): shorten the name, or drop its dots")
	}
}

// cronJobNameMax is the longest CronJob name the API server accepts: the
// controller names each Job <cronjob>-<minutes since the epoch>, 11
// characters more, within the 63 of a label value.
const cronJobNameMax = validation.DNS1035LabelMaxLength - 11

// validTimeZone is what the API server accepts as one '/'-separated part
// of a time zone name (IANA's naming rules, with digits and '+' for legacy
// names).
var validTimeZone = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)

// cronJob checks a CronJob: its name's length, its schedule (parsed as the
// API server parses it), the time zone's form, and a job template whose
// selector the API server generates.
func (c *checker) cronJob(cj *batchv1.CronJob) {
	spec := field.NewPath("spec")
	if len(cj.Name) > cronJobNameMax {
		c.add(field.Invalid(field.NewPath("metadata", "name"), cj.Name, fmt.Sprintf("must be no more than %d characters", cronJobNameMax)),
			"the controller names each Job after the CronJob plus an 11-character suffix, within 63 characters: shorten the name")
	}
	// An absent schedule is the schema's missing required field (which
	// leaves the same path here to it); an empty one is ValidateCronJobSpec's
	// "Required value".
	if cj.Spec.Schedule == "" {
		c.add(field.Required(spec.Child("schedule"), ""),
			"give the schedule: five fields (minute hour day-of-month month day-of-week), such as \"*/5 * * * *\", or @hourly, @daily, @weekly, @monthly, @yearly")
	}
	if s := cj.Spec.Schedule; s != "" {
		if msg := cronError(s); msg != "" {
			c.add(field.Invalid(spec.Child("schedule"), s, msg),
				"a schedule is five fields (minute hour day-of-month month day-of-week), such as \"*/5 * * * *\", or @hourly, @daily, @weekly, @monthly, @yearly, \"@every 1h\"")
		}
		if strings.Contains(s, "TZ") {
			c.add(field.Invalid(spec.Child("schedule"), s, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
				"remove the TZ= or CRON_TZ= prefix and set spec.timeZone, such as timeZone: Europe/Paris")
		}
	}
	if tz := cj.Spec.TimeZone; tz != nil {
		tzPath := spec.Child("timeZone")
		const hint = "set an IANA time zone name, such as Etc/UTC or Europe/Paris, or leave timeZone out"
		switch {
		case *tz == "":
			c.add(field.Invalid(tzPath, *tz, "timeZone must be nil or non-empty string"), hint)
		case !validTimeZoneName(*tz):
			c.add(field.Invalid(tzPath, *tz, "unknown time zone "+*tz), hint)
		case strings.EqualFold(*tz, "Local"):
			c.add(field.Invalid(tzPath, *tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"), hint)
		default:
			// The API server loads the zone from its Go's embedded
			// database (kube-apiserver imports time/tzdata, as kiln
			// does), so a misspelt Europe/Pairs is refused on create.
			if _, err := time.LoadLocation(*tz); err != nil {
				c.add(field.Invalid(tzPath, *tz, err.Error()), hint)
			}
		}
	}
	jt := spec.Child("jobTemplate", "spec")
	if cj.Spec.JobTemplate.Spec.Selector != nil {
		c.add(field.Invalid(jt.Child("selector"), "", "`selector` will be auto-generated"),
			"remove spec.jobTemplate.spec.selector: the API server generates each Job's selector")
	}
	if m := cj.Spec.JobTemplate.Spec.ManualSelector; m != nil && *m {
		c.add(field.NotSupported(jt.Child("manualSelector"), "true", []string{"nil", "false"}),
			"remove spec.jobTemplate.spec.manualSelector: a CronJob's Jobs always have a generated selector")
	}
	c.job(&cj.Spec.JobTemplate.Spec, jt, false)
	nonNegativeIfSet(c, cj.Spec.SuccessfulJobsHistoryLimit, spec.Child("successfulJobsHistoryLimit"))
	nonNegativeIfSet(c, cj.Spec.FailedJobsHistoryLimit, spec.Child("failedJobsHistoryLimit"))
	nonNegativeIfSet(c, cj.Spec.StartingDeadlineSeconds, spec.Child("startingDeadlineSeconds"))
}

// validTimeZoneName is the API server's check of a time zone name's form.
// Whether the zone exists is not checked: the API server looks it up in
// its own time zone database, which kiln cannot see.
func validTimeZoneName(tz string) bool {
	for _, part := range strings.Split(tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !validTimeZone.MatchString(part) {
			return false
		}
	}
	return true
}

// overcommitAllowed reports whether a container may request less of res
// than its limit: the API server's IsOvercommitAllowed, true for resources
// of the kubernetes.io namespace (names without a prefix included) other
// than huge pages. Extended resources (nvidia.com/gpu) and huge pages
// need a limit, and a request equal to it.
func overcommitAllowed(res corev1.ResourceName) bool {
	name := string(res)
	native := !strings.Contains(name, "/") || strings.Contains(name, corev1.ResourceDefaultNamespacePrefix)
	return native && !strings.HasPrefix(name, corev1.ResourceHugePagesPrefix)
}

// varName checks a required environment variable name at p; missing is
// the hint when it is empty.
func (c *checker) varName(name string, p *field.Path, missing string) {
	if name == "" {
		c.add(field.Required(p, ""), missing)
		return
	}
	msgs, hint := c.envName(name)
	for _, msg := range msgs {
		c.add(field.Invalid(p, name, msg), hint)
	}
}

// env checks a container's environment variables: a name (any printable
// ASCII but '=' from Kubernetes 1.32, a C identifier with '-' and '.'
// before), and a value or exactly one source, not both.
func (c *checker) env(vars []corev1.EnvVar, path *field.Path) {
	for i, ev := range vars {
		ep := path.Index(i)
		c.varName(ev.Name, ep.Child("name"), "name the environment variable")
		vf := ev.ValueFrom
		if vf == nil {
			continue
		}
		sources := 0
		// Before EnvFiles (1.35) the API server drops fileKeyRef, so a
		// variable read from a file has no source left.
		for _, set := range []bool{vf.FieldRef != nil, vf.ResourceFieldRef != nil, vf.ConfigMapKeyRef != nil, vf.SecretKeyRef != nil, vf.FileKeyRef != nil && c.on("EnvFiles")} {
			if set {
				sources++
			}
		}
		vp := ep.Child("valueFrom")
		if vf.FieldRef != nil {
			c.fieldRef(vf.FieldRef, envFieldPaths, vp.Child("fieldRef"))
		}
		if vf.ResourceFieldRef != nil {
			c.resourceFieldRef(vf.ResourceFieldRef, false, vp.Child("resourceFieldRef"))
		}
		if r := vf.ConfigMapKeyRef; r != nil {
			c.refName(r.Name, vp.Child("configMapKeyRef", "name"), "ConfigMap")
			c.refKey(r.Key, vp.Child("configMapKeyRef", "key"))
		}
		if r := vf.SecretKeyRef; r != nil {
			c.refName(r.Name, vp.Child("secretKeyRef", "name"), "Secret")
			c.refKey(r.Key, vp.Child("secretKeyRef", "key"))
		}
		if r := vf.FileKeyRef; r != nil && c.on("EnvFiles") {
			c.fileKeyRef(r, vp.Child("fileKeyRef"))
		}
		switch {
		case sources == 0 && vf.FileKeyRef != nil && !c.since(1, 34):
			// Not in the API before 1.34: server-side apply fails on the
			// field before validation, and the check of fields newer than
			// kubeVersion says so; this error beside it told of a drop
			// that release does not make.
		case sources == 0 && vf.FileKeyRef != nil:
			c.add(field.Invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"),
				"fileKeyRef is served from Kubernetes 1.35 (EnvFiles); before, the API server drops it: raise kubeVersion if the cluster runs 1.35 or later, or read the variable from a ConfigMap or Secret")
		case sources == 0:
			c.add(field.Invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"),
				"give valueFrom one source, or use value")
		case ev.Value != "":
			c.add(field.Invalid(vp, "", "may not be specified when `value` is not empty"),
				"keep value or valueFrom, not both")
		case sources > 1:
			c.add(field.Invalid(vp, "", "may not have more than one field specified at a time"),
				"give valueFrom exactly one source")
		}
	}
}

// refName checks the name of the ConfigMap or Secret (kind) an
// environment variable reads a key of: a DNS subdomain, whether or not
// the reference is optional (validateConfigMapKeySelector and
// validateSecretKeySelector in k8s.io/kubernetes v1.37
// pkg/apis/core/validation). The API server has no Required check here,
// so an empty name, which a chart renders when a value such as
// existingSecret is unset, is refused as an invalid one.
func (c *checker) refName(name string, p *field.Path, kind string) {
	hint := "a " + kind + "'s name is a DNS subdomain: lowercase letters, digits, '-' and '.'"
	if name == "" {
		hint = "name the " + kind + " to read the key from; a chart renders an empty name when the value that names it (such as existingSecret) is unset"
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(name, false) {
		c.add(field.Invalid(p, name, msg), hint)
	}
}

// refKey checks the key an environment variable reads from a ConfigMap
// or Secret: a key such an object can hold.
func (c *checker) refKey(k string, p *field.Path) {
	if k == "" {
		c.add(field.Required(p, ""), "name the key to read")
		return
	}
	for _, msg := range validation.IsConfigMapKey(k) {
		c.add(field.Invalid(p, k, msg), "a key is letters, digits, '-', '_' or '.'; a path with '/' is not a key")
	}
}

// probe checks that a probe has exactly one handler, and that handler.
func (c *checker) probe(p *corev1.Probe, path *field.Path) {
	if p == nil {
		return
	}
	c.handler(handler{exec: p.Exec, httpGet: p.HTTPGet, tcpSocket: p.TCPSocket, grpc: p.GRPC}, defaultGracePeriod, "exec, httpGet, tcpSocket or grpc", path)
}

// standardContainerResources are the resources without a domain a
// container may request or limit (huge pages aside).
var standardContainerResources = map[corev1.ResourceName]bool{
	corev1.ResourceCPU: true, corev1.ResourceMemory: true, corev1.ResourceEphemeralStorage: true,
}

// qualifiedResource reports whether a resource's name is a qualified name,
// as every resource's is; if not, it is an error with hint.
func (c *checker) qualifiedResource(res corev1.ResourceName, p *field.Path, hint string) bool {
	msgs := validation.IsQualifiedName(string(res))
	for _, msg := range msgs {
		c.add(field.Invalid(p, string(res), msg), hint)
	}
	return len(msgs) == 0
}

// resource checks one resource of a container's requests or limits: a
// resource a container can have (a misspelt "memroy" is refused), a
// quantity of 0 or more, whole for an extended resource.
func (c *checker) resource(res corev1.ResourceName, q resource.Quantity, p *field.Path) {
	name := string(res)
	if !c.qualifiedResource(res, p, "a resource is cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed name such as nvidia.com/gpu") {
		return
	}
	if !strings.Contains(name, "/") && !standardContainerResources[res] && !strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) {
		c.add(field.Invalid(p, name, "must be a standard resource for containers"),
			"a resource without a domain is cpu, memory, ephemeral-storage or hugepages-<size>: check the spelling")
		return
	}
	if q.Sign() < 0 {
		c.add(field.Invalid(p, q.String(), "must be greater than or equal to 0"), nonNegativeHint)
	}
	if !overcommitAllowed(res) && !strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) && q.MilliValue()%1000 != 0 {
		c.add(field.Invalid(p, q.String(), "must be an integer"), "an extended resource is counted in whole units")
	}
}

// hugePages checks a container's huge pages, as the API server's
// validateResourceRequirements does: each amount a whole number of pages
// of the size its name gives (hugepages-2Mi: 2Mi, 4Mi, ...), and huge
// pages only beside a cpu or memory request or limit.
func (c *checker) hugePages(r *corev1.ResourceRequirements, p *field.Path) {
	huge, cpuOrMemory := false, false
	for _, kind := range []struct {
		key  string
		list corev1.ResourceList
	}{{"limits", r.Limits}, {"requests", r.Requests}} {
		for _, res := range slices.Sorted(maps.Keys(kind.list)) {
			switch {
			case res == corev1.ResourceCPU || res == corev1.ResourceMemory:
				cpuOrMemory = true
			case strings.HasPrefix(string(res), corev1.ResourceHugePagesPrefix):
				huge = true
				if q := kind.list[res]; !wholePages(res, q) {
					c.add(field.Invalid(p.Child(kind.key).Key(string(res)), q.String(), fmt.Sprintf("%s is not positive integer multiple of %s", q.String(), res)),
						fmt.Sprintf("ask for a whole number of pages of the size %s names (with hugepages-2Mi: 2Mi, 4Mi, 100Mi)", res))
				}
			}
		}
	}
	if huge && !cpuOrMemory {
		c.add(field.Forbidden(p, "HugePages require cpu or memory"),
			"add a memory (or cpu) request or limit beside the huge pages")
	}
}

// wholePages reports whether q is a whole number of the pages res (a
// hugepages-<size> resource) is of: the API server's
// IsHugePageResourceValueDivisible, false for a size that is no quantity.
func wholePages(res corev1.ResourceName, q resource.Quantity) bool {
	size, err := resource.ParseQuantity(strings.TrimPrefix(string(res), corev1.ResourceHugePagesPrefix))
	if err != nil || size.Sign() <= 0 || size.MilliValue()%1000 != 0 {
		return false
	}
	return q.Value()%size.Value() == 0
}

// appProtocol checks a port's appProtocol, of a Service or an
// EndpointSlice: a qualified name.
func (c *checker) appProtocol(ap *string, p *field.Path) {
	if ap == nil {
		return
	}
	for _, msg := range validation.IsQualifiedName(*ap) {
		c.add(field.Invalid(p, *ap, msg),
			"an appProtocol is a name such as http, h2c or grpc, or a domain-prefixed one such as kubernetes.io/ws: no spaces, '://' or version numbers with '/'")
	}
}

// trafficDistribution checks a Service's trafficDistribution: kept from
// 1.31 (ServiceTrafficDistribution) with PreferClose, and PreferSameZone
// and PreferSameNode from 1.34 (PreferSameTrafficDistribution).
func (c *checker) trafficDistribution(td *string, p *field.Path) {
	if td == nil || !c.on("ServiceTrafficDistribution") {
		return
	}
	supported := []string{corev1.ServiceTrafficDistributionPreferClose}
	hint := "set PreferClose (endpoints in the client's zone first), or leave trafficDistribution out"
	if c.on("PreferSameTrafficDistribution") {
		supported = append(supported, corev1.ServiceTrafficDistributionPreferSameZone, corev1.ServiceTrafficDistributionPreferSameNode)
		hint = "set PreferSameZone (PreferClose is its older name) or PreferSameNode, or leave trafficDistribution out"
	}
	if !slices.Contains(supported, *td) {
		c.add(field.NotSupported(p, *td, supported), hint)
	}
}
