package envsubst

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
)

// TestHostileExpressions: a few bytes of placeholders that would make
// Flux's envsubst build gigabytes, match patterns for hours or panic are
// errors at their line, found before the evaluation, and a value never
// shows in them.
func TestHostileExpressions(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", 1<<20) // 1 MiB: an env file holds up to 32
	vars := map[string]string{"BIG": big, "A": "abcdef", "PW": secret, "EMPTY": ""}
	tests := []struct {
		name    string
		in      string
		wantErr string
		limit   bool // the error unwraps to limits.ErrLimit
	}{
		{
			name: "a long value many times",
			in:   "a: x\nb: " + strings.Repeat("${BIG}", 100) + "\n",
			wantErr: `f.yaml:2: substituting "${BIG}": the text that substituting the file's placeholders produces exceeds kiln's limit of 64 MiB` +
				"\n  hint: the values substituted here are far longer than a manifest needs; " + limits.Hint,
			limit: true,
		},
		{
			name: "a replacement that multiplies",
			in:   "b: ${BIG//a/${BIG}}\n",
			wantErr: `f.yaml:1: substituting "${BIG//a/${BIG}}": the text that substituting the file's placeholders produces exceeds kiln's limit of 64 MiB` +
				"\n  hint: the values substituted here are far longer than a manifest needs; " + limits.Hint,
			limit: true,
		},
		{
			name: "an empty pattern matches everywhere",
			in:   "b: ${BIG//${EMPTY}/" + strings.Repeat("x", 80) + "}\n",
			wantErr: `f.yaml:1: substituting "${BIG//${EMPTY}/xxxxxxxxxxxxxxxxxxxxxxxx…}": the text that substituting the file's placeholders produces exceeds kiln's limit of 64 MiB` +
				"\n  hint: the values substituted here are far longer than a manifest needs; " + limits.Hint,
			limit: true,
		},
		{
			name: "a trim of a long value",
			in:   "b: ${BIG##*b}\n",
			wantErr: `f.yaml:1: substituting "${BIG##*b}": the pattern matching of the file's trims (${NAME#p}, ${NAME##p}, ${NAME%p}, ${NAME%%p}) exceeds kiln's limit of 1073741824 steps` +
				"\n  hint: the values substituted here are far longer than a manifest needs; " + limits.Hint,
			limit: true,
		},
		{
			name: "a length that overflows",
			in:   "a: ok\nb: ${A:1:9223372036854775807}\n",
			wantErr: `f.yaml:2: Flux's envsubst fails on the line of "${A:1:9223372036854775807}": its evaluation crashes (kustomize-controller's too)` +
				"\n  hint: give ${NAME:offset:length} an offset and a length that fit the value (a length beyond its end, not one near 2^63)",
		},
		{
			name: "in a quoted scalar",
			in:   "b: \"" + strings.Repeat("${BIG}", 100) + "\"\n",
			wantErr: `f.yaml:1: substituting "${BIG}": the text that substituting the file's placeholders produces exceeds kiln's limit of 64 MiB` +
				"\n  hint: the values substituted here are far longer than a manifest needs; " + limits.Hint,
			limit: true,
		},
		{
			name: "in a flow collection",
			in:   "b: [a, ${BIG//a/${BIG}}]\n",
			wantErr: `f.yaml:1: substituting "${BIG//a/${BIG}}": the text that substituting the file's placeholders produces exceeds kiln's limit of 64 MiB` +
				"\n  hint: the values substituted here are far longer than a manifest needs; " + limits.Hint,
			limit: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			out, _, err := SubstituteYAML([]byte(tc.in), "f.yaml", vars)
			took := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("SubstituteYAML() gave %d bytes, want an error", len(out))
			}
			if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if errors.Is(err, limits.ErrLimit) != tc.limit {
				t.Errorf("errors.Is(err, limits.ErrLimit) = %v, want %v", !tc.limit, tc.limit)
			}
			for _, e := range diag.Flatten(err) {
				var de *diag.Error
				if !errors.As(e, &de) || de.File != "f.yaml" || de.Line == 0 {
					t.Errorf("error %q is not a *diag.Error with file and line", e)
				}
			}
			if strings.Contains(err.Error(), "aaaa") {
				t.Errorf("error shows a value")
			}
			// Each case would take at least 100 MiB or minutes; other
			// tests run beside this one, so the bounds are loose.
			if took > 20*time.Second {
				t.Errorf("took %v", took)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
		})
	}
}

// TestBoundsKeepOrdinaryValues: a value of a few kilobytes (a
// certificate) substituted, trimmed and replaced passes the bounds.
func TestBoundsKeepOrdinaryValues(t *testing.T) {
	t.Parallel()
	cert := strings.Repeat("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 100)
	vars := map[string]string{"CERT": cert, "HOST": "redis.svc"}
	in := "a: ${CERT}\nb: \"${CERT##MII}\"\nc: ${CERT//A/B}\nd: ${CERT%%*QEA}\ne: [\"${HOST}\"]\n"
	out, _, err := SubstituteYAML([]byte(in), "f.yaml", vars)
	if err != nil {
		t.Fatal(err)
	}
	want := "a: " + cert + "\nb: \"" + strings.TrimPrefix(cert, "MII") + "\"\nc: " + strings.ReplaceAll(cert, "A", "B") + "\nd: \ne: [\"redis.svc\"]\n"
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// TestBoundsAddUpNestedDefaults: a default inside a default is evaluated
// into a buffer, copied and passed up, level by level; what that builds
// adds up along the chain. Measured as if each level doubled it, 30
// levels over a 64 KiB value were refused as more than 64 MiB.
func TestBoundsAddUpNestedDefaults(t *testing.T) {
	t.Parallel()
	cert := strings.Repeat("c", 64<<10)
	vars := map[string]string{"CERT": cert}
	in := "a: " + strings.Repeat("${UNSET:=", 30) + "${CERT}" + strings.Repeat("}", 30) + "\n"
	out, _, err := SubstituteYAML([]byte(in), "f.yaml", vars)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a: " + cert + "\n"; string(out) != want {
		t.Errorf("got %d bytes, want the value", len(out))
	}
}
