//go:build !linux

package tree

// exchange has no atomic form here: Commit falls back to two renames,
// which recover completes after a kill.
func exchange(a, b string) error { return errNoExchange }
