// Command kiln renders deployment templates into hydrated Kubernetes
// manifests for Flux and promotes them between environments. The command
// line only parses flags and calls packages render and promote.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() { os.Exit(run()) }

// run is main without the exit, so script tests can call it in process.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal cancels the context, restore the default
		// handling so that a second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	app := newApp(os.Stdout, os.Stderr, os.LookupEnv, version)
	return report(os.Stderr, runApp(ctx, app, os.Args))
}
