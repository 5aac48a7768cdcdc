package promote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// TestUnstableWarnings: an app whose objects change while its inputDigest
// and kiln's version stay is named, with its objects; files that change
// without their inputs by design (SOPS documents, secretFiles), apps whose
// inputs changed, another kiln's lock and an app kept by --app are not.
func TestUnstableWarnings(t *testing.T) {
	t.Parallel()
	secret := func(name, pw string) []byte {
		return []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: db\ndata:\n  password: " + pw + "\n")
	}
	sops := []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: enc\ndata:\n  pw: ENC[AES256_GCM,data:x]\nsops:\n  mac: ENC[y]\n")
	sops2 := []byte(strings.Replace(string(sops), "data:x", "data:z", 1))
	lock := func(version, in, out string, mod func(*render.LockApp)) *render.Lock {
		a := render.LockApp{Engine: "helm", InputDigest: in, OutputDigest: out}
		if mod != nil {
			mod(&a)
		}
		return &render.Lock{KilnVersion: version, Source: render.Source{Commit: "c1"}, Apps: map[string]render.LockApp{"db": a}}
	}
	changed := func(p string, old, new []byte) treediff.Change {
		return treediff.Trees(map[string][]byte{p: old}, map[string][]byte{p: new})[0]
	}
	pw := changed("apps/db/secret_db.yaml", secret("db", "YQ=="), secret("db", "Yg=="))
	for _, tc := range []struct {
		name     string
		old, new *render.Lock
		changes  []treediff.Change
		want     string // "" for no warning
	}{
		{"a password made anew", lock("1", "in", "out1", nil), lock("1", "in", "out2", nil), []treediff.Change{pw},
			"app db: Secret/db/db changes though the app's inputs did not"},
		{"inputs changed", lock("1", "in1", "out1", nil), lock("1", "in2", "out2", nil), []treediff.Change{pw}, ""},
		{"another kiln", lock("1", "in", "out1", nil), lock("2", "in", "out2", nil), []treediff.Change{pw}, ""},
		{"a SOPS document", lock("1", "in", "out1", nil), lock("1", "in", "out2", nil), []treediff.Change{changed("apps/db/secret_enc.yaml", sops, sops2)}, ""},
		{"a document SOPS encrypts now", lock("1", "in", "out1", nil), lock("1", "in", "out2", nil), []treediff.Change{changed("apps/db/secret_enc.yaml", secret("enc", "YQ=="), sops)}, ""},
		{"a document SOPS no longer encrypts", lock("1", "in", "out1", nil), lock("1", "in", "out2", nil), []treediff.Change{changed("apps/db/secret_enc.yaml", sops, secret("enc", "YQ=="))}, ""},
		{"a secret var's file before", lock("1", "in", "out1", func(a *render.LockApp) { a.SecretFiles = []string{"secret_db.yaml"} }), lock("1", "in", "out2", nil), []treediff.Change{pw}, ""},
		{"a secret var's file", lock("1", "in", "out1", nil), lock("1", "in", "out2", func(a *render.LockApp) { a.SecretFiles = []string{"secret_db.yaml"} }), []treediff.Change{pw}, ""},
		{"kept by --app", lock("1", "in", "out1", nil), lock("1", "in", "out2", func(a *render.LockApp) { a.Source = &render.Source{Commit: "c0"} }), []treediff.Change{pw}, ""},
		{"kept by --app in the env's current render", lock("1", "in", "out1", func(a *render.LockApp) { a.Source = &render.Source{Commit: "c0"} }), lock("1", "in", "out2", nil), []treediff.Change{pw}, ""},
		{"an object added: inputs the digest does not cover", lock("1", "in", "out1", nil), lock("1", "in", "out2", nil), []treediff.Change{pw,
			treediff.Trees(nil, map[string][]byte{"apps/db/secret_x.yaml": secret("x", "YQ==")})[0]}, ""},
		{"another apiVersion", lock("1", "in", "out1", nil), lock("1", "in", "out2", nil), []treediff.Change{
			changed("apps/db/hpa_web.yaml", []byte("apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\n"), []byte("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"))}, ""},
		{"many objects", lock("1", "in", "out1", nil), lock("1", "in", "out2", nil), []treediff.Change{
			changed("apps/db/secret_a.yaml", secret("a", "YQ=="), secret("a", "Yg==")),
			changed("apps/db/secret_b.yaml", secret("b", "YQ=="), secret("b", "Yg==")),
			changed("apps/db/secret_c.yaml", secret("c", "YQ=="), secret("c", "Yg==")),
			changed("apps/db/secret_d.yaml", secret("d", "YQ=="), secret("d", "Yg==")),
		}, "app db: Secret/db/a, Secret/db/b, Secret/db/c and 1 more object change though"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := unstableWarnings(tc.old, tc.new, tc.changes)
			switch {
			case tc.want == "" && len(ws) > 0:
				t.Errorf("warned: %v", ws)
			case tc.want != "" && (len(ws) != 1 || !strings.HasPrefix(ws[0].Msg, tc.want)):
				t.Errorf("warnings %v, want one starting %q", ws, tc.want)
			case tc.want != "" && (ws[0].File == "" || strings.Contains(ws[0].String(), "Yg==")):
				t.Errorf("warning %v names no file, or shows a value", ws[0])
			}
		})
	}
}

// TestUnstableAppWarned: a chart that generates a password when none is
// given (as Bitnami's do) makes a new one at each render, and the render
// cache never keeps a plain Secret: a promotion for another app's change
// rotates it. kiln diff and promote warn, and the pull request says so at
// the top. Real git repositories on disk, a real chart.
func TestUnstableAppWarned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := project(f.remote)
	f.commitCode(t, map[string]string{
		"kiln.yaml":                       p["kiln.yaml"] + "  - name: db\n    namespace: shop\n    helm:\n      chart: charts/db\n",
		"charts/db/Chart.yaml":            "apiVersion: v2\nname: db\nversion: 1.0.0\n",
		"charts/db/templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {{ randAlphaNum 16 | quote }}\n",
	}, "add db")
	if _, err := promote(t, f, f.opts(t, "dev", &bytes.Buffer{})); err != nil {
		t.Fatal(err)
	}
	f.commitCode(t, map[string]string{"apps/web/deployment.yaml": strings.Replace(p["apps/web/deployment.yaml"], "replicas: 1", "replicas: 2", 1)}, "scale web")
	f.warned(t, "apps/db/secret_db.yaml: app db: Secret/shop/db changes though the app's inputs did not",
		"Secret/shop/db changes though", "These objects change at every render", "app db: Secret/shop/db")
}

// TestRerenderWarned: the same chart, its values changed in the same
// promotion (so its inputDigest changed with the password): promote
// renders the changed Helm app once more and warns that its Secret
// differs between two renders of the same inputs.
func TestRerenderWarned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := project(f.remote)
	cfg := p["kiln.yaml"] + "  - name: db\n    namespace: shop\n    helm:\n      chart: charts/db\n"
	f.commitCode(t, map[string]string{
		"kiln.yaml":                       cfg,
		"charts/db/Chart.yaml":            "apiVersion: v2\nname: db\nversion: 1.0.0\n",
		"charts/db/values.yaml":           "size: 1Gi\n",
		"charts/db/templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels: {size: {{ .Values.size | quote }}}\nstringData:\n  password: {{ randAlphaNum 16 | quote }}\n",
	}, "add db")
	var log bytes.Buffer
	res, err := promote(t, f, f.opts(t, "dev", &log))
	if err != nil {
		t.Fatal(err)
	}
	// The first promotion: a new app, rendered twice.
	const want = "app db: Secret/shop/db differs between two renders of the same inputs"
	if !strings.Contains(log.String(), want) || !strings.Contains(res.Body, "These objects change at every render") {
		t.Errorf("the first promotion does not warn %q:\n%s\nbody:\n%s", want, log.String(), res.Body)
	}
	f.commitCode(t, map[string]string{"charts/db/values.yaml": "size: 2Gi\n"}, "grow db")
	// kiln diff, the preview of the promotion, warns the same.
	if dl := f.diffLog(t); !strings.Contains(dl, want) {
		t.Errorf("kiln diff does not warn %q:\n%s", want, dl)
	}
	log.Reset()
	if res, err = promote(t, f, f.opts(t, "dev", &log)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), want) || !strings.Contains(res.Body, "app db: Secret/shop/db differs") {
		t.Errorf("a change of the app's values does not warn %q:\n%s\nbody:\n%s", want, log.String(), res.Body)
	}
}
