// Package render turns a kiln.yaml pipeline into each environment's hydrated
// output tree, in memory.
//
// For every enabled app of an env it runs the app's engine (package
// templates), then, in this order, the env's patches, the CI image tags, the
// app's namespace on namespaced objects that have none, and validation; it
// checks the env's dependency graph and objects across apps, and lays out
// apps/, flux/, high-level/ and kiln.lock.json. Rendering never writes into
// the checkout: WriteEnv swaps a finished tree into the output folder.
// Start with New and Renderer.Render.
package render
