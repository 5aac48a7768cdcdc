// Package gh is kiln's GitHub client: it finds, opens, updates and closes
// the promotion pull request and reads commit statuses, through go-github.
//
// Every request goes through a retrying http.RoundTripper that backs off on
// 5xx, 429 and rate limits (honouring Retry-After and X-RateLimit-Reset),
// bounded by Options and by a caller's deadline (WithRetryDeadline: no
// pause that would end past it is started); writes that may have been
// applied are not retried blindly but checked first. Opening a pull request
// from a head GitHub does not know yet (a 422 "head invalid" just after the
// push) is asked again with the same backoff. The token is sent only in the
// Authorization header and never appears in errors or logs. Start with New;
// tests use package ghfake.
package gh
