package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/testenv"
)

// immutableWidgetCRD is a CRD whose spec.size (an integer) and spec.zone cannot
// change: transition rules, as Karpenter's and MinIO's are written.
const immutableWidgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size:
                type: integer
                x-kubernetes-validations:
                - {rule: self == oldSelf, message: size is immutable}
              zone:
                type: string
                x-kubernetes-validations:
                - {rule: self == oldSelf, message: zone is immutable}
              image: {type: string}
              token: {type: string}
`

const immutableWidget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\nspec:\n  size: 4\n  zone: a\n  image: web:1\n"

// TestTransitionsOfTrees: render.Transitions over two trees, as promote
// calls it. An integer field's rule holds when another field changes (the
// objects keep their integers), a changed integer or string is refused,
// the env's CRD takes precedence over validation.crds' for the same kind
// (as in a render), and a SOPS document, whose ciphertext sops makes anew,
// is left alone.
func TestTransitionsOfTrees(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	// validation.crds lists a stale copy without the zone rule.
	stale := strings.Replace(immutableWidgetCRD, "                x-kubernetes-validations:\n                - {rule: self == oldSelf, message: zone is immutable}\n", "", 1)
	if err := os.WriteFile(filepath.Join(root, "crds.yaml"), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &envconfig.Pipeline{Root: root, KubeVersion: "1.37.0", Validation: envconfig.Validation{CRDs: []envconfig.FileRef{{Path: "crds.yaml", Line: 3}}}}
	const path = "apps/web/widget_shop_w.yaml"
	for _, tc := range []struct {
		name, from, to string
		crdInTree      bool
		want           []string
	}{
		{"image changed", "image: web:1", "image: web:2", true, nil},
		{"size changed", "size: 4", "size: 8", true, []string{`apps/web/widget_shop_w.yaml:7: app web: Widget/shop/w: field "spec.size": Invalid value: size is immutable, a rule of its CustomResourceDefinition`}},
		{"zone changed, the env's CRD", "zone: a", "zone: b", true, []string{`field "spec.zone": Invalid value: zone is immutable`}},
		{"zone changed, only validation.crds' CRD", "zone: a", "zone: b", false, nil},
		{"encrypted with sops", "size: 4", "size: 8\nsops: {mac: x}", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			old := map[string][]byte{path: []byte(immutableWidget)}
			if tc.from == "size: 4" && strings.Contains(tc.to, "sops") {
				old[path] = []byte(immutableWidget + "sops: {mac: y}\n")
			}
			tree := map[string][]byte{path: []byte(strings.Replace(immutableWidget, tc.from, tc.to, 1))}
			if tc.crdInTree {
				tree["apps/web/customresourcedefinition_widgets.example.com.yaml"] = []byte(immutableWidgetCRD)
			}
			wantTransitions(t, p, tree, []ObjectChange{{Path: path, App: "web", Old: old[path], New: tree[path]}}, tc.want)
		})
	}
}

// TestTransitionsOncePerAppAndRule: a chart upgrade that changes one
// immutable field of each of an app's custom resources makes one warning
// per app and rule, at the first object, counting the rest; another rule,
// or another app, keeps its own.
func TestTransitionsOncePerAppAndRule(t *testing.T) {
	t.Parallel()
	p := &envconfig.Pipeline{Root: t.TempDir(), KubeVersion: "1.37.0"}
	tree := map[string][]byte{"apps/web/customresourcedefinition_widgets.example.com.yaml": []byte(immutableWidgetCRD)}
	var changed []ObjectChange
	widget := func(app, name, from, to string) {
		path := "apps/" + app + "/widget_shop_" + name + ".yaml"
		old := strings.Replace(immutableWidget, "name: w\n", "name: "+name+"\n", 1)
		tree[path] = []byte(strings.Replace(old, from, to, 1))
		changed = append(changed, ObjectChange{Path: path, App: app, Old: []byte(old), New: tree[path]})
	}
	for _, name := range []string{"a", "b", "c"} {
		widget("web", name, "size: 4", "size: 8")
	}
	widget("web", "d", "zone: a", "zone: b")
	widget("db", "e", "size: 4", "size: 8")
	var got []string
	for _, w := range Transitions(context.Background(), p, "dev", tree, changed) {
		what, _, _ := strings.Cut(w.Msg, ",")
		if i := strings.LastIndex(w.Msg, " (and "); i >= 0 {
			what += w.Msg[i:]
		}
		got = append(got, w.File+": "+what)
	}
	want := []string{
		`apps/web/widget_shop_a.yaml: field "spec.size": Invalid value: size is immutable (and 2 more objects of the app)`,
		`apps/web/widget_shop_d.yaml: field "spec.zone": Invalid value: zone is immutable`,
		`apps/db/widget_shop_e.yaml: field "spec.size": Invalid value: size is immutable`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A promotion stopped by --timeout or a signal: a rule cut short is
	// no refusal, and the rest are not evaluated.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ws := Transitions(ctx, p, "dev", tree, changed); len(ws) != 0 {
		t.Errorf("with the context ended, Transitions() = %v, want none", ws)
	}
}

// TestTransitionsDroppedVersion: a custom resource moved from v1beta1 to
// v1 in the promotion that also drops v1beta1 from its CRD. Flux's
// managedFields entry is of v1beta1, the version it last applied, and
// kube-apiserver 1.37 refuses the server-side apply of the moved object
// ("request to convert CR to an invalid group/version"), changed or not;
// with v1beta1 still listed (served: false is enough) it takes it. The
// error is no "Invalid" one, so Flux's force annotation does not help;
// once the entry is gone (kustomize-controller's MigrateAPIVersion gate
// rewrites it), the CRD's rules apply as to any move between versions.
// The real Gateway API GatewayClass CRD, its v1beta1 version cut out.
func TestTransitionsDroppedVersion(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "manifests", "gateway-api", "gatewayclasses-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd := string(data)
	const version = "\n  - additionalPrinterColumns:\n"
	first := strings.Index(crd, version)
	second := first + len(version) + strings.Index(crd[first+len(version):], version)
	if first < 0 || second < first+len(version) || !strings.Contains(crd[second:], "name: v1beta1\n") {
		t.Fatal("the CRD's v1beta1 version not found")
	}
	dropped := crd[:second+1]
	unserved := crd[:second] + strings.Replace(crd[second:], "    served: true\n", "    served: false\n", 1)
	const class = "kind: GatewayClass\nmetadata:\n  name: edge\nspec:\n  controllerName: acme.io/gateway-controller\n"
	const path = "apps/web/gatewayclass_edge.yaml"
	old := "apiVersion: gateway.networking.k8s.io/v1beta1\n" + class
	moved := "apiVersion: gateway.networking.k8s.io/v1\n" + class
	const droppedMsg = `apps/web/gatewayclass_edge.yaml:1: app web: GatewayClass/edge: moves from gateway.networking.k8s.io/v1beta1 to gateway.networking.k8s.io/v1 while its CustomResourceDefinition gatewayclasses.gateway.networking.k8s.io no longer lists gateway.networking.k8s.io/v1beta1`
	const immutableMsg = `GatewayClass/edge: field "spec.controllerName": Invalid value: field is immutable`
	other := strings.Replace(moved, "acme.io/", "example.net/", 1)
	// Flux recreates an object so annotated on an "Invalid" error only,
	// which the conversion's is not.
	forced := strings.Replace(moved, "  name: edge\n", "  name: edge\n  annotations: {kustomize.toolkit.fluxcd.io/force: enabled}\n", 1)
	p := &envconfig.Pipeline{Root: t.TempDir(), KubeVersion: "1.37.0"}
	for _, tc := range []struct {
		name, crd, cur string
		want           []string
	}{
		{"v1beta1 dropped", dropped, moved, []string{droppedMsg}},
		// Once the entry is gone (MigrateAPIVersion), the rule refuses it.
		{"v1beta1 dropped, controller changed", dropped, other, []string{droppedMsg, immutableMsg}},
		{"v1beta1 dropped, annotated for Flux to recreate it", dropped, forced, []string{droppedMsg}},
		{"v1beta1 listed, not served", unserved, moved, nil},
		{"v1beta1 listed, not served, controller changed", unserved, other, []string{immutableMsg}},
		{"v1beta1 served", crd, moved, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tree := map[string][]byte{path: []byte(tc.cur), "apps/web/customresourcedefinition_gatewayclasses.gateway.networking.k8s.io.yaml": []byte(tc.crd)}
			wantTransitions(t, p, tree, []ObjectChange{{Path: path, App: "web", Old: []byte(old), New: tree[path]}}, tc.want)
		})
	}
}

// TestTransitionsCRDDefaultChanged: CloudNativePG's Backup spec is
// immutable (oldSelf == self) and spec.method defaults to
// barmanObjectStore. An operator upgrade that changes that default, in the
// promotion where a Backup pins a method: the API server stored the old
// default and compares with it (kube-apiserver 1.37 takes the method
// pinned to the old default and refuses the new one). kiln defaulted the
// old object with the new CRD: it warned about the first and missed the
// second. A stored default neither manifest sets stays as it was, and one
// the old manifest set goes with it (1.37 takes the first, refuses the
// second). The real CRD of CloudNativePG 1.30.0, its default changed.
func TestTransitionsCRDDefaultChanged(t *testing.T) {
	t.Parallel()
	read := func(name string) string { return testenv.RealManifest(t, "cloudnative-pg", name) }
	crd, backup := read("backups-crd.yaml"), read("backup-example.yaml")
	changedCRD := strings.Replace(crd, "default: barmanObjectStore", "default: volumeSnapshot", 1)
	if changedCRD == crd {
		t.Fatal("the CRD's default not found")
	}
	const crdPath, path = "apps/db/customresourcedefinition_backups.postgresql.cnpg.io.yaml", "apps/db/backup_pg-backup-example.yaml"
	p := &envconfig.Pipeline{Root: t.TempDir(), KubeVersion: "1.37.0"}
	const labelled = "  name: pg-backup-example\n  labels: {team: db}\n"
	for _, tc := range []struct {
		name, newCRD, oldMethod, method string
		want                            bool
	}{
		{"the old default pinned", changedCRD, "", "barmanObjectStore", false},
		{"the new default set", changedCRD, "", "volumeSnapshot", true},
		{"the default kept, set", crd, "", "barmanObjectStore", false},
		{"the default kept, another set", crd, "", "volumeSnapshot", true},
		// The stored default stays: Flux's apply does not own it.
		{"neither sets it, a label added", changedCRD, "", "", false},
		// Flux owns what it set, and drops it: the new default comes.
		{"the old default set, then dropped", changedCRD, "barmanObjectStore", "", true},
		{"the old default set, then dropped, the default kept", crd, "barmanObjectStore", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			withMethod := func(m string) string {
				if m == "" {
					return strings.Replace(backup, "  name: pg-backup-example\n", labelled, 1)
				}
				return backup + "  method: " + m + "\n"
			}
			old := backup
			if tc.oldMethod != "" {
				old = withMethod(tc.oldMethod)
			}
			tree := map[string][]byte{path: []byte(withMethod(tc.method)), crdPath: []byte(tc.newCRD)}
			changed := []ObjectChange{{Path: path, App: "db", Old: []byte(old), New: tree[path]}}
			if tc.newCRD != crd {
				changed = append(changed, ObjectChange{Path: crdPath, App: "db", Old: []byte(crd), New: tree[crdPath]})
			}
			var got []string
			for _, w := range Transitions(context.Background(), p, "dev", tree, changed) {
				got = append(got, w.String())
			}
			const want = `app db: Backup/pg-backup-example: field "spec": Invalid value: BackupSpec is immutable once set`
			if !tc.want && len(got) > 0 || tc.want && (len(got) != 1 || !strings.Contains(got[0], want)) {
				t.Errorf("got:\n%s\nwant %v", strings.Join(got, "\n"), tc.want)
			}
		})
	}
}

// wantTransitions checks that Transitions of env dev warns of changed
// with the texts want holds, in order.
func wantTransitions(t *testing.T, p *envconfig.Pipeline, tree map[string][]byte, changed []ObjectChange, want []string) {
	t.Helper()
	var got []string
	for _, w := range Transitions(context.Background(), p, "dev", tree, changed) {
		got = append(got, w.String())
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = strings.Contains(got[i], want[i])
	}
	if !ok {
		t.Errorf("got:\n%s\nwant, in order, containing:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
