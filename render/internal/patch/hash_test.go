package patch

import (
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kiln-gitops/kiln/internal/objects"
)

// TestRehashPerNamespace: one base built into two namespaces holds the
// same generated ConfigMap name in both. A patch of the copy in one
// namespace renames that copy and the references beside it, as kustomize
// does with the same patch in the overlay; the other copy and the
// Deployment that uses it keep the old name, which is still the hash of
// their content.
func TestRehashPerNamespace(t *testing.T) {
	t.Parallel()
	fs := filesys.MakeFsInMemory()
	files := map[string]string{
		"/base/kustomization.yaml": "resources: [deploy.yaml]\nconfigMapGenerator:\n- name: app-config\n  literals: [LOG_LEVEL=info]\n",
		"/base/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n" +
			"      containers:\n      - name: web\n        image: nginx\n        envFrom: [{configMapRef: {name: app-config}}]\n",
		"/a/kustomization.yaml":     "namespace: a\nresources: [../base]\n",
		"/b/kustomization.yaml":     "namespace: b\nresources: [../base]\n",
		"/plain/kustomization.yaml": "resources: [../a, ../b]\n",
		"/patched/kustomization.yaml": "resources: [../a, ../b]\npatches:\n- target: {kind: ConfigMap, name: app-config, namespace: a}\n" +
			"  patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: app-config}\n    data: {LOG_LEVEL: debug}\n",
	}
	for name, content := range files {
		if err := fs.WriteFile(name, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	build := func(dir string) []byte {
		m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.AsYaml()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	objs, err := objects.Parse(build("/plain"), "out.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := Apply(objs, []Patch{{File: "envs/dev.yaml", Line: 4, Target: &Selector{Kind: "ConfigMap", Name: "app-config", Namespace: "a"},
		Patch: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata: {LOG_LEVEL: debug}\n"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range out {
		s, err := o.Node.String()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	want, err := objects.Parse(build("/patched"), "want.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	var wantS []string
	for _, o := range want {
		s, err := o.Node.String()
		if err != nil {
			t.Fatal(err)
		}
		wantS = append(wantS, s)
	}
	sort.Strings(got)
	sort.Strings(wantS)
	if g, w := strings.Join(got, "---\n"), strings.Join(wantS, "---\n"); g != w {
		t.Errorf("Apply() gave\n%s\nkustomize gives\n%s", g, w)
	}
}

// TestRehashDeletedCopyKeepsReferences: of the same generated name in two
// namespaces, one copy is patched and the other deleted. The Deployment
// beside the deleted copy named that copy, not the patched one in the
// other namespace: it keeps the name it had.
func TestRehashDeletedCopyKeepsReferences(t *testing.T) {
	t.Parallel()
	cm := func(ns string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, namespace: " + ns + "}\ndata: {LOG_LEVEL: info}\n"
	}
	var docs []string
	old := ""
	for _, ns := range []string{"a", "b"} {
		objs, err := objects.Parse([]byte(cm(ns)), "x.yaml", 0)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := contentHash(objs[0].Node, "app-config")
		if !ok {
			t.Fatal("no hash")
		}
		name := "app-config-" + h
		old = name // the same in both: the hash covers no namespace
		docs = append(docs, strings.Replace(cm(ns), "name: app-config,", "name: "+name+",", 1),
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: "+ns+"}\nspec: {template: {spec: {volumes: [{name: c, configMap: {name: "+name+"}}]}}}\n")
	}
	objs, err := objects.Parse([]byte(strings.Join(docs, "---\n")), "out.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := Apply(objs, []Patch{
		{File: "envs/dev.yaml", Line: 4, Patch: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, namespace: a}\ndata: {LOG_LEVEL: debug}\n"},
		{File: "envs/dev.yaml", Line: 8, Patch: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, namespace: b}\n$patch: delete\n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		s, err := o.Node.String()
		if err != nil {
			t.Fatal(err)
		}
		if o.Node.GetKind() == "Deployment" && o.Node.GetNamespace() == "b" && !strings.Contains(s, "name: "+old+"}") {
			t.Errorf("the Deployment beside the deleted copy took another name than %s:\n%s", old, s)
		}
		if o.Node.GetKind() == "Deployment" && o.Node.GetNamespace() == "a" && strings.Contains(s, old) {
			t.Errorf("the Deployment beside the patched copy kept %s:\n%s", old, s)
		}
	}
}

// TestJSONPatchRenamingGeneratedRefused: a JSON6902 env patch that gives
// a generated ConfigMap another name or namespace left the Deployment
// naming the old one, which no longer exists. It is an error naming the
// generator; a patch of the data alone still renames both.
func TestJSONPatchRenamingGeneratedRefused(t *testing.T) {
	t.Parallel()
	fs := filesys.MakeFsInMemory()
	for name, content := range map[string]string{
		"/app/kustomization.yaml": "namespace: shop\nresources: [deploy.yaml]\nconfigMapGenerator:\n- name: app-config\n  literals: [LOG_LEVEL=info]\n",
		"/app/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n" +
			"      containers:\n      - name: web\n        image: nginx\n        envFrom: [{configMapRef: {name: app-config}}]\n",
	} {
		if err := fs.WriteFile(name, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/app")
	if err != nil {
		t.Fatal(err)
	}
	data, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	target := &Selector{Kind: "ConfigMap", Name: "app-config"}
	for _, tc := range []struct{ name, patch, want string }{
		{"name", "- {op: replace, path: /metadata/name, value: other}",
			"envs/dev.yaml:4: ConfigMap/shop/app-config-"},
		{"namespace", "- {op: replace, path: /metadata/namespace, value: other}",
			"JSON6902 patch renames ConfigMap app-config-"},
		{"data", "- {op: replace, path: /data/LOG_LEVEL, value: debug}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := objects.Parse(data, "out.yaml", 0)
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := Apply(objs, []Patch{{File: "envs/dev.yaml", Line: 4, Target: target, Patch: tc.patch}})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				var cm, dep string
				for _, o := range out {
					switch o.Node.GetKind() {
					case "ConfigMap":
						cm = o.Node.GetName()
					case "Deployment":
						dep, _ = o.Node.String()
					}
				}
				if !strings.HasPrefix(cm, "app-config-") || cm == "app-config-hf678c7m2b" || !strings.Contains(dep, "name: "+cm) {
					t.Errorf("ConfigMap %s, Deployment:\n%s\nwant it renamed with its user", cm, dep)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "configMapGenerator app-config") {
				t.Errorf("Apply() error = %v, want one containing %q and the generator", err, tc.want)
			}
		})
	}
}
