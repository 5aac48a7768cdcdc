// Package enginetest holds what the engines' tests share: symlink-free test
// roots (engines require one; macOS's temp folder is behind a symlink) and a
// reviewer-readable dump of a templates.Result for golden files. It is
// imported only by tests.
package enginetest

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/templates"
)

// Root returns the absolute, symlink-free path of dir.
func Root(t testing.TB, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// TempDir returns a new, symlink-free temporary folder.
func TempDir(t testing.TB) string {
	t.Helper()
	return Root(t, t.TempDir())
}

// Dump prints a Result for a golden file: inputs, digest, params, then each
// object under a "# file:line" header.
func Dump(t testing.TB, res *templates.Result) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("inputs:\n")
	for _, in := range res.Inputs {
		b.WriteString("  - " + in + "\n")
	}
	b.WriteString("digest: " + res.InputDigest + "\n")
	params, err := json.MarshalIndent(res.Params, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("params: " + string(params) + "\n")
	for _, w := range res.Warnings {
		b.WriteString("warning: " + w.File + ": " + w.Msg + "\n  hint: " + w.Hint + "\n")
	}
	for _, o := range res.Objects {
		b.WriteString("--- # " + o.File + ":" + strconv.Itoa(o.Line) + "\n")
		s, err := o.Node.String()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(s)
	}
	return b.String()
}
