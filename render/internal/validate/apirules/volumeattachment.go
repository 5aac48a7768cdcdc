package apirules

import (
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// volumeAttachment checks a VolumeAttachment as ValidateVolumeAttachment
// in k8s.io/kubernetes v1.37 pkg/apis/storage/validation does: a CSI
// driver name as the attacher, a node name, and exactly one source, a
// PersistentVolume's name or an inline volume. The attach/detach
// controller writes them; one in a repository is most often copied from a
// cluster. Not checked: an inline volume's spec (validateVolumeAttachment
// runs the PersistentVolume rules on it) and the status (the cluster's).
func (c *checker) volumeAttachment(va *storagev1.VolumeAttachment) {
	spec := field.NewPath("spec")
	c.csiDriver(va.Spec.Attacher, spec.Child("attacher"))
	for _, msg := range validation.IsDNS1123Subdomain(va.Spec.NodeName) {
		c.add(field.Invalid(spec.Child("nodeName"), va.Spec.NodeName, msg), "name the node as its Node object is named, such as node-1")
	}
	src := va.Spec.Source
	sp := spec.Child("source")
	const one = "must specify exactly one of inlineVolumeSpec and persistentVolumeName"
	const hint = "name the PersistentVolume to attach in persistentVolumeName, or give inlineVolumeSpec for an inline CSI volume, not both"
	switch {
	case src.PersistentVolumeName == nil && src.InlineVolumeSpec == nil:
		c.add(field.Required(sp, one), hint)
	case src.PersistentVolumeName != nil && src.InlineVolumeSpec != nil:
		c.add(field.Forbidden(sp, one), hint)
	case src.PersistentVolumeName != nil && *src.PersistentVolumeName == "":
		c.add(field.Required(sp.Child("persistentVolumeName"), "must specify non empty persistentVolumeName"), hint)
	case src.PersistentVolumeName != nil:
		for _, msg := range validation.IsDNS1123Subdomain(*src.PersistentVolumeName) {
			c.add(field.Invalid(sp.Child("persistentVolumeName"), *src.PersistentVolumeName, msg), "name the PersistentVolume as its object is named, such as pvc-0f4e2c1a")
		}
	}
}
