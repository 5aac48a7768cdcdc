package validate

// The generator of k8sopenapi/kinds.txt and kinds.bin (see builtinIndex):
// each built-in kind's schema in k8sopenapi/schemas.json.gz, its
// references inlined and its required fields as the API server serves
// them. It runs as a test so that the files kiln embeds can never drift
// from their source: TestBuiltinKinds fails when they differ, and
// rewrites them with -update (go generate).

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestBuiltinKinds: the embedded per-kind schemas are what
// k8sopenapi/schemas.json.gz gives, kind for kind (compared decompressed:
// gzip's bytes may change with Go's compressor). With -update it writes
// them.
func TestBuiltinKinds(t *testing.T) {
	t.Parallel()
	want := generateKinds(t)
	if *update {
		index, blob := encodeKinds(t, want)
		if err := os.WriteFile("k8sopenapi/kinds.txt", index, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("k8sopenapi/kinds.bin", blob, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b := &builtins{}
	b.load()
	for gvk, data := range want {
		sp, ok := b.kinds[gvk]
		if !ok {
			t.Errorf("%s: not in k8sopenapi/kinds.txt; run go generate ./render/internal/validate", gvk)
			continue
		}
		if got := kindSchema(sp); !bytes.Equal(got, data) {
			t.Errorf("%s: the embedded schema differs from schemas.json.gz's; run go generate ./render/internal/validate", gvk)
		}
	}
	for gvk := range b.kinds {
		if _, ok := want[gvk]; !ok {
			t.Errorf("%s: in k8sopenapi/kinds.txt, not in schemas.json.gz; run go generate ./render/internal/validate", gvk)
		}
	}
}

// encodeKinds writes the index and the blob of kinds: each distinct schema
// gzipped once, lines sorted.
func encodeKinds(t *testing.T, kinds map[schema.GroupVersionKind][]byte) (index, blob []byte) {
	var lines []string
	var out bytes.Buffer
	at := map[string]span{}
	gvks := make([]schema.GroupVersionKind, 0, len(kinds))
	for gvk := range kinds {
		gvks = append(gvks, gvk)
	}
	slices.SortFunc(gvks, func(a, b schema.GroupVersionKind) int { return strings.Compare(a.String(), b.String()) })
	for _, gvk := range gvks {
		data := kinds[gvk]
		sp, ok := at[string(data)]
		if !ok {
			var z bytes.Buffer
			zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
			if err != nil {
				t.Fatal(err)
			}
			zw.Write(data)
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			sp = span{out.Len(), z.Len()}
			out.Write(z.Bytes())
			at[string(data)] = sp
		}
		lines = append(lines, fmt.Sprintf("%s %s %d %d\n", gvk.GroupVersion(), gvk.Kind, sp.off, sp.n))
	}
	slices.Sort(lines)
	return []byte(strings.Join(lines, "")), out.Bytes()
}

// generateKinds derives each kind's schema from schemas.json.gz: the JSON
// the validator of the kind is compiled from.
func generateKinds(t *testing.T) map[schema.GroupVersionKind][]byte {
	raw := builtinComponents(t)
	c := &components{raw: raw, defs: map[string]any{}, keys: listMapKeyFields(t, raw)}
	out := map[schema.GroupVersionKind][]byte{}
	for name, raw := range c.raw {
		var d struct {
			GVKs []struct{ Group, Version, Kind string } `json:"x-kubernetes-group-version-kind"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(d.GVKs) == 0 {
			continue
		}
		resolved, err := json.Marshal(c.inline(c.def(t, name), 0, t))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range d.GVKs {
			out[schema.GroupVersionKind{Group: g.Group, Version: g.Version, Kind: g.Kind}] = resolved
		}
	}
	// Every field emptyRefused lists is in a kind's schema, marked.
	for key := range emptyRefused {
		i := strings.LastIndexByte(key, '.')
		props, _ := c.defs[key[:i]].(map[string]any)["properties"].(map[string]any)
		p, _ := props[key[i+1:]].(map[string]any)
		if it, ok := p["items"].(map[string]any); ok {
			p = it
		}
		if title, _ := p["title"].(string); !strings.HasPrefix(title, emptyTitle) {
			t.Errorf("emptyRefused: %s is no enum field of a built-in kind", key)
		}
	}
	return out
}

// components are the component schemas of the OpenAPI document.
type components struct {
	raw  map[string]json.RawMessage // component name → schema
	defs map[string]any             // decoded so far (def)
	keys map[string]bool            // listMapKeyFields
}

// listMapKeyFields returns, as "component.field", the fields that are keys
// of a list of type map whose items are that component (a pull secret's
// name): server-side apply takes a key's default when an entry leaves it
// out, so its zero default must stay for the duplicate check.
func listMapKeyFields(t *testing.T, raw map[string]json.RawMessage) map[string]bool {
	type list struct {
		Type  string   `json:"x-kubernetes-list-type"`
		Keys  []string `json:"x-kubernetes-list-map-keys"`
		Items struct {
			Ref   string `json:"$ref"`
			AllOf []struct {
				Ref string `json:"$ref"`
			} `json:"allOf"`
		} `json:"items"`
	}
	out := map[string]bool{}
	for name, r := range raw {
		var s struct {
			Properties map[string]list `json:"properties"`
		}
		if err := json.Unmarshal(r, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, l := range s.Properties {
			if l.Type != "map" {
				continue
			}
			ref := l.Items.Ref
			if ref == "" && len(l.Items.AllOf) > 0 {
				ref = l.Items.AllOf[0].Ref
			}
			for _, k := range l.Keys {
				out[strings.TrimPrefix(ref, "#/components/schemas/")+"."+k] = true
			}
		}
	}
	return out
}

// def is the component name decoded, its required fields as the API
// server serves them (requiredAsServed); nil when there is none. Callers
// only read it: inline copies.
func (c *components) def(t *testing.T, name string) any {
	if d, ok := c.defs[name]; ok {
		return d
	}
	raw, ok := c.raw[name]
	if !ok {
		return nil
	}
	var d any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if m, ok := d.(map[string]any); ok {
		requiredAsServed(name, m, c.keys)
		markEmptyRefused(name, m)
	}
	c.defs[name] = d
	return d
}

// zeroAllowed lists the required fields of built-in kinds whose zero value
// the API server accepts, so that an absent one (which its decoder turns
// into that zero value) is not missing: an iSCSI LUN 0, a sleep of 0
// seconds, a PriorityClass of value 0, an empty HTTP header or sysctl
// value, a topology hint's zone name (checked for nothing), a CSI
// driver's token request audience ("" is the API server's own), and the lists
// a nil of which the API server's validation loops over without complaint
// (a LimitRange's limits, a pod failure policy's rules, a CSINode's
// drivers). Found by a differential test against k8s.io/kubernetes 1.37's
// create path, the last by comparing with a real kube-apiserver 1.37
// (internal/apiservercheck).
var zeroAllowed = map[string]bool{
	"io.k8s.api.core.v1.HTTPHeader.value":                true,
	"io.k8s.api.core.v1.Sysctl.value":                    true,
	"io.k8s.api.core.v1.LimitRangeSpec.limits":           true,
	"io.k8s.api.batch.v1.PodFailurePolicy.rules":         true,
	"io.k8s.api.storage.v1.CSINodeSpec.drivers":          true,
	"io.k8s.api.discovery.v1.ForZone.name":               true,
	"io.k8s.api.core.v1.ISCSIVolumeSource.lun":           true,
	"io.k8s.api.core.v1.ISCSIPersistentVolumeSource.lun": true,
	"io.k8s.api.core.v1.SleepAction.seconds":             true,
	"io.k8s.api.storage.v1.TokenRequest.audience":        true,
	"io.k8s.api.storage.v1beta1.TokenRequest.audience":   true,
	"io.k8s.api.scheduling.v1.PriorityClass.value":       true,
	"io.k8s.api.scheduling.v1beta1.PriorityClass.value":  true,
	"io.k8s.api.scheduling.v1alpha1.PriorityClass.value": true,
}

// emptyRefused lists the enum fields of built-in kinds whose empty value
// the API server refuses (k8s.io/kubernetes v1.37 pkg/apis/.../validation;
// a differential test against its create path found the ones its seeds
// reach): the validator refuses "" in them, and accepts it in every other
// enum field, where the API server defaults it or lets it mean the default
// (an imagePullPolicy, a restartPolicy, a Service's type). The value says
// how the API server tells it (see emptyTitle): "" for its own
// "Unsupported value", "required" or "required:<detail>" for "Required
// value", "invalid:<detail>" for "Invalid value". A field an API server
// rule of kiln's (apirules) already refuses empty is not listed, so that
// it is told once: a Job's completionMode, a Service's ipFamilyPolicy, a
// StorageClass's volumeBindingMode, an EndpointSlice port's protocol, a
// mutation's patchType, a policy's reinvocationPolicy and
// parameterNotFoundAction, a webhook's sideEffects (webhooks.go).
var emptyRefused = map[string]string{
	// core/validation: validateSeccompProfileField, ValidateAppArmorProfileField.
	"io.k8s.api.core.v1.SeccompProfile.type":  "required:type is required when seccompProfile is set",
	"io.k8s.api.core.v1.AppArmorProfile.type": "required:type is required when appArmorProfile is set",
	// validateMountPropagation; ValidatePersistentVolumeClaimSpec and
	// ValidatePersistentVolumeSpec (accessModes, volumeMode: the
	// defaulting fills in a nil volumeMode, not an empty one).
	"io.k8s.api.core.v1.VolumeMount.mountPropagation":          "",
	"io.k8s.api.core.v1.PersistentVolumeClaimSpec.accessModes": "",
	"io.k8s.api.core.v1.PersistentVolumeClaimSpec.volumeMode":  "",
	"io.k8s.api.core.v1.PersistentVolumeSpec.accessModes":      "",
	"io.k8s.api.core.v1.PersistentVolumeSpec.volumeMode":       "",
	// validateAzureDisk: a non-nil cachingMode or kind must be supported.
	"io.k8s.api.core.v1.AzureDiskVolumeSource.cachingMode": "",
	"io.k8s.api.core.v1.AzureDiskVolumeSource.kind":        "",
	// ValidateNodeSelectorRequirement.
	"io.k8s.api.core.v1.NodeSelectorRequirement.operator": "invalid:not a valid selector operator",
	// validateTopologySpreadConstraints, validateNodeInclusionPolicy.
	"io.k8s.api.core.v1.TopologySpreadConstraint.whenUnsatisfiable":  "",
	"io.k8s.api.core.v1.TopologySpreadConstraint.nodeAffinityPolicy": "",
	"io.k8s.api.core.v1.TopologySpreadConstraint.nodeTaintsPolicy":   "",
	// validateResourceQuotaScopes, validateScopedResourceSelectorRequirement.
	"io.k8s.api.core.v1.ResourceQuotaSpec.scopes":                    "invalid:unsupported scope",
	"io.k8s.api.core.v1.ScopedResourceSelectorRequirement.scopeName": "invalid:unsupported scope",
	"io.k8s.api.core.v1.ScopedResourceSelectorRequirement.operator":  "invalid:not a valid selector operator",
	// validateNodeTaints → validateTaintEffect(allowEmpty false).
	"io.k8s.api.core.v1.Taint.effect": "required",
	// validateFSGroupChangePolicy, validateSupplementalGroupsPolicy,
	// ValidateProcMountType, ValidatePreemptionPolicy: a non-nil value.
	"io.k8s.api.core.v1.PodSecurityContext.fsGroupChangePolicy":      "",
	"io.k8s.api.core.v1.PodSecurityContext.supplementalGroupsPolicy": "",
	"io.k8s.api.core.v1.SecurityContext.procMount":                   "",
	"io.k8s.api.core.v1.PodSpec.preemptionPolicy":                    "required",
	// ValidateService: a non-nil internalTrafficPolicy.
	"io.k8s.api.core.v1.ServiceSpec.internalTrafficPolicy": "",
	// networking/validation: ValidateNetworkPolicyPort, ValidateNetworkPolicySpec, validateHTTPIngressPath.
	"io.k8s.api.networking.v1.NetworkPolicyPort.protocol":      "",
	"io.k8s.api.extensions.v1beta1.NetworkPolicyPort.protocol": "",
	"io.k8s.api.networking.v1.NetworkPolicySpec.policyTypes":   "",
	"io.k8s.api.networking.v1.HTTPIngressPath.pathType":        "",
	// policy/validation: ValidatePodDisruptionBudgetSpec.
	"io.k8s.api.policy.v1.PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy":      "",
	"io.k8s.api.policy.v1beta1.PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy": "",
	// scheduling/validation: ValidatePriorityClass → ValidatePreemptionPolicy.
	"io.k8s.api.scheduling.v1.PriorityClass.preemptionPolicy":      "required",
	"io.k8s.api.scheduling.v1beta1.PriorityClass.preemptionPolicy": "required",
	// certificates/validation: validateCertificateSigningRequest (usages).
	"io.k8s.api.certificates.v1.CertificateSigningRequestSpec.usages": "",
	// admissionregistration/validation: validateValidatingWebhook,
	// validateMutatingWebhook (a non-nil failurePolicy, matchPolicy,
	// reinvocationPolicy), validateRuleWithOperations and validateRule
	// (operations, scope), validateMatchResources (matchPolicy),
	// validateValidatingAdmissionPolicySpec and
	// validateMutatingAdmissionPolicySpec (failurePolicy),
	// validateValidationActions.
	"io.k8s.api.admissionregistration.v1.ValidatingWebhook.failurePolicy":                              "",
	"io.k8s.api.admissionregistration.v1.ValidatingWebhook.matchPolicy":                                "",
	"io.k8s.api.admissionregistration.v1.MutatingWebhook.failurePolicy":                                "",
	"io.k8s.api.admissionregistration.v1.MutatingWebhook.matchPolicy":                                  "",
	"io.k8s.api.admissionregistration.v1.MutatingWebhook.reinvocationPolicy":                           "",
	"io.k8s.api.admissionregistration.v1beta1.MutatingWebhook.reinvocationPolicy":                      "",
	"io.k8s.api.admissionregistration.v1.RuleWithOperations.operations":                                "",
	"io.k8s.api.admissionregistration.v1.RuleWithOperations.scope":                                     "",
	"io.k8s.api.admissionregistration.v1.NamedRuleWithOperations.operations":                           "",
	"io.k8s.api.admissionregistration.v1.NamedRuleWithOperations.scope":                                "",
	"io.k8s.api.admissionregistration.v1beta1.NamedRuleWithOperations.operations":                      "",
	"io.k8s.api.admissionregistration.v1beta1.NamedRuleWithOperations.scope":                           "",
	"io.k8s.api.admissionregistration.v1alpha1.NamedRuleWithOperations.operations":                     "",
	"io.k8s.api.admissionregistration.v1alpha1.NamedRuleWithOperations.scope":                          "",
	"io.k8s.api.admissionregistration.v1.MatchResources.matchPolicy":                                   "",
	"io.k8s.api.admissionregistration.v1alpha1.MatchResources.matchPolicy":                             "",
	"io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec.failurePolicy":                  "",
	"io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicySpec.failurePolicy":            "",
	"io.k8s.api.admissionregistration.v1.MutatingAdmissionPolicySpec.failurePolicy":                    "",
	"io.k8s.api.admissionregistration.v1alpha1.MutatingAdmissionPolicySpec.failurePolicy":              "",
	"io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec.validationActions":       "",
	"io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyBindingSpec.validationActions": "",
	"io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyBindingSpec.validationActions":  "",
}

// markEmptyRefused gives the emptyRefused fields of one component (a list's
// items for a list of values) the title the validator reads (emptyTitle).
func markEmptyRefused(name string, m map[string]any) {
	props, _ := m["properties"].(map[string]any)
	for field, p := range props {
		how, ok := emptyRefused[name+"."+field]
		if !ok {
			continue
		}
		pm, _ := p.(map[string]any)
		if it, ok := pm["items"].(map[string]any); ok {
			pm = it
		}
		if _, ok := pm["enum"]; ok {
			pm["title"] = emptyTitle + how
		}
	}
}

// requiredAsServed adapts the required fields of one component to what the
// API server refuses. Kubernetes publishes a default for every field its Go
// type cannot leave out (openapi-gen's zero values: "", 0, false, {}):
//   - a required field with an object default ({}: a PodTemplateSpec) is
//     not missing when absent, the decoder makes it empty, but its own
//     required fields are: the default stays, so defaulting fills it in and
//     validation descends into it (a Deployment without template lacks
//     spec.template.spec.containers, as the API server says);
//   - a required field with a scalar zero default ("", 0, false) stays
//     required and its default is dropped: the API server's validation
//     refuses the zero value the decoder would give it (an empty container
//     name, port 0, an empty CronJob schedule), except for zeroAllowed;
//   - a required field with any other default (a protocol "TCP") is not
//     required: the API server fills it in.
func requiredAsServed(name string, m map[string]any, keys map[string]bool) {
	props, _ := m["properties"].(map[string]any)
	req, _ := m["required"].([]any)
	var keep []any
	for _, r := range req {
		field, _ := r.(string)
		p, _ := props[field].(map[string]any)
		d, has := p["default"]
		switch {
		case zeroAllowed[name+"."+field]:
		case !has:
			keep = append(keep, r)
		case d == "" || d == float64(0) || d == false:
			delete(p, "default")
			keep = append(keep, r)
		}
	}
	for field, p := range props {
		// A zero default outside required adds nothing the validator needs,
		// but a list-map key's is what server-side apply keys an entry
		// without it by (keys).
		if pm, ok := p.(map[string]any); ok && (pm["default"] == "" || pm["default"] == float64(0) || pm["default"] == false) && !zeroAllowed[name+"."+field] && !keys[name+"."+field] {
			delete(pm, "default")
		}
	}
	switch {
	case len(keep) > 0:
		m["required"] = keep
	case req != nil:
		delete(m, "required")
	}
}

// maxInline bounds reference inlining: no built-in kind nests deeper, and
// a recursive type (none today) must not loop.
const maxInline = 64

const (
	refPrefix   = "#/components/schemas/"
	intOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
	quantity    = "io.k8s.apimachinery.pkg.api.resource.Quantity"
)

// inline returns a copy of the schema v with every reference replaced by
// the schema it names, adapted to the validator apiextensions-apiserver
// provides (it was written for CRDs):
//   - Kubernetes wraps a reference that has a default or description in a
//     one-element allOf; the wrapper's default is kept on the inlined copy.
//   - IntOrString is published as oneOf integer/string; CRDs say
//     x-kubernetes-int-or-string, which the validator understands.
//   - Quantity (a string or a number) is left unconstrained: strict
//     decoding into the Go type already refuses a malformed quantity.
func (c *components) inline(v any, depth int, t *testing.T) any {
	switch v := v.(type) {
	case map[string]any:
		ref := refOf(v)
		if ref != "" {
			out := map[string]any{}
			switch {
			case ref == intOrString:
				out["x-kubernetes-int-or-string"] = true
			case ref == quantity:
			case depth >= maxInline:
				out["x-kubernetes-preserve-unknown-fields"] = true
			default:
				if r, ok := c.inline(c.def(t, ref), depth+1, t).(map[string]any); ok {
					out = r
				}
			}
			if d, ok := v["default"]; ok && ref != intOrString && ref != quantity {
				out["default"] = d
			}
			return out
		}
		out := make(map[string]any, len(v))
		for k, sub := range v {
			switch k {
			case "x-kubernetes-group-version-kind", "x-kubernetes-unions":
				continue
			case "properties", "patternProperties", "definitions":
				props, _ := sub.(map[string]any)
				m := make(map[string]any, len(props))
				for pk, pv := range props {
					m[pk] = c.inline(pv, depth, t)
				}
				out[k] = m
				continue
			}
			out[k] = c.inline(sub, depth, t)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, sub := range v {
			out[i] = c.inline(sub, depth, t)
		}
		return out
	}
	return v
}

// refOf returns the component a schema refers to, directly or through a
// one-element allOf, "" for none.
func refOf(m map[string]any) string {
	if r, ok := m["$ref"].(string); ok {
		return strings.TrimPrefix(r, refPrefix)
	}
	if all, ok := m["allOf"].([]any); ok && len(all) == 1 {
		if inner, ok := all[0].(map[string]any); ok {
			if r, ok := inner["$ref"].(string); ok {
				return strings.TrimPrefix(r, refPrefix)
			}
		}
	}
	return ""
}
