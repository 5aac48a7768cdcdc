package helm

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/templates"
)

// TestEndlessIndexIsRefused: a chart repository that streams an index.yaml
// without end (no Content-Length) ends in an error naming the URL and the
// limit, after limits.Download bytes, not in an out-of-memory crash.
func TestEndlessIndexIsRefused(t *testing.T) {
	t.Parallel()
	chunk := []byte("# " + strings.Repeat("x", 1<<16-3) + "\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for sent := 0; sent <= limits.Download+len(chunk); sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	_, err := New(Options{CacheDir: t.TempDir()}).Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: srv.URL, ChartVersion: "1.0.0"})
	if !errors.Is(err, limits.ErrLimit) || !strings.Contains(err.Error(), srv.URL+"/index.yaml: the download size exceeds kiln's limit of 128 MiB") {
		t.Fatalf("got %v, want a download limit error naming the index URL", err)
	}
}

// TestHugeContentLengthIsRefused: a declared size beyond the limit is
// refused before the body is read.
func TestHugeContentLengthIsRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "999999999999")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	_, err := httpGet(srv.URL, srv.URL+"/index.yaml")
	if !errors.Is(err, limits.ErrLimit) {
		t.Fatalf("got %v, want ErrLimit", err)
	}
}
