package helm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/templates"
)

// Options configure an Engine.
type Options struct {
	// CacheDir holds downloaded remote charts (.tgz), keyed by repo URL,
	// chart and resolved version. Empty: no remote charts allowed.
	CacheDir string
	// PlainHTTP lets oci:// references use plain HTTP (tests, local
	// registries), like helm --plain-http.
	PlainHTTP bool
}

// Engine renders Helm charts. It loads each chart once and shares it between
// renders (several environments and apps often use the same chart); it is
// safe for concurrent use.
type Engine struct {
	opts Options

	// files holds each chart's files, keyed by the absolute path of the
	// chart folder or .tgz. Files are shared read-only between renders; each
	// render builds its own *chart.Chart from them, because helm mutates the
	// chart while it processes dependencies.
	files onceMap[string, loadedChart]
	// indexes holds each HTTP chart repository's index, keyed by repo URL.
	indexes onceMap[string, *indexFile]
	// resolved maps repo, chart and version constraint to a cached .tgz.
	resolved onceMap[string, resolvedChart]

	bounds bounds
}

// bounds are the limits an Engine enforces: those of internal/limits,
// which tests lower to exercise each bound in kilobytes, not gigabytes.
type bounds struct {
	chartFiles   int   // limits.ChartFiles
	chartEntries int   // chartEntries (load.go)
	chartSize    int64 // limits.ChartSize
	output       int   // limits.OutputSize
	download     int64 // limits.Download
	nodes        int   // limits.Nodes
	// request bounds each request to a chart repository or registry
	// (downloadTimeout): neither helm's getters nor its registry client
	// take a context.
	request time.Duration
	// tagPages bounds the pages of one OCI tag list (limits.TagPages).
	tagPages int
}

func defaultBounds() bounds {
	return bounds{chartFiles: limits.ChartFiles, chartEntries: chartEntries, chartSize: limits.ChartSize, output: limits.OutputSize, download: limits.Download, nodes: limits.Nodes, request: downloadTimeout, tagPages: limits.TagPages}
}

var _ templates.Engine = (*Engine)(nil)

// New returns an Engine.
func New(opts Options) *Engine {
	return &Engine{opts: opts, bounds: defaultBounds()}
}

// Render renders req's chart as `helm template --include-crds --skip-tests`
// would: release name req.App, namespace req.Namespace, values = chart
// defaults < req.ValuesFiles < req.Values.
func (e *Engine) Render(ctx context.Context, req *templates.Request) (res *templates.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res = nil
			err = &diag.Error{
				App:  req.App,
				Msg:  fmt.Sprintf("helm engine panicked while rendering chart %s: %v", req.Path, r),
				Hint: "this is a bug in kiln or helm; please report it together with the chart",
			}
		}
	}()
	res, err = e.render(ctx, req)
	if err != nil {
		return nil, forApp(err, req.App)
	}
	return res, nil
}

func (e *Engine) render(ctx context.Context, req *templates.Request) (*templates.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec := deps.New(req.Root)
	kubeVersion, kvErr := parseKubeVersion(req.KubeVersion)
	src, chartErr := e.chart(ctx, req, rec)
	vals, err := readValues(req, rec)
	if err := errors.Join(kvErr, chartErr, err); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var chrt *chart.Chart
	// helm's loader logs what it finds odd (dependencies in a v2 chart's
	// requirements.yaml), as helm template warns.
	loadWarns, err := captureLog(func() (err error) {
		chrt, err = loader.LoadFiles(src.files)
		return err
	})
	if err != nil {
		return nil, loadError(err, src)
	}
	sortSubcharts(chrt)
	for i := range loadWarns {
		loadWarns[i].File = src.errFile()
		loadWarns[i].Hint = "helm template prints the same warning for this chart"
	}
	if chrt.Metadata.Deprecated {
		// cmd/helm/install.go: helm template warns "This chart is deprecated".
		loadWarns = append(loadWarns, templates.Warning{File: src.chartYAML(),
			Msg:  fmt.Sprintf("chart %s is deprecated (Chart.yaml says deprecated: true; helm template warns: This chart is deprecated)", chrt.Name()),
			Hint: "look for the chart's successor or a maintained fork"})
	}
	switch chrt.Metadata.Type {
	case "", "application":
	default:
		return nil, &diag.Error{File: src.chartYAML(), Line: chartKeyLine(src.data(src.chartYAML()), "type"), Msg: fmt.Sprintf("%s charts are not installable", chrt.Metadata.Type), Hint: "render an application chart that depends on it instead"}
	}
	// cmd/helm/template.go checks that every dependency is vendored, as
	// action.CheckDependencies does.
	if missing := missingDeps(chrt); len(missing) > 0 {
		err := fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s", strings.Join(missing, ", "))
		return nil, &diag.Error{File: src.depsFile(), Msg: "dependencies missing from the chart's charts/ folder: " + strings.Join(missing, ", "), Hint: "vendor them: run `helm dependency build` in the chart folder and commit charts/", Err: err}
	}

	loadWarns = append(loadWarns, aliasVersionWarnings(chrt, chrt.Name(), src)...)
	for _, f := range src.files {
		// The chart's and its folder subcharts' defaults, read by helm's
		// loader as a -f file is: its first YAML document only.
		if !chartValuesRe().MatchString(f.Name) {
			continue
		}
		if line := extraDocumentLine(f.Data); line > 0 {
			loadWarns = append(loadWarns, templates.Warning{File: src.show(path.Join(src.dir, f.Name)), Line: line,
				Msg:  "the chart's values.yaml holds a second YAML document: helm reads only the first, and so does kiln; the defaults after this --- are not used",
				Hint: "helm template renders the chart the same; give the values the chart should have in the app's values files"})
		}
	}

	texts := crdTexts{}
	pre := func() map[string]*parsedCRD { return nil }
	if !req.SkipCRDs {
		texts = newCRDTexts(chrt)
		pre = preParse(chrt, src, e.bounds, texts)
	}
	var rel *rendered
	warns, err := captureLog(func() (err error) {
		rel, err = clientOnlyInstall(chrt, vals.merged, installOptions{releaseName: req.App, namespace: req.Namespace, kubeVersion: kubeVersion, apiVersions: req.APIVersions, crdTexts: texts, skipCRDs: req.SkipCRDs})
		return err
	})
	if err != nil {
		return nil, valuesAtFault(renderError(err, src, chrt.Name()), err, vals, req.Values)
	}

	for _, h := range rel.skipped {
		hint := "spell the event as Helm does (pre-install, post-install, pre-upgrade, post-upgrade, pre-delete, post-delete, pre-rollback, post-rollback, test), or remove the annotation to deploy the object"
		if strings.Contains(h.hook, "crd-install") {
			hint = "crd-install is Helm 2's hook for CRDs: move the object into the chart's crds/ folder, or remove the annotation"
		}
		warns = append(warns, templates.Warning{File: src.file(h.source),
			Msg: fmt.Sprintf("%s/%s is left out: its annotation helm.sh/hook: %q names a hook event Helm 3 does not know, so helm template leaves the object out (it logs only \"skipping unknown hook\"), and so does kiln",
				h.kind, h.name, h.hook),
			Hint: hint})
	}

	crds := map[string]bool{}
	for _, c := range chrt.CRDObjects() {
		crds[crdSource(c)] = true
	}
	objs, err := releaseObjects(rel, src, crds, pre(), e.bounds)
	if err != nil {
		return nil, err
	}
	if err := keepAsFluxDoes(objs); err != nil {
		return nil, err
	}

	// The values the top-level templates saw as .Values, for reviewers.
	// Its warnings are those the install's merge gave already.
	var effective chartutil.Values
	_, err = captureLog(func() (err error) {
		effective, err = chartutil.CoalesceValues(chrt, vals.merged)
		return err
	})
	if err != nil {
		return nil, &diag.Error{File: src.errFile(), Msg: "computing effective values: " + err.Error(), Err: err}
	}

	if err := valuesBounded(effective, e.bounds); err != nil {
		return nil, &diag.Error{File: src.errFile(), Msg: "the chart's effective values: " + limits.Describe(err), Err: err,
			Hint: "a values file's YAML aliases may repeat a large value many times (kiln writes the effective values to high-level/); " + limits.Hint}
	}

	inputs := []string{src.input}
	for _, f := range vals.files {
		inputs = append(inputs, f.name)
	}
	sort.Strings(inputs)
	inputs = uniq(inputs)

	res := &templates.Result{
		Objects:     objs,
		Inputs:      inputs,
		InputDigest: digest(req, src, vals),
		Params:      plainMap(effective),
		Warnings:    append(append(vals.warnings, loadWarns...), warns...),
		APIChecks:   apiChecks(chrt),
	}
	var ok bool
	res.Deps, ok = rec.Deps()
	// A remote chart's files are not on the disk, so no Dep can tell that
	// a version constraint now resolves to a newer chart. Besides the
	// chart, values and the request, a template sees only what helm gives
	// it: no environment (helm removes sprig's env and expandenv), no DNS
	// (EnableDNS is off), no cluster (lookup finds nothing client-only).
	// Its clock and random functions (now, randAlphaNum, genCA, uuidv4) make
	// the output differ on each render anyway; a cached one is as valid.
	res.Cacheable = ok && req.ChartRepo == "" && !src.changed
	return res, nil
}

// sortSubcharts orders chrt's subcharts, at every level, by name, then
// version, then files. helm's loader adds them in Go's random map order,
// and that order is the order of the subcharts' crds/ in the output (so
// which of two copies of one CRD comes first) and of their values schema
// mismatches: helm template's own order differs from run to run, and any
// fixed one is as faithful.
func sortSubcharts(chrt *chart.Chart) {
	subs := slices.Clone(chrt.Dependencies())
	for _, s := range subs {
		sortSubcharts(s)
	}
	slices.SortStableFunc(subs, func(a, b *chart.Chart) int {
		if c := strings.Compare(a.Name(), b.Name()); c != 0 {
			return c
		}
		if a.Metadata != nil && b.Metadata != nil {
			if c := strings.Compare(a.Metadata.Version, b.Metadata.Version); c != 0 {
				return c
			}
		}
		// Two subcharts of one name and version (a folder and an
		// archive, say): by their files, which tell any two apart.
		return slices.CompareFunc(a.Raw, b.Raw, func(x, y *chart.File) int {
			if c := strings.Compare(x.Name, y.Name); c != 0 {
				return c
			}
			return bytes.Compare(x.Data, y.Data)
		})
	})
	chrt.SetDependencies(subs...)
}

// missingDeps lists the Chart.yaml dependencies that charts/ lacks, as
// action.CheckDependencies decides: by name.
func missingDeps(chrt *chart.Chart) []string {
	have := map[string]bool{}
	for _, d := range chrt.Dependencies() {
		have[d.Name()] = true
	}
	var out []string
	for _, r := range chrt.Metadata.Dependencies {
		if !have[r.Name] {
			out = append(out, r.Name)
		}
	}
	return out
}

// aliasVersionWarnings warns of each dependency of c (named name in
// helm's template paths) that gives an alias while no subchart of its name
// in charts/ is of a version its range takes. Helm applies an alias only
// to a subchart in range (chartutil's getAliasDependency) and says
// nothing: it renders the subchart under its own name, with the values
// under that name, whatever the alias's condition says, so values written
// under the alias (tempo-distributed's rollout_operator, with a newer
// rollout-operator vendored by hand) are dropped without a word. Helm
// checks a dependency without alias by name, condition included, so a
// version out of range changes nothing there.
func aliasVersionWarnings(c *chart.Chart, name string, src *chartSource) []templates.Warning {
	var out []templates.Warning
	for _, d := range c.Metadata.Dependencies {
		if d == nil || d.Alias == "" || d.Alias == d.Name {
			continue
		}
		var versions []string
		inRange := false
		for _, sub := range c.Dependencies() {
			if sub.Name() == d.Name {
				versions = append(versions, sub.Metadata.Version)
				inRange = inRange || chartutil.IsCompatibleRange(d.Version, sub.Metadata.Version)
			}
		}
		if inRange || len(versions) == 0 {
			continue // none at all is missingDeps' error
		}
		file := src.depsFile()
		if strings.Contains(name, "/") {
			file = src.file(name + "/Chart.yaml")
		}
		out = append(out, templates.Warning{File: file,
			Msg: fmt.Sprintf("dependency %s (alias %s) asks for version %q, but charts/ holds %s %s: helm gives an alias only to a subchart in range, "+
				"so it renders this one as %s, ignoring the values under %s and its condition (helm template says nothing)",
				d.Name, d.Alias, d.Version, d.Name, strings.Join(versions, ", "), d.Name, d.Alias),
			Hint: "vendor the version the dependency asks for (helm dependency build), or change its version range to take the one vendored"})
	}
	for _, sub := range c.Dependencies() {
		out = append(out, aliasVersionWarnings(sub, name+"/charts/"+sub.Name(), src)...)
	}
	return out
}

// parseKubeVersion parses the --kube-version equivalent; empty means helm's
// default.
func parseKubeVersion(v string) (*chartutil.KubeVersion, error) {
	if v == "" {
		return nil, nil
	}
	kv, err := chartutil.ParseKubeVersion(v)
	if err != nil {
		return nil, &diag.Error{Msg: fmt.Sprintf("invalid kubeVersion %q: %v", v, err), Hint: `set kubeVersion in kiln.yaml to a Kubernetes version such as "1.31.0"`, Err: err}
	}
	return kv, nil
}

// digest hashes every input of a render: the chart's files, the values files,
// the env's values and the release settings. Each field is length-prefixed so
// that no two different inputs hash alike.
func digest(req *templates.Request, src *chartSource, vals *values) string {
	h := sha256.New()
	field := func(s string) { writeField(h, []byte(s)) }
	field("kiln-helm-v1")
	field("release")
	field(req.App)
	field("namespace")
	field(req.Namespace)
	field("kubeVersion")
	field(req.KubeVersion)
	field("chart")
	field(src.input)
	files := append([]*loader.BufferedFile(nil), src.files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, f := range files {
		field(f.Name)
		writeField(h, f.Data)
	}
	field("valuesFiles")
	for _, f := range vals.files {
		field(f.name)
		writeField(h, f.data)
	}
	field("values")
	writeField(h, vals.userJSON)
	// The API versions of validation.crds change what .Capabilities
	// answers, so a chart's output; without them an app's objects changed
	// with its inputDigest the same, which promote's warning of random
	// values took for a template's. None adds nothing, so that the
	// digests of apps without them stay as they were.
	if len(req.APIVersions) > 0 {
		field("apiVersions")
		for _, v := range req.APIVersions {
			field(v)
		}
	}
	// Likewise skipCRDs, which changes the objects, not the inputs.
	if req.SkipCRDs {
		field("skipCRDs")
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// forApp names app on every error in err; errors that are not yet
// *diag.Error are wrapped into one.
func forApp(err error, app string) error {
	var out []error
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if errors.As(e, &de) && de == e {
			out = append(out, de.ForApp(app))
			continue
		}
		if errors.As(e, &de) {
			// A wrapped diag.Error: keep the wrapper's text, reuse the location.
			out = append(out, &diag.Error{File: de.File, Line: de.Line, App: app, Msg: e.Error(), Hint: de.Hint, Err: e})
			continue
		}
		out = append(out, &diag.Error{App: app, Msg: "helm: " + e.Error(), Err: e})
	}
	return diag.Join(out...)
}

// valuesBounded checks the effective values against the output bounds
// (their strings and keys against b.output bytes, their entries against
// b.nodes) before they leave the engine: they become Result.Params,
// written to high-level/<app>/values.yaml. A values file's YAML aliases,
// which yaml.v2 expands, let 190 KB of values.yaml (a 64 KiB string and
// 3,000 aliases of it) become 197 MB of values.yaml in the output, and
// gigabytes of memory on their way.
func valuesBounded(v map[string]any, b bounds) error {
	size, nodes := 0, 0
	var walk func(x any) bool
	walk = func(x any) bool {
		nodes++
		if nodes > b.nodes || size > b.output {
			return false
		}
		switch t := x.(type) {
		case string:
			size += len(t)
		case chartutil.Values:
			return walk(map[string]any(t))
		case map[string]any:
			for k, e := range t {
				size += len(k)
				if !walk(e) {
					return false
				}
			}
		case []any:
			for _, e := range t {
				if !walk(e) {
					return false
				}
			}
		}
		return nodes <= b.nodes && size <= b.output
	}
	if walk(v) {
		return nil
	}
	if nodes > b.nodes {
		return &limits.Error{What: "the number of values (aliases expanded)", Limit: fmt.Sprint(b.nodes)}
	}
	return &limits.Error{What: "the size of the values (aliases expanded)", Limit: limits.Bytes(int64(b.output))}
}

// plainMap turns helm's chartutil.Values (at any depth) into map[string]any,
// so that callers see ordinary maps.
func plainMap(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = plainValue(x)
	}
	return out
}

func plainValue(x any) any {
	switch t := x.(type) {
	case chartutil.Values:
		return plainMap(t)
	case map[string]any:
		return plainMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plainValue(e)
		}
		return out
	}
	return x
}

func uniq(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i > 0 && x == s[i-1] {
			continue
		}
		out = append(out, x)
	}
	return out
}

// onceMap computes each key's value once, even under concurrent calls.
// Failures are not kept, so a later call tries again (a download may have
// been cancelled).
type onceMap[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*onceEntry[V]
}

type onceEntry[V any] struct {
	once sync.Once
	v    V
	err  error
}

func (m *onceMap[K, V]) do(key K, f func() (V, error)) (V, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[K]*onceEntry[V]{}
	}
	e := m.m[key]
	if e == nil {
		e = &onceEntry[V]{}
		m.m[key] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.v, e.err = f() })
	if e.err != nil {
		m.mu.Lock()
		if m.m[key] == e {
			delete(m.m, key)
		}
		m.mu.Unlock()
	}
	return e.v, e.err
}

// chartValuesRe matches the values.yaml of a chart's files that helm's
// loader reads as defaults: the chart's own and each folder subchart's.
var chartValuesRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(charts/[^/]+/)*values\.yaml$`) })
