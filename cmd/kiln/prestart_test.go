package main

import (
	"io"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestPrestartKnowsCacheFlags: package prestart reads --cache-dir and
// --no-cache (and their variables) from the command line before the CLI
// parses it, to tell a cold render cache; it must read the flags render
// has.
func TestPrestartKnowsCacheFlags(t *testing.T) {
	t.Parallel()
	want := map[string]string{"cache-dir": "KILN_CACHE_DIR", "no-cache": "KILN_NO_CACHE"}
	for _, f := range renderCommand(io.Discard, io.Discard, nil, "dev").Flags {
		names := f.Names()
		env, ok := want[names[0]]
		if !ok {
			continue
		}
		delete(want, names[0])
		var vars []string
		switch f := f.(type) {
		case *cli.StringFlag:
			vars = f.EnvVars
		case *cli.BoolFlag:
			vars = f.EnvVars
		}
		if len(names) != 1 || !slices.Equal(vars, []string{env}) {
			t.Errorf("render's --%s has names %q and variables %q; package prestart reads --%s and %s only", names[0], names, vars, names[0], env)
		}
	}
	for name := range want {
		t.Errorf("render has no --%s, which package prestart reads", name)
	}
}
