package apirules

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Keyed lists that server-side apply refuses with duplicates. Flux's
// kustomize-controller applies every object with server-side apply, which
// reads a container's env (keyed by name) and ports (keyed by
// containerPort and protocol) as maps and refuses an object naming a key
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
