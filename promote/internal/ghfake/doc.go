// Package ghfake is an in-process fake of the parts of GitHub's REST API
// that kiln uses — pull requests, issue labels and comments, commit
// statuses — for tests. It answers like GitHub (JSON shapes go-github
// decodes, status codes, the 422 and rate-limit bodies) on a loopback
// httptest server under /api/v3/, as GitHub Enterprise does.
//
// It keeps its state in memory, checks the Authorization header, and can
// inject failures per route (5xx, 429, secondary and primary rate limits,
// slow answers, a request applied but answered with an error, the lag of
// a commit pushed a moment ago: UnknownCommit, StaleCommit). It is not
// a GitHub emulator: branches, commits and permissions are not modelled.
// Start with New, then Inject, SetStatus and PRs.
package ghfake
