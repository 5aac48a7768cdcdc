// Package kustomize renders a Kustomize overlay in process, as
// `kustomize build` would, confined to the repository root.
//
// The Engine runs sigs.k8s.io/kustomize/api/krusty with plugins off, load
// restrictions root-only and a read-only file system that refuses anything
// resolving outside the repository (internal/securefs). Before building it
// walks the kustomization tree and refuses remote bases and files, helmCharts
// and paths that leave the repository, so kustomize never runs git or helm
// nor touches the network. It does not apply kiln's env patches, image tags
// or namespaces: package render does. Start with New and Engine.Render.
package kustomize
