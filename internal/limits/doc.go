// Package limits holds the bounds kiln puts on everything it reads, and the
// few helpers that enforce them where a library would not.
//
// kiln evaluates templates anyone with a pull request can change, in CI jobs
// that hold tokens. Hostile input must end in a clear error naming the
// input, never in a crash, a hang or an out-of-memory kill. The limits are
// generous for real repositories (the largest CRD bundles and charts we know
// of fit with a wide margin) and documented in docs/security.md, "Threat
// model and limits". Start with ReadFile and CheckYAML.
package limits
