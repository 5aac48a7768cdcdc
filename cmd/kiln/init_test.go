package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/testenv"
)

// runKiln runs the CLI in process with an empty environment and returns
// stdout, stderr and the exit code.
func runKiln(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := newApp(&stdout, &stderr, func(string) (string, bool) { return "", false }, "test")
	err := runApp(context.Background(), app, append([]string{"kiln"}, args...))
	code := report(&stderr, err)
	return stdout.String(), stderr.String(), code
}

// TestInitOnRealSources assembles a repository from the real public
// sources under testdata — the podinfo chart, podinfo's kustomize
// manifests, kube-prometheus's and kubebuilder's YAML with their CRDs, a
// base with dev and prod overlays and a component, Jsonnet with a lib and
// a vendor folder — runs kiln init, and checks that kiln validate accepts
// the kiln.yaml it wrote, unedited.
func TestInitOnRealSources(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testenv.CopyTrees(t, root, map[string]string{
		"charts/podinfo":         "../../testdata/charts/podinfo",
		"deploy/podinfo":         "../../testdata/manifests/podinfo",
		"deploy/kube-prometheus": "../../testdata/manifests/kube-prometheus",
		"deploy/kubebuilder":     "../../testdata/manifests/kubebuilder",
		"apps/guestbook":         "../../templates/kustomize/testdata/repo/apps/guestbook",
		"components/monitoring":  "../../templates/kustomize/testdata/repo/components/monitoring",
		"apps/list":              "../../templates/jsonnet/testdata/repo/apps/list",
		"lib":                    "../../templates/jsonnet/testdata/repo/lib",
		"vendor":                 "../../templates/jsonnet/testdata/repo/vendor",
	})
	// kube-prometheus's blackbox exporter configuration holds a regular
	// expression's ${1}, which the yaml engine, like Flux's postBuild,
	// would read as a variable: init notes it; validate needs it gone.
	if err := os.Remove(filepath.Join(root, "deploy/kube-prometheus/blackboxExporter-configuration.yaml")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "kiln.yaml")
	stdout, stderr, code := runKiln(t, "init", "--config", cfg)
	if code != 0 {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"wrote " + cfg + ": 6 apps, 2 environments",
		"  guestbook            kustomize apps/guestbook/overlays/{env}\n",
		"  kube-prometheus      yaml      deploy/kube-prometheus\n",
		"  kubebuilder          yaml      deploy/kubebuilder\n",
		"  list                 jsonnet   apps/list/main.jsonnet\n",
		// Two podinfos: each named with its folder's parent too.
		"  charts-podinfo       helm      charts/podinfo\n",
		"  deploy-podinfo       kustomize deploy/podinfo\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("init's output lacks %q:\n%s", want, stdout)
		}
	}
	written, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The editor schema accepts it too.
	all, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	asJSON, err := yaml.YAMLToJSON(written)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(asJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := all["kiln.schema"].Validate(inst); err != nil {
		t.Errorf("docs/schemas/kiln.schema.json refuses what init wrote: %v", err)
	}
	if _, stderr, code := runKiln(t, "validate", "--config", cfg); code != 0 {
		t.Errorf("validate of what init wrote: exit %d\n%s\nkiln.yaml:\n%s", code, stderr, written)
	}

	// The same repository gives the same file.
	if _, stderr, code := runKiln(t, "init", "--config", cfg, "--force"); code != 0 {
		t.Fatalf("init --force: exit %d\n%s", code, stderr)
	}
	again, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(written, again) {
		t.Errorf("a second init wrote another file:\n%s\nthen:\n%s", written, again)
	}
}

// TestInitForceKeepsSymlinkTarget: kiln init --force replaces a kiln.yaml
// that is a symlink with a file, and never writes through it to the file
// it points at, which may be anyone's and anywhere.
func TestInitForceKeepsSymlinkTarget(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	if err := os.Mkdir(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(target, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(repo, "kiln.yaml")
	if err := os.Symlink(target, file); err != nil {
		t.Fatal(err)
	}
	// Without --force: refused, the link and its target as they were.
	if _, stderr, code := runKiln(t, "init", "--config", file); code != 2 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("init over a symlink: exit %d, stderr %q; want 2, already exists", code, stderr)
	}
	if _, stderr, code := runKiln(t, "init", "--config", file, "--force"); code != 0 {
		t.Fatalf("init --force: exit %d, stderr %q", code, stderr)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "precious\n" {
		t.Fatalf("the symlink's target was written: %q, %v", b, err)
	}
	fi, err := os.Lstat(file)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		t.Fatalf("kiln.yaml is %v, want a regular file", fi.Mode())
	}
	left, _ := filepath.Glob(filepath.Join(repo, ".kiln-init-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// TestInitConfigPathIsUsage: an init --config that cannot name the file
// to write is a usage mistake (exit 2) saying what to give, as a wrong
// --config is on the other commands: a folder (init said "already
// exists, pass --force", and --force then failed on the rename, exit 1),
// a file in a folder that does not exist or is a file (exit 1, an lstat
// error).
func TestInitConfigPathIsUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for config, want := range map[string]string{
		dir:                                     "is a folder; --config names the file kiln init writes",
		filepath.Join(dir, "none", "kiln.yaml"): "its folder does not exist or is not a folder",
		filepath.Join(dir, "file", "kiln.yaml"): "its folder does not exist or is not a folder",
	} {
		for _, force := range []bool{false, true} {
			args := []string{"init", "--config", config}
			if force {
				args = append(args, "--force")
			}
			if _, stderr, code := runKiln(t, args...); code != 2 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "hint: give --config") {
				t.Errorf("%v: exit %d, want 2 saying %q\n%s", args, code, want, stderr)
			}
		}
	}
}

// TestInitOddFolderNames: folder names YAML reads as something else (a
// line break, "c: d", "#", a leading "- ", "&", "*", "!", "null", a tab)
// are written so that kiln validate reads back the same paths; one that
// kiln.yaml cannot name ("c: d", a Windows drive to kiln) is left out with
// a note. init wrote a block scalar for a name with a line break, its
// lines at the key's indentation: a kiln.yaml that did not parse.
func TestInitOddFolderNames(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
	names := []string{"a\nb", "c: d", "#e", "f'g", `h"i`, "- dash", "&anc", "*ali", "!tag", "%pct", "@at", "null", "x #y", "tab\there", "cr\rhere"}
	for _, n := range names {
		if err := os.Mkdir(filepath.Join(root, n), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, n, "cm.yaml"), []byte(cm), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(root, "kiln.yaml")
	stdout, stderr, code := runKiln(t, "init", "--config", cfg)
	if code != 0 {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	if want := fmt.Sprintf("%d apps", len(names)-1); !strings.Contains(stdout, want) {
		t.Errorf("init's output lacks %q:\n%s", want, stdout)
	}
	if want := "note: c: d: not added: kiln.yaml reads c: at the start of a path as a Windows drive"; !strings.Contains(stderr, want) {
		t.Errorf("init's notes lack %q:\n%s", want, stderr)
	}
	// One line per app and per note: the names are quoted.
	if want := `yaml      "a\nb"`; !strings.Contains(stdout, want) {
		t.Errorf("init's output lacks %q:\n%s", want, stdout)
	}
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if !strings.HasPrefix(l, "wrote ") && !strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "next: ") {
			t.Errorf("init's output has a line of a folder's name: %q", l)
		}
	}
	written, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runKiln(t, "validate", "--config", cfg); code != 0 {
		t.Errorf("validate of what init wrote: exit %d\n%s\nkiln.yaml:\n%s", code, stderr, written)
	}
}

// TestInitStopsWhenCancelled: kiln init stops at the first interrupt (its
// context cancelled) and writes nothing. It looked through the whole tree
// and wrote kiln.yaml all the same, so the first Ctrl-C or SIGTERM did
// nothing (a hung init needed two; timeout sends one).
func TestInitStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "app", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "kiln.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	app := newApp(&stdout, &stderr, func(string) (string, bool) { return "", false }, "test")
	err := runApp(ctx, app, []string{"kiln", "init", "--config", cfg})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("init with its context cancelled: %v, want context.Canceled\nstdout:\n%s", err, stdout.String())
	}
	if _, err := os.Lstat(cfg); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("init with its context cancelled wrote %s (%v)", cfg, err)
	}
}

// TestInitEnvFileYml: an env file written envs/dev.yml, where kiln reads
// envs/dev.yaml, is named in the environment's entry (config:), and the
// variables it sets count as set. init named the environment only: kiln
// validate refused the kiln.yaml it wrote, and init noted ${REPLICAS} as
// unset though dev.yml sets it. --output json names the file as well.
func TestInitEnvFileYml(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for name, content := range map[string]string{
		"envs/dev.yml":   "vars:\n  REPLICAS: \"3\"\n",
		"envs/prod.yaml": "vars:\n  REPLICAS: \"5\"\n",
		"app/cm.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  r: \"${REPLICAS}\"\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// --output json names the file too: a script writing its own
	// kiln.yaml from it needs the config: line as much.
	notes, stdout := initThenValidate(t, filepath.Join(root, "kiln.yaml"), "  - name: dev\n    config: envs/dev.yml\n  - name: prod\n")
	if notes != "" {
		t.Errorf("init notes:\n%s", notes)
	}
	var rep struct {
		EnvFiles map[string]string `json:"environmentFiles"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"dev": "envs/dev.yml"}; !maps.Equal(rep.EnvFiles, want) {
		t.Errorf("init --output json: environmentFiles %v, want %v\n%s", rep.EnvFiles, want, stdout)
	}
}

// TestInitCarriesFluxKustomizationSettings: the Flux Kustomization that
// applied a folder gives init the app's namespace (its targetNamespace,
// where the kustomization names none) and its interval, timeout and wait,
// which kiln's defaults would have changed; what init writes validates,
// and --output json holds the settings as docs/schemas/init.json says.
func TestInitCarriesFluxKustomizationSettings(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"apps/web/app/kustomization.yaml": "resources: [cm.yaml]\n",
		"apps/web/app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n",
		// Another source than kiln's: kiln validate leaves it alone.
		"apps/web/ks.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: flux-system\n" +
			"spec:\n  path: ./apps/web/app\n  sourceRef: {kind: GitRepository, name: legacy}\n  targetNamespace: shop\n  interval: 1h\n  timeout: 3m\n  wait: true\n  prune: true\n",
	})
	_, stdout := initThenValidate(t, filepath.Join(root, "kiln.yaml"), "    namespace: shop\n    kustomize: apps/web/app\n    flux:\n      interval: 1h\n      timeout: 3m\n      wait: true\n")
	if !strings.Contains(stdout, `"flux": {`) {
		t.Errorf("--output json lacks the app's flux settings:\n%s", stdout)
	}
}

// initThenValidate runs kiln init for cfg, checks that the kiln.yaml it
// writes holds want and validates, and runs it again with --output json,
// which must meet docs/schemas/init.json. It returns the first run's
// notes (stderr) and the JSON.
func initThenValidate(t *testing.T, cfg, want string) (notes, jsonOut string) {
	t.Helper()
	_, notes, code := runKiln(t, "init", "--config", cfg)
	if code != 0 {
		t.Fatalf("init: exit %d\n%s", code, notes)
	}
	written, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(written), want) {
		t.Errorf("kiln.yaml lacks %q:\n%s", want, written)
	}
	if _, stderr, code := runKiln(t, "validate", "--config", cfg); code != 0 {
		t.Errorf("validate of what init wrote: exit %d\n%s\nkiln.yaml:\n%s", code, stderr, written)
	}
	jsonOut, stderr, code := runKiln(t, "init", "--config", cfg, "--force", "--output", "json")
	if code != 0 {
		t.Fatalf("init --output json: exit %d\n%s", code, stderr)
	}
	if err := validateOutput("init", []byte(jsonOut)); err != nil {
		t.Errorf("init --output json against docs/schemas/init.json: %v\n%s", err, jsonOut)
	}
	return notes, jsonOut
}

// TestInitSkipsCRDsAnotherChartRenders: the real karpenter chart, whose
// crds/ hold the CRDs the karpenter-crd chart beside it templates, as
// `helm pull` gives both: init sets helm.skipCRDs on karpenter and makes
// it depend on karpenter-crd, and kiln validate takes what it wrote
// (without skipCRDs it refuses the CRD's two owners).
func TestInitSkipsCRDsAnotherChartRenders(t *testing.T) {
	t.Parallel()
	const src = "../../testdata/charts/karpenter/"
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "charts", "karpenter-crd"), os.DirFS(src+"charts/karpenter-crd")); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for to, from := range map[string]string{
		"charts/karpenter/Chart.yaml":                          "charts/karpenter/Chart.yaml",
		"charts/karpenter/crds/karpenter.sh_nodeoverlays.yaml": "pkg/apis/crds/karpenter.sh_nodeoverlays.yaml",
	} {
		data, err := os.ReadFile(src + from)
		if err != nil {
			t.Fatal(err)
		}
		files[to] = string(data)
	}
	writeFiles(t, root, files)
	initThenValidate(t, filepath.Join(root, "kiln.yaml"),
		"    helm:\n      chart: charts/karpenter\n      skipCRDs: true   # its crds/ are another app's CRDs\n    dependsOn: [karpenter-crd]\n")
}
