package render_test

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/testenv"
	"github.com/kiln-gitops/kiln/render"
)

// TestRatchetedInPromotion: CloudNativePG 1.30.0's Database CRD (real)
// reserves the database name postgres with a rule, which an older CRD (the
// rule dropped) did not: a Database named postgres, created then, is in
// the manifests repository. A promotion that updates it (a new owner) and
// leaves the name alone is taken by kube-apiserver 1.37 (CRD validation
// ratcheting; pair 29-cnpg-db-reserved-ratchet of /tmp/transit-repro, run
// against a real API server): the render of a promotion (Options.Applied)
// warns, where it failed and no change of the manifests could get through
// (spec.name is immutable). Without the applied tree (kiln render,
// validate), with an applied tree that lacks the object or that changes
// the name, and before 1.30, the create's refusal stands.
func TestRatchetedInPromotion(t *testing.T) {
	t.Parallel()
	crd, oldCRD, reserved := testenv.ReservedDatabase(t)
	sample := strings.Replace(reserved, "  name: postgres\n", "  name: one\n", 1) // the project's own
	project := func(kube, crd, db string) map[string]string {
		return map[string]string{
			"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"" + kube + "\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
				"apps:\n  - name: db\n    namespace: pg\n    yaml: app\n",
			"envs/dev.yaml": "{}\n",
			"app/crd.yaml":  crd,
			"app/db.yaml":   db,
		}
	}
	applied := func(kube, db string) map[string][]byte {
		er := renderAll(t, load(t, writeProject(t, project(kube, oldCRD, db))), testOptions())[0]
		if er.Err != nil {
			t.Fatal(er.Err)
		}
		return er.Files
	}
	updated := strings.Replace(reserved, "owner: app", "owner: someone", 1)
	const refused = "the name postgres is reserved"
	for _, tc := range []struct {
		name, kube string
		applied    map[string][]byte // nil: none (kiln render)
		cur        string            // "": updated
		warns      bool
	}{
		{"promotion, name kept", "1.37.0", applied("1.37.0", reserved), "", true},
		{"promotion, 1.30", "1.30.0", applied("1.30.0", reserved), "", true},
		{"render", "1.37.0", nil, "", false},
		{"promotion, before 1.30", "1.29.0", applied("1.29.0", reserved), "", false},
		{"promotion, the object not there", "1.37.0", applied("1.37.0", strings.Replace(reserved, "name: db-one", "name: db-two", 1)), "", false},
		{"promotion, the name changed to it", "1.37.0", applied("1.37.0", sample), "", false},
		// An error that is not the CRD's ratchets nothing: all stay.
		{"promotion, an unknown field beside", "1.37.0", applied("1.37.0", reserved), updated + "  collation: C\n", false},
		// Nor does metadata: the update validates it as the create does.
		{"promotion, a bad label beside", "1.37.0", applied("1.37.0", reserved), strings.Replace(updated, "  name: db-one\n", "  name: db-one\n  labels:\n    tier: \"-db-\"\n", 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			if tc.applied != nil {
				opts.Applied = func(env string) (map[string][]byte, error) {
					if env != "dev" {
						t.Errorf("Applied(%q)", env)
					}
					return tc.applied, nil
				}
			}
			cur := tc.cur
			if cur == "" {
				cur = updated
			}
			er := renderAll(t, load(t, writeProject(t, project(tc.kube, crd, cur))), opts)[0]
			if !tc.warns {
				if er.Err == nil || !strings.Contains(er.Err.Error(), refused) {
					t.Fatalf("got %v, want the create's refusal", er.Err)
				}
				return
			}
			if er.Err != nil {
				t.Fatalf("refused: %v", er.Err)
			}
			var got []string
			for _, w := range er.Warnings {
				if w.Object.Kind == "Database" {
					got = append(got, w.String())
				}
			}
			if len(er.Ratcheted) != 1 || er.Ratcheted[0].String() != got[0] {
				t.Errorf("Ratcheted = %v", er.Ratcheted)
			}
			if len(got) != 1 || !strings.Contains(got[0], `Database/pg/db-one: field "spec.name": Invalid value: `+refused) ||
				!strings.Contains(got[0], "ratcheting") || !strings.Contains(got[0], "a new cluster") || strings.Contains(got[0], `"postgres"`) {
				t.Errorf("warnings:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// TestRatchetedNotAgainstAHandEdit: the manifests branch stands for what
// the cluster holds because kiln wrote it, each object checked as a create
// or as an update the API server takes. A Database whose name was edited
// to postgres on the branch by hand, after CloudNativePG's real CRD came
// to reserve it, was never taken by the cluster (the update changing the
// name is refused, and Flux's apply fails since), yet a promotion of the
// same name was judged against it and ratcheted through. An app whose
// files are not those kiln.lock.json records is not judged against.
func TestRatchetedNotAgainstAHandEdit(t *testing.T) {
	t.Parallel()
	crd, _, reserved := testenv.ReservedDatabase(t)
	sample := strings.Replace(reserved, "  name: postgres\n", "  name: one\n", 1)
	project := func(db string) map[string]string {
		return map[string]string{
			"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.37.0\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
				"apps:\n  - name: db\n    namespace: pg\n    yaml: app\n",
			"envs/dev.yaml": "{}\n",
			"app/crd.yaml":  crd,
			"app/db.yaml":   db,
		}
	}
	before := renderAll(t, load(t, writeProject(t, project(sample))), testOptions())[0]
	if before.Err != nil {
		t.Fatal(before.Err)
	}
	edited := map[string][]byte{}
	n := 0
	for p, data := range before.Files {
		if strings.HasPrefix(p, "apps/db/") && strings.Contains(string(data), "apiVersion: postgresql.cnpg.io/v1\nkind: Database\n") {
			data = []byte(strings.Replace(string(data), "name: one\n", "name: postgres\n", 1))
			n++
		}
		edited[p] = data
	}
	if n != 1 {
		t.Fatalf("%d Database files in the tree", n)
	}
	opts := testOptions()
	opts.Applied = func(string) (map[string][]byte, error) { return edited, nil }
	er := renderAll(t, load(t, writeProject(t, project(reserved))), opts)[0]
	if er.Err == nil || !strings.Contains(er.Err.Error(), "the name postgres is reserved") || len(er.Ratcheted) > 0 {
		t.Fatalf("got %v (ratcheted %v), want the create's refusal", er.Err, er.Ratcheted)
	}
}

// TestRatchetedNotMoved: a Database CloudNativePG's real CRD now refuses
// (the reserved name), moved in the promotion from app db to app data,
// is not judged as an update of db's copy: Flux gives an object to one
// Kustomization at a time, db's may prune it before data's takes it over,
// and Flux then creates it anew, which the CRD refuses. It ratcheted.
func TestRatchetedNotMoved(t *testing.T) {
	t.Parallel()
	crd, oldCRD, reserved := testenv.ReservedDatabase(t)
	project := func(crd, app string) map[string]string {
		return map[string]string{
			"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.37.0\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
				"apps:\n  - name: crds\n    namespace: pg\n    yaml: crds\n  - name: " + app + "\n    namespace: pg\n    yaml: app\n    dependsOn: [crds]\n",
			"envs/dev.yaml": "{}\n",
			"crds/crd.yaml": crd,
			"app/db.yaml":   reserved,
		}
	}
	before := renderAll(t, load(t, writeProject(t, project(oldCRD, "db"))), testOptions())[0]
	if before.Err != nil {
		t.Fatal(before.Err)
	}
	for _, tc := range []struct {
		app   string
		warns bool
	}{{"db", true}, {"data", false}} {
		opts := testOptions()
		opts.Applied = func(string) (map[string][]byte, error) { return before.Files, nil }
		er := renderAll(t, load(t, writeProject(t, project(crd, tc.app))), opts)[0]
		if got := er.Err == nil && len(er.Ratcheted) == 1; got != tc.warns {
			t.Errorf("app %s: ratcheted %v (%v), want %v", tc.app, got, er.Err, tc.warns)
		}
	}
}

// TestRatchetedNotCached: the env's render is cached whole, keyed on its
// inputs; a promotion's render that let a ratcheted Database through
// (Options.Applied, which the key does not cover) was reused by kiln
// render, which then passed the object a new cluster refuses.
func TestRatchetedNotCached(t *testing.T) {
	t.Parallel()
	crd, oldCRD, reserved := testenv.ReservedDatabase(t)
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.37.0\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
			"apps:\n  - name: db\n    namespace: pg\n    yaml: app\n",
		"envs/dev.yaml": "{}\n",
		"app/crd.yaml":  oldCRD,
		"app/db.yaml":   reserved,
	}
	cacheDir := t.TempDir()
	withCache := func() render.Options {
		opts := testOptions()
		opts.CacheDir = cacheDir
		return opts
	}
	before := renderAll(t, load(t, writeProject(t, files)), withCache())[0]
	if before.Err != nil {
		t.Fatal(before.Err)
	}
	files["app/crd.yaml"] = crd
	root := writeProject(t, files)
	opts := withCache()
	opts.Applied = func(string) (map[string][]byte, error) { return before.Files, nil }
	if er := renderAll(t, load(t, root), opts)[0]; er.Err != nil || len(er.Ratcheted) != 1 {
		t.Fatalf("the promotion's render: %v, ratcheted %v", er.Err, er.Ratcheted)
	}
	if er := renderAll(t, load(t, root), withCache())[0]; er.Err == nil || !strings.Contains(er.Err.Error(), "the name postgres is reserved") {
		t.Fatalf("kiln render after it: %v, want the create's refusal", er.Err)
	}
}

// TestRootRuleNotRatcheted: Kong's KongPlugin CRD (real) refuses config
// and configFrom together with a rule on its root. A plugin that had both
// before the rule came, promoted unchanged, is refused all the same: the
// root is the whole object, whose stored metadata (resourceVersion,
// managedFields) an apply never leaves equal, so a real kube-apiserver
// 1.37 runs the rule on the update too (/tmp/review32-pairs2, pair 02),
// and the error stands, naming no "<nil>" field.
func TestRootRuleNotRatcheted(t *testing.T) {
	t.Parallel()
	crd := testenv.RealManifest(t, "kong", "kongplugins-crd.yaml")
	const rule = "        - message: Using both config and configFrom fields is not allowed.\n          rule: '!(has(self.config) && has(self.configFrom))'\n"
	oldCRD := strings.Replace(crd, rule, "", 1)
	if oldCRD == crd {
		t.Fatal("the rule not found in the CRD")
	}
	const plugin = "apiVersion: configuration.konghq.com/v1\nkind: KongPlugin\nmetadata: {name: rate-limit}\nplugin: rate-limiting\n" +
		"config: {minute: 5}\nconfigFrom: {secretKeyRef: {name: rl, key: config}}\n"
	project := func(crd string) map[string]string {
		return map[string]string{
			"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nkubeVersion: \"1.37.0\"\nenvironments:\n  - name: dev\nmanifests:\n  github: acme/manifests\n" +
				"apps:\n  - name: kong\n    namespace: web\n    yaml: app\n",
			"envs/dev.yaml":   "{}\n",
			"app/crd.yaml":    crd,
			"app/plugin.yaml": plugin,
		}
	}
	before := renderAll(t, load(t, writeProject(t, project(oldCRD))), testOptions())[0]
	if before.Err != nil {
		t.Fatal(before.Err)
	}
	opts := testOptions()
	opts.Applied = func(string) (map[string][]byte, error) { return before.Files, nil }
	er := renderAll(t, load(t, writeProject(t, project(crd))), opts)[0]
	const want = "app/plugin.yaml:1: app kong: KongPlugin/web/rate-limit: Invalid value: Using both config and configFrom fields is not allowed."
	if er.Err == nil || !strings.HasPrefix(er.Err.Error(), want) || len(er.Ratcheted) > 0 {
		t.Fatalf("got %v (ratcheted %v), want %q", er.Err, er.Ratcheted, want)
	}
}
