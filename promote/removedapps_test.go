package promote

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/promote/internal/prbody"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// TestRemovedAppWarned: disabling app cache in dev removes its Flux
// Kustomization, and Flux then deletes every object the app applied. The
// pull request body said so only as "removed, -4" in the apps table. A
// warning block at the top now says that the promotion deletes the app
// (not "merging": dev has mode: push, whose job summary is this body),
// counts its objects by kind, names their namespaces, and names apart
// what Flux leaves (prune: disabled) and what helm.sh/resource-policy:
// keep does not keep (Flux does not read it); kiln diff warns of it on
// stderr too.
func TestRemovedAppWarned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.commitCode(t, map[string]string{
		"apps/cache/pvc.yaml":  "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
		"apps/cache/kept.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  annotations:\n    helm.sh/resource-policy: Keep\ndata: {a: b}\n",
		"apps/cache/role.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cache-reader\nrules: []\n",
	}, "cache objects")
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	f.commitCode(t, map[string]string{"envs/dev.yaml": project("")["envs/dev.yaml"] + "apps:\n  cache:\n    enabled: false\n"}, "cache off in dev")
	var log bytes.Buffer
	o := f.opts(t, "dev", &log)
	o.DryRun = true
	o.AllowMassDelete = true
	res, err := promote(t, f, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"> [!CAUTION]\n> **The promotion deletes these apps from the cluster**",
		"> - `flux/cache.yaml`: app cache leaves the env: the promotion removes its Flux Kustomization flux-system/cache, which the Kustomization applying flux/ deletes when it prunes, and its finalizer then deletes from the cluster 3 objects: 1 ClusterRole, 1 ConfigMap, 1 Secret, in namespace shop and 1 cluster-wide; Flux leaves 1 in the cluster (kustomize.toolkit.fluxcd.io/prune: disabled, or an object Flux does not apply): PersistentVolumeClaim/shop/data; 1 of those deleted carries helm.sh/resource-policy: keep, which Flux does not read",
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the body lacks\n%s\nbody:\n%s", want, res.Body)
		}
	}
	// First among the warnings, before the apps table.
	if i, j := strings.Index(res.Body, "The promotion deletes"), strings.Index(res.Body, "### Apps"); i < 0 || j < i {
		t.Errorf("the warning is not above the apps table:\n%s", res.Body)
	}
	if !strings.Contains(log.String(), "flux/cache.yaml: app cache: app cache leaves the env") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestRemovedAppWarningBounded: a removed app of a thousand objects of
// hundreds of kinds in hundreds of namespaces, one of them named with a
// megabyte on the manifests branch, makes one line of a bounded length,
// counting what it does not name; a thousand removed apps make a block of
// at most maxRemovedApps lines in a body that fits GitHub's limit. Under
// prune: false the line says Flux leaves them all.
func TestRemovedAppWarningBounded(t *testing.T) {
	t.Parallel()
	old := map[string][]byte{
		"flux/big.yaml":               []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: big\n  namespace: flux-system\nspec:\n  prune: true\n"),
		"flux/loose.yaml":             []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: loose\n  namespace: flux-system\nspec:\n  prune: false\n"),
		"apps/loose/configmap_a.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: shop\n"),
	}
	huge := strings.Repeat("n", 1<<20)
	for i := range 1000 {
		ns := fmt.Sprintf("ns%d", i%300)
		if i == 7 {
			ns = huge
		}
		old[fmt.Sprintf("apps/big/k%d_o%d.yaml", i%200, i)] = fmt.Appendf(nil, "apiVersion: example.com/v1\nkind: Kind%d\nmetadata:\n  name: o%d\n  namespace: %s\n  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}\n", i%200, i, ns)
	}
	var changes []treediff.Change
	for p, data := range old {
		changes = append(changes, treediff.Change{Path: p, Op: treediff.Removed, App: treediff.AppOf(p), Old: data})
	}
	ws := removedAppWarnings(old, changes)
	if len(ws) != 2 {
		t.Fatalf("%d warnings, want one for each of big and loose: %v", len(ws), ws)
	}
	if n := len(ws[0].Msg); n > 2000 || !strings.Contains(ws[0].Msg, "Flux leaves 1000 in the cluster") || !strings.Contains(ws[0].Msg, "and 997 more") {
		t.Errorf("a warning of %d bytes: %.3000s", n, ws[0].Msg)
	}
	if !strings.Contains(ws[1].Msg, "it does not prune (flux.prune: false), so Flux leaves the 1 object it applied in the cluster") {
		t.Errorf("prune: false: %s", ws[1].Msg)
	}
	// Deleted, they are counted by kind and namespace.
	for p, data := range old {
		old[p] = bytes.Replace(data, []byte("  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}\n"), nil, 1)
	}
	for i := range changes {
		changes[i].Old = old[changes[i].Path]
	}
	ws = removedAppWarnings(old, changes)
	if n := len(ws[0].Msg); n > 2000 || !strings.Contains(ws[0].Msg, "deletes from the cluster 1000 objects: 5 Kind0, 5 Kind1, 5 Kind10,") ||
		!strings.Contains(ws[0].Msg, "and 960 objects of 192 more kinds, in namespaces ") || !strings.Contains(ws[0].Msg, ", and 296 more") {
		t.Errorf("a warning of %d bytes: %.3000s", n, ws[0].Msg)
	}

	if testing.Verbose() {
		t.Log(ws[0].Msg)
	}
	var lines []string
	for i := range 1000 {
		lines = append(lines, fmt.Sprintf("`flux/app%d.yaml`: %s", i, ws[0].Msg))
	}
	body := prbody.Render(prbody.Input{Env: "dev", RemovedApps: lines, New: &lockfile.Lock{Env: "dev"}})
	if len(body) > prbody.Limit || strings.Count(body, "> - `flux/app") != 10 || !strings.Contains(body, "> - and 990 more: run `kiln diff --env dev` to see every one") {
		t.Errorf("a body of %d bytes with %d apps named:\n%.3000s", len(body), strings.Count(body, "> - `flux/app"), body)
	}
}

// TestRemovedAppByDeletionPolicy: what kustomize-controller's finalizer
// deletes with a removed Kustomization is not spec.prune alone: a
// suspended one deletes nothing, deletionPolicy Orphan neither, and Delete
// deletes under prune: false. The warning (and the moved and pruned ones,
// through pruning) follows the finalizer.
func TestRemovedAppByDeletionPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ spec, want string }{
		{"prune: true\n  suspend: true\n", "it is suspended (spec.suspend: true), and the finalizer of a suspended Kustomization deletes nothing, so Flux leaves the 1 object"},
		{"prune: true\n  deletionPolicy: Orphan\n", "its deletionPolicy is Orphan, so Flux leaves the 1 object"},
		{"prune: false\n  deletionPolicy: Delete\n", "its finalizer then deletes from the cluster 1 object: 1 PersistentVolumeClaim, in namespace shop"},
		{"prune: false\n", "it does not prune (flux.prune: false), so Flux leaves the 1 object"},
	} {
		old := map[string][]byte{
			"flux/db.yaml": []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: db\n  namespace: flux-system\nspec:\n  " + tc.spec),
			"apps/db/persistentvolumeclaim_data.yaml": []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: shop\n"),
		}
		var changes []treediff.Change
		for p, data := range old {
			changes = append(changes, treediff.Change{Path: p, Op: treediff.Removed, App: "db", Old: data, Object: treediff.ObjectOf(data).String()})
		}
		ws := removedAppWarnings(old, changes)
		if len(ws) != 1 || !strings.Contains(ws[0].Msg, tc.want) {
			t.Errorf("%q: %v, want %q", tc.spec, ws, tc.want)
		}
		// The claim's data goes only when the finalizer deletes.
		pruned := prunedWarnings(old, changes)
		if deletes := strings.Contains(tc.want, "deletes from the cluster"); (len(pruned) == 1) != deletes {
			t.Errorf("%q: pruned warnings %v, want one: %v", tc.spec, pruned, deletes)
		}
	}
}

// TestRemovedAppKeptInADeletedNamespace: app db creates its Namespace and
// a claim annotated kustomize.toolkit.fluxcd.io/prune: disabled in it, and
// a custom resource so annotated whose CRD it defines. Removing the app,
// the warning said Flux leaves the claim and the custom resource in the
// cluster, while its finalizer deletes the Namespace and the CRD, and
// Kubernetes deletes the claim and the custom resource with them: the
// reviewer read that the data stays. They are named as deleted all the
// same; a claim in a namespace that stays is still left.
func TestRemovedAppKeptInADeletedNamespace(t *testing.T) {
	t.Parallel()
	const keep = "  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}\n"
	old := map[string][]byte{
		"flux/db.yaml":                            []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: db\n  namespace: flux-system\nspec:\n  prune: true\n"),
		"apps/db/namespace_db.yaml":               []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: db\n"),
		"apps/db/persistentvolumeclaim_data.yaml": []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: db\n" + keep),
		"apps/db/persistentvolumeclaim_logs.yaml": []byte("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: logs\n  namespace: shop\n" + keep),
		"apps/db/crd.yaml":                        []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: backups.example.com\nspec:\n  group: example.com\n  names: {kind: Backup, plural: backups}\n"),
		"apps/db/backup_nightly.yaml":             []byte("apiVersion: example.com/v1\nkind: Backup\nmetadata:\n  name: nightly\n  namespace: shop\n" + keep),
	}
	var changes []treediff.Change
	for p, data := range old {
		changes = append(changes, treediff.Change{Path: p, Op: treediff.Removed, App: "db", Old: data, Object: treediff.ObjectOf(data).String()})
	}
	ws := removedAppWarnings(old, changes)
	if len(ws) != 1 {
		t.Fatalf("%d warnings: %v", len(ws), ws)
	}
	msg := ws[0].Msg
	for _, want := range []string{
		"Flux leaves 1 in the cluster (kustomize.toolkit.fluxcd.io/prune: disabled, or an object Flux does not apply): PersistentVolumeClaim/shop/logs;",
		"2 marked prune: disabled are deleted all the same, with the Namespace or CustomResourceDefinition this promotion deletes: ",
		"Backup/shop/nightly",
		"PersistentVolumeClaim/db/data",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the warning lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "Flux leaves 3") {
		t.Errorf("the warning says the doomed objects are left:\n%s", msg)
	}
	// Under deletionPolicy Orphan the Namespace stays: the claim too.
	old["flux/db.yaml"] = []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: db\n  namespace: flux-system\nspec:\n  prune: true\n  deletionPolicy: Orphan\n")
	for i := range changes {
		changes[i].Old = old[changes[i].Path]
	}
	if ws := removedAppWarnings(old, changes); len(ws) != 1 || strings.Contains(ws[0].Msg, "deleted all the same") || strings.Contains(ws[0].Msg, "Kubernetes deletes") {
		t.Errorf("Orphan: %v", ws)
	}
}
