// Package helm renders an app's Helm chart in process, as
// `helm template <app> <chart> -n <ns> --include-crds --skip-tests` would.
//
// Charts come from a folder or .tgz inside the repository (every file checked
// to stay inside it), an HTTP chart repository or an OCI registry (downloaded
// once into a cache folder). It renders offline: `lookup` finds nothing and DNS
// is off. It does not install, lint or post-render. It uses helm's chart,
// chartutil, engine, releaseutil and registry packages, not pkg/action or
// pkg/repo, which link helm's cluster client (install.go,
// internal/repoindex). Start with New and Engine.Render.
package helm
