package render_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kiln-gitops/kiln/render"
)

// TestEnvPatchRehashesGenerated: an env patch that changes a generated
// ConfigMap or Secret, named as its generator names it, gives the object
// the name kustomize gives it when the overlay carries the same patches
// (kustomize patches before it hashes), and the Deployment that uses it
// follows, so that the change rolls out. Without the new hash the data
// would change under the old name and no Pod would restart.
func TestEnvPatchRehashesGenerated(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"kustomization.yaml": "resources: [deploy.yaml]\n" +
			"configMapGenerator:\n- name: app-config\n  literals: [LOG_LEVEL=info]\n" +
			"secretGenerator:\n- name: app-secret\n  literals: [token=abc123456]\n",
		"deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n" +
			"  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n" +
			"      containers:\n      - name: web\n        image: nginx:1.27\n" +
			"        envFrom: [{configMapRef: {name: app-config}}]\n" +
			"        env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: app-secret, key: token}}}]\n" +
			"      volumes: [{name: c, configMap: {name: app-config}}]\n",
	}
	// Two patches of the ConfigMap (the second finds it by its name
	// before the hash although the first changed its content) and a
	// JSON6902 patch of the Secret.
	patches := []struct{ target, patch string }{
		{patch: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata: {LOG_LEVEL: debug}\n"},
		{target: "{kind: ConfigMap, name: app-config}", patch: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: any}\ndata: {EXTRA: \"1\"}\n"},
		{target: "{kind: Secret, name: app-secret}", patch: "- {op: replace, path: /data/token, value: ZGVmNDU2Nzg5}\n"},
	}
	files := map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
			"apps:\n  - name: web\n    namespace: web\n    kustomize: base\n",
	}
	env := "apps:\n  web:\n    patches:\n"
	overlay := "resources: [../base]\npatches:\n"
	for _, p := range patches {
		indent := func(n int) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(strings.TrimSuffix(p.patch, "\n"), "\n", "\n"+pad) + "\n"
		}
		env += "      - patch: |\n" + indent(10)
		overlay += "- patch: |\n" + indent(4)
		if p.target != "" {
			env += "        target: " + p.target + "\n"
			overlay += "  target: " + p.target + "\n"
		}
	}
	files["envs/dev.yaml"] = env
	fs := filesys.MakeFsInMemory()
	for name, content := range base {
		files["base/"+name] = content
		if err := fs.WriteFile("/base/"+name, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.WriteFile("/overlay/kustomization.yaml", []byte(overlay)); err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/overlay")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, r := range m.Resources() {
		if k := r.GetKind(); k == "ConfigMap" || k == "Secret" {
			want[k] = r.GetName()
		}
	}
	if want["ConfigMap"] == "" || want["Secret"] == "" || !strings.HasPrefix(want["ConfigMap"], "app-config-") {
		t.Fatalf("kustomize gave %v", want)
	}

	opts := testOptions()
	opts.Images = render.Images{}
	r, err := render.New(load(t, writeProject(t, files)), opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	er := results[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	for _, w := range er.Warnings {
		t.Errorf("warning: %s", w)
	}
	var all strings.Builder
	for name, data := range er.Files {
		if strings.HasPrefix(name, "apps/web/") {
			all.Write(data)
		}
	}
	out := all.String()
	for kind, name := range want {
		// The object itself and the Deployment's references: envFrom and
		// the volume for the ConfigMap, the secretKeyRef for the Secret.
		n := strings.Count(out, "name: "+name+"\n")
		if wantN := map[string]int{"ConfigMap": 3, "Secret": 2}[kind]; n != wantN {
			t.Errorf("%s: %q appears %d times, want %d:\n%s", kind, name, n, wantN, out)
		}
	}
	for kind, name := range want {
		prefix := name[:len(name)-10]
		if strings.Count(out, prefix) != strings.Count(out, name) {
			t.Errorf("%s: a name with another hash than kustomize's %q is left:\n%s", kind, name, out)
		}
	}
}
