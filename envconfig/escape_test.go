package envconfig

import (
	"strings"
	"testing"
)

// TestUnknownEscapeHint: a regular expression in double quotes in an env
// file's values ("^v\d+$") is a YAML error at its line whose hint names the
// backslash, not indentation or a missing colon.
func TestUnknownEscapeHint(t *testing.T) {
	t.Parallel()
	_, err := ParseEnvFile([]byte("apps:\n  web:\n    values:\n      match: \"^v\\d+$\"\n"), "envs/dev.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "envs/dev.yaml:4: invalid YAML: found unknown escape character") {
		t.Fatalf("error = %v, want one at envs/dev.yaml:4 naming the escape", err)
	}
	if !strings.Contains(err.Error(), "hint: in double quotes a backslash starts an escape") {
		t.Errorf("error = %v, want the hint about the backslash", err)
	}
}
