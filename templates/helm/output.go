package helm

import (
	"bytes"
	"errors"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
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
	bigDocs := map[string][]bigDoc{}
	keysOf := map[docKey]keyLines{}
	add := func(source, body string) {
		keepLines := crds[source]
		if p := pre[source]; keepLines && p != nil && p.use(body, count) {
			out = append(out, p.objs...)
			return
		}
		objs, err := objects.ParseHelmOutput(body, src.file(source), 0, count)
		if err != nil {
			if keepLines {
				err = crdTemplateError(err, body)
			}
			errs = append(errs, renderedLines(err, keepLines))
			return
		}
		for i := range objs {
			if !keepLines {
				// A line of rendered output is not a line of the
				// template: the template's own lines, where they are
				// clear (lines.go).
				objs[i].Line = 0
				if data, ok := big[src.path(source)]; ok {
					// Once per template: a range prints many chunks of one.
					docs, read := bigDocs[source]
					if !read {
						docs = bigTemplateDocs(data)
						bigDocs[source] = docs
					}
					objs[i].Line = bigObjectLine(docs, objs[i], len(objs))
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

// bigDoc is a document of a template over maxMappedTemplate: the line
// where it writes apiVersion at a line's start, and the kind and
// metadata.name it writes literally there ("" where an action writes
// them, or where the document is not clear).
type bigDoc struct {
	line       int
	kind, name string
}

// bigTemplateDocs finds the documents of a template over
// maxMappedTemplate (kueue's and argo-cd's templated CRDs, the Gateway
// API bundles of envoy-gateway's gateway-crds-helm) with byte searches
// for the keys at a line's start, without reading the template line by
// line: reading such templates so cost a third of rendering argo-helm's
// charts.
func bigTemplateDocs(data []byte) []bigDoc {
	var starts []int
	for i := 0; i < len(data); {
		k := lineKey(data, i, "apiVersion:")
		if k < 0 {
			break
		}
		starts = append(starts, k)
		i = k + len("apiVersion:")
	}
	docs := make([]bigDoc, len(starts))
	line, counted := 1, 0
	for n, at := range starts {
		line += bytes.Count(data[counted:at], []byte("\n"))
		counted = at
		end := len(data)
		if n+1 < len(starts) {
			end = starts[n+1]
		}
		docs[n] = bigDoc{line: line}
		// One kind and one metadata key in the document, or it is not
		// clear which object they belong to (a kind written before its
		// apiVersion, an if and its else).
		region := data[at:end]
		kinds, metas := lineValues(region, "kind:"), lineKeys(region, "metadata:")
		if len(kinds) != 1 || len(metas) != 1 {
			continue
		}
		docs[n].kind = kinds[0]
		docs[n].name = metadataName(region[metas[0]+len("metadata:"):])
	}
	return docs
}

// bigObjectLine is the line of an object a template over maxMappedTemplate
// printed (in a chunk of n objects): its one document's apiVersion line
// when the template writes one, or the one document that writes the
// object's kind and name literally. 0 when none or several do.
func bigObjectLine(docs []bigDoc, obj templates.Object, n int) int {
	if len(docs) == 1 && n == 1 {
		return docs[0].line
	}
	if obj.Node == nil {
		return 0
	}
	kind, name := obj.Node.GetKind(), obj.Node.GetName()
	line := 0
	for _, d := range docs {
		if d.kind == kind && d.name == name && name != "" {
			if line != 0 {
				return 0
			}
			line = d.line
		}
	}
	return line
}

// lineKey is the offset of the first key at a line's start from offset
// i on, or -1.
func lineKey(data []byte, i int, key string) int {
	for i < len(data) {
		j := bytes.Index(data[i:], []byte(key))
		if j < 0 {
			return -1
		}
		if k := i + j; k == 0 || data[k-1] == '\n' {
			return k
		}
		i += j + len(key)
	}
	return -1
}

// lineKeys is the offsets of each key at a line's start in data.
func lineKeys(data []byte, key string) []int {
	var out []int
	for i := 0; ; {
		k := lineKey(data, i, key)
		if k < 0 {
			return out
		}
		out = append(out, k)
		i = k + len(key)
	}
}

// lineValues is the scalar each key at a line's start writes.
func lineValues(data []byte, key string) []string {
	var out []string
	for _, k := range lineKeys(data, key) {
		rest := data[k+len(key):]
		if e := bytes.IndexByte(rest, '\n'); e >= 0 {
			rest = rest[:e]
		}
		out = append(out, literal(rest))
	}
	return out
}

// metadataName is the name key of the block that follows a metadata
// key, at the block's indentation: labels and annotations are deeper.
func metadataName(block []byte) string {
	indent := ""
	for len(block) > 0 {
		e := bytes.IndexByte(block, '\n')
		if e < 0 {
			e = len(block)
		}
		l := strings.TrimRight(string(block[:e]), "\r")
		block = block[min(e+1, len(block)):]
		trimmed := strings.TrimLeft(l, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		at := l[:len(l)-len(trimmed)]
		if at == "" {
			// The block ended; the first line is the rest of the
			// metadata key's own line.
			if indent == "" && strings.TrimSpace(l) == "" {
				continue
			}
			return ""
		}
		if indent == "" {
			indent = at
		}
		if at == indent {
			if v, ok := strings.CutPrefix(trimmed, "name:"); ok {
				return literal([]byte(v))
			}
		}
	}
	return ""
}

// literal is a plain or quoted YAML scalar written on one line, or ""
// where a template action writes it.
func literal(b []byte) string {
	v := strings.TrimSpace(strings.TrimRight(string(b), "\r"))
	if strings.Contains(v, "{{") {
		return ""
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		v = v[1 : len(v)-1]
	}
	return v
}

// crdActionRe finds a template action that stands as YAML in a crds/ file.
var crdActionRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^[ \t-]*\{\{|:[ \t]+\{\{`) })

// crdTemplateError explains the errors of a crds/ file that holds template
// actions: helm renders no file of crds/ and prints (and installs) it as
// written, so a CRD written as a template ({{- if .Values.crds.enabled }}
// around it, a label from .Release.Name) fails to parse, where the YAML
// parser names no line or the line of the mapping that holds the action.
// Such an error is put at the first action's line, and told why; one more
// than a line before the action is another mistake, left as it is.
func crdTemplateError(err error, body string) error {
	// An action where YAML reads it as such, opening a line or a value:
	// "{{" inside a quoted description (Go templates in a CRD's docs) is
	// no reason.
	loc := crdActionRe().FindStringIndex(body)
	if loc == nil {
		return err
	}
	line := strings.Count(body[:loc[0]], "\n") + 1
	var out []error
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if errors.As(e, &de) {
			if de.Line != 0 && de.Line < line-1 {
				out = append(out, e)
				continue
			}
			c := *de
			c.Line = line
			c.Msg = "a crds/ file is no template, and helm installs it as written, {{ }} included: " + c.Msg
			c.Hint = "helm renders nothing in crds/: write the CRD without {{ }}, or move it into templates/ to template it (helm then applies it with the templates, not before them)"
			e = &c
		}
		out = append(out, e)
	}
	return errors.Join(out...)
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
