package envconfig

import (
	"strings"
)

// branchProblem says why name is not a branch git would create (the rules
// of `git check-ref-format --branch`, for refs/heads/<name>), or "" when it
// is one. kiln pushes to the branch and opens pull requests against it: a
// name git refuses would fail only then, after the render.
func branchProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case name == "@":
		return `it is "@"`
	case name == "HEAD":
		return "HEAD is not a branch"
	case strings.HasPrefix(name, "-"):
		return `it starts with "-"`
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return "it has an empty path component (a leading, trailing or double /)"
	case strings.HasSuffix(name, "."):
		return `it ends with "."`
	case strings.Contains(name, ".."):
		return `it contains ".."`
	case strings.Contains(name, "@{"):
		return `it contains "@{"`
	}
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f:
			return "it contains a control character"
		case strings.ContainsRune(" ~^:?*[\\", r):
			return "it contains " + quoteRune(r)
		}
	}
	for _, c := range strings.Split(name, "/") {
		switch {
		case strings.HasPrefix(c, "."):
			return "a path component starts with \".\""
		case strings.HasSuffix(c, ".lock"):
			return "a path component ends with \".lock\""
		}
	}
	return ""
}

func quoteRune(r rune) string {
	if r == ' ' {
		return "a space"
	}
	return `"` + string(r) + `"`
}
