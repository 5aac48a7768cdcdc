package prestart

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWanted(t *testing.T) {
	t.Parallel()
	user, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	warm := map[string]bool{
		filepath.Join(user, "kiln", "renders"): true,
		"/ci/cache/renders":                    true,
	}
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	none := env()
	for _, tc := range []struct {
		args   []string
		lookup func(string) (string, bool)
		want   bool
	}{
		// The default cache folder holds a render cache.
		{[]string{"kiln", "render"}, none, false},
		{[]string{"kiln", "render", "--env", "dev"}, none, false},
		// Cold: another cache folder, from the flag or the variable.
		{[]string{"kiln", "render", "--cache-dir", "/tmp/fresh"}, none, true},
		{[]string{"kiln", "render", "--cache-dir=/tmp/fresh", "--env", "dev"}, none, true},
		{[]string{"kiln", "render", "-cache-dir", "/tmp/fresh"}, none, true},
		{[]string{"kiln", "render"}, env("KILN_CACHE_DIR", "/tmp/fresh"), true},
		{[]string{"kiln", "render", "--cache-dir", "/ci/cache"}, env("KILN_CACHE_DIR", "/tmp/fresh"), false},
		{[]string{"kiln", "render", "--cache-dir", "/tmp/fresh"}, env("KILN_CACHE_DIR", "/ci/cache"), true},
		{[]string{"kiln", "render"}, env("KILN_CACHE_DIR", "/ci/cache"), false},
		// No cache at all.
		{[]string{"kiln", "render", "--no-cache"}, none, true},
		{[]string{"kiln", "render", "--no-cache=true"}, none, true},
		{[]string{"kiln", "render", "--no-cache=false"}, none, false},
		{[]string{"kiln", "render"}, env("KILN_NO_CACHE", "true"), true},
		{[]string{"kiln", "render"}, env("KILN_NO_CACHE", "false"), false},
		{[]string{"kiln", "render", "--no-cache=false"}, env("KILN_NO_CACHE", "true"), false},
		// After --, nothing is a flag.
		{[]string{"kiln", "render", "--", "--no-cache"}, none, false},
		{[]string{"kiln", "render", "--no-cache", "--", "--help"}, none, true},
		// Not a render, help, or a worker.
		{[]string{"kiln", "render", "--no-cache", "--help"}, none, false},
		{[]string{"kiln", "render", "--no-cache", "-h"}, none, false},
		{[]string{"kiln", "render", "--no-cache", "--generate-bash-completion"}, none, false},
		{[]string{"kiln", "render", "--no-cache"}, env("KILN_SANDBOX_WORKER", "v1"), false},
		{[]string{"kiln", "validate", "--no-cache"}, none, false},
		{[]string{"kiln", "version"}, none, false},
		{[]string{"kiln"}, none, false},
		{[]string{"kiln.test", "-test.run=^$"}, none, false},
	} {
		if got := Wanted(tc.args, tc.lookup, func(p string) bool { return warm[p] }); got != tc.want {
			t.Errorf("Wanted(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
