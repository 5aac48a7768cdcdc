package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// TestTransitions: the real Gateway API GatewayClass CRD makes
// spec.controllerName immutable with a transition rule (self == oldSelf).
// Changing it passes a render, which sees only the new object, and is
// refused on update; other changes, and rules a create already refuses,
// are not reported as transitions.
func TestTransitions(t *testing.T) {
	t.Parallel()
	objs := readReal(t, "gateway-api")
	e, err := schemas().Env("1.37.0", objs)
	if err != nil {
		t.Fatal(err)
	}
	path, doc := realDoc(t, "gateway-api", "basic-http.yaml", "kind: GatewayClass", "kind: GatewayClass")
	old := parse(t, path, doc)[0]
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"controller changed", "controllerName: acme.io/gateway-controller", "controllerName: example.net/gateway-controller",
			`basic-http.yaml:8: app gateway-api: GatewayClass/example: field "spec.controllerName": Invalid value: field is immutable`},
		{"description added", "  controllerName: acme.io/gateway-controller\n", "  controllerName: acme.io/gateway-controller\n  description: the edge\n", ""},
		{"parameters changed", "    name: example\n", "    name: example-v2\n", ""},
		{"unchanged", "kind: GatewayClass", "kind: GatewayClass", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, newDoc := realDoc(t, "gateway-api", "basic-http.yaml", tc.from, tc.to)
			cur := parse(t, path, newDoc)[0]
			var got []string
			for _, err := range diag.Flatten(diag.Join(e.Transitions(context.Background(), "gateway-api", old, cur)...)) {
				got = append(got, err.Error())
			}
			if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)) {
				t.Errorf("got:\n%s\nwant one containing:\n%s", strings.Join(got, "\n"), tc.want)
			}
		})
	}
	// A built-in kind, or a kind no CRD defines, has no transition rules.
	dep := parse(t, "d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n")[0]
	if errs := e.Transitions(context.Background(), "a", dep, dep); errs != nil {
		t.Errorf("a Deployment: %v", errs)
	}
}

// TestTransitionsAcrossVersions: Gateway API's GatewayClass CRD serves
// v1 and v1beta1 without a conversion webhook (strategy None), so the API
// server reads a GatewayClass stored as v1beta1 as a v1 one, nothing else
// changed, and refuses a v1 apply that changes its controllerName (checked
// with kube-apiserver 1.37: "spec.controllerName: Invalid value: field is
// immutable"). A CRD that converts with a webhook may change anything on
// the way; kiln cannot call it and says nothing.
func TestTransitionsAcrossVersions(t *testing.T) {
	t.Parallel()
	const v1 = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass"
	const v1beta1 = "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: GatewayClass"
	path, oldDoc := realDoc(t, "gateway-api", "basic-http.yaml", v1, v1beta1)
	old := parse(t, path, oldDoc)[0]
	_, sameDoc := realDoc(t, "gateway-api", "basic-http.yaml", v1, v1)
	same := parse(t, path, sameDoc)[0]
	_, changedDoc := realDoc(t, "gateway-api", "basic-http.yaml", "controllerName: acme.io/gateway-controller", "controllerName: example.net/gateway-controller")
	changed := parse(t, path, changedDoc)[0]
	transitions := func(e *Env, old, cur templates.Object) []string {
		var got []string
		for _, err := range diag.Flatten(diag.Join(e.Transitions(context.Background(), "gateway-api", old, cur)...)) {
			got = append(got, err.Error())
		}
		return got
	}

	asIs, err := schemas().Env("1.37.0", readReal(t, "gateway-api"))
	if err != nil {
		t.Fatal(err)
	}
	const want = `basic-http.yaml:8: app gateway-api: GatewayClass/example: field "spec.controllerName": Invalid value: field is immutable`
	if got := transitions(asIs, old, changed); len(got) != 1 || !strings.Contains(got[0], want) {
		t.Errorf("v1beta1 to v1, controllerName changed: got\n%s\nwant one containing\n%s", strings.Join(got, "\n"), want)
	}
	if got := transitions(asIs, changed, old); len(got) != 1 {
		t.Errorf("v1 to v1beta1, controllerName changed: got %q, want one warning", got)
	}
	if got := transitions(asIs, old, same); len(got) > 0 {
		t.Errorf("v1beta1 to v1, nothing else changed: got %q", got)
	}

	_, crdDoc := realDoc(t, "gateway-api", "gatewayclasses-crd.yaml", "  scope: Cluster\n",
		"  scope: Cluster\n  conversion:\n    strategy: Webhook\n    webhook:\n      conversionReviewVersions: [v1]\n      clientConfig:\n        service: {namespace: gateway-system, name: convert}\n")
	webhook, err := schemas().Env("1.37.0", parse(t, "gatewayclasses-crd.yaml", crdDoc))
	if err != nil {
		t.Fatal(err)
	}
	if got := transitions(webhook, old, changed); len(got) > 0 {
		t.Errorf("a conversion webhook: got %q, want none", got)
	}
	if got := transitions(webhook, same, changed); len(got) != 1 {
		t.Errorf("a conversion webhook, one version: got %q, want one warning", got)
	}
}
