package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/builtinkinds"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
	"github.com/kiln-gitops/kiln/templates"
)

// nameRule returns the check the API server of version kube (nil: the
// newest) applies to the name of o, of kind gk (k8s.io/kubernetes
// pkg/apis/*/validation): for Services a DNS-1123 label from 1.36
// (RelaxedServiceNameValidation, on by default; GA in 1.37: 1web is a
// Service name) and a DNS-1035 label before, a DNS-1123 label for
// Namespaces and StatefulSets (each pod's
// hostname is <name>-<ordinal>; a dotted or 64-character name was once
// accepted and then could create no pod), a path segment for RBAC
// objects, APIServices (which must also be <version>.<group>, a rule
// of apirules) and CertificateSigningRequests (ValidateCertificateRequestName
// takes any name, and only the path segment check of every create is
// left), the signer's prefix for a ClusterTrustBundle (bundleName), a
// canonical IP address for an IPAddress, a DNS-1123 subdomain for
// everything else, custom resources and CSIDrivers included
// (apiextensions-apiserver's customResourceValidator; storage's
// ValidateCSIDriverName is NameIsDNSSubdomain, unlike core's function of
// that name for the driver fields of volumes: Ebs.CSI.Example.com is no
// CSIDriver name, 64 lowercase characters are). Only the path segment
// check every create ends with is left for the kinds whose validation
// never checks their metadata: PodDisruptionBudgets
// (ValidatePodDisruptionBudget checks the spec alone) and core v1 Events
// (ValidateEventCreate checks a name only for events.k8s.io/v1). A real
// kube-apiserver 1.37 takes PodInfo and a:b for both
// (internal/apiservercheck). Each special rule is followed by the path
// segment check.
func nameRule(o templates.Object, gk schema.GroupKind, kube *version.Version) apimachineryvalidation.ValidateNameFunc {
	switch {
	case gk.Group == "certificates.k8s.io" && gk.Kind == "CertificateSigningRequest":
		return path.ValidatePathSegmentName
	case gk.Group == "certificates.k8s.io" && gk.Kind == "ClusterTrustBundle":
		return bundleName(o)
	case gk.Group == "networking.k8s.io" && gk.Kind == "IPAddress":
		return withPathSegment(apirules.IPAddressName)
	case gk.Group == "" && gk.Kind == "Service":
		if kube == nil || kube.AtLeast(version.MajorMinor(1, 36)) {
			return apimachineryvalidation.NameIsDNSLabel
		}
		return apimachineryvalidation.NameIsDNS1035Label
	case gk.Group == "" && gk.Kind == "Namespace":
		return apimachineryvalidation.ValidateNamespaceName
	case gk.Group == "apps" && gk.Kind == "StatefulSet":
		return apimachineryvalidation.NameIsDNSLabel
	case gk.Group == "rbac.authorization.k8s.io", gk.Group == "apiregistration.k8s.io",
		gk.Group == "policy" && gk.Kind == "PodDisruptionBudget",
		gk.Group == "" && gk.Kind == "Event":
		return path.ValidatePathSegmentName
	}
	return apimachineryvalidation.NameIsDNSSubdomain
}

// bundleName is the check of the name of a ClusterTrustBundle o
// (ValidateClusterTrustBundle): ValidateClusterTrustBundleName for its
// spec.signerName (example.com:mysigner:live for example.com/mysigner,
// a DNS subdomain without ':' for none), then, when that passes, the path
// segment check every create ends with.
func bundleName(o templates.Object) apimachineryvalidation.ValidateNameFunc {
	signer := ""
	if n, err := o.Node.Pipe(kyaml.Lookup("spec", "signerName")); err == nil && n != nil && n.YNode().Kind == kyaml.ScalarNode {
		signer = n.YNode().Value
	}
	return withPathSegment(apirules.ClusterTrustBundleName(signer))
}

// withPathSegment is rule, then, when that passes, the path segment check
// every create ends with (rest.BeforeCreate), which a kind's own name rule
// may be looser than.
func withPathSegment(rule apimachineryvalidation.ValidateNameFunc) apimachineryvalidation.ValidateNameFunc {
	return func(name string, prefix bool) []string {
		if msgs := rule(name, prefix); len(msgs) > 0 {
			return msgs
		}
		return path.ValidatePathSegmentName(name, prefix)
	}
}

// checkMeta applies the API server's (of version kube) object metadata rules
// (apimachinery's ValidateObjectMetaAccessor): the name for the kind, the
// namespace, label keys and values, annotation keys and total size,
// finalizers, owner references. cluster says the kind is cluster-scoped.
func checkMeta(app string, o templates.Object, gvk schema.GroupVersionKind, enc encoded, kube *version.Version, cluster bool) []error {
	if enc.err != nil {
		return nil // reported by the decoding
	}
	// Only metadata is read, so only metadata is encoded: a CRD is a
	// megabyte of schema around a few lines of metadata.
	var obj struct {
		Metadata struct {
			metav1.ObjectMeta
			// Server-side apply types creationTimestamp as any scalar
			// and the API server overwrites it on create, reading a
			// custom resource's metadata without it: a real
			// kube-apiserver 1.37 takes 12345, true or "yesterday"
			// there, and on every apply after. A built-in kind's is
			// parsed as a time by its decoding, which reports it.
			CreationTimestamp any `json:"creationTimestamp,omitempty"`
		} `json:"metadata"`
	}
	e := &encoder{}
	if md := metadataNode(o); md != nil {
		e.buf.WriteString(`{"metadata":`)
		_ = e.encode(md, nil) // encodable
		e.buf.WriteByte('}')
	} else {
		// No metadata, or twice, or in another case (json.Unmarshal
		// matches keys case-insensitively and merges repeats; strict
		// decoding reports them): read it from the whole object.
		_ = e.encode(o.Node.YNode(), nil)
	}
	if err := json.Unmarshal(e.buf.Bytes(), &obj); err != nil {
		// A wrong type in metadata: the decoding reports it for a built-in
		// kind. A custom resource's metadata is no part of its CRD's
		// schema, and the API server reads it into ObjectMeta before
		// anything else, refusing the object (a label or annotation that is
		// not a string: kustomize build passes a label as it is).
		if newTyped(gvk) != nil {
			return nil
		}
		// The field path as the object has it, not through the
		// embedded Go struct above.
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			te.Field = strings.Replace(te.Field, "metadata.ObjectMeta.", "metadata.", 1)
		}
		return []error{metaTypeError(app, o, err)}
	}
	switch v := obj.Metadata.CreationTimestamp.(type) {
	case map[string]any, []any:
		if newTyped(gvk) == nil {
			got := "object"
			if _, ok := v.([]any); ok {
				got = "array"
			}
			return []error{metaTypeError(app, o, &json.UnmarshalTypeError{Value: got, Type: reflect.TypeFor[string](), Field: "metadata.creationTimestamp"})}
		}
	}
	return metaErrors(app, o, gvk, &obj.Metadata.ObjectMeta, kube, cluster)
}

// metaErrors applies the metadata rules to md, read from o, of a
// cluster-scoped kind when cluster is true.
func metaErrors(app string, o templates.Object, gvk schema.GroupVersionKind, md *metav1.ObjectMeta, kube *version.Version, cluster bool) []error {
	if cluster && md.Namespace != "" {
		// The API server clears the namespace of a cluster-scoped object
		// before it validates it (rest.BeforeCreate), so whatever it is,
		// it is not refused.
		cleared := *md
		cleared.Namespace = ""
		md = &cleared
	}
	fes := apimachineryvalidation.ValidateObjectMetaAccessor(md, md.Namespace != "", nameRule(o, gvk.GroupKind(), kube), fieldpath.NewPath("metadata"))
	fes = append(fes, clusterFields(md, gvk)...)
	fes = append(fes, metaApplyKeys(md)...)
	fes = append(fes, kubeFinalizers(md, gvk)...)
	if len(fes) == 0 {
		return nil
	}
	idx := &encoder{index: map[string]*field{}}
	_ = idx.encode(o.Node.YNode(), nil)
	base := diag.Error{File: o.File, App: app, Object: objectOf(o.Node)}
	var errs []error
	for _, fe := range fes {
		err := fieldError(o, base, idx, nil, "the API server's rules for "+gvk.Kind+" metadata", fe)
		if d, ok := err.(*diag.Error); ok {
			switch {
			case fe.Type == fieldpath.ErrorTypeForbidden && clusterField[fe.Field]:
				d.Hint = clusterFieldHint
			case fe.Type == fieldpath.ErrorTypeDuplicate:
				d.Hint = applyKeysHint
			case fe.Detail == apirules.KubeFinalizerInvalid:
				d.Hint = kubeFinalizerHint
			}
		}
		errs = append(errs, err)
	}
	return errs
}

// clusterField names the metadata fields only a cluster writes that
// Flux's server-side apply cannot take (clusterFields).
var clusterField = map[string]bool{
	"metadata.uid": true, "metadata.resourceVersion": true, "metadata.managedFields": true,
	"metadata.deletionTimestamp": true, "metadata.deletionGracePeriodSeconds": true,
}

const clusterFieldHint = "remove it: the cluster writes it, and an object copied from `kubectl get -o yaml` still has it (uid, resourceVersion, managedFields, creationTimestamp and status are all the cluster's)"

// metadataPath is the path of every object's metadata (paths are values:
// Child makes a new one).
var metadataPath = fieldpath.NewPath("metadata")

// metaApplyKeys refuses what server-side apply refuses in the keyed lists
// of metadata, for every kind (a custom resource's metadata is
// ObjectMeta's schema too): a finalizer twice (a set) and two owner
// references of one uid (keyed by uid). The API server's create takes
// both.
func metaApplyKeys(md *metav1.ObjectMeta) fieldpath.ErrorList {
	var errs fieldpath.ErrorList
	if len(md.Finalizers) > 1 {
		finalizers := map[string]bool{}
		for i, f := range md.Finalizers {
			if finalizers[f] {
				errs = append(errs, fieldpath.Duplicate(metadataPath.Child("finalizers").Index(i), f))
			}
			finalizers[f] = true
		}
	}
	if len(md.OwnerReferences) > 1 {
		uids := map[types.UID]bool{}
		for i, r := range md.OwnerReferences {
			if r.UID != "" && uids[r.UID] {
				errs = append(errs, fieldpath.Duplicate(metadataPath.Child("ownerReferences").Index(i), map[string]any{"uid": string(r.UID)}))
			}
			uids[r.UID] = true
		}
	}
	return errs
}

// coreMetaGroups are the API groups whose kinds' validation runs core's
// ValidateObjectMeta (k8s.io/kubernetes v1.37 pkg/apis/*/validation),
// which adds validateKubeFinalizerName to apimachinery's rules. The others
// (admissionregistration, coordination, node, policy, apiextensions,
// apiregistration, custom resources) take any qualified finalizer name.
var coreMetaGroups = map[string]bool{
	"": true, "apps": true, "autoscaling": true, "batch": true, "certificates.k8s.io": true,
	"discovery.k8s.io": true, "events.k8s.io": true, "flowcontrol.apiserver.k8s.io": true,
	"internal.apiserver.k8s.io": true, "lifecycle.k8s.io": true, "networking.k8s.io": true,
	"rbac.authorization.k8s.io": true, "resource.k8s.io": true, "scheduling.k8s.io": true,
	"storage.k8s.io": true, "storagemigration.k8s.io": true,
}

const kubeFinalizerHint = "prefix the finalizer with a domain of its controller, such as example.com/cleanup: the API server takes a bare name only for kubernetes, orphan and foregroundDeletion on this kind"

// kubeFinalizers refuses, on a built-in kind of coreMetaGroups, a
// metadata finalizer without a '/' that is not a standard one
// (validateKubeFinalizerName): `finalizers: [cleanup]` on a ConfigMap or a
// Deployment is refused on create and on every update.
func kubeFinalizers(md *metav1.ObjectMeta, gvk schema.GroupVersionKind) fieldpath.ErrorList {
	if len(md.Finalizers) == 0 || !coreMetaGroups[gvk.Group] || newTyped(gvk) == nil {
		return nil
	}
	var errs fieldpath.ErrorList
	for i, f := range md.Finalizers {
		if !apirules.KubeFinalizerOK(f) {
			errs = append(errs, fieldpath.Invalid(metadataPath.Child("finalizers").Index(i), f, apirules.KubeFinalizerInvalid))
		}
	}
	return errs
}

// clusterScoped reports whether objects of gvk are cluster-scoped, as its
// CRD c says (nil: not a custom resource kiln has the CRD of) or as the
// built-in kinds' table does; false for a kind of unknown scope.
func clusterScoped(gvk schema.GroupVersionKind, c *crd) bool {
	if c != nil {
		return !c.namespaced
	}
	switch {
	case gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition",
		gvk.Group == "apiregistration.k8s.io" && gvk.Kind == "APIService":
		return true // not k8s.io/api's: kiln's own additions
	}
	namespaced, known := builtinkinds.Namespaced(gvk.Group, gvk.Kind)
	return known && !namespaced
}

// normalizedByFlux reports whether kustomize-controller round-trips
// objects of gvk through their Go types before it applies them (fluxcd/pkg
// ssa/normalize): the kinds of client-go's scheme but Roles and
// ClusterRoles, which it skips (fluxcd/kustomize-controller#1041). Such a
// round trip drops an empty list.
func normalizedByFlux(gvk schema.GroupVersionKind) bool {
	switch {
	case gvk.Group == "apiextensions.k8s.io", gvk.Group == "apiregistration.k8s.io":
		return false // not client-go's scheme: kiln's own additions
	case gvk.Group == "rbac.authorization.k8s.io" && (gvk.Kind == "Role" || gvk.Kind == "ClusterRole"):
		return false
	}
	return newTyped(gvk) != nil
}

// clusterFields refuses the metadata fields a cluster writes into an
// object and that make Flux's server-side apply fail, as an object copied
// from `kubectl get -o yaml` has them (creationTimestamp, generation and
// status are the cluster's too, but the API server overwrites them, so
// they pass). kustomize-controller applies each object of gvk as written
// but for the kinds it round-trips through their Go types
// (normalizedByFlux), which drops an empty managedFields list.
func clusterFields(md *metav1.ObjectMeta, gvk schema.GroupVersionKind) fieldpath.ErrorList {
	p := metadataPath
	var errs fieldpath.ErrorList
	if md.UID != "" {
		errs = append(errs, fieldpath.Forbidden(p.Child("uid"), "the API server gives each object its own uid: applied with one, the object is refused where none exists (\"uid mismatch: the provided object specified uid …, and no existing object was found\") and where another has it (\"Precondition failed: UID in precondition\")"))
	}
	if md.ResourceVersion != "" {
		errs = append(errs, fieldpath.Forbidden(p.Child("resourceVersion"), "applied with one, the object is created, and every later apply of it fails (\"the object has been modified; please apply your changes to the latest version\"): the resourceVersion is the cluster's, which each write changes"))
	}
	if md.ManagedFields != nil && (len(md.ManagedFields) > 0 || !normalizedByFlux(gvk)) {
		errs = append(errs, fieldpath.Forbidden(p.Child("managedFields"), "server-side apply refuses it (\"metadata.managedFields must be nil\")"))
	}
	if md.DeletionTimestamp != nil {
		errs = append(errs, fieldpath.Forbidden(p.Child("deletionTimestamp"), "the API server sets it when the object is being deleted; applied to an object that is not, it is refused (\"field is immutable\")"))
	}
	if md.DeletionGracePeriodSeconds != nil {
		errs = append(errs, fieldpath.Forbidden(p.Child("deletionGracePeriodSeconds"), "the API server sets it when the object is being deleted; applied to an object that is not, it is refused (\"field is immutable\")"))
	}
	return errs
}

// metadataNode returns the value of the object's top-level metadata key,
// nil when there is none, or more than one key json.Unmarshal would read
// as metadata.
func metadataNode(o templates.Object) *kyaml.Node {
	m := o.Node.YNode()
	for m.Kind == kyaml.AliasNode && m.Alias != nil {
		m = m.Alias
	}
	if m.Kind == kyaml.DocumentNode && len(m.Content) > 0 {
		m = m.Content[0]
	}
	var out *kyaml.Node
	for i := 0; i+1 < len(m.Content) && m.Kind == kyaml.MappingNode; i += 2 {
		k := m.Content[i]
		for k.Kind == kyaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if !strings.EqualFold(k.Value, "metadata") {
			continue
		}
		if out != nil || k.Value != "metadata" {
			return nil
		}
		out = m.Content[i+1]
	}
	return out
}

// metaTypeError is the error about a custom resource's metadata field of
// the wrong type, at its line. It names the field and the types, never
// the value.
func metaTypeError(app string, o templates.Object, err error) error {
	d := &diag.Error{File: o.File, Line: o.Line, App: app, Object: objectOf(o.Node), Err: err,
		Msg: "metadata does not decode as object metadata", Hint: "labels and annotations are maps of strings: quote their values"}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		idx := &encoder{index: map[string]*field{}}
		_ = idx.encode(o.Node.YNode(), nil)
		if f := idx.index[te.Field]; f != nil {
			d.Line = o.LineOf(f.key)
		}
		d.Field = te.Field
		d.Msg = fmt.Sprintf("wrong type for field %q: got %s, want %s; the API server reads a custom resource's metadata as it does any object's and refuses it", te.Field, te.Value, te.Type)
	}
	return d
}
