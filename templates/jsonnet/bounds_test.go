package jsonnet_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/jsonnet"
)

// TestEndlessEvaluationStopsWithContext: an evaluation that never ends
// (go-jsonnet has no interrupt) returns the context's error when the
// context ends, instead of hanging kiln.
func TestEndlessEvaluationStopsWithContext(t *testing.T) {
	root := t.TempDir()
	// 2^60 calls, 60 frames deep: endless, in constant memory.
	src := "local f(n) = if n == 0 then 1 else f(n - 1) + f(n - 1);\nf(60)\n"
	if err := os.WriteFile(filepath.Join(root, "main.jsonnet"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	_, err := jsonnet.New(jsonnet.Options{}).Render(ctx, &templates.Request{Root: root, App: "a", Path: "main.jsonnet"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
