package validate

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kiln-gitops/kiln/internal/builtinkinds"
)

// readOnly are the kinds of client-go's scheme whose generated client has
// every verb but whose API server storage offers only get and list:
// ComponentStatus's REST (kubernetes pkg/registry/core/componentstatus/
// rest.go) is a rest.Getter and rest.Lister, no Creater or Patcher. The
// API server's discovery lists each resource's verbs, but k8s.io/api and
// client-go carry no copy of it, so the client's markers
// (builtinkinds.ClientOffers) are the data for every other kind, and this one,
// where they say more than the server does, is written here.
// TestReadOnlyKindsAreClientGos fails when one is no kind of the scheme.
var readOnly = map[schema.GroupKind]bool{
	{Group: "", Kind: "ComponentStatus"}: true,
}

// unstored says why the API server keeps no object of gvk, a kind of
// client-go's scheme (newTyped is not nil; "" when it does): a review it answers on create
// and forgets, the body of a request to another object's subresource, a
// type of the API machinery, or a read-only status. Flux applies an
// object by server-side apply, which reads it and then patches it, so
// such an object fails, and with it the app's whole Kustomization.
func unstored(gvk schema.GroupVersionKind) (msg, hint string) {
	if strings.HasSuffix(gvk.Kind, "List") || gvk == crdGVK || gvk.GroupKind() == apiServiceGK {
		return "", "" // a List is unpacked by kustomize; the other two are stored
	}
	var why string
	switch {
	case readOnly[gvk.GroupKind()]:
		why = "the API server offers only get and list of it, to report on the control plane, and no create"
	case builtinkinds.ClientOffers(gvk.Group, gvk.Kind, "get"):
		return "", ""
	case builtinkinds.ClientOffers(gvk.Group, gvk.Kind, "create"):
		why = "the API server answers a create of it once and keeps nothing to read back"
	default:
		why = "it is the body of a request to another object's subresource (a pod's eviction or binding, a workload's scale, a service account's token) or a type of the API machinery, not a resource of its own"
	}
	msg = fmt.Sprintf("%s %s is not a kind the API server stores: %s; Flux's server-side apply reads the object and then patches it, so it fails on this object and with it the app's whole Kustomization",
		gvk.GroupVersion(), gvk.Kind, why)
	return msg, "remove the object from the app: no version of this kind can be applied"
}

// apiServiceGK is the aggregation layer's kind, which every kube-apiserver
// stores although k8s.io/api defines no client for it.
var apiServiceGK = schema.GroupKind{Group: "apiregistration.k8s.io", Kind: "APIService"}
