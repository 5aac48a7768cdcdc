package tree

import (
	"slices"
	"strings"
)

// BootstrapDir is where `flux bootstrap --path <manifests.path>/flux`
// writes Flux's own manifests (gotk-components.yaml, gotk-sync.yaml) inside
// an env's tree, with Flux in its default namespace. kiln never renders
// them, but replacing the tree must not delete them: Flux would prune
// itself from the cluster.
const BootstrapDir = "flux/flux-system/"

// BootstrapDirs are the folders of an env's tree that Flux's bootstrap may
// have written, slash-terminated and sorted: BootstrapDir, and flux/<ns>/
// for each of namespaces ("" left out), since `flux bootstrap --namespace
// ns` names its folder after its namespace. The namespaces are DNS labels
// (kiln.yaml's flux.namespace and flux.sourceRef.namespace), never paths.
func BootstrapDirs(namespaces ...string) []string {
	dirs := []string{BootstrapDir}
	for _, ns := range namespaces {
		if ns != "" && !strings.ContainsAny(ns, `/\`) && ns != "." && ns != ".." {
			dirs = append(dirs, "flux/"+ns+"/")
		}
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// InBootstrap reports whether p, a slash path in an env's tree (a folder
// slash-terminated), is in one of dirs or is one of them.
func InBootstrap(p string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// FluxFile is the file of an env's tree that holds app's Flux Kustomization.
func FluxFile(app string) string { return "flux/" + app + ".yaml" }

// KeepBootstrap returns files with the files of old, the tree being
// replaced, in dirs (BootstrapDirs) in place of any files has there. It
// never changes its arguments, so that a caller that builds several trees
// from one render (promote's retries) starts from the render every time.
func KeepBootstrap(old, files Files, dirs []string) Files {
	out := make(Files, len(files))
	for p, data := range files {
		if !InBootstrap(p, dirs) {
			out[p] = data
		}
	}
	for p, data := range old {
		if InBootstrap(p, dirs) {
			out[p] = data
		}
	}
	return out
}
