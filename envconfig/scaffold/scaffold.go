package scaffold

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/ast"
	"github.com/google/go-jsonnet/toolutils"
	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/kiln-gitops/kiln/internal/builtinkinds"
	"github.com/kiln-gitops/kiln/internal/jsonnetdepth"
	"github.com/kiln-gitops/kiln/internal/limits"
)

// Engines, as kiln.yaml names them.
const (
	Helm      = "helm"
	Kustomize = "kustomize"
	Jsonnet   = "jsonnet"
	YAML      = "yaml"
)

// App is one app found.
type App struct {
	// Name is the app's name: a DNS label, unique in the result.
	Name string `json:"name"`
	// Namespace is the app's namespace: the kustomization's namespace or
	// the one namespace the YAML objects name, else the app's name.
	Namespace string `json:"namespace"`
	// Engine is Helm, Kustomize, Jsonnet or YAML.
	Engine string `json:"engine"`
	// Path is the chart folder, the kustomization folder (with {env} for
	// per-environment overlays), the Jsonnet file or the YAML folder,
	// slash-separated and relative to the root.
	Path string `json:"path"`
	// JPath are the Jsonnet import folders the entry point needs.
	JPath []string `json:"jpath,omitempty"`
	// DependsOn are the apps that define the CustomResourceDefinitions
	// and Namespaces this app's objects use, as far as its files show
	// them without rendering; sorted.
	DependsOn []string `json:"dependsOn,omitempty"`
	// Flux are the Kustomization settings the Flux Kustomizations that
	// applied the app's folder gave it, where they differ from kiln's
	// defaults; nil when none.
	Flux *Flux `json:"flux,omitempty"`
	// SkipCRDs is a Helm app's helm.skipCRDs: set when every CRD of the
	// chart's crds/ is rendered by another app's templates or files.
	SkipCRDs bool `json:"skipCRDs,omitempty"`
}

// Flux are an app's flux: settings in kiln.yaml.
type Flux struct {
	Interval string `json:"interval,omitempty"`
	Timeout  string `json:"timeout,omitempty"`
	Wait     *bool  `json:"wait,omitempty"`
}

// Note is something found and left out, and why.
type Note struct {
	// Path is relative to the root.
	Path string `json:"path"`
	// Message says why it is not an app, or what to do.
	Message string `json:"message"`
}

// Result is what Scan found.
type Result struct {
	// Envs are the environments, in promotion order.
	Envs []string `json:"environments"`
	// Apps are sorted by name.
	Apps []App `json:"apps"`
	// Notes are sorted by path.
	Notes []Note `json:"notes"`

	// EnvFiles are, by environment, the env files kiln.yaml names
	// (config:) because kiln would not find them by itself: envs/<env>.yml,
	// where kiln reads envs/<env>.yaml. A reader of --output json needs
	// them as much as kiln.yaml does.
	EnvFiles map[string]string `json:"environmentFiles,omitempty"`
}

// skipDirs are folders that never hold apps: version control, editors,
// package managers' downloads.
var skipDirs = map[string]bool{"node_modules": true, "vendor": true}

// kustomizationFiles are the names kustomize looks for, in its order.
var kustomizationFiles = konfig.RecognizedKustomizationFileNames()

// envOrder places the usual environment names in promotion order; other
// names come after them, sorted.
var envOrder = []string{"local", "dev", "develop", "development", "test", "testing", "int", "integration", "qa", "uat", "stage", "staging", "preprod", "pre-prod", "canary", "prod", "production"}

// overlayParents are folder names that hold one overlay per environment.
var overlayParents = map[string]bool{"overlays": true, "envs": true, "environments": true, "env": true}

type kustomization struct {
	dir        string
	namespace  string
	component  bool
	unusable   bool     // not an app: a symlink leading outside the repository, or unreadable
	references []string // local folders and files it names, relative to the root
	// refused says why kiln render refuses this kustomization, and any
	// that names it: a remote resource, or helmCharts.
	refused string
	// gatherer: refused, it only lists resources, as an overlay that
	// gathers a cluster's folders does: what it names are apps of their
	// own, as for the root's kustomization (gathers), not parts of none.
	gatherer bool
}

type scan struct {
	envFiles map[string]string // env -> its file, where not envs/<env>.yaml
	ctx      context.Context
	root     string
	charts   []string
	kusts    map[string]*kustomization
	jsonnet  []string            // .jsonnet and .libsonnet files
	yamls    map[string][]string // folder -> its YAML files
	notes    []Note
	cache    map[string][]object // YAML file -> its objects; nil: not objects
	// outputs and bootstraps are the folders of kiln's output and of flux
	// bootstrap, not read: kiln's yaml engine would read them in a folder
	// above.
	outputs, bootstraps []string
}

// Scan looks for apps below root, which must be a folder. It follows no
// symlink and skips hidden folders, node_modules, vendor (searched only
// for Jsonnet imports) and folders that hold a kiln.lock.json (kiln's own
// output). It stops with ctx's error once ctx is done: a large tree (a
// home folder) takes minutes, and the first Ctrl-C must end it.
func Scan(ctx context.Context, root string) (*Result, error) {
	s := &scan{ctx: ctx, root: root, kusts: map[string]*kustomization{}, yamls: map[string][]string{}, cache: map[string][]object{}}
	if err := s.walk(); err != nil {
		return nil, err
	}
	var apps []App
	envs := s.envs()
	apps = append(apps, s.helmApps()...)
	mark := len(s.notes)
	kapps, overlayEnvs := s.kustomizeApps(envs)
	if len(envs) == 0 {
		// No env files: the overlays name the environments. Group again
		// with them, noting things once.
		s.notes = s.notes[:mark]
		envs = orderEnvs(overlayEnvs)
		kapps, _ = s.kustomizeApps(envs)
	}
	apps = append(apps, kapps...)
	japps := s.jsonnetApps()
	if len(envs) == 0 {
		envs = jsonnetEnvs(japps)
	}
	apps = append(apps, s.jsonnetEnvGroups(japps, envs)...)
	yamlApps := s.yamlApps()
	if len(envs) == 0 {
		envs = []string{"dev"}
	}
	apps = append(apps, s.envFolders(yamlApps, envs)...)
	apps = uniqueNames(apps)
	s.dependsOn(apps, envs, s.fluxDependsOn(apps, envs))
	s.unsetVars(apps, envs)
	if err := ctx.Err(); err != nil {
		return nil, err // what was read since is incomplete (read refused it)
	}
	res := &Result{Envs: envs, Apps: apps, Notes: s.notes, EnvFiles: s.envFiles}
	sort.Slice(res.Apps, func(i, j int) bool { return res.Apps[i].Name < res.Apps[j].Name })
	sort.SliceStable(res.Notes, func(i, j int) bool { return res.Notes[i].Path < res.Notes[j].Path })
	if res.Notes == nil {
		res.Notes = []Note{}
	}
	if res.Apps == nil {
		res.Apps = []App{}
	}
	return res, nil
}

func (s *scan) note(p, format string, args ...any) {
	s.notes = append(s.notes, Note{Path: p, Message: fmt.Sprintf(format, args...)})
}

// rel is p relative to the root, slash-separated ("." for the root).
func (s *scan) rel(p string) string {
	r, err := filepath.Rel(s.root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(r)
}

func (s *scan) read(p string) ([]byte, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	return limits.ReadFileAs(p, s.rel(p))
}

// linkedAway returns the repository path a kustomization file that is a
// symlink leads to when that lies outside the file's folder dir, "" when
// the file is no symlink or its target is in or below dir.
func linkedAway(dir, file string) string {
	if st, err := os.Lstat(file); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		return ""
	}
	target, err := filepath.EvalSymlinks(file)
	if err != nil {
		return "" // dangling or a loop: reading it says so
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return ""
	}
	if r, err := filepath.Rel(real, filepath.Dir(target)); err == nil && !escapes(filepath.ToSlash(r)) {
		return ""
	}
	link, _ := os.Readlink(file)
	return filepath.ToSlash(link)
}

// outside reports whether p is a symlink leading out of the root, and
// notes it: kiln render refuses such a chart or kustomization file, and
// init reads nothing outside the repository (a type error would quote the
// start of the file in the note: a Chart.yaml linked to /etc/passwd
// printed "root:x:").
func (s *scan) outside(p string) bool {
	if !s.linksOut(p) {
		return false
	}
	s.note(s.rel(p), "not added: it is a symlink leading outside the repository, and kiln reads only files inside it; copy the file in instead of linking to it")
	return true
}

// linksOut reports whether p is a symlink leading out of the root.
func (s *scan) linksOut(p string) bool {
	if st, err := os.Lstat(p); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		return false
	}
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false // dangling or a loop: reading it says so
	}
	root, err := filepath.EvalSymlinks(s.root)
	if err != nil {
		root = s.root
	}
	r, err := filepath.Rel(root, target)
	return err != nil || escapes(filepath.ToSlash(r))
}

func (s *scan) walk() error {
	return filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		rel := s.rel(p)
		if err != nil {
			if rel == "." {
				return err
			}
			// A folder init may not read (a database's data folder
			// owned by another user) is left out and named: the rest of
			// the repository still gives a kiln.yaml.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			s.note(rel, "not looked through: %v", err)
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || skipDirs[name]) {
				if name == "vendor" {
					s.collectJsonnet(p)
				}
				return filepath.SkipDir
			}
			if exists(filepath.Join(p, "kiln.lock.json")) {
				s.outputs = append(s.outputs, rel)
				return filepath.SkipDir
			}
			// flux bootstrap's own folder (flux-system/ of a cluster's
			// path): Flux applies it itself, and as an app of kiln its
			// Kustomization would take the bootstrap's name.
			if exists(filepath.Join(p, "gotk-sync.yaml")) || exists(filepath.Join(p, "gotk-components.yaml")) {
				s.note(rel, "not added: flux bootstrap's own folder (it holds gotk-sync.yaml or gotk-components.yaml), which Flux applies itself")
				s.bootstraps = append(s.bootstraps, rel)
				return filepath.SkipDir
			}
			// flux-operator's bootstrap folder (a d2-fleet cluster's
			// flux-system/): its FluxInstance installs Flux and syncs the
			// cluster's path, this folder with it, from the code
			// repository; as an app of kiln, every cluster's folder would
			// own the same FluxInstance flux-system/flux.
			if file := s.fluxInstance(p); file != "" {
				s.note(rel, "not added: flux-operator's bootstrap folder (%s holds a FluxInstance, which installs Flux and syncs the cluster from this repository itself); once kiln's manifests repository is what Flux applies, point its spec.sync at it", file)
				s.bootstraps = append(s.bootstraps, rel)
				return filepath.SkipDir
			}
			if exists(filepath.Join(p, "Chart.yaml")) {
				s.chart(p)
				return filepath.SkipDir
			}
			for _, k := range kustomizationFiles {
				if exists(filepath.Join(p, k)) {
					s.kustomization(p, filepath.Join(p, k))
					break
				}
			}
			return nil
		}
		switch ext := path.Ext(d.Name()); {
		case ext == ".jsonnet" || ext == ".libsonnet":
			s.jsonnet = append(s.jsonnet, rel)
		case strings.HasPrefix(d.Name(), ".") || rel == "kiln.yaml":
			// Tool settings (.sops.yaml, .pre-commit-config.yaml) and
			// kiln's own file.
		case (ext == ".yaml" || ext == ".yml") && !slices.Contains(kustomizationFiles, d.Name()):
			dir := path.Dir(rel)
			s.yamls[dir] = append(s.yamls[dir], rel)
		}
		return nil
	})
}

// fluxInstance names the YAML file directly in dir that holds a
// flux-operator FluxInstance, "" when none does.
func (s *scan) fluxInstance(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") || slices.Contains(kustomizationFiles, e.Name()) {
			continue
		}
		if ext := path.Ext(e.Name()); ext != ".yaml" && ext != ".yml" {
			continue
		}
		// Most folders hold none: a look at the bytes spares parsing
		// files init reads no further (a kustomization's CRD bundle).
		if data, err := s.read(filepath.Join(dir, e.Name())); err != nil || !bytes.Contains(data, []byte("FluxInstance")) {
			continue
		}
		rel := s.rel(filepath.Join(dir, e.Name()))
		objs, _ := s.objects(rel)
		for _, o := range objs {
			if o.group == "fluxcd.controlplane.io" && o.kind == "FluxInstance" {
				return rel
			}
		}
	}
	return ""
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// collectJsonnet adds the Jsonnet files below a vendor folder, which can
// be imported but are never entry points.
func (s *scan) collectJsonnet(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Type()&fs.ModeSymlink == 0 && path.Ext(d.Name()) == ".libsonnet" {
			s.jsonnet = append(s.jsonnet, s.rel(p))
		}
		return nil
	})
}

// chart records a Helm chart folder, unless it cannot render on its own:
// a library chart, or one whose dependencies are not in its charts/.
func (s *scan) chart(dir string) {
	rel := s.rel(dir)
	if s.outside(filepath.Join(dir, "Chart.yaml")) {
		return
	}
	data, err := s.read(filepath.Join(dir, "Chart.yaml"))
	var meta struct {
		Type         string `yaml:"type"`
		Dependencies []struct {
			Name       string `yaml:"name"`
			Repository string `yaml:"repository"`
		} `yaml:"dependencies"`
	}
	if err == nil {
		err = yaml.Unmarshal(data, &meta)
	}
	if err != nil {
		s.note(rel+"/Chart.yaml", "not a chart kiln can read: %s", yamlReason(err))
		return
	}
	// Helm reads a requirements.yaml into the chart's metadata too (an
	// apiVersion v1 chart's dependencies: fluxcd/flux-get-started's
	// charts/ghost), and helm template refuses the chart as well when
	// one of them is not in charts/.
	req := filepath.Join(dir, "requirements.yaml")
	if exists(req) && !s.outside(req) {
		data, err := s.read(req)
		if err == nil {
			err = yaml.Unmarshal(data, &meta)
		}
		if err != nil {
			s.note(rel+"/requirements.yaml", "not a chart kiln can read: %s", yamlReason(err))
			return
		}
	}
	if meta.Type == "library" {
		s.note(rel, "a library chart renders nothing on its own; the charts that depend on it are the apps")
		return
	}
	// A file:// dependency too: helm template, as kiln, reads only what
	// charts/ holds, and `helm dependency build` copies it there.
	var vendored func(string) bool
	for _, dep := range meta.Dependencies {
		if vendored == nil {
			vendored = s.subcharts(filepath.Join(dir, "charts"))
		}
		if !vendored(dep.Name) {
			s.note(rel, "its dependency %q is not in %s/charts; run helm dependency build %s, then kiln init again", dep.Name, rel, rel)
			return
		}
	}
	s.charts = append(s.charts, rel)
}

// subcharts tells whether a chart's charts/ folder holds the subchart
// named name, as helm template's check of the dependencies finds it: by
// the name in a folder's Chart.yaml, whatever the folder is called (Helm's
// own test chart keeps subcharta in charts/subchartA), and an archive by
// the name-version.tgz that helm dependency build writes. A glob of the
// name missed such folders, and the hint to run helm dependency build
// would have vendored a second copy beside the first.
func (s *scan) subcharts(dir string) func(name string) bool {
	names := map[string]bool{}
	var archives []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			var meta struct {
				Name string `yaml:"name"`
			}
			chartYAML := filepath.Join(p, "Chart.yaml")
			// Nothing is read through a link out of the repository.
			if s.linksOut(p) || s.linksOut(chartYAML) {
				names[e.Name()] = true
				continue
			}
			if data, err := s.read(chartYAML); err == nil && yaml.Unmarshal(data, &meta) == nil && meta.Name != "" {
				names[meta.Name] = true
			} else {
				names[e.Name()] = true // helm refuses it, and says why
			}
			continue
		}
		archives = append(archives, e.Name())
	}
	return func(name string) bool {
		if names[name] {
			return true
		}
		for _, a := range archives {
			rest, ok := strings.CutPrefix(a, name+"-")
			if ok && rest != "" && (rest[0] >= '0' && rest[0] <= '9' || rest[0] == 'v') {
				return true
			}
		}
		return false
	}
}

// typeErrorRE is one line of a yaml.v3 TypeError: where, the node's tag,
// its value (a scalar's), and the Go type it did not decode into.
var typeErrorRE = regexp.MustCompile("^(line [0-9]+): cannot unmarshal !!([a-z]+)(?: (`.*`))? into (.+)$")

// yamlReason is err as whoever wrote the file reads it: yaml.v3's type
// errors name the Go type init decodes into (`[]struct { Name string
// "yaml:\"name\""; … }`), which says nothing about the file; they say
// what kind of value stands where another belongs.
func yamlReason(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	kind := func(s string) string {
		switch {
		case s == "seq" || strings.HasPrefix(s, "[]"):
			return "a list"
		case s == "map" || strings.HasPrefix(s, "map[") || strings.HasPrefix(s, "struct"):
			return "a mapping"
		case s == "str" || s == "string":
			return "a string"
		case s == "bool":
			return "true or false"
		case strings.HasPrefix(s, "int") || strings.HasPrefix(s, "uint") || strings.HasPrefix(s, "float"):
			return "a number"
		}
		return "a value of another kind"
	}
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		m := typeErrorRE.FindStringSubmatch(e)
		if m == nil {
			lines[i] = e
			continue
		}
		what := kind(m[2])
		if m[3] != "" {
			what = m[3] + " (" + what + ")"
		}
		lines[i] = fmt.Sprintf("%s: %s where %s belongs", m[1], what, kind(m[4]))
	}
	return strings.Join(lines, "; ")
}

// kustomization records a kustomization and the local folders and files it
// names (resources, bases, components), which are parts of it, not apps.
func (s *scan) kustomization(dir, file string) {
	rel := s.rel(dir)
	if s.outside(file) {
		// Still the folder's: its YAML is the kustomization's, no app.
		s.kusts[rel] = &kustomization{dir: rel, unusable: true}
		return
	}
	if t := linkedAway(dir, file); t != "" {
		// kustomize build reads a kustomization only in or below its
		// folder (its load restriction), and finds none here.
		s.note(s.rel(file), "not added: it is a symlink to %s, outside its folder, where kustomize build (as kiln render) does not read a kustomization; copy the file in, or link the folder instead", t)
		s.kusts[rel] = &kustomization{dir: rel, unusable: true}
		return
	}
	data, err := s.read(file)
	var k struct {
		Kind       string   `yaml:"kind"`
		Namespace  string   `yaml:"namespace"`
		Resources  []string `yaml:"resources"`
		Bases      []string `yaml:"bases"`
		Components []string `yaml:"components"`
		HelmCharts []any    `yaml:"helmCharts"`
		HelmGen    []any    `yaml:"helmChartInflationGenerator"`
		ConfigMaps []struct {
			Files []string `yaml:"files"`
			Envs  []string `yaml:"envs"`
		} `yaml:"configMapGenerator"`
		Secrets []struct {
			Files []string `yaml:"files"`
			Envs  []string `yaml:"envs"`
		} `yaml:"secretGenerator"`
	}
	if err == nil {
		err = yaml.Unmarshal(data, &k)
	}
	if err != nil {
		// Not a plain YAML app either: kiln render refuses a folder whose
		// kustomization it cannot read, so init would write a kiln.yaml
		// that kiln validate fails.
		s.note(s.rel(file), "not added: not a kustomization kiln can read (%s); mend it, then run kiln init again", yamlReason(err))
		s.kusts[rel] = &kustomization{dir: rel, unusable: true}
		return
	}
	kz := &kustomization{dir: rel, namespace: k.Namespace, component: k.Kind == "Component"}
	if len(k.HelmCharts)+len(k.HelmGen) > 0 {
		kz.refused = fmt.Sprintf("%s inflates Helm charts (helmCharts), which would run the helm program; make each chart an app of its own with helm: in kiln.yaml", s.rel(file))
	}
	for _, r := range slices.Concat(k.Resources, k.Bases, k.Components) {
		if remote(r) {
			if kz.refused == "" {
				kz.refused = fmt.Sprintf("%s names the remote %q, which kiln does not fetch; vendor it into the repository and name it by a relative path", s.rel(file), r)
			}
			continue
		}
		kz.references = append(kz.references, path.Join(rel, r))
	}
	// A generator's file by URL too (redhat-cop/gitops-catalog's
	// monitoring-dashboard component, a Grafana dashboard on GitHub).
	var sources []string
	for _, g := range k.ConfigMaps {
		sources = slices.Concat(sources, g.Files, g.Envs)
	}
	for _, g := range k.Secrets {
		sources = slices.Concat(sources, g.Files, g.Envs)
	}
	for _, src := range sources {
		_, p, _ := strings.Cut(src, "=") // key=path
		if kz.refused == "" && (remote(src) || remote(p)) {
			kz.refused = fmt.Sprintf("%s names the remote %q, which kiln does not fetch; vendor it into the repository and name it by a relative path", s.rel(file), src)
		}
	}
	if kz.refused == "" {
		switch f, missing := s.fileAbove(dir, data); {
		case missing:
			// buroa/k8s-gitops' runners/home-operations, which its
			// parent no longer lists, names an rbac.yaml long gone.
			kz.refused = fmt.Sprintf("%s names %q, which does not exist (kiln render refuses it); add the file or remove the entry", s.rel(file), f)
		case f != "":
			kz.refused = fmt.Sprintf("%s names the file %q, outside its folder, which kustomize build (as kiln render) refuses to read, where Flux's kustomize-controller does not; name that file's folder instead, with a kustomization there that lists it, or move the file in", s.rel(file), f)
			kz.gatherer = onlyResources(data)
		}
	}
	s.kusts[rel] = kz
}

// onlyResources reports whether the kustomization data sets nothing but
// its resources (xunholy/k8s-gitops' overlays/cluster-00 lists its
// namespaces' folders and its apps' ks.yaml files): a build of it is the
// sum of theirs.
func onlyResources(data []byte) bool {
	var k map[string]any
	if yaml.Unmarshal(data, &k) != nil {
		return false
	}
	for key := range k {
		if key != "apiVersion" && key != "kind" && key != "resources" {
			return false
		}
	}
	return k["kind"] == nil || k["kind"] == "Kustomization"
}

// fileAbove returns the first file that the kustomization data, in dir,
// names outside dir and the folders below it, "" when it names none; or,
// with missing true, the first path it names that does not exist.
// kustomize build loads files with root-only load restrictions, and kiln
// renders as it does, so such a kustomization fails; Flux builds without
// them, so a repository Flux applies can have them
// (xunholy/k8s-gitops' overlay lists its apps' ks.yaml files,
// haraldkoch/kochhaus-home's namespace folders a shared replacements file).
// It reads the kustomization again, loosely: a field of a shape it does not
// expect is skipped, for krusty to report.
func (s *scan) fileAbove(dir string, data []byte) (file string, missing bool) {
	var k map[string]any
	if yaml.Unmarshal(data, &k) != nil {
		return "", false
	}
	var entries []string
	str := func(v any) {
		if e, ok := v.(string); ok && !strings.Contains(e, "\n") {
			entries = append(entries, e)
		}
	}
	list := func(key string, field string) {
		items, _ := k[key].([]any)
		for _, it := range items {
			if field == "" {
				str(it)
			} else if m, ok := it.(map[string]any); ok {
				str(m[field])
			}
		}
	}
	for _, key := range []string{"resources", "bases", "components", "patchesStrategicMerge", "crds", "configurations", "generators", "transformers", "validators"} {
		list(key, "")
	}
	for _, key := range []string{"patches", "patchesJson6902", "replacements"} {
		list(key, "path")
	}
	for _, key := range []string{"configMapGenerator", "secretGenerator"} {
		items, _ := k[key].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			for _, field := range []string{"files", "envs"} {
				srcs, _ := m[field].([]any)
				for _, src := range srcs {
					if e, ok := src.(string); ok {
						_, p, found := strings.Cut(e, "=")
						if !found {
							p = e
						}
						entries = append(entries, p)
					}
				}
			}
			if e, ok := m["env"].(string); ok {
				entries = append(entries, e)
			}
		}
	}
	for _, e := range entries {
		if e == "" || remote(e) || filepath.IsAbs(e) || escapes(path.Join(s.rel(dir), filepath.ToSlash(e))) {
			continue // outside the repository: kiln render names it itself
		}
		info, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(e)))
		if errors.Is(err, fs.ErrNotExist) {
			return e, true
		}
		if err == nil && info.Mode().IsRegular() && strings.HasPrefix(path.Clean(filepath.ToSlash(e)), "../") {
			return e, false
		}
	}
	return "", false
}

// scpUser is the user@ that makes kustomize read an entry as an scp-style
// git URL (git@github.com:org/repo).
var scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// remote reports whether a resources, bases or components entry is a URL
// kustomize would fetch, as kiln's kustomize engine decides it.
func remote(s string) bool {
	l := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "git::")
	return strings.Contains(l, "://") || scpUser.MatchString(l) ||
		strings.HasPrefix(l, "github.com/") || strings.HasPrefix(l, "github.com:")
}

// refusal is why kiln render would refuse the kustomization in dir: its
// own reason or that of one it names, through bases and components; ""
// when none has one.
func (s *scan) refusal(dir string, seen map[string]bool) string {
	k := s.kusts[dir]
	if k == nil || seen[dir] {
		return ""
	}
	seen[dir] = true
	if k.refused != "" {
		return k.refused
	}
	for _, r := range k.references {
		if why := s.refusal(r, seen); why != "" {
			return why
		}
	}
	return ""
}

// envs are the environments the repository already has files for:
// envs/<name>.yaml, kiln's default env file.
func (s *scan) envs() []string {
	var names []string
	for _, f := range s.yamls["envs"] {
		name := strings.TrimSuffix(strings.TrimSuffix(path.Base(f), ".yaml"), ".yml")
		if label(name) == name {
			names = append(names, name)
			// kiln reads envs/<env>.yaml: a .yml file alone must be named.
			if path.Ext(f) == ".yml" && !slices.Contains(s.yamls["envs"], "envs/"+name+".yaml") {
				if s.envFiles == nil {
					s.envFiles = map[string]string{}
				}
				s.envFiles[name] = f
			}
			continue
		}
		s.note(f, "not an environment: %s is not an environment name (lowercase letters, digits and -, at most 63); rename the file to %s%s",
			name, label(name), path.Ext(f))
	}
	return orderEnvs(names)
}

func orderEnvs(names []string) []string {
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	sort.SliceStable(names, func(i, j int) bool { return envRank(names[i]) < envRank(names[j]) })
	return names
}

// envRank is name's place in envOrder, len(envOrder) for a name not
// known. A region's or a variant's environment ranks as its stage, its
// first word: prod-eu as prod, integration-gpu as integration (the layout of
// kostis-codefresh/gitops-environment-promotion), where sorting by name
// put prod-* before staging-* and promoted the wrong way round.
func envRank(name string) int {
	if i := slices.Index(envOrder, name); i >= 0 {
		return i
	}
	// The first word only: redhat-cop/gitops-catalog's
	// internal-registry-integration is no environment.
	if i := slices.Index(envOrder, strings.Split(name, "-")[0]); i >= 0 {
		return i
	}
	return len(envOrder)
}

// envLike reports whether name is named as an environment usually is
// (staging, prod-eu), not as a variant (blue, aws, stable, default).
func envLike(name string) bool { return envRank(name) < len(envOrder) }

// envGroup reports whether overlays side by side are environments' rather
// than variants': more than half of them named as environments usually
// are. redhat-cop/gitops-catalog's development and stable are OLM
// channels.
func envGroup(names []string) bool {
	n := 0
	for _, name := range names {
		if envLike(name) {
			n++
		}
	}
	return n*2 > len(names)
}

// maxNesting bounds how deeply a Jsonnet file may nest for init to parse
// it (jsonnetdepth): kiln's Jsonnet engine refuses a syntax tree deeper
// than 1,000 levels, so nothing deeper is an app init could name.
const maxNesting = 1000

// placeholderRE is what kiln.yaml reads as a placeholder in a path.
var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// driveRE is what kiln.yaml reads as a Windows drive at a path's start
// (envconfig's windowsAbsRE): "c: d/" is an absolute path to it.
var driveRE = regexp.MustCompile(`^[A-Za-z]:`)

// nameable reports whether kiln.yaml can name the path rel, and notes why
// not: kiln reads {…} in a path as a placeholder ({env} would even be
// replaced), and refuses \ as a Windows separator and a leading "c:" as a
// Windows drive. Such an app would make the kiln.yaml init writes one that
// kiln validate refuses.
func (s *scan) nameable(rel string) bool {
	switch ph := placeholderRE.FindString(rel); {
	case ph != "":
		s.note(rel, "not added: kiln.yaml reads %s in a path as a placeholder, so it cannot name this one; rename the folder or file", ph)
		return false
	case strings.Contains(rel, `\`):
		s.note(rel, "not added: kiln.yaml paths separate folders with /, so it cannot name one with \\ in it; rename the folder or file")
		return false
	case driveRE.MatchString(rel):
		s.note(rel, "not added: kiln.yaml reads %s at the start of a path as a Windows drive, so it cannot name this one; rename the folder or file", rel[:2])
		return false
	}
	return true
}

func (s *scan) allNameable(rels []string) bool {
	for _, r := range rels {
		if !s.nameable(r) {
			return false
		}
	}
	return true
}

func (s *scan) helmApps() []App {
	var apps []App
	for _, c := range s.charts {
		if !s.nameable(c) {
			continue
		}
		name := label(path.Base(c))
		apps = append(apps, App{Name: name, Namespace: name, Engine: Helm, Path: c})
	}
	return apps
}

// kustomizeApps turns the kustomizations that no other one names into
// apps. Overlays side by side in a folder such as overlays/ become one app
// with {env} in its path when there is one for each of envs; so do
// kustomizations of one path but for a folder named as an environment
// (clusters/staging/apps, clusters/production/apps); otherwise each is an
// app. It also returns the overlay names seen, the environments to use
// when the repository names none.
func (s *scan) kustomizeApps(envs []string) ([]App, []string) {
	referenced := map[string]bool{}
	for dir, k := range s.kusts {
		if gathers(dir) || k.gatherer {
			continue
		}
		for _, r := range k.references {
			referenced[r] = true
		}
	}
	// A group is the path with {env} where the overlay's folder stands
	// (apps/shop/overlays/{env}), and the overlays' folder names.
	groups := map[string][]string{}
	var apps []App
	var seen []string
	envNamed := envSiblings(s.kusts, referenced)
	var candidates []string
	for _, dir := range slices.Sorted(mapsKeys(s.kusts)) {
		k := s.kusts[dir]
		if referenced[dir] || k.component || k.unusable {
			continue
		}
		// kiln validate would refuse it at once (argoproj-labs/argocd-autopilot's
		// manifests/ha names Argo CD's install.yaml by URL).
		if why := s.refusal(dir, map[string]bool{}); why != "" {
			if k.gatherer && k.refused == why {
				s.note(dir, "not added: %s, then run kiln init again (until then, the kustomizations it lists are apps of their own)", why)
				continue
			}
			s.note(dir, "not added: %s, then run kiln init again", why)
			continue
		}
		if dir == "." {
			s.note(dir, "not added: a kustomization at the root of the repository, which usually gathers the others; the folders it builds are apps of their own")
			continue
		}
		parent := path.Dir(dir)
		if overlayParents[path.Base(parent)] || envNamed[parent] {
			groups[parent+"/{env}"] = append(groups[parent+"/{env}"], path.Base(dir))
			continue
		}
		candidates = append(candidates, dir)
	}
	// A cluster's folder per environment, its apps inside
	// (fluxcd/flux2-hub-spoke-example's clusters/staging/apps,
	// clusters/production/apps): the environment is a folder above the
	// kustomization, not its own.
	inner := innerEnvGroups(candidates)
	for _, dir := range candidates {
		if t, ok := inner[dir]; ok {
			groups[t.template] = append(groups[t.template], t.env)
			continue
		}
		if !s.nameable(dir) {
			continue
		}
		apps = append(apps, App{Name: label(path.Base(dir)), Namespace: s.namespace(s.kusts[dir].namespace, path.Base(dir)), Engine: Kustomize, Path: dir})
	}
	for _, tmpl := range slices.Sorted(mapsKeys(groups)) {
		parent := path.Dir(tmpl)
		at := func(n string) string { return strings.Replace(tmpl, "{env}", n, 1) }
		// overlays/ is named after the folder that holds it; a folder
		// of environments' overlays (apps/staging, apps/production) is
		// named itself; clusters/{env}/apps after apps.
		named := path.Dir(parent)
		switch {
		case !strings.HasSuffix(tmpl, "/{env}"):
			named = tmpl
		case envNamed[parent] && !overlayParents[path.Base(parent)]:
			named = parent
		}
		base := path.Base(named)
		if named == "." {
			base = path.Base(s.root)
		}
		if !s.nameable(strings.Replace(tmpl, "/{env}", "", 1)) {
			continue
		}
		// An overlay whose folder is no environment name (Prod_EU) can
		// be no environment's: it is an app of its own, in every
		// environment, and a note says how to make it an environment's.
		var names []string
		for _, n := range groups[tmpl] {
			if label(n) == n {
				names = append(names, n)
				continue
			}
			dir := at(n)
			if !s.nameable(dir) {
				continue
			}
			apps = append(apps, App{Name: label(base + "-" + n), Namespace: s.namespace(s.kusts[dir].namespace, base), Engine: Kustomize, Path: dir})
			s.note(dir, "%s is not an environment name, so this overlay is an app of its own in every environment; to render it only in environment %s, rename the folder to %s",
				n, label(n), label(n))
		}
		// Overlays none of which is named as an environment are
		// variants (blue and green, aws and vsphere, stable and
		// default), not environments: a catalog of them
		// (redhat-cop/gitops-catalog) made 56 environments, every app
		// rendered in each.
		if envGroup(names) {
			seen = append(seen, names...)
		}
		if len(names) == 0 {
			continue
		}
		if len(envs) > 0 && containsAll(names, envs) {
			ns := s.namespace(s.kusts[at(envs[0])].namespace, base)
			apps = append(apps, App{Name: label(base), Namespace: ns, Engine: Kustomize, Path: tmpl})
			for _, n := range names {
				if !slices.Contains(envs, n) {
					s.note(at(n), "no environment %s: add it to environments to render this overlay", n)
				}
			}
			continue
		}
		for _, n := range names {
			dir := at(n)
			name := base + "-" + n
			if !strings.HasSuffix(tmpl, "/{env}") {
				name = n + "-" + base
			}
			apps = append(apps, App{Name: label(name), Namespace: s.namespace(s.kusts[dir].namespace, base), Engine: Kustomize, Path: dir})
		}
		where := parent
		if !strings.HasSuffix(tmpl, "/{env}") {
			where = tmpl
		}
		switch {
		case !envGroup(names):
			s.note(where, "overlays %s are variants rather than environments (at most half of them named as environments usually are: dev, staging, prod-eu…), so each is an app of its own in every environment; if they are environments, list them under environments: and name them all as %s",
				strings.Join(names, ", "), tmpl)
		case len(envs) > 0:
			s.note(where, "overlays %s do not match the environments %s one for one, so each is an app of its own in every environment; with one overlay per environment, kiln.yaml can name them all as %s",
				strings.Join(names, ", "), strings.Join(envs, ", "), tmpl)
		}
	}
	return apps, seen
}

// jsonnetEnvs are the environments Tanka's layout names
// (environments/dev/main.jsonnet, environments/prod/main.jsonnet), for a
// repository that names them nowhere else.
func jsonnetEnvs(apps []App) []string {
	var names []string
	for _, members := range jsonnetGroups(apps) {
		for _, a := range members {
			names = append(names, a.env)
		}
	}
	return orderEnvs(names)
}

type envApp struct {
	App
	env string
}

// jsonnetGroups are the Jsonnet entry points of one path but for a folder
// named as an environment, by that path with {env} in it; only those whose
// import folders are one list, as kiln.yaml names one per app.
func jsonnetGroups(apps []App) map[string][]envApp {
	var files []string
	byPath := map[string]App{}
	for _, a := range apps {
		files = append(files, a.Path)
		byPath[a.Path] = a
	}
	groups := map[string][]envApp{}
	for f, p := range innerEnvGroups(files) {
		// A member's own folder on its import path (Tanka's) is the
		// template's folder, {env} in it.
		a := byPath[f]
		a.JPath = slices.Clone(a.JPath)
		for i, jp := range a.JPath {
			if jp == path.Dir(f) {
				a.JPath[i] = path.Dir(p.template)
			}
		}
		groups[p.template] = append(groups[p.template], envApp{a, p.env})
	}
	for t, members := range groups {
		if slices.ContainsFunc(members, func(a envApp) bool { return !slices.Equal(a.JPath, members[0].JPath) }) {
			delete(groups, t)
		}
	}
	return groups
}

// jsonnetEnvGroups makes the Jsonnet entry points of one path but for a
// folder named as each of envs one app, with {env} there: Tanka keeps an
// environment's main.jsonnet in a folder of its own
// (grafana/tanka's examples/prom-grafana/environments/prom-grafana/dev),
// which init named dev, prod…, each an app in every environment.
func (s *scan) jsonnetEnvGroups(apps []App, envs []string) []App {
	drop := map[string]bool{}
	var out []App
	groups := jsonnetGroups(apps)
	for _, tmpl := range slices.Sorted(mapsKeys(groups)) {
		var names []string
		for _, a := range groups[tmpl] {
			names = append(names, a.env)
		}
		if len(envs) < 2 || !containsAll(names, envs) {
			continue
		}
		// Named as main.jsonnet is, after its folder: here the one that
		// holds the environments' folders, or above that when it is
		// environments/ itself (Tanka's environments/{env}/main.jsonnet).
		name := strings.TrimSuffix(path.Base(tmpl), ".jsonnet")
		if name == "main" {
			dir := path.Dir(strings.Replace(tmpl, "/{env}", "", 1))
			if overlayParents[path.Base(dir)] {
				dir = path.Dir(dir)
			}
			name = path.Base(dir)
			if dir == "." {
				name = path.Base(s.root)
			}
		}
		for _, a := range groups[tmpl] {
			if slices.Contains(envs, a.env) {
				drop[a.Path] = true
			}
		}
		// The environments' Tanka namespace when they agree on one;
		// else each member has its own folder's name.
		ns := label(name)
		tns := map[string]bool{}
		for _, a := range groups[tmpl] {
			tns[s.tankaNamespace(a.Path)] = true
		}
		if len(tns) == 1 && !tns[""] {
			ns = s.tankaNamespace(groups[tmpl][0].Path)
		} else if len(tns) > 1 {
			s.note(tmpl, "the Tanka environments' spec.json files name different namespaces (or some none): kiln.yaml gives the app %s; set apps.%s.namespace in each env file to the one its spec.json names", ns, label(name))
		}
		out = append(out, App{Name: label(name), Namespace: ns, Engine: Jsonnet, Path: tmpl, JPath: groups[tmpl][0].JPath})
	}
	for _, a := range apps {
		if !drop[a.Path] {
			out = append(out, a)
		}
	}
	return out
}

// innerEnv is a kustomization's place in a group of one path but for a
// folder named as an environment: the path with {env} there, and that
// folder's name.
type innerEnv struct{ template, env string }

// innerEnvGroups finds, among dirs, the kustomizations whose paths differ
// only in one folder above them, named as an environment usually is, for
// two environments or more (clusters/staging/apps, clusters/production/apps:
// clusters/{env}/apps). The folder nearest the root is the one tried
// first: a path has one {env}.
func innerEnvGroups(dirs []string) map[string]innerEnv {
	byTemplate := map[string][]string{}
	pos := map[string]innerEnv{}
	for _, dir := range dirs {
		parts := strings.Split(dir, "/")
		for i := 0; i < len(parts)-1; i++ {
			// Only the usual names: a folder above an app is named
			// for many reasons (grafana/tanka's testdata/test-export-envs
			// and test-export-envs-broken are no environments).
			if !slices.Contains(envOrder, parts[i]) {
				continue
			}
			t := strings.Join(slices.Concat(parts[:i], []string{"{env}"}, parts[i+1:]), "/")
			byTemplate[t] = append(byTemplate[t], dir)
			if _, ok := pos[dir]; !ok {
				pos[dir] = innerEnv{template: t, env: parts[i]}
			}
			break
		}
	}
	out := map[string]innerEnv{}
	for dir, p := range pos {
		if len(byTemplate[p.template]) >= 2 {
			out[dir] = p
		}
	}
	return out
}

// gathers reports whether a kustomization in dir is the one at the
// repository root, which is no app (it usually gathers the others, and
// the folders it builds are apps of their own): what it names are
// no parts of an app, and the folders below it are no kustomization's, or
// every app it builds, and every YAML folder of the repository, would be
// left out without a word.
func gathers(dir string) bool { return dir == "." }

// envSiblings returns the folders whose kustomizations, not named by
// another one, are two or more and all named as environments usually are
// (staging, production): each an environment's overlay, as Flux's own
// example repository keeps them (apps/staging, apps/production), without
// a folder named overlays/ above them.
func envSiblings(kusts map[string]*kustomization, referenced map[string]bool) map[string]bool {
	count := map[string]int{}
	other := map[string]bool{}
	for dir, k := range kusts {
		if dir == "." || referenced[dir] || k.component || k.unusable {
			continue
		}
		parent := path.Dir(dir)
		if slices.Contains(envOrder, path.Base(dir)) {
			count[parent]++
		} else {
			other[parent] = true
		}
	}
	out := map[string]bool{}
	for parent, n := range count {
		if n >= 2 && !other[parent] {
			out[parent] = true
		}
	}
	return out
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (s *scan) namespace(ns, fallback string) string {
	if ns != "" && label(ns) == ns {
		return ns
	}
	return label(fallback)
}

// dnsLabel matches what Kubernetes and kiln accept as a name.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// label makes s a DNS label: lowercase, runs of other characters turned
// into one '-', at most 63 characters; "app" when nothing is left.
func label(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.Trim(out[:63], "-")
	}
	if out == "" {
		return "app"
	}
	return out
}

// reservedNames are app names kiln validate refuses: flux/cloudbuild.yaml
// is left out of Flux's artifact, flux/kustomization.yaml would be the
// bootstrap folder's kustomization file, flux/notifications.yaml is kiln's
// notifications file (once notifications: is set), and flux-system is flux
// bootstrap's own Kustomization (with the default flux: settings, which
// init writes). init names such an app like one whose name is taken.
var reservedNames = map[string]bool{"cloudbuild": true, "kustomization": true, "notifications": true, "flux-system": true}

// uniqueNames gives apps that share a name the names of their folders'
// parents too, then a number, in path order, so that every name is
// unique and stays the same from run to run.
func uniqueNames(apps []App) []App {
	sort.SliceStable(apps, func(i, j int) bool { return apps[i].Path < apps[j].Path })
	groups := map[string][]int{}
	for i, a := range apps {
		groups[a.Name] = append(groups[a.Name], i)
	}
	names := make([]string, len(apps))
	for name, idx := range groups {
		for _, i := range idx {
			names[i] = name
		}
		if len(idx) == 1 && !reservedNames[name] {
			continue
		}
		// The fewest folders above each that tell the group's apps apart
		// (three kubebuilder projects' config/default: project-v4-config-default,
		// not config-default, default-2 and default-3).
		for depth := 1; depth <= maxPrefixDepth; depth++ {
			cand := map[string]bool{}
			distinct := true
			for _, i := range idx {
				c := prefixed(apps[i], depth)
				distinct = distinct && !cand[c]
				cand[c] = true
				names[i] = c
			}
			if distinct && !slices.ContainsFunc(idx, func(i int) bool { return reservedNames[names[i]] }) {
				break
			}
		}
	}
	used := map[string]bool{}
	for i := range apps {
		name := names[i]
		for n := 2; used[name] || reservedNames[name]; n++ {
			// The number goes after the name cut short, never past the
			// 63 characters, where label would cut it off again (and
			// this loop never end).
			suffix := fmt.Sprintf("-%d", n)
			base := names[i]
			if len(base) > 63-len(suffix) {
				base = strings.TrimRight(base[:63-len(suffix)], "-")
			}
			name = base + suffix
		}
		used[name] = true
		apps[i].Name = name
	}
	return apps
}

// maxPrefixDepth bounds how many folders uniqueNames puts in front of a
// name before it numbers the names instead.
const maxPrefixDepth = 4

// prefixed is a's name with the names of the depth folders above the one
// it is named after in front, as far as there are any.
func prefixed(a App, depth int) string {
	named := "-" + a.Name + "-"
	var parts []string
	for dir := path.Dir(a.Path); depth > 0 && dir != "." && dir != "/"; dir = path.Dir(dir) {
		b := path.Base(dir)
		// The folders the name already holds tell nothing apart: an
		// app named after its folder (main.jsonnet's, an overlays/
		// folder's: shop for shop/overlays/{env}, operator-stable for
		// operator/overlays/stable), and {env}. redhat-cop/gitops-catalog
		// got operator-overlays-operator-stable, cut at 63 characters.
		if b == "{env}" || len(parts) == 0 && (overlayParents[b] || strings.Contains(named, "-"+label(b)+"-")) {
			continue
		}
		parts = append([]string{b}, parts...)
		depth--
	}
	return label(strings.Join(append(parts, a.Name), "-"))
}

// jsonnetApps are the .jsonnet files no other Jsonnet file imports, with
// the import folders (jpath) their imports need.
func (s *scan) jsonnetApps() []App {
	imports := map[string][]string{} // file -> its imports, as written
	imported := map[string]bool{}
	required := map[string][]string{} // file -> the parameters its top-level function requires
	notObjects := map[string]string{} // file -> what its value is when that is no Kubernetes objects
	for _, f := range s.jsonnet {
		data, err := s.read(filepath.Join(s.root, filepath.FromSlash(f)))
		if err != nil {
			s.note(f, "cannot read: %v", err)
			continue
		}
		if depth, line := jsonnetdepth.Of(string(data), maxNesting+1); depth > maxNesting {
			if path.Ext(f) == ".jsonnet" {
				s.note(f, "not added: its expressions nest deeper than kiln's limit of %d (by line %d); flatten them with locals", maxNesting, line)
			}
			imported[f] = true // never an entry point
			continue
		}
		node, err := jsonnet.SnippetToAST(f, string(data))
		if err != nil {
			if path.Ext(f) == ".jsonnet" {
				s.note(f, "not added: it does not parse as Jsonnet (%s)", firstLine(err.Error()))
			}
			imported[f] = true // never an entry point
			continue
		}
		imports[f] = importsOf(node)
		required[f] = requiredParams(node)
		notObjects[f] = notObjectsValue(node)
	}
	var apps []App
	for _, f := range slices.Sorted(mapsKeys(imports)) {
		for _, imp := range imports[f] {
			if target, _ := s.resolve(f, imp); target != "" {
				imported[target] = true
			}
		}
	}
	for _, f := range s.jsonnet {
		if path.Ext(f) != ".jsonnet" || imported[f] || inVendor(f) {
			continue
		}
		name := strings.TrimSuffix(path.Base(f), ".jsonnet")
		if name == "main" && path.Dir(f) != "." {
			name = path.Base(path.Dir(f))
		}
		if what := notObjects[f]; what != "" {
			// A monitoring mixin's alerts.jsonnet, rules.jsonnet: the
			// Prometheus rules file or dashboards its Makefile writes,
			// which kiln validate refuses as output.
			s.note(f, "not added: its value is %s, not Kubernetes objects (a monitoring mixin's rules or dashboards, or a file's text); kiln renders Kubernetes objects", what)
			continue
		}
		if ps := required[f]; len(ps) > 0 {
			// A patch or a library called with arguments (a kasane
			// patch's function (layers)): evaluated alone, it fails.
			s.note(f, "not added: it is a function that needs %s, which kiln does not pass (it passes env, vars and images); if it is an app, add it to kiln.yaml with them under jsonnet.tlas", strings.Join(ps, ", "))
			continue
		}
		jpath := s.closure(f, imports)
		if !s.nameable(f) || !s.allNameable(jpath) {
			continue
		}
		ns := label(name)
		if tns := s.tankaNamespace(f); tns != "" {
			ns = tns
		}
		s.noteTankaMetadata(f)
		apps = append(apps, App{Name: label(name), Namespace: ns, Engine: Jsonnet, Path: f, JPath: jpath})
	}
	return apps
}

// tankaEnvSpec is what init reads of a Tanka environment's spec.json.
type tankaEnvSpec struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Namespace        string `json:"namespace"`
		InjectLabels     bool   `json:"injectLabels"`
		ResourceDefaults struct {
			Annotations map[string]any `json:"annotations"`
			Labels      map[string]any `json:"labels"`
		} `json:"resourceDefaults"`
	} `json:"spec"`
}

// tankaEnv is the spec.json of the Tanka environment whose main.jsonnet f
// is (spec.json beside it); false for none.
func (s *scan) tankaEnv(f string) (tankaEnvSpec, bool) {
	var spec tankaEnvSpec
	if path.Base(f) != "main.jsonnet" {
		return spec, false
	}
	data, err := s.read(filepath.Join(s.root, filepath.FromSlash(path.Join(path.Dir(f), "spec.json"))))
	if err != nil || json.Unmarshal(data, &spec) != nil || !strings.HasPrefix(spec.APIVersion, "tanka.dev/") || spec.Kind != "Environment" {
		return tankaEnvSpec{}, false
	}
	return spec, true
}

// tankaNamespace is the spec.namespace of the Tanka environment whose
// main.jsonnet f is, "" for none or one that is no DNS label. Tanka gives
// it to every object without a namespace, as kiln gives an app's
// namespace: the app's name instead put tempo's
// example/tk/tempo-single-binary, whose spec.json says default, into a
// namespace tempo-single-binary nothing creates.
func (s *scan) tankaNamespace(f string) string {
	spec, ok := s.tankaEnv(f)
	if !ok || len(spec.Spec.Namespace) > 63 || !dnsLabel.MatchString(spec.Spec.Namespace) {
		return ""
	}
	return spec.Spec.Namespace
}

// noteTankaMetadata notes what a Tanka environment's spec.json adds to
// every object, which kiln does not: the objects init's app renders would
// lack labels and annotations tk apply gives them (and a selector or a
// policy matching them would match nothing), without a word.
func (s *scan) noteTankaMetadata(f string) {
	spec, ok := s.tankaEnv(f)
	if !ok {
		return
	}
	var adds []string
	if len(spec.Spec.ResourceDefaults.Labels) > 0 {
		adds = append(adds, "resourceDefaults.labels")
	}
	if len(spec.Spec.ResourceDefaults.Annotations) > 0 {
		adds = append(adds, "resourceDefaults.annotations")
	}
	if spec.Spec.InjectLabels {
		adds = append(adds, "injectLabels (the tanka.dev/environment label)")
	}
	if len(adds) > 0 {
		s.note(path.Join(path.Dir(f), "spec.json"), "Tanka adds its %s to every object, kiln does not: add them in the jsonnet (or with an env patch) where the cluster relies on them", strings.Join(adds, " and "))
	}
}

func inVendor(f string) bool { return slices.Contains(strings.Split(f, "/"), "vendor") }

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// closure is the jpath folders f and everything it imports need, in
// Tanka's order of priority: kiln's first jpath folder wins, and an order
// of first need (which follows the syntax tree, a local's body before its
// bindings) could put vendor/ before lib/, so that a file in both, a
// project's override of what jsonnet-bundler downloaded, would be read
// from vendor/. Tanka searches the environment's folder, lib/, then its
// vendor/ and the root's; resolve tries lib/ before vendor/ too.
func (s *scan) closure(f string, imports map[string][]string) []string {
	out := s.needed(f, imports)
	rank := func(jp string) int {
		switch path.Base(jp) {
		case "lib":
			return 1
		case "vendor":
			return 2
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b string) int {
		if c := rank(a) - rank(b); c != 0 || rank(a) != 2 {
			return c
		}
		// An environment's own vendor/ before the root's, as in Tanka.
		return strings.Count(b, "/") - strings.Count(a, "/")
	})
	return out
}

// needed is the jpath folders f and everything it imports need, in order
// of first need. An import found nowhere else is looked up in f's own
// folder, which Tanka puts first on the import path of the environment
// whose main.jsonnet f is: a library of lib/ may import a file each
// environment provides (its settings), which init left unresolved, and
// kiln render then failed where tk show renders. A file reached through a
// symlink (jsonnet-bundler's legacy vendor/ksonnet-util, leading to
// vendor/github.com/grafana/jsonnet-libs/ksonnet-util) has the imports of
// the file the symlink leads to, resolved from where the import names it,
// as jsonnet resolves them: the scan read only the latter, and loki's
// lib/k.libsonnet, which ksonnet-util imports, was left out of its jpath.
func (s *scan) needed(f string, imports map[string][]string) []string {
	var out []string
	add := func(jp string) {
		if !slices.Contains(out, jp) {
			out = append(out, jp)
		}
	}
	base := path.Dir(f)
	seen := map[string]bool{}
	var visit func(string)
	visit = func(g string) {
		if seen[g] {
			return
		}
		seen[g] = true
		imps, ok := imports[g]
		if !ok {
			imps = imports[s.realRel(g)]
		}
		for _, imp := range imps {
			t, jp := s.resolve(g, imp)
			if jp != "" {
				add(jp)
			}
			if b := path.Join(base, imp); t == "" && !path.IsAbs(imp) && s.isFile(b) && !escapes(b) {
				t = b
				add(base)
			}
			if t != "" {
				visit(t)
			}
		}
	}
	visit(f)
	return out
}

// resolve finds the file an import of from names, as kiln's Jsonnet engine
// would: next to from, else in a jpath folder; it tries the folders that
// hold from and their lib/ and vendor/ subfolders, nearest first. It
// returns the file and the jpath folder it needed ("" for none).
func (s *scan) resolve(from, imp string) (string, string) {
	if path.IsAbs(imp) {
		return "", ""
	}
	dir := path.Dir(from)
	if t := path.Join(dir, imp); s.isFile(t) && !escapes(t) {
		return t, ""
	}
	for d := dir; ; d = path.Dir(d) {
		for _, jp := range []string{d, path.Join(d, "lib"), path.Join(d, "vendor")} {
			if t := path.Join(jp, imp); s.isFile(t) && !escapes(t) {
				return t, jp
			}
		}
		if d == "." {
			return "", ""
		}
	}
}

// realRel is the repository path of the file rel leads to through
// symlinks, "" for one that leads nowhere or outside the repository.
func (s *scan) realRel(rel string) string {
	root, err := filepath.EvalSymlinks(s.root)
	if err != nil {
		return ""
	}
	target, err := filepath.EvalSymlinks(filepath.Join(s.root, filepath.FromSlash(rel)))
	if err != nil {
		return ""
	}
	r, err := filepath.Rel(root, target)
	if r = filepath.ToSlash(r); err != nil || escapes(r) {
		return ""
	}
	return r
}

func escapes(p string) bool { return p == ".." || strings.HasPrefix(p, "../") }

func (s *scan) isFile(rel string) bool {
	st, err := os.Lstat(filepath.Join(s.root, filepath.FromSlash(rel)))
	return err == nil && st.Mode().IsRegular()
}

// kilnTLAs are the top-level arguments kiln's Jsonnet engine passes to a
// function that declares them (templates/jsonnet: argEnv, argVars,
// argImages).
var kilnTLAs = []string{"env", "vars", "images"}

// requiredParams returns the parameters without a default, but those kiln
// passes, of the function that node, a file's syntax tree, evaluates to
// (through its top-level locals), or nil when it is no function.
func requiredParams(node ast.Node) []string {
	for {
		switch n := node.(type) {
		case *ast.Local:
			node = n.Body
			continue
		case *ast.Function:
			var ps []string
			for _, p := range n.Parameters {
				if p.DefaultArg == nil && !slices.Contains(kilnTLAs, string(p.Name)) {
					ps = append(ps, string(p.Name))
				}
			}
			return ps
		}
		return nil
	}
}

// mixinFields are the fields of a monitoring mixin (monitoring-mixins'
// convention) that hold Prometheus rules and Grafana dashboards.
var mixinFields = []string{"prometheusAlerts", "prometheusRules", "grafanaDashboards"}

// notObjectsValue says what a Jsonnet file's value is when its syntax
// shows it is no Kubernetes objects, "" otherwise: text (a string, an
// importstr, a std.manifest… call, as a mixin's alerts.jsonnet writes
// std.manifestYamlDoc(mixin.prometheusAlerts)), or a mixin's field
// (thanos' mixin/alerts.jsonnet is (import 'mixin.libsonnet').prometheusAlerts).
func notObjectsValue(node ast.Node) string {
	for {
		switch n := node.(type) {
		case *ast.Local:
			node = n.Body
			continue
		case *ast.Parens:
			node = n.Inner
			continue
		case *ast.LiteralString, *ast.ImportStr:
			return "a string"
		case *ast.Apply:
			if std, ok := n.Target.(*ast.Index); ok {
				v, isVar := std.Target.(*ast.Var)
				name, isName := std.Index.(*ast.LiteralString)
				if isVar && (v.Id == "std" || v.Id == "$std") && isName &&
					(strings.HasPrefix(name.Value, "manifest") || name.Value == "toString") {
					return "the text of std." + name.Value
				}
			}
		case *ast.Index:
			if name, ok := n.Index.(*ast.LiteralString); ok && slices.Contains(mixinFields, name.Value) {
				return "a monitoring mixin's " + name.Value
			}
		}
		return ""
	}
}

// importsOf lists the paths of a Jsonnet AST's import, importstr and
// importbin expressions.
func importsOf(n ast.Node) []string {
	var out []string
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		switch n := n.(type) {
		case *ast.Import:
			out = append(out, n.File.Value)
		case *ast.ImportStr:
			out = append(out, n.File.Value)
		case *ast.ImportBin:
			out = append(out, n.File.Value)
		}
		for _, c := range toolutils.Children(n) {
			walk(c)
		}
	}
	walk(n)
	return out
}

// yamlApps are the topmost folders of plain Kubernetes YAML that no chart
// or kustomization owns: every .yaml/.yml file below them holds
// Kubernetes objects (apiVersion and kind), as kiln's yaml engine reads
// them all.
func (s *scan) yamlApps() []App {
	// The root's kustomization owns the root's own files only (its
	// note says why it is no app), not the folders below it.
	owned := func(dir string) bool {
		for d := dir; ; d = path.Dir(d) {
			if _, ok := s.kusts[d]; ok && (!gathers(d) || d == dir) {
				return true
			}
			if d == "." {
				return false
			}
		}
	}
	referenced := map[string]bool{} // folders of files a kustomization names
	for dir, k := range s.kusts {
		if gathers(dir) {
			continue
		}
		for _, r := range k.references {
			if s.isFile(r) {
				referenced[path.Dir(r)] = true
			}
		}
	}
	objects := map[string]bool{} // folder -> holds Kubernetes objects
	other := map[string]bool{}   // folder -> holds YAML that is not
	for dir, files := range s.yamls {
		if owned(dir) || dir == "envs" {
			continue
		}
		for _, f := range files {
			if _, ok := s.objects(f); ok {
				objects[dir] = true
			} else {
				other[dir] = true
			}
		}
	}
	var apps []App
	var taken []string // folders that became apps: their subfolders are in them
	for _, dir := range slices.Sorted(mapsKeys(objects)) {
		if slices.ContainsFunc(taken, func(t string) bool { return t == "." || strings.HasPrefix(dir, t+"/") }) || referenced[dir] {
			continue
		}
		if what := s.mixed(dir, other); what != "" {
			s.note(dir, "not added: %s lies below it, and the yaml engine reads every YAML file below its folder", what)
			continue
		}
		taken = append(taken, dir)
		if f := s.unnamed(dir); f != "" {
			// Argo CD's and Helm's hooks: kiln render refuses them.
			s.note(f, "not added: an object without metadata.name (generateName alone, as Argo CD and Helm hooks have), which Flux cannot apply; give it a name, then kiln init again")
			continue
		}
		name := path.Base(dir)
		if dir == "." {
			name = path.Base(s.root)
		}
		// The one namespace the objects name, else the app's name.
		nss := map[string]bool{}
		for _, f := range s.yamlBelow(dir) {
			objs, _ := s.objects(f)
			for _, o := range objs {
				if o.namespace != "" {
					nss[o.namespace] = true
				}
			}
		}
		ns := label(name)
		if len(nss) == 1 {
			for n := range nss {
				ns = s.namespace(n, name)
			}
		}
		if !s.nameable(dir) {
			continue
		}
		apps = append(apps, App{Name: label(name), Namespace: ns, Engine: YAML, Path: dir})
	}
	return apps
}

// envFolders makes one app of YAML apps side by side whose folders are
// named as the environments, one for each (clusters/staging and
// clusters/production: clusters/{env}), as overlays are; each would
// otherwise be an app of every environment. A folder whose objects are
// all Flux Kustomizations (Flux's own configuration, which kiln's flux/
// replaces) is noted.
func (s *scan) envFolders(apps []App, envs []string) []App {
	byParent := map[string][]int{}
	for i, a := range apps {
		if slices.Contains(envs, path.Base(a.Path)) && a.Path != "." {
			byParent[path.Dir(a.Path)] = append(byParent[path.Dir(a.Path)], i)
		}
	}
	drop := map[int]bool{}
	var grouped []App
	for _, parent := range slices.Sorted(mapsKeys(byParent)) {
		idx := byParent[parent]
		if len(idx) != len(envs) || len(envs) < 2 || !s.nameable(parent) {
			continue
		}
		base := path.Base(parent)
		if parent == "." {
			base = path.Base(s.root)
		}
		first := apps[idx[0]]
		for _, i := range idx {
			drop[i] = true
			if apps[i].Path == parent+"/"+envs[0] {
				first = apps[i]
			}
		}
		grouped = append(grouped, App{Name: label(base), Namespace: first.Namespace, Engine: YAML, Path: parent + "/{env}"})
	}
	var out []App
	envNamed := map[string][]string{} // parent -> its environment-named folders left apps of their own
	for i, a := range apps {
		if !drop[i] {
			out = append(out, a)
			if n := path.Base(a.Path); a.Path != "." && (slices.Contains(envs, n) || slices.Contains(envOrder, n)) {
				envNamed[path.Dir(a.Path)] = append(envNamed[path.Dir(a.Path)], n)
			}
		}
	}
	// As for overlays: folders named as environments that are not one
	// for each of them render all in every environment, each object of
	// theirs from two apps, which kiln validate refuses; say why.
	for _, parent := range slices.Sorted(mapsKeys(envNamed)) {
		if names := envNamed[parent]; len(names) >= 2 && s.nameable(parent) {
			s.note(parent, "folders %s do not match the environments %s one for one, so each is an app of its own in every environment; with one folder per environment, kiln.yaml can name them all as %s/{env}",
				strings.Join(names, ", "), strings.Join(envs, ", "), parent)
		}
	}
	out = append(out, grouped...)
	for _, a := range out {
		if s.fluxSync(strings.ReplaceAll(a.Path, "{env}", envs[0])) {
			s.note(a.Path, "its objects are Flux's own configuration (Kustomizations and their sources), which kiln's flux/ replaces with a Kustomization per app: check that this app is still needed")
		}
	}
	return out
}

// fluxSync reports whether the YAML below dir is Flux's own configuration:
// Flux objects only (sources, artifact generators), Kustomizations among
// them.
func (s *scan) fluxSync(dir string) bool {
	kustomizations := 0
	for _, f := range s.yamlBelow(dir) {
		objs, _ := s.objects(f)
		for _, o := range objs {
			if !strings.HasSuffix(o.group, ".fluxcd.io") {
				return false
			}
			if o.group == "kustomize.toolkit.fluxcd.io" && o.kind == "Kustomization" {
				kustomizations++
			}
		}
	}
	return kustomizations > 0
}

// unnamed returns the first YAML file below dir with an object that has no
// metadata.name, or "".
func (s *scan) unnamed(dir string) string {
	for _, f := range s.yamlBelow(dir) {
		objs, _ := s.objects(f)
		for _, o := range objs {
			if o.name == "" {
				return f
			}
		}
	}
	return ""
}

// mixed says what below dir (dir included) the yaml engine would read
// that is no plain Kubernetes object: YAML that is not objects, a chart,
// kustomization or Jsonnet file, flux bootstrap's folder or kiln's output,
// naming the first of them; "" when there is none.
func (s *scan) mixed(dir string, other map[string]bool) string {
	below := func(p string) bool { return dir == "." || p == dir || strings.HasPrefix(p, dir+"/") }
	first := func(what string, paths []string) string {
		for _, p := range slices.Sorted(slices.Values(paths)) {
			if below(p) {
				return what + " (" + p + ")"
			}
		}
		return ""
	}
	return cmp.Or(
		first("YAML that is not Kubernetes objects, values or config files", slices.Collect(mapsKeys(other))),
		first("a chart", s.charts),
		first("a kustomization", slices.Collect(mapsKeys(s.kusts))),
		first("Jsonnet", s.jsonnet),
		first("flux bootstrap's folder", s.bootstraps),
		first("kiln's output", s.outputs))
}

// object is what scaffold reads of a Kubernetes object.
type object struct {
	group, kind, namespace, name string
	// crd is "group/Kind" when the object is a CustomResourceDefinition.
	crd string
	// flux is what a Flux Kustomization says about the folder it applies.
	flux *fluxKustomization
}

// readFluxKustomization reads a Flux Kustomization's spec, nil when it
// has no path or another shape (the API server would refuse it; init
// only reads what it can).
func readFluxKustomization(node *yaml.Node, namespace string) *fluxKustomization {
	var doc struct {
		Spec struct {
			Path            string `yaml:"path"`
			TargetNamespace string `yaml:"targetNamespace"`
			Interval        string `yaml:"interval"`
			Timeout         string `yaml:"timeout"`
			Wait            *bool  `yaml:"wait"`
			DependsOn       []struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"dependsOn"`
			PostBuild any `yaml:"postBuild"`
			SourceRef struct {
				Kind string `yaml:"kind"`
				Name string `yaml:"name"`
			} `yaml:"sourceRef"`
			// What changes the objects Flux builds, or how it judges
			// them, beyond the folder's own kustomization.
			Components       []any `yaml:"components"`
			Patches          any   `yaml:"patches"`
			Images           any   `yaml:"images"`
			NamePrefix       any   `yaml:"namePrefix"`
			NameSuffix       any   `yaml:"nameSuffix"`
			CommonMetadata   any   `yaml:"commonMetadata"`
			HealthChecks     any   `yaml:"healthChecks"`
			HealthCheckExprs any   `yaml:"healthCheckExprs"`
		} `yaml:"spec"`
	}
	if node.Decode(&doc) != nil || doc.Spec.Path == "" {
		return nil
	}
	fk := &fluxKustomization{path: path.Clean(strings.TrimPrefix(doc.Spec.Path, "/")), interval: doc.Spec.Interval, timeout: doc.Spec.Timeout, wait: doc.Spec.Wait,
		source: doc.Spec.SourceRef.Kind + "/" + doc.Spec.SourceRef.Name}
	for _, d := range doc.Spec.DependsOn {
		fk.dependsOn = append(fk.dependsOn, cmp.Or(d.Namespace, namespace)+"/"+d.Name)
	}
	if doc.Spec.TargetNamespace != "" {
		fk.kilnLacks = append(fk.kilnLacks, "targetNamespace")
		fk.targetNamespace = doc.Spec.TargetNamespace
	}
	if doc.Spec.PostBuild != nil {
		fk.kilnLacks = append(fk.kilnLacks, "postBuild")
	}
	for _, c := range doc.Spec.Components {
		if c, ok := c.(string); ok && c != "" {
			fk.components = append(fk.components, c)
		}
	}
	if len(doc.Spec.Components) > 0 {
		fk.kilnLacks = append(fk.kilnLacks, "components")
	}
	for key, v := range map[string]any{"patches": doc.Spec.Patches, "images": doc.Spec.Images,
		"namePrefix": doc.Spec.NamePrefix, "nameSuffix": doc.Spec.NameSuffix, "commonMetadata": doc.Spec.CommonMetadata,
		"healthChecks": doc.Spec.HealthChecks, "healthCheckExprs": doc.Spec.HealthCheckExprs} {
		if v != nil {
			fk.kilnLacks = append(fk.kilnLacks, key)
		}
	}
	return fk
}

// fluxKustomization is what init reads of a Flux Kustomization.
type fluxKustomization struct {
	path      string   // spec.path, cleaned, relative to the root
	dependsOn []string // namespace/name
	// kilnLacks are the settings of it kiln's Kustomizations do not have.
	kilnLacks []string
	// targetNamespace is its spec.targetNamespace.
	targetNamespace string
	// source is its spec.sourceRef, kind/name.
	source string
	// components are its spec.components, relative to its path.
	components []string
	// interval, timeout and wait are its spec's, wait nil when unset.
	interval, timeout string
	wait              *bool
}

// objects reads the Kubernetes objects of a YAML file; false when it is
// not one (or holds a document that is not one).
func (s *scan) objects(rel string) ([]object, bool) {
	if objs, ok := s.cache[rel]; ok {
		return objs, objs != nil
	}
	objs, ok := s.readObjects(rel)
	if !ok {
		objs = nil
	} else if objs == nil {
		objs = []object{}
	}
	s.cache[rel] = objs
	return objs, ok
}

func (s *scan) readObjects(rel string) ([]object, bool) {
	data, err := s.read(filepath.Join(s.root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, false
	}
	return parseObjects(data)
}

// parseObjects reads the Kubernetes objects of a YAML stream; false when
// a document is not one.
func parseObjects(data []byte) ([]object, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var objs []object
	for {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false
		}
		if node.Kind == yaml.DocumentNode && len(node.Content) == 1 && node.Content[0].Tag == "!!null" {
			continue
		}
		got, ok := readObject(&node)
		if !ok {
			return nil, false
		}
		objs = append(objs, got...)
	}
	return objs, len(objs) > 0
}

// readObject reads the object a document node holds, or the items of a
// collection (a kind ending in List with items: kube-prometheus's
// ConfigMapList), as kiln's yaml engine reads them (objects.ListItems).
func readObject(node *yaml.Node) ([]object, bool) {
	var doc struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name      string `yaml:"name"`
			Namespace string `yaml:"namespace"`
		} `yaml:"metadata"`
		Spec struct {
			Group string `yaml:"group"`
			Names struct {
				Kind string `yaml:"kind"`
			} `yaml:"names"`
		} `yaml:"spec"`
		Items []yaml.Node `yaml:"items"`
	}
	if err := node.Decode(&doc); err != nil || doc.APIVersion == "" || doc.Kind == "" {
		return nil, false
	}
	if strings.HasSuffix(doc.Kind, "List") && doc.Items != nil {
		var objs []object
		for i := range doc.Items {
			got, ok := readObject(&doc.Items[i])
			if !ok {
				return nil, false
			}
			objs = append(objs, got...)
		}
		return objs, true
	}
	group, _, ok := strings.Cut(doc.APIVersion, "/")
	if !ok {
		group = ""
	}
	if group == "kustomize.config.k8s.io" {
		// kustomize's own configuration (a kustomization file under
		// another name), which no cluster serves.
		return nil, false
	}
	o := object{group: group, kind: doc.Kind, namespace: doc.Metadata.Namespace, name: doc.Metadata.Name}
	if o.namespace != "" && clusterScoped(doc.APIVersion, doc.Kind) {
		// The API server drops it (a Helm chart's ClusterRole templated
		// with the release namespace): the object is in no namespace, and
		// neither names the folder's namespace nor needs the app that
		// creates it, whose dependsOn on this app's CRD it would turn
		// into a cycle.
		o.namespace = ""
	}
	if doc.Kind == "CustomResourceDefinition" && group == "apiextensions.k8s.io" {
		o.crd = doc.Spec.Group + "/" + doc.Spec.Names.Kind
	}
	if doc.Kind == "Kustomization" && group == "kustomize.toolkit.fluxcd.io" {
		o.flux = readFluxKustomization(node, doc.Metadata.Namespace)
	}
	return []object{o}, true
}

// clusterScoped reports whether kind of apiVersion is a built-in kind
// that lives in no namespace: k8s.io/api's kinds (builtinkinds), and the
// two of the API server's other groups.
func clusterScoped(apiVersion, kind string) bool {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group = "" // the core group: "v1"
	}
	switch group + "/" + kind {
	case "apiextensions.k8s.io/CustomResourceDefinition", "apiregistration.k8s.io/APIService":
		return true
	}
	namespaced, known := builtinkinds.Namespaced(group, kind)
	return known && !namespaced
}
