// Package promote puts an environment's rendered tree into the GitOps
// manifests repository: as a pull request on the branch kiln/<env> or as a
// commit straight to the manifests branch, and moves a release from one
// environment to the next only once Flux reports the previous one healthy.
//
// It renders with package render (or reads an already rendered tree), talks
// to git through the git program and to GitHub through go-github; it never
// reads flags, environment variables or files outside the repositories it
// is given. Start at Promote; Diff is the read-only preview behind kiln diff;
// Verify re-renders the source commit an env's lock names, in a temporary
// checkout of it, and compares it with the env's folder (kiln verify).
package promote
