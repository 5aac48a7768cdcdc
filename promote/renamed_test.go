package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// TestRenamedKustomizationGuard: changing flux.name (as docs/flux.md
// advises when envs come to share a cluster) renames every app's
// Kustomization. To Flux that is a new object: the bootstrap prunes the
// old Kustomization, whose finalizer deletes every object it applied
// before the new one (waiting for its dependencies) takes them over. No
// object file changed, so neither a warning nor the mass-delete guard saw
// it, and the whole env was deleted and recreated, Namespaces and volumes
// included. Now the rename is warned about and, when it puts more than
// half of the env's objects at stake, refused without --allow-mass-delete.
func TestRenamedKustomizationGuard(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	files := project(f.remote)
	cfg := strings.Replace(files["kiln.yaml"], "apps:\n", "flux:\n  name: \"{app}-{env}\"\napps:\n", 1)
	f.commitCode(t, map[string]string{"kiln.yaml": cfg}, "share the cluster")

	before := gittest.Git(t, f.remote, "rev-parse", "main")
	var log bytes.Buffer
	_, err := promote(t, f, f.opts(t, "dev", &log))
	if err == nil {
		t.Fatal("renaming every Kustomization was promoted without --allow-mass-delete")
	}
	for _, want := range []string{"promoting env dev would delete ", "the Flux Kustomization of 2 apps (cache, web) is renamed", "flux.prune: false", "--allow-mass-delete"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if after := gittest.Git(t, f.remote, "rev-parse", "main"); after != before {
		t.Error("main moved although the guard refused")
	}
	for _, want := range []string{
		"warning: flux/cache.yaml: app cache: Kustomization/flux-system/cache-dev: the app's Flux Kustomization is renamed from flux-system/cache to flux-system/cache-dev",
		"warning: flux/web.yaml: app web: Kustomization/flux-system/web-dev: the app's Flux Kustomization is renamed from flux-system/web to flux-system/web-dev",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log does not hold %q:\n%s", want, log.String())
		}
	}

	opts := f.opts(t, "dev", &bytes.Buffer{})
	opts.AllowMassDelete = true
	if _, err := promote(t, f, opts); err != nil {
		t.Fatalf("with --allow-mass-delete: %v", err)
	}
}

// TestRenamedWarnings: a Kustomization that does not prune, or is
// suspended, deletes nothing when it goes; one whose name stays is no
// rename; objects annotated for Flux's garbage collection to leave them
// are not counted; an old name that holds a line break is quoted.
func TestRenamedWarnings(t *testing.T) {
	t.Parallel()
	ks := func(name, ns, spec string) []byte {
		return []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\nspec:\n" + spec)
	}
	cm := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: shop\n")
	ignored := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: manual\n  namespace: shop\n  labels: {kustomize.toolkit.fluxcd.io/reconcile: Disabled}\n")
	kept := []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: shop\n  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}\n")
	old := map[string][]byte{
		"flux/web.yaml":      ks("web", "flux-system", "  prune: true\n"),
		"flux/keep.yaml":     ks("keep", "flux-system", "  prune: false\n"),
		"flux/paused.yaml":   ks("paused", "flux-system", "  prune: true\n  suspend: true\n"),
		"flux/same.yaml":     ks("same", "flux-system", "  prune: true\n  interval: 1m\n"),
		"flux/movens.yaml":   ks("movens", "flux-system", "  prune: true\n"),
		"flux/odd.yaml":      ks(`"odd\nwarning: forged"`, "flux-system", "  prune: true\n"),
		"apps/odd/a.yaml":    cm,
		"apps/web/a.yaml":    cm,
		"apps/web/b.yaml":    kept,
		"apps/web/c.yaml":    ignored,
		"apps/movens/a.yaml": cm,
		"apps/keep/a.yaml":   cm,
	}
	new := map[string][]byte{
		"flux/web.yaml":      ks("web-dev", "flux-system", "  prune: true\n"),
		"flux/keep.yaml":     ks("keep-dev", "flux-system", "  prune: false\n"),
		"flux/paused.yaml":   ks("paused-dev", "flux-system", "  prune: true\n"),
		"flux/same.yaml":     ks("same", "flux-system", "  prune: true\n  interval: 2m\n"),
		"flux/movens.yaml":   ks("movens", "flux", "  prune: true\n"),
		"flux/odd.yaml":      ks("odd", "flux-system", "  prune: true\n"),
		"apps/odd/a.yaml":    cm,
		"apps/web/a.yaml":    cm,
		"apps/web/b.yaml":    kept,
		"apps/web/c.yaml":    ignored,
		"apps/movens/a.yaml": cm,
		"apps/keep/a.yaml":   cm,
	}
	var got []string
	for _, w := range renamedWarnings(renamedKustomizations(old, treediff.Trees(old, new))) {
		what, _, _ := strings.Cut(w.Msg, " (flux.name")
		got = append(got, w.File+": "+w.App+": "+what)
		if !strings.Contains(w.Msg, "deletes the app's 1 object it applied") {
			t.Errorf("%s: want 1 object counted: %s", w.File, w.Msg)
		}
	}
	want := []string{
		"flux/movens.yaml: movens: the app's Flux Kustomization is renamed from flux-system/movens to flux/movens",
		// The old name is the manifests branch's, which nothing validated.
		`flux/odd.yaml: odd: the app's Flux Kustomization is renamed from flux-system/"odd\nwarning: forged" to flux-system/odd`,
		"flux/web.yaml: web: the app's Flux Kustomization is renamed from flux-system/web to flux-system/web-dev",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
