// Package validate refuses what the API server of the env's kubeVersion
// (and Flux at the pinned versions) would refuse, naming the file, line,
// app, object and field of each problem.
//
// Built-in kinds are decoded strictly into their client-go Go types and
// must be served by kubeVersion (k8s.io/api's prerelease-lifecycle data).
// Custom resources whose CRD is rendered in the env or listed in kiln.yaml,
// and Flux kinds (against the embedded CRDs of the pinned controllers, in
// fluxcrds/), are validated with k8s.io/apiextensions-apiserver as the
// API server's create path does: pruning, defaulting, the OpenAPI schema
// and CEL rules. Object metadata follows apimachinery's rules. Schemas
// compiles each CRD once per content; Schemas.Env gives one env's context
// and Env.Objects checks objects. docs/validation.md has the details.
package validate
