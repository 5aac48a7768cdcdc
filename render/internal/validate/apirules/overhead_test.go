package apirules

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestOverhead: a pod's overhead and a RuntimeClass's pod overhead, as
// the Kubernetes documentation writes them (concepts/scheduling-eviction/pod-overhead),
// pass; a mutation is refused with the API server's text, at the entry.
func TestOverhead(t *testing.T) {
	const podOverhead = "spec:\n  runtimeClassName: kata-fc\n  containers: [{name: busybox-ctr, image: busybox:1.28}]\n  overhead: {cpu: 250m, memory: 120Mi}"
	const runtimeClass = "handler: kata-fc\noverhead:\n  podFixed: {memory: 120Mi, cpu: 250m}"
	rc := func() runtime.Object { return &nodev1.RuntimeClass{} }
	checkRows(t, []row{
		{name: "pod overhead", obj: pod, doc: podOverhead},
		{name: "pod overhead negative", obj: pod, doc: strings.Replace(podOverhead, "cpu: 250m", "cpu: -250m", 1),
			want: `spec.overhead[cpu]: Invalid value: "-250m": must be greater than or equal to 0`},
		{name: "pod overhead misspelt", obj: pod, doc: strings.Replace(podOverhead, "memory: 120Mi", "memroy: 120Mi", 1),
			want: `spec.overhead[memroy]: Invalid value: "memroy": must be a standard resource for containers`},
		{name: "pod overhead of huge pages", obj: pod, doc: strings.Replace(podOverhead, "memory: 120Mi", "hugepages-2Mi: 3Mi", 1),
			want: `spec.overhead[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer multiple of hugepages-2Mi`},
		{name: "pod overhead of huge pages alone", obj: pod, doc: strings.Replace(podOverhead, "cpu: 250m, memory: 120Mi", "hugepages-2Mi: 4Mi", 1),
			want: "spec.overhead: Forbidden: HugePages require cpu or memory"},
		{name: "template overhead", obj: func() runtime.Object { return &corev1.PodTemplate{} },
			doc:  "template:\n  spec:\n    containers: [{name: a, image: a}]\n    overhead: {example.com/dongle: 500m}",
			want: `template.spec.overhead[example.com/dongle]: Invalid value: "500m": must be an integer`},
		{name: "runtime class", obj: rc, doc: runtimeClass},
		{name: "runtime class overhead negative", obj: rc, doc: strings.Replace(runtimeClass, "memory: 120Mi", "memory: -120Mi", 1),
			want: `overhead.podFixed[memory]: Invalid value: "-120Mi": must be greater than or equal to 0`},
		{name: "runtime class overhead misspelt", obj: rc, doc: strings.Replace(runtimeClass, "cpu: 250m", "CPU: 250m", 1),
			want: `overhead.podFixed[CPU]: Invalid value: "CPU": must be a standard resource for containers`},
	})
}
