package apirules

import (
	"testing"

	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestStorageClassProvisionerAndTopologies checks what
// validateProvisioner and validateAllowedTopologies refuse beyond the
// schema.
func TestStorageClassProvisionerAndTopologies(t *testing.T) {
	class := func() runtime.Object { return &storagev1.StorageClass{} }
	vac := func() runtime.Object { return &storagev1.VolumeAttributesClass{} }
	csi := func() runtime.Object { return &storagev1.CSIDriver{} }
	const zones = "provisioner: ebs.csi.aws.com\nallowedTopologies:\n"
	checkRows(t, []row{
		{name: "zones", obj: class, doc: zones + "- matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1a]}]\n- matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1b]}]"},
		{name: "no allowed topologies", obj: class, doc: "provisioner: ebs.csi.aws.com\nallowedTopologies: []"},
		{name: "empty provisioner", obj: class, doc: "provisioner: ''", want: "provisioner: Required value"},
		{name: "csi driver update period of 5", obj: csi, doc: "spec: {attachRequired: true, podInfoOnMount: false, nodeAllocatableUpdatePeriodSeconds: 5}",
			want: "spec.nodeAllocatableUpdatePeriodSeconds: Invalid value: 5: must be greater than or equal to 10 seconds"},
		{name: "csi driver update period of 5 at 1.34", obj: csi, doc: "spec: {attachRequired: true, podInfoOnMount: false, nodeAllocatableUpdatePeriodSeconds: 5}", kube: "1.34.0"},
		{name: "csi driver tokens in secrets without token requests", obj: csi, doc: "spec: {attachRequired: true, podInfoOnMount: false, serviceAccountTokenInSecrets: false}",
			want: "spec.serviceAccountTokenInSecrets: Invalid value: false: serviceAccountTokenInSecrets is set but no tokenRequests are specified"},
		{name: "csi driver tokens in secrets", obj: csi, doc: "spec: {attachRequired: true, podInfoOnMount: false, serviceAccountTokenInSecrets: true, tokenRequests: [{audience: ''}]}"},
		{name: "empty driver name", obj: vac, doc: "driverName: ''\nparameters: {iops: '3000'}", want: "driverName: Required value"},
		// The API server compares each term with len(terms) empty ones
		// as well as the earlier terms: an empty term is always a
		// duplicate, even the only one.
		{name: "empty term", obj: class, doc: zones + "- {}", want: `allowedTopologies[0].matchLabelExpressions: Duplicate value: ""`},
		{name: "term without expressions", obj: class, doc: zones + "- matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1a]}]\n- matchLabelExpressions: []",
			want: `allowedTopologies[1].matchLabelExpressions: Duplicate value: ""`},
		{name: "same term twice", obj: class, doc: zones + "- matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1a, us-east-1b]}]\n- matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1b, us-east-1a]}]",
			want: `allowedTopologies[1].matchLabelExpressions: Duplicate value: ""`},
	})
}

// TestVolumeAttachment checks what validateVolumeAttachmentSpec refuses
// beyond the schema: exactly one source, and names of drivers, nodes and
// volumes. The rows are kube-state-metrics' tests/manifests/
// volumeattachment.yaml (github.com/kubernetes/kube-state-metrics) and
// its mutations: without its source's persistentVolumeName kiln took it,
// and a real kube-apiserver 1.37 refuses it, as it refuses each row
// refused here.
func TestVolumeAttachment(t *testing.T) {
	va := func() runtime.Object { return &storagev1.VolumeAttachment{} }
	const spec = "spec:\n  attacher: attacher\n  nodeName: kind\n"
	checkRows(t, []row{
		{name: "a volume's name", obj: va, doc: spec + "  source: {persistentVolumeName: persistentvolume}"},
		{name: "an inline volume", obj: va, doc: spec + "  source: {inlineVolumeSpec: {accessModes: [ReadWriteOnce], csi: {driver: csi.example.com, volumeHandle: h}}}"},
		{name: "no source", obj: va, doc: spec + "  source: {}",
			want: "spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName"},
		{name: "two sources", obj: va, doc: spec + "  source: {persistentVolumeName: persistentvolume, inlineVolumeSpec: {csi: {driver: csi.example.com, volumeHandle: h}}}",
			want: "spec.source: Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName"},
		{name: "an empty volume name", obj: va, doc: spec + "  source: {persistentVolumeName: ''}",
			want: "spec.source.persistentVolumeName: Required value: must specify non empty persistentVolumeName"},
		{name: "a volume name no object has", obj: va, doc: spec + "  source: {persistentVolumeName: PVC_1}",
			want: `spec.source.persistentVolumeName: Invalid value: "PVC_1": a lowercase RFC 1123 subdomain`},
		{name: "a node name no node has", obj: va, doc: "spec:\n  attacher: attacher\n  nodeName: Node_1\n  source: {persistentVolumeName: persistentvolume}",
			want: `spec.nodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain`},
		{name: "an empty attacher", obj: va, doc: "spec:\n  attacher: ''\n  nodeName: kind\n  source: {persistentVolumeName: persistentvolume}",
			want: "spec.attacher: Required value"},
	})
}
