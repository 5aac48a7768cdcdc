// Package initgc keeps the garbage collector off while the packages kiln
// links initialize, until the main package calls Done, after which the
// first collection waits until the heap reaches 16 MiB (a sandbox worker
// that renders one small chart then never collects); and, in kiln's own
// process (not its sandbox workers), KeepFloor lets the heap grow to 64 MiB
// before Go's pacing applies, so a render with a small live heap does not
// collect every few MiB; the floor fades out as the live heap grows.
//
// kiln links Helm, client-go, apiextensions-apiserver and kustomize, whose
// package initialization allocates about 8 MiB (schemes, JSON Schema
// drafts compiled by santhosh-tekuri/jsonschema for Helm, OpenAPI formats).
// From its 4 MiB minimum heap the collector ran two cycles over that heap
// and the large data segments while they were built: about a quarter of
// the initialization time of `kiln version`, and of every sandbox
// worker's start. With the collector off until main, it runs once the
// tables are built, if the process lives that long.
//
// Go initializes, among the packages whose imports are initialized, the
// first in import-path order, so this package, which imports only a few
// standard packages, runs before the large ones: 212th of kiln's 434
// package initializations, after 1.1 MiB of the 6.2 MiB they allocate,
// less than the collector's first goal, so nothing is collected before
// it (GODEBUG=inittrace=1,gctrace=1 kiln version). The main
// package, initialized after everything it imports, calls Done in its
// init, so tests of package main get the collector back too. Nothing else
// may import it, but the tests of package sandbox, whose binary is its own
// workers' program and calls Done as kiln's main does.
package initgc
