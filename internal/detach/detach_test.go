package detach

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestRun(t *testing.T) {
	t.Parallel()
	onPanic := func(p any) error { return fmt.Errorf("panicked: %v", p) }
	if v, err := Run(context.Background(), func() (int, error) { return 7, nil }, onPanic); v != 7 || err != nil {
		t.Errorf("Run = %d, %v", v, err)
	}
	if _, err := Run(context.Background(), func() (int, error) { panic("boom") }, onPanic); err == nil || err.Error() != "panicked: boom" {
		t.Errorf("panic: %v", err)
	}
	// Work that never returns by itself: Run returns at ctx's end.
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	defer close(block)
	cancel()
	if _, err := Run(ctx, func() (int, error) { <-block; return 0, nil }, onPanic); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v", err)
	}
}
