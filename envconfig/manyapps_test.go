package envconfig

import (
	"fmt"
	"strings"
	"testing"
)

// TestUnknownOverrideManyApps: the hint of an override naming no app of
// kiln.yaml listed every app, so with 10,000 apps each typo printed a
// line of 100 KB. It lists the first few and says how many more.
func TestUnknownOverrideManyApps(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "  - {name: app%05d, namespace: web, yaml: deploy}\n", i)
	}
	p, err := Parse([]byte(b.String()), "kiln.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ef, err := ParseEnvFile([]byte("apps:\n  app00001: {enabled: false}\n  apx00002: {enabled: false}\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Resolve("dev", ef, nil)
	if err == nil {
		t.Fatal("no error for an override of no app")
	}
	msg := err.Error()
	if !strings.Contains(msg, `envs/dev.yaml:3: app "apx00002": no such app in kiln.yaml (did you mean "app00002"?)`) ||
		!strings.Contains(msg, "app00000, app00001,") || !strings.Contains(msg, "and 9990 more") {
		t.Errorf("error = %.2000s, want the typo, the closest app and a short list", msg)
	}
	if len(msg) > 1000 {
		t.Errorf("error is %d bytes long: %.500s…", len(msg), msg)
	}
}
