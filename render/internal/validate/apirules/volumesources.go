package apirules

import (
	"maps"
	"net"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The fields of the storage drivers' volume sources, of a pod's volumes
// and of PersistentVolumes, as validateVolumeSource and
// ValidatePersistentVolumeSpec check them (k8s.io/kubernetes v1.37
// pkg/apis/core/validation): csi (a pod's inline volume and a
// PersistentVolume's), iscsi, rbd, cephfs, fc, flexVolume, azureFile,
// azureDisk, awsElasticBlockStore, gcePersistentDisk, cinder, glusterfs,
// quobyte, portworxVolume, scaleIO, storageos, photonPersistentDisk,
// vsphereVolume, flocker and gitRepo. The API server still takes every
// one of them, though the kubelet mounts few of the in-tree ones any more
// (kiln warns of those: dropped.go); their required fields the schema
// checks are present, so these are the values it cannot judge: an empty
// string, a number out of range, a name of the wrong form.
//
// Where the API server names a field other than the one written (gcePersistentDisk's
// "persistentDisk", iscsi's "initiatorname" and "targetportal", an inline
// csi volume's secret name as "csi.name"), kiln names the field written,
// which has the line.

// The forms of an iSCSI qualified name (iqn.2001-04.com.example:storage),
// EUI-64 name and NAA name, as the API server matches them: the iqn form
// anchored at its end only, and any one character after eui and naa.
var (
	iscsiIQN = regexp.MustCompile(`iqn\.\d{4}-\d{2}\.([[:alnum:]-.]+)(:[^,;*&$|\s]+)$`)
	iscsiEUI = regexp.MustCompile(`^eui.[[:alnum:]]{16}$`)
	iscsiNAA = regexp.MustCompile(`^naa.[[:alnum:]]{32}$`)
)

const (
	iscsiNameHint = "an iSCSI name is iqn.<yyyy-mm>.<reversed domain>:<name> (iqn.2001-04.com.example:storage.disk1), eui.<16 hex digits> or naa.<32 hex digits>"
	// diskPartitionMsg is what the API server says of a partition out of
	// 0–255 (it takes 0, which means the whole disk).
	diskPartitionMsg = "must be between 1 and 255, inclusive"
	// iscsiNameTooLong is the API server's message for a volume whose
	// name and portal, with an initiator name, are too long for the
	// kubelet's iface file.
	iscsiNameTooLong = "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified."
)

// iscsiName checks an iSCSI target's or initiator's name: of one of the
// forms iqn, eui or naa. prefixMsg is the API server's message for a name
// of none of them (a pod's and a PersistentVolume's differ).
func (c *checker) iscsiName(name string, p *field.Path, prefixMsg string) {
	switch {
	case !strings.HasPrefix(name, "iqn") && !strings.HasPrefix(name, "eui") && !strings.HasPrefix(name, "naa"):
		c.add(field.Invalid(p, name, prefixMsg), iscsiNameHint)
	case strings.HasPrefix(name, "iqn") && !iscsiIQN.MatchString(name),
		strings.HasPrefix(name, "eui") && !iscsiEUI.MatchString(name),
		strings.HasPrefix(name, "naa") && !iscsiNAA.MatchString(name):
		c.add(field.Invalid(p, name, "must be valid format"), iscsiNameHint)
	}
}

// iscsi checks what an iSCSI source of a pod or a PersistentVolume has in
// common: a target portal, a target name, a LUN of 0–255, a CHAP secret
// when CHAP is on, and the initiator's name. name and tooLong are the
// volume's name (the pod volume's or the PersistentVolume's) and where the
// API server reports it too long beside the portal; pv tells the
// PersistentVolume's messages from the pod's.
func (c *checker) iscsi(portal, iqn string, lun int32, chap, secret bool, initiator *string, name string, tooLong *field.Path, pv bool, p *field.Path) {
	prefixMsg := "must be valid format starting with iqn, eui, or naa"
	if pv {
		prefixMsg = "must be valid format"
	}
	if portal == "" {
		c.add(field.Required(p.Child("targetPortal"), ""), "give the target's address, such as 10.0.2.15:3260")
	}
	if initiator != nil && len(name+":"+portal) > 64 {
		value := name
		if pv {
			value = portal
		}
		c.add(field.Invalid(tooLong, value, iscsiNameTooLong),
			"the kubelet names the initiator's iface <volume name>:<portal>, at most 64 characters: shorten the volume's name, or leave initiatorName out")
	}
	if iqn == "" {
		c.add(field.Required(p.Child("iqn"), ""), "give the target's iSCSI name, such as iqn.2001-04.com.example:storage.disk1")
	} else {
		c.iscsiName(iqn, p.Child("iqn"), prefixMsg)
	}
	if lun < 0 || lun > 255 {
		c.add(field.Invalid(p.Child("lun"), lun, validation.InclusiveRangeError(0, 255)), "give the target's LUN, 0 to 255")
	}
	if chap && !secret {
		c.add(field.Required(p.Child("secretRef"), ""), "CHAP authentication reads its credentials from a Secret: name it in secretRef, or turn chapAuthDiscovery and chapAuthSession off")
	}
	if initiator != nil {
		// The API server names it initiatorname.
		c.iscsiName(*initiator, p.Child("initiatorName"), prefixMsg)
	}
}

// cloudDisk checks a GCE persistent disk or an EBS volume, in a pod or a
// PersistentVolume: the disk named in field idField, and its partition.
// The API server names gcePersistentDisk persistentDisk.
func (c *checker) cloudDisk(id string, partition int32, p *field.Path, idField, hint string) {
	c.required(id, p.Child(idField), hint)
	c.diskPartition(partition, p.Child("partition"))
}

// diskPartition checks a cloud disk's partition: 0 (the whole disk) to
// 255.
func (c *checker) diskPartition(n int32, p *field.Path) {
	if n < 0 || n > 255 {
		c.add(field.Invalid(p, n, diskPartitionMsg), "give the partition's number, 1 to 255, or leave partition out to mount the whole disk")
	}
}

// required reports an empty string field as missing.
func (c *checker) required(value string, p *field.Path, hint string) {
	if value == "" {
		c.add(field.Required(p, ""), hint)
	}
}

// fc checks a Fibre Channel source: target WWNs with a LUN of 0–255, or
// WWIDs, not both.
func (c *checker) fc(fc *corev1.FCVolumeSource, p *field.Path) {
	const hint = "name the disk by targetWWNs and lun, or by wwids"
	if len(fc.TargetWWNs) == 0 && len(fc.WWIDs) == 0 {
		c.add(field.Required(p.Child("targetWWNs"), "must specify either targetWWNs or wwids, but not both"), hint)
	}
	if len(fc.TargetWWNs) != 0 && len(fc.WWIDs) != 0 {
		c.add(field.Invalid(p.Child("targetWWNs"), fc.TargetWWNs, "targetWWNs and wwids can not be specified simultaneously"), hint+", not both")
	}
	if len(fc.TargetWWNs) != 0 {
		switch {
		case fc.Lun == nil:
			c.add(field.Required(p.Child("lun"), "lun is required if targetWWNs is specified"), "give the disk's LUN, 0 to 255")
		case *fc.Lun < 0 || *fc.Lun > 255:
			c.add(field.Invalid(p.Child("lun"), *fc.Lun, validation.InclusiveRangeError(0, 255)), "give the disk's LUN, 0 to 255")
		}
	}
}

// flex checks a FlexVolume source: a driver, and options whose keys are
// not in the kubernetes.io or k8s.io namespaces (the kubelet passes its
// own options under kubernetes.io/).
func (c *checker) flex(driver string, options map[string]string, p *field.Path) {
	c.required(driver, p.Child("driver"), "name the FlexVolume driver, such as example.com/lvm")
	for _, k := range slices.Sorted(maps.Keys(options)) {
		ns := k
		if before, _, ok := strings.Cut(k, "/"); ok {
			ns = before
		}
		ns = "." + strings.ToLower(ns)
		if strings.HasSuffix(ns, ".kubernetes.io") || strings.HasSuffix(ns, ".k8s.io") {
			c.add(field.Invalid(p.Child("options").Key(k), k, "kubernetes.io and k8s.io namespaces are reserved"),
				"the kubelet passes its own options under kubernetes.io/: name the driver's option without that prefix")
		}
	}
}

// flocker checks a Flocker source: a dataset's name (without '/') or
// UUID, not both.
func (c *checker) flocker(f *corev1.FlockerVolumeSource, p *field.Path) {
	const hint = "name the dataset by datasetName or datasetUUID"
	if f.DatasetName == "" && f.DatasetUUID == "" {
		c.add(field.Required(p, "one of datasetName and datasetUUID is required"), hint)
	}
	if f.DatasetName != "" && f.DatasetUUID != "" {
		c.add(field.Invalid(p, "resource", "datasetName and datasetUUID can not be specified simultaneously"), hint+", not both")
	}
	if strings.Contains(f.DatasetName, "/") {
		c.add(field.Invalid(p.Child("datasetName"), f.DatasetName, "must not contain '/'"), "a dataset's name has no '/'")
	}
}

// quobyte checks a Quobyte source: a registry of host:port pairs, a
// tenant of at most 64 characters, a volume.
func (c *checker) quobyte(q *corev1.QuobyteVolumeSource, p *field.Path) {
	const registryMsg = "must be a host:port pair or multiple pairs separated by commas"
	const registryHint = "give the registry as host:port, or several separated by commas (registry1:7861,registry2:7861)"
	switch {
	case q.Registry == "":
		c.add(field.Required(p.Child("registry"), registryMsg), registryHint)
	case len(q.Tenant) >= 65:
		c.add(field.Required(p.Child("tenant"), "must be a UUID and may not exceed a length of 64 characters"), "give the tenant's UUID")
	default:
		// The API server reports each bad pair with the same text, which
		// its error list tells once.
		for _, pair := range strings.Split(q.Registry, ",") {
			if _, _, err := net.SplitHostPort(pair); err != nil {
				c.add(field.Invalid(p.Child("registry"), q.Registry, registryMsg), registryHint)
				break
			}
		}
	}
	c.required(q.Volume, p.Child("volume"), "name the Quobyte volume")
}

// The forms of an Azure disk's URI the API server names for a managed
// disk and for a blob (shared or dedicated) one.
var (
	azureManagedDiskURI = []string{"/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"}
	azureBlobDiskURI    = []string{"https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"}
)

// azureDisk checks an Azure disk source, after the API server's default
// kind (Shared): a disk name, and a disk URI of the kind's form (the
// schema checks cachingMode and kind themselves).
func (c *checker) azureDisk(d *corev1.AzureDiskVolumeSource, p *field.Path) {
	c.required(d.DiskName, p.Child("diskName"), "give the disk's name")
	c.required(d.DataDiskURI, p.Child("diskURI"), "give the disk's URI")
	kind := corev1.AzureSharedBlobDisk
	if d.Kind != nil {
		kind = *d.Kind
	}
	switch {
	case kind == corev1.AzureManagedDisk && !strings.HasPrefix(d.DataDiskURI, "/subscriptions/"):
		c.add(field.NotSupported(p.Child("diskURI"), d.DataDiskURI, azureManagedDiskURI), "a managed disk's URI is its resource ID, /subscriptions/…/providers/microsoft.compute/disks/<disk>")
	case kind != corev1.AzureManagedDisk && !strings.HasPrefix(d.DataDiskURI, "https://"):
		c.add(field.NotSupported(p.Child("diskURI"), d.DataDiskURI, azureBlobDiskURI),
			"a blob disk's URI is its https:// URL; for a managed disk's resource ID (/subscriptions/…), set kind: Managed (kind defaults to Shared)")
	}
}

// storageOS checks a StorageOS source's volume name (given) and
// namespace, DNS labels.
func (c *checker) storageOS(name, namespace string, p *field.Path) {
	const hint = "a StorageOS volume's name and namespace are DNS labels: lowercase letters, digits and '-'"
	if name == "" {
		c.add(field.Required(p.Child("volumeName"), ""), "name the StorageOS volume")
	} else {
		for _, msg := range validation.IsDNS1123Label(name) {
			c.add(field.Invalid(p.Child("volumeName"), name, msg), hint)
		}
	}
	if namespace != "" {
		for _, msg := range validation.IsDNS1123Label(namespace) {
			c.add(field.Invalid(p.Child("volumeNamespace"), namespace, msg), hint)
		}
	}
}

// secretRefName checks that a source's secretRef, when given, names its
// Secret; with namespace, that it also names the Secret's namespace (a
// PersistentVolume has none of its own).
func (c *checker) secretRefName(set bool, name string, namespace *string, p *field.Path) {
	if !set {
		return
	}
	c.required(name, p.Child("name"), "name the Secret holding the credentials")
	if namespace != nil {
		c.required(*namespace, p.Child("namespace"), "a PersistentVolume is in no namespace: give the Secret's namespace")
	}
}

// scaleIO checks a ScaleIO source's gateway, system and volume.
func (c *checker) scaleIO(gateway, system, volume string, p *field.Path) {
	c.required(gateway, p.Child("gateway"), "give the ScaleIO API gateway's address")
	c.required(system, p.Child("system"), "name the ScaleIO storage system")
	c.required(volume, p.Child("volumeName"), "name the ScaleIO volume")
}

// inlineCSI checks a pod's inline CSI volume (validateCSIVolumeSource):
// a driver name, and a nodePublishSecretRef's name, a Secret's name. A
// chart whose driver value is unset renders driver: "".
func (c *checker) inlineCSI(v *corev1.CSIVolumeSource, p *field.Path) {
	c.csiDriver(v.Driver, p.Child("driver"))
	ref := v.NodePublishSecretRef
	if ref == nil {
		return
	}
	np := p.Child("nodePublishSecretRef", "name")
	if ref.Name == "" {
		c.add(field.Required(np, ""), "name the Secret the driver reads when it mounts the volume, or leave nodePublishSecretRef out")
		return
	}
	// The API server names it csi.name.
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(ref.Name, false) {
		c.add(field.Invalid(np, ref.Name, msg), "a Secret's name is a DNS subdomain: lowercase letters, digits, '-' and '.'")
	}
}

// persistentCSI checks a PersistentVolume's CSI source
// (validateCSIPersistentVolumeSource): a driver name, a volume handle, and
// each secret reference the API server checks (not nodeStageSecretRef)
// with a name (a DNS subdomain) and a namespace (a DNS label). Before
// 1.27 (CSINodeExpandSecret alpha and off in 1.25 and 1.26) the API
// server drops nodeExpandSecretRef first (persistentvolume's
// DropDisabledFields), unchecked: kiln warns of it (dropped.go).
func (c *checker) persistentCSI(s *corev1.CSIPersistentVolumeSource, p *field.Path) {
	c.csiDriver(s.Driver, p.Child("driver"))
	c.required(s.VolumeHandle, p.Child("volumeHandle"), "give the driver's ID of the volume")
	nodeExpand := s.NodeExpandSecretRef
	if !c.on("CSINodeExpandSecret") {
		nodeExpand = nil
	}
	for _, ref := range []struct {
		key string
		ref *corev1.SecretReference
	}{
		{"controllerPublishSecretRef", s.ControllerPublishSecretRef},
		{"controllerExpandSecretRef", s.ControllerExpandSecretRef},
		{"nodePublishSecretRef", s.NodePublishSecretRef},
		{"nodeExpandSecretRef", nodeExpand},
	} {
		if ref.ref != nil {
			c.pvSecretRef(ref.ref, p.Child(ref.key))
		}
	}
}

// pvSecretRef checks a PersistentVolume's reference to a Secret
// (validatePVSecretReference): a name that is a DNS subdomain and a
// namespace that is a DNS label, both given. Before 1.27 a new volume's
// name had to be a DNS label (kubernetes/kubernetes#114776 let a Secret's
// every name through): test.csi was refused.
func (c *checker) pvSecretRef(ref *corev1.SecretReference, p *field.Path) {
	switch {
	case ref.Name == "":
		c.add(field.Required(p.Child("name"), ""), "name the Secret the driver reads")
	case !c.since(1, 27):
		for _, msg := range validation.IsDNS1123Label(ref.Name) {
			c.add(field.Invalid(p.Child("name"), ref.Name, msg),
				"before Kubernetes 1.27 the API server takes only a DNS label here (lowercase letters, digits and '-', at most 63): rename the Secret, or set kubeVersion if the cluster is newer")
		}
	default:
		for _, msg := range validation.IsDNS1123Subdomain(ref.Name) {
			c.add(field.Invalid(p.Child("name"), ref.Name, msg), "a Secret's name is a DNS subdomain: lowercase letters, digits, '-' and '.'")
		}
	}
	if ref.Namespace == "" {
		c.add(field.Required(p.Child("namespace"), ""), "a PersistentVolume is in no namespace: give the Secret's namespace")
	} else {
		for _, msg := range validation.IsDNS1123Label(ref.Namespace) {
			c.add(field.Invalid(p.Child("namespace"), ref.Namespace, msg), "a namespace's name is a DNS label: lowercase letters, digits and '-'")
		}
	}
}

// driverVolume checks the source of a pod's volume v at p when it is one
// of a storage driver's (every source but the ones volume checks itself).
func (c *checker) driverVolume(v *corev1.Volume, p *field.Path) {
	s := &v.VolumeSource
	switch {
	case s.CSI != nil:
		c.inlineCSI(s.CSI, p.Child("csi"))
	case s.GitRepo != nil:
		gp := p.Child("gitRepo")
		c.required(s.GitRepo.Repository, gp.Child("repository"), "give the repository's URL")
		c.localDescendingPath(s.GitRepo.Directory, gp.Child("directory"), "the directory is relative to the volume, without '..'")
	case s.GCEPersistentDisk != nil:
		c.cloudDisk(s.GCEPersistentDisk.PDName, s.GCEPersistentDisk.Partition, p.Child("gcePersistentDisk"), "pdName", "name the persistent disk")
	case s.AWSElasticBlockStore != nil:
		c.cloudDisk(s.AWSElasticBlockStore.VolumeID, s.AWSElasticBlockStore.Partition, p.Child("awsElasticBlockStore"), "volumeID", "give the EBS volume's ID, such as vol-0123456789abcdef0")
	case s.ISCSI != nil:
		i := s.ISCSI
		c.iscsi(i.TargetPortal, i.IQN, i.Lun, i.DiscoveryCHAPAuth || i.SessionCHAPAuth, i.SecretRef != nil, i.InitiatorName, v.Name, p.Child("name"), false, p.Child("iscsi"))
	case s.Glusterfs != nil:
		gp := p.Child("glusterfs")
		c.required(s.Glusterfs.EndpointsName, gp.Child("endpoints"), "name the Endpoints object of the Glusterfs cluster")
		c.required(s.Glusterfs.Path, gp.Child("path"), "give the Glusterfs volume's path")
	case s.Flocker != nil:
		c.flocker(s.Flocker, p.Child("flocker"))
	case s.RBD != nil:
		rp := p.Child("rbd")
		c.monitors(len(s.RBD.CephMonitors), rp)
		c.required(s.RBD.RBDImage, rp.Child("image"), "name the RADOS block device image")
	case s.Cinder != nil:
		cp := p.Child("cinder")
		c.required(s.Cinder.VolumeID, cp.Child("volumeID"), "give the Cinder volume's ID")
		c.secretRefName(s.Cinder.SecretRef != nil, refName(s.Cinder.SecretRef), nil, cp.Child("secretRef"))
	case s.CephFS != nil:
		c.monitors(len(s.CephFS.Monitors), p.Child("cephfs"))
	case s.Quobyte != nil:
		c.quobyte(s.Quobyte, p.Child("quobyte"))
	case s.FC != nil:
		c.fc(s.FC, p.Child("fc"))
	case s.FlexVolume != nil:
		c.flex(s.FlexVolume.Driver, s.FlexVolume.Options, p.Child("flexVolume"))
	case s.AzureFile != nil:
		ap := p.Child("azureFile")
		c.required(s.AzureFile.SecretName, ap.Child("secretName"), "name the Secret holding the storage account's name and key")
		c.required(s.AzureFile.ShareName, ap.Child("shareName"), "name the file share")
	case s.VsphereVolume != nil:
		c.required(s.VsphereVolume.VolumePath, p.Child("vsphereVolume", "volumePath"), "give the disk's path, such as [datastore1] volumes/myDisk")
	case s.PhotonPersistentDisk != nil:
		c.required(s.PhotonPersistentDisk.PdID, p.Child("photonPersistentDisk", "pdID"), "give the Photon disk's ID")
	case s.PortworxVolume != nil:
		c.required(s.PortworxVolume.VolumeID, p.Child("portworxVolume", "volumeID"), "give the Portworx volume's ID")
	case s.AzureDisk != nil:
		c.azureDisk(s.AzureDisk, p.Child("azureDisk"))
	case s.StorageOS != nil:
		sp := p.Child("storageos")
		c.storageOS(s.StorageOS.VolumeName, s.StorageOS.VolumeNamespace, sp)
		c.secretRefName(s.StorageOS.SecretRef != nil, refName(s.StorageOS.SecretRef), nil, sp.Child("secretRef"))
	case s.ScaleIO != nil:
		c.scaleIO(s.ScaleIO.Gateway, s.ScaleIO.System, s.ScaleIO.VolumeName, p.Child("scaleIO"))
	}
}

// refName is the name a local object reference gives, "" for none.
func refName(ref *corev1.LocalObjectReference) string {
	if ref == nil {
		return ""
	}
	return ref.Name
}

// monitors checks that a Ceph source (rbd, cephfs) names its monitors.
func (c *checker) monitors(n int, p *field.Path) {
	if n == 0 {
		c.add(field.Required(p.Child("monitors"), ""), "list the Ceph monitors, such as [10.16.154.78:6789]")
	}
}

// driverPersistentVolume checks the source of a PersistentVolume named
// name when it is one of a storage driver's (every source but hostPath,
// nfs and local). flexVolume, which the API server checks even beside
// another source, is checked by the caller.
func (c *checker) driverPersistentVolume(s *corev1.PersistentVolumeSource, name string, spec *field.Path) {
	switch {
	case s.GCEPersistentDisk != nil:
		c.cloudDisk(s.GCEPersistentDisk.PDName, s.GCEPersistentDisk.Partition, spec.Child("gcePersistentDisk"), "pdName", "name the persistent disk")
	case s.AWSElasticBlockStore != nil:
		c.cloudDisk(s.AWSElasticBlockStore.VolumeID, s.AWSElasticBlockStore.Partition, spec.Child("awsElasticBlockStore"), "volumeID", "give the EBS volume's ID, such as vol-0123456789abcdef0")
	case s.Glusterfs != nil:
		gp := spec.Child("glusterfs")
		c.required(s.Glusterfs.EndpointsName, gp.Child("endpoints"), "name the Endpoints object of the Glusterfs cluster")
		c.required(s.Glusterfs.Path, gp.Child("path"), "give the Glusterfs volume's path")
		if ns := s.Glusterfs.EndpointsNamespace; ns != nil {
			const hint = "name the Endpoints object's namespace, or leave endpointsNamespace out for the claim's"
			if *ns == "" {
				c.add(field.Invalid(gp.Child("endpointsNamespace"), *ns, "if the endpointnamespace is set, it must be a valid namespace name"), hint)
			}
			for _, msg := range apimachineryvalidation.ValidateNamespaceName(*ns, false) {
				if *ns != "" {
					c.add(field.Invalid(gp.Child("endpointsNamespace"), *ns, msg), hint)
				}
			}
		}
	case s.Flocker != nil:
		c.flocker(s.Flocker, spec.Child("flocker"))
	case s.RBD != nil:
		rp := spec.Child("rbd")
		c.monitors(len(s.RBD.CephMonitors), rp)
		c.required(s.RBD.RBDImage, rp.Child("image"), "name the RADOS block device image")
	case s.Quobyte != nil:
		c.quobyte(s.Quobyte, spec.Child("quobyte"))
	case s.CephFS != nil:
		c.monitors(len(s.CephFS.Monitors), spec.Child("cephfs"))
	case s.ISCSI != nil:
		i := s.ISCSI
		ip := spec.Child("iscsi")
		// The API server names the portal targetportal.
		c.iscsi(i.TargetPortal, i.IQN, i.Lun, i.DiscoveryCHAPAuth || i.SessionCHAPAuth, i.SecretRef != nil, i.InitiatorName, name, ip.Child("targetPortal"), true, ip)
		if i.SecretRef != nil {
			c.required(i.SecretRef.Name, ip.Child("secretRef", "name"), "name the Secret holding the CHAP credentials")
		}
	case s.Cinder != nil:
		cp := spec.Child("cinder")
		c.required(s.Cinder.VolumeID, cp.Child("volumeID"), "give the Cinder volume's ID")
		if ref := s.Cinder.SecretRef; ref != nil {
			c.secretRefName(true, ref.Name, &ref.Namespace, cp.Child("secretRef"))
		}
	case s.FC != nil:
		c.fc(s.FC, spec.Child("fc"))
	case s.AzureFile != nil:
		ap := spec.Child("azureFile")
		c.required(s.AzureFile.SecretName, ap.Child("secretName"), "name the Secret holding the storage account's name and key")
		c.required(s.AzureFile.ShareName, ap.Child("shareName"), "name the file share")
		if ns := s.AzureFile.SecretNamespace; ns != nil {
			c.required(*ns, ap.Child("secretNamespace"), "give the Secret's namespace, or leave secretNamespace out for the pod's")
		}
	case s.VsphereVolume != nil:
		c.required(s.VsphereVolume.VolumePath, spec.Child("vsphereVolume", "volumePath"), "give the disk's path, such as [datastore1] volumes/myDisk")
	case s.PhotonPersistentDisk != nil:
		c.required(s.PhotonPersistentDisk.PdID, spec.Child("photonPersistentDisk", "pdID"), "give the Photon disk's ID")
	case s.PortworxVolume != nil:
		c.required(s.PortworxVolume.VolumeID, spec.Child("portworxVolume", "volumeID"), "give the Portworx volume's ID")
	case s.AzureDisk != nil:
		c.azureDisk(s.AzureDisk, spec.Child("azureDisk"))
	case s.ScaleIO != nil:
		c.scaleIO(s.ScaleIO.Gateway, s.ScaleIO.System, s.ScaleIO.VolumeName, spec.Child("scaleIO"))
	case s.StorageOS != nil:
		sp := spec.Child("storageos")
		c.storageOS(s.StorageOS.VolumeName, s.StorageOS.VolumeNamespace, sp)
		if ref := s.StorageOS.SecretRef; ref != nil {
			c.secretRefName(true, ref.Name, &ref.Namespace, sp.Child("secretRef"))
		}
	case s.CSI != nil:
		c.persistentCSI(s.CSI, spec.Child("csi"))
	}
}
