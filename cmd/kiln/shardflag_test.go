package main

import (
	"path/filepath"
	"testing"

	"github.com/kiln-gitops/kiln/render"
)

// TestParseShardTrimsBlanks: --shard takes blanks around its numbers as
// --env and KILN_ENV do (a workflow's "${{ matrix.shard }} / 4"), and still
// refuses what is not i/n.
func TestParseShardTrimsBlanks(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]render.Shard{
		"":        {},
		" ":       {},
		"1/2":     {Index: 1, Count: 2},
		" 1/2":    {Index: 1, Count: 2},
		"2 / 4\n": {Index: 2, Count: 4},
		"\t3/3 ":  {Index: 3, Count: 3},
	} {
		got, err := parseShard(in)
		if err != nil || got != want {
			t.Errorf("parseShard(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"1", "0/2", "3/2", "1/0", "a/2", "1/2/3", "1 2/3", "-1/2"} {
		if _, err := parseShard(in); err == nil {
			t.Errorf("parseShard(%q) is accepted", in)
		}
	}
}

// TestConflictNamesEnvVariable: a flag that conflicts with another because
// a KILN_ variable set it is named with that variable, not as if the user
// had typed it. Not parallel: urfave/cli reads the process environment.
func TestConflictNamesEnvVariable(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}, {name: prod}]\n" +
			"manifests: {repo: https://github.com/acme/manifests.git}\napps:\n  - {name: web, namespace: shop, yaml: apps/web}\n",
		"apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
	})
	cfg := filepath.Join(root, "kiln.yaml")
	for _, tc := range []struct {
		env  [2]string
		args []string
		want string
	}{
		{[2]string{"KILN_ALL", "true"}, []string{"render", "--env", "dev"}, "kiln: give --env or --all (from KILN_ALL), not both\n"},
		{[2]string{"KILN_ENV", "dev"}, []string{"validate", "--all"}, "kiln: give --env (from KILN_ENV) or --all, not both\n"},
		{[2]string{"KILN_SHARD", "1/2"}, []string{"render", "--env", "dev", "--app", "web"}, "kiln: give --app or --shard (from KILN_SHARD), not both\n"},
		{[2]string{"KILN_AGAINST", root}, []string{"diff", "--env", "dev", "--against-env", "prod"}, "kiln: give --against (from KILN_AGAINST) or --against-env, not both\n"},
		{[2]string{"KILN_OTHER", "x"}, []string{"render", "--env=dev", "--all"}, "kiln: give --env or --all, not both\n"},
	} {
		t.Run(tc.env[0], func(t *testing.T) {
			t.Setenv(tc.env[0], tc.env[1])
			args := append(tc.args[:1:1], append([]string{"--config", cfg, "--out", filepath.Join(root, "out")}, tc.args[1:]...)...)
			if tc.args[0] != "render" {
				args = append(tc.args[:1:1], append([]string{"--config", cfg}, tc.args[1:]...)...)
			}
			_, stderr, code := runKiln(t, args...)
			if code != exitUsage || stderr != tc.want {
				t.Errorf("kiln %q: exit %d, stderr %q; want 2, %q", args, code, stderr, tc.want)
			}
		})
	}
}
