// Package sandbox renders with a template engine in a worker child
// process that has a hard memory cap and can be killed, so that an
// untrusted Helm chart or Jsonnet file can neither exhaust kiln's memory
// nor run on after its render was cancelled.
//
// The worker is kiln's own executable, run again: Serve, called first
// thing in main (and in TestMain of every test binary that renders through
// a Pool), turns the process into a worker when its environment says so
// and returns at once otherwise. A Pool keeps up to Options.Workers
// workers, reuses them across renders, kills one when its render's context
// ends and replaces one that died. Start with Pool and Serve.
package sandbox
