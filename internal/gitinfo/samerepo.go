package gitinfo

import (
	"net/url"
	"slices"
	"strings"
)

// SameRepo reports whether a and b, remote URLs as Info.Repo gives them,
// may name one repository: the last two parts of their paths (owner and
// name: "acme/shop") are the same, in any case, with or without ".git" or
// a trailing slash, whatever the host and scheme. A remote is spelt in
// many ways for one repository (https or ssh, scp-like git@host:path, an
// ssh config alias such as github.com-work, GitHub's ssh.github.com:443,
// an insteadOf shorthand such as gh:acme/shop, a path or its file:// URL,
// the path of a work tree's .git folder, Azure DevOps' _git/ over https),
// and git records the spelling as written; a difference of host alone is
// far more often one of those than another repository. Two empty URLs are
// the same; an empty and a named one are not.
func SameRepo(a, b string) bool {
	return repoKey(a) == repoKey(b)
}

// repoKey is the last two parts of a remote URL's path, lower-cased.
func repoKey(s string) string {
	s = strings.TrimSpace(s)
	path := s
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		path = u.Path
		if u.Opaque != "" {
			path = u.Opaque // gh:acme/shop
		}
	} else if at, rest, ok := strings.Cut(s, ":"); ok && !strings.Contains(at, "/") {
		path = rest // scp-like: [user@]host:path
	}
	path = strings.ToLower(strings.Trim(path, "/"))
	// A clone of a work tree's git folder (/srv/git/shop/.git).
	path = strings.TrimSuffix(strings.TrimSuffix(path, "/.git"), ".git")
	parts := strings.Split(path, "/")
	// Azure DevOps spells one repository org/project/_git/name over
	// https and v3/org/project/name over ssh: the project and the name.
	parts = slices.DeleteFunc(parts, func(p string) bool { return p == "_git" })
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}
