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

func TestURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://x-access-token:ghp_secret@github.com/acme/x.git": "https://github.com/acme/x.git",
		"https://ghp_secret@github.com/acme/x.git":                "https://github.com/acme/x.git",
		"http://user:pw@example.com/r":                            "http://example.com/r",
		"ssh://git@github.com/acme/x.git":                         "ssh://github.com/acme/x.git",
		"https://github.com/acme/x.git":                           "https://github.com/acme/x.git",
		"https://tok@exa mple.com/%zz":                            "https://exa mple.com/%zz",
		"git@github.com:acme/x.git":                               "git@github.com:acme/x.git",
		"/srv/git/x":                                              "/srv/git/x",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
