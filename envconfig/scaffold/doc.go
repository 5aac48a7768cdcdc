// Package scaffold finds what kiln can render in an existing repository —
// Helm charts, kustomizations, Jsonnet entry points and folders of plain
// Kubernetes YAML — and writes a kiln.yaml that names them, for kiln init.
//
// It reads files only below the root it is given, renders nothing and
// decides by the files' shape alone: Scan returns what it found and what it
// left out with the reason, Result.YAML the kiln.yaml. The rules (nested
// charts, bases and overlays, imported Jsonnet files) are in docs/init.md.
package scaffold
