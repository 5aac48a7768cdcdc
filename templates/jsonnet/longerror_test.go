package jsonnet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/enginetest"
)

// TestLongErrorMessages: `error x` quotes x whole, which may be megabytes;
// kiln shows the first 4 KiB of the message, cut between words, so that
// no part of an encoded secret is left at the cut.
func TestLongErrorMessages(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	src := "error 'values: ' + std.join(' ', std.makeArray(2000, function(i) 'v%d' % i))\n"
	if err := os.WriteFile(filepath.Join(root, "main.jsonnet"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "main.jsonnet"})
	if err == nil {
		t.Fatal("Render() succeeded, want an error")
	}
	msg := strings.SplitN(err.Error(), "\n", 2)[0]
	if !strings.HasPrefix(msg, "main.jsonnet:1: app a: jsonnet error: values: v0 v1 v2 ") || len(msg) > diag.MaxMessage+100 {
		t.Errorf("error %.200q… (%d bytes), want the message's first %d bytes", msg, len(msg), diag.MaxMessage)
	}
	if !strings.HasSuffix(msg, " more bytes of the message)") || !strings.Contains(msg, " … (") {
		t.Errorf("error ends %q, want a cut between words", msg[len(msg)-60:])
	}
}
