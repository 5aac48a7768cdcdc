// Package immutable finds the updates the API server refuses: a changed
// field that Kubernetes allows to be set only when an object is created,
// such as a Job's pod template, a RoleBinding's roleRef or a Deployment's
// selector. Flux's kustomize-controller applies such an update and fails
// ("field is immutable") on every reconciliation until someone deletes
// the object, unless the object carries the annotation
// kustomize.toolkit.fluxcd.io/force: enabled (or its Kustomization sets
// spec.force), which makes Flux delete and recreate it. kiln compares the
// tree it is about to promote with the one in the manifests repository,
// so a reviewer sees this in the pull request instead of on the cluster.
// It also knows which objects take more with them when deleted (Destroys):
// recreating or pruning a CRD, a Namespace or a claim is no small matter.
package immutable
