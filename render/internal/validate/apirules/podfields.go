package apirules

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// More of ValidatePodSpec and validateContainerCommon (v1.37): volume
// mounts' sub-paths and propagation, block devices (ValidateVolumeDevices),
// resize policies (validateResizePolicy), envFrom, ports on the host's
// network, host aliases, readiness and scheduling gates, the runtime
// class. Left out: recursiveReadOnly and bindMountOptions, behind feature
// gates kiln cannot see.

// mounts checks what a container's volume mounts say beyond the volume's
// name: a mount path, a sub-path (or a sub-path expression, not both)
// that stays inside the volume, and Bidirectional propagation only in a
// privileged container.
func (c *checker) mounts(ctr *corev1.Container, cp *field.Path) {
	privileged := ctr.SecurityContext != nil && ctr.SecurityContext.Privileged != nil && *ctr.SecurityContext.Privileged
	for j, m := range ctr.VolumeMounts {
		mp := cp.Child("volumeMounts").Index(j)
		if m.MountPath == "" {
			c.add(field.Required(mp.Child("mountPath"), ""), "give the path in the container where the volume is mounted")
		}
		// The API server names these volumeMounts.subPath,
		// volumeMounts.subPathExpr and volumeMounts.mountPropagation,
		// without the mount's index.
		const subHint = "a sub-path is a path inside the volume: relative, without '..'"
		if m.SubPath != "" {
			c.localDescendingPath(m.SubPath, mp.Child("subPath"), subHint)
		}
		if m.SubPathExpr != "" {
			if m.SubPath != "" {
				c.add(field.Invalid(mp.Child("subPathExpr"), m.SubPathExpr, "subPathExpr and subPath are mutually exclusive"),
					"keep subPath for a fixed path or subPathExpr for one with $(VAR) references, not both")
			}
			c.localDescendingPath(m.SubPathExpr, mp.Child("subPathExpr"), subHint)
		}
		if m.MountPropagation != nil && *m.MountPropagation == corev1.MountPropagationBidirectional && !privileged {
			c.add(field.Forbidden(mp.Child("mountPropagation"), "Bidirectional mount propagation is available only to privileged containers"),
				"make the container privileged (securityContext.privileged: true), or use HostToContainer propagation")
		}
		c.recursiveReadOnlyMount(m, mp.Child("recursiveReadOnly"))
	}
}

// recursiveReadOnlyMount checks a mount's recursiveReadOnly (from 1.31,
// RecursiveReadOnlyMounts): Enabled and IfPossible only on a read-only
// mount without propagation. The API server names the field
// volumeMounts.recursiveReadOnly, without the mount's index. The values
// are the API server's to check too: the schema has no enum for them, so
// a lowercase "enabled" passed kiln and was refused on apply.
func (c *checker) recursiveReadOnlyMount(m corev1.VolumeMount, p *field.Path) {
	if !c.on("RecursiveReadOnlyMounts") || m.RecursiveReadOnly == nil {
		return
	}
	switch rro := *m.RecursiveReadOnly; rro {
	case corev1.RecursiveReadOnlyEnabled, corev1.RecursiveReadOnlyIfPossible:
	case corev1.RecursiveReadOnlyDisabled:
		return
	default:
		c.add(field.NotSupported(p, rro, []string{string(corev1.RecursiveReadOnlyDisabled), string(corev1.RecursiveReadOnlyEnabled), string(corev1.RecursiveReadOnlyIfPossible)}),
			"recursiveReadOnly is Disabled, Enabled or IfPossible, written with that case")
		return
	}
	if !m.ReadOnly {
		c.add(field.Forbidden(p, "may only be specified when readOnly is true"), "add readOnly: true to the mount, or remove recursiveReadOnly")
	}
	if m.MountPropagation != nil && *m.MountPropagation != corev1.MountPropagationNone {
		c.add(field.Forbidden(p, "may only be specified when mountPropagation is None or not specified"),
			"a recursively read-only mount cannot receive the host's later mounts: remove mountPropagation, or recursiveReadOnly")
	}
}

// devices checks a container's volumeDevices, as ValidateVolumeDevices
// and the device half of ValidateVolumeMounts do: each names a volume a
// claim backs (a block device is a raw claim), once, at a device path set,
// unique and without '..', and neither its name nor its path is also a
// volume mount's. volumes maps the pod's volume names to whether a claim
// backs them. The API server reports a clash from the mount's side too
// ("must not already exist in volumeDevices"); kiln reports it once.
func (c *checker) devices(ctr *corev1.Container, cp *field.Path, volumes map[string]bool) {
	if len(ctr.VolumeDevices) == 0 {
		return
	}
	mountPaths := map[string]bool{}
	mountNames := map[string]bool{}
	for _, m := range ctr.VolumeMounts {
		mountPaths[m.MountPath] = true
		mountNames[m.Name] = true
	}
	names := map[string]bool{}
	paths := map[string]bool{}
	for i, d := range ctr.VolumeDevices {
		dp := cp.Child("volumeDevices").Index(i)
		claimed, ok := volumes[d.Name]
		switch {
		case d.Name == "":
			c.add(field.Required(dp.Child("name"), ""), "name the volume to attach as a block device")
		case !ok:
			c.add(field.NotFound(dp.Child("name"), d.Name), fmt.Sprintf("add a volume named %q (a persistentVolumeClaim or ephemeral volume) to the pod's volumes, or name one that exists", d.Name))
		case !claimed:
			c.add(field.Invalid(dp.Child("name"), d.Name, "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"),
				"a block device is a claim of volumeMode: Block: back the volume with a persistentVolumeClaim or an ephemeral volume, or mount it with volumeMounts")
		}
		if names[d.Name] {
			c.add(field.Invalid(dp.Child("name"), d.Name, "must be unique"), "attach each volume to the container once")
		}
		if d.Name != "" {
			names[d.Name] = true
		}
		if d.DevicePath == "" {
			c.add(field.Required(dp.Child("devicePath"), ""), "give the path of the device in the container, such as /dev/xvda")
		}
		if paths[d.DevicePath] {
			c.add(field.Invalid(dp.Child("devicePath"), d.DevicePath, "must be unique"), "give each device of the container its own path")
		}
		if d.DevicePath != "" && hasBackstep(d.DevicePath) {
			c.add(field.Invalid(dp.Child("devicePath"), d.DevicePath, "can not contain backsteps ('..')"), "write the device's path without '..' elements, such as /dev/xvda")
		} else {
			paths[d.DevicePath] = true
		}
		if mountNames[d.Name] {
			c.add(field.Invalid(dp.Child("name"), d.Name, "must not already exist in volumeMounts"),
				"a volume is either mounted (volumeMounts) or attached as a block device (volumeDevices), not both")
		}
		if mountPaths[d.DevicePath] {
			c.add(field.Invalid(dp.Child("devicePath"), d.DevicePath, "must not already exist as a path in volumeMounts"),
				"give the device a path no volume is mounted at")
		}
	}
}

// resizePolicy checks a container's resizePolicy, as validateResizePolicy
// does from Kubernetes 1.33 (before, the InPlacePodVerticalScaling gate is
// off by default and the API server drops the field): each entry for cpu
// or memory, once, with restartPolicy NotRequired or RestartContainer, and
// NotRequired only in a pod that restarts Never. The API server reports
// the resource and policy at resizePolicy; kiln names the entry's field.
// From 1.33 init containers, sidecars or not, take a resizePolicy too
// (AllowSidecarResizePolicy follows the same gate).
func (c *checker) resizePolicy(policies []corev1.ContainerResizePolicy, p *field.Path, podRestart corev1.RestartPolicy) {
	if !c.on("InPlacePodVerticalScaling") {
		return
	}
	const hint = "a resize policy names cpu or memory, each once, with restartPolicy NotRequired or RestartContainer"
	seen := map[corev1.ResourceName]bool{}
	for i, rp := range policies {
		ip := p.Index(i)
		if seen[rp.ResourceName] {
			c.add(field.Duplicate(ip, rp.ResourceName), "list each resource once in resizePolicy")
		}
		seen[rp.ResourceName] = true
		requiredOneOf(c, rp.ResourceName, []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}, ip.Child("resourceName"), hint)
		requiredOneOf(c, rp.RestartPolicy, []corev1.ResourceResizeRestartPolicy{corev1.NotRequired, corev1.RestartContainer}, ip.Child("restartPolicy"), hint)
		if podRestart == corev1.RestartPolicyNever && rp.RestartPolicy != corev1.NotRequired {
			c.add(field.Invalid(ip.Child("restartPolicy"), rp.RestartPolicy, "must be 'NotRequired' when `restartPolicy` is 'Never'"),
				"a pod that restarts Never cannot restart a container to resize it: use restartPolicy NotRequired")
		}
	}
}

// requiredOneOf reports v, a field the API server requires, as missing
// when empty and as not supported when not one of allowed.
func requiredOneOf[T ~string](c *checker, v T, allowed []T, p *field.Path, hint string) {
	switch {
	case v == "":
		c.add(field.Required(p, ""), hint)
	case !slices.Contains(allowed, v):
		c.add(field.NotSupported(p, v, allowed), hint)
	}
}

// envFrom checks a container's envFrom entries: exactly one of
// configMapRef and secretRef, naming its object, and a prefix that is a
// variable name (as an environment variable's name is).
func (c *checker) envFrom(sources []corev1.EnvFromSource, path *field.Path) {
	for i, ev := range sources {
		ip := path.Index(i)
		if ev.Prefix != "" {
			msgs, hint := c.envName(ev.Prefix)
			for _, msg := range msgs {
				c.add(field.Invalid(ip.Child("prefix"), ev.Prefix, msg), "a prefix begins variable names; "+hint)
			}
		}
		n := 0
		if ev.ConfigMapRef != nil {
			n++
			c.envFromName(ev.ConfigMapRef.Name, ip.Child("configMapRef", "name"), "ConfigMap")
		}
		if ev.SecretRef != nil {
			n++
			c.envFromName(ev.SecretRef.Name, ip.Child("secretRef", "name"), "Secret")
		}
		// The API server reports both at envFrom, without the index.
		switch {
		case n == 0:
			c.add(field.Invalid(ip, "", "must specify one of: `configMapRef` or `secretRef`"), "give the entry a configMapRef or a secretRef")
		case n > 1:
			c.add(field.Invalid(ip, "", "may not have more than one field specified at a time"), "split the entry in two: one configMapRef, one secretRef")
		}
	}
}

// envFromName checks the name of the ConfigMap or Secret (kind) whose
// keys an envFrom entry makes variables: given, and a DNS subdomain
// (validateConfigMapEnvSource, validateSecretEnvSource in
// k8s.io/kubernetes v1.37 pkg/apis/core/validation). Those call the name
// check with prefix true, which masks one trailing '-', so "app-" passes
// here though it is no object's name, as the API server lets it pass.
func (c *checker) envFromName(name string, p *field.Path, kind string) {
	if name == "" {
		c.add(field.Required(p, ""), "name the "+kind+" whose keys become variables; a chart renders an empty name when the value that names it is unset")
		return
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(name, true) {
		c.add(field.Invalid(p, name, msg), "a "+kind+"'s name is a DNS subdomain: lowercase letters, digits, '-' and '.'")
	}
}

// podFields checks the pod spec's fields of this file: ports on the
// host's network, host aliases, readiness and scheduling gates, the
// runtime class.
func (c *checker) podFields(ps *corev1.PodSpec, path *field.Path) {
	if ps.HostNetwork {
		// A pod's hostPort left at 0 becomes its containerPort; another
		// value cannot be both.
		for i, ctr := range ps.Containers {
			for j, p := range ctr.Ports {
				if p.HostPort != 0 && p.HostPort != p.ContainerPort {
					c.add(field.Invalid(path.Child("containers").Index(i).Child("ports").Index(j).Child("hostPort"), p.HostPort, "must match `containerPort` when `hostNetwork` is true"),
						fmt.Sprintf("on the host's network the container listens on the host's port %d: remove hostPort, or make it equal", p.ContainerPort))
				}
			}
		}
	}
	for i, ha := range ps.HostAliases {
		hp := path.Child("hostAliases").Index(i)
		c.legacyIP(hp.Child("ip"), ha.IP, "a host alias maps an IP address to names: give the address, such as 10.1.2.3")
		for j, h := range ha.Hostnames {
			for _, msg := range validation.IsDNS1123Subdomain(h) {
				c.add(field.Invalid(hp.Child("hostnames").Index(j), h, msg), "a host name is lowercase letters, digits, '-' and '.'")
			}
		}
	}
	for i, g := range ps.ReadinessGates {
		for _, msg := range validation.IsQualifiedName(string(g.ConditionType)) {
			c.add(field.Invalid(path.Child("readinessGates").Index(i).Child("conditionType"), g.ConditionType, msg),
				"a condition type is an optional DNS subdomain prefix and '/' and a name of letters, digits, '-', '_' or '.'")
		}
	}
	seen := map[string]bool{}
	for i, g := range ps.SchedulingGates {
		gp := path.Child("schedulingGates").Index(i)
		for _, msg := range validation.IsQualifiedName(g.Name) {
			c.add(field.Invalid(gp, g.Name, msg), "a scheduling gate's name is an optional DNS subdomain prefix and '/' and a name of letters, digits, '-', '_' or '.'")
		}
		if seen[g.Name] {
			c.add(field.Duplicate(gp, g.Name), "list each scheduling gate once")
		}
		seen[g.Name] = true
	}
	if rc := ps.RuntimeClassName; rc != nil {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(*rc, false) {
			c.add(field.Invalid(path.Child("runtimeClassName"), *rc, msg), "runtimeClassName names a RuntimeClass: lowercase letters, digits, '-' and '.'; leave it out for the cluster's default")
		}
	}
}

// podCreate checks what a Pod may not hold when it is created (kiln's
// Pods are applied, so created): ephemeral containers, which only the
// ephemeralcontainers subresource adds, and a node name beside
// scheduling gates, which must be cleared before the pod is bound.
func (c *checker) podCreate(ps *corev1.PodSpec, path *field.Path) {
	if len(ps.EphemeralContainers) > 0 {
		c.add(field.Forbidden(path.Child("ephemeralContainers"), "cannot be set on create"),
			"remove ephemeralContainers: kubectl debug adds them to a running pod")
	}
	if ps.NodeName != "" && len(ps.SchedulingGates) != 0 {
		c.add(field.Forbidden(path.Child("nodeName"), "cannot be set until all schedulingGates have been cleared"),
			"remove nodeName, or the scheduling gates")
	}
}

// podImages checks what only a Pod's containers, not a template's, are
// refused for (validateContainersOnlyForPod): an image with whitespace
// around it. A template keeps it, as some tools use " " as a placeholder.
func (c *checker) podImages(ps *corev1.PodSpec, path *field.Path) {
	eachContainer(ps, path, func(ctr *corev1.Container, cp *field.Path) {
		if strings.TrimSpace(ctr.Image) != ctr.Image {
			c.add(field.Invalid(cp.Child("image"), ctr.Image, "must not have leading or trailing whitespace"),
				"remove the spaces around the image reference (a value quoted with a space inside, or a block scalar, leaves them)")
		}
	})
}
