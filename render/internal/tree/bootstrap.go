package tree

import "strings"

// BootstrapDir is where `flux bootstrap --path <manifests.path>/flux`
// writes Flux's own manifests (gotk-components.yaml, gotk-sync.yaml) inside
// an env's tree. kiln never renders them, but replacing the tree must not
// delete them: Flux would prune itself from the cluster.
const BootstrapDir = "flux/flux-system/"

// FluxFile is the file of an env's tree that holds app's Flux Kustomization.
func FluxFile(app string) string { return "flux/" + app + ".yaml" }

// KeepBootstrap returns files with the BootstrapDir files of old, the tree
// being replaced, in place of any files has there. It never changes its
// arguments, so that a caller that builds several trees from one render
// (promote's retries) starts from the render every time.
func KeepBootstrap(old, files Files) Files {
	out := make(Files, len(files))
	for p, data := range files {
		if !strings.HasPrefix(p, BootstrapDir) {
			out[p] = data
		}
	}
	for p, data := range old {
		if strings.HasPrefix(p, BootstrapDir) {
			out[p] = data
		}
	}
	return out
}
