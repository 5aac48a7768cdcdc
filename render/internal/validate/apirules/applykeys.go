package apirules

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Keyed lists that server-side apply refuses with duplicates. Flux's
// kustomize-controller applies every object with server-side apply, which
// reads a container's env (keyed by name) and ports (keyed by
// containerPort and protocol), and a pod's hostAliases (by ip) and
// imagePullSecrets (by name), as maps and refuses an object naming a key
// twice: "failed to create typed patch object …: duplicate entries for
// key [name=\"FOO\"]" (kubernetes/kubernetes#113482, open). The API server's
// create and update take such objects with a warning, so its validation
// has no rule for them; an object kiln writes reaches the cluster only
// through Flux, so kiln refuses them.

const applyKeysHint = "Flux applies with server-side apply, which refuses a list naming one key twice (\"duplicate entries for key\"): keep one entry"

// applyKeys checks a container's env names and port keys are unique.
func (c *checker) applyKeys(ctr *corev1.Container, cp *field.Path) {
	names := map[string]bool{}
	for i, ev := range ctr.Env {
		if ev.Name != "" && names[ev.Name] {
			c.add(field.Duplicate(cp.Child("env").Index(i).Child("name"), ev.Name),
				applyKeysHint+" (the container would see the last value)")
		}
		names[ev.Name] = true
	}
	ports := map[string]bool{}
	for i, p := range ctr.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP // the API server's default, part of the key
		}
		key := fmt.Sprintf("%d/%s", p.ContainerPort, proto)
		if ports[key] {
			c.add(field.Duplicate(cp.Child("ports").Index(i), key), applyKeysHint+" (the same containerPort and protocol, even with other hostPorts)")
		}
		ports[key] = true
	}
}

// podApplyKeys checks a pod's host alias addresses and pull secret names
// are unique (the API server only warns about either).
func (c *checker) podApplyKeys(ps *corev1.PodSpec, path *field.Path) {
	ips := map[string]bool{}
	for i, ha := range ps.HostAliases {
		if ips[ha.IP] {
			c.add(field.Duplicate(path.Child("hostAliases").Index(i).Child("ip"), ha.IP), applyKeysHint+": list each address once, with all its hostnames")
		}
		ips[ha.IP] = true
	}
	names := map[string]bool{}
	for i, s := range ps.ImagePullSecrets {
		if names[s.Name] {
			c.add(field.Duplicate(path.Child("imagePullSecrets").Index(i).Child("name"), s.Name), applyKeysHint)
		}
		names[s.Name] = true
	}
}
