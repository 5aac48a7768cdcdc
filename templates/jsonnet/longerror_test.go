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

// TestLongOutputPathIsCut: an error in the output names where, as a path
// of its keys, which the template computes: a key of 100,000 characters
// made an error line of 100 KB, and a key made of a secret var showed it.
// The message is masked and cut as an evaluation error's is.
func TestLongOutputPathIsCut(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	const value = `correct horse "battery" staple`
	for _, tc := range []struct{ src, want, not string }{
		{src: "[{[std.repeat('k', 100000)]: 5}]\n", want: " more bytes of the message)"},
		{src: "[{[std.extVar('vars').PW]: 5}]\n", want: "redacted", not: "horse"},
		{src: "[{[std.repeat('k ', 3000) + std.extVar('vars').PW]: 5}]\n", not: "horse"},
	} {
		if err := os.WriteFile(filepath.Join(root, "main.jsonnet"), []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "main.jsonnet",
			Vars: map[string]string{"PW": value}, SecretVars: map[string]bool{"PW": true}})
		if err == nil {
			t.Fatalf("%s: Render() succeeded, want an error", tc.src)
		}
		msg := strings.SplitN(err.Error(), "\n", 2)[0]
		if len(msg) > diag.MaxMessage+200 || !strings.Contains(msg, tc.want) || tc.not != "" && strings.Contains(err.Error(), tc.not) {
			t.Errorf("%s: error %.300q… (%d bytes), want at most about %d bytes holding %q", tc.src, msg, len(msg), diag.MaxMessage, tc.want)
		}
	}
}
