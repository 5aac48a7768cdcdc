package apirules

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The handlers of probes and lifecycle hooks, as the API server's
// validateHandler checks them (k8s.io/kubernetes pkg/apis/core/validation,
// v1.37): exactly one handler, and each handler's own fields. What the
// API server fills in first is not checked: an httpGet's path ("/") and
// scheme (HTTP), the pod's terminationGracePeriodSeconds (30).

// defaultGracePeriod is the terminationGracePeriodSeconds the API server
// gives a pod spec that has none.
const defaultGracePeriod = 30

// handler is one probe's or lifecycle hook's handlers; grpc is a probe's
// only, sleep a hook's only.
type handler struct {
	exec      *corev1.ExecAction
	httpGet   *corev1.HTTPGetAction
	tcpSocket *corev1.TCPSocketAction
	grpc      *corev1.GRPCAction
	sleep     *corev1.SleepAction
}

// handler checks that h has exactly one handler, and that handler. The
// API server reports each handler after the first, in the order exec,
// httpGet, tcpSocket, grpc, sleep; kinds names them for the hint.
func (c *checker) handler(h handler, grace int64, kinds string, path *field.Path) {
	n := 0
	one := func(key string, set bool, check func(p *field.Path)) {
		if !set {
			return
		}
		if n > 0 {
			c.add(field.Forbidden(path.Child(key), "may not specify more than 1 handler type"), "keep one of "+kinds)
			return
		}
		n++
		check(path.Child(key))
	}
	one("exec", h.exec != nil, func(p *field.Path) {
		if len(h.exec.Command) == 0 {
			c.add(field.Required(p.Child("command"), ""), "give exec the command to run, as a list: [cmd, arg, …]")
		}
	})
	one("httpGet", h.httpGet != nil, func(p *field.Path) {
		c.portNumOrName(h.httpGet.Port, p.Child("port"))
		for _, hd := range h.httpGet.HTTPHeaders {
			for _, msg := range validation.IsHTTPHeaderName(hd.Name) {
				c.add(field.Invalid(p.Child("httpHeaders"), hd.Name, msg), "an HTTP header name is letters, digits and '-'")
			}
		}
	})
	one("tcpSocket", h.tcpSocket != nil, func(p *field.Path) { c.portNumOrName(h.tcpSocket.Port, p.Child("port")) })
	one("grpc", h.grpc != nil, func(p *field.Path) { c.portNumOrName(intstr.FromInt32(h.grpc.Port), p.Child("port")) })
	one("sleep", h.sleep != nil, func(p *field.Path) {
		// A pod template's negative grace period is kept (only a Pod's
		// becomes 1, see gracePeriod) and no sleep fits within it.
		const hint = "sleep at most the pod's terminationGracePeriodSeconds (30 unless set), or raise it: the kubelet kills the container when it runs out"
		switch s := h.sleep.Seconds; {
		case !c.on("PodLifecycleSleepActionAllowZero") && (s <= 0 || s > grace):
			c.add(field.Invalid(p, s, fmt.Sprintf("must be greater than 0 and less than terminationGracePeriodSeconds (%d). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.", grace)),
				"sleep at least 1 second (a 0 s sleep needs Kubernetes 1.33), and "+hint)
		case s < 0 || s > grace:
			c.add(field.Invalid(p, s, fmt.Sprintf("must be non-negative and less than terminationGracePeriodSeconds (%d)", grace)), hint)
		}
	})
	if n == 0 {
		c.add(field.Required(path, "must specify a handler type"), "give it one of "+kinds)
	}
}

// portNumOrName checks a handler's port: a number 1–65535 or a port name.
func (c *checker) portNumOrName(port intstr.IntOrString, p *field.Path) {
	if port.Type == intstr.String {
		for _, msg := range validation.IsValidPortName(port.StrVal) {
			c.add(field.Invalid(p, port.StrVal, msg), "name a port of the container (at most 15 lowercase letters, digits and '-'), or give its number")
		}
		return
	}
	for _, msg := range validation.IsValidPortNum(port.IntValue()) {
		c.add(field.Invalid(p, port.IntValue(), msg), "use a port from 1 to 65535")
	}
}

// lifecycle checks a container's postStart and preStop hooks, each with
// exactly one of exec, httpGet, tcpSocket and sleep; a sleep within the
// pod's grace period.
func (c *checker) lifecycle(l *corev1.Lifecycle, grace int64, path *field.Path) {
	const kinds = "exec, httpGet, tcpSocket or sleep"
	for _, hook := range []struct {
		key string
		h   *corev1.LifecycleHandler
	}{{"postStart", l.PostStart}, {"preStop", l.PreStop}} {
		if hook.h == nil {
			continue
		}
		c.handler(handler{exec: hook.h.Exec, httpGet: hook.h.HTTPGet, tcpSocket: hook.h.TCPSocket, sleep: hook.h.Sleep}, grace, kinds, path.Child(hook.key))
	}
}

// gracePeriod is a pod spec's terminationGracePeriodSeconds after the API
// server's defaults: 30 when left out, and a Pod's (not a pod
// template's) negative one 1 (SetDefaults_Pod).
func (c *checker) gracePeriod(ps *corev1.PodSpec) int64 {
	g := ps.TerminationGracePeriodSeconds
	switch {
	case g == nil:
		return defaultGracePeriod
	case c.bare && *g < 0:
		return 1
	}
	return *g
}
