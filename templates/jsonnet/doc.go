// Package jsonnet renders kiln's `jsonnet:` apps with the go-jsonnet VM, in
// process.
//
// The main file gets the ext vars env, vars and images (or the same as
// top-level arguments when it is a function); its output is flattened to
// Kubernetes objects the way Tanka does. Imports are resolved by an
// importer that reads only inside the repository and records every file
// it read. It never runs the jsonnet command and registers no native functions.
// Start with Engine.Render.
package jsonnet
