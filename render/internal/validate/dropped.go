package validate

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
	"github.com/kiln-gitops/kiln/templates"
)

// Fields the API server drops. A field behind a feature gate that is off
// by default in the env's kubeVersion is removed by the API server before
// it validates the object (pkg/api/pod's dropDisabledFields and the other
// strategies' PrepareForCreate): the object is created without it, and
// nothing says so. A pod asked to run in its own user namespace
// (hostUsers: false) then runs in the host's; an image volume disappears
// with its mounts. kiln says so, as a warning, for the fields whose gate
// turned on by default in a release the env's kubeVersion is older than.

// Dropped is one field the API server of the env's kubeVersion drops.
type Dropped struct {
	// Path is the field as written in the object; Line its line.
	Path string
	Line int
	// Gate is the feature gate, on by default from a later release; ""
	// for a field of a fieldless object (fieldless.go), which no gate
	// brings back.
	Gate string
	// Msg says what the API server does and what the object does without
	// the field; Hint what to do.
	Msg, Hint string
	// kept: the API server keeps the field in this object (rooted.kept).
	kept bool
}

// dropRule is one gated field: the objects it is found in (by root,
// below), its path below that root ("[]" after a key: each item of the
// list), when a value is dropped, and what the object does without it.
type dropRule struct {
	root   string
	path   string
	gate   string                 // its release is apirules.GateSince's
	drops  func(*kyaml.Node) bool // nil: any value
	effect string
}

// dropsFrom is the first release that drops a rule's field (by root,
// path and gate), where the gate came after the field: before it, the API
// server refused the field outright, which apirules reports.
var dropsFrom = map[[3]string]*version.Version{
	{rootRegular, "restartPolicy", "ContainerRestartRules"}: version.MajorMinor(1, 34),
	{rootInit, "restartPolicy", "ContainerRestartRules"}:    version.MajorMinor(1, 34),
}

// Roots of dropRules: where in an object its pod spec, its Job spec, its
// Service spec … are.
const (
	rootPod       = "pod"       // a pod spec
	rootContainer = "container" // each container and init container
	rootInit      = "init"      // each init container
	rootRegular   = "regular"   // each (regular) container
	rootJob       = "job"       // a Job spec
	rootService   = "service"   // a Service spec
	rootSTS       = "sts"       // a StatefulSet spec
	rootClaim     = "claim"     // a PersistentVolumeClaim spec, also a StatefulSet's claim templates'
	rootHPA       = "hpa"       // an autoscaling/v2 HorizontalPodAutoscaler spec
	rootCronJob   = "cronjob"   // a CronJob spec
	rootPDB       = "pdb"       // a PodDisruptionBudget spec
	rootMeta      = "meta"      // a pod's or pod template's metadata
	rootPV        = "pv"        // a PersistentVolume spec
	rootDRAClaim  = "draclaim"  // a resource.k8s.io claim's spec (v1, v1beta2), also a claim template's
	rootDevClass  = "devclass"  // a resource.k8s.io DeviceClass spec
)

// notValue returns a drops func that is true unless the scalar is v.
func notValue(v string) func(*kyaml.Node) bool {
	return func(n *kyaml.Node) bool { return n.Kind != kyaml.ScalarNode || n.Value != v }
}

// isValue returns a drops func that is true when the scalar is v.
func isValue(v string) func(*kyaml.Node) bool {
	return func(n *kyaml.Node) bool { return n.Kind == kyaml.ScalarNode && n.Value == v }
}

// dropRules are the gated fields, by the release that turned their gate on
// by default (apirules.GateSince). Fields behind gates still off by
// default in 1.37 are offRules'. Left out is a fileKeyRef before
// EnvFiles: dropping it leaves its valueFrom without a source, which
// validation refuses.
var dropRules = []dropRule{
	{rootCronJob, "timeZone", "CronJobTimeZone", nil, "the schedule is read in the time zone of the kube-controller-manager (often UTC)"},
	{rootContainer, "livenessProbe.terminationGracePeriodSeconds", "ProbeTerminationGracePeriod", nil, "a container the probe fails is given the pod's terminationGracePeriodSeconds to stop"},
	{rootContainer, "startupProbe.terminationGracePeriodSeconds", "ProbeTerminationGracePeriod", nil, "a container the probe fails is given the pod's terminationGracePeriodSeconds to stop"},
	{rootJob, "podFailurePolicy", "JobPodFailurePolicy", nil, "every failed pod counts towards backoffLimit, whatever its exit code or condition"},
	{rootPod, "topologySpreadConstraints[].nodeAffinityPolicy", "NodeInclusionPolicyInPodTopologySpread", nil, "the spread counts the nodes the pod's node affinity allows (Honor)"},
	{rootPod, "topologySpreadConstraints[].nodeTaintsPolicy", "NodeInclusionPolicyInPodTopologySpread", nil, "the spread counts tainted nodes too (Ignore)"},
	{rootPod, "topologySpreadConstraints[].matchLabelKeys", "MatchLabelKeysInPodTopologySpread", nil, "the spread counts the pods of every revision together"},
	{rootPod, "topologySpreadConstraints[].minDomains", "MinDomainsInPodTopologySpread", nil, "the spread asks for no minimum number of domains"},
	{rootPod, "schedulingGates", "PodSchedulingReadiness", nil, "the pod is scheduled at once, without waiting for its gates to be removed"},
	{rootHPA, "metrics[].containerResource", "HPAContainerMetrics", nil, "the ContainerResource metric is left without its source, which the API server then refuses"},
	{rootPDB, "unhealthyPodEvictionPolicy", "PDBUnhealthyPodEvictionPolicy", nil, "running pods that are not ready are evicted only while the budget allows (IfHealthyBudget)"},
	{rootSTS, "persistentVolumeClaimRetentionPolicy", "StatefulSetAutoDeletePVC", nil, "the StatefulSet's claims are kept when it is deleted or scaled down (Retain)"},
	{rootSTS, "ordinals", "StatefulSetStartOrdinal", nil, "the pods are numbered from 0"},
	{rootInit, "restartPolicy", "SidecarContainers", isValue("Always"), "the sidecar runs as an ordinary init container, which must exit before the others start: one that keeps running keeps the pod from starting"},
	{rootContainer, "lifecycle.postStart.sleep", "PodLifecycleSleepAction", nil, "the handler is left without an action, which the API server then refuses"},
	{rootContainer, "lifecycle.preStop.sleep", "PodLifecycleSleepAction", nil, "the handler is left without an action, which the API server then refuses"},
	{rootJob, "podReplacementPolicy", "JobPodReplacementPolicy", nil, "a Job replaces a pod as soon as it is terminating"},
	{rootJob, "backoffLimitPerIndex", "JobBackoffLimitPerIndex", nil, "the Job's backoffLimit counts failures of all indexes together"},
	{rootJob, "maxFailedIndexes", "JobBackoffLimitPerIndex", nil, "the Job does not stop after that many failed indexes"},
	{rootPod, "affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[].matchLabelKeys", "MatchLabelKeysInPodAffinity", nil, "the affinity term ignores the pods' own label values"},
	{rootPod, "affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[].mismatchLabelKeys", "MatchLabelKeysInPodAffinity", nil, "the affinity term ignores the pods' own label values"},
	{rootPod, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[].matchLabelKeys", "MatchLabelKeysInPodAffinity", nil, "the anti-affinity term ignores the pods' own label values"},
	{rootPod, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[].mismatchLabelKeys", "MatchLabelKeysInPodAffinity", nil, "the anti-affinity term ignores the pods' own label values"},
	{rootContainer, "volumeMounts[].recursiveReadOnly", "RecursiveReadOnlyMounts", notValue("Disabled"), "only the mount's top is read-only, not the mounts below it"},
	{rootService, "trafficDistribution", "ServiceTrafficDistribution", nil, "traffic goes to every endpoint, whatever its zone"},
	{rootJob, "successPolicy", "JobSuccessPolicy", nil, "the Job succeeds only when every index succeeds"},
	{rootJob, "managedBy", "JobManagedBy", nil, "the built-in Job controller runs the Job"},
	{rootPod, "hostUsers", "UserNamespacesSupport", notValue("true"), "the pod runs in the host's user namespace, where root in the container is root on the node"},
	{rootPod, "securityContext.supplementalGroupsPolicy", "SupplementalGroupsPolicy", notValue("Merge"), "the image's groups are merged in (Merge)"},
	{rootPod, "securityContext.seLinuxChangePolicy", "SELinuxChangePolicy", notValue("Recursive"), "volumes are relabelled file by file (Recursive)"},
	{rootContainer, "securityContext.procMount", "ProcMountType", notValue("Default"), "the container's /proc is masked (Default)"},
	{rootContainer, "resizePolicy", "InPlacePodVerticalScaling", nil, "the container keeps its resources until the pod is replaced"},
	{rootPod, "resourceClaims", "DynamicResourceAllocation", nil, "the pod gets none of the devices it claims"},
	{rootContainer, "resources.claims", "DynamicResourceAllocation", nil, "the container gets none of the devices it claims"},
	{rootPod, "resources", "PodLevelResources", nil, "only the containers' own resources apply"},
	{rootClaim, "volumeAttributesClassName", "VolumeAttributesClass", nil, "the volume gets the storage class's default attributes"},
	{rootPod, "volumes[].image", "ImageVolume", nil, "the volume and its mounts are dropped, and the containers start without them"},
	{rootPod, "hostnameOverride", "HostnameOverride", nil, "the pod's hostname is its name"},
	{rootRegular, "restartPolicy", "ContainerRestartRules", nil, "the container restarts as the pod's restartPolicy says"},
	{rootRegular, "restartPolicyRules", "ContainerRestartRules", nil, "the container restarts as the pod's restartPolicy says"},
	{rootInit, "restartPolicy", "ContainerRestartRules", notValue("Always"), "the init container restarts as the pod's restartPolicy says"},
	{rootInit, "restartPolicyRules", "ContainerRestartRules", nil, "the init container restarts as the pod's restartPolicy says"},
	{rootSTS, "updateStrategy.rollingUpdate.maxUnavailable", "MaxUnavailableStatefulSet", nil, "a rolling update replaces one pod at a time"},
	{rootPod, "volumes[].projected.sources[].clusterTrustBundle", "ClusterTrustBundleProjection", nil, "the source is left empty: the pod starts without the trust bundle's file"},
	{rootPod, "volumes[].projected.sources[].podCertificate", "PodCertificateRequest", nil, "the source is left empty: the pod starts without its key and certificate"},
	{rootHPA, "behavior.scaleUp.tolerance", "HPAConfigurableTolerance", nil, "the autoscaler's tolerance is the cluster's (10% by default)"},
	{rootHPA, "behavior.scaleDown.tolerance", "HPAConfigurableTolerance", nil, "the autoscaler's tolerance is the cluster's (10% by default)"},
	{rootPV, "csi.nodeExpandSecretRef", "CSINodeExpandSecret", nil, "the driver gets no secret when it expands the volume on the node: one that needs it fails the expansion"},
	{rootDRAClaim, "devices.requests[].exactly.tolerations", "DRADeviceTaints", nil, "the request tolerates no device taint: tainted devices are not allocated to it"},
	{rootDRAClaim, "devices.requests[].firstAvailable[].tolerations", "DRADeviceTaints", nil, "the request tolerates no device taint: tainted devices are not allocated to it"},
	{rootDRAClaim, "devices.requests[].exactly.capacity", "DRAConsumableCapacity", nil, "the request is given whole devices, not the share of their capacity it asks for"},
	{rootDRAClaim, "devices.requests[].firstAvailable[].capacity", "DRAConsumableCapacity", nil, "the request is given whole devices, not the share of their capacity it asks for"},
	{rootDevClass, "extendedResourceName", "DRAExtendedResource", nil, "pods that ask for the extended resource get no device of this class"},
}

// offRules are the gated fields whose gate is off by default in every
// release kiln knows (apirules.GateOff): the API server of any kubeVersion
// drops them unless the cluster turned the gate on, before it validates
// the object, so that what is wrong inside them is never refused either
// (the DropDisabledFields of v1.37's pkg/api/pod, job,
// persistentvolumeclaim and resourceclaimspec).
var offRules = []dropRule{
	{rootContainer, "lifecycle.stopSignal", "ContainerStopSignals", nil, "the container is stopped with its image's stop signal (SIGTERM if the image names none)"},
	{rootContainer, "livenessProbe.httpGet.protocol", "H2CContainerProbe", notValue("HTTP1"), "the probe speaks HTTP/1.1"},
	{rootContainer, "readinessProbe.httpGet.protocol", "H2CContainerProbe", notValue("HTTP1"), "the probe speaks HTTP/1.1"},
	{rootContainer, "startupProbe.httpGet.protocol", "H2CContainerProbe", notValue("HTTP1"), "the probe speaks HTTP/1.1"},
	{rootContainer, "lifecycle.postStart.httpGet.protocol", "H2CContainerProbe", notValue("HTTP1"), "the hook speaks HTTP/1.1"},
	{rootContainer, "lifecycle.preStop.httpGet.protocol", "H2CContainerProbe", notValue("HTTP1"), "the hook speaks HTTP/1.1"},
	{rootContainer, "livenessProbe.grpc.mode", "GRPCContainerProbeTLS", notValue("Plaintext"), "the probe connects in plaintext, without TLS"},
	{rootContainer, "readinessProbe.grpc.mode", "GRPCContainerProbeTLS", notValue("Plaintext"), "the probe connects in plaintext, without TLS"},
	{rootContainer, "startupProbe.grpc.mode", "GRPCContainerProbeTLS", notValue("Plaintext"), "the probe connects in plaintext, without TLS"},
	{rootContainer, "volumeMounts[].bindMountOptions", "VolumeBindMountOptions", nil, "the volume is mounted without noexec, nodev or nosuid"},
	{rootPod, "volumes[].emptyDir.mode", "EmptyDirVolumeMode", nil, "the volume's directory has mode 0777"},
	{rootPod, "volumes[].secret.defaultUser", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].secret.items[].user", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].configMap.defaultUser", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].configMap.items[].user", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].downwardAPI.defaultUser", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].downwardAPI.items[].user", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].projected.defaultUser", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].projected.sources[].secret.items[].user", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].projected.sources[].configMap.items[].user", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].projected.sources[].downwardAPI.items[].user", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].projected.sources[].serviceAccountToken.user", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].projected.sources[].clusterTrustBundle.user", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "volumes[].projected.sources[].podCertificate.user", "AtomicWriteVolumeUserFields", nil, userEffect},
	{rootPod, "schedulingGroup", "GenericWorkload", nil, "the pod is scheduled on its own, not with its workload's group"},
	{rootPod, "evictionResponders", "EvictionRequestAPI", nil, "the pod is evicted without asking its responders first"},
	{rootJob, "scheduling", "WorkloadWithJob", nil, "the Job's pods are scheduled one by one, not as a gang"},
	// Only a reference into another namespace is dropped, and with it the
	// whole reference.
	{rootClaim, "dataSourceRef", "CrossNamespaceVolumeDataSource", func(n *kyaml.Node) bool {
		ns := child(n, "namespace")
		return ns != nil && ns.Kind == kyaml.ScalarNode && ns.Tag != kyaml.NodeTagNull && ns.Value != ""
	}, "the whole dataSourceRef is dropped: the volume is provisioned empty, not from the data source in the other namespace"},
	{rootDRAClaim, "devices.requests[].exactly.derivedAttributes", "DRADerivedAttributes", nil, "the request's devices have none of the derived attributes its constraints name"},
	{rootDRAClaim, "devices.requests[].firstAvailable[].derivedAttributes", "DRADerivedAttributes", nil, "the request's devices have none of the derived attributes its constraints name"},
}

const userEffect = "the files belong to root (user 0), as the kubelet writes them"

// inertVolumes are the volume plugins a pod may still name, and the API
// server still takes (with a warning Flux does not show), but the kubelet
// no longer mounts, so the pod does not start: each with the release from
// which (pkg/api/pod/warnings.go of v1.37). gitRepo's gate,
// GitRepoVolumeDriver, is off by default from 1.33 and locked off from
// 1.36.
var inertVolumes = []struct {
	key          string
	major, minor uint
	why, hint    string // why "": non-functional from major.minor
}{
	{"photonPersistentDisk", 1, 16, "", csiHint},
	{"scaleIO", 1, 22, "", csiHint},
	{"flocker", 1, 25, "", csiHint},
	{"storageos", 1, 25, "", csiHint},
	{"quobyte", 1, 25, "", csiHint},
	{"glusterfs", 1, 26, "", csiHint},
	{"cephfs", 1, 31, "", "use the Ceph CSI driver (ceph-csi): a persistentVolumeClaim of its StorageClass"},
	{"rbd", 1, 31, "", "use the Ceph CSI driver (ceph-csi): a persistentVolumeClaim of its StorageClass"},
	{"gitRepo", 1, 33, "GitRepoVolumeDriver is off by default from 1.33, locked off from 1.36", "clone the repository in an init container into an emptyDir volume, as the Kubernetes documentation suggests"},
}

// inertPaths is each inert volume's path below a pod spec.
var inertPaths = func() map[string][]string {
	m := map[string][]string{}
	for _, v := range inertVolumes {
		m[v.key] = []string{"volumes[]", v.key}
	}
	return m
}()

const csiHint = "use the storage's CSI driver: a persistentVolumeClaim of its StorageClass"

// seccompAnnotationsOff is the release from which the seccomp annotations
// of a pod (seccomp.security.alpha.kubernetes.io/pod, and
// container.seccomp.security.alpha.kubernetes.io/<name>) do nothing:
// the API server no longer turns them into seccompProfile.
const seccompAnnotationsOff = 27

// inert returns what of o the API server of kubeVersion takes but what
// then does nothing: volumes of plugins no longer mounted, seccomp
// annotations no longer applied.
func (e *Env) inert(o templates.Object, roots map[string][]rooted) []Dropped {
	from := func(major, minor uint) bool {
		return e.kube == nil || e.kube.Major() > major || e.kube.Major() == major && e.kube.Minor() >= minor
	}
	var out []Dropped
	if from(1, 28) {
		out = append(out, hostNetworkPorts(o, roots[rootPod])...)
	}
	for i := range inertVolumes {
		v := &inertVolumes[i] // not a copy, which the callback would take for every object
		if !from(v.major, v.minor) {
			continue
		}
		for _, root := range roots[rootPod] {
			if !anyAt(root.node, inertPaths[v.key]) {
				continue
			}
			eachAt(root.node, inertPaths[v.key], root.path, func(_, k *kyaml.Node, p string) {
				why := v.why
				if why == "" {
					why = fmt.Sprintf("non-functional from %d.%d", v.major, v.minor)
				}
				out = append(out, Dropped{Path: p, Line: o.LineOf(k), Gate: v.key + " volumes",
					Msg:  fmt.Sprintf("field %q is a %s volume, which %s takes but does not mount (%s): the pod does not start", p, v.key, e.release(), why),
					Hint: v.hint})
			})
		}
	}
	if !from(1, seccompAnnotationsOff) {
		return out
	}
	var podSpec *kyaml.Node
	if ps := roots[rootPod]; len(ps) > 0 {
		podSpec = ps[0].node
	}
	for _, root := range roots[rootMeta] {
		_, ann := entry(root.node, "annotations")
		if ann == nil || ann.Kind != kyaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(ann.Content); i += 2 {
			key := ann.Content[i].Value
			if key != corev1.SeccompPodAnnotationKey && !strings.HasPrefix(key, corev1.SeccompContainerAnnotationKeyPrefix) {
				continue
			}
			// A value the API server refuses is an error (apirules); beside
			// the field it duplicates, the profile applies through the
			// field, or the two disagree, an error too. Neither runs
			// without its profile.
			if !apirules.ValidSeccompAnnotation(ann.Content[i+1].Value) || seccompFieldSet(podSpec, key) {
				continue
			}
			p := fmt.Sprintf("%s.annotations[%s]", root.path, key)
			out = append(out, Dropped{Path: p, Line: o.LineOf(ann.Content[i]), Gate: "seccomp annotations",
				Msg:  fmt.Sprintf("field %q is a seccomp annotation, which %s ignores (non-functional from 1.27): the pod runs without the seccomp profile it names", p, e.release()),
				Hint: "set the pod's or the container's securityContext.seccompProfile instead (type: RuntimeDefault, or Localhost with localhostProfile)"})
		}
	}
	return out
}

// hostNetworkPorts finds, in the pod templates of o (pods are apirules'),
// two ports of the pod's containers on one port of the node: with
// hostNetwork: true a container listens on the node's port, and the API
// server makes each hostPort left out its containerPort when it creates a
// pod. From 1.28 it no longer does so for templates
// (DefaultHostNetworkHostPortsInPodTemplates off), so it takes the
// template, and refuses every pod the controller makes of it. Init
// containers run one at a time: each is looked at on its own.
func hostNetworkPorts(o templates.Object, pods []rooted) []Dropped {
	var out []Dropped
	for _, root := range pods {
		if root.path == "spec" { // a Pod: refused outright (apirules)
			continue
		}
		if hn := child(root.node, "hostNetwork"); hn == nil || hn.Value != "true" {
			continue
		}
		// together: the containers run at once, so their ports are one set.
		check := func(list string, ctrs []*kyaml.Node, together bool) {
			seen := map[string]bool{}
			for i, c := range ctrs {
				if !together {
					seen = map[string]bool{}
				}
				ports := child(c, "ports")
				if ports == nil || ports.Kind != kyaml.SequenceNode {
					continue
				}
				for j, port := range ports.Content {
					cp, hp := child(port, "containerPort"), child(port, "hostPort")
					if cp == nil || (hp != nil && hp.Value != "" && hp.Value != "0") {
						continue // a hostPort written: apirules checks it
					}
					proto, ip := "TCP", ""
					if n := child(port, "protocol"); n != nil && n.Value != "" {
						proto = n.Value
					}
					if n := child(port, "hostIP"); n != nil {
						ip = n.Value
					}
					key := proto + "/" + ip + "/" + cp.Value
					if seen[key] {
						p := fmt.Sprintf("%s.%s[%d].ports[%d].containerPort", root.path, list, i, j)
						out = append(out, Dropped{Path: p, Line: o.LineOf(cp), Gate: "host network ports",
							Msg:  fmt.Sprintf("field %q: with hostNetwork: true the container listens on port %s of the node, as another port of the pod does: the API server takes the template, and refuses every pod made of it (duplicate hostPort)", p, cp.Value),
							Hint: "give each container its own containerPort, or list the port once"})
					}
					seen[key] = true
				}
			}
		}
		if ctrs := child(root.node, "containers"); ctrs != nil && ctrs.Kind == kyaml.SequenceNode {
			check("containers", ctrs.Content, true)
		}
		if ctrs := child(root.node, "initContainers"); ctrs != nil && ctrs.Kind == kyaml.SequenceNode {
			check("initContainers", ctrs.Content, false)
		}
	}
	return out
}

// seccompFieldSet reports whether the pod spec ps sets the seccompProfile
// that the seccomp annotation key stands for: the pod's, or that of the
// container (of any kind) the key names.
func seccompFieldSet(ps *kyaml.Node, key string) bool {
	set := func(n *kyaml.Node) bool {
		sp := child(n, "securityContext", "seccompProfile")
		return sp != nil && sp.Tag != kyaml.NodeTagNull
	}
	if key == corev1.SeccompPodAnnotationKey {
		return set(ps)
	}
	name := strings.TrimPrefix(key, corev1.SeccompContainerAnnotationKeyPrefix)
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		ctrs := child(ps, list)
		if ctrs == nil || ctrs.Kind != kyaml.SequenceNode {
			continue
		}
		for _, c := range ctrs.Content {
			if _, n := entry(c, "name"); n != nil && n.Value == name && set(c) {
				return true
			}
		}
	}
	return false
}

// ruleSegments is each rule's path, split at its dots once: Dropped runs
// on every object of a run.
var ruleSegments = func() map[string][]string {
	m := map[string][]string{}
	for _, rules := range [][]dropRule{dropRules, offRules} {
		for _, r := range rules {
			m[r.path] = strings.Split(r.path, ".")
		}
	}
	return m
}()

// newestDropRelease is the latest release of dropRules' gates: from it
// on, nothing in them is dropped.
var newestDropRelease = func() *version.Version {
	newest := version.MajorMinor(0, 0)
	for _, r := range dropRules {
		if v := version.MustParseGeneric(apirules.GateSince(r.gate)); newest.LessThan(v) {
			newest = v
		}
	}
	return newest
}()

// Dropped returns what of o the API server of the env's kubeVersion
// takes but ignores (inert), then the fields it drops (offRules' at any
// kubeVersion, dropRules' before their gates turned on), each rule's in
// the order of its places in o.
func (e *Env) Dropped(o templates.Object) []Dropped {
	if o.Node == nil || o.Raw != nil {
		return nil
	}
	if o.Node.GetKind() == crdGVK.Kind && o.Node.GetApiVersion() == crdGVK.GroupVersion().String() {
		return e.crdDropped(o)
	}
	roots := objectRoots(o.Node)
	if len(roots) == 0 {
		return e.fieldlessDropped(o)
	}
	return append(e.inert(o, roots), e.dropped(o, roots)...)
}

// dropped returns the fields of o, whose dropRules roots are roots, that
// the API server of the env's kubeVersion removes before it validates o.
func (e *Env) dropped(o templates.Object, roots map[string][]rooted) []Dropped {
	gvk := schema.FromAPIVersionAndKind(o.Node.GetApiVersion(), o.Node.GetKind())
	var out []Dropped
	for i, rules := range [2][]dropRule{offRules, dropRules} {
		off := i == 0
		if !off && (e.kube == nil || !e.kube.LessThan(newestDropRelease)) {
			break
		}
		for _, r := range rules {
			if !off {
				if from := dropsFrom[[3]string{r.root, r.path, r.gate}]; apirules.GateOn(r.gate, e.kube) || (from != nil && e.kube.LessThan(from)) {
					continue
				}
			}
			for _, root := range roots[r.root] {
				segs := ruleSegments[r.path]
				if !anyAt(root.node, segs) {
					continue // most rules find nothing: nothing is made for them
				}
				eachAt(root.node, segs, root.path, func(v, k *kyaml.Node, p string) {
					// A field the release does not know at all is an error
					// (newerFields), not dropped.
					if newerThan(gvk, p, e.kube) > 0 || r.drops != nil && !r.drops(v) {
						return
					}
					d := e.droppedField(r, off, p)
					d.Line, d.kept = o.LineOf(k), root.kept
					out = append(out, d)
				})
			}
		}
	}
	return out
}

// droppedField is what kiln says of the field at p that rule r (of
// offRules when off) finds dropped.
func (e *Env) droppedField(r dropRule, off bool, p string) Dropped {
	d := Dropped{Path: p, Gate: r.gate}
	if off {
		d.Msg = fmt.Sprintf("field %q is dropped by the API server: %s is an %s feature gate, off by default in every release up to Kubernetes %s: %s",
			p, r.gate, apirules.GateOff(r.gate), apiRelease, r.effect)
		d.Hint = fmt.Sprintf("remove the field, or turn on %s in the cluster's API server (kiln checks what a cluster with the default gates keeps)", r.gate)
		return d
	}
	d.Msg = fmt.Sprintf("field %q is dropped by the API server of %s (%s is on by default from %s): %s",
		p, e.release(), r.gate, apirules.GateSince(r.gate), r.effect)
	d.Hint = fmt.Sprintf("if the cluster runs Kubernetes %s or later, set kubeVersion to its version; otherwise remove the field, or turn on %s in the cluster", apirules.GateSince(r.gate), r.gate)
	return d
}

// anyAt reports whether eachAt would find a value at path below n,
// stopping at the first and building nothing.
func anyAt(n *kyaml.Node, path []string) bool {
	w := walker{path: path}
	return w.walk(n, path)
}

// droppedFields is the paths of the fields the API server drops from one
// object before validating it, found when first asked: the checks leave
// out what they find wrong below them, which the cluster never sees.
// Most objects have nothing wrong, and are never asked about.
type droppedFields struct {
	e     *Env
	o     templates.Object
	paths []string
	done  bool
}

// has reports whether path is a dropped field or lies below one.
func (d *droppedFields) has(path string) bool {
	if d == nil {
		return false
	}
	if !d.done {
		d.done = true
		if roots := objectRoots(d.o.Node); len(roots) > 0 {
			for _, f := range d.e.dropped(d.o, roots) {
				if !f.kept {
					d.paths = append(d.paths, f.Path)
				}
			}
		}
	}
	return below(path, d.paths)
}

// below reports whether path is one of fields or a field below one.
func below(path string, fields []string) bool {
	for _, f := range fields {
		if path == f || strings.HasPrefix(path, f+".") || strings.HasPrefix(path, f+"[") {
			return true
		}
	}
	return false
}

// rooted is a node of an object and its path. kept: the API server keeps
// its fields and validates them, whatever their gates: a StatefulSet's
// claim templates, whose claims lose them when the controller creates
// them.
type rooted struct {
	node *kyaml.Node
	path string
	kept bool
}

// objectRoots finds the roots of dropRules in an object of a built-in
// kind: its pod spec and containers, Job, CronJob, Service, StatefulSet,
// claim, volume, budget or autoscaler spec.
func objectRoots(obj *kyaml.RNode) map[string][]rooted {
	gv, err := schema.ParseGroupVersion(obj.GetApiVersion())
	if err != nil {
		return nil
	}
	// Most objects have no root: the map is made for those that do.
	var roots map[string][]rooted
	add := func(root string, r rooted) {
		if roots == nil {
			roots = map[string][]rooted{}
		}
		roots[root] = append(roots[root], r)
	}
	at := func(root string, path string) *kyaml.Node {
		n := child(obj.YNode(), strings.Split(path, ".")...)
		if n != nil {
			add(root, rooted{node: n, path: path})
		}
		return n
	}
	pod := ""
	switch gv.Group + "/" + obj.GetKind() {
	case "/Pod":
		pod = "spec"
	case "/PodTemplate":
		pod = "template.spec"
	case "/ReplicationController", "apps/Deployment", "apps/ReplicaSet", "apps/DaemonSet":
		pod = "spec.template.spec"
	case "apps/StatefulSet":
		pod = "spec.template.spec"
		at(rootSTS, "spec")
		if tpls := child(obj.YNode(), "spec", "volumeClaimTemplates"); tpls != nil && tpls.Kind == kyaml.SequenceNode {
			for i, t := range tpls.Content {
				if s := child(t, "spec"); s != nil {
					add(rootClaim, rooted{s, fmt.Sprintf("spec.volumeClaimTemplates[%d].spec", i), true})
				}
			}
		}
	case "batch/Job":
		pod = "spec.template.spec"
		at(rootJob, "spec")
	case "batch/CronJob":
		pod = "spec.jobTemplate.spec.template.spec"
		at(rootJob, "spec.jobTemplate.spec")
		at(rootCronJob, "spec")
	case "policy/PodDisruptionBudget":
		at(rootPDB, "spec")
	case "/Service":
		at(rootService, "spec")
	case "/PersistentVolumeClaim":
		at(rootClaim, "spec")
	case "/PersistentVolume":
		at(rootPV, "spec")
	case "autoscaling/HorizontalPodAutoscaler":
		if gv.Version == "v2" {
			at(rootHPA, "spec")
		}
	case "resource.k8s.io/ResourceClaim", "resource.k8s.io/ResourceClaimTemplate":
		// v1beta1's requests have their fields on the request itself.
		spec := "spec"
		if obj.GetKind() == "ResourceClaimTemplate" {
			spec = "spec.spec"
		}
		if gv.Version == "v1" || gv.Version == "v1beta2" {
			at(rootDRAClaim, spec)
		}
	case "resource.k8s.io/DeviceClass":
		at(rootDevClass, "spec")
	}
	if pod == "" {
		return roots
	}
	at(rootMeta, strings.TrimSuffix(pod, "spec")+"metadata")
	ps := at(rootPod, pod)
	if ps == nil {
		return roots
	}
	for _, list := range []struct{ key, root string }{{"initContainers", rootInit}, {"containers", rootRegular}} {
		ctrs := child(ps, list.key)
		if ctrs == nil || ctrs.Kind != kyaml.SequenceNode {
			continue
		}
		for i, c := range ctrs.Content {
			p := fmt.Sprintf("%s.%s[%d]", pod, list.key, i)
			add(list.root, rooted{node: c, path: p})
			add(rootContainer, rooted{node: c, path: p})
		}
	}
	return roots
}

// child is the value at keys below a mapping node, nil when a key is
// missing or a node on the way is not a mapping.
func child(n *kyaml.Node, keys ...string) *kyaml.Node {
	for _, k := range keys {
		_, n = entry(n, k)
	}
	return n
}

// entry is the key node and the value of key in a mapping node (the last,
// if written twice), nils when n is no mapping or lacks key.
func entry(n *kyaml.Node, key string) (k, v *kyaml.Node) {
	if n == nil || n.Kind != kyaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			k, v = n.Content[i], n.Content[i+1]
		}
	}
	return k, v
}

// eachAt calls f with each value at path below n (a segment ending in
// "[]" names each item of a list), the key node that names it (whose line
// is the field's) and its path; a null value is no field.
func eachAt(n *kyaml.Node, path []string, at string, f func(v, key *kyaml.Node, path string)) {
	w := walker{at: at, path: path, f: f}
	w.walk(n, path)
}

// walker is eachAt's walk, which writes the path of a field found only
// then: most rules find nothing, and Dropped runs on every object of a
// run. Without f it is anyAt's, which stops at the first field found.
type walker struct {
	at   string
	path []string
	idx  []int // the list items' indices on the way
	f    func(v, key *kyaml.Node, path string)
}

// walk reports whether it found a field below n at rest.
func (w *walker) walk(n *kyaml.Node, rest []string) bool {
	key, each := strings.CutSuffix(rest[0], "[]")
	k, v := entry(n, key)
	switch {
	case v == nil:
	case !each && len(rest) == 1:
		if v.Tag == kyaml.NodeTagNull {
			return false
		}
		if w.f != nil {
			w.f(v, k, joinAt(w.at, w.path, w.idx))
		}
		return true
	case !each:
		return w.walk(v, rest[1:])
	case v.Kind == kyaml.SequenceNode && len(rest) > 1: // every path here names a field below the list's items
		found := false
		for i, item := range v.Content {
			if w.f == nil {
				if w.walk(item, rest[1:]) {
					return true
				}
				continue
			}
			w.idx = append(w.idx, i)
			found = w.walk(item, rest[1:]) || found
			w.idx = w.idx[:len(w.idx)-1]
		}
		return found
	}
	return false
}

// joinAt writes the path of the field at path below at, with idx the
// indices of its "[]" segments.
func joinAt(at string, path []string, idx []int) string {
	var b strings.Builder
	b.WriteString(at)
	for _, seg := range path {
		key, each := strings.CutSuffix(seg, "[]")
		b.WriteString(".")
		b.WriteString(key)
		if each {
			b.WriteString("[" + strconv.Itoa(idx[0]) + "]")
			idx = idx[1:]
		}
	}
	return b.String()
}
