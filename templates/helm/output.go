package helm

import (
	"bytes"
	"errors"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"golang.org/x/sync/errgroup"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// releaseObjects turns what `helm template` prints — the manifest (CRDs
// first, then templates in helm's install order) followed by every hook that
// is not a test hook — into objects, but for the hooks that run only when
// a release is deleted or rolled back (runsOnApply). crds names the CRD files by helm's
// source name: their text is the file verbatim, so their lines are real.
// b bounds the manifest and hooks together: their size and YAML nodes.
//
// pre holds CRD files parsed while the templates rendered (preParse): a
// chunk that is such a file, as helm printed it, takes its objects from
// there, counted as if parsed here.
func releaseObjects(rel *rendered, src *chartSource, crds map[string]bool, pre map[string]*parsedCRD, b bounds) ([]templates.Object, error) {
	var out []templates.Object
	var errs []error
	// One count for the whole release: the bounds are per app, not per template.
	count := &limits.Counter{Input: "the chart's output", MaxNodes: b.nodes}
	if rel.size > b.output {
		err := &limits.Error{What: "the size of the rendered templates", Limit: limits.Bytes(int64(b.output))}
		return nil, &diag.Error{File: src.file(""), Msg: err.Describe(), Err: err, Hint: limits.Hint}
	}
	texts, big := templateTexts(src)
	type docKey struct {
		source string
		first  int
	}
	docsOf := map[[2]string][]tdoc{}
	bigLines := map[string]int{}
	keysOf := map[docKey]keyLines{}
	add := func(source, body string) {
		keepLines := crds[source]
		if p := pre[source]; keepLines && p != nil && p.use(body, count) {
			out = append(out, p.objs...)
			return
		}
		objs, err := objects.ParseHelmOutput(body, src.file(source), 0, count)
		if err != nil {
			errs = append(errs, renderedLines(err, keepLines))
			return
		}
		for i := range objs {
			if !keepLines {
				// A line of rendered output is not a line of the
				// template: the template's own lines, where they are
				// clear (lines.go).
				objs[i].Line = 0
				if data, ok := big[src.path(source)]; ok && len(objs) == 1 {
					// Once per template: a range prints many chunks of one.
					line, read := bigLines[source]
					if !read {
						line = soleObjectLine(data)
						bigLines[source] = line
					}
					objs[i].Line = line
				}
				if text, ok := texts[src.path(source)]; ok && objs[i].Node != nil && objs[i].Raw == nil {
					kind := objs[i].Node.GetKind()
					at := [2]string{source, kind}
					docs, read := docsOf[at]
					if !read {
						// Once per template and kind: a range may print
						// thousands of objects from one template.
						docs = templateDocs(text, kind)
						docsOf[at] = docs
					}
					if d, ok := pick(docs, objs[i].Node.GetName()); ok {
						dk := docKey{source, d.first}
						k, read := keysOf[dk]
						if !read {
							k = templateKeys(d.lines, d.first)
							keysOf[dk] = k
						}
						objs[i].Line = templateLines(objs[i].Node.YNode(), k)
					}
				}
			}
		}
		out = append(out, objs...)
	}
	// helm template prints a crds/ file once for each alias of the
	// subchart that holds it (the aliases share its files). helm install
	// creates it once and skips the second copy, which it finds present;
	// kiln keeps it once too: twice, it would be one object twice in the
	// app's output, refused, with nothing a user could change but the
	// vendored chart. A file is compared with the others by its text, so
	// that two copies of one chart count as one too.
	var crdBodies []string
	for _, c := range rel.manifest {
		if crds[c.source] {
			if slices.Contains(crdBodies, c.body) {
				continue
			}
			crdBodies = append(crdBodies, c.body)
		}
		add(c.source, c.body)
	}
	for _, c := range rel.hooks {
		if runsOnApply(c.events) {
			add(c.source, c.body)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// maxMappedTemplate bounds the templates whose lines kiln maps (lines.go):
// the ones above it are CustomResourceDefinitions a chart templates (argo-cd's
// 1.4 MB ApplicationSet CRD) and generated dashboards, whose mapping cost
// a third of a render of argo-helm's charts for errors such files rarely
// hold. Their objects' errors name the file without a line, as before.
const maxMappedTemplate = 128 << 10

// templateTexts returns the text of each template of a local chart (and
// of its subchart folders) up to maxMappedTemplate, by its
// repository-relative path, and the bytes of the larger ones (big), not
// copied. Archived subcharts and remote charts have none here: their
// objects keep no line, and a chart's megabytes of templated CRDs are
// not copied at every render.
func templateTexts(src *chartSource) (texts map[string]string, big map[string][]byte) {
	texts, big = map[string]string{}, map[string][]byte{}
	if src.dir == "" {
		return texts, big
	}
	for _, f := range src.files {
		if !strings.Contains(f.Name, "templates/") || strings.Contains(f.Name, ".tgz/") || strings.Contains(f.Name, ".tar.gz/") {
			continue
		}
		if len(f.Data) <= maxMappedTemplate {
			texts[path.Join(src.dir, f.Name)] = string(f.Data)
		} else {
			big[path.Join(src.dir, f.Name)] = f.Data
		}
	}
	return texts, big
}

// soleObjectLine is, for a template over maxMappedTemplate (kueue's and
// argo-cd's templated CRDs), the line of the one apiVersion key it writes
// at the start of a line: where each object it prints starts, found
// without reading the template line by line. 0 when it writes none or
// several.
func soleObjectLine(data []byte) int {
	const key = "apiVersion:"
	at := -1
	for i := 0; i < len(data); {
		j := bytes.Index(data[i:], []byte(key))
		if j < 0 {
			break
		}
		if k := i + j; k == 0 || data[k-1] == '\n' {
			if at >= 0 {
				return 0
			}
			at = k
		}
		i += j + len(key)
	}
	if at < 0 {
		return 0
	}
	return bytes.Count(data[:at], []byte("\n")) + 1
}

// renderedLines drops the lines from errors about rendered templates, whose
// lines do not match the template's.
func renderedLines(err error, keep bool) error {
	if keep {
		return err
	}
	var out []error
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if errors.As(e, &de) {
			c := *de
			c.Line = 0
			c.Msg = "rendered template: " + c.Msg
			e = &c
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// chunk is one part of helm template's output: the text that follows a
// "---\n# Source: <source>" line.
type chunk struct {
	source string
	body   string
	// events are a hook's events; nil for the manifest.
	events []release.HookEvent
}

// parsedCRD is a chart's CRD file parsed ahead, as helm prints it into the
// manifest: the file's text and a newline (action.renderResources).
type parsedCRD struct {
	body  string
	objs  []templates.Object
	count limits.Counter // what parsing it counted
	err   error
}

// use reports whether p stands for a chunk of the manifest, body, and
// counts it into count as parsing body there would have. A chunk that is
// not the file as read, a file that did not parse, and one whose count
// would pass a bound are parsed in place instead, so that the errors are
// the ones parsing in place gives.
func (p *parsedCRD) use(body string, count *limits.Counter) bool {
	return p.err == nil && body == p.body && count.Add(&p.count) == nil
}

// crdTexts holds the text each CRD file of a chart has in the manifest:
// the file and a newline (action.renderResources). Made once, the text is
// one string for the manifest and for preParse, not two copies of
// megabytes (kube-prometheus-stack's CRDs are 4.4 MB), and the manifest's
// chunk is found to be the parsed file without comparing its bytes.
type crdTexts map[*chart.File]string

// newCRDTexts makes the texts of chrt's CRD files, every subchart's.
func newCRDTexts(chrt *chart.Chart) crdTexts {
	t := crdTexts{}
	for _, c := range chrt.CRDObjects() {
		if _, ok := t[c.File]; !ok {
			t[c.File] = string(c.File.Data) + "\n"
		}
	}
	return t
}

// text is f's text in the manifest.
func (t crdTexts) text(f *chart.File) string {
	if s, ok := t[f]; ok {
		return s
	}
	return string(f.Data) + "\n"
}

// preParse parses the CRD files of chrt, every subchart's, while helm
// renders the templates: for a chart like kube-prometheus-stack they are
// most of the manifest, and parsing them took longer than the render. The
// files are parsed side by side (up to GOMAXPROCS at once), so that the
// cores the render leaves idle share the parsing. The result, keyed by
// helm's source name, is ready when the returned function returns it. A
// subchart's that its condition disables ends up unused.
func preParse(chrt *chart.Chart, src *chartSource, b bounds, texts crdTexts) func() map[string]*parsedCRD {
	type file struct{ source, body string }
	var files []file
	for _, c := range chrt.CRDObjects() {
		files = append(files, file{crdSource(c), texts.text(c.File)})
	}
	if len(files) == 0 {
		return func() map[string]*parsedCRD { return nil }
	}
	done := make(chan map[string]*parsedCRD, 1)
	go func() {
		parsed := make([]*parsedCRD, len(files))
		var panicked atomic.Bool
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		for i, f := range files {
			g.Go(func() error {
				defer func() {
					if recover() != nil {
						panicked.Store(true) // parsed in place, where a panic is reported
					}
				}()
				p := &parsedCRD{body: f.body, count: limits.Counter{Input: "the chart's output", MaxNodes: b.nodes}}
				p.objs, p.err = objects.ParseHelmOutput(f.body, src.file(f.source), 0, &p.count)
				parsed[i] = p
				return nil
			})
		}
		_ = g.Wait() // nothing returns an error
		if panicked.Load() {
			done <- nil
			return
		}
		out := map[string]*parsedCRD{}
		for i, f := range files {
			out[f.source] = parsed[i] // in order: a later file of the same name wins, as before
		}
		done <- out
	}()
	return func() map[string]*parsedCRD { return <-done }
}

// crdSource is the name helm gives a CRD file of a chart in its manifest's
// "# Source:" lines, by which the manifest's chunks are matched to it.
func crdSource(c chart.CRD) string {
	return path.Clean(filepath.ToSlash(c.Filename))
}

// keepAsFluxDoes gives each object a chart marks helm.sh/resource-policy:
// keep Flux's prune: disabled, unless the object says otherwise. Helm never
// deletes such an object, neither on uninstall nor when an upgrade's
// chart no longer renders it (cert-manager's and argo-cd's CRDs, a
// database's PersistentVolumeClaim, a generated Secret); Flux's
// Kustomization, which applies the hydrated tree, prunes whatever leaves
// it, and deleting a CRD deletes every resource of it. Helm reads the
// value trimmed and in any case.
func keepAsFluxDoes(objs []templates.Object) error {
	for _, o := range objs {
		ann := o.Node.GetAnnotations()
		if v, ok := ann["helm.sh/resource-policy"]; !ok || strings.ToLower(strings.TrimSpace(v)) != "keep" {
			continue
		}
		if _, ok := ann[objects.PruneAnnotation]; ok {
			continue
		}
		if err := o.Node.PipeE(kyaml.SetAnnotation(objects.PruneAnnotation, kustomizev1.DisabledValue)); err != nil {
			return err
		}
	}
	return nil
}
