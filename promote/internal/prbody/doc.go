// Package prbody writes the Markdown description of a kiln promotion pull
// request: the env and source commit, a table of the env's apps with their
// object and image changes, the lock's given images that changed, the
// changed files no diff shows, the dependency graph, and a collapsible
// diff per changed app.
//
// The body never exceeds Limit bytes: when it would, the largest diffs are
// left out first, each replaced by a note, and the top says so. It does not
// redact; callers pass trees whose secret values are already masked. Start
// with Render.
package prbody
