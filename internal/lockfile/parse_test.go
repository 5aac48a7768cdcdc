package lockfile

import (
	"strings"
	"testing"
)

// TestParseRefusesWhatKilnNeverWrites: a lock is read from the manifests
// repository, where a hand edit may give it an app named with a megabyte
// or a source URL as long, which went whole into the pull request body and
// messages. Parse refuses a name kiln.yaml does not allow and a text
// longer than kiln writes, quoting at most the start of it.
func TestParseRefusesWhatKilnNeverWrites(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("a", 1<<20)
	for _, tc := range []struct{ name, lock, want string }{
		{"huge app", `{"env":"dev","apps":{"` + huge + `":{}}}`, `its apps hold "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"… (1048576 bytes), which is not an app name`},
		{"app not a label", `{"env":"dev","apps":{"Web/../x":{}}}`, `its apps hold "Web/../x", which is not an app name`},
		{"app of 64", `{"env":"dev","apps":{"` + strings.Repeat("a", 64) + `":{}}}`, "which is not an app name"},
		{"env", `{"env":"` + huge + `","apps":{}}`, "its env \"aaaa"},
		{"repo", `{"env":"dev","source":{"repo":"https://github.com/acme/` + huge + `"},"apps":{}}`, "its source has a repository or commit of 1048600 bytes"},
		{"commit", `{"env":"dev","source":{"commit":"` + huge + `"},"apps":{}}`, "its source has a repository or commit of 1048576 bytes"},
		{"image", `{"env":"dev","images":{"ghcr.io/acme/web":"ghcr.io/acme/web:` + huge + `"},"apps":{}}`, "its images hold a reference of"},
		{"app image", `{"env":"dev","apps":{"web":{"images":["` + huge + `"]}}}`, "its app web has a text of 1048576 bytes"},
		{"app engine", `{"env":"dev","apps":{"web":{"engine":"` + huge + `"}}}`, "its app web has a text of"},
		{"kept source", `{"env":"dev","apps":{"web":{"source":{"repo":"` + huge + `"}}}}`, "its app web's source has a repository"},
		{"kiln version", `{"kilnVersion":"` + huge + `","env":"dev","apps":{}}`, "its kilnVersion is 1048576 bytes long"},
	} {
		_, err := Parse([]byte(tc.lock))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %.200v, want it to say %q", tc.name, err, tc.want)
		}
		if err != nil && len(err.Error()) > 300 {
			t.Errorf("%s: an error of %d bytes", tc.name, len(err.Error()))
		}
	}
	// What kiln writes still parses: names of 63, a lock without env.
	for _, ok := range []string{`{"env":"dev","apps":{"` + strings.Repeat("a", 63) + `":{"engine":"helm"},"a-1":{}}}`, `{"kilnVersion":"test"}`} {
		if _, err := Parse([]byte(ok)); err != nil {
			t.Errorf("%.80s: %v", ok, err)
		}
	}
}
