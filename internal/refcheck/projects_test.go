//go:build refcheck

package refcheck

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render"
)

// TestProjectsAgainstPrograms compares kiln with the programs on projects
// outside this repository: KILN_REFCHECK_PROJECTS lists their roots, each
// holding a kiln.yaml (as `kiln init` writes one), separated as PATH is;
// unset, the test is skipped. Each app is rendered alone, without its
// dependsOn, so that one app kiln refuses does not hide the others. Per
// app the subtest passes (equal), fails (different, with the diff, or the
// program failing where kiln renders), or is skipped with the reason it
// cannot be compared: kiln refuses it (the first line of the error), it has
// env patches, it is a plain-YAML app, or its chart is remote.
// KILN_REFCHECK_CACHE names a render cache to keep between runs (kiln's
// cache keys every input, so a stale entry cannot answer).
func TestProjectsAgainstPrograms(t *testing.T) {
	roots := os.Getenv("KILN_REFCHECK_PROJECTS")
	if roots == "" {
		t.Skip("KILN_REFCHECK_PROJECTS is not set")
	}
	cache := os.Getenv("KILN_REFCHECK_CACHE")
	if cache == "" {
		cache = t.TempDir()
	}
	for _, root := range filepath.SplitList(roots) {
		root, err := filepath.Abs(root)
		if err != nil {
			t.Fatal(err)
		}
		p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
		if err != nil {
			t.Errorf("%s: %v", root, err)
			continue
		}
		for _, app := range p.Apps {
			t.Run(filepath.Base(root)+"/"+app.Name, func(t *testing.T) {
				compareAlone(t, p, app, cache)
			})
		}
	}
}

// compareAlone renders p with app as its only app and compares each env's
// output with the program's.
func compareAlone(t *testing.T, p *envconfig.Pipeline, app envconfig.App, cache string) {
	if app.Engine == envconfig.EngineYAML {
		t.Skip("not comparable: a plain-YAML app has no program")
	}
	if app.Engine == envconfig.EngineHelm && app.Helm.Repo != "" {
		t.Skip("not comparable: a remote chart")
	}
	one := *p
	app.DependsOn = nil
	one.Apps = []envconfig.App{app}
	// The render cache keys an env's output on the pipeline's digest:
	// every one-app pipeline needs its own.
	one.Digest = fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(p.Digest+"\x00"+app.Name)))
	opts := render.DefaultOptions()
	opts.CacheDir = cache
	r, err := render.New(&one, opts)
	if err != nil {
		t.Skipf("not comparable: kiln refuses: %s", firstLine(err))
	}
	// Validate, as `kiln validate` does: it refuses what render writes
	// but differs between two renders (a chart's random password), which
	// no program could be compared with.
	results, err := r.Validate(context.Background(), nil)
	if err != nil {
		t.Skipf("not comparable: kiln refuses: %s", firstLine(err))
	}
	for _, er := range results {
		if er.Err != nil {
			t.Skipf("not comparable: kiln refuses: %s", firstLine(er.Err))
		}
		ef, err := one.LoadEnvFile(er.Env)
		if err != nil {
			t.Fatal(err)
		}
		res, err := one.Resolve(er.Env, ef, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		for _, ra := range res.Apps {
			if len(ra.Patches) > 0 {
				t.Skip("not comparable: env patches, which the program knows nothing of")
			}
			want := reference(t, one.Root, &one, res, ra)
			got := asFluxReads(t, er.Files, ra.Name)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("env %s: kiln differs from the %s program (-program +kiln):\n%s", er.Env, ra.Engine, diff)
			} else {
				t.Logf("env %s: %d objects equal", er.Env, len(got))
			}
		}
	}
}

// firstLine is an error's first line: kiln's errors list every problem,
// and the first one says why an app is refused.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
