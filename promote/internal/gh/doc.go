// Package gh is kiln's GitHub client: it finds, opens, updates and closes
// the promotion pull request and reads commit statuses, through go-github.
//
// Every request goes through a retrying http.RoundTripper that backs off on
// 5xx, 429 and rate limits (honouring Retry-After and X-RateLimit-Reset),
// bounded by Options; writes that may have been applied are not retried
// blindly but checked first. The token is sent only in the Authorization
// header and never appears in errors or logs. Start with New; tests use
// package ghfake.
package gh
