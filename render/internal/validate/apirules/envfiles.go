package apirules

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Environment variables read from a file (valueFrom.fileKeyRef), as the
// API server's validateFileKeySelector and validateFileKeyRefVolumes
// check them (v1.37), from 1.35 where EnvFiles is on by default: the
// file is in an emptyDir volume of the pod, which an init container
// writes before the container starts.

// fileKeyRef checks one selector: a key that is an environment variable
// name, a volume name that is a DNS label, a path without "..".
func (c *checker) fileKeyRef(r *corev1.FileKeySelector, p *field.Path) {
	c.varName(r.Key, p.Child("key"), "name the variable in the file (a line KEY=value) to read")
	if r.VolumeName == "" {
		c.add(field.Required(p.Child("volumeName"), ""), "name the pod's emptyDir volume that holds the file")
	} else {
		c.name(p.Child("volumeName"), r.VolumeName, "volume")
	}
	if r.Path == "" {
		c.add(field.Required(p.Child("path"), ""), "give the file's path inside the volume")
	} else {
		c.noBacksteps(r.Path, p.Child("path"), "give the file's path inside the volume, without '..'")
	}
}

// fileKeyRefVolumes checks that each fileKeyRef names a volume of the pod
// that is an emptyDir.
func (c *checker) fileKeyRefVolumes(ps *corev1.PodSpec, path *field.Path) {
	if !c.on("EnvFiles") {
		return
	}
	emptyDir := map[string]bool{}
	for _, v := range ps.Volumes {
		// A volume without a source is an emptyDir (the API server's
		// default).
		emptyDir[v.Name] = v.EmptyDir != nil || v.VolumeSource == (corev1.VolumeSource{})
	}
	eachContainer(ps, path, func(ctr *corev1.Container, cp *field.Path) {
		for j, ev := range ctr.Env {
			if ev.ValueFrom == nil || ev.ValueFrom.FileKeyRef == nil {
				continue
			}
			name := ev.ValueFrom.FileKeyRef.VolumeName
			vp := cp.Child("env").Index(j).Child("valueFrom", "fileKeyRef", "volumeName")
			isEmptyDir, found := emptyDir[name]
			switch {
			case !found:
				c.add(field.NotFound(vp, name), "add an emptyDir volume of that name to the pod, written by an init container")
			case !isEmptyDir:
				c.add(field.Invalid(vp, name, "referenced volume must be of type emptyDir"),
					"read variables from a file in an emptyDir volume, written by an init container; for a ConfigMap or Secret use configMapKeyRef or secretKeyRef")
			}
		}
	})
}
