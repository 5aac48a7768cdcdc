package validate

import (
	"fmt"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// The two limits an object's size meets on its way into a cluster. The
// API server reads at most 3 MiB of a request body (its
// MaxRequestBodyBytes), whatever the kind, and Flux applies each object as
// its JSON. etcd then stores it in one request, which its default
// --max-request-bytes bounds at 1.5 MiB ("etcdserver: request is too
// large"): a custom resource is stored as its JSON, so its JSON tells; a
// built-in kind is stored in protobuf, smaller than its JSON by a margin
// kiln cannot know, so only the body limit is judged for those (a
// ConfigMap's and a Secret's data have their own 1 MiB rule, apirules).
const (
	maxRequestBody = 3 << 20
	maxStoredJSON  = 3 << 19
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
	case storedAsJSON && n > maxStoredJSON:
		msg = fmt.Sprintf("the object is %d bytes as JSON, which is how the API server stores a custom resource, and etcd stores at most %d (1.5 MiB, its default --max-request-bytes) in one request: the create would fail", n, maxStoredJSON)
	default:
		return nil
	}
	return []error{&diag.Error{File: o.File, Line: o.Line, App: app, Object: objectOf(o.Node), Msg: msg,
		Hint: "make the object smaller: split its data across several objects, or keep large data (a dashboard, a bundle) out of the cluster object"}}
}
