package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestManifestsGitattributesChangeNothingKilnCommits: a .gitattributes of
// the manifests repository applies to every git add in kiln's clone.
// working-tree-encoding makes git re-encode the UTF-8 kiln wrote as if it
// were UTF-16 (every YAML file committed as garbage, which Flux then fails
// to apply), ident rewrites "$Id: …$" to "$Id$", text eol=crlf would turn
// a CRLF kiln wrote into LF. What kiln commits must be what it rendered,
// byte for byte (kiln verify compares exactly that), and a rerun must find
// nothing to promote.
func TestManifestsGitattributesChangeNothingKilnCommits(t *testing.T) {
	t.Parallel()
	for name, attrs := range map[string]map[string]string{
		// git add fails, or commits garbage when the bytes happen to pair.
		"working-tree-encoding": {".gitattributes": "*.yaml working-tree-encoding=UTF-16LE\n"},
		// Silent: the annotation below is committed as "$Id$".
		"ident": {"clusters/.gitattributes": "*.yaml ident\n"},
		"all at once": {
			".gitattributes":          "*.yaml text eol=crlf ident working-tree-encoding=UTF-16LE\n*.json ident filter=lfs diff=lfs merge=lfs\n",
			"clusters/.gitattributes": "* text=auto\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testAttributes(t, attrs)
		})
	}
}

func testAttributes(t *testing.T, attrs map[string]string) {
	f := newFixture(t)
	gittest.Update(t, f.remote, "main", attrs, nil, "attributes")
	svc := strings.Replace(project("")["apps/web/service.yaml"], "  name: web\n", "  name: web\n  annotations:\n    acme.example/rev: \"$Id: keep-me $\"\n", 1)
	f.commitCode(t, map[string]string{"apps/web/service.yaml": svc}, "rev annotation")

	var log bytes.Buffer
	res, err := promote(t, f, f.opts(t, "dev", &log))
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !res.Changed || res.Commit == "" {
		t.Fatalf("nothing promoted: %+v", res)
	}

	rendered := renderDev(t, f, f.opts(t, "dev", nil).Render)
	committed := gittest.Files(t, f.remote, "main")
	for name, want := range rendered.Files {
		got, ok := committed["clusters/dev/"+name]
		if !ok {
			t.Errorf("clusters/dev/%s was not committed", name)
			continue
		}
		if got != string(want) {
			t.Errorf("clusters/dev/%s was committed other than rendered:\n got %q\nwant %q", name, got, want)
		}
	}
	if !strings.Contains(committed["clusters/dev/apps/web/service_web.yaml"], "$Id: keep-me $") {
		t.Errorf("the annotation lost its value:\n%s", committed["clusters/dev/apps/web/service_web.yaml"])
	}

	log.Reset()
	again, err := promote(t, f, f.opts(t, "dev", &log))
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, log.String())
	}
	if again.Changed || again.Commit != "" {
		t.Errorf("rerun promoted again: %+v\n%s", again, log.String())
	}
}
