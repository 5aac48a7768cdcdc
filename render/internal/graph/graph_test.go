package graph

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
)

func apps(spec string) []App {
	// "a:b,c b: c:a" → a depends on b and c, b on nothing, c on a;
	// "b@ns/b-dev" is b written as its Kustomization's namespace/name;
	// "b^" is written in envs/dev.yaml (an env file's override).
	var out []App
	for i, f := range strings.Fields(spec) {
		name, deps, _ := strings.Cut(f, ":")
		a := App{Name: name, Line: 10 * (i + 1)}
		for j, d := range strings.Split(deps, ",") {
			if d != "" {
				d, inEnv := strings.CutSuffix(d, "^")
				d, as, _ := strings.Cut(d, "@")
				dep := Dep{Name: d, As: as, Line: 10*(i+1) + j + 1}
				if inEnv {
					dep.File = "envs/dev.yaml"
				}
				a.Deps = append(a.Deps, dep)
			}
		}
		out = append(out, a)
	}
	return out
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		apps     string
		disabled []string
		want     string
	}{
		{
			name: "unknown dependency with a close name",
			apps: "vote:cache redis:",
			want: `kiln.yaml:11: app vote: dependsOn "cache": no such app
  hint: name an app of kiln.yaml, or write namespace/name for a Flux Kustomization kiln does not manage`,
		},
		{
			name: "a dependency close only to the app itself",
			apps: "redis:rediss vote:",
			want: `kiln.yaml:11: app redis: dependsOn "rediss": no such app
  hint: name an app of kiln.yaml, or write namespace/name for a Flux Kustomization kiln does not manage`,
		},
		{
			name: "misspelt dependency",
			apps: "vote:rediss redis:",
			want: `kiln.yaml:11: app vote: dependsOn "rediss": no such app (did you mean "redis"?)
  hint: name an app of kiln.yaml, or write namespace/name for a Flux Kustomization kiln does not manage`,
		},
		{
			name:     "dependency disabled in the env",
			apps:     "worker:result",
			disabled: []string{"result"},
			want: `kiln.yaml:11: app worker: dependsOn "result": app result is disabled in env dev
  hint: enable result in env dev or drop the dependency there with an override of dependsOn`,
		},
		{
			name: "two cycles, each printed as a path",
			apps: "vote:redis redis:vote a:b b:c c:a",
			want: `kiln.yaml:21: app redis: dependency cycle: redis -> vote -> redis
  hint: Flux waits forever on a cycle: remove one of these dependsOn entries
kiln.yaml:31: app a: dependency cycle: a -> b -> c -> a
  hint: Flux waits forever on a cycle: remove one of these dependsOn entries`,
		},
		{
			name: "two cycles sharing an app are both printed",
			apps: "a:b,c b:a c:a",
			want: `kiln.yaml:11: app a: dependency cycle: a -> b -> a
  hint: Flux waits forever on a cycle: remove one of these dependsOn entries
kiln.yaml:12: app a: dependency cycle: a -> c -> a
  hint: Flux waits forever on a cycle: remove one of these dependsOn entries`,
		},
		{
			name: "an app and its Kustomization both listed",
			apps: "web:db,db@flux-system/db-dev db:",
			want: `kiln.yaml:12: app web: dependsOn "flux-system/db-dev" names app db, which is listed already (as "db" at line 11)
  hint: remove one of them: both are Flux Kustomization db-dev`,
		},
		{
			name: "self dependency",
			apps: "a:a",
			want: `kiln.yaml:11: app a: dependency cycle: a -> a
  hint: Flux waits forever on a cycle: remove one of these dependsOn entries`,
		},
		// An env file's override of dependsOn is reported at its own
		// file and line, not at that line of kiln.yaml.
		{
			name: "self dependency from an env file",
			apps: "a:a^",
			want: `envs/dev.yaml:11: app a: dependency cycle: a -> a
  hint: Flux waits forever on a cycle: remove one of these dependsOn entries`,
		},
		{
			name: "cycle closed by an env file",
			apps: "a:b^ b:a",
			want: `envs/dev.yaml:11: app a: dependency cycle: a -> b -> a
  hint: Flux waits forever on a cycle: remove one of these dependsOn entries`,
		},
		{
			name: "unknown dependency from an env file",
			apps: "vote:rediss^ redis:",
			want: `envs/dev.yaml:11: app vote: dependsOn "rediss": no such app (did you mean "redis"?)
  hint: name an app of kiln.yaml, or write namespace/name for a Flux Kustomization kiln does not manage`,
		},
		{
			name:     "disabled dependency from an env file",
			apps:     "worker:result^",
			disabled: []string{"result"},
			want: `envs/dev.yaml:11: app worker: dependsOn "result": app result is disabled in env dev
  hint: enable result in env dev or drop the dependency there with an override of dependsOn`,
		},
		{
			name: "an app and its Kustomization both listed in an env file",
			apps: "web:db^,db@flux-system/db-dev^ db:",
			want: `envs/dev.yaml:12: app web: dependsOn "flux-system/db-dev" names app db, which is listed already (as "db" at line 11)
  hint: remove one of them: both are Flux Kustomization db-dev`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(apps(tt.apps), tt.disabled, "dev", "kiln.yaml")
			if err == nil {
				t.Fatal("New succeeded")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWavesAndReaches(t *testing.T) {
	t.Parallel()
	g0, err := New(apps("a: b:a c:b d:a"), nil, "dev", "kiln.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"b": true, "c": true, "d": true}, g0.Dependents("a")); diff != "" {
		t.Errorf("Dependents(a) (-want +got):\n%s", diff)
	}
	if len(g0.Dependents("c")) != 0 || len(g0.Dependents("nosuch")) != 0 {
		t.Error("Dependents of a leaf or an unknown app is not empty")
	}
}

func TestWavesAndReachesChain(t *testing.T) {
	t.Parallel()
	g, err := New(apps("platform: redis:platform db:platform vote:redis result:db worker:redis,db"), nil, "dev", "kiln.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"platform"}, {"db", "redis"}, {"result", "vote", "worker"}}
	if diff := cmp.Diff(want, g.Waves()); diff != "" {
		t.Errorf("Waves (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{"worker", "platform", true},
		{"vote", "db", false},
		{"platform", "worker", false},
		{"nosuch", "platform", false},
	} {
		if got := g.Reaches(tc.from, tc.to); got != tc.want {
			t.Errorf("Reaches(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
		if got := g.Dependents(tc.to)[tc.from]; got != tc.want {
			t.Errorf("Dependents(%s)[%s] = %v, want %v", tc.to, tc.from, got, tc.want)
		}
	}
}

// BenchmarkGraph checks a 1000-app graph: a chain of waves where each app
// depends on up to three apps of the previous wave.
func BenchmarkGraph(b *testing.B) {
	const n = 1000
	in := make([]App, n)
	for i := range in {
		in[i] = App{Name: fmt.Sprintf("app-%04d", i)}
		for k := 1; k <= 3; k++ {
			if j := i - 10*k; j >= 0 {
				in[i].Deps = append(in[i].Deps, Dep{Name: fmt.Sprintf("app-%04d", j)})
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		g, err := New(in, nil, "dev", "kiln.yaml")
		if err != nil {
			b.Fatal(err)
		}
		_ = g.Waves()
	}
}

// ring is n apps, each depending on the next, the last on the first.
func ring(n int) []App {
	in := make([]App, n)
	for i := range in {
		in[i] = App{Name: fmt.Sprintf("app-%05d", i), Deps: []Dep{{Name: fmt.Sprintf("app-%05d", (i+1)%n)}}}
	}
	return in
}

// TestRingIsOneCycle: a ring reports its one cycle, whole in the error's
// message (which prints cut, diag.Bound).
func TestRingIsOneCycle(t *testing.T) {
	_, err := New(ring(2000), nil, "dev", "kiln.yaml")
	var de *diag.Error
	if !errors.As(err, &de) || strings.Count(err.Error(), "dependency cycle:") != 1 || !strings.Contains(de.Msg, "app-01999 -> app-00000") {
		t.Fatalf("got %v, want one cycle through all 2000 apps", err)
	}
}

// BenchmarkCycleRing reports the cycle of a 10,000-app dependsOn ring
// (quadratic before: 19 s; linear now).
func BenchmarkCycleRing(b *testing.B) {
	in := ring(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(in, nil, "dev", "kiln.yaml"); err == nil {
			b.Fatal("no cycle reported")
		}
	}
}
