package apirules

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestSleepWithinGracePeriod checks a hook's sleep against the grace
// period the API server sees: a Pod's negative one defaulted to 1
// (SetDefaults_Pod), a pod template's kept, and then no sleep fits.
func TestSleepWithinGracePeriod(t *testing.T) {
	pod := func() runtime.Object { return &corev1.Pod{} }
	deploy := func() runtime.Object { return &appsv1.Deployment{} }
	podDoc := func(grace string, sleep string) string {
		return "spec:\n  terminationGracePeriodSeconds: " + grace + "\n  containers: [{name: a, image: a, lifecycle: {preStop: {sleep: {seconds: " + sleep + "}}}}]"
	}
	deployDoc := func(grace string, sleep string) string {
		return "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      terminationGracePeriodSeconds: " + grace +
			"\n      containers: [{name: a, image: a, lifecycle: {preStop: {sleep: {seconds: " + sleep + "}}}}]"
	}
	checkRows(t, []row{
		// A drain before the kubelet stops the container, as ingress
		// controllers' charts write it.
		{name: "sleep within the grace period", obj: deploy, doc: deployDoc("60", "15")},
		{name: "sleep of the whole grace period", obj: pod, doc: podDoc("30", "30")},
		{name: "sleep past the grace period", obj: pod, doc: podDoc("10", "15"),
			want: "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 15: must be non-negative and less than terminationGracePeriodSeconds (10)"},
		{name: "pod of a negative grace period", obj: pod, doc: podDoc("-1", "5"),
			want: "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 5: must be non-negative and less than terminationGracePeriodSeconds (1)"},
		{name: "pod of a negative grace period sleeping 1 s", obj: pod, doc: podDoc("-1", "1")},
		{name: "template of a negative grace period", obj: deploy, doc: deployDoc("-1", "0"),
			want: "spec.template.spec.containers[0].lifecycle.preStop.sleep: Invalid value: 0: must be non-negative and less than terminationGracePeriodSeconds (-1)"},
		{name: "template of a negative grace period 1.32", obj: deploy, kube: "1.32.0", doc: deployDoc("-1", "5"),
			want: "spec.template.spec.containers[0].lifecycle.preStop.sleep: Invalid value: 5: must be greater than 0 and less than terminationGracePeriodSeconds (-1)"},
	})
}
