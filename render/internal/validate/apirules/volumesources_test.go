package apirules

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// sourcePod is a Pod document with one volume, named name, whose source
// is source (a key and its flow mapping, such as "csi: {driver: x}").
func sourcePod(name, source string) string {
	return "spec:\n  containers: [{name: a, image: a}]\n  volumes:\n  - name: " + name + "\n    " + source
}

// sourcePV is a PersistentVolume document named name, of 5Gi and
// ReadWriteMany, whose source is source (a key and its flow mapping).
func sourcePV(name, source string) string {
	return "metadata: {name: " + name + "}\nspec:\n  capacity: {storage: 5Gi}\n  accessModes: [ReadWriteMany]\n  persistentVolumeReclaimPolicy: Retain\n  " + source
}

func pod() runtime.Object              { return &corev1.Pod{} }
func persistentVolume() runtime.Object { return &corev1.PersistentVolume{} }

// The sources as their drivers' documentation and the Kubernetes
// examples (kubernetes/examples, volumes/*) write them.
const (
	// secrets-store-csi-driver's getting started.
	secretsStore = "csi: {driver: secrets-store.csi.k8s.io, readOnly: true, volumeAttributes: {secretProviderClass: azure-kvname}, nodePublishSecretRef: {name: secrets-store-creds}}"
	// volumes/iscsi (with CHAP: chap/).
	iscsiPod  = "iscsi: {targetPortal: '10.0.2.15:3260', portals: ['10.0.2.16:3260', '10.0.2.17:3260'], iqn: 'iqn.2001-04.com.example:storage.kube.sys1.xyz', lun: 0, fsType: ext4, readOnly: true}"
	iscsiCHAP = "iscsi: {targetPortal: '10.0.2.15:3260', iqn: 'iqn.2001-04.com.example:storage.kube.sys1.xyz', lun: 0, fsType: ext4, chapAuthDiscovery: true, chapAuthSession: true, secretRef: {name: chap-secret}, initiatorName: 'iqn.1996-04.de.suse:01:a678b5d9d7c'}"
	rbdPod    = "rbd: {monitors: ['10.16.154.78:6789', '10.16.154.82:6789', '10.16.154.83:6789'], pool: kube, image: foo, fsType: ext4, readOnly: true, user: admin, keyring: /etc/ceph/keyring}"
	cephfsPod = "cephfs: {monitors: ['10.16.154.78:6789', '10.16.154.82:6789'], user: admin, secretRef: {name: ceph-secret}, readOnly: true}"
	fcPod     = "fc: {targetWWNs: ['500a0982991b8dc5', '500a0982891b8dc5'], lun: 2, fsType: ext4, readOnly: true}"
	// AKS's static volumes (azure-disk-volume, azure-files-volume).
	azureDiskPod = "azureDisk: {kind: Managed, diskName: myAKSDisk, diskURI: /subscriptions/0000/resourceGroups/MC_myResourceGroup_myAKSCluster_eastus/providers/Microsoft.Compute/disks/myAKSDisk}"
	azureFilePod = "azureFile: {secretName: azure-secret, shareName: aksshare, readOnly: false}"
	// The volumes page of the Kubernetes documentation.
	ebsPod       = "awsElasticBlockStore: {volumeID: vol-0123456789abcdef0, fsType: ext4}"
	gcePod       = "gcePersistentDisk: {pdName: my-data-disk, fsType: ext4}"
	cinderPod    = "cinder: {volumeID: bd82f7e2-wece-4c01-a505-4acf60b07f4a, fsType: ext4}"
	flexPod      = "flexVolume: {driver: kubernetes.io/lvm, fsType: ext4, options: {volumeID: vol1, size: 1000m, volumegroup: kube_vg}}"
	glusterPod   = "glusterfs: {endpoints: glusterfs-cluster, path: kube_vol, readOnly: true}"
	quobytePod   = "quobyte: {registry: 'registry:7861', volume: testVolume, readOnly: true}"
	portworxPod  = "portworxVolume: {volumeID: pxvol, fsType: ext4}"
	scaleIOPod   = "scaleIO: {gateway: 'https://localhost:443/api', system: scaleio, protectionDomain: sd0, storagePool: sp1, volumeName: vol-0, secretRef: {name: sio-secret}, fsType: xfs}"
	storageOSPod = "storageos: {volumeName: redis-vol01, fsType: ext4}"
	photonPod    = "photonPersistentDisk: {pdID: '77bce7f1-6d29-4f42-8e5e-a8c4d3e1e3a0', fsType: ext4}"
	vspherePod   = "vsphereVolume: {volumePath: '[DatastoreName] volumes/myDisk', fsType: ext4}"
	flockerPod   = "flocker: {datasetName: my-flocker-vol}"
	gitRepoPod   = "gitRepo: {repository: 'git@somewhere:me/my-git-repository.git', revision: 22f1d8406d464b0c0874075539c1f2e96c253775}"

	// aws-efs-csi-driver's static provisioning example.
	efsPV = "storageClassName: efs-sc\n  volumeMode: Filesystem\n  csi: {driver: efs.csi.aws.com, volumeHandle: fs-4af69aab}"
	// csi-driver-smb's static PV, with the credentials its node stage
	// reads.
	smbPV = "csi: {driver: smb.csi.k8s.io, volumeHandle: 'smb-server.default.svc.cluster.local/share##', volumeAttributes: {source: //smb-server.default.svc.cluster.local/share}, nodeStageSecretRef: {name: smbcreds, namespace: default}}"
)

// TestDriverVolumeSources: the storage drivers' volume sources of pods and
// PersistentVolumes, as written in their documentation, pass; each
// mutation is refused with the API server's text.
func TestDriverVolumeSources(t *testing.T) {
	checkRows(t, []row{
		// Inline CSI volumes.
		{name: "secrets store csi volume", obj: pod, doc: sourcePod("secrets-store-inline", secretsStore)},
		{name: "csi volume without secret", obj: pod, doc: sourcePod("secrets-store-inline", "csi: {driver: secrets-store.csi.k8s.io, readOnly: true, volumeAttributes: {secretProviderClass: aws-secrets}}")},
		{name: "csi driver in capitals", obj: pod, doc: sourcePod("v", "csi: {driver: Secrets-Store.CSI.k8s.io}")},
		{name: "csi driver unset", obj: pod, doc: sourcePod("v", strings.Replace(secretsStore, "driver: secrets-store.csi.k8s.io", "driver: ''", 1)),
			want: "spec.volumes[0].csi.driver: Required value"},
		{name: "csi driver with a space", obj: pod, doc: sourcePod("v", "csi: {driver: secrets store}"),
			want: `spec.volumes[0].csi.driver: Invalid value: "secrets store": a lowercase RFC 1123 subdomain`},
		{name: "csi driver too long", obj: pod, doc: sourcePod("v", "csi: {driver: "+strings.Repeat("a", 61)+".io}"),
			want: "spec.volumes[0].csi.driver: Too long: may not be more than 63 bytes"},
		{name: "csi secret unnamed", obj: pod, doc: sourcePod("v", strings.Replace(secretsStore, "name: secrets-store-creds", "name: ''", 1)),
			want: "spec.volumes[0].csi.nodePublishSecretRef.name: Required value"},
		{name: "csi secret name", obj: pod, doc: sourcePod("v", strings.Replace(secretsStore, "name: secrets-store-creds", "name: Secrets_Store", 1)),
			want: `spec.volumes[0].csi.nodePublishSecretRef.name: Invalid value: "Secrets_Store": a lowercase RFC 1123 subdomain`},

		// iSCSI.
		{name: "iscsi volume", obj: pod, doc: sourcePod("iscsipd-rw", iscsiPod)},
		{name: "iscsi volume with chap", obj: pod, doc: sourcePod("iscsipd-rw", iscsiCHAP)},
		{name: "iscsi eui name", obj: pod, doc: sourcePod("v", strings.Replace(iscsiPod, "iqn.2001-04.com.example:storage.kube.sys1.xyz", "eui.02004567A425678D", 1))},
		{name: "iscsi without portal", obj: pod, doc: sourcePod("v", strings.Replace(iscsiPod, "'10.0.2.15:3260'", "''", 1)),
			want: "spec.volumes[0].iscsi.targetPortal: Required value"},
		{name: "iscsi without iqn", obj: pod, doc: sourcePod("v", strings.Replace(iscsiPod, "'iqn.2001-04.com.example:storage.kube.sys1.xyz'", "''", 1)),
			want: "spec.volumes[0].iscsi.iqn: Required value"},
		{name: "iscsi iqn of no form", obj: pod, doc: sourcePod("v", strings.Replace(iscsiPod, "iqn.2001-04.com.example:storage.kube.sys1.xyz", "storage.kube.sys1.xyz", 1)),
			want: `spec.volumes[0].iscsi.iqn: Invalid value: "storage.kube.sys1.xyz": must be valid format starting with iqn, eui, or naa`},
		{name: "iscsi iqn without its name", obj: pod, doc: sourcePod("v", strings.Replace(iscsiPod, "iqn.2001-04.com.example:storage.kube.sys1.xyz", "iqn.2001-04.com.example", 1)),
			want: `spec.volumes[0].iscsi.iqn: Invalid value: "iqn.2001-04.com.example": must be valid format`},
		{name: "iscsi eui too short", obj: pod, doc: sourcePod("v", strings.Replace(iscsiPod, "iqn.2001-04.com.example:storage.kube.sys1.xyz", "eui.02004567A425", 1)),
			want: `spec.volumes[0].iscsi.iqn: Invalid value: "eui.02004567A425": must be valid format`},
		{name: "iscsi lun", obj: pod, doc: sourcePod("v", strings.Replace(iscsiPod, "lun: 0", "lun: 256", 1)),
			want: "spec.volumes[0].iscsi.lun: Invalid value: 256: must be between 0 and 255, inclusive"},
		{name: "iscsi chap without secret", obj: pod, doc: sourcePod("v", strings.Replace(iscsiCHAP, "secretRef: {name: chap-secret}, ", "", 1)),
			want: "spec.volumes[0].iscsi.secretRef: Required value"},
		{name: "iscsi initiator name", obj: pod, doc: sourcePod("v", strings.Replace(iscsiCHAP, "'iqn.1996-04.de.suse:01:a678b5d9d7c'", "'de.suse:01:a678b5d9d7c'", 1)),
			want: `spec.volumes[0].iscsi.initiatorName: Invalid value: "de.suse:01:a678b5d9d7c": must be valid format starting with iqn, eui, or naa`},
		{name: "iscsi volume name and portal too long", obj: pod, doc: sourcePod("iscsi-"+strings.Repeat("a", 45), iscsiCHAP),
			want: "spec.volumes[0].name: Invalid value: \"iscsi-" + strings.Repeat("a", 45) + "\": " + iscsiNameTooLong},
		{name: "iscsi volume name and portal long without initiator", obj: pod, doc: sourcePod("iscsi-"+strings.Repeat("a", 45), iscsiPod)},

		// Ceph, Fibre Channel.
		{name: "rbd volume", obj: pod, doc: sourcePod("rbdpd", rbdPod)},
		{name: "rbd without image", obj: pod, doc: sourcePod("rbdpd", strings.Replace(rbdPod, "image: foo", "image: ''", 1)),
			want: "spec.volumes[0].rbd.image: Required value"},
		{name: "rbd without monitors", obj: pod, doc: sourcePod("rbdpd", "rbd: {monitors: [], image: foo}"),
			want: "spec.volumes[0].rbd.monitors: Required value"},
		{name: "cephfs volume", obj: pod, doc: sourcePod("cephfs", cephfsPod)},
		{name: "cephfs without monitors", obj: pod, doc: sourcePod("cephfs", "cephfs: {monitors: [], user: admin}"),
			want: "spec.volumes[0].cephfs.monitors: Required value"},
		{name: "fc volume", obj: pod, doc: sourcePod("fc-vol", fcPod)},
		{name: "fc volume by wwids", obj: pod, doc: sourcePod("fc-vol", "fc: {wwids: ['3600508b400105e210000900000490000'], fsType: ext4}")},
		{name: "fc without lun", obj: pod, doc: sourcePod("fc-vol", strings.Replace(fcPod, "lun: 2, ", "", 1)),
			want: "spec.volumes[0].fc.lun: Required value: lun is required if targetWWNs is specified"},
		{name: "fc lun", obj: pod, doc: sourcePod("fc-vol", strings.Replace(fcPod, "lun: 2", "lun: 300", 1)),
			want: "spec.volumes[0].fc.lun: Invalid value: 300: must be between 0 and 255, inclusive"},
		{name: "fc without target", obj: pod, doc: sourcePod("fc-vol", "fc: {fsType: ext4}"),
			want: "spec.volumes[0].fc.targetWWNs: Required value: must specify either targetWWNs or wwids, but not both"},
		{name: "fc targets and wwids", obj: pod, doc: sourcePod("fc-vol", strings.Replace(fcPod, "lun: 2", "lun: 2, wwids: ['3600508b400105e210000900000490000']", 1)),
			want: `spec.volumes[0].fc.targetWWNs: Invalid value: ["500a0982991b8dc5","500a0982891b8dc5"]: targetWWNs and wwids can not be specified simultaneously`},

		// Cloud disks and files.
		{name: "azure managed disk", obj: pod, doc: sourcePod("azure", azureDiskPod)},
		{name: "azure blob disk", obj: pod, doc: sourcePod("azure", "azureDisk: {diskName: test.vhd, diskURI: 'https://someaccount.blob.core.windows.net/vhds/test.vhd'}")},
		{name: "azure managed disk without its kind", obj: pod, doc: sourcePod("azure", strings.Replace(azureDiskPod, "kind: Managed, ", "", 1)),
			want: `spec.volumes[0].azureDisk.diskURI: Unsupported value: "/subscriptions/0000/resourceGroups/MC_myResourceGroup_myAKSCluster_eastus/providers/Microsoft.Compute/disks/myAKSDisk": supported values: "https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"`},
		{name: "azure managed disk by URL", obj: pod, doc: sourcePod("azure", "azureDisk: {kind: Managed, diskName: d, diskURI: 'https://someaccount.blob.core.windows.net/vhds/d.vhd'}"),
			want: `supported values: "/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"`},
		{name: "azure disk without name", obj: pod, doc: sourcePod("azure", strings.Replace(azureDiskPod, "diskName: myAKSDisk", "diskName: ''", 1)),
			want: "spec.volumes[0].azureDisk.diskName: Required value"},
		{name: "azure file", obj: pod, doc: sourcePod("azure", azureFilePod)},
		{name: "azure file without share", obj: pod, doc: sourcePod("azure", strings.Replace(azureFilePod, "shareName: aksshare", "shareName: ''", 1)),
			want: "spec.volumes[0].azureFile.shareName: Required value"},
		{name: "ebs volume", obj: pod, doc: sourcePod("test-volume", ebsPod)},
		{name: "ebs partition", obj: pod, doc: sourcePod("test-volume", strings.Replace(ebsPod, "fsType: ext4", "fsType: ext4, partition: 256", 1)),
			want: "spec.volumes[0].awsElasticBlockStore.partition: Invalid value: 256: must be between 1 and 255, inclusive"},
		{name: "ebs without volume", obj: pod, doc: sourcePod("test-volume", strings.Replace(ebsPod, "vol-0123456789abcdef0", "''", 1)),
			want: "spec.volumes[0].awsElasticBlockStore.volumeID: Required value"},
		{name: "gce disk", obj: pod, doc: sourcePod("test-volume", gcePod)},
		{name: "gce disk's whole disk", obj: pod, doc: sourcePod("test-volume", strings.Replace(gcePod, "fsType: ext4", "fsType: ext4, partition: 0", 1))},
		{name: "gce disk unnamed", obj: pod, doc: sourcePod("test-volume", strings.Replace(gcePod, "my-data-disk", "''", 1)),
			want: "spec.volumes[0].gcePersistentDisk.pdName: Required value"},
		{name: "cinder volume", obj: pod, doc: sourcePod("test-volume", cinderPod)},
		{name: "cinder secret unnamed", obj: pod, doc: sourcePod("test-volume", strings.Replace(cinderPod, "fsType: ext4", "fsType: ext4, secretRef: {name: ''}", 1)),
			want: "spec.volumes[0].cinder.secretRef.name: Required value"},

		// Other drivers.
		{name: "flex volume", obj: pod, doc: sourcePod("test", flexPod)},
		{name: "flex option of kubernetes", obj: pod, doc: sourcePod("test", strings.Replace(flexPod, "volumeID: vol1", "kubernetes.io/fsType: ext4", 1)),
			want: `spec.volumes[0].flexVolume.options[kubernetes.io/fsType]: Invalid value: "kubernetes.io/fsType": kubernetes.io and k8s.io namespaces are reserved`},
		{name: "flex option of a k8s.io subdomain", obj: pod, doc: sourcePod("test", strings.Replace(flexPod, "volumeID: vol1", "Storage.K8s.io: x", 1)),
			want: "kubernetes.io and k8s.io namespaces are reserved"},
		{name: "flex without driver", obj: pod, doc: sourcePod("test", strings.Replace(flexPod, "driver: kubernetes.io/lvm", "driver: ''", 1)),
			want: "spec.volumes[0].flexVolume.driver: Required value"},
		{name: "glusterfs volume", obj: pod, doc: sourcePod("glusterfsvol", glusterPod)},
		{name: "glusterfs without path", obj: pod, doc: sourcePod("glusterfsvol", strings.Replace(glusterPod, "path: kube_vol", "path: ''", 1)),
			want: "spec.volumes[0].glusterfs.path: Required value"},
		{name: "quobyte volume", obj: pod, doc: sourcePod("quobytevolume", quobytePod)},
		{name: "quobyte registries", obj: pod, doc: sourcePod("quobytevolume", strings.Replace(quobytePod, "'registry:7861'", "'registry1:7861,registry2:7861'", 1))},
		{name: "quobyte registry without port", obj: pod, doc: sourcePod("quobytevolume", strings.Replace(quobytePod, "'registry:7861'", "'registry1,registry2'", 1)),
			want: `spec.volumes[0].quobyte.registry: Invalid value: "registry1,registry2": must be a host:port pair or multiple pairs separated by commas`},
		{name: "quobyte tenant", obj: pod, doc: sourcePod("quobytevolume", strings.Replace(quobytePod, "readOnly: true", "tenant: "+strings.Repeat("a", 65), 1)),
			want: "spec.volumes[0].quobyte.tenant: Required value: must be a UUID and may not exceed a length of 64 characters"},
		{name: "quobyte without volume", obj: pod, doc: sourcePod("quobytevolume", strings.Replace(quobytePod, "volume: testVolume", "volume: ''", 1)),
			want: "spec.volumes[0].quobyte.volume: Required value"},
		{name: "portworx volume", obj: pod, doc: sourcePod("pxvol", portworxPod)},
		{name: "portworx without volume", obj: pod, doc: sourcePod("pxvol", strings.Replace(portworxPod, "volumeID: pxvol", "volumeID: ''", 1)),
			want: "spec.volumes[0].portworxVolume.volumeID: Required value"},
		{name: "scaleio volume", obj: pod, doc: sourcePod("vol1", scaleIOPod)},
		{name: "scaleio without system", obj: pod, doc: sourcePod("vol1", strings.Replace(scaleIOPod, "system: scaleio", "system: ''", 1)),
			want: "spec.volumes[0].scaleIO.system: Required value"},
		{name: "storageos volume", obj: pod, doc: sourcePod("redis-data", storageOSPod)},
		{name: "storageos volume name", obj: pod, doc: sourcePod("redis-data", strings.Replace(storageOSPod, "redis-vol01", "Redis_Vol01", 1)),
			want: `spec.volumes[0].storageos.volumeName: Invalid value: "Redis_Vol01": a lowercase RFC 1123 label`},
		{name: "storageos namespace", obj: pod, doc: sourcePod("redis-data", strings.Replace(storageOSPod, "fsType: ext4", "fsType: ext4, volumeNamespace: Default", 1)),
			want: `spec.volumes[0].storageos.volumeNamespace: Invalid value: "Default": a lowercase RFC 1123 label`},
		{name: "storageos secret unnamed", obj: pod, doc: sourcePod("redis-data", strings.Replace(storageOSPod, "fsType: ext4", "fsType: ext4, secretRef: {name: ''}", 1)),
			want: "spec.volumes[0].storageos.secretRef.name: Required value"},
		{name: "photon disk", obj: pod, doc: sourcePod("test-volume", photonPod)},
		{name: "photon disk without id", obj: pod, doc: sourcePod("test-volume", "photonPersistentDisk: {pdID: ''}"),
			want: "spec.volumes[0].photonPersistentDisk.pdID: Required value"},
		{name: "vsphere volume", obj: pod, doc: sourcePod("test-volume", vspherePod)},
		{name: "vsphere without path", obj: pod, doc: sourcePod("test-volume", "vsphereVolume: {volumePath: ''}"),
			want: "spec.volumes[0].vsphereVolume.volumePath: Required value"},
		{name: "flocker volume", obj: pod, doc: sourcePod("www-root", flockerPod)},
		{name: "flocker without dataset", obj: pod, doc: sourcePod("www-root", "flocker: {}"),
			want: "spec.volumes[0].flocker: Required value: one of datasetName and datasetUUID is required"},
		{name: "flocker dataset twice", obj: pod, doc: sourcePod("www-root", "flocker: {datasetName: my-flocker-vol, datasetUUID: 6f8bd1e2-0c1a-4a3c-9b56-2f3a0e4c1d2b}"),
			want: `spec.volumes[0].flocker: Invalid value: "resource": datasetName and datasetUUID can not be specified simultaneously`},
		{name: "flocker dataset with a slash", obj: pod, doc: sourcePod("www-root", "flocker: {datasetName: www/root}"),
			want: `spec.volumes[0].flocker.datasetName: Invalid value: "www/root": must not contain '/'`},
		{name: "git repository volume", obj: pod, doc: sourcePod("git-volume", gitRepoPod)},
		{name: "git repository volume in a directory", obj: pod, doc: sourcePod("git-volume", strings.Replace(gitRepoPod, "revision:", "directory: ., revision:", 1))},
		{name: "git repository unnamed", obj: pod, doc: sourcePod("git-volume", "gitRepo: {repository: ''}"),
			want: "spec.volumes[0].gitRepo.repository: Required value"},
		{name: "git repository directory outside", obj: pod, doc: sourcePod("git-volume", strings.Replace(gitRepoPod, "revision:", "directory: ../etc, revision:", 1)),
			want: `spec.volumes[0].gitRepo.directory: Invalid value: "../etc": must not contain '..'`},
		{name: "git repository directory absolute", obj: pod, doc: sourcePod("git-volume", strings.Replace(gitRepoPod, "revision:", "directory: /srv, revision:", 1)),
			want: `spec.volumes[0].gitRepo.directory: Invalid value: "/srv": must be a relative path`},

		// In a pod template too.
		{name: "deployment's csi volume", obj: func() runtime.Object { return &corev1.PodTemplate{} },
			doc:  "template:\n  spec:\n    containers: [{name: a, image: a}]\n    volumes: [{name: v, csi: {driver: ''}}]",
			want: "template.spec.volumes[0].csi.driver: Required value"},
	})
}

// TestDriverPersistentVolumes: PersistentVolumes of the storage drivers'
// documentation pass; each mutation is refused with the API server's text.
func TestDriverPersistentVolumes(t *testing.T) {
	checkRows(t, []row{
		{name: "efs static volume", obj: persistentVolume, doc: sourcePV("efs-pv", efsPV)},
		{name: "smb static volume", obj: persistentVolume, doc: sourcePV("pv-smb", smbPV)},
		// The API server does not check nodeStageSecretRef.
		{name: "smb node stage secret without namespace", obj: persistentVolume, doc: sourcePV("pv-smb", strings.Replace(smbPV, ", namespace: default", "", 1))},
		{name: "csi node publish secret", obj: persistentVolume, doc: sourcePV("pv-smb", strings.Replace(smbPV, "nodeStageSecretRef", "nodePublishSecretRef", 1))},
		{name: "csi node publish secret without namespace", obj: persistentVolume,
			doc:  sourcePV("pv-smb", strings.Replace(strings.Replace(smbPV, "nodeStageSecretRef", "nodePublishSecretRef", 1), ", namespace: default", "", 1)),
			want: "spec.csi.nodePublishSecretRef.namespace: Required value"},
		{name: "csi controller expand secret unnamed", obj: persistentVolume, doc: sourcePV("efs-pv", strings.Replace(efsPV, "}", ", controllerExpandSecretRef: {name: '', namespace: kube-system}}", 1)),
			want: "spec.csi.controllerExpandSecretRef.name: Required value"},
		{name: "csi controller publish secret name", obj: persistentVolume, doc: sourcePV("efs-pv", strings.Replace(efsPV, "}", ", controllerPublishSecretRef: {name: EFS_creds, namespace: kube-system}}", 1)),
			want: `spec.csi.controllerPublishSecretRef.name: Invalid value: "EFS_creds": a lowercase RFC 1123 subdomain`},
		{name: "csi node expand secret namespace", obj: persistentVolume, doc: sourcePV("efs-pv", strings.Replace(efsPV, "}", ", nodeExpandSecretRef: {name: creds, namespace: kube.system}}", 1)),
			want: `spec.csi.nodeExpandSecretRef.namespace: Invalid value: "kube.system": must not contain dots`},
		// CSINodeExpandSecret is alpha, off, in 1.25 and 1.26: the API
		// server drops nodeExpandSecretRef before it validates the volume.
		{name: "csi node expand secret without namespace 1.26", obj: persistentVolume, kube: "1.26.5",
			doc: sourcePV("efs-pv", strings.Replace(efsPV, "}", ", nodeExpandSecretRef: {name: creds}}", 1))},
		{name: "csi node expand secret without namespace 1.27", obj: persistentVolume, kube: "1.27.0",
			doc:  sourcePV("efs-pv", strings.Replace(efsPV, "}", ", nodeExpandSecretRef: {name: creds}}", 1)),
			want: `spec.csi.nodeExpandSecretRef.namespace: Required value`},
		// kubernetes/kubernetes#102939: a Secret named test.csi, refused
		// on create until 1.27 took every Secret name.
		{name: "csi secret name with a dot 1.26", obj: persistentVolume, kube: "1.26.0",
			doc:  sourcePV("pv-smb", strings.Replace(strings.Replace(smbPV, "nodeStageSecretRef", "nodePublishSecretRef", 1), "name: smbcreds", "name: test.csi", 1)),
			want: `spec.csi.nodePublishSecretRef.name: Invalid value: "test.csi": must not contain dots`},
		{name: "csi secret name with a dot 1.27", obj: persistentVolume, kube: "1.27.0",
			doc: sourcePV("pv-smb", strings.Replace(strings.Replace(smbPV, "nodeStageSecretRef", "nodePublishSecretRef", 1), "name: smbcreds", "name: test.csi", 1))},
		{name: "csi driver unset", obj: persistentVolume, doc: sourcePV("efs-pv", strings.Replace(efsPV, "efs.csi.aws.com", "''", 1)),
			want: "spec.csi.driver: Required value"},
		{name: "csi volume handle unset", obj: persistentVolume, doc: sourcePV("efs-pv", strings.Replace(efsPV, "fs-4af69aab", "''", 1)),
			want: "spec.csi.volumeHandle: Required value"},

		{name: "iscsi volume", obj: persistentVolume, doc: sourcePV("iscsi-pv", iscsiCHAP)},
		{name: "iscsi iqn of no form", obj: persistentVolume, doc: sourcePV("iscsi-pv", strings.Replace(iscsiCHAP, "'iqn.2001-04.com.example:storage.kube.sys1.xyz'", "'example.com:storage'", 1)),
			want: `spec.iscsi.iqn: Invalid value: "example.com:storage": must be valid format`},
		{name: "iscsi initiator of no form", obj: persistentVolume, doc: sourcePV("iscsi-pv", strings.Replace(iscsiCHAP, "'iqn.1996-04.de.suse:01:a678b5d9d7c'", "'de.suse:01:a678b5d9d7c'", 1)),
			want: `spec.iscsi.initiatorName: Invalid value: "de.suse:01:a678b5d9d7c": must be valid format`},
		{name: "iscsi secret unnamed", obj: persistentVolume, doc: sourcePV("iscsi-pv", strings.Replace(iscsiCHAP, "{name: chap-secret}", "{name: ''}", 1)),
			want: "spec.iscsi.secretRef.name: Required value"},
		{name: "iscsi name and portal too long", obj: persistentVolume, doc: sourcePV("iscsi-"+strings.Repeat("a", 45), iscsiCHAP),
			want: `spec.iscsi.targetPortal: Invalid value: "10.0.2.15:3260": ` + iscsiNameTooLong},
		{name: "rbd volume", obj: persistentVolume, doc: sourcePV("rbd-pv", strings.Replace(rbdPod, ", keyring: /etc/ceph/keyring", "", 1))},
		{name: "rbd without monitors", obj: persistentVolume, doc: sourcePV("rbd-pv", "rbd: {monitors: [], image: foo}"),
			want: "spec.rbd.monitors: Required value"},
		{name: "cephfs volume", obj: persistentVolume, doc: sourcePV("cephfs-pv", "cephfs: {monitors: ['10.16.154.78:6789'], user: admin, secretRef: {name: ceph-secret, namespace: default}}")},
		{name: "cephfs without monitors", obj: persistentVolume, doc: sourcePV("cephfs-pv", "cephfs: {monitors: []}"),
			want: "spec.cephfs.monitors: Required value"},
		{name: "fc without lun", obj: persistentVolume, doc: sourcePV("fc-pv", strings.Replace(fcPod, "lun: 2, ", "", 1)),
			want: "spec.fc.lun: Required value: lun is required if targetWWNs is specified"},
		{name: "azure file volume", obj: persistentVolume, doc: sourcePV("azurefile", "azureFile: {secretName: azure-secret, shareName: aksshare, secretNamespace: default}")},
		{name: "azure file secret namespace empty", obj: persistentVolume, doc: sourcePV("azurefile", "azureFile: {secretName: azure-secret, shareName: aksshare, secretNamespace: ''}"),
			want: "spec.azureFile.secretNamespace: Required value"},
		{name: "azure disk volume", obj: persistentVolume, doc: sourcePV("azure-disk", azureDiskPod)},
		{name: "azure disk without kind", obj: persistentVolume, doc: sourcePV("azure-disk", strings.Replace(azureDiskPod, "kind: Managed, ", "", 1)),
			want: `spec.azureDisk.diskURI: Unsupported value: "/subscriptions/`},
		{name: "ebs partition", obj: persistentVolume, doc: sourcePV("ebs", "awsElasticBlockStore: {volumeID: vol-0123456789abcdef0, partition: -1}"),
			want: "spec.awsElasticBlockStore.partition: Invalid value: -1: must be between 1 and 255, inclusive"},
		{name: "gce disk unnamed", obj: persistentVolume, doc: sourcePV("gce", "gcePersistentDisk: {pdName: ''}"),
			want: "spec.gcePersistentDisk.pdName: Required value"},
		{name: "cinder secret without namespace", obj: persistentVolume, doc: sourcePV("cinder", "cinder: {volumeID: bd82f7e2, secretRef: {name: cinder-creds}}"),
			want: "spec.cinder.secretRef.namespace: Required value"},
		{name: "glusterfs volume", obj: persistentVolume, doc: sourcePV("gluster-pv", "glusterfs: {endpoints: glusterfs-cluster, path: myVol1, readOnly: false, endpointsNamespace: storage}")},
		{name: "glusterfs namespace empty", obj: persistentVolume, doc: sourcePV("gluster-pv", "glusterfs: {endpoints: glusterfs-cluster, path: myVol1, endpointsNamespace: ''}"),
			want: `spec.glusterfs.endpointsNamespace: Invalid value: "": if the endpointnamespace is set, it must be a valid namespace name`},
		{name: "glusterfs namespace", obj: persistentVolume, doc: sourcePV("gluster-pv", "glusterfs: {endpoints: glusterfs-cluster, path: myVol1, endpointsNamespace: Storage}"),
			want: `spec.glusterfs.endpointsNamespace: Invalid value: "Storage": a lowercase RFC 1123 label`},
		{name: "storageos secret without namespace", obj: persistentVolume, doc: sourcePV("sos", "storageos: {volumeName: pv0001, secretRef: {name: storageos-secret}}"),
			want: "spec.storageos.secretRef.namespace: Required value"},
		{name: "scaleio without gateway", obj: persistentVolume, doc: sourcePV("sio", "scaleIO: {gateway: '', system: scaleio, volumeName: vol-0, secretRef: {name: sio-secret}}"),
			want: "spec.scaleIO.gateway: Required value"},
		{name: "flex volume", obj: persistentVolume, doc: sourcePV("flex", strings.Replace(flexPod, "fsType: ext4, ", "", 1))},
		{name: "flex without driver", obj: persistentVolume, doc: sourcePV("flex", "flexVolume: {driver: ''}"),
			want: "spec.flexVolume.driver: Required value"},
		// flexVolume, checked beside another source, which it may follow.
		{name: "flex without driver beside hostPath", obj: persistentVolume, doc: sourcePV("flex", "hostPath: {path: /mnt/data}\n  flexVolume: {driver: ''}"),
			want: "spec.flexVolume.driver: Required value"},
		// The API server checks only the first source (in its order).
		{name: "second source unchecked", obj: persistentVolume, doc: sourcePV("two", "nfs: {server: nfs.example.com, path: /exports}\n  rbd: {monitors: [], image: ''}"),
			want: "spec.rbd: Forbidden: may not specify more than 1 volume type"},
		// A flexVolume counts as the first source: one after it is refused,
		// unchecked (flexVolume comes before azureFile in the API server's
		// order, after rbd).
		{name: "source after a flexVolume unchecked", obj: persistentVolume, doc: sourcePV("flex", "flexVolume: {driver: example.com/lvm}\n  azureFile: {secretName: '', shareName: ''}"),
			want: "spec.azureFile: Forbidden: may not specify more than 1 volume type"},
		{name: "flexVolume after a source", obj: persistentVolume, doc: sourcePV("flex", "rbd: {monitors: [10.16.154.78:6789], image: foo}\n  flexVolume: {driver: example.com/lvm}")},
	})
}
