// Package refcheck holds a test, built only with -tags refcheck, that
// compares kiln's rendered example with the real helm, kustomize and jsonnet
// programs. `make refcheck` installs those programs from the Go module proxy
// and runs it; it is not part of `make test`, which must run offline.
package refcheck
