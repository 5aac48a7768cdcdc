package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
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
