package validate

import (
	"encoding/json"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// nameRule returns the check the API server applies to names of a kind
// (k8s.io/kubernetes pkg/apis/*/validation): a DNS-1035 label for
// Services, a DNS-1123 label for Namespaces, a path segment for RBAC
// objects, a DNS-1123 subdomain for everything else, custom resources
// included (apiextensions-apiserver's customResourceValidator).
func nameRule(gk schema.GroupKind) apimachineryvalidation.ValidateNameFunc {
	switch {
	case gk.Group == "" && gk.Kind == "Service":
		return apimachineryvalidation.NameIsDNS1035Label
	case gk.Group == "" && gk.Kind == "Namespace":
		return apimachineryvalidation.ValidateNamespaceName
	case gk.Group == "rbac.authorization.k8s.io":
		return path.ValidatePathSegmentName
	}
	return apimachineryvalidation.NameIsDNSSubdomain
}

// checkMeta applies the API server's object metadata rules
// (apimachinery's ValidateObjectMetaAccessor): the name for the kind, the
// namespace, label keys and values, annotation keys and total size,
// finalizers, owner references.
func checkMeta(app string, o templates.Object, gvk schema.GroupVersionKind) []error {
	e := &encoder{}
	if err := e.encode(o.Node.YNode(), nil); err != nil {
		return nil // reported by the decoding
	}
	var obj struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := json.Unmarshal(e.buf.Bytes(), &obj); err != nil {
		return nil // a wrong type in metadata: reported by the decoding
	}
	md := &obj.Metadata
	fes := apimachineryvalidation.ValidateObjectMetaAccessor(md, md.Namespace != "", nameRule(gvk.GroupKind()), fieldpath.NewPath("metadata"))
	if len(fes) == 0 {
		return nil
	}
	idx := &encoder{index: map[string]*field{}}
	_ = idx.encode(o.Node.YNode(), nil)
	base := diag.Error{File: o.File, App: app, Object: objectOf(o.Node)}
	var errs []error
	for _, fe := range fes {
		errs = append(errs, fieldError(o, base, idx, nil, "the API server's rules for "+gvk.Kind+" metadata", fe))
	}
	return errs
}
