package render_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

// TestValidateNamesTheFieldsThatDiffer: a chart that generates a password
// when none is given (Bitnami's redis, postgresql, wordpress, kafka… with
// their defaults) differs between renders in the Secret and in the
// workload's checksum annotation. Naming only the object left the user to
// diff the Secret to find which value to set; the error names the
// template and the fields, never a key that only one render has (a
// template may draw the key itself at random), and caps the list.
func TestValidateNamesTheFieldsThatDiffer(t *testing.T) {
	t.Parallel()
	repo := copyExample(t)
	writeFile(t, filepath.Join(repo, "charts/redis/templates/random.yaml"), `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-random
stringData:
  user: fixed
  password: {{ randAlphaNum 16 | quote }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-randomkey
data:
  fixed: "1"
  {{ randAlphaNum 16 | lower }}: "x"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-many
data:
{{- range until 7 }}
  k{{ . }}: {{ randAlphaNum 16 | quote }}
{{- end }}
`)
	results := validateDev(t, repo, testOptions())
	if results[0].Err == nil {
		t.Fatal("Validate accepted random output")
	}
	type named struct{ File, Field, Msg string }
	got := map[string]named{}
	for _, e := range diag.Flatten(results[0].Err) {
		var de *diag.Error
		if !errors.As(e, &de) {
			t.Fatalf("not a diag.Error: %v", e)
		}
		obj, _, _ := strings.Cut(de.Msg, ":")
		got[obj] = named{File: de.File, Field: de.Field, Msg: de.Msg}
	}
	const differs = ": differs between two renders of the same inputs, at "
	// The template: a line of its output is none of the template's.
	const file = "charts/redis/templates/random.yaml"
	want := map[string]named{
		"Secret/instavote/redis-random": {File: file, Field: "stringData.password",
			Msg: "Secret/instavote/redis-random" + differs + "stringData.password"},
		"ConfigMap/instavote/redis-randomkey": {File: file, Field: "data",
			Msg: "ConfigMap/instavote/redis-randomkey" + differs + "data"},
		"ConfigMap/instavote/redis-many": {File: file, Field: "data.k0",
			Msg: "ConfigMap/instavote/redis-many" + differs + "data.k0, data.k1, data.k2, data.k3, data.k4 and 2 more fields"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nondeterminism errors (-want +got):\n%s", diff)
	}
}

// TestValidateStrictStillComparesTheRenders: under --strict a warning
// fails the env, which Validate then skipped, so the nondeterministic
// objects were said only once the warnings were fixed, a second round.
// They come together with the warnings now.
func TestValidateStrictStillComparesTheRenders(t *testing.T) {
	t.Parallel()
	const random = "app redis: Secret/instavote/redis-random: differs between two renders of the same inputs, at stringData.password"
	const unusedImage = "image ghcr.io/acme/worker is used by no app in env dev"
	for _, tc := range []struct {
		name       string
		deprecated bool
		want       []string
	}{
		// A warning of the run, given with the env (failStrict): the
		// example's images name one no app of dev runs.
		{name: "run warning", want: []string{unusedImage, random}},
		// And one of the env's own (renderEnv).
		{name: "env warning", deprecated: true, want: []string{"app redis: chart redis is deprecated", unusedImage, random}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := copyExample(t)
			writeFile(t, filepath.Join(repo, "charts/redis/templates/random.yaml"), `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-random
stringData:
  password: {{ randAlphaNum 16 | quote }}
`)
			if tc.deprecated {
				appendFile(t, filepath.Join(repo, "charts/redis/Chart.yaml"), "deprecated: true\n")
			}
			opts := testOptions()
			opts.Strict = true
			results := validateDev(t, repo, opts)
			if results[0].Err == nil {
				t.Fatal("Validate accepted a warning under Strict and random output")
			}
			got := results[0].Err.Error()
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("Validate error lacks %q:\n%s", want, got)
				}
			}
			if results[0].Files != nil {
				t.Error("a failed env kept its files")
			}
		})
	}
}

func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

// validateDev validates env dev of the project in repo.
func validateDev(t *testing.T, repo string, opts render.Options) []*render.EnvResult {
	t.Helper()
	r, err := render.New(load(t, repo), opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Validate(context.Background(), []string{"dev"})
	if err != nil {
		t.Fatal(err)
	}
	return results
}
