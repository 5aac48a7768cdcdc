//go:build refcheck

package refcheck

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

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
// cannot be compared: kiln refuses it (the first line of the error; a
// jsonnet app whose evaluation kiln refuses fails unless the program
// fails too, where a false refusal used to pass as a skip), it has
// env patches, its chart is remote, or it is a plain-YAML app whose files
// hold what only Flux's postBuild substitution replaces. A plain-YAML app
// is compared with kustomize's build of the folder as kustomize-controller
// builds it (fluxFolder). An app kiln refuses only because two renders
// differ (a chart's random password) is compared outside the fields that
// two runs of the program give differently.
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
	// Validate, as `kiln validate` does. It refuses what differs between
	// two renders (a chart's random password, documented in
	// docs/templates.md); such an app is rendered once more and compared
	// outside the fields that differ between two runs of the program.
	results, err := r.Validate(context.Background(), nil)
	if err != nil {
		refused(t, &one, app, err)
	}
	random := false
	for _, er := range results {
		if er.Err != nil && strings.Contains(er.Err.Error(), "two renders of the same inputs") {
			random = true
		}
	}
	if random {
		if results, err = r.Render(context.Background(), nil); err != nil {
			t.Skipf("not comparable: kiln refuses: %s", firstLine(err))
		}
	}
	for _, er := range results {
		if er.Err != nil {
			refused(t, &one, app, er.Err)
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
			masked := ""
			if random {
				// The second run in another second, so that what a template
				// takes from the clock (argo-cd's passwordMtime) is masked too.
				time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
				n := 0
				want, got, n = maskRandom(t, want, reference(t, one.Root, &one, res, ra), got)
				masked = fmt.Sprintf(" outside %d fields random in the program's output too", n)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("env %s: kiln differs from the %s program%s (-program +kiln):\n%s", er.Env, ra.Engine, masked, diff)
			} else {
				t.Logf("env %s: %d objects equal%s", er.Env, len(got), masked)
			}
		}
	}
}

// evaluationError is the part of a jsonnet app's error that says kiln's
// evaluation failed (not a check of its output, which the program does
// not make): a runtime or parse error, an import not found.
var evaluationError = regexp.MustCompile(`: (jsonnet error|invalid jsonnet): |: import "[^"]*" not found |: couldn't manifest `)

// refused skips an app kiln refuses, as not comparable; but a jsonnet app
// whose evaluation kiln refuses is run with the program in each env, and
// the program's rendering it is a false error of kiln's.
func refused(t *testing.T, p *envconfig.Pipeline, app envconfig.App, refusal error) {
	t.Helper()
	why := firstLine(refusal)
	if app.Engine == envconfig.EngineJsonnet && evaluationError.MatchString(why) {
		for _, env := range p.Environments {
			ef, err := p.LoadEnvFile(env.Name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.Resolve(env.Name, ef, func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			for _, ra := range res.Apps {
				if _, _, perr := jsonnetProgram(t, p.Root, res, ra); perr == nil {
					t.Fatalf("env %s: kiln refuses what the jsonnet program evaluates: %s", env.Name, why)
				}
			}
		}
		t.Skipf("not comparable: kiln refuses, and so does the jsonnet program: %s", why)
	}
	t.Skipf("not comparable: kiln refuses: %s", why)
}

// firstLine is an error's first line: kiln's errors list every problem,
// and the first one says why an app is refused.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// maskRandom replaces, in a (the program's output) and got (kiln's), every
// field whose value differs between a and b, two runs of the program, by
// one placeholder, and returns them with the number of such fields.
// Objects are matched by apiVersion, kind and name; an object that only
// one run has means random names, which nothing can compare.
func maskRandom(t *testing.T, a, b, got []string) ([]string, []string, int) {
	t.Helper()
	parse := func(objs []string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, o := range objs {
			var m map[string]any
			if err := json.Unmarshal([]byte(o), &m); err != nil {
				t.Fatal(err)
			}
			md, _ := m["metadata"].(map[string]any)
			out[fmt.Sprint(m["apiVersion"], " ", m["kind"], " ", md["name"])] = m
		}
		return out
	}
	ma, mb, mg := parse(a), parse(b), parse(got)
	var paths [][]string
	for k, oa := range ma {
		ob, ok := mb[k]
		if !ok || len(ma) != len(mb) {
			t.Skip("not comparable: the program's object names differ between two runs")
		}
		paths = append(paths, differing(oa, ob, []string{k})...)
	}
	for _, p := range paths {
		mask(ma[p[0]], p[1:])
		mask(mg[p[0]], p[1:])
	}
	back := func(m map[string]map[string]any) []string {
		var out []string
		for _, o := range m {
			data, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(data))
		}
		sort.Strings(out)
		return out
	}
	return back(ma), back(mg), len(paths)
}

// differing lists the paths below at where a and b differ: a map's keys,
// a list's indexes (as text), or at itself for scalars and mismatches.
func differing(a, b any, at []string) [][]string {
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok && len(x) == len(y) {
			var out [][]string
			for k, v := range x {
				out = append(out, differing(v, y[k], append(slices.Clone(at), k))...)
			}
			return out
		}
	case []any:
		if y, ok := b.([]any); ok && len(x) == len(y) {
			var out [][]string
			for i, v := range x {
				out = append(out, differing(v, y[i], append(slices.Clone(at), strconv.Itoa(i)))...)
			}
			return out
		}
	}
	if reflect.DeepEqual(a, b) {
		return nil
	}
	return [][]string{at}
}

// mask sets the value at path in v, if it is there, to a placeholder.
func mask(v any, path []string) {
	for i, k := range path {
		last := i == len(path)-1
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x[k]; !ok {
				return
			}
			if last {
				x[k] = "(random)"
				return
			}
			v = x[k]
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n >= len(x) {
				return
			}
			if last {
				x[n] = "(random)"
				return
			}
			v = x[n]
		default:
			return
		}
	}
}
