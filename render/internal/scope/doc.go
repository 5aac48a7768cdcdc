// Package scope knows which kinds are namespaced and gives namespaced
// objects the app's namespace when they have none.
//
// Built-in kinds come from k8s.io/api's (internal/builtinkinds), those of
// the API server's other groups from kustomize's bundled OpenAPI data,
// custom kinds from the CustomResourceDefinitions the environment renders; a kind known
// to neither counts as namespaced, as kubectl and kustomize assume. It never
// changes a namespace that is set, nor touches cluster-scoped objects. Start
// with New, AddCRDs and SetDefault.
package scope
