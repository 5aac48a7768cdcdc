package envconfig

import (
	"strings"
	"testing"
)

// TestFluxName: FluxName replaces {app} and {env} in one pass, as
// strings.NewReplacer does, whatever else the name holds (the values
// themselves are never scanned again).
func TestFluxName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"{app}", "{app}-{env}", "{env}-{app}", "kiln-{app}", "{app}{app}", "{{app}}", "{app", "app}", "{", "}{",
		"{ap}{app}", "{env}{env}-{app}-", "x", "", "{APP}-{app}", "{app}-{e{env}}",
	} {
		for _, v := range [][2]string{{"web", "dev"}, {"{env}", "{app}"}, {"", ""}, {"a-b", "prod-eu"}} {
			p := &Pipeline{Flux: Flux{Name: name}}
			want := strings.NewReplacer("{app}", v[0], "{env}", v[1]).Replace(name)
			if got := p.FluxName(v[0], v[1]); got != want {
				t.Errorf("FluxName(%q, %q) with flux.name %q = %q, want %q", v[0], v[1], name, got, want)
			}
		}
	}
}

// FuzzFluxName holds FluxName to strings.NewReplacer on any name.
func FuzzFluxName(f *testing.F) {
	for _, s := range []string{"{app}-{env}", "{{app}", "{env}{", "kiln"} {
		f.Add(s, "web", "dev")
	}
	f.Fuzz(func(t *testing.T, name, app, env string) {
		p := &Pipeline{Flux: Flux{Name: name}}
		want := strings.NewReplacer("{app}", app, "{env}", env).Replace(name)
		if got := p.FluxName(app, env); got != want {
			t.Errorf("FluxName(%q, %q) with flux.name %q = %q, want %q", app, env, name, got, want)
		}
	})
}
