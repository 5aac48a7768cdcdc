// Package refcheck holds tests, built only with -tags refcheck, that
// compare kiln's rendered output with the real helm, kustomize and jsonnet
// programs. `make refcheck` installs those programs from the Go module proxy
// and runs them; it is not part of `make test`, which must run offline.
//
// TestProjectsAgainstPrograms runs the same comparison on projects outside
// this repository, each app alone, when KILN_REFCHECK_PROJECTS lists their
// roots (folders holding a kiln.yaml, separated as PATH is):
//
//	KILN_REFCHECK_PROJECTS=~/src/charts:~/src/manifests \
//	  go test -tags refcheck -run TestProjectsAgainstPrograms -v ./internal/refcheck
//
// with the programs first in PATH. An app that passes renders as the
// program does; one that fails differs (the diff says how) or renders
// where the program fails; a skipped one says why it cannot be compared.
package refcheck
