package scaffold

import (
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kiln-gitops/kiln/envconfig/internal/shape"
)

// dependsOn fills each app's DependsOn from the objects its files show
// without rendering (a YAML folder's files, the files a kustomization
// names through its bases, a chart's crds/): an app using a custom kind
// depends on the app defining its CRD, as kiln validate requires, and an
// app putting objects in a namespace depends on the app creating it, as
// it recommends. given are edges known otherwise (fluxDependsOn), added
// first. An edge that would close a cycle is left out.
func (s *scan) dependsOn(apps []App, envs []string, given map[string][]string) {
	type facts struct {
		crdFacts
		namespaces, uses, inNamespaces map[string]bool
	}
	all := make([]facts, len(apps))
	for i, a := range apps {
		f := facts{crdFacts{all: map[string]bool{}, chart: map[string]bool{}, only: true}, map[string]bool{}, map[string]bool{}, map[string]bool{a.Namespace: true}}
		if a.Engine == Helm {
			var keys []string
			keys, f.only = s.templateCRDs(a.Path)
			for _, k := range keys {
				f.all[k] = true
			}
		}
		// kustomize's namespace transformer gives every object of the
		// build the kustomization's namespace, and a Namespace object
		// that name (a home-ops component's Namespace "_" becomes each
		// app folder's namespace).
		transformed := s.buildNamespace(a, envs)
		for _, file := range s.filesOf(a, envs) {
			objs, ok := s.objects(file)
			f.only = f.only && ok
			for _, o := range objs {
				f.only = f.only && (o.crd != "" || a.Engine == Helm)
				switch {
				case o.crd != "":
					f.all[o.crd] = true
					if a.Engine == Helm {
						f.chart[o.crd] = true
					}
				case o.group == "" && o.kind == "Namespace":
					f.namespaces[cmp.Or(transformed, o.name)] = true
				default:
					f.uses[o.group+"/"+o.kind] = true
					if o.namespace != "" && transformed == "" {
						f.inNamespaces[o.namespace] = true
					}
				}
			}
		}
		all[i] = f
	}
	// A namespace two apps create is an error kiln validate names (one
	// object, two owners); an edge to either would make the other's
	// objects imply a cycle, reported as well (christianh814/gitops-examples'
	// Namespace bgd in four examples), which hides the cause.
	creators := map[string]int{}
	for _, f := range all {
		for ns := range f.namespaces {
			creators[ns]++
		}
	}
	crds := make([]crdFacts, len(all))
	for i, f := range all {
		crds[i] = f.crdFacts
	}
	skipFrom := s.skipCRDs(apps, crds)
	edges := map[string][]string{}
	reaches := func(from, to string) bool {
		seen := map[string]bool{}
		var visit func(string) bool
		visit = func(n string) bool {
			if n == to {
				return true
			}
			if seen[n] {
				return false
			}
			seen[n] = true
			return slices.ContainsFunc(edges[n], visit)
		}
		return visit(from)
	}
	for _, from := range slices.Sorted(mapsKeys(given)) {
		for _, to := range given[from] {
			if to != from && !reaches(to, from) {
				edges[from] = append(edges[from], to)
			}
		}
	}
	for i := range apps {
		for j := range apps {
			if i == j {
				continue
			}
			needs := skipFrom[i][apps[j].Name]
			for k := range all[i].uses {
				needs = needs || all[j].all[k]
			}
			for ns := range all[i].inNamespaces {
				needs = needs || all[j].namespaces[ns] && creators[ns] == 1
			}
			if needs && !reaches(apps[j].Name, apps[i].Name) {
				edges[apps[i].Name] = append(edges[apps[i].Name], apps[j].Name)
			}
		}
	}
	for i := range apps {
		deps := edges[apps[i].Name]
		slices.Sort(deps)
		apps[i].DependsOn = slices.Compact(deps)
	}
}

// crdFacts are the CRDs an app defines, as init reads them without
// rendering.
type crdFacts struct {
	// all are the CRDs it defines; chart those of a chart's crds/, which
	// helm.skipCRDs can leave out.
	all, chart map[string]bool
	// only: every object init read of it is a CRD (or a crds/ file), and
	// it read them all: the app is there for the CRDs (karpenter-crd).
	only bool
}

// skipCRDs sets helm.skipCRDs on each chart whose crds/ hold only CRDs
// an app of CRDs alone defines otherwise than by a chart's crds/
// (karpenter's crds/ beside karpenter-crd's templates, the documented
// install): both copies would be one object with two owners, which kiln
// validate refuses. A chart with a CRD no such app renders keeps its
// crds/ (skipCRDs leaves out all of them); so do two charts whose crds/
// alone hold the same CRDs (one of them must keep its copy) and a chart
// beside another install of the same software (strimzi's chart and its
// YAML install, alternatives that own the same Deployments too, which
// kiln validate names). A chart set no longer defines its crds/. It
// returns, per chart set, the apps that define its CRDs, on which it
// then depends.
func (s *scan) skipCRDs(apps []App, crds []crdFacts) map[int]map[string]bool {
	from := map[int]map[string]bool{}
	for i := range apps {
		if apps[i].Engine != Helm || len(crds[i].chart) == 0 {
			continue
		}
		by := map[string]bool{}
		for _, k := range slices.Sorted(mapsKeys(crds[i].chart)) {
			owner := ""
			for j, c := range crds {
				if j != i && c.only && c.all[k] && !c.chart[k] {
					owner = apps[j].Name
					break
				}
			}
			if owner == "" {
				by = nil
				break
			}
			by[owner] = true
		}
		if by == nil {
			continue
		}
		apps[i].SkipCRDs = true
		from[i] = by
		for k := range crds[i].chart {
			delete(crds[i].all, k)
		}
		names := strings.Join(slices.Sorted(mapsKeys(by)), ", ")
		s.note(path.Join(apps[i].Path, "crds"), "its CRDs are rendered by %s too: helm.skipCRDs leaves them out, as helm install --skip-crds, so that each has one owner, and the app depends on %s", names, names)
	}
	return from
}

// templateCRDs are the CRDs the files of a chart's templates/ define,
// read without rendering: lines holding only template actions are
// dropped and other actions replaced, which leaves a CRD chart's files
// plain YAML (karpenter-crd's add annotations from values). A file that
// is not, one whose document an unindented if, with or range may leave
// out (cert-manager's CRDs, off by default), and a CRD whose group or
// kind is templated are not counted. only: every file holds CRDs alone,
// all counted.
func (s *scan) templateCRDs(chart string) (keys []string, only bool) {
	only = true
	for _, rel := range s.chartFiles(path.Join(chart, "templates")) {
		if strings.HasPrefix(path.Base(rel), "_") {
			continue
		}
		data, err := s.read(filepath.Join(s.root, filepath.FromSlash(rel)))
		if err != nil || !bytes.Contains(data, []byte("CustomResourceDefinition")) {
			only = false
			continue
		}
		plain, ok := untemplated(data)
		objs, parsed := parseObjects(plain)
		only = only && ok && parsed
		for _, o := range objs {
			if o.crd == "" || strings.Contains(o.crd, templatedValue) {
				only = false
				continue
			}
			keys = append(keys, o.crd)
		}
	}
	return keys, only && len(keys) > 0
}

// templatedValue stands for a template action inside a line.
const templatedValue = "kiln-init-templated"

var (
	templateAction = regexp.MustCompile(`\{\{.*?\}\}`)
	// conditional is an action that may leave out what follows it.
	conditional = regexp.MustCompile(`^\{\{-?\s*(if|with|range)\b`)
)

// untemplated is a template file's text without its actions (see
// templateCRDs); false when that is not sure to be YAML the template
// would print.
func untemplated(data []byte) ([]byte, bool) {
	var out bytes.Buffer
	for line := range bytes.Lines(data) {
		rest := templateAction.ReplaceAll(line, nil)
		if len(bytes.TrimSpace(rest)) == 0 && len(bytes.TrimSpace(line)) > 0 {
			if conditional.Match(line) {
				return nil, false
			}
			continue
		}
		if bytes.Contains(rest, []byte("{{")) || bytes.Contains(rest, []byte("}}")) {
			return nil, false
		}
		out.Write(templateAction.ReplaceAll(line, []byte(templatedValue)))
	}
	return out.Bytes(), true
}

// filesOf lists the YAML files an app's objects can be read from without
// rendering.
func (s *scan) filesOf(a App, envs []string) []string {
	switch a.Engine {
	case YAML:
		return s.yamlBelow(a.Path)
	case Helm:
		return s.chartFiles(path.Join(a.Path, "crds"))
	case Kustomize:
		var files []string
		seen := map[string]bool{}
		var visit func(string)
		visit = func(dir string) {
			k, ok := s.kusts[dir]
			if !ok || seen[dir] {
				return
			}
			seen[dir] = true
			for _, r := range k.references {
				if s.isFile(r) {
					files = append(files, r)
				} else {
					visit(r)
				}
			}
		}
		// An overlay per env: what any of them uses counts.
		for _, e := range envs {
			visit(strings.ReplaceAll(a.Path, "{env}", e))
		}
		return files
	}
	return nil
}

// chartFiles are the YAML files below a chart's folder dir, symlinked
// ones among them where they lead to a file inside the root: Helm loads a
// chart through its symlinks (karpenter's crds/ link to the CRDs its
// repository generates elsewhere), and kiln renders it so.
func (s *scan) chartFiles(dir string) []string { return s.yamlFiles(dir, true) }

// yamlBelow are the YAML files below dir; symlinks are not followed.
func (s *scan) yamlBelow(dir string) []string { return s.yamlFiles(dir, false) }

// yamlFiles are the YAML files below dir, sorted, and with linked the
// symlinks to a file inside the root.
func (s *scan) yamlFiles(dir string, linked bool) []string {
	var files []string
	_ = filepath.WalkDir(filepath.Join(s.root, filepath.FromSlash(dir)), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if ext := path.Ext(d.Name()); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if st, err := os.Stat(p); !linked || err != nil || !st.Mode().IsRegular() || s.linksOut(p) {
				return nil
			}
		}
		files = append(files, s.rel(p))
		return nil
	})
	return files
}

// fluxDependsOn reads the Flux Kustomizations the repository holds (a
// hub's, fluxcd/flux2-hub-spoke-example's hub/staging.yaml; a cluster's,
// fluxcd/flux2-kustomize-helm-example's clusters/staging/apps.yaml) for
// the apps whose folders they apply: their dependsOn between such apps,
// which init could not see in the apps' own files, and a note for what
// they set that kiln's Kustomizations do not (targetNamespace, postBuild,
// what changes the folder's build, health checks).
func (s *scan) fluxDependsOn(apps []App, envs []string) map[string][]string {
	type found struct {
		file, key string
		fk        *fluxKustomization
	}
	byPath := map[string][]found{}
	// Sources the repository defines, by kind and name (a kustomization's
	// namespace: may give theirs), but flux bootstrap's: a Flux
	// Kustomization of one applies another repository (d1-fleet's
	// tenants sync d1-apps), whose paths say nothing of this one's folders.
	defined := map[string]bool{}
	for _, dir := range slices.Sorted(mapsKeys(s.yamls)) {
		for _, f := range s.yamls[dir] {
			objs, _ := s.objects(f)
			for _, o := range objs {
				if o.flux != nil {
					byPath[o.flux.path] = append(byPath[o.flux.path], found{f, o.namespace + "/" + o.name, o.flux})
				}
				if o.group == "source.toolkit.fluxcd.io" && o.name != "flux-system" {
					defined[o.kind+"/"+o.name] = true
				}
			}
		}
	}
	if len(byPath) == 0 {
		return nil
	}
	if root := sourceRoot(apps, envs, slices.Collect(mapsKeys(byPath))); root != "" {
		for _, p := range slices.Sorted(mapsKeys(byPath)) {
			if dir := root + "/" + p; p != "." && byPath[dir] == nil {
				byPath[dir] = byPath[p]
			}
		}
	}
	// A folder above an app's applies it only from this repository, and
	// never the root's: a Kustomization of "./" is flux bootstrap's, or
	// another repository's.
	above := map[string][]found{}
	for p, fs := range byPath {
		for _, f := range fs {
			if p != "." && !defined[f.fk.source] {
				above[p] = append(above[p], f)
			}
		}
	}
	applying := func(dir string) []found {
		if fs := byPath[dir]; len(fs) > 0 {
			return fs
		}
		return above[s.appliedAt(dir, func(d string) bool { return len(above[d]) > 0 })]
	}
	// namespace/name of a Flux Kustomization -> the apps it applies: one
	// of a folder without a kustomization file applies every app below it
	// (controlplaneio-fluxcd/d1-fleet's flux-infra-tenant, tenants/infra/*).
	appOf := map[string][]string{}
	mine := map[string][]found{}
	index := map[string]int{} // app → its place in apps
	for i, a := range apps {
		index[a.Name] = i
		if a.Engine != Kustomize && a.Engine != YAML {
			continue
		}
		for _, e := range envs {
			for _, f := range applying(strings.ReplaceAll(a.Path, "{env}", e)) {
				if !slices.Contains(appOf[f.key], a.Name) {
					appOf[f.key] = append(appOf[f.key], a.Name)
				}
				mine[a.Name] = append(mine[a.Name], f)
			}
		}
	}
	given := map[string][]string{}
	for _, name := range slices.Sorted(mapsKeys(mine)) {
		var lacks, files, components []string
		var fks []*fluxKustomization
		for _, f := range mine[name] {
			fks = append(fks, f.fk)
		}
		a := &apps[index[name]]
		adopted := s.adoptTargetNamespace(a, fks, envs)
		adoptFluxSettings(a, fks)
		for _, f := range mine[name] {
			for _, d := range f.fk.dependsOn {
				for _, to := range appOf[d] {
					if to != name && !slices.Contains(given[name], to) {
						given[name] = append(given[name], to)
					}
				}
			}
			lacks = append(lacks, f.fk.kilnLacks...)
			components = append(components, f.fk.components...)
			if len(f.fk.kilnLacks) > 0 {
				files = append(files, f.file)
			}
		}
		if len(lacks) == 0 {
			continue
		}
		lacks = slices.Compact(slices.Sorted(slices.Values(lacks)))
		files = slices.Compact(slices.Sorted(slices.Values(files)))
		var what []string
		// A yaml app has no kustomization to write a setting into; its
		// engine substitutes ${VAR} as postBuild does, from vars.
		yamlApp := a.Engine == YAML
		inKustomization := "in the app's kustomization"
		if yamlApp {
			inKustomization = "in a kustomization.yaml of the folder (which lists the folder's files as resources; the app then renders with kustomize: instead of yaml:)"
		}
		for _, l := range lacks {
			switch l {
			case "targetNamespace":
				switch {
				case adopted != "" && yamlApp:
					what = append(what, fmt.Sprintf("targetNamespace %s, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: change the namespace of each object that names another", adopted))
				case adopted != "":
					what = append(what, fmt.Sprintf("targetNamespace %s, which init made the app's namespace; kiln gives it to objects without a namespace only, where Flux's targetNamespace replaces any: set namespace: %s in the app's kustomization if some object names another", adopted, adopted))
				case yamlApp:
					what = append(what, "targetNamespace, which kiln does not apply (the app's namespace fills only objects without one): set the app's namespace: to it, and change the namespace of each object that names another")
				default:
					what = append(what, "targetNamespace, which kiln does not apply (the app's namespace fills only objects without one): set namespace: in the app's kustomization")
				}
			case "postBuild":
				if yamlApp {
					what = append(what, "postBuild, whose ${VAR} substitution kiln's yaml engine makes from vars: give the values it substitutes under vars: (or secretVars:) in envs/<env>.yaml")
					break
				}
				what = append(what, "postBuild, which kiln does not apply to kustomize apps: give the values it substitutes by a patch or replacement (docs/templates.md)")
			case "components":
				// Flux adds them to the folder's build: their objects
				// (a backup component's claim) are not in kiln's.
				c := ""
				if len(components) > 0 {
					c = " (" + strings.Join(slices.Compact(slices.Sorted(slices.Values(components))), ", ") + ")"
				}
				what = append(what, "components"+c+", which kiln's build of the folder leaves out, with the objects and patches they add: list them under components: "+inKustomization+", where their paths, relative to the folder, stay as they are")
			case "patches", "images", "namePrefix", "nameSuffix", "commonMetadata":
				what = append(what, l+", which kiln's build of the folder leaves out: write it "+inKustomization)
			case "healthChecks", "healthCheckExprs":
				what = append(what, l+", which kiln's Kustomization of the app does not have: give it as the app's flux."+l)
			}
		}
		s.note(a.Path, "its Flux Kustomization (%s) sets %s", strings.Join(files, ", "), strings.Join(what, "; and "))
	}
	return given
}

// appliedAt returns the nearest folder above the app folder dir that
// applied says Flux Kustomizations apply, with no kustomization file
// between, as kustomize-controller generates a kustomization for such a
// folder that takes in every folder below it with a kustomization file,
// and every YAML file on the way (buroa/k8s-gitops' flux-repositories
// applies kubernetes/flux/repositories, and so its oci/ kustomization,
// with targetNamespace flux-system). "" when there is none.
func (s *scan) appliedAt(dir string, applied func(string) bool) string {
	for d := path.Dir(dir); ; d = path.Dir(d) {
		if s.kusts[d] != nil {
			return ""
		}
		if applied(d) {
			return d
		}
		if d == "." || d == "/" {
			return ""
		}
	}
}

// sourceRoot is the folder of the repository that the Flux Kustomizations'
// paths (paths) are relative to when it is not the repository's root: a
// fleet that pushes only its kubernetes/ folder as an OCI artifact, or
// copies it into ArtifactGenerator artifacts (xunholy/k8s-gitops), writes
// path: ./apps/base/home-system/autobrr/app for the folder
// kubernetes/apps/base/home-system/autobrr/app. It is the folder that,
// put in front of the paths that name no app's folder, makes the most of
// them name one (two at least, so that one path found by chance below
// some folder decides nothing); "" when the paths need none, or two
// folders do as well.
func sourceRoot(apps []App, envs []string, paths []string) string {
	folders := map[string]bool{}
	for _, a := range apps {
		if a.Engine != Kustomize && a.Engine != YAML {
			continue
		}
		for _, e := range envs {
			folders[strings.ReplaceAll(a.Path, "{env}", e)] = true
		}
	}
	count := map[string]int{}
	for _, p := range paths {
		if folders[p] || p == "." {
			continue
		}
		for f := range folders {
			if root, ok := strings.CutSuffix(f, "/"+p); ok {
				count[root]++
			}
		}
	}
	best, n, tie := "", 1, false
	for root, c := range count {
		switch {
		case c > n:
			best, n, tie = root, c, false
		case c == n:
			tie = true
		}
	}
	if tie || best == "" {
		return ""
	}
	return best
}

// adoptTargetNamespace makes the targetNamespace of the Flux
// Kustomizations fks, which apply app a's folder, its namespace, where
// its kustomization names none or it is a yaml folder (init's namespace
// was then a guess from the folder's name, "app" for each of a home-ops
// repository's <namespace>/<name>/app folders), they all give the same
// one, and it is a valid name. It returns the namespace taken, or "".
func (s *scan) adoptTargetNamespace(a *App, fks []*fluxKustomization, envs []string) string {
	if a.Engine != Kustomize && a.Engine != YAML {
		return ""
	}
	ns := ""
	for _, fk := range fks {
		if fk.targetNamespace == "" || ns != "" && fk.targetNamespace != ns {
			return ""
		}
		ns = fk.targetNamespace
	}
	if label(ns) != ns {
		return ""
	}
	// A yaml folder whose objects name one namespace has it already.
	named := map[string]bool{}
	for _, e := range envs {
		dir := strings.ReplaceAll(a.Path, "{env}", e)
		if k := s.kusts[dir]; k != nil && k.namespace != "" {
			return ""
		}
		if a.Engine == YAML {
			for _, f := range s.yamlBelow(dir) {
				objs, _ := s.objects(f)
				for _, o := range objs {
					if o.namespace != "" {
						named[o.namespace] = true
					}
				}
			}
		}
	}
	if len(named) == 1 {
		return ""
	}
	a.Namespace = ns
	return ns
}

// buildNamespace is the namespace: of app a's kustomization, the same in
// every environment; "" for another engine, or when it is not set or not
// the same.
func (s *scan) buildNamespace(a App, envs []string) string {
	if a.Engine != Kustomize {
		return ""
	}
	ns := ""
	for i, e := range envs {
		k := s.kusts[strings.ReplaceAll(a.Path, "{env}", e)]
		if k == nil || k.namespace == "" || i > 0 && k.namespace != ns {
			return ""
		}
		ns = k.namespace
	}
	return ns
}

// fluxDuration is what Flux's CRDs take as an interval or timeout.
var fluxDuration = regexp.MustCompile(shape.DurationPattern)

// adoptFluxSettings gives app a the interval, timeout and wait that every
// Flux Kustomization applying its folder (fks) sets alike, where they
// differ from kiln's defaults (10m, 5m, no wait): without them the app's
// Kustomization would reconcile, wait and time out otherwise than the one
// it replaces. A spec's timeout left out is the one kustomize-controller
// takes then (fluxTimeout).
func adoptFluxSettings(a *App, fks []*fluxKustomization) {
	if len(fks) == 0 {
		return
	}
	same := func(get func(*fluxKustomization) string) string {
		v := get(fks[0])
		for _, fk := range fks[1:] {
			if get(fk) != v {
				return ""
			}
		}
		if !fluxDuration.MatchString(v) {
			return ""
		}
		return v
	}
	f := Flux{
		Interval: same(func(fk *fluxKustomization) string { return fk.interval }),
		Timeout:  same(fluxTimeout),
	}
	if f.Interval == "10m" || f.Interval == "10m0s" {
		f.Interval = ""
	}
	if f.Timeout == "5m" || f.Timeout == "5m0s" {
		f.Timeout = ""
	}
	wait := fks[0].wait
	for _, fk := range fks[1:] {
		if (fk.wait == nil) != (wait == nil) || wait != nil && *fk.wait != *wait {
			wait = nil
			break
		}
	}
	if wait != nil && *wait {
		f.Wait = wait
	}
	if f != (Flux{}) {
		a.Flux = &f
	}
}

// fluxTimeout is fk's timeout as kustomize-controller takes it: its
// spec.timeout as written, else what Kustomization.GetTimeout makes of
// its interval (less 30s, at least 30s); "" when the interval does not
// read as a duration.
func fluxTimeout(fk *fluxKustomization) string {
	if fk.timeout != "" {
		return fk.timeout
	}
	if !fluxDuration.MatchString(fk.interval) {
		return ""
	}
	interval, err := time.ParseDuration(fk.interval)
	if err != nil {
		return ""
	}
	k := kustomizev1.Kustomization{Spec: kustomizev1.KustomizationSpec{Interval: metav1.Duration{Duration: interval}}}
	return k.GetTimeout().String()
}
