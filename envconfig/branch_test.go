package envconfig

import "testing"

// TestBranchProblem: the names git check-ref-format --branch refuses, and
// a few it takes.
func TestBranchProblem(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"main":           "",
		"release/v1.2":   "",
		"env-prod_2":     "",
		"a.b":            "",
		"":               "it is empty",
		"@":              `it is "@"`,
		"HEAD":           "HEAD is not a branch",
		"-main":          `it starts with "-"`,
		"/main":          "it has an empty path component (a leading, trailing or double /)",
		"main/":          "it has an empty path component (a leading, trailing or double /)",
		"a//b":           "it has an empty path component (a leading, trailing or double /)",
		"main.":          `it ends with "."`,
		"a..b":           `it contains ".."`,
		"a@{1}":          `it contains "@{"`,
		"a\tb":           "it contains a control character",
		"a\x7fb":         "it contains a control character",
		"a b":            "it contains a space",
		"a~1":            `it contains "~"`,
		"a^":             `it contains "^"`,
		"a:b":            `it contains ":"`,
		"a?":             `it contains "?"`,
		"a*":             `it contains "*"`,
		"a[b":            `it contains "["`,
		`a\b`:            `it contains "\"`,
		".hidden":        `a path component starts with "."`,
		"release/.x":     `a path component starts with "."`,
		"main.lock":      `a path component ends with ".lock"`,
		"release.lock/x": `a path component ends with ".lock"`,
	} {
		if got := branchProblem(name); got != want {
			t.Errorf("branchProblem(%q) = %q, want %q", name, got, want)
		}
	}
}
