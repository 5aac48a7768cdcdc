// Package treediff compares two versions of an environment's output tree
// (slash path → bytes, relative to the env folder) file by file and prints
// unified diffs of the changes.
//
// It knows kiln's layout only to name the app and the Kubernetes object of a
// change; it neither reads the disk nor redacts (callers pass redacted trees).
// Start with Trees, then Unified for each Change and Count for a per-app
// summary. The line diff is github.com/aymanbagabas/go-udiff (gopls' diff
// package as a module), so equal inputs always give equal output.
package treediff
