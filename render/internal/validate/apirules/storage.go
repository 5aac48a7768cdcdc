package apirules

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PersistentVolumes and claims, as ValidatePersistentVolumeSpec and
// ValidatePersistentVolumeClaimSpec in k8s.io/kubernetes
// (pkg/apis/core/validation, v1.37) check them on create.

// accessModes checks that ReadWriteOncePod stands alone (the schema
// checks the values), and that the API server knows it: before 1.27, with
// ReadWriteOncePod off by default, it refuses the mode.
func (c *checker) accessModes(modes []corev1.PersistentVolumeAccessMode, p *field.Path) {
	if !c.on("ReadWriteOncePod") && slices.Contains(modes, corev1.ReadWriteOncePod) {
		c.add(field.NotSupported(p, corev1.ReadWriteOncePod, []corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOnce}),
			"ReadWriteOncePod is on by default from Kubernetes 1.27: use ReadWriteOnce, or set kubeVersion to the cluster's if it is 1.27 or later")
	}
	if slices.Contains(modes, corev1.ReadWriteOncePod) && slices.ContainsFunc(modes, func(m corev1.PersistentVolumeAccessMode) bool {
		return m != corev1.ReadWriteOncePod
	}) {
		c.add(field.Forbidden(p, "may not use ReadWriteOncePod with other access modes"),
			"ReadWriteOncePod already lets one pod read and write: list it alone, or use ReadWriteOnce with the others")
	}
}

// className checks a storage class name: a DNS subdomain ("" means no
// class, and is left alone).
func (c *checker) className(name string, p *field.Path) {
	if name == "" {
		return
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(name, false) {
		c.add(field.Invalid(p, name, msg), "a StorageClass name is a DNS subdomain: lowercase letters, digits, '-' and '.'")
	}
}

// claimSpec checks what ValidatePersistentVolumeClaimSpec adds to the
// access mode and storage request claim already checks: a valid
// selector, ReadWriteOncePod alone, a storage request above zero, a
// storage class name, a volume attributes class name, and the data
// sources, which must agree when both are given.
func (c *checker) claimSpec(s *corev1.PersistentVolumeClaimSpec, spec *field.Path) {
	c.selector(s.Selector, spec.Child("selector"))
	c.accessModes(s.AccessModes, spec.Child("accessModes"))
	if q, ok := s.Resources.Requests[corev1.ResourceStorage]; ok && q.Sign() <= 0 {
		// The API server's path, spec.resources[storage], leaves out
		// requests.
		c.add(field.Invalid(spec.Child("resources", "requests").Key(string(corev1.ResourceStorage)), q.String(), "must be greater than zero"),
			"request the size the volume needs, such as 1Gi")
	}
	if s.StorageClassName != nil {
		c.className(*s.StorageClassName, spec.Child("storageClassName"))
	}
	if vac := s.VolumeAttributesClassName; vac != nil && *vac != "" && c.on("VolumeAttributesClass") {
		// Before 1.34 the VolumeAttributesClass gate is off by default and
		// the API server drops the field unchecked.
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(*vac, false) {
			c.add(field.Invalid(spec.Child("volumeAttributesClassName"), *vac, msg),
				"a VolumeAttributesClass name is a DNS subdomain: lowercase letters, digits, '-' and '.'")
		}
	}
	if ds := s.DataSource; ds != nil {
		c.dataSource(ds.Name, ds.Kind, ds.APIGroup, spec.Child("dataSource"))
	}
	if ref := s.DataSourceRef; ref != nil {
		c.dataSource(ref.Name, ref.Kind, ref.APIGroup, spec.Child("dataSourceRef"))
	}
	// The API server fills in whichever of the two is missing from the
	// other (NormalizeDataSources), so only two written can disagree. A
	// namespaced dataSourceRef (CrossNamespaceVolumeDataSource, alpha) is
	// dropped or refused otherwise, and left alone here.
	if ds, ref := s.DataSource, s.DataSourceRef; ds != nil && ref != nil && (ref.Namespace == nil || *ref.Namespace == "") && !sameDataSource(ds, ref) {
		// The API server reports it at spec, with the path of dataSource
		// as the value; kiln at dataSource, for its line.
		c.add(field.Invalid(spec.Child("dataSource"), field.OmitValueType{}, "must match dataSourceRef"),
			"dataSource and dataSourceRef are two ways to name one source: keep only dataSourceRef, or give both the same apiGroup, kind and name (an apiGroup left out is not apiGroup: \"\")")
	}
}

// sameDataSource reports whether a claim's dataSource and dataSourceRef
// name the same object, as the API server's isDataSourceEqualDataSourceRef
// compares them: the apiGroups as pointers' targets (a nil one equals
// only another nil one), the kinds and the names.
func sameDataSource(ds *corev1.TypedLocalObjectReference, ref *corev1.TypedObjectReference) bool {
	sameGroup := (ds.APIGroup == nil) == (ref.APIGroup == nil) && (ds.APIGroup == nil || *ds.APIGroup == *ref.APIGroup)
	return sameGroup && ds.Kind == ref.Kind && ds.Name == ref.Name
}

// dataSource checks a claim's data source or data source reference: a
// name and a kind, a PersistentVolumeClaim when no API group is given, a
// DNS-subdomain group otherwise.
func (c *checker) dataSource(name, kind string, group *string, p *field.Path) {
	if name == "" {
		c.add(field.Required(p.Child("name"), ""), "name the object to fill the volume from")
	}
	if kind == "" {
		c.add(field.Required(p.Child("kind"), ""), "give the kind of the object to fill the volume from, such as VolumeSnapshot")
	}
	g := ""
	if group != nil {
		g = *group
	}
	if g == "" && kind != "PersistentVolumeClaim" {
		c.add(field.Invalid(p, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup"),
			"set apiGroup for a kind of another group, such as apiGroup: snapshot.storage.k8s.io for a VolumeSnapshot")
	}
	for _, msg := range validation.IsDNS1123Subdomain(g) {
		if g != "" {
			c.add(field.Invalid(p.Child("apiGroup"), g, msg), "an API group is a DNS subdomain, such as snapshot.storage.k8s.io, without a version")
		}
	}
}

// persistentVolume checks a PersistentVolume: access modes, a storage
// capacity above zero and nothing else, one volume source, a local
// volume's node affinity, a storage class name, and the source's own
// fields (volumesources.go for the storage drivers').
func (c *checker) persistentVolume(pv *corev1.PersistentVolume) {
	spec := field.NewPath("spec")
	s := &pv.Spec
	if len(s.AccessModes) == 0 {
		c.add(field.Required(spec.Child("accessModes"), ""), "set accessModes, such as [ReadWriteOnce]")
	}
	c.accessModes(s.AccessModes, spec.Child("accessModes"))
	c.capacity(s.Capacity, spec.Child("capacity"))
	affinity := false
	if na := s.NodeAffinity; na != nil {
		affinity = true
		c.volumeNodeAffinity(na, spec.Child("nodeAffinity"))
	}
	c.persistentVolumeSource(&s.PersistentVolumeSource, pv.Name, affinity, spec)
	if s.HostPath != nil && path.Clean(s.HostPath.Path) == "/" && s.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimRecycle {
		c.add(field.Forbidden(spec.Child("persistentVolumeReclaimPolicy"), "may not be 'recycle' for a hostPath mount of '/'"),
			"recycling deletes the volume's files, here the node's whole file system: use Retain")
	}
	c.className(s.StorageClassName, spec.Child("storageClassName"))
}

// capacity checks a PersistentVolume's capacity: storage, above zero, and
// nothing else.
func (c *checker) capacity(capacity corev1.ResourceList, p *field.Path) {
	if len(capacity) == 0 {
		c.add(field.Required(p, ""), "give the volume's size, such as capacity: {storage: 10Gi}")
		return
	}
	if _, ok := capacity[corev1.ResourceStorage]; !ok || len(capacity) > 1 {
		var names []string
		for _, k := range slices.Sorted(maps.Keys(capacity)) {
			names = append(names, string(k))
		}
		c.add(field.NotSupported(p, strings.Join(names, ", "), []string{string(corev1.ResourceStorage)}),
			"a volume's capacity is its storage only, such as capacity: {storage: 10Gi}")
	}
	for _, k := range slices.Sorted(maps.Keys(capacity)) {
		if q := capacity[k]; q.Sign() <= 0 {
			c.add(field.Invalid(p.Key(string(k)), q.String(), "must be greater than zero"), "give the volume's size, such as 10Gi")
		}
	}
}

// volumeNodeAffinity checks a PersistentVolume's node affinity: a
// required node selector of at least one valid term.
func (c *checker) volumeNodeAffinity(na *corev1.VolumeNodeAffinity, p *field.Path) {
	if na.Required == nil {
		c.add(field.Required(p.Child("required"), "must specify required node constraints"),
			"give nodeAffinity.required.nodeSelectorTerms the nodes the volume is on, such as kubernetes.io/hostname In [node-1]")
		return
	}
	tp := p.Child("required", "nodeSelectorTerms")
	if len(na.Required.NodeSelectorTerms) == 0 {
		c.add(field.Required(tp, "must have at least one node selector term"), "add a term naming the nodes the volume is on")
	}
	for i, term := range na.Required.NodeSelectorTerms {
		c.nodeSelectorTerm(term, true, tp.Index(i))
	}
}

// persistentVolumeSources are the keys of a PersistentVolume's sources, in
// the order the API server checks them. flexVolume is counted but never
// itself refused as a second source, as the API server does.
func persistentVolumeSources(s *corev1.PersistentVolumeSource) []source {
	return []source{
		{"hostPath", s.HostPath != nil}, {"gcePersistentDisk", s.GCEPersistentDisk != nil}, {"awsElasticBlockStore", s.AWSElasticBlockStore != nil},
		{"glusterfs", s.Glusterfs != nil}, {"flocker", s.Flocker != nil}, {"nfs", s.NFS != nil}, {"rbd", s.RBD != nil},
		{"quobyte", s.Quobyte != nil}, {"cephfs", s.CephFS != nil}, {"iscsi", s.ISCSI != nil}, {"cinder", s.Cinder != nil},
		{"fc", s.FC != nil}, {"flexVolume", s.FlexVolume != nil}, {"azureFile", s.AzureFile != nil}, {"vsphereVolume", s.VsphereVolume != nil},
		{"photonPersistentDisk", s.PhotonPersistentDisk != nil}, {"portworxVolume", s.PortworxVolume != nil}, {"azureDisk", s.AzureDisk != nil},
		{"scaleIO", s.ScaleIO != nil}, {"local", s.Local != nil}, {"storageos", s.StorageOS != nil}, {"csi", s.CSI != nil},
	}
}

// persistentVolumeSource checks that a PersistentVolume named name has one
// source, and that source's fields: the first source in the API server's
// order, as it checks only that one, and a flexVolume, which it checks
// beside any other. affinity tells whether nodeAffinity is set, which a
// local volume needs.
func (c *checker) persistentVolumeSource(s *corev1.PersistentVolumeSource, name string, affinity bool, spec *field.Path) {
	srcs := persistentVolumeSources(s)
	if c.sources(srcs, "flexVolume", spec, "a PersistentVolume has one source: remove this one, or make another volume of it") == 0 {
		c.add(field.Required(spec, "must specify a volume type"), "give the volume a source, such as csi, nfs, hostPath or local")
		return
	}
	if s.FlexVolume != nil {
		c.flex(s.FlexVolume.Driver, s.FlexVolume.Options, spec.Child("flexVolume"))
	}
	// The first source set, flexVolume included: the API server counts a
	// flexVolume, so a source after it is refused, not checked.
	first := ""
	for _, src := range srcs {
		if src.set {
			first = src.key
			break
		}
	}
	switch first {
	case "hostPath":
		c.hostPath(s.HostPath, spec)
	case "nfs":
		c.nfs(s.NFS, spec.Child("nfs"))
	case "local":
		lp := spec.Child("local", "path")
		if s.Local.Path == "" {
			c.add(field.Required(lp, ""), "give the path of the disk or directory on the node")
		} else {
			c.noBacksteps(s.Local.Path, lp, "write the node's path without '..' elements")
		}
		if !affinity {
			c.add(field.Required(spec.Child("nodeAffinity"), "Local volume requires node affinity"),
				"a local volume is on one node: name it in nodeAffinity.required.nodeSelectorTerms (kubernetes.io/hostname In [node-1])")
		}
	case "", "flexVolume":
	default:
		// The first source is a storage driver's, and so the first the
		// driver switch finds, whose order is the API server's.
		c.driverPersistentVolume(s, name, spec)
	}
}

// csiDriver checks a CSI driver name (csiDriverName).
func (c *checker) csiDriver(name string, p *field.Path) {
	const hint = "name the CSI driver as its CSIDriver object does, such as ebs.csi.aws.com"
	for _, e := range csiDriverName(name, p) {
		c.add(e, hint)
	}
}

// csiDriverName is core's ValidateCSIDriverName, for the driver a volume
// or a PersistentVolume names: a CSI driver name is at most 63 characters
// and a DNS subdomain in any case (the API server lowercases it first).
// A CSIDriver's own name is not checked with it: storage's
// ValidateCSIDriverName, which ValidateCSIDriver uses, is
// NameIsDNSSubdomain.
func csiDriverName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	if len(name) > 63 {
		errs = append(errs, field.TooLong(p, "", 63))
	}
	for _, msg := range validation.IsDNS1123Subdomain(strings.ToLower(name)) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

// nfs checks an NFS source, of a PersistentVolume or a pod's volume: a
// server and an absolute exported path.
func (c *checker) nfs(src *corev1.NFSVolumeSource, p *field.Path) {
	if src.Server == "" {
		c.add(field.Required(p.Child("server"), ""), "give the NFS server's host name or address")
	}
	if src.Path == "" {
		c.add(field.Required(p.Child("path"), ""), "give the exported path, such as /exports/data")
	}
	if !path.IsAbs(src.Path) {
		c.add(field.Invalid(p.Child("path"), src.Path, "must be an absolute path"), "write the exported path from the root, such as /exports/data (the server goes in server)")
	}
}

// The limits of a StorageClass's and a VolumeAttributesClass's parameters
// (validateParameters in k8s.io/kubernetes pkg/apis/storage/validation,
// v1.37).
const (
	maxClassParameters    = 512
	maxClassParameterSize = 256 << 10
)

// storageClass checks a StorageClass as ValidateStorageClass does: a
// provisioner that is a qualified name (in any case), at most 512
// parameters of at most 256 KiB together with their keys and no empty
// key, a reclaim policy of Delete or Retain (the schema's enum also has a
// PersistentVolume's Recycle), a binding mode (an empty one is not
// defaulted), and allowed topologies of valid, distinct terms. Its
// mountOptions are not checked by the API server either: a bad one fails
// when a volume is mounted.
func (c *checker) storageClass(sc *storagev1.StorageClass) {
	c.driverAndParameters("StorageClass", sc.Provisioner, field.NewPath("provisioner"), sc.Parameters, true)
	if rp := sc.ReclaimPolicy; rp != nil && *rp == corev1.PersistentVolumeReclaimRecycle {
		c.add(field.NotSupported(field.NewPath("reclaimPolicy"), *rp, []corev1.PersistentVolumeReclaimPolicy{corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRetain}),
			"a StorageClass's volumes are deleted or retained when released: use Delete (the default) or Retain")
	}
	if m := sc.VolumeBindingMode; m != nil && *m == "" {
		// Only a binding mode left out is defaulted (to Immediate); the
		// schema's enum lets "" through.
		c.add(field.NotSupported(field.NewPath("volumeBindingMode"), *m, []storagev1.VolumeBindingMode{storagev1.VolumeBindingImmediate, storagev1.VolumeBindingWaitForFirstConsumer}),
			"set volumeBindingMode to Immediate or WaitForFirstConsumer, or leave it out for Immediate")
	}
	c.allowedTopologies(sc.AllowedTopologies, field.NewPath("allowedTopologies"))
}

// allowedTopologies checks a StorageClass's allowed topologies as
// validateAllowedTopologies and ValidateTopologySelectorTerm do: each
// expression with a label name as key, distinct within its term, and at
// least one value, each once; no term the same as an earlier one (the
// same keys with the same sets of values), and no term without
// expressions (validateAllowedTopologies' quirk: it is a duplicate of the
// empty terms its list of earlier ones starts with).
func (c *checker) allowedTopologies(terms []corev1.TopologySelectorTerm, p *field.Path) {
	const hint = "see https://kubernetes.io/docs/concepts/storage/storage-classes/#allowed-topologies"
	var seen []map[string][]string
	for i, term := range terms {
		ep := p.Index(i).Child("matchLabelExpressions")
		exprs := map[string][]string{}
		for j, e := range term.MatchLabelExpressions {
			xp := ep.Index(j)
			if len(e.Values) == 0 {
				c.add(field.Required(xp.Child("values"), ""), "list the values of "+e.Key+" volumes may be provisioned in; "+hint)
			}
			var values []string
			for k, v := range e.Values {
				if slices.Contains(values, v) {
					c.add(field.Duplicate(xp.Child("values").Index(k), v), "list each value once")
					continue
				}
				values = append(values, v)
			}
			if e.Key == "" {
				c.add(field.Required(xp.Child("key"), ""), "give the expression the label it matches, such as topology.kubernetes.io/zone")
			} else {
				for _, err := range metav1validation.ValidateLabelName(e.Key, xp.Child("key")) {
					c.add(err, labelKeyHint)
				}
			}
			if _, dup := exprs[e.Key]; dup {
				c.add(field.Duplicate(xp.Child("key"), e.Key), "give each key of a term one expression, listing all its values")
			}
			slices.Sort(values)
			exprs[e.Key] = values
		}
		switch {
		case len(exprs) == 0:
			// The API server compares each term with as many empty
			// (nil) ones as there are terms before the earlier terms,
			// so a term without expressions is always a duplicate.
			c.add(field.Duplicate(ep, ""), "give the term an expression, such as {key: topology.kubernetes.io/zone, values: [...]}, or remove it")
		case slices.ContainsFunc(seen, func(m map[string][]string) bool { return maps.EqualFunc(m, exprs, slices.Equal) }):
			c.add(field.Duplicate(ep, ""), "remove the term: an earlier one allows the same topology")
		}
		seen = append(seen, exprs)
	}
}

// driverAndParameters checks a class's driver (a StorageClass's
// provisioner, a VolumeAttributesClass's driverName) and parameters as
// validateProvisioner and validateParameters do: given (not ""), a
// qualified name in any case, at most 512 parameters of at most 256 KiB together with their
// keys, no empty key, and at least one unless allowEmpty. kind names the
// class in hints.
func (c *checker) driverAndParameters(kind, driver string, driverPath *field.Path, params map[string]string, allowEmpty bool) {
	if driver == "" {
		// Left out, it is the schema's missing required field.
		c.add(field.Required(driverPath, ""), "name the "+kind+"'s driver, such as ebs.csi.aws.com")
	} else {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(driver)) {
			c.add(field.Invalid(driverPath, driver, msg),
				"name the driver as its CSI driver does, such as ebs.csi.aws.com, or a built-in provisioner such as kubernetes.io/no-provisioner (at most 63 characters after the '/')")
		}
	}
	pp := field.NewPath("parameters")
	if len(params) > maxClassParameters {
		// The API server reports it as TooLong, "may not be more than 512
		// bytes"; it counts the entries.
		c.add(field.TooMany(pp, len(params), maxClassParameters), "a "+kind+" has at most 512 parameters")
		return
	}
	size := 0
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if k == "" {
			c.add(field.Invalid(pp, k, "field can not be empty."), "give each parameter a name, or remove the one without")
		}
		size += len(k) + len(params[k])
	}
	if size > maxClassParameterSize {
		c.add(field.TooLong(pp, "", maxClassParameterSize),
			fmt.Sprintf("a %s's parameters, keys and values together, hold at most 256 KiB; these hold %d bytes", kind, size))
	}
	if !allowEmpty && len(params) == 0 {
		c.add(field.Required(pp, "must contain at least one key/value pair"),
			"give the attributes the class sets for its driver (such as iops and throughput); a class without any changes nothing")
	}
}

// volumeAttributesClass checks a VolumeAttributesClass as
// ValidateVolumeAttributesClass does (v1.37): its driver's name and at
// least one parameter. v1beta1 and v1alpha1 have the same fields.
func (c *checker) volumeAttributesClass(driver string, params map[string]string) {
	c.driverAndParameters("VolumeAttributesClass", driver, field.NewPath("driverName"), params, false)
}
