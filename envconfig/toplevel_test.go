package envconfig

import (
	"strings"
	"testing"
)

// TestTopLevelNotAMapping: a file that is a list or a single value said
// "envs/dev.yaml:1: : expected a mapping", naming an empty key.
func TestTopLevelNotAMapping(t *testing.T) {
	t.Parallel()
	_, err := ParseEnvFile([]byte("- vars\n"), "envs/dev.yaml")
	const want = "envs/dev.yaml:1: the file must be a mapping of keys, got a list"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("env file: error = %v, want prefix %q", err, want)
	}
	_, err = Parse([]byte("hello\n"), "kiln.yaml", t.TempDir())
	const wantK = `kiln.yaml:1: the file must be a mapping of keys, got a string ("hello")`
	if err == nil || !strings.HasPrefix(err.Error(), wantK) {
		t.Errorf("kiln.yaml: error = %v, want prefix %q", err, wantK)
	}
}
