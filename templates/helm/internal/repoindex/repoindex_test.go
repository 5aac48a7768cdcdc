package repoindex

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/repo"
)

// Test code may link pkg/repo: the binary does not. Every case is checked
// against it, so that kiln picks the chart version helm would.

var indexes = map[string]string{
	"typical": `apiVersion: v1
generated: "2024-05-01T10:00:00Z"
entries:
  hello:
    - name: hello
      version: 0.1.0
      urls: [charts/hello-0.1.0.tgz]
      digest: aaaa
      created: "2024-05-01T10:00:00Z"
    - name: hello
      version: 0.3.0-rc.1
      urls: [https://cdn.example.com/hello-0.3.0-rc.1.tgz]
    - name: hello
      version: 0.2.0
      apiVersion: v2
      urls: [hello-0.2.0.tgz]
    - name: hello
      version: 0.1.1
      urls: [hello-0.1.1.tgz]
      checksum: old
      engine: gotpl
      tillerVersion: ">=2.0.0"
      url: hello-0.1.1.tgz
    - name: hello
      version: not-semver
      urls: [hello-x.tgz]
    - name: hello
      version: 1.0.0
      urls: [hello-1.0.0.tgz]
  bad:
    - version: 1.0.0
      urls: [nameless.tgz]
    -
    - name: bad
      version: 1.0.0
      urls: [bad-1.0.0.tgz]
      dependencies:
        - name: a
          version: 1.0.0
        - name: a
          version: 1.0.0
  empty: []
serverInfo:
  contextPath: /x
annotations:
  team: platform
`,
	"json":           `{"apiVersion":"v1","entries":{"hello":[{"name":"hello","version":"1.2.3","urls":["a.tgz"],"unknown":1},{"name":"hello","version":"1.10.0","urls":["b.tgz"]}]},"extra":true}`,
	"empty":          ``,
	"no-api-version": "entries:\n  hello:\n    - name: hello\n      version: 1.0.0\n",
	"unknown-field":  "apiVersion: v1\nentries: {}\nsurprise: 1\n",
	"bad-time":       "apiVersion: v1\ngenerated: yesterday\nentries: {}\n",
	"not-yaml":       "apiVersion: [\n",
	"metadata-only":  "apiVersion: v1\nentries:\n  x:\n    - urls: [x.tgz]\n",
}

func TestLoadMatchesHelm(t *testing.T) {
	dir := t.TempDir()
	for name, data := range indexes {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".yaml")
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			want, wantErr := repo.LoadIndexFile(p)
			got, gotErr := Load([]byte(data), p)
			if diff := cmp.Diff(errText(wantErr), errText(gotErr)); diff != "" {
				t.Fatalf("error (-helm +kiln):\n%s", diff)
			}
			if wantErr != nil {
				return
			}
			if diff := cmp.Diff(mustJSON(t, want), mustJSON(t, got)); diff != "" {
				t.Errorf("index (-helm +kiln):\n%s", diff)
			}
			names := []string{"missing"}
			for n := range want.Entries {
				names = append(names, n)
			}
			for _, n := range names {
				for _, c := range []string{"", "*", "0.1.0", "0.1.1", "^0.1", "~0.2.0", ">=0.3.0-0", "1.0.0", ">1.0.0", "not-semver", "no way", "1.2.3", ">=1.2.0"} {
					w, werr := want.Get(n, c)
					g, gerr := got.Get(n, c)
					wv, gv := "<nil>", "<nil>"
					if w != nil {
						wv = w.Version
					}
					if g != nil {
						gv = g.Version
					}
					if errText(werr) != errText(gerr) || wv != gv {
						t.Errorf("Get(%q, %q): helm %q %v, kiln %q %v", n, c, wv, werr, gv, gerr)
					}
				}
			}
		})
	}
}

func TestResolveReferenceURLMatchesHelm(t *testing.T) {
	for _, c := range [][2]string{
		{"https://charts.example.com", "charts/a-1.0.0.tgz"},
		{"https://charts.example.com/", "a-1.0.0.tgz"},
		{"https://charts.example.com/sub/path", "a-1.0.0.tgz"},
		{"https://charts.example.com/sub?token=x", "a-1.0.0.tgz"},
		{"https://charts.example.com/sub", "/abs/a.tgz"},
		{"https://charts.example.com/sub", "../up/a.tgz"},
		{"https://charts.example.com/sub%2Fenc", "a.tgz"},
		{"https://charts.example.com", "https://cdn.example.com/a.tgz"},
		{"https://charts.example.com", "%zz"},
		{"%zz", "a.tgz"},
		{"https://bot:s3#cret@charts.example.com/x", "a.tgz"},
		{"https://bot:s3cret@charts.example.com:x/", "a.tgz"},
	} {
		want, wantErr := repo.ResolveReferenceURL(c[0], c[1])
		got, gotErr := ResolveReferenceURL(c[0], c[1])
		// The same result, and an error where helm has one; kiln's names
		// the URL without its user part and query, and the problem
		// without url.Parse's quote of the whole URL.
		if want != got || (wantErr == nil) != (gotErr == nil) {
			t.Errorf("ResolveReferenceURL(%q, %q): helm %q %v, kiln %q %v", c[0], c[1], want, wantErr, got, gotErr)
		}
		if gotErr != nil && (!strings.HasPrefix(gotErr.Error(), "failed to parse ") || strings.Contains(gotErr.Error(), "s3")) {
			t.Errorf("ResolveReferenceURL(%q, %q): error %q", c[0], c[1], gotErr)
		}
	}
}

// TestResolveReferenceURLKeepsQueryOnItsHost: where kiln differs from
// helm. A reference with a host of its own, written without a scheme,
// gets the repository's scheme, as in helm, but not its query: a signed
// URL's query is its credential, for the repository's host only.
func TestResolveReferenceURLKeepsQueryOnItsHost(t *testing.T) {
	const base = "https://bot:pw@charts.example.com/sub?sig=s3cr3t"
	for _, c := range [][2]string{
		{"//cdn.example.com/a.tgz", "https://cdn.example.com/a.tgz"},
		{"//cdn.example.com/a.tgz?v=1", "https://cdn.example.com/a.tgz?v=1"},
		{"//bot:pw@cdn.example.com/a.tgz", "https://bot:pw@cdn.example.com/a.tgz"},
		{"//charts.example.com/a.tgz", "https://charts.example.com/a.tgz?sig=s3cr3t"},
		{"//CHARTS.example.com/a.tgz", "https://CHARTS.example.com/a.tgz?sig=s3cr3t"},
		{"//charts.example.com:8443/a.tgz", "https://charts.example.com:8443/a.tgz"},
		{"a.tgz", "https://bot:pw@charts.example.com/sub/a.tgz?sig=s3cr3t"},
	} {
		got, err := ResolveReferenceURL(base, c[0])
		if err != nil || got != c[1] {
			t.Errorf("ResolveReferenceURL(%q, %q) = %q, %v; want %q", base, c[0], got, err, c[1])
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
