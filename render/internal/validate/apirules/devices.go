package apirules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	resourcev1beta1 "k8s.io/api/resource/v1beta1"
	resourcev1beta2 "k8s.io/api/resource/v1beta2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	dracel "k8s.io/dynamic-resource-allocation/cel"
)

// Dynamic resource allocation's kinds (resource.k8s.io): DeviceClass,
// ResourceClaim and ResourceClaimTemplate, as ValidateDeviceClass,
// ValidateResourceClaim and ValidateResourceClaimTemplate in
// k8s.io/kubernetes v1.37 pkg/apis/resource/validation check them on
// create, after the API server's defaults (a request's allocationMode
// ExactCount, its count 1). A driver's chart ships DeviceClasses whose
// CEL selectors pick its devices; one whose selector does not compile is
// refused and the chart's install fails. Selectors are compiled with the
// API server's own DRA compiler (k8s.io/dynamic-resource-allocation/cel),
// whose cost limit also bounds the work kiln does. v1beta2 objects are
// read as v1 (the same fields); v1beta1 requests are converted as the
// API server converts them (their exact request's fields sit on the
// request itself, where kiln points). Not checked: ResourceSlices
// (published by drivers at run time) and the alpha fields
// (derivedAttributes, capacity requests' policies).

const (
	draHint       = "see https://kubernetes.io/docs/concepts/scheduling-eviction/dynamic-resource-allocation/"
	celSelectHint = "a selector is a CEL expression on device (device.driver, device.attributes[\"domain\"].name, device.capacity[\"domain\"].name) that evaluates to true or false, such as device.driver == \"gpu.example.com\"; " + draHint
	requestHint   = "a request's name is a DNS label (lowercase letters, digits and '-', at most 63), unique in the claim; pods and constraints refer to it"
)

// resourceKinds checks obj if it is a DeviceClass, ResourceClaim or
// ResourceClaimTemplate of a served version.
func (c *checker) resourceKinds(obj runtime.Object) {
	spec := field.NewPath("spec")
	switch o := obj.(type) {
	case *resourcev1.DeviceClass:
		c.deviceClass(&o.Spec, spec)
	case *resourcev1beta2.DeviceClass:
		viaV1(o.Spec, func(s *resourcev1.DeviceClassSpec) { c.deviceClass(s, spec) })
	case *resourcev1beta1.DeviceClass:
		viaV1(o.Spec, func(s *resourcev1.DeviceClassSpec) { c.deviceClass(s, spec) })
	case *resourcev1.ResourceClaim:
		c.deviceClaim(&o.Spec.Devices, spec.Child("devices"), false)
	case *resourcev1beta2.ResourceClaim:
		viaV1(o.Spec.Devices, func(d *resourcev1.DeviceClaim) { c.deviceClaim(d, spec.Child("devices"), false) })
	case *resourcev1beta1.ResourceClaim:
		c.deviceClaim(flatRequests(&o.Spec.Devices), spec.Child("devices"), true)
	case *resourcev1.ResourceClaimTemplate:
		c.templateObjectMeta(&o.Spec.ObjectMeta, spec.Child("metadata"))
		c.deviceClaim(&o.Spec.Spec.Devices, spec.Child("spec", "devices"), false)
	case *resourcev1beta2.ResourceClaimTemplate:
		c.templateObjectMeta(&o.Spec.ObjectMeta, spec.Child("metadata"))
		viaV1(o.Spec.Spec.Devices, func(d *resourcev1.DeviceClaim) { c.deviceClaim(d, spec.Child("spec", "devices"), false) })
	case *resourcev1beta1.ResourceClaimTemplate:
		c.templateObjectMeta(&o.Spec.ObjectMeta, spec.Child("metadata"))
		c.deviceClaim(flatRequests(&o.Spec.Spec.Devices), spec.Child("spec", "devices"), true)
	}
}

// templateObjectMeta checks the metadata a claim template gives its
// claims (ValidateTemplateObjectMeta): valid labels and annotations, and
// nothing else, as the claim's name and namespace are the pod's to give.
func (c *checker) templateObjectMeta(m *metav1.ObjectMeta, p *field.Path) {
	c.labelsAndAnnotations(m.Labels, m.Annotations, p)
	v := reflect.ValueOf(*m)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Name == "Labels" || f.Name == "Annotations" {
			continue
		}
		if !reflect.DeepEqual(v.Field(i).Interface(), reflect.Zero(f.Type).Interface()) {
			key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			c.add(field.Forbidden(p.Child(key), "cannot be set"),
				"a claim template's metadata holds labels and annotations only: the claim made for each pod is named after the pod")
		}
	}
}

// flatRequests reads a v1beta1 device claim as v1, the way the API
// server converts it: a request with any of the exact request's fields
// (deviceClassName, selectors, allocationMode, count, adminAccess,
// tolerations, capacity) gets an exact request of them, beside its
// firstAvailable, so that a request with both is refused as in v1.
func flatRequests(in *resourcev1beta1.DeviceClaim) *resourcev1.DeviceClaim {
	out := new(resourcev1.DeviceClaim)
	b, err := json.Marshal(in)
	if err != nil || json.Unmarshal(b, out) != nil {
		return out
	}
	for i := range in.Requests {
		r := &in.Requests[i]
		if r.DeviceClassName == "" && r.Selectors == nil && r.AllocationMode == "" && r.Count == 0 &&
			r.AdminAccess == nil && r.Tolerations == nil && r.Capacity == nil {
			continue
		}
		exact := new(resourcev1.ExactDeviceRequest)
		if b, err := json.Marshal(r); err == nil && json.Unmarshal(b, exact) == nil {
			out.Requests[i].Exactly = exact
		}
	}
	return out
}

// deviceClass checks a DeviceClass's spec (validateDeviceClassSpec): at
// most 32 selectors, each with a CEL expression that compiles; at most
// 32 opaque configurations, each a driver's; an extendedResourceName
// (kept from 1.36, DRAExtendedResource) that is an extended resource's.
func (c *checker) deviceClass(s *resourcev1.DeviceClassSpec, spec *field.Path) {
	c.selectors(s.Selectors, spec.Child("selectors"))
	cp := spec.Child("config")
	if len(s.Config) > resourcev1.DeviceConfigMaxSize {
		c.add(field.TooMany(cp, len(s.Config), resourcev1.DeviceConfigMaxSize), "a DeviceClass has at most 32 configurations")
	} else {
		for i := range s.Config {
			c.opaqueConfig(s.Config[i].Opaque, cp.Index(i))
		}
	}
	if n := s.ExtendedResourceName; n != nil && c.on("DRAExtendedResource") && !extendedResourceName(*n) {
		c.add(field.Invalid(spec.Child("extendedResourceName"), *n, "must be a valid extended resource name"),
			"an extended resource is a domain-prefixed name outside kubernetes.io, such as example.com/gpu, that pods request in resources.limits")
	}
}

// extendedResourceName is the API server's IsExtendedResourceName: a
// name with a domain outside the native kubernetes.io namespace, not
// requests.*, whose quota name requests.<name> is a qualified name.
func extendedResourceName(name string) bool {
	if !strings.Contains(name, "/") || strings.Contains(name, corev1.ResourceDefaultNamespacePrefix) || strings.HasPrefix(name, corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+name)) == 0
}

// selectors checks a list of device selectors (validateSelectorSlice).
func (c *checker) selectors(sels []resourcev1.DeviceSelector, p *field.Path) {
	if len(sels) > resourcev1.DeviceSelectorsMaxSize {
		c.add(field.TooMany(p, len(sels), resourcev1.DeviceSelectorsMaxSize), "use at most 32 selectors; join conditions with && in one expression")
		return
	}
	for i, s := range sels {
		sp := p.Index(i)
		if s.CEL == nil {
			c.add(field.Required(sp.Child("cel"), ""), celSelectHint)
			continue
		}
		c.celSelector(s.CEL.Expression, sp.Child("cel", "expression"))
	}
}

// draCompilers holds the DRA CEL compiler per feature set: the package
// keeps only the last one it built, and envs of several kubeVersions
// would rebuild it in turn.
var (
	draCompilersMu sync.Mutex
	draCompilers   = map[dracel.Features]interface {
		CompileCELExpression(string, dracel.Options) dracel.CompilationResult
	}{}
)

func draCompiler(f dracel.Features) interface {
	CompileCELExpression(string, dracel.Options) dracel.CompilationResult
} {
	draCompilersMu.Lock()
	defer draCompilersMu.Unlock()
	if c, ok := draCompilers[f]; ok {
		return c
	}
	c := dracel.GetCompiler(f)
	draCompilers[f] = c
	return c
}

// celSelector compiles a selector's expression as validateCELExpression
// does for a new one: at most 10 KiB, compiled in the DRA environment
// the API server's gates give (device.allowMultipleAllocations from
// 1.36, DRAConsumableCapacity; list-valued attributes are alpha), to a
// bool, within the cost limit of a selector.
func (c *checker) celSelector(expr string, p *field.Path) {
	if len(expr) > resourcev1.CELSelectorExpressionMaxLength {
		c.add(field.TooLong(p, "", resourcev1.CELSelectorExpressionMaxLength), "a selector's expression is at most 10 KiB: split it, or select on fewer attributes")
		return
	}
	envType := environment.NewExpressions
	res := draCompiler(dracel.Features{EnableConsumableCapacity: c.on("DRAConsumableCapacity")}).
		CompileCELExpression(expr, dracel.Options{EnvType: &envType})
	if res.Error != nil {
		switch res.Error.Type {
		case apiservercel.ErrorTypeInvalid:
			c.add(field.Invalid(p, expr, res.Error.Detail), celSelectHint)
		case apiservercel.ErrorTypeRequired:
			c.add(field.Required(p, res.Error.Detail), celSelectHint)
		}
		// An internal error is kiln's environment's, not the manifest's.
		return
	}
	if res.MaxCost > resourcev1.CELSelectorExpressionMaxCost {
		c.add(field.Forbidden(p, "too complex, exceeds cost limit"),
			"the API server estimates the worst-case cost of a selector over a device with every attribute; compare fewer strings, or avoid loops (all, exists, map) over attributes")
	}
}

// opaqueConfig checks an opaque device configuration (validateDeviceConfiguration):
// given, with a driver name and parameters that are a JSON object of at
// most 10 KiB.
func (c *checker) opaqueConfig(o *resourcev1.OpaqueDeviceConfiguration, p *field.Path) {
	if o == nil {
		c.add(field.Required(p.Child("opaque"), ""), "give the configuration as opaque: {driver: <driver name>, parameters: {...}}")
		return
	}
	op := p.Child("opaque")
	c.draDriver(o.Driver, op.Child("driver"))
	pp := op.Child("parameters")
	const hint = "parameters are the driver's configuration object, such as {apiVersion: gpu.example.com/v1, kind: GPUConfig, ...}"
	raw := o.Parameters.Raw
	var v any
	switch {
	case len(raw) == 0:
		c.add(field.Required(pp, ""), hint)
	case len(raw) > resourcev1.OpaqueParametersMaxLength:
		c.add(field.TooLong(pp, "", resourcev1.OpaqueParametersMaxLength), "a configuration's parameters hold at most 10 KiB")
	case json.Unmarshal(raw, &v) != nil:
		c.add(field.Invalid(pp, "<value omitted>", "error parsing data as JSON"), hint)
	case v == nil:
		c.add(field.Required(pp, ""), hint)
	default:
		if _, ok := v.(map[string]any); !ok {
			c.add(field.Invalid(pp, "<value omitted>", "must be a valid JSON object"), hint)
		}
	}
}

// draDriver checks a DRA driver's name, checked as a CSI driver's is:
// at most 63 characters, a DNS subdomain in any case.
func (c *checker) draDriver(name string, p *field.Path) {
	const hint = "name the DRA driver as its ResourceSlices do, such as gpu.example.com"
	if name == "" {
		c.add(field.Required(p, ""), hint)
		return
	}
	if len(name) > 63 {
		c.add(field.TooLong(p, "", 63), hint)
	}
	for _, msg := range validation.IsDNS1123Subdomain(strings.ToLower(name)) {
		c.add(field.Invalid(p, name, msg), hint)
	}
}

// deviceClaim checks a claim's devices (validateDeviceClaim): at most 32
// requests, each named once by a DNS label, with exactly one of exactly
// and firstAvailable; constraints and configurations naming requests of
// the claim. flat says a v1beta1 claim, whose exact request's fields are
// the request's own.
func (c *checker) deviceClaim(d *resourcev1.DeviceClaim, p *field.Path, flat bool) {
	rp := p.Child("requests")
	names := map[string]map[string]bool{}
	if len(d.Requests) > resourcev1.DeviceRequestsMaxSize {
		c.add(field.TooMany(rp, len(d.Requests), resourcev1.DeviceRequestsMaxSize), "a claim has at most 32 requests")
	} else {
		for i := range d.Requests {
			r := &d.Requests[i]
			ip := rp.Index(i)
			c.requestName(r.Name, ip.Child("name"))
			if _, dup := names[r.Name]; dup {
				c.add(field.Duplicate(ip, r.Name), requestHint)
			}
			subs := map[string]bool{}
			for _, s := range r.FirstAvailable {
				subs[s.Name] = true
			}
			names[r.Name] = subs
			c.deviceRequest(r, ip, flat)
		}
	}
	cp := p.Child("constraints")
	if len(d.Constraints) > resourcev1.DeviceConstraintsMaxSize {
		c.add(field.TooMany(cp, len(d.Constraints), resourcev1.DeviceConstraintsMaxSize), "a claim has at most 32 constraints")
	} else {
		for i, con := range d.Constraints {
			ip := cp.Index(i)
			c.requestRefs(con.Requests, ip.Child("requests"), names)
			switch {
			case con.MatchAttribute != nil:
				c.fullyQualifiedName(string(*con.MatchAttribute), ip.Child("matchAttribute"))
			case con.DistinctAttribute != nil:
				c.fullyQualifiedName(string(*con.DistinctAttribute), ip.Child("distinctAttribute"))
			case c.on("DRAConsumableCapacity"):
				c.add(field.Required(ip, `exactly one of "matchAttribute" or "distinctAttribute" is required, but multiple fields are set`),
					"a constraint has a matchAttribute (the same value on every device) or a distinctAttribute (a different one on each)")
			default:
				c.add(field.Required(ip.Child("matchAttribute"), ""),
					"a constraint has a matchAttribute: the fully qualified attribute (domain/name) every device of its requests must share")
			}
		}
	}
	fp := p.Child("config")
	if len(d.Config) > resourcev1.DeviceConfigMaxSize {
		c.add(field.TooMany(fp, len(d.Config), resourcev1.DeviceConfigMaxSize), "a claim has at most 32 configurations")
	} else {
		for i, cfg := range d.Config {
			c.requestRefs(cfg.Requests, fp.Index(i).Child("requests"), names)
			c.opaqueConfig(cfg.Opaque, fp.Index(i))
		}
	}
}

// requestName checks the name of a request or subrequest: a DNS label.
func (c *checker) requestName(name string, p *field.Path) {
	for _, msg := range validation.IsDNS1123Label(name) {
		c.add(field.Invalid(p, name, msg), requestHint)
	}
}

// requestRefs checks the requests a constraint or configuration names
// (validateRequestNameRef): each once, a request of the claim or
// <request>/<subrequest> of one of its firstAvailable.
func (c *checker) requestRefs(refs []string, p *field.Path, names map[string]map[string]bool) {
	if len(refs) > resourcev1.DeviceRequestsMaxSize {
		c.add(field.TooMany(p, len(refs), resourcev1.DeviceRequestsMaxSize), "name at most 32 requests")
		return
	}
	const msg = "must be the name of a request in the claim or the name of a request and a subrequest separated by '/'"
	const hint = "name a request of spec.devices.requests, or <request>/<subrequest> for one of its firstAvailable; leave requests out for all"
	seen := map[string]bool{}
	for i, ref := range refs {
		ip := p.Index(i)
		segments := strings.Split(ref, "/")
		if len(segments) > 2 {
			c.add(field.Invalid(ip, ref, msg), hint)
			continue
		}
		for _, s := range segments {
			c.requestName(s, ip)
		}
		subs, found := names[segments[0]]
		if !found || len(segments) == 2 && !subs[segments[1]] {
			c.add(field.Invalid(ip, ref, msg), hint)
		}
		if seen[ref] {
			c.add(field.Duplicate(ip, ref), "name each request once")
		}
		seen[ref] = true
	}
}

// deviceRequest checks one request (validateDeviceRequest).
func (c *checker) deviceRequest(r *resourcev1.DeviceRequest, p *field.Path, flat bool) {
	const oneOf = "a request asks for devices of one class (exactly: {deviceClassName: ...}) or for the first of several alternatives that can be allocated (firstAvailable: [...]), not both"
	hasFirst, hasExact := len(r.FirstAvailable) > 0, r.Exactly != nil
	switch {
	case !hasFirst && !hasExact:
		hint := oneOf
		if flat {
			hint = "a v1beta1 request names its deviceClassName, or lists firstAvailable alternatives"
		}
		c.add(field.Required(p, "exactly one of `exactly` or `firstAvailable` is required"), hint)
	case hasFirst && hasExact:
		c.add(field.Invalid(p, nil, "exactly one of `exactly` or `firstAvailable` is required, but multiple fields are set"), oneOf)
	case hasFirst:
		fp := p.Child("firstAvailable")
		if len(r.FirstAvailable) > resourcev1.FirstAvailableDeviceRequestMaxSize {
			c.add(field.TooMany(fp, len(r.FirstAvailable), resourcev1.FirstAvailableDeviceRequestMaxSize), "list at most 8 alternatives")
			return
		}
		seen := map[string]bool{}
		for i := range r.FirstAvailable {
			s := &r.FirstAvailable[i]
			sp := fp.Index(i)
			c.requestName(s.Name, sp.Child("name"))
			if seen[s.Name] {
				c.add(field.Duplicate(sp, s.Name), "give each alternative its own name")
			}
			seen[s.Name] = true
			c.exactRequest(s.DeviceClassName, s.Selectors, s.AllocationMode, s.Count, s.Tolerations, sp, true)
		}
	default:
		ep := p.Child("exactly")
		if flat {
			ep = p
		}
		e := r.Exactly
		c.exactRequest(e.DeviceClassName, e.Selectors, e.AllocationMode, e.Count, e.Tolerations, ep, !flat || e.DeviceClassName != "")
	}
}

// exactRequest checks what a request of one class and a subrequest share
// (validateExactDeviceRequest, validateDeviceSubRequest): a class, its
// selectors, the allocation mode (after the defaults, when defaulted:
// ExactCount, and a count of 1 for ExactCount) and, from 1.36
// (DRADeviceTaints), tolerations.
func (c *checker) exactRequest(class string, sels []resourcev1.DeviceSelector, mode resourcev1.DeviceAllocationMode, count int64,
	tols []resourcev1.DeviceToleration, p *field.Path, defaulted bool) {
	cp := p.Child("deviceClassName")
	const classHint = "name the DeviceClass the devices are of, such as gpu.example.com (its metadata.name)"
	if class == "" {
		c.add(field.Required(cp, ""), classHint)
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(class) {
			c.add(field.Invalid(cp, class, msg), classHint)
		}
	}
	c.selectors(sels, p.Child("selectors"))
	if defaulted {
		if mode == "" {
			mode = resourcev1.DeviceAllocationModeExactCount
		}
		if mode == resourcev1.DeviceAllocationModeExactCount && count == 0 {
			count = 1
		}
	}
	switch mode {
	case resourcev1.DeviceAllocationModeAll:
		if count != 0 {
			c.add(field.Invalid(p.Child("count"), count, fmt.Sprintf("must not be specified when allocationMode is '%s'", mode)),
				"allocationMode All takes every matching device: remove count, or use allocationMode ExactCount")
		}
	case resourcev1.DeviceAllocationModeExactCount:
		if count <= 0 {
			c.add(field.Invalid(p.Child("count"), count, "must be greater than zero"), "ask for 1 device or more, or leave count out for 1")
		}
	case "":
		c.add(field.NotSupported(p.Child("allocationMode"), mode, []resourcev1.DeviceAllocationMode{resourcev1.DeviceAllocationModeAll, resourcev1.DeviceAllocationModeExactCount}),
			"set allocationMode ExactCount (with a count) or All, with a deviceClassName")
	}
	if !c.on("DRADeviceTaints") {
		return
	}
	for i, t := range tols {
		tp := p.Child("tolerations").Index(i)
		if t.Key != "" {
			for _, msg := range validation.IsQualifiedName(t.Key) {
				c.add(field.Invalid(tp.Child("key"), t.Key, msg), "a toleration's key is a taint's key, a label name such as example.com/unhealthy")
			}
		}
		switch t.Operator {
		case resourcev1.DeviceTolerationOpExists:
			if t.Value != "" {
				c.add(field.Invalid(tp.Child("value"), t.Value, "must be empty for operator `Exists`"), "remove value, or use operator Equal")
			}
		case resourcev1.DeviceTolerationOpEqual, "":
			// "" is defaulted to Equal.
			for _, msg := range validation.IsValidLabelValue(t.Value) {
				c.add(field.Invalid(tp.Child("value"), t.Value, msg), "a toleration's value is a label value: at most 63 letters, digits, '-', '_' or '.'")
			}
		}
	}
}

// fullyQualifiedName checks a constraint's attribute
// (validateFullyQualifiedName): <domain>/<name>, the domain a driver's
// name and the name a C identifier of at most 32 characters.
func (c *checker) fullyQualifiedName(name string, p *field.Path) {
	const hint = "name the attribute with its domain, such as gpu.example.com/model (a DNS subdomain, '/', and a C identifier of at most 32 characters)"
	parts := strings.Split(name, "/")
	switch len(parts) {
	case 1:
		c.cIdentifier(parts[0], p, hint)
	case 2:
		if parts[0] == "" {
			c.add(field.Invalid(p, "", "the domain must not be empty"), hint)
		} else {
			c.draDriver(parts[0], p)
			// From 1.37 the declarative format (+k8s:beta) checks the
			// domain as written too, where validateDriverName lowercases it.
			if c.since(1, 37) && len(validation.IsDNS1123Subdomain(strings.ToLower(parts[0]))) == 0 {
				for _, msg := range validation.IsDNS1123Subdomain(parts[0]) {
					c.add(field.Invalid(p, parts[0], "prefix: "+msg), hint)
				}
			}
		}
		if parts[1] == "" {
			c.add(field.Invalid(p, "", "the name must not be empty"), hint)
		} else {
			c.cIdentifier(parts[1], p, hint)
		}
	}
	// More than one slash: neither validateQualifiedName nor its
	// declarative twin refuses it (Kubernetes leaves that open in both), so
	// neither does kiln.
	if !strings.Contains(name, "/") {
		c.add(field.Invalid(p, name, "a fully qualified name must be a domain and a name separated by a slash"), hint)
	}
}

func (c *checker) cIdentifier(id string, p *field.Path, hint string) {
	if len(id) > resourcev1.DeviceMaxIDLength {
		c.add(field.TooLong(p, "", resourcev1.DeviceMaxIDLength), hint)
	}
	for _, msg := range validation.IsCIdentifier(id) {
		c.add(field.Invalid(p, id, msg), hint)
	}
}
