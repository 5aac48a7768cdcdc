package envconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// addSeeds adds every file matching the globs to the corpus.
func addSeeds(f *testing.F, globs ...string) {
	f.Helper()
	for _, g := range globs {
		files, err := filepath.Glob(g)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// checkErr fails unless every error in err is a *diag.Error with a file
// and a line.
func checkErr(t *testing.T, err error) {
	t.Helper()
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if !errors.As(e, &de) {
			t.Fatalf("not a *diag.Error: %T %v", e, e)
		}
		if de.File == "" || de.Line <= 0 {
			t.Fatalf("error without file:line: %v", e)
		}
	}
}

// FuzzParse checks that no kiln.yaml makes Parse or Resolve panic, and
// that every error carries file:line.
func FuzzParse(f *testing.F) {
	addSeeds(f, "testdata/spec/kiln.yaml", "testdata/errors/*/kiln.yaml", "testdata/errors/base-kiln.yaml")
	f.Add([]byte(overridesPipeline))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "kiln.yaml", "/repo")
		if err != nil {
			checkErr(t, err)
			return
		}
		for _, e := range p.Environments {
			if _, err := p.Resolve(e.Name, nil, nil); err != nil {
				t.Fatalf("Resolve(%q) with no env file: %v", e.Name, err)
			}
		}
	})
}

// FuzzParseEnvFile checks that no environment file makes ParseEnvFile or
// Resolve panic, and that every error carries file:line.
func FuzzParseEnvFile(f *testing.F) {
	addSeeds(f, "testdata/spec/envs/*.yaml", "testdata/errors/*/envs/*.yaml")
	f.Add([]byte(overridesEnv))
	p, err := Parse([]byte(overridesPipeline), "kiln.yaml", "/repo")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ef, err := ParseEnvFile(data, "envs/dev.yaml")
		if err != nil {
			checkErr(t, err)
			return
		}
		_, err = p.Resolve("dev", ef, func(string) (string, bool) { return "v", true })
		checkErr(t, err)
	})
}
