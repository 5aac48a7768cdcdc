// Package validate decodes every object of a built-in Kubernetes kind
// strictly into its Go type, so that a misspelt field, a duplicate field or
// a value of the wrong type is an error naming the file, line, app, object
// and field, before anything reaches a cluster.
//
// Kinds client-go knows, apiextensions.k8s.io/v1 CustomResourceDefinitions
// and Flux's kinds (kustomize, helm, source and notification toolkit
// groups, every version the pinned API modules define) are checked; other
// custom resources pass unchecked. It checks
// structure only, not semantics (no required fields, no defaulting, no
// admission). Start with Objects.
package validate
