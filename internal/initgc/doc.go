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
// Go initializes packages in import-path order as soon as their imports
// are, so this package, which imports only runtime/debug, runs before
// nearly all of them (about 1.5 MiB is allocated before it). The main
// package, initialized after everything it imports, calls Done in its
// init, so tests of package main get the collector back too. Nothing else
// may import it, but the tests of package sandbox, whose binary is its own
// workers' program and calls Done as kiln's main does.
package initgc
