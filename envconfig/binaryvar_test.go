package envconfig

import (
	"strings"
	"testing"
)

// TestBinaryVarIsAnError: a var is text for ${VAR} and Jsonnet's vars, and
// docs/config-schema.md says "!!binary where kiln expects text is an
// error": LOG_LEVEL: !!binary ZGVidWc= rendered as "ZGVidWc=", not "debug".
func TestBinaryVarIsAnError(t *testing.T) {
	t.Parallel()
	_, err := ParseEnvFile([]byte("vars:\n  LOG_LEVEL: !!binary ZGVidWc=\n"), "envs/dev.yaml")
	const want = "envs/dev.yaml:2: vars.LOG_LEVEL: a !!binary value"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error = %v, want prefix %q", err, want)
	}
}
