package jsonnet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	if !strings.HasPrefix(msg, "main.jsonnet:1: app a: jsonnet error: values: v0 v1 v2 ") || len(msg) > maxMsg+100 {
		t.Errorf("error %.200q… (%d bytes), want the message's first %d bytes", msg, len(msg), maxMsg)
	}
	if !strings.HasSuffix(msg, " more bytes of the message)") || !strings.Contains(msg, " … (") {
		t.Errorf("error ends %q, want a cut between words", msg[len(msg)-60:])
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{name: "short", in: "abc def", want: "abc def"},
		{name: "between words", in: "abc def ghi", want: "abc def… (4 more bytes of the message)"},
		{name: "inside a word", in: "abc d3Zm/+== x", want: "abc … (10 more bytes of the message)"},
		{name: "one word", in: strings.Repeat("x", 20), want: "… (20 more bytes of the message)"},
		{name: "inside a rune", in: "ab: ééééé", want: "ab: … (10 more bytes of the message)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, cut(tc.in, 7)); diff != "" {
				t.Errorf("cut (-want +got):\n%s", diff)
			}
		})
	}
}
