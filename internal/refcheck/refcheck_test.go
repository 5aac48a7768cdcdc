//go:build refcheck

package refcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render"
	"github.com/kiln-gitops/kiln/templates/helm"
)

const example = "../../examples/instavote"

// TestAgainstPrograms renders the example with kiln and each app with the
// program it claims parity with, and compares the objects. Apps with env
// patches are skipped (the programs know nothing of them), and kiln renders
// without CI images. Both sides drop metadata.namespace, because setting a
// namespaced object's default namespace is kiln's documented addition.
// kiln's side is read as Flux reads it, through `kustomize build` of the
// app's folder, the program's side as Helm, kubectl and Tanka read it
// (sigs.k8s.io/yaml), so that a value the two readers take differently
// shows up as a difference.
func TestAgainstPrograms(t *testing.T) {
	root, err := filepath.Abs(example)
	if err != nil {
		t.Fatal(err)
	}
	compareProject(t, root)
}

// compareProject renders the project at root (its kiln.yaml) with kiln and
// each of its Helm, Kustomize and Jsonnet apps with the program, and
// compares the objects of every env.
func compareProject(t *testing.T, root string) {
	t.Helper()
	p, err := envconfig.Load(filepath.Join(root, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts := render.DefaultOptions()
	opts.CacheDir = t.TempDir()
	r, err := render.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	results, err := r.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, er := range results {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
		ef, err := p.LoadEnvFile(er.Env)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Resolve(er.Env, ef, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		for _, app := range res.Apps {
			if len(app.Patches) > 0 || app.Engine == envconfig.EngineYAML {
				continue
			}
			t.Run(er.Env+"/"+app.Name, func(t *testing.T) {
				want := reference(t, root, p, res, app)
				got := asFluxReads(t, er.Files, app.Name)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("kiln differs from the %s program (-program +kiln):\n%s", app.Engine, diff)
				}
			})
			compared++
		}
	}
	if compared == 0 {
		t.Fatal("compared nothing")
	}
}

// asFluxReads reads an app's folder of kiln's output as Flux does: with
// `kustomize build` (the program), whose YAML reader is not Helm's. Parsing
// kiln's files directly with sigs.k8s.io/yaml, as the reference side is
// read, hid that a chart's `yes` was the boolean true to Helm and the
// string "yes" to the cluster.
func asFluxReads(t *testing.T, files map[string][]byte, app string) []string {
	t.Helper()
	dir := t.TempDir()
	for path, data := range files {
		if rel, ok := strings.CutPrefix(path, "apps/"+app+"/"); ok {
			f := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command("kustomize", "build", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build of kiln's apps/%s: %v\n%s", app, err, stderr.String())
	}
	var got []string
	for _, doc := range regexp.MustCompile(`(?m)^---.*$`).Split(string(out), -1) {
		got = append(got, canonical(t, []byte(doc))...)
	}
	sort.Strings(got)
	return got
}

// reference runs the program for one app in the repository root.
func reference(t *testing.T, root string, p *envconfig.Pipeline, res *envconfig.Resolved, app envconfig.ResolvedApp) []string {
	t.Helper()
	var args []string
	var prog string
	switch app.Engine {
	case envconfig.EngineHelm:
		prog = "helm"
		args = []string{"template", app.Name, app.Helm.Chart, "-n", app.Namespace, "--skip-tests", "--kube-version", p.KubeVersion}
		if !app.Helm.SkipCRDs {
			args = append(args, "--include-crds")
		}
		// kiln renders for a cluster of kubeVersion, which serves more than
		// helm's default set (docs/templates.md): without these, a chart
		// choosing policy/v1 by .Capabilities differs by the comparison alone.
		extra, err := helm.APIVersions(p.KubeVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range append(extra, listedAPIVersions(t, root, p, res.Env.Name)...) {
			args = append(args, "--api-versions", v)
		}
		for _, v := range app.Helm.Values {
			args = append(args, "-f", v)
		}
		if len(app.Values) > 0 {
			data, err := yaml.Marshal(app.Values)
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), "env-values.yaml")
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, "-f", f)
		}
	case envconfig.EngineKustomize:
		prog = "kustomize"
		args = []string{"build", app.Kustomize}
	case envconfig.EngineYAML:
		prog = "kustomize"
		args = []string{"build", "--load-restrictor", "LoadRestrictionsNone", fluxFolder(t, filepath.Join(root, app.YAML))}
	case envconfig.EngineJsonnet:
		out, stderr, err := jsonnetProgram(t, root, res, app)
		if err != nil {
			t.Fatalf("jsonnet: %v\n%s", err, stderr)
		}
		return parseOutput(t, app.Engine, out)
	}
	out, stderr, err := run(root, prog, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, stderr)
	}
	return parseOutput(t, app.Engine, out)
}

// listedAPIVersions is what kiln adds to .Capabilities.APIVersions for the
// CRDs under validation.crds, installed in the cluster by other means
// (docs/templates.md): "group/version" and "group/version/Kind" of each
// served version. Without them a chart that renders its ServiceMonitor
// only where the cluster serves it (loki's) differed by the comparison
// alone.
func listedAPIVersions(t *testing.T, root string, p *envconfig.Pipeline, env string) []string {
	t.Helper()
	var out []string
	for _, ref := range p.Validation.CRDs {
		data, err := os.ReadFile(filepath.Join(root, strings.ReplaceAll(ref.Path, "{env}", env)))
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range regexp.MustCompile(`(?m)^---.*$`).Split(string(data), -1) {
			var crd struct {
				Spec struct {
					Group    string                `json:"group"`
					Names    struct{ Kind string } `json:"names"`
					Versions []struct {
						Name   string `json:"name"`
						Served bool   `json:"served"`
					} `json:"versions"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal([]byte(doc), &crd); err != nil {
				t.Fatal(err)
			}
			for _, v := range crd.Spec.Versions {
				if v.Served && crd.Spec.Group != "" {
					out = append(out, crd.Spec.Group+"/"+v.Name, crd.Spec.Group+"/"+v.Name+"/"+crd.Spec.Names.Kind)
				}
			}
		}
	}
	return out
}

// jsonnetProgram runs the jsonnet program for one app in the repository
// root, with the ext vars and top-level arguments kiln passes, and returns
// its output, or its errors.
func jsonnetProgram(t *testing.T, root string, res *envconfig.Resolved, app envconfig.ResolvedApp) ([]byte, string, error) {
	t.Helper()
	var args []string
	vars, err := json.Marshal(res.Vars)
	if err != nil {
		t.Fatal(err)
	}
	// jpath's first folder wins, the program's right-most -J does.
	for _, j := range slices.Backward(app.Jsonnet.JPath) {
		args = append(args, "-J", j)
	}
	args = append(args, "--ext-str", "env="+res.Env.Name, "--ext-code", "vars="+string(vars), "--ext-code", "images={}")
	args = append(args, userArgs(t, "--ext", app.Jsonnet.ExtVars)...)
	tlas := []string{"--tla-str", "env=" + res.Env.Name, "--tla-code", "vars=" + string(vars), "--tla-code", "images={}"}
	tlas = append(tlas, userArgs(t, "--tla", app.Jsonnet.TLAs)...)
	// kiln passes a function only the arguments it declares; the
	// program refuses one it does not, naming it: leave that one out.
	for {
		all := append(slices.Clone(args), append(tlas, app.Jsonnet.File)...)
		out, stderr, err := run(root, "jsonnet", all...)
		if err == nil {
			return out, stderr, nil
		}
		m := regexp.MustCompile(`function has no parameter (\S+)`).FindStringSubmatch(stderr)
		i := -1
		if m != nil {
			i = slices.IndexFunc(tlas, func(a string) bool { return strings.HasPrefix(a, m[1]+"=") })
		}
		if i < 1 {
			return nil, stderr, fmt.Errorf("jsonnet %s: %w", strings.Join(all, " "), err)
		}
		tlas = slices.Delete(tlas, i-1, i+1)
	}
}

// fluxFolder is the folder kustomize-controller builds for dir: dir
// itself when it holds a kustomization, else one it generates
// (fluxcd/pkg/kustomize's scanManifests) listing every .yaml and .yml file
// below dir and, instead of its files, each folder that holds a
// kustomization. Files holding ${…} or $$, which only Flux's postBuild
// replaces, make the app not comparable.
func fluxFolder(t *testing.T, dir string) string {
	t.Helper()
	isKustomization := func(d string) bool {
		for _, k := range konfig.RecognizedKustomizationFileNames() {
			if fi, err := os.Stat(filepath.Join(d, k)); err == nil && !fi.IsDir() {
				return true
			}
		}
		return false
	}
	var resources []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		if d.IsDir() {
			if isKustomization(path) {
				resources = append(resources, path)
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("${")) || bytes.Contains(data, []byte("$$")) {
			t.Skipf("not comparable: %s holds ${…} or $$, which only Flux's postBuild replaces", path)
		}
		if !slices.Contains(konfig.RecognizedKustomizationFileNames(), d.Name()) {
			resources = append(resources, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if isKustomization(dir) {
		return dir
	}
	data, err := yaml.Marshal(map[string]any{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "kustomization.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// run runs a program in dir and returns its output and its errors.
func run(dir, prog string, args ...string) ([]byte, string, error) {
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	return out, stderr.String(), err
}

// userArgs gives kiln.yaml's jsonnet.extVars or jsonnet.tlas as the
// program's flags (prefix "--ext" or "--tla"): a string as -str, any
// other value as its JSON with -code, as kiln passes them.
func userArgs(t *testing.T, prefix string, m map[string]any) []string {
	t.Helper()
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if s, ok := m[k].(string); ok {
			out = append(out, prefix+"-str", k+"="+s)
			continue
		}
		data, err := json.Marshal(m[k])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, prefix+"-code", k+"="+string(data))
	}
	return out
}

// parseOutput turns a program's output into canonical objects, sorted.
func parseOutput(t *testing.T, engine string, out []byte) []string {
	t.Helper()
	var objs []string
	if engine == envconfig.EngineJsonnet {
		var v any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatal(err)
		}
		for _, o := range flatten(v) {
			data, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, canonical(t, data)...)
		}
	} else {
		if engine == envconfig.EngineHelm {
			out = sharedCRDFilesOnce(out)
		}
		// Split on whole "---" lines: the newline before one belongs to the
		// document above (a block scalar's last line break).
		for _, doc := range regexp.MustCompile(`(?m)^---.*$`).Split(string(out), -1) {
			if engine == envconfig.EngineHelm && !hookApplied(t, []byte(doc)) {
				continue
			}
			objs = append(objs, canonical(t, []byte(doc))...)
		}
	}
	sort.Strings(objs)
	return objs
}

// crdSource is the "# Source:" line helm template prints before a file of
// a chart's or subchart's crds/ folder.
var crdSource = regexp.MustCompile(`(?m)^# Source: [^/\n]+(/charts/[^/\n]+)*/crds/[^\n]*\n`)

// sharedCRDFilesOnce leaves out of helm template's output each crds/ file
// whose text it printed before: helm prints a subchart's crds/ files once
// per alias (Kong's ingress chart holds kong twice, as controller and
// gateway), helm install creates them once, and kiln writes them once
// (docs/templates.md). Each file runs from its "# Source:" line to the
// "---" line before the next one.
func sharedCRDFilesOnce(out []byte) []byte {
	sources := regexp.MustCompile(`(?m)^---\n# Source: `).FindAllIndex(out, -1)
	var kept []byte
	seen := map[string]bool{}
	for i, at := range sources {
		if i == 0 {
			kept = append(kept, out[:at[0]]...)
		}
		end := len(out)
		if i+1 < len(sources) {
			end = sources[i+1][0]
		}
		chunk := out[at[0]:end]
		if m := crdSource.FindIndex(chunk); m != nil && m[0] == len("---\n") {
			body := string(chunk[m[1]:])
			if seen[body] {
				continue
			}
			seen[body] = true
		}
		kept = append(kept, chunk...)
	}
	if len(sources) == 0 {
		return out
	}
	return kept
}

// hookApplied reports whether helm runs an object of its output when it
// installs or upgrades: one that is no hook, or a hook of one of those
// events. kiln leaves out the hooks that run only when a release is
// deleted or rolled back (docs/templates.md, "Hooks become ordinary
// objects"), which `helm template` prints. Events are read as helm's
// manifest sorter reads them.
func hookApplied(t *testing.T, doc []byte) bool {
	t.Helper()
	var m struct {
		Metadata struct {
			Annotations map[string]any `json:"annotations"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &m); err != nil {
		t.Fatalf("parsing %q: %v", doc, err)
	}
	hook, ok := m.Metadata.Annotations["helm.sh/hook"].(string)
	if !ok {
		return true
	}
	for _, e := range strings.Split(hook, ",") {
		switch strings.ToLower(strings.TrimSpace(e)) {
		case "pre-install", "post-install", "pre-upgrade", "post-upgrade":
			return true
		}
	}
	return false
}

// flatten walks jsonnet output like Tanka: objects with apiVersion and
// kind are objects, anything else is searched, nulls dropped.
func flatten(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["apiVersion"]; ok {
			if _, ok := x["kind"]; ok {
				return []map[string]any{x}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []map[string]any
		for _, k := range keys {
			out = append(out, flatten(x[k])...)
		}
		return out
	case []any:
		var out []map[string]any
		for _, e := range x {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return nil
}

// canonical turns a YAML document into sorted-key JSON without
// metadata.namespace, one string for each object (a List gives its
// items); an empty document gives nothing.
func canonical(t *testing.T, doc []byte) []string {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(doc, &m); err != nil {
		t.Fatalf("parsing %q: %v", doc, err)
	}
	if m == nil {
		return nil
	}
	// A List is its items to kiln, as to kustomize and kubectl
	// (docs/templates.md, "Lists"); the programs print it whole.
	if kind, _ := m["kind"].(string); strings.HasSuffix(kind, "List") {
		if items, ok := m["items"]; ok {
			var out []string
			for _, o := range flatten(items) {
				data, err := json.Marshal(o)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, canonical(t, data)...)
			}
			return out
		}
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "namespace")
		// A chart's empty `annotations:` is null, and `annotations: {}`
		// (prometheus-community's exporters) an empty map: the API server
		// reads both as none, and kustomize's build (Flux's reading of
		// kiln's files, which keep them) leaves them out.
		for _, k := range []string{"annotations", "labels"} {
			if v, ok := md[k]; ok {
				if m, isMap := v.(map[string]any); v == nil || isMap && len(m) == 0 {
					delete(md, k)
				}
			}
		}
		// kiln gives an object Helm keeps Flux's prune: disabled
		// (docs/templates.md); the program's output has it only when
		// the chart wrote it, which both sides then keep.
		if ann, ok := md["annotations"].(map[string]any); ok && ann["helm.sh/resource-policy"] != nil && ann["kustomize.toolkit.fluxcd.io/prune"] == "disabled" {
			delete(ann, "kustomize.toolkit.fluxcd.io/prune")
		}
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return []string{string(data)}
}

// writeFiles writes files (slash paths relative to root → content) below
// root, making their folders, and returns root.
func writeFiles(t *testing.T, root string, files map[string]string) string {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
