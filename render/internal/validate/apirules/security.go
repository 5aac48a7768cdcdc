package apirules

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Security contexts, of the pod and of each container, as the API
// server's validatePodSpecSecurityContext, ValidateSecurityContext,
// validateWindowsHostProcessPod, validateHostUsers and validateLinux check
// them (v1.37). Fields whose gate turned on by default in a release are
// checked from that release, as before it the API server drops them (or,
// for procMount, sets them to Default): hostUsers: false (1.33, and
// beside volumeDevices 1.34), procMount: Unmasked's need for it (1.33),
// seLinuxChangePolicy's values (1.33; MountOption from 1.37). The schema
// holds the values of procMount and supplementalGroupsPolicy.

const (
	idHint       = "a user or group ID is 0 to 2147483647"
	seccompHint  = "with type: Localhost, name the profile file in localhostProfile (a path relative to the kubelet's seccomp directory); with RuntimeDefault or Unconfined, leave localhostProfile out"
	apparmorHint = "with type: Localhost, name the loaded profile in localhostProfile; with RuntimeDefault or Unconfined, leave localhostProfile out"
)

// sysctlName is the API server's form of a sysctl name: dot- or
// slash-separated segments of lowercase letters, digits, '-' and '_'.
var sysctlName = regexp.MustCompile(`^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)

// podSecurity checks the pod's security context and what it shares with
// its containers' (hostProcess, the operating system).
func (c *checker) podSecurity(ps *corev1.PodSpec, path *field.Path) {
	if sc := ps.SecurityContext; sc != nil {
		sp := path.Child("securityContext")
		c.id(sc.RunAsUser, sp.Child("runAsUser"), validation.IsValidUserID)
		c.id(sc.RunAsGroup, sp.Child("runAsGroup"), validation.IsValidGroupID)
		c.id(sc.FSGroup, sp.Child("fsGroup"), validation.IsValidGroupID)
		for i, g := range sc.SupplementalGroups {
			c.id(&g, sp.Child("supplementalGroups").Index(i), validation.IsValidGroupID)
		}
		seen := map[string]bool{}
		for i, s := range sc.Sysctls {
			np := sp.Child("sysctls").Index(i).Child("name")
			switch {
			case s.Name == "":
				c.add(field.Required(np, ""), "name the sysctl, such as net.core.somaxconn")
			case len(s.Name) > 253 || !sysctlName.MatchString(s.Name):
				c.add(field.Invalid(np, s.Name, fmt.Sprintf("must have at most %d characters and match regex %s", 253, sysctlName)),
					"a sysctl name is lowercase segments separated by '.' or '/', such as net.ipv4.ip_local_port_range")
			case seen[s.Name]:
				c.add(field.Duplicate(np, s.Name), "set each sysctl once")
			}
			seen[s.Name] = true
			switch ns := sysctlNamespace(s.Name); {
			case ns == "net" && ps.HostNetwork:
				c.add(field.Invalid(np, s.Name, "may not be specified when 'hostNetwork' is true"),
					"a pod on the host's network would set the node's own sysctl: remove it, or hostNetwork")
			case ns == "ipc" && ps.HostIPC:
				c.add(field.Invalid(np, s.Name, "may not be specified when 'hostIPC' is true"),
					"a pod in the host's IPC namespace would set the node's own sysctl: remove it, or hostIPC")
			}
		}
		c.seccomp(sc.SeccompProfile, sp.Child("seccompProfile"))
		c.appArmor(sc.AppArmorProfile, sp.Child("appArmorProfile"))
		c.windowsOptions(sc.WindowsOptions, sp.Child("windowsOptions"))
		c.seLinuxChange(sc.SELinuxChangePolicy, sp.Child("seLinuxChangePolicy"))
	}
	if ps.ShareProcessNamespace != nil && *ps.ShareProcessNamespace && ps.HostPID {
		c.add(field.Invalid(path.Child("shareProcessNamespace"), true, "ShareProcessNamespace and HostPID cannot both be enabled"),
			"a pod sharing the host's PID namespace already shares it between its containers: remove shareProcessNamespace or hostPID")
	}
	c.hostUsers(ps, path)
	c.hostProcess(ps, path)
	c.podOS(ps, path)
}

// hostUsers checks a pod in its own user namespace (hostUsers: false):
// it shares none of the host's other namespaces. The API server names the
// last two fields spec.HostPID and spec.HostIPC; kiln names them as
// written, so that the error has their line.
func (c *checker) hostUsers(ps *corev1.PodSpec, path *field.Path) {
	if c.hostUsersOn(ps) {
		return
	}
	const msg = "when `hostUsers` is false"
	for _, f := range []struct {
		key string
		on  bool
	}{{"hostNetwork", ps.HostNetwork}, {"hostPID", ps.HostPID}, {"hostIPC", ps.HostIPC}} {
		if f.on {
			c.add(field.Forbidden(path.Child(f.key), msg),
				fmt.Sprintf("a pod in its own user namespace (hostUsers: false) cannot share the host's namespaces: remove %s, or hostUsers", f.key))
		}
	}
	// From 1.34 (kubernetes/kubernetes#132868) block devices are refused
	// beside hostUsers: false: they are neither ID-mapped nor chowned.
	if !c.since(1, 34) {
		return
	}
	eachContainer(ps, path, func(ctr *corev1.Container, cp *field.Path) {
		if len(ctr.VolumeDevices) > 0 {
			c.add(field.Forbidden(cp.Child("volumeDevices"), msg),
				"a block device is not ID-mapped into a pod's own user namespace, so the container could not use it: mount the volume as a filesystem (volumeMounts), or remove hostUsers: false")
		}
	})
}

// hostUsersOn reports whether the pod's containers run in the host's user
// namespace: hostUsers unset or true, or dropped by an API server before
// UserNamespacesSupport.
func (c *checker) hostUsersOn(ps *corev1.PodSpec) bool {
	return !c.on("UserNamespacesSupport") || ps.HostUsers == nil || *ps.HostUsers
}

// seLinuxChange checks a pod's seLinuxChangePolicy: Recursive, or, from
// 1.37 (SELinuxMount), MountOption.
func (c *checker) seLinuxChange(p *corev1.PodSELinuxChangePolicy, path *field.Path) {
	if p == nil || !c.on("SELinuxChangePolicy") {
		return
	}
	switch {
	case *p == corev1.SELinuxChangePolicyRecursive:
	case *p == corev1.SELinuxChangePolicyMountOption && c.on("SELinuxMount"):
	case *p == corev1.SELinuxChangePolicyMountOption:
		c.add(field.NotSupported(path, *p, []corev1.PodSELinuxChangePolicy{corev1.SELinuxChangePolicyRecursive}),
			"MountOption is served from Kubernetes 1.37 (SELinuxMount): set Recursive, or leave seLinuxChangePolicy out")
	case c.on("SELinuxMount"):
		c.add(field.NotSupported(path, *p, []corev1.PodSELinuxChangePolicy{corev1.SELinuxChangePolicyMountOption, corev1.SELinuxChangePolicyRecursive}),
			"set MountOption (mount volumes with the pod's SELinux label) or Recursive (relabel every file), or leave seLinuxChangePolicy out")
	default:
		c.add(field.NotSupported(path, *p, []corev1.PodSELinuxChangePolicy{corev1.SELinuxChangePolicyRecursive}),
			"set Recursive (relabel every file), or leave seLinuxChangePolicy out")
	}
}

// eachContainer calls f for the pod's init containers, then its
// containers, as the API server visits them.
func eachContainer(ps *corev1.PodSpec, path *field.Path, f func(*corev1.Container, *field.Path)) {
	for i := range ps.InitContainers {
		f(&ps.InitContainers[i], path.Child("initContainers").Index(i))
	}
	for i := range ps.Containers {
		f(&ps.Containers[i], path.Child("containers").Index(i))
	}
}

// hostProcess checks Windows host process containers: the pod's and a
// container's hostProcess agree, all containers or none are host
// processes, and a pod of host processes uses the host's network.
func (c *checker) hostProcess(ps *corev1.PodSpec, path *field.Path) {
	var pod *bool
	if ps.SecurityContext != nil && ps.SecurityContext.WindowsOptions != nil {
		pod = ps.SecurityContext.WindowsOptions.HostProcess
	}
	count, hostProcesses := 0, 0
	eachContainer(ps, path, func(ctr *corev1.Container, cp *field.Path) {
		count++
		var own *bool
		if ctr.SecurityContext != nil && ctr.SecurityContext.WindowsOptions != nil {
			own = ctr.SecurityContext.WindowsOptions.HostProcess
		}
		if pod != nil && own != nil && *pod != *own {
			c.add(field.Invalid(cp.Child("securityContext", "windowsOptions", "hostProcess"), *own, fmt.Sprintf("pod hostProcess value must be identical if both are specified, was %v", *pod)),
				"set hostProcess in the pod's securityContext only, or the same value in both")
		}
		if (own != nil && *own) || (own == nil && pod != nil && *pod) {
			hostProcesses++
		}
	})
	if hostProcesses == 0 {
		return
	}
	if hostProcesses != count {
		c.add(field.Invalid(path, "", "If pod contains any hostProcess containers then all containers must be HostProcess containers"),
			"make every container (init containers too) a host process, most simply with spec.securityContext.windowsOptions.hostProcess: true")
	}
	if !ps.HostNetwork {
		c.add(field.Invalid(path.Child("hostNetwork"), false, "hostNetwork must be true if pod contains any hostProcess containers"),
			"set hostNetwork: true: host process containers run in the host's network")
	}
}

// containerSecurity checks a container's security context; hostUsers
// says whether the pod runs in the host's user namespace.
func (c *checker) containerSecurity(sc *corev1.SecurityContext, path *field.Path, hostUsers bool) {
	if sc == nil {
		return
	}
	c.id(sc.RunAsUser, path.Child("runAsUser"), validation.IsValidUserID)
	c.id(sc.RunAsGroup, path.Child("runAsGroup"), validation.IsValidGroupID)
	if c.on("ProcMountType") && hostUsers && sc.ProcMount != nil && *sc.ProcMount == corev1.UnmaskedProcMount {
		c.add(field.Invalid(path.Child("procMount"), *sc.ProcMount, "`hostUsers` must be false to use `Unmasked`"),
			"an unmasked /proc is only safe inside the pod's own user namespace: set the pod's hostUsers: false, or remove procMount")
	}
	c.seccomp(sc.SeccompProfile, path.Child("seccompProfile"))
	if ape := sc.AllowPrivilegeEscalation; ape != nil && !*ape {
		if sc.Privileged != nil && *sc.Privileged {
			c.add(field.Invalid(path, field.OmitValueType{}, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"),
				"a privileged container can always escalate: remove allowPrivilegeEscalation: false, or privileged: true")
		}
		if sc.Capabilities != nil {
			for _, capability := range sc.Capabilities.Add {
				// The API server compares the name as written: SYS_ADMIN
				// passes.
				if capability == "CAP_SYS_ADMIN" {
					c.add(field.Invalid(path, field.OmitValueType{}, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"),
						"CAP_SYS_ADMIN allows escalation: remove it from capabilities.add, or remove allowPrivilegeEscalation: false")
				}
			}
		}
	}
	c.windowsOptions(sc.WindowsOptions, path.Child("windowsOptions"))
	c.appArmor(sc.AppArmorProfile, path.Child("appArmorProfile"))
}

// id checks an optional user or group ID with check.
func (c *checker) id(v *int64, p *field.Path, check func(int64) []string) {
	if v == nil {
		return
	}
	for _, msg := range check(*v) {
		c.add(field.Invalid(p, *v, msg), idHint)
	}
}

// seccomp checks a seccomp profile: localhostProfile with type Localhost
// only, a relative path without "..". The schema requires the type and
// checks its values.
func (c *checker) seccomp(sp *corev1.SeccompProfile, p *field.Path) {
	if sp == nil {
		return
	}
	lp := p.Child("localhostProfile")
	switch {
	case sp.Type == corev1.SeccompProfileTypeLocalhost && sp.LocalhostProfile == nil:
		c.add(field.Required(lp, "must be set when seccomp type is Localhost"), seccompHint)
	case sp.Type == corev1.SeccompProfileTypeLocalhost:
		c.localDescendingPath(*sp.LocalhostProfile, lp, "name the profile by a path relative to the kubelet's seccomp directory, without '..'")
	case sp.LocalhostProfile != nil:
		c.add(field.Invalid(lp, field.OmitValueType{}, "can only be set when seccomp type is Localhost"), seccompHint)
	}
}

// appArmor checks an AppArmor profile: localhostProfile with type
// Localhost only, not empty or padded with whitespace.
func (c *checker) appArmor(ap *corev1.AppArmorProfile, p *field.Path) {
	if ap == nil {
		return
	}
	lp := p.Child("localhostProfile")
	switch ap.Type {
	case corev1.AppArmorProfileTypeLocalhost:
		switch {
		case ap.LocalhostProfile == nil || *ap.LocalhostProfile == "":
			c.add(field.Required(lp, "must be set when AppArmor type is Localhost"), apparmorHint)
		case strings.TrimSpace(*ap.LocalhostProfile) != *ap.LocalhostProfile:
			c.add(field.Invalid(lp, *ap.LocalhostProfile, "must not be padded with whitespace"), "remove the spaces around the profile's name")
		case len(*ap.LocalhostProfile) > 4095:
			c.add(field.TooLong(lp, "", 4095), "a profile name is at most 4095 characters")
		}
	case corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeUnconfined:
		if ap.LocalhostProfile != nil {
			c.add(field.Invalid(lp, *ap.LocalhostProfile, "can only be set when AppArmor type is Localhost"), apparmorHint)
		}
	}
}

// windowsOptions checks what of a Windows security context every cluster
// refuses: a GMSA credential spec name that is no object name, an empty
// credential spec or user name.
func (c *checker) windowsOptions(w *corev1.WindowsSecurityContextOptions, p *field.Path) {
	if w == nil {
		return
	}
	if n := w.GMSACredentialSpecName; n != nil {
		for _, msg := range validation.IsDNS1123Subdomain(*n) {
			c.add(field.Invalid(p.Child("gmsaCredentialSpecName"), *n, msg), "gmsaCredentialSpecName names a GMSACredentialSpec object: lowercase letters, digits, '-' and '.'")
		}
	}
	if s := w.GMSACredentialSpec; s != nil && *s == "" {
		c.add(field.Invalid(p.Child("gmsaCredentialSpec"), "", "gmsaCredentialSpec cannot be an empty string"), "give the credential spec's JSON, or leave gmsaCredentialSpec out")
	}
	if u := w.RunAsUserName; u != nil && *u == "" {
		c.add(field.Invalid(p.Child("runAsUserName"), "", "runAsUserName cannot be an empty string"), "name the Windows user, or leave runAsUserName out")
	}
}

// localDescendingPath checks a path that must stay below its directory:
// relative, without a ".." element.
func (c *checker) localDescendingPath(target string, p *field.Path, hint string) {
	if path.IsAbs(target) {
		c.add(field.Invalid(p, target, "must be a relative path"), hint)
	}
	for _, part := range strings.Split(target, "/") {
		if part == ".." {
			c.add(field.Invalid(p, target, "must not contain '..'"), hint)
			break
		}
	}
}

// ipcSysctls are the sysctls of the IPC namespace, besides fs.mqueue.*
// (k8s.io/component-helpers node/util/sysctl, v1.37).
var ipcSysctls = map[string]bool{
	"kernel.sem": true, "kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
	"kernel.shm": true, "kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.msg": true,
}

// sysctlNamespace is the kernel namespace a sysctl belongs to: "net",
// "ipc" or "" for another, read as the API server reads it (a name whose
// first separator is '/' has its '/' and '.' swapped; a '*' ends it).
func sysctlNamespace(name string) string {
	if i := strings.IndexAny(name, "./"); i >= 0 && name[i] == '/' {
		name = strings.Map(func(r rune) rune {
			switch r {
			case '.':
				return '/'
			case '/':
				return '.'
			}
			return r
		}, name)
	}
	if i := strings.IndexByte(name, '*'); i >= 0 {
		name = name[:i]
	}
	switch {
	case ipcSysctls[name] || strings.HasPrefix(name, "fs.mqueue."):
		return "ipc"
	case strings.HasPrefix(name, "net."):
		return "net"
	}
	return ""
}

// podOS checks spec.os: linux or windows, and the fields the other
// operating system's pods may not set (validateOS, validateLinux,
// validateWindows). hostUsers, supplementalGroupsPolicy and
// seLinuxChangePolicy are refused from 1.33, where their gates are on by
// default (before, the API server drops them).
func (c *checker) podOS(ps *corev1.PodSpec, path *field.Path) {
	if ps.OS == nil {
		return
	}
	switch ps.OS.Name {
	case "":
		c.add(field.Required(path.Child("os", "name"), ""), "set os.name to linux or windows, or leave os out")
		return
	case corev1.Linux:
		const msg, hint = "windows options cannot be set for a linux pod", "remove windowsOptions, or set spec.os.name: windows"
		if ps.SecurityContext != nil && ps.SecurityContext.WindowsOptions != nil {
			c.add(field.Forbidden(path.Child("securityContext", "windowsOptions"), msg), hint)
		}
		eachContainer(ps, path, func(ctr *corev1.Container, cp *field.Path) {
			if ctr.SecurityContext != nil && ctr.SecurityContext.WindowsOptions != nil {
				c.add(field.Forbidden(cp.Child("securityContext", "windowsOptions"), msg), hint)
			}
		})
		return
	case corev1.Windows:
	default:
		// The API server names the field os.
		c.add(field.NotSupported(path.Child("os", "name"), ps.OS.Name, []corev1.OSName{corev1.Linux, corev1.Windows}), "set os.name to linux or windows")
		return
	}
	const msg, hint = "cannot be set for a windows pod", "a Windows pod takes Windows settings only (securityContext.windowsOptions): remove it, or set spec.os.name: linux"
	forbid := func(set bool, p *field.Path) {
		if set {
			c.add(field.Forbidden(p, msg), hint)
		}
	}
	if sc := ps.SecurityContext; sc != nil {
		sp := path.Child("securityContext")
		forbid(sc.AppArmorProfile != nil, sp.Child("appArmorProfile"))
		forbid(sc.SELinuxOptions != nil, sp.Child("seLinuxOptions"))
		forbid(sc.SeccompProfile != nil, sp.Child("seccompProfile"))
		forbid(sc.FSGroup != nil, sp.Child("fsGroup"))
		forbid(sc.FSGroupChangePolicy != nil, sp.Child("fsGroupChangePolicy"))
		forbid(len(sc.Sysctls) > 0, sp.Child("sysctls"))
		forbid(sc.RunAsUser != nil, sp.Child("runAsUser"))
		forbid(sc.RunAsGroup != nil, sp.Child("runAsGroup"))
		forbid(sc.SupplementalGroups != nil, sp.Child("supplementalGroups"))
		forbid(c.on("SupplementalGroupsPolicy") && sc.SupplementalGroupsPolicy != nil, sp.Child("supplementalGroupsPolicy"))
		forbid(c.on("SELinuxChangePolicy") && sc.SELinuxChangePolicy != nil, sp.Child("seLinuxChangePolicy"))
	}
	forbid(c.on("UserNamespacesSupport") && ps.HostUsers != nil, path.Child("hostUsers"))
	forbid(ps.HostPID, path.Child("hostPID"))
	forbid(ps.HostIPC, path.Child("hostIPC"))
	forbid(ps.ShareProcessNamespace != nil, path.Child("shareProcessNamespace"))
	eachContainer(ps, path, func(ctr *corev1.Container, cp *field.Path) {
		sc := ctr.SecurityContext
		if sc == nil {
			return
		}
		sp := cp.Child("securityContext")
		forbid(sc.AppArmorProfile != nil, sp.Child("appArmorProfile"))
		forbid(sc.SELinuxOptions != nil, sp.Child("seLinuxOptions"))
		forbid(sc.SeccompProfile != nil, sp.Child("seccompProfile"))
		forbid(sc.Capabilities != nil, sp.Child("capabilities"))
		forbid(sc.ReadOnlyRootFilesystem != nil, sp.Child("readOnlyRootFilesystem"))
		forbid(sc.Privileged != nil, sp.Child("privileged"))
		forbid(sc.AllowPrivilegeEscalation != nil, sp.Child("allowPrivilegeEscalation"))
		// Before ProcMountType an API server sets procMount to Default,
		// which a Windows pod may not set either.
		forbid(sc.ProcMount != nil, sp.Child("procMount"))
		forbid(sc.RunAsUser != nil, sp.Child("runAsUser"))
		forbid(sc.RunAsGroup != nil, sp.Child("runAsGroup"))
	})
}
