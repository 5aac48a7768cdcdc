package validate

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestUnstored: a kind of client-go's scheme that the API server answers
// without keeping an object (a review, a subresource's body, a type of
// the API machinery, the read-only ComponentStatus) is refused at its
// kind's line: Flux's server-side apply fails on it. It passed before, and
// ComponentStatus drew a deprecation warning whose hint named no version
// that could be created.
func TestUnstored(t *testing.T) {
	t.Parallel()
	e, err := schemas().Env("1.37.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	const (
		review  = "the API server answers a create of it once and keeps nothing to read back"
		request = "it is the body of a request to another object's subresource"
	)
	for _, tc := range []struct{ doc, want string }{
		{"apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nmetadata: {name: sar}\nspec: {user: alice, resourceAttributes: {verb: get, resource: pods}}\n", review},
		{"apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\nmetadata: {name: r}\nspec: {resourceAttributes: {verb: get, resource: pods}}\n", review},
		{"apiVersion: authorization.k8s.io/v1\nkind: LocalSubjectAccessReview\nmetadata: {name: r, namespace: demo}\nspec: {user: alice, resourceAttributes: {verb: get, resource: pods, namespace: demo}}\n", review},
		{"apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectRulesReview\nmetadata: {name: r}\nspec: {namespace: demo}\n", review},
		{"apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nmetadata: {name: tr}\nspec: {token: abc}\n", review},
		{"apiVersion: authentication.k8s.io/v1\nkind: SelfSubjectReview\nmetadata: {name: r}\n", review},
		{"apiVersion: authentication.k8s.io/v1\nkind: TokenRequest\nmetadata: {name: t, namespace: demo}\nspec: {audiences: [api]}\n", request},
		{"apiVersion: autoscaling/v1\nkind: Scale\nmetadata: {name: sc, namespace: demo}\nspec: {replicas: 2}\n", request},
		{"apiVersion: policy/v1\nkind: Eviction\nmetadata: {name: ev, namespace: demo}\n", request},
		{"apiVersion: v1\nkind: Binding\nmetadata: {name: p, namespace: demo}\ntarget: {kind: Node, name: n1}\n", request},
		{"apiVersion: v1\nkind: Status\nmetadata: {name: s}\nstatus: Failure\n", request},
		{"apiVersion: v1\nkind: ComponentStatus\nmetadata: {name: cs}\n", "the API server offers only get and list of it"},
		{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: demo}\n", ""},
		{"apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1beta1.metrics.k8s.io}\nspec: {service: {name: m, namespace: demo}, group: metrics.k8s.io, version: v1beta1, groupPriorityMinimum: 100, versionPriority: 100}\n", ""},
	} {
		objs := parse(t, "a.yaml", tc.doc)
		gvk := schema.FromAPIVersionAndKind(objs[0].Node.GetApiVersion(), objs[0].Node.GetKind())
		got := ""
		if err := e.Objects("demo", objs); err != nil {
			got = err.Error()
		}
		if tc.want == "" {
			if got != "" {
				t.Errorf("%s: got %q, want no error", gvk.Kind, got)
			}
			continue
		}
		want := "a.yaml:2: app demo: "
		if !strings.HasPrefix(got, want) || !strings.Contains(got, gvk.GroupVersion().String()+" "+gvk.Kind+" is not a kind the API server stores: "+tc.want) ||
			!strings.Contains(got, "hint: remove the object from the app") {
			t.Errorf("%s: got %q, want an error at the kind's line (%s…) saying %q", gvk.Kind, got, want, tc.want)
		}
		if msg, _ := e.Deprecated(gvk.GroupVersion().String(), gvk.Kind); msg != "" {
			t.Errorf("%s: a kind no version of which can be applied drew a deprecation warning: %s", gvk.Kind, msg)
		}
	}
}

// TestReadOnlyKindsAreClientGos: each kind written into readOnly by hand
// is a kind of client-go's scheme, so that a rename in k8s.io/api does not
// leave an entry that matches nothing.
func TestReadOnlyKindsAreClientGos(t *testing.T) {
	t.Parallel()
	for gk := range readOnly {
		found := false
		for gv := range groupVersions {
			if gv.Group == gk.Group && newTyped(gv.WithKind(gk.Kind)) != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("%v is no kind of client-go's scheme", gk)
		}
	}
}
