package envdiff

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/render"
)

// names are what kiln derives from env for this test's pipeline: vote in
// its own namespace per env, flux.name "{app}-{env}", manifests.path
// clusters/{env}.
func names(env string) render.EnvNames {
	return render.EnvNames{
		Namespaces: map[string]string{"vote": "vote-" + env, "platform": "platform"},
		Flux: map[string]string{
			"env":                    env,
			"kustomization/vote":     "vote-" + env,
			"kustomization/platform": "platform-" + env,
			"path/vote":              "./clusters/" + env + "/apps/vote",
			"path/platform":          "./clusters/" + env + "/apps/platform",
			"provider/commit-status": "kiln-" + env + "-commit-status",
		},
	}
}

func obj(kind, ns, name string) string {
	api := "v1"
	if kind == "Deployment" {
		api = "apps/v1"
	}
	s := "apiVersion: " + api + "\nkind: " + kind + "\nmetadata:\n  name: " + name + "\n"
	if ns != "" {
		s += "  namespace: " + ns + "\n"
	}
	return s
}

func kustomization(env, app string) string {
	return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  labels:
    kiln/app: ` + app + `
    kiln/env: ` + env + `
  name: ` + app + `-` + env + `
  namespace: flux-system
spec:
  dependsOn:
  - name: platform-` + env + `
  healthChecks:
  - kind: Deployment
    name: vote
    namespace: vote-` + env + `
  path: ./clusters/` + env + `/apps/` + app + `
`
}

func tree(env string, extra map[string]string) map[string][]byte {
	files := map[string][]byte{
		"apps/vote/deployment_vote.yaml":        []byte(obj("Deployment", "vote-"+env, "vote")),
		"apps/vote/kustomization.yaml":          []byte("resources: []\n"),
		"apps/platform/namespace_vote-" + env:   []byte("not yaml: [\n"), // no .yaml: not an object file
		"apps/platform/namespace_vote-x.yaml":   []byte(obj("Namespace", "", "vote-"+env)),
		"flux/vote.yaml":                        []byte(kustomization(env, "vote")),
		"flux/notifications.yaml":               []byte(obj("Provider", "flux-system", "kiln-"+env+"-commit-status") + "---\n" + obj("Alert", "flux-system", "kiln-"+env+"-commit-status")),
		"flux/flux-system/gotk-components.yaml": []byte(obj("Namespace", "", "flux-system")),
		"kiln.lock.json":                        []byte(`{"env": "` + env + `"}`),
		"high-level/vote/values.yaml":           []byte("a: 1\n"),
	}
	for p, s := range extra {
		files[p] = []byte(s)
	}
	return files
}

func TestMatch(t *testing.T) {
	t.Parallel()
	prod, err := Objects(tree("prod", map[string]string{
		"apps/vote/configmap_legacy-b_moved.yaml":         obj("ConfigMap", "legacy-b", "moved"),
		"apps/vote/role_a_twice.yaml":                     obj("Role", "a", "twice"),
		"apps/vote/role_b_twice.yaml":                     obj("Role", "b", "twice"),
		"apps/vote/service_only-prod.yaml":                obj("Service", "vote-prod", "only-prod"),
		"apps/vote/configmap_vote-config-5g7c2kd8tf.yaml": obj("ConfigMap", "vote-prod", "vote-config-5g7c2kd8tf"),
		"apps/vote/configmap_plain-5g7c2kd8tf.yaml":       obj("ConfigMap", "vote-prod", "plain-5g7c2kd8tf"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	staging, err := Objects(tree("staging", map[string]string{
		"apps/vote/configmap_legacy-a_moved.yaml":         obj("ConfigMap", "legacy-a", "moved"),
		"apps/vote/role_c_twice.yaml":                     obj("Role", "c", "twice"),
		"apps/vote/role_d_twice.yaml":                     obj("Role", "d", "twice"),
		"apps/vote/service_only-staging.yaml":             obj("Service", "vote-staging", "only-staging"),
		"apps/vote/configmap_vote-config-hmk88mhbt8.yaml": obj("ConfigMap", "vote-staging", "vote-config-hmk88mhbt8"),
		// Two of one generator's name: which is which cannot be told.
		"apps/vote/configmap_plain-hmk88mhbt8.yaml": obj("ConfigMap", "vote-staging", "plain-hmk88mhbt8"),
		"apps/vote/configmap_plain-2m5b7t8f9c.yaml": obj("ConfigMap", "vote-staging", "plain-2m5b7t8f9c"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	a := NewAligner(names("prod"), names("staging"))
	side := func(env string, o *Object) string {
		if o == nil {
			return "-"
		}
		return o.Header(env)
	}
	var got []string
	for _, p := range Match(prod, staging, a) {
		got = append(got, side("staging", p.Against)+" | "+side("prod", p.Env))
	}
	want := []string{
		// Moved to a namespace that is no env mapping: paired, the
		// namespace shown as a difference.
		"staging/apps/platform/Namespace/vote-staging | prod/apps/platform/Namespace/vote-prod",
		"staging/apps/vote/ConfigMap/legacy-a/moved | prod/apps/vote/ConfigMap/legacy-b/moved",
		"staging/apps/vote/ConfigMap/vote-staging/plain-2m5b7t8f9c | -",
		"- | prod/apps/vote/ConfigMap/vote-prod/plain-5g7c2kd8tf",
		"staging/apps/vote/ConfigMap/vote-staging/plain-hmk88mhbt8 | -",
		// kustomize's generator with other content: another hash suffix.
		"staging/apps/vote/ConfigMap/vote-staging/vote-config-hmk88mhbt8 | prod/apps/vote/ConfigMap/vote-prod/vote-config-5g7c2kd8tf",
		"staging/apps/vote/Deployment/vote-staging/vote | prod/apps/vote/Deployment/vote-prod/vote",
		// Two of one name on each side, in other namespaces: which is
		// which cannot be told, so none is paired.
		"- | prod/apps/vote/Role/a/twice",
		"- | prod/apps/vote/Role/b/twice",
		"staging/apps/vote/Role/c/twice | -",
		"staging/apps/vote/Role/d/twice | -",
		"- | prod/apps/vote/Service/vote-prod/only-prod",
		"staging/apps/vote/Service/vote-staging/only-staging | -",
		"staging/flux/notifications/Alert/flux-system/kiln-staging-commit-status | prod/flux/notifications/Alert/flux-system/kiln-prod-commit-status",
		"staging/flux/notifications/Provider/flux-system/kiln-staging-commit-status | prod/flux/notifications/Provider/flux-system/kiln-prod-commit-status",
		"staging/flux/vote/Kustomization/flux-system/vote-staging | prod/flux/vote/Kustomization/flux-system/vote-prod",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Match (-want +got):\n%s", d)
	}
}

func TestAlign(t *testing.T) {
	t.Parallel()
	a := NewAligner(names("prod"), names("staging"))
	for _, tc := range []struct {
		name, against, env string
		section, unit      string
	}{
		{
			name:    "app namespace, in metadata and in subjects",
			section: Apps, unit: "vote",
			against: "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: r\n  namespace: vote-staging\nsubjects:\n- kind: ServiceAccount\n  name: vote\n  namespace: vote-staging\n- kind: ServiceAccount\n  name: other\n  namespace: elsewhere\n",
			env:     "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: r\n  namespace: vote-prod\nsubjects:\n- kind: ServiceAccount\n  name: vote\n  namespace: vote-prod\n- kind: ServiceAccount\n  name: other\n  namespace: elsewhere\n",
		},
		{
			name:    "a namespace in a DNS name stays",
			section: Apps, unit: "vote",
			against: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: vote-staging\ndata:\n  host: redis.vote-staging.svc\n",
			env:     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: vote-prod\ndata:\n  host: redis.vote-staging.svc\n",
		},
		{
			name:    "a Namespace of another app's namespace",
			section: Apps, unit: "platform",
			against: obj("Namespace", "", "vote-staging"),
			env:     obj("Namespace", "", "vote-prod"),
		},
		{
			name:    "the Flux Kustomization",
			section: Flux, unit: "vote",
			against: kustomization("staging", "vote"),
			env:     kustomization("prod", "vote"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := Objects(map[string][]byte{tc.section + "/" + tc.unit + "/x.yaml": []byte(tc.against), tc.section + "/" + tc.unit + ".yaml": []byte(tc.against)})
			if err != nil || len(objs) != 1 {
				t.Fatal(objs, err)
			}
			got := string(a.Align(objs[0], []byte(tc.against)))
			if d := cmp.Diff(string(Normal([]byte(tc.env))), got); d != "" {
				t.Errorf("Align (-want +got):\n%s", d)
			}
		})
	}
	// Ambiguous: two apps share a namespace in staging and have two in
	// prod; an object of a third app in it keeps its namespace.
	env := render.EnvNames{Namespaces: map[string]string{"a": "a-prod", "b": "b-prod", "c": "c"}}
	against := render.EnvNames{Namespaces: map[string]string{"a": "shared", "b": "shared", "c": "c"}}
	amb := NewAligner(env, against)
	for _, tc := range []struct{ app, ns, want string }{
		{app: "a", ns: "shared", want: "a-prod"},
		{app: "b", ns: "shared", want: "b-prod"},
		{app: "c", ns: "shared", want: "shared"},
		{app: "c", ns: "", want: ""},
	} {
		if got := amb.Namespace(tc.app, tc.ns); got != tc.want {
			t.Errorf("Namespace(%q, %q) = %q, want %q", tc.app, tc.ns, got, tc.want)
		}
	}
	if got := string(Normal([]byte("a: [\n"))); !strings.HasPrefix(got, "a: [") {
		t.Errorf("Normal of YAML that does not parse = %q, want it as it was", got)
	}
}

// TestNormalKeepsWhatDiffers: the encoding both sides are compared in
// loses nothing a render writes: an annotation kyaml's writer would drop
// (config.kubernetes.io/index, which a render keeps from its input) and
// a List's own fields, which unwrapping would drop.
func TestNormalKeepsWhatDiffers(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{
		{
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    config.kubernetes.io/index: \"7\"\n    internal.config.kubernetes.io/index: \"3\"\n    internal.config.kubernetes.io/seqindent: wide\n",
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    config.kubernetes.io/index: \"8\"\n    internal.config.kubernetes.io/index: \"4\"\n    internal.config.kubernetes.io/seqindent: compact\n",
		},
		{
			"apiVersion: v1\nkind: List\nmetadata:\n  labels: {a: b}\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n",
			"apiVersion: v1\nkind: List\nmetadata:\n  labels: {a: c}\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n",
		},
	} {
		a, b := Normal([]byte(pair[0])), Normal([]byte(pair[1]))
		if string(a) == string(b) {
			t.Errorf("Normal makes these two one:\n%s\n%s", pair[0], pair[1])
		}
		for i, data := range [][]byte{a, b} {
			if string(data) != pair[i] {
				t.Errorf("Normal(%q) = %q, want it as it was", pair[i], data)
			}
		}
	}
}
