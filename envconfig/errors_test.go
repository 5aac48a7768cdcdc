package envconfig

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	"github.com/kiln-gitops/kiln/internal/diag"
)

var update = flag.Bool("update", false, "rewrite golden files")

// secretValue is the value of the one set secret in the error cases; it
// must never appear in an error.
const secretValue = "s3cret-value-do-not-print"

// pastedSecrets are written in secretVars where an environment variable's
// name goes, as users paste a password there; though valid names, they
// must never appear in an error either.
var pastedSecrets = []string{"Xk9pLm2Qz7", "XK9PLM2QZ7"}

func fakeLookup(name string) (string, bool) {
	v, ok := map[string]string{"SET_SECRET": secretValue, "EMPTY_SECRET": ""}[name]
	return v, ok
}

// loadCase loads testdata/errors/<name>: its kiln.yaml (or base-kiln.yaml),
// then every environment's file, resolved. It returns all errors.
func loadCase(t *testing.T, dir string) error {
	t.Helper()
	root, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		t.Fatal(err)
	}
	var p *Pipeline
	if _, err := os.Stat(filepath.Join(dir, "kiln.yaml")); err == nil {
		p, err = Load(filepath.Join(dir, "kiln.yaml"))
		if err != nil {
			return err
		}
	} else {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "base-kiln.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if p, err = Parse(data, "kiln.yaml", root); err != nil {
			t.Fatalf("base-kiln.yaml: %v", err)
		}
	}
	var errs []error
	for _, e := range p.Environments {
		ef, err := p.LoadEnvFile(e.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := p.Resolve(e.Name, ef, fakeLookup); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// TestErrors checks the exact text of the errors for each bad input in
// testdata/errors/<case>/ against testdata/errors/<case>.err.
func TestErrors(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir("testdata/errors")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{}
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		name := ent.Name()
		cases[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := loadCase(t, filepath.Join("testdata", "errors", name))
			if err == nil {
				t.Fatal("no error")
			}
			for _, e := range diag.Flatten(err) {
				var de *diag.Error
				if !errors.As(e, &de) {
					t.Errorf("not a *diag.Error: %T %v", e, e)
				} else if de.File == "" || de.Line <= 0 {
					t.Errorf("error without file:line: %v", e)
				}
			}
			got := err.Error() + "\n"
			for _, v := range append([]string{secretValue}, pastedSecrets...) {
				if strings.Contains(got, v) {
					t.Errorf("error shows a secret value (%s):\n%s", v, got)
				}
			}
			golden(t, filepath.Join("testdata", "errors", name+".err"), got)
		})
	}
	for _, ent := range entries {
		if n, ok := strings.CutSuffix(ent.Name(), ".err"); ok && !cases[n] {
			if *update {
				if err := os.Remove(filepath.Join("testdata", "errors", ent.Name())); err != nil {
					t.Error(err)
				}
			} else {
				t.Errorf("stale golden file testdata/errors/%s: run go test -update", ent.Name())
			}
		}
	}
}

// golden compares got with the file at path, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	gold.File(t, path, []byte(got), *update)
}

// TestErrorFields: each error names the path of its key in the file, which
// --output json gives as "field".
func TestErrorFields(t *testing.T) {
	t.Parallel()
	const head = "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\n"
	tests := []struct {
		name, kiln, env string
		want            []string
	}{
		{name: "helm version", kiln: head + "apps:\n  - {name: a, namespace: n, yaml: y}\n  - {name: b, namespace: n, yaml: y}\n  - {name: c, namespace: n, helm: {repo: https://x.io, chart: c, version: ''}}\n",
			want: []string{"apps[2].helm.version", "apps[2].helm"}},
		{name: "unknown key", kiln: head + "apps: [{name: a, namespace: n, yaml: y, flux: {intervall: 1m}}]\n", want: []string{"apps[0].flux.intervall"}},
		{name: "bad duration", kiln: head + "flux: {interval: 1d}\napps: [{name: a, namespace: n, yaml: y}]\n", want: []string{"flux.interval"}},
		{name: "bad mode", kiln: "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev, mode: pull}]\napps: [{name: a, namespace: n, yaml: y}]\n",
			want: []string{"environments[0].mode"}},
		{name: "missing key", kiln: head + "apps: [{name: a, yaml: y}]\n", want: []string{"apps[0]"}},
		{name: "env file", kiln: head + "apps: [{name: a, namespace: n, yaml: y}]\n", env: "vars: {1x: a}\napps:\n  a:\n    patches: [{path: /abs.yaml}]\n",
			want: []string{"vars.1x", "apps.a.patches[0].path"}},
		{name: "patch text", kiln: head + "apps: [{name: a, namespace: n, yaml: y}]\n", env: "apps:\n  a:\n    patches:\n      - target: {kind: A}\n        patch: |-\n          - {op: bogus, path: /x}\n",
			want: []string{"apps.a.patches[0].patch"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.kiln), "kiln.yaml", "/repo")
			if tc.env != "" {
				if err != nil {
					t.Fatal(err)
				}
				_, err = ParseEnvFile([]byte(tc.env), "envs/dev.yaml")
			}
			var got []string
			for _, e := range diag.Flatten(err) {
				var de *diag.Error
				if errors.As(e, &de) {
					got = append(got, de.Field)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("fields %q, want %q; errors:\n%v", got, tc.want, err)
			}
		})
	}
}
