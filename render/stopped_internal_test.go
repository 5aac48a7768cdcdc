package render

import (
	"context"
	"errors"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// TestStoppedInNamesTheEnv: a render stopped by --timeout or a signal
// names the env, and the apps when their engines or checks were stopped;
// stopped in the env's own steps after every app's, it named nothing.
func TestStoppedInNamesTheEnv(t *testing.T) {
	t.Parallel()
	ctxErr := context.DeadlineExceeded
	for _, tc := range []struct {
		name string
		er   *EnvResult
		want string
	}{
		{"env steps", &EnvResult{Env: "dev"}, "env dev: stopped after its apps were checked: context deadline exceeded"},
		{"an engine", &EnvResult{Env: "dev", Err: &diag.Error{App: "web", Err: ctxErr}}, "env dev: stopped while rendering app web: context deadline exceeded"},
		{"checks", &EnvResult{Env: "dev", Err: diag.Join(validate.Stopped("b", ctxErr), validate.Stopped("a", ctxErr))}, "env dev: stopped while validating apps a, b: context deadline exceeded"},
		{"no env", nil, "context deadline exceeded"},
	} {
		err := stoppedIn(tc.er, ctxErr)
		if err.Error() != tc.want || !errors.Is(err, ctxErr) {
			t.Errorf("%s: stoppedIn() = %q, want %q wrapping the context's error", tc.name, err, tc.want)
		}
	}
}
