package validate

import (
	"encoding/json"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// The two limits an object's size meets on its way into a cluster. The
// API server reads at most 3 MiB of a request body (its
// MaxRequestBodyBytes), whatever the kind, and Flux applies each object as
// its JSON. etcd then stores it in one request, which its default
// --max-request-bytes bounds at 1.5 MiB ("etcdserver: request is too
// large"): a custom resource is stored as its JSON, so its JSON tells; a
// built-in kind is stored in protobuf (checkStoredSize), which is smaller
// than its JSON for most objects but not for all: a CRD whose schemas
// have no descriptions (as controller-gen's crd:maxDescLen=0 makes them)
// writes every empty string and false of each schema node, 1.2 times its
// JSON for kube-prometheus-stack's. (A ConfigMap's and a Secret's data
// have their own 1 MiB rule, apirules.)
const (
	maxRequestBody = 3 << 20
	maxStored      = 3 << 19
)

// checkSize refuses an object the API server or, for one stored as its
// JSON (storedAsJSON), etcd would refuse for its size.
func checkSize(app string, o templates.Object, storedAsJSON bool, enc encoded) []error {
	n := len(enc.data)
	var msg string
	switch {
	case enc.err != nil:
		return nil // reported by the decoding
	case n > maxRequestBody:
		msg = fmt.Sprintf("the object is %d bytes as JSON, and the API server reads at most %d (3 MiB) of a request: Flux's apply of it would fail", n, maxRequestBody)
	case storedAsJSON && n > maxStored:
		msg = fmt.Sprintf("the object is %d bytes as JSON, which is how the API server stores a custom resource, and etcd stores at most %d (1.5 MiB, its default --max-request-bytes) in one request: the create would fail", n, maxStored)
	default:
		return nil
	}
	return []error{sizeError(app, o, msg)}
}

func sizeError(app string, o templates.Object, msg string) error {
	return &diag.Error{File: o.File, Line: o.Line, App: app, Object: objectOf(o.Node), Msg: msg,
		Hint: "make the object smaller: split its data across several objects, or keep large data (a dashboard, a bundle) out of the cluster object"}
}

// crdProtoFrom is the JSON size from which a CRD whose strict decoding
// was skipped (Schemas.decodedClean) is decoded again to size its
// protobuf: below it, the protobuf would have to be three times its JSON
// to reach etcd's limit, where CRDs without descriptions come to 1.2
// times.
const crdProtoFrom = 512 << 10

// checkStoredSize refuses a built-in object whose protobuf encoding, the
// form the API server stores it in, is over what etcd stores in one
// request, before the API server adds its metadata (managedFields among
// it): the create would fail. typed is the object decoded, when decoded;
// a CRD not decoded is decoded here when its JSON is large enough to
// matter. An object the body limit refused is not sized again.
func checkStoredSize(app string, o templates.Object, gvk schema.GroupVersionKind, typed runtime.Object, decoded bool, enc encoded) []error {
	if enc.err != nil || len(enc.data) > maxRequestBody {
		return nil
	}
	if !decoded {
		if gvk != crdGVK || len(enc.data) < crdProtoFrom {
			return nil
		}
		typed = &apiextensionsv1.CustomResourceDefinition{}
		if err := json.Unmarshal(enc.data, typed); err != nil {
			return nil // reported by the decoding
		}
	}
	sized, ok := typed.(interface{ Size() int })
	if !ok {
		return nil
	}
	if n := sized.Size(); n > maxStored {
		return []error{sizeError(app, o, fmt.Sprintf("the object is %d bytes in protobuf, the form the API server stores a %s in, and etcd stores at most %d (1.5 MiB, its default --max-request-bytes) in one request, before the API server adds its own metadata: the create would fail", n, gvk.Kind, maxStored))}
	}
	return nil
}
