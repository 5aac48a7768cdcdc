package helm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates"
)

// externalDNSArchive is the real external-dns chart 1.21.1
// (testdata/charts/external-dns at the repository root) packed as `helm
// package` and `helm dependency build` leave it: external-dns-1.21.1.tgz,
// its entries under external-dns/.
func externalDNSArchive(t *testing.T) []byte {
	t.Helper()
	ch, err := loader.Load(filepath.Join("..", "..", "testdata", "charts", "external-dns"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != "external-dns-1.21.1.tgz" {
		t.Fatalf("packed as %s", p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestArchiveSubchartNamed: a subchart vendored as a .tgz has no folder
// of the path helm names its files by (c/charts/external-dns/templates/…):
// template errors, values.schema.json errors, values.yaml errors, object
// locations and warnings name the archive and the entry inside it, as
// `tar tzf` lists it, one archive after the other for an archive inside
// an archive.
func TestArchiveSubchartNamed(t *testing.T) {
	t.Parallel()
	edns := externalDNSArchive(t)
	const chartC = "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - name: %s\n    version: %s\n"
	// s is a small subchart of its own for what external-dns's
	// templates cannot be made to do: each template fails on a value.
	s := tgz(t, "s",
		entry{"Chart.yaml", []byte("apiVersion: v2\nname: s\nversion: 0.1.0\n")},
		entry{"values.yaml", []byte("yaml: false\nnil: false\n")},
		entry{"templates/bad.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\n{{- if .Values.yaml }}\ndata: [\n{{- end }}\n")},
		entry{"templates/nil.yaml", []byte("{{- if .Values.nil }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.nope.name }}\n{{- end }}\n")},
		entry{"templates/hook.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hooked\n  annotations:\n    helm.sh/hook: pre-instal\n")},
	)
	m := tgz(t, "m",
		entry{"Chart.yaml", []byte("apiVersion: v2\nname: m\nversion: 0.1.0\ndependencies:\n  - name: external-dns\n    version: 1.21.1\n")},
		entry{"charts/external-dns-1.21.1.tgz", edns},
	)
	for _, tc := range []struct {
		name     string
		files    map[string][]byte // below the repository
		values   string
		wantFile string
		wantLine int
		wantMsg  string
	}{
		{name: "fail", values: "external-dns:\n  policy: sync\n  txtPrefix: a\n  txtSuffix: b\n",
			files:    map[string][]byte{"c/Chart.yaml": []byte(fmt.Sprintf(chartC, "external-dns", "1.21.1")), "c/charts/external-dns-1.21.1.tgz": edns},
			wantFile: "c/charts/external-dns-1.21.1.tgz: external-dns/templates/deployment.yaml", wantLine: 112, wantMsg: "'txtPrefix' and 'txtSuffix' are mutually exclusive"},
		{name: "values.schema.json", values: "external-dns:\n  policy: sync\n  replicaCount: 2\n",
			files:    map[string][]byte{"c/Chart.yaml": []byte(fmt.Sprintf(chartC, "external-dns", "1.21.1")), "c/charts/external-dns-1.21.1.tgz": edns},
			wantFile: "c/charts/external-dns-1.21.1.tgz: external-dns/values.schema.json", wantMsg: "/replicaCount"},
		{name: "archive inside an archive", values: "m:\n  external-dns:\n    policy: sync\n    txtPrefix: a\n    txtSuffix: b\n",
			files:    map[string][]byte{"c/Chart.yaml": []byte(fmt.Sprintf(chartC, "m", "0.1.0")), "c/charts/m-0.1.0.tgz": m},
			wantFile: "c/charts/m-0.1.0.tgz: m/charts/external-dns-1.21.1.tgz: external-dns/templates/deployment.yaml", wantLine: 112, wantMsg: "mutually exclusive"},
		{name: "rendered YAML", values: "s:\n  yaml: true\n",
			files:    map[string][]byte{"c/Chart.yaml": []byte(fmt.Sprintf(chartC, "s", "0.1.0")), "c/charts/s-0.1.0.tgz": s},
			wantFile: "c/charts/s-0.1.0.tgz: s/templates/bad.yaml", wantMsg: "template rendered invalid YAML"},
		{name: "nil pointer", values: "s:\n  nil: true\n",
			files:    map[string][]byte{"c/Chart.yaml": []byte(fmt.Sprintf(chartC, "s", "0.1.0")), "c/charts/s-0.1.0.tgz": s},
			wantFile: "c/charts/s-0.1.0.tgz: s/templates/nil.yaml", wantLine: 5, wantMsg: `executing "c/charts/s-0.1.0.tgz: s/templates/nil.yaml" at <.Values.nope.name>: nil pointer`},
		{name: "values.yaml", values: "",
			files: map[string][]byte{"c/Chart.yaml": []byte(fmt.Sprintf(chartC, "s", "0.1.0")),
				"c/charts/s-0.1.0.tgz": tgz(t, "s", entry{"Chart.yaml", []byte("apiVersion: v2\nname: s\nversion: 0.1.0\n")}, entry{"values.yaml", []byte("a: 1\nb: [\n")})},
			wantFile: "c/charts/s-0.1.0.tgz: s/values.yaml", wantLine: 2, wantMsg: "subchart s-0.1.0.tgz: cannot load values.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			for name, data := range tc.files {
				writeFile(t, filepath.Join(root, filepath.FromSlash(name)), string(data))
			}
			writeFile(t, filepath.Join(root, "values.yaml"), tc.values)
			_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop", ValuesFiles: []string{"values.yaml"}, KubeVersion: "1.31.0"})
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("Render() = %v, want a *diag.Error", err)
			}
			if de.File != tc.wantFile || de.Line != tc.wantLine || !strings.Contains(de.Msg, tc.wantMsg) {
				t.Errorf("error at %s:%d %q\nwant %s:%d and %q", de.File, de.Line, de.Msg, tc.wantFile, tc.wantLine, tc.wantMsg)
			}
			if strings.Contains(de.Msg, "/charts/external-dns/") || strings.Contains(de.Msg, "/charts/s/") {
				t.Errorf("message names a path only the archive has: %s", de.Msg)
			}
		})
	}

	t.Run("objects and warnings", func(t *testing.T) {
		t.Parallel()
		root := tempRoot(t)
		writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - name: m\n    version: 0.1.0\n  - name: s\n    version: 0.1.0\n")
		writeFile(t, filepath.Join(root, "c", "charts", "m-0.1.0.tgz"), string(m))
		writeFile(t, filepath.Join(root, "c", "charts", "s-0.1.0.tgz"), string(s))
		// external-dns's schema asks for a policy.
		writeFile(t, filepath.Join(root, "values.yaml"), "m:\n  external-dns:\n    policy: sync\n")
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, Path: "c", App: "web", Namespace: "shop", ValuesFiles: []string{"values.yaml"}, KubeVersion: "1.31.0"})
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, o := range res.Objects {
			files[o.Node.GetKind()+"/"+o.Node.GetName()] = o.File
		}
		for obj, want := range map[string]string{
			"Deployment/web-external-dns": "c/charts/m-0.1.0.tgz: m/charts/external-dns-1.21.1.tgz: external-dns/templates/deployment.yaml",
			"ConfigMap/bad":               "c/charts/s-0.1.0.tgz: s/templates/bad.yaml",
		} {
			if files[obj] != want {
				t.Errorf("%s at %q, want %q", obj, files[obj], want)
			}
		}
		var hooked bool
		for _, w := range res.Warnings {
			if strings.Contains(w.Msg, "ConfigMap/hooked") {
				hooked = true
				if w.File != "c/charts/s-0.1.0.tgz: s/templates/hook.yaml" {
					t.Errorf("unknown hook's warning at %q, want c/charts/s-0.1.0.tgz: s/templates/hook.yaml", w.File)
				}
			}
		}
		if !hooked {
			t.Errorf("no warning of the unknown hook in %v", res.Warnings)
		}
	})
}
