// Package patch applies an environment's patches to an app's rendered
// objects, with kustomize's semantics and kustomize's own filters.
//
// A patch whose text is a list is a JSON6902 patch and needs a target; any
// other patch is a strategic merge patch, which selects its object by its
// own apiVersion, kind and name when it has no target. Patches run before
// the app's namespace is set. Start with Apply.
package patch
