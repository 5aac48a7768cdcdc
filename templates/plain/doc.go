// Package plain renders kiln's `yaml:` apps: a folder of plain Kubernetes
// YAML with Flux-style ${VAR} placeholders.
//
// Every *.yaml and *.yml file below the folder is read in sorted path
// order, substituted from the environment's vars (package envsubst) and
// split into objects that remember their file and line. It does no
// templating beyond ${VAR} and ignores kustomization files: kiln writes
// its own. A SOPS-encrypted document is never substituted: it passes
// through byte for byte, and a placeholder in it is an error, since its MAC
// covers every value. Start with Engine.Render.
package plain
