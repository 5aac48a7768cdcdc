package apirules

import (
	"strings"
	"testing"

	resourcev1 "k8s.io/api/resource/v1"
	resourcev1beta1 "k8s.io/api/resource/v1beta1"
	resourcev1beta2 "k8s.io/api/resource/v1beta2"
	"k8s.io/apimachinery/pkg/runtime"
)

// deviceClass is a DeviceClass document selecting by expression (a YAML
// scalar), with one more line of spec when not "".
func deviceClass(expression, more string) string {
	if more != "" {
		more = "\n  " + more
	}
	return "spec:\n  selectors:\n  - cel: {expression: " + expression + "}" + more
}

// claimTemplate is the Kubernetes documentation's ResourceClaimTemplate
// (concepts/scheduling-eviction/dynamic-resource-allocation) with its
// request's exactly (flow mapping entries) and more lines of the claim's
// devices (indented as its requests).
func claimTemplate(exactly, more string) string {
	if more != "" {
		more = "\n      " + more
	}
	return "spec:\n  spec:\n    devices:\n      requests:\n      - name: req-0\n        exactly: {" + exactly + "}" + more
}

const docExactly = `deviceClassName: example-device-class, allocationMode: ExactCount, count: 2, selectors: [{cel: {expression: 'device.attributes["driver.example.com"].type == "gpu" && device.capacity["driver.example.com"].memory == quantity("64Gi")'}}]`

// TestDeviceKinds: DeviceClasses, ResourceClaims and ResourceClaimTemplates
// (resource.k8s.io v1, v1beta2, v1beta1) as the API server checks them on
// create.
func TestDeviceKinds(t *testing.T) {
	t.Parallel()
	class := func() runtime.Object { return &resourcev1.DeviceClass{} }
	template := func() runtime.Object { return &resourcev1.ResourceClaimTemplate{} }
	claim := func() runtime.Object { return &resourcev1.ResourceClaim{} }
	nested := strings.Repeat("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(x, ", 7) + "int('1'.find('[0-9]*')) < 100" + strings.Repeat(")", 7)
	checkRows(t, []row{
		{"device class", class, deviceClass(`'device.driver == "driver.example.com"'`, ""), "", ""},
		{"device class with a binding", class, deviceClass(`'cel.bind(dra, device.attributes["dra.example.com"], dra.model == "a100" && dra.count > 1)'`, ""), "", ""},
		{"device class comparing versions", class, deviceClass(`'device.attributes["driver.example.com"].driverVersion.isGreaterThan(semver("1.0.0"))'`, ""), "", ""},
		{"device class without selectors", class, "spec: {}", "", ""},
		{"device class selector syntax", class, deviceClass(`'device.driver = "driver.example.com"'`, ""),
			"", `spec.selectors[0].cel.expression: Invalid value: "device.driver = \"driver.example.com\"": compilation failed: ERROR: <input>:1:15: Syntax error`},
		{"device class selector of an object", class, deviceClass(`'object.spec.driver == "driver.example.com"'`, ""),
			"", `spec.selectors[0].cel.expression: Invalid value: "object.spec.driver == \"driver.example.com\"": compilation failed: ERROR: <input>:1:1: undeclared reference to 'object'`},
		{"device class selector not a bool", class, deviceClass(`'device.driver'`, ""),
			"", `spec.selectors[0].cel.expression: Invalid value: "device.driver": must evaluate to bool or the unknown type, not string`},
		{"device class selector too costly", class, deviceClass(`"`+nested+`"`, ""),
			"", "spec.selectors[0].cel.expression: Forbidden: too complex, exceeds cost limit"},
		{"device class selector too long", class, deviceClass(`'`+strings.Repeat("true && ", 1300)+`true'`, ""),
			"", "spec.selectors[0].cel.expression: Too long: may not be more than 10240 bytes"},
		{"device class selector without cel", class, "spec:\n  selectors: [{}]", "", "spec.selectors[0].cel: Required value"},
		{"device class multiple allocations 1.36", class, deviceClass(`'device.allowMultipleAllocations'`, ""), "1.36.0", ""},
		{"device class multiple allocations 1.35", class, deviceClass(`'device.allowMultipleAllocations'`, ""), "1.35.0",
			`spec.selectors[0].cel.expression: Invalid value: "device.allowMultipleAllocations": compilation failed: ERROR: <input>:1:7: undefined field 'allowMultipleAllocations'`},
		{"device class config", class, deviceClass(`'true'`, "config: [{opaque: {driver: driver.example.com, parameters: {apiVersion: driver.example.com/v1, kind: Config}}}]"), "", ""},
		{"device class config not an object", class, deviceClass(`'true'`, "config: [{opaque: {driver: driver.example.com, parameters: [a]}}]"),
			"", `spec.config[0].opaque.parameters: Invalid value: "<value omitted>": must be a valid JSON object`},
		{"device class config of no driver", class, deviceClass(`'true'`, "config: [{opaque: {driver: Driver_Example, parameters: {a: b}}}]"),
			"", `spec.config[0].opaque.driver: Invalid value: "Driver_Example": a lowercase RFC 1123 subdomain`},
		{"device class config without opaque", class, deviceClass(`'true'`, "config: [{}]"), "", "spec.config[0].opaque: Required value"},
		{"device class extended resource", class, deviceClass(`'true'`, "extendedResourceName: example.com/gpu"), "", ""},
		{"device class native resource 1.37", class, deviceClass(`'true'`, "extendedResourceName: kubernetes.io/gpu"), "1.37.0",
			`spec.extendedResourceName: Invalid value: "kubernetes.io/gpu": must be a valid extended resource name`},
		{"device class native resource 1.35", class, deviceClass(`'true'`, "extendedResourceName: gpu"), "1.35.0", ""},
		{"device class v1beta2 selector", func() runtime.Object { return &resourcev1beta2.DeviceClass{} }, deviceClass(`'device.driver ==='`, ""),
			"", `spec.selectors[0].cel.expression: Invalid value: "device.driver ===": compilation failed`},
		{"device class v1beta1 selector", func() runtime.Object { return &resourcev1beta1.DeviceClass{} }, deviceClass(`'device.drivers == "a"'`, ""),
			"", `compilation failed: ERROR: <input>:1:7: undefined field 'drivers'`},

		{"claim template", template, claimTemplate(docExactly, ""), "", ""},
		{"claim template request name", template, strings.Replace(claimTemplate(docExactly, ""), "req-0", "Req_0", 1),
			"", `spec.spec.devices.requests[0].name: Invalid value: "Req_0": a lowercase RFC 1123 label`},
		{"claim template request twice", template, claimTemplate(docExactly, "- {name: req-0, exactly: {deviceClassName: b}}"),
			"", `spec.spec.devices.requests[1]: Duplicate value: "req-0"`},
		{"claim template request of nothing", template, claimTemplate(docExactly, "- {name: req-1}"),
			"", "spec.spec.devices.requests[1]: Required value: exactly one of `exactly` or `firstAvailable` is required"},
		{"claim template request of both", template, claimTemplate(docExactly, "  firstAvailable: [{name: a, deviceClassName: b}]"),
			"", "spec.spec.devices.requests[0]: Invalid value: null: exactly one of `exactly` or `firstAvailable` is required, but multiple fields are set"},
		{"claim template selector", template, claimTemplate(`deviceClassName: example-device-class, selectors: [{cel: {expression: 'device.attributes["driver.example.com"].type = "gpu"'}}]`, ""),
			"", `spec.spec.devices.requests[0].exactly.selectors[0].cel.expression: Invalid value:`},
		{"claim template class name", template, claimTemplate("deviceClassName: Example_Class", ""),
			"", `spec.spec.devices.requests[0].exactly.deviceClassName: Invalid value: "Example_Class": a lowercase RFC 1123 subdomain`},
		{"claim template count of all", template, claimTemplate("deviceClassName: c, allocationMode: All, count: 2", ""),
			"", "spec.spec.devices.requests[0].exactly.count: Invalid value: 2: must not be specified when allocationMode is 'All'"},
		{"claim template negative count", template, claimTemplate("deviceClassName: c, count: -1", ""),
			"", "spec.spec.devices.requests[0].exactly.count: Invalid value: -1: must be greater than zero"},
		{"claim template count 0 defaulted", template, claimTemplate("deviceClassName: c, count: 0", ""), "", ""},
		{"claim template first available", template, "spec:\n  spec:\n    devices:\n      requests:\n      - name: gpu\n        firstAvailable: [{name: big, deviceClassName: big-gpu}, {name: small, deviceClassName: small-gpu, count: 2}]\n" +
			"      constraints: [{requests: [gpu/big], matchAttribute: dra.example.com/model}]\n      config: [{requests: [gpu], opaque: {driver: dra.example.com, parameters: {a: b}}}]", "", ""},
		{"claim template alternatives twice", template, "spec:\n  spec:\n    devices:\n      requests:\n      - name: gpu\n        firstAvailable: [{name: big, deviceClassName: big-gpu}, {name: big, deviceClassName: small-gpu}]",
			"", `spec.spec.devices.requests[0].firstAvailable[1]: Duplicate value: "big"`},
		{"claim template constraint of no request", template, claimTemplate(docExactly, "constraints: [{requests: [req-1], matchAttribute: dra.example.com/model}]"),
			"", `spec.spec.devices.constraints[0].requests[0]: Invalid value: "req-1": must be the name of a request in the claim`},
		{"claim template constraint of no subrequest", template, claimTemplate(docExactly, "constraints: [{requests: [req-0/big], matchAttribute: dra.example.com/model}]"),
			"", `spec.spec.devices.constraints[0].requests[0]: Invalid value: "req-0/big": must be the name of a request in the claim`},
		{"claim template constraint without domain", template, claimTemplate(docExactly, "constraints: [{matchAttribute: model}]"),
			"", `spec.spec.devices.constraints[0].matchAttribute: Invalid value: "model": a fully qualified name must be a domain and a name separated by a slash`},
		// Neither validateQualifiedName nor its declarative twin refuses a
		// second slash (Kubernetes leaves that open in both).
		{"claim template constraint of two slashes", template, claimTemplate(docExactly, "constraints: [{matchAttribute: dra.example.com/a/b}]"), "", ""},
		// From 1.37 the declarative +k8s:beta format reads the domain as
		// written; the hand-written check lowercased it.
		{"claim template constraint with an upper-case domain", template, claimTemplate(docExactly, "constraints: [{matchAttribute: Dra.example.com/model}]"),
			"", `spec.spec.devices.constraints[0].matchAttribute: Invalid value: "Dra.example.com": prefix: a lowercase RFC 1123 subdomain`},
		{"claim template constraint with an upper-case domain at 1.36", template, claimTemplate(docExactly, "constraints: [{distinctAttribute: Dra.example.com/model}]"), "1.36.0", ""},
		{"claim template constraint without attribute", template, claimTemplate(docExactly, "constraints: [{requests: [req-0]}]"),
			"", "spec.spec.devices.constraints[0]: Required value: exactly one of \"matchAttribute\" or \"distinctAttribute\" is required"},
		{"claim template constraint without attribute 1.35", template, claimTemplate(docExactly, "constraints: [{requests: [req-0]}]"), "1.35.0",
			"spec.spec.devices.constraints[0].matchAttribute: Required value"},
		{"claim template config of no request", template, claimTemplate(docExactly, "config: [{requests: [gpu], opaque: {driver: dra.example.com, parameters: {a: b}}}]"),
			"", `spec.spec.devices.config[0].requests[0]: Invalid value: "gpu": must be the name of a request in the claim`},
		{"claim template toleration", template, claimTemplate("deviceClassName: c, tolerations: [{key: dra.example.com/unhealthy, operator: Exists, effect: NoExecute}]", ""), "", ""},
		{"claim template toleration with value 1.37", template, claimTemplate("deviceClassName: c, tolerations: [{key: dra.example.com/unhealthy, operator: Exists, value: 'true'}]", ""), "1.37.0",
			"spec.spec.devices.requests[0].exactly.tolerations[0].value: Invalid value: \"true\": must be empty for operator `Exists`"},
		{"claim template toleration with value 1.35", template, claimTemplate("deviceClassName: c, tolerations: [{key: dra.example.com/unhealthy, operator: Exists, value: 'true'}]", ""), "1.35.0", ""},
		{"claim template claim name", template, "spec:\n  metadata: {name: my-claim, labels: {app: a}}\n  spec: {devices: {requests: [{name: a, exactly: {deviceClassName: c}}]}}",
			"", "spec.metadata.name: Forbidden: cannot be set"},
		{"claim", claim, "spec:\n  devices:\n    requests:\n    - {name: gpu, exactly: {deviceClassName: gpu.example.com}}", "", ""},
		{"claim request name", claim, "spec:\n  devices:\n    requests:\n    - {name: GPU, exactly: {deviceClassName: gpu.example.com}}", "",
			`spec.devices.requests[0].name: Invalid value: "GPU": a lowercase RFC 1123 label`},
		{"claim v1beta2 selector", func() runtime.Object { return &resourcev1beta2.ResourceClaim{} }, "spec:\n  devices:\n    requests:\n    - {name: gpu, exactly: {deviceClassName: c, selectors: [{cel: {expression: 'device.driver'}}]}}", "",
			`spec.devices.requests[0].exactly.selectors[0].cel.expression: Invalid value: "device.driver": must evaluate to bool`},
		{"claim v1beta1", func() runtime.Object { return &resourcev1beta1.ResourceClaim{} }, "spec:\n  devices:\n    requests:\n    - {name: gpu, deviceClassName: c, selectors: [{cel: {expression: 'device.driver == \"a\"'}}]}", "", ""},
		{"claim v1beta1 selector", func() runtime.Object { return &resourcev1beta1.ResourceClaim{} }, "spec:\n  devices:\n    requests:\n    - {name: gpu, deviceClassName: c, selectors: [{cel: {expression: 'device.driver'}}]}", "",
			`spec.devices.requests[0].selectors[0].cel.expression: Invalid value: "device.driver": must evaluate to bool`},
		{"claim v1beta1 without class", func() runtime.Object { return &resourcev1beta1.ResourceClaim{} }, "spec:\n  devices:\n    requests:\n    - {name: gpu}", "",
			"spec.devices.requests[0]: Required value: exactly one of `exactly` or `firstAvailable` is required"},
		{"claim v1beta1 with both", func() runtime.Object { return &resourcev1beta1.ResourceClaim{} }, "spec:\n  devices:\n    requests:\n    - {name: gpu, deviceClassName: c, firstAvailable: [{name: a, deviceClassName: c}]}", "",
			"but multiple fields are set"},
		{"claim template v1beta1 first available", func() runtime.Object { return &resourcev1beta1.ResourceClaimTemplate{} },
			"spec:\n  spec:\n    devices:\n      requests:\n      - {name: gpu, firstAvailable: [{name: a, deviceClassName: c}, {name: b, deviceClassName: Bad_Class}]}", "",
			`spec.spec.devices.requests[0].firstAvailable[1].deviceClassName: Invalid value: "Bad_Class"`},
	})
}
