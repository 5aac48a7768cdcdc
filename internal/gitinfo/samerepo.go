package gitinfo

import (
	"net/url"
	"strings"
)

// SameRepo reports whether a and b, remote URLs as Info.Repo gives them,
// name one repository however each is spelt: over https or ssh (scp-like
// git@host:owner/name too), with or without ".git", a trailing slash or a
// port, in any case (GitHub's and GitLab's names are case-insensitive).
// Two empty URLs are the same; an empty and a named one are not.
func SameRepo(a, b string) bool {
	return repoKey(a) == repoKey(b)
}

// repoKey is a remote URL reduced to "host/path", lower-cased.
func repoKey(s string) string {
	s = strings.TrimSpace(s)
	host, path := "", s
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		host, path = u.Hostname(), u.Path
	} else if at, rest, ok := strings.Cut(s, ":"); ok && !strings.Contains(at, "/") {
		// scp-like: [user@]host:path
		if i := strings.LastIndexByte(at, '@'); i >= 0 {
			at = at[i+1:]
		}
		host, path = at, rest
	}
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(path, ".git")
	return strings.ToLower(host + "/" + path)
}
