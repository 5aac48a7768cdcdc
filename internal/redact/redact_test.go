package redact

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedactor(t *testing.T) {
	t.Parallel()
	r := New(map[string]string{"DB_PASSWORD": "hunter2hunter2", "SHORT": "on", "API": "hunter2"})
	tests := []struct {
		name, in, want string
		found          []string
	}{
		{name: "longest value first", in: "pw=hunter2hunter2 api=hunter2", want: "pw=**redacted** api=**redacted**", found: []string{"API", "DB_PASSWORD"}},
		{name: "short values are left alone", in: "enabled: on", want: "enabled: on"},
		{name: "nothing to hide", in: "replicas: 3", want: "replicas: 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := string(r.Bytes([]byte(tt.in))); got != tt.want {
				t.Errorf("Bytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if diff := cmp.Diff(tt.found, r.Found(tt.in)); diff != "" {
				t.Errorf("Found (-want +got):\n%s", diff)
			}
		})
	}
	var nilR *Redactor
	if nilR.String("x") != "x" || nilR.Found("x") != nil {
		t.Error("a nil Redactor must pass text through")
	}
}
