package apirules

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// A pod's volumes, as the API server's validateVolumeSource checks them
// (v1.37), after its defaults: a volume without a source is an emptyDir,
// a projected service account token expires after an hour. An image
// source counts from 1.35, where ImageVolume is on by default (before, the
// API server drops image volumes and their mounts). The clusterTrustBundle
// and podCertificate projections count as a projection's source, and
// their fields are checked (certificates.go), from 1.37, where their gates
// are on by default (before, the API server drops them).

const (
	fileModeMsg  = "must be a number between 0 and 0777 (octal), both inclusive"
	fileModeHint = "a file mode is 0 to 0777: write it in octal with a leading 0 (0644) in YAML, or as the decimal number (420)"
	itemPathHint = "an item's path is relative to the mount, without '..'"
)

// source is one kind of source a volume may have, by its key, and
// whether it is set.
type source struct {
	key string
	set bool
}

// sources counts the sources of srcs that are set, and refuses each after
// the first but exempt (the API server counts a PersistentVolume's
// flexVolume without refusing it).
func (c *checker) sources(srcs []source, exempt string, p *field.Path, hint string) int {
	n := 0
	for _, s := range srcs {
		if !s.set {
			continue
		}
		if n > 0 && s.key != exempt {
			c.add(field.Forbidden(p.Child(s.key), "may not specify more than 1 volume type"), hint)
		}
		n++
	}
	return n
}

// volumeSources are the keys of a volume's sources, in the order the API
// server checks them.
func volumeSources(v *corev1.VolumeSource, image bool) []source {
	return []source{
		{"emptyDir", v.EmptyDir != nil}, {"hostPath", v.HostPath != nil}, {"gitRepo", v.GitRepo != nil},
		{"gcePersistentDisk", v.GCEPersistentDisk != nil}, {"awsElasticBlockStore", v.AWSElasticBlockStore != nil},
		{"secret", v.Secret != nil}, {"nfs", v.NFS != nil}, {"iscsi", v.ISCSI != nil}, {"glusterfs", v.Glusterfs != nil},
		{"flocker", v.Flocker != nil}, {"persistentVolumeClaim", v.PersistentVolumeClaim != nil}, {"rbd", v.RBD != nil},
		{"cinder", v.Cinder != nil}, {"cephfs", v.CephFS != nil}, {"quobyte", v.Quobyte != nil},
		{"downwardAPI", v.DownwardAPI != nil}, {"fc", v.FC != nil}, {"flexVolume", v.FlexVolume != nil},
		{"configMap", v.ConfigMap != nil}, {"azureFile", v.AzureFile != nil}, {"vsphereVolume", v.VsphereVolume != nil},
		{"photonPersistentDisk", v.PhotonPersistentDisk != nil}, {"portworxVolume", v.PortworxVolume != nil},
		{"azureDisk", v.AzureDisk != nil}, {"storageos", v.StorageOS != nil}, {"projected", v.Projected != nil},
		{"scaleIO", v.ScaleIO != nil}, {"csi", v.CSI != nil}, {"ephemeral", v.Ephemeral != nil},
		{"image", image && v.Image != nil},
	}
}

// volume checks one volume's source.
func (c *checker) volume(v *corev1.Volume, p *field.Path) {
	if c.sources(volumeSources(&v.VolumeSource, c.on("ImageVolume")), "", p, "a volume has one source: split it into two volumes, or remove one") > 1 {
		return
	}
	switch {
	case v.Image != nil && c.on("ImageVolume"):
		// The schema checks pullPolicy's values.
		if v.Image.Reference == "" {
			c.add(field.Required(p.Child("image", "reference"), ""), "name the OCI image or artifact to mount, such as ghcr.io/acme/models:1.0")
		}
	case v.EmptyDir != nil:
		if l := v.EmptyDir.SizeLimit; l != nil && l.Sign() < 0 {
			c.add(field.Forbidden(p.Child("emptyDir", "sizeLimit"), "SizeLimit field must be a valid resource quantity"), "give sizeLimit a size of 0 or more, such as 1Gi")
		}
	case v.HostPath != nil:
		c.hostPath(v.HostPath, p)
	case v.Secret != nil:
		sp := p.Child("secret")
		if v.Secret.SecretName == "" {
			c.add(field.Required(sp.Child("secretName"), ""), "name the Secret to mount")
		}
		c.fileMode(v.Secret.DefaultMode, sp.Child("defaultMode"))
		c.keysToPaths(v.Secret.Items, sp.Child("items"), nil, nil)
	case v.ConfigMap != nil:
		cp := p.Child("configMap")
		if v.ConfigMap.Name == "" {
			c.add(field.Required(cp.Child("name"), ""), "name the ConfigMap to mount")
		}
		c.fileMode(v.ConfigMap.DefaultMode, cp.Child("defaultMode"))
		c.keysToPaths(v.ConfigMap.Items, cp.Child("items"), nil, nil)
	case v.PersistentVolumeClaim != nil:
		// validatePersistentClaimVolumeSource: a chart whose claim name
		// value is unset renders claimName: "".
		if v.PersistentVolumeClaim.ClaimName == "" {
			c.add(field.Required(p.Child("persistentVolumeClaim", "claimName"), ""), "name the PersistentVolumeClaim to mount")
		}
	case v.DownwardAPI != nil:
		dp := p.Child("downwardAPI")
		c.fileMode(v.DownwardAPI.DefaultMode, dp.Child("defaultMode"))
		for i := range v.DownwardAPI.Items {
			c.downwardAPIFile(&v.DownwardAPI.Items[i], dp.Child("items").Index(i))
		}
	case v.Projected != nil:
		c.projected(v.Projected, p.Child("projected"))
	case v.NFS != nil:
		c.nfs(v.NFS, p.Child("nfs"))
	case v.Ephemeral != nil:
		c.ephemeral(v.Ephemeral, p.Child("ephemeral"))
	default:
		c.driverVolume(v, p)
	}
}

// fileMode checks a file mode of a secret, configMap, downwardAPI or
// projected volume or item.
func (c *checker) fileMode(m *int32, p *field.Path) {
	if m != nil && (*m < 0 || *m > 0777) {
		c.add(field.Invalid(p, *m, fileModeMsg), fileModeHint)
	}
}

// keysToPaths checks a secret's or configMap's items: a key, a relative
// path within the volume, a file mode; with seen, the paths of a
// projected volume, each once (owner names the source in the error).
func (c *checker) keysToPaths(items []corev1.KeyToPath, p *field.Path, seen map[string]bool, dup func(string)) {
	for i, kp := range items {
		ip := p.Index(i)
		if kp.Key == "" {
			c.add(field.Required(ip.Child("key"), ""), "name the key to project")
		}
		c.itemPath(kp.Path, ip.Child("path"))
		c.fileMode(kp.Mode, ip.Child("mode"))
		if seen != nil && kp.Path != "" {
			if seen[kp.Path] {
				dup(kp.Path)
			}
			seen[kp.Path] = true
		}
	}
}

// itemPath checks the path of a file a volume projects: set, relative,
// without "..", not starting with "..".
func (c *checker) itemPath(target string, p *field.Path) {
	if target == "" {
		c.add(field.Required(p, ""), "give the file's path within the volume")
	}
	c.localNonReservedPath(target, p, itemPathHint)
}

// localNonReservedPath checks a path within a volume as
// ValidateLocalNonReservedPath does: relative, without "..", not starting
// with ".." (the kubelet's own files).
func (c *checker) localNonReservedPath(target string, p *field.Path, hint string) {
	c.localDescendingPath(target, p, hint)
	if strings.HasPrefix(target, "..") && !strings.HasPrefix(target, "../") {
		c.add(field.Invalid(p, target, "must not start with '..'"), hint+" (the kubelet keeps its own files there)")
	}
}

// projectedPath records a file path of a projected volume's source in
// seen, calling dup with it when another source has it already.
func (c *checker) projectedPath(target string, seen map[string]bool, dup func(string)) {
	if seen[target] {
		dup(target)
	}
	seen[target] = true
}

// hostPath checks a hostPath source below p, a pod's volume or a
// PersistentVolume's spec: a path on the node, without '..'.
func (c *checker) hostPath(h *corev1.HostPathVolumeSource, p *field.Path) {
	hp := p.Child("hostPath", "path")
	if h.Path == "" {
		c.add(field.Required(hp, ""), "give the path on the node")
		return
	}
	c.noBacksteps(h.Path, hp, "write the node's path without '..' elements")
}

// noBacksteps checks that a path has no ".." element.
func (c *checker) noBacksteps(target string, p *field.Path, hint string) {
	if hasBackstep(target) {
		c.add(field.Invalid(p, target, "must not contain '..'"), hint)
	}
}

// hasBackstep reports whether a path has a ".." element.
func hasBackstep(target string) bool {
	return slices.Contains(strings.Split(target, "/"), "..")
}

// downwardAPIFile checks one file of a downwardAPI volume or projection:
// a path, and exactly one of a pod field and a container resource.
func (c *checker) downwardAPIFile(f *corev1.DownwardAPIVolumeFile, p *field.Path) {
	c.itemPath(f.Path, p.Child("path"))
	switch {
	case f.FieldRef != nil:
		c.fieldRef(f.FieldRef, volumeFieldPaths, p.Child("fieldRef"))
		if f.ResourceFieldRef != nil {
			c.add(field.Invalid(p, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"), "give each file one source: fieldRef or resourceFieldRef")
		}
	case f.ResourceFieldRef != nil:
		c.resourceFieldRef(f.ResourceFieldRef, true, p.Child("resourceFieldRef"))
	default:
		c.add(field.Required(p, "one of fieldRef and resourceFieldRef is required"), "give the file a fieldRef (a pod field) or a resourceFieldRef (a container's resource)")
	}
	c.fileMode(f.Mode, p.Child("mode"))
}

// projected checks a projected volume: a file mode, each source of one
// kind, no path twice, service account tokens' lifetimes and paths.
func (c *checker) projected(pv *corev1.ProjectedVolumeSource, p *field.Path) {
	c.fileMode(pv.DefaultMode, p.Child("defaultMode"))
	seen := map[string]bool{}
	for i, src := range pv.Sources {
		sp := p.Child("sources").Index(i)
		n := 0
		dup := func(value string) func(string) {
			return func(string) {
				c.add(field.Invalid(p, value, "conflicting duplicate paths"), "give each file of the projected volume its own path")
			}
		}
		if s := src.Secret; s != nil {
			n++
			if s.Name == "" {
				c.add(field.Required(sp.Child("secret", "name"), ""), "name the Secret to project")
			}
			c.keysToPaths(s.Items, sp.Child("secret", "items"), seen, dup(s.Name))
		}
		if s := src.ConfigMap; s != nil {
			n++
			if s.Name == "" {
				c.add(field.Required(sp.Child("configMap", "name"), ""), "name the ConfigMap to project")
			}
			c.keysToPaths(s.Items, sp.Child("configMap", "items"), seen, dup(s.Name))
		}
		if s := src.DownwardAPI; s != nil {
			n++
			for j := range s.Items {
				f := &s.Items[j]
				// The API server reports these at the source, without the
				// item's index.
				c.downwardAPIFile(f, sp.Child("downwardAPI", "items").Index(j))
				if f.Path != "" {
					if seen[f.Path] {
						dup(f.Path)("")
					}
					seen[f.Path] = true
				}
			}
		}
		if s := src.ServiceAccountToken; s != nil {
			n++
			tp := sp.Child("serviceAccountToken")
			if e := s.ExpirationSeconds; e != nil {
				if *e < 10*60 {
					c.add(field.Invalid(tp.Child("expirationSeconds"), *e, "may not specify a duration less than 10 minutes"), "let the token live 600 seconds or more (the default is 3600)")
				}
				if *e > math.MaxUint32+1 {
					c.add(field.Invalid(tp.Child("expirationSeconds"), *e, "may not specify a duration larger than 2^32 seconds"), "let the token live at most 2^32 seconds")
				}
			}
			// The API server names these projected.path.
			if s.Path == "" {
				c.add(field.Required(tp.Child("path"), ""), "give the token file's path within the volume")
			} else {
				c.itemPath(s.Path, tp.Child("path"))
			}
		}
		// Before 1.37 the API server drops these two sources, unchecked.
		if s := src.ClusterTrustBundle; s != nil && c.on("ClusterTrustBundleProjection") {
			n++
			c.clusterTrustBundle(s, sp.Child("clusterTrustBundle"), seen, func(path string) { dup(path)("") })
		}
		if s := src.PodCertificate; s != nil && c.on("PodCertificateRequest") {
			n++
			c.podCertificate(s, sp.Child("podCertificate"), seen, func(path string) { dup(path)("") })
		}
		if n > 1 {
			c.add(field.Forbidden(sp, "may not specify more than 1 volume type per source"), "give each source one of secret, configMap, downwardAPI, serviceAccountToken, clusterTrustBundle or podCertificate: split it into several sources")
		}
	}
}

// The pod fields a downward API reference may name: in a volume, and in an
// environment variable (which cannot take all labels or annotations, but
// can take one of each, subscripted).
var (
	volumeFieldPaths = []string{"metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"}
	envFieldPaths    = []string{"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"}
	// convertibleFieldPaths are the fields the API server's
	// ConvertDownwardAPIFieldLabel knows; spec.host is read as
	// spec.nodeName.
	convertibleFieldPaths = []string{"metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
		"spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName", "status.phase", "status.hostIP",
		"status.hostIPs", "status.podIP", "status.podIPs"}
	resourceFieldPaths = []string{"limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"}
)

// fieldRef checks a downward API reference to a pod field: apiVersion v1
// (the default), a field the API server can convert, one of allowed or a
// label or annotation by its key.
func (c *checker) fieldRef(fs *corev1.ObjectFieldSelector, allowed []string, p *field.Path) {
	const hint = "name a pod field such as metadata.name, metadata.namespace, status.podIP, or metadata.labels['app']"
	if fs.APIVersion != "" && fs.APIVersion != "v1" {
		c.add(field.Invalid(p.Child("fieldPath"), fs.FieldPath, "error converting fieldPath: unsupported pod version: "+fs.APIVersion), "set apiVersion: v1, or leave it out")
		return
	}
	if fs.FieldPath == "" {
		c.add(field.Required(p.Child("fieldPath"), ""), hint)
		return
	}
	fp := fs.FieldPath
	if base, key, ok := splitSubscript(fp); ok {
		switch base {
		case "metadata.annotations":
			key = strings.ToLower(key)
		case "metadata.labels":
		default:
			c.add(field.Invalid(p.Child("fieldPath"), fp, "error converting fieldPath: field label does not support subscript: "+fp), "only metadata.labels and metadata.annotations take a ['key']")
			return
		}
		for _, msg := range validation.IsQualifiedName(key) {
			c.add(field.Invalid(p, key, msg), "a label or annotation key is an optional DNS subdomain prefix and '/' and a name of letters, digits, '-', '_' or '.'")
		}
		return
	}
	if fp == "spec.host" {
		fp = "spec.nodeName"
	}
	if !slices.Contains(convertibleFieldPaths, fp) {
		c.add(field.Invalid(p.Child("fieldPath"), fp, "error converting fieldPath: field label not supported: "+fp), hint)
		return
	}
	if !slices.Contains(allowed, fp) {
		c.add(field.NotSupported(p.Child("fieldPath"), fp, allowed), hint)
	}
}

// splitSubscript splits "metadata.labels['app']" into its path and key.
func splitSubscript(fp string) (string, string, bool) {
	s, ok := strings.CutSuffix(fp, "']")
	if !ok {
		return fp, "", false
	}
	base, key, ok := strings.Cut(s, "['")
	if !ok || base == "" {
		return fp, "", false
	}
	return base, key, true
}

// resourceFieldRef checks a downward API reference to a container's
// resource: a resource the API server exposes, a divisor it knows, and in
// a volume the container's name (an environment variable's defaults to
// its own container).
func (c *checker) resourceFieldRef(rs *corev1.ResourceFieldSelector, volume bool, p *field.Path) {
	const hint = "name limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, requests.ephemeral-storage or limits/requests.hugepages-<size>"
	switch {
	case volume && rs.ContainerName == "":
		c.add(field.Required(p.Child("containerName"), ""), "in a volume, name the container whose resource to expose")
	case rs.Resource == "":
		c.add(field.Required(p.Child("resource"), ""), hint)
	case !slices.Contains(resourceFieldPaths, rs.Resource) && !strings.HasPrefix(rs.Resource, "requests.hugepages-") && !strings.HasPrefix(rs.Resource, "limits.hugepages-"):
		c.add(field.NotSupported(p.Child("resource"), rs.Resource, resourceFieldPaths), hint)
	}
	if rs.Divisor.IsZero() {
		return
	}
	d := rs.Divisor.String()
	sizes := []string{"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"}
	var what string
	var ok bool
	switch rs.Resource {
	case "limits.cpu", "requests.cpu":
		what, ok = "only divisor's values 1m and 1 are supported with the cpu resource", d == "1m" || d == "1"
	case "limits.memory", "requests.memory":
		what, ok = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource", slices.Contains(sizes, d)
	case "limits.ephemeral-storage", "requests.ephemeral-storage":
		what, ok = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource", slices.Contains(sizes, d)
	default:
		ok = true
	}
	if strings.HasPrefix(rs.Resource, "requests.hugepages-") || strings.HasPrefix(rs.Resource, "limits.hugepages-") {
		what, ok = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the hugepages resource", slices.Contains(sizes, d)
	}
	if !ok {
		c.add(field.Invalid(p.Child("divisor"), rs.Resource, what), fmt.Sprintf("divide by a unit (1, 1m for cpu; 1, 1Ki, 1Mi, 1Gi, 1k, 1M, 1G for sizes), not %s", d))
	}
}

// ephemeral checks a generic ephemeral volume, as validateEphemeralVolumeSource
// does: a claim template whose labels and annotations are valid, with no
// other metadata, and whose spec is a valid claim's (an access mode, a
// storage request, ...).
func (c *checker) ephemeral(e *corev1.EphemeralVolumeSource, p *field.Path) {
	tp := p.Child("volumeClaimTemplate")
	t := e.VolumeClaimTemplate
	if t == nil {
		c.add(field.Required(tp, ""), "give the volume a volumeClaimTemplate with accessModes and resources.requests.storage")
		return
	}
	c.labelsAndAnnotations(t.Labels, t.Annotations, tp.Child("metadata"))
	c.claimTemplateMeta(&t.ObjectMeta, tp.Child("metadata"))
	c.claim(&t.Spec, tp.Child("spec"))
	c.claimSpec(&t.Spec, tp.Child("spec"))
}

// claimTemplateMeta refuses what an ephemeral volume's claim template may
// not have in its metadata: anything but labels and annotations
// (ValidatePersistentVolumeClaimTemplate's allow-list, which compares each
// other field of ObjectMeta with its zero value). The claim is named
// <pod>-<volume> by the ephemeral volume controller, so a template's
// metadata.name, which charts sometimes write, is refused on apply
// ("cannot be set for an ephemeral volume").
func (c *checker) claimTemplateMeta(m *metav1.ObjectMeta, p *field.Path) {
	v := reflect.ValueOf(*m)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Name == "Labels" || f.Name == "Annotations" || v.Field(i).IsZero() {
			continue
		}
		r, n := utf8.DecodeRuneInString(f.Name)
		name := string(unicode.ToLower(r)) + f.Name[n:]
		c.add(field.Forbidden(p.Child(name), "cannot be set for an ephemeral volume"),
			"an ephemeral volume's claim is named <pod name>-<volume name>: its template's metadata holds only labels and annotations; remove "+name)
	}
}
