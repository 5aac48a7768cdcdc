package helm

import (
	"errors"
	"strings"

	"helm.sh/helm/v3/pkg/release"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// releaseObjects turns what `helm template` prints — the manifest (CRDs
// first, then templates in helm's install order) followed by every hook that
// is not a test hook — into objects. crds names the CRD files by helm's
// source name: their text is the file verbatim, so their lines are real.
// b bounds the manifest and hooks together: their size and YAML nodes.
func releaseObjects(rel *release.Release, src *chartSource, crds map[string]bool, b bounds) ([]templates.Object, error) {
	var out []templates.Object
	var errs []error
	// One count for the whole release: the bounds are per app, not per template.
	count := &limits.Counter{Input: "the chart's output", MaxNodes: b.nodes}
	size := len(rel.Manifest)
	for _, h := range rel.Hooks {
		size += len(h.Manifest)
	}
	if size > b.output {
		err := &limits.Error{What: "the size of the rendered templates", Limit: limits.Bytes(int64(b.output))}
		return nil, &diag.Error{File: src.file(""), Msg: err.Describe(), Err: err, Hint: limits.Hint}
	}
	add := func(source, body string) {
		keepLines := crds[source]
		objs, err := objects.ParseCounted([]byte(body), src.file(source), 0, count)
		if err != nil {
			errs = append(errs, renderedLines(err, keepLines))
			return
		}
		for i := range objs {
			if !keepLines {
				// A line of rendered output is not a line of the template.
				objs[i].Line = 0
			}
		}
		out = append(out, objs...)
	}
	for _, c := range splitManifest(rel.Manifest) {
		add(c.source, c.body)
	}
	for _, h := range rel.Hooks {
		if isTestHook(h) {
			continue // --skip-tests
		}
		add(h.Path, h.Manifest)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
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

// isTestHook is cmd/helm/template.go's test for --skip-tests.
func isTestHook(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}

type chunk struct {
	source string
	body   string
}

// splitManifest splits a release manifest at helm's "---\n# Source: <file>"
// separators, keeping helm's order.
func splitManifest(manifest string) []chunk {
	const prefix = "# Source: "
	var out []chunk
	var body strings.Builder
	source, started := "", false
	flush := func() {
		if started {
			out = append(out, chunk{source: source, body: body.String()})
		}
		body.Reset()
	}
	lines := strings.SplitAfter(manifest, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimRight(lines[i], "\r\n") == "---" && i+1 < len(lines) && strings.HasPrefix(lines[i+1], prefix) {
			flush()
			source = strings.TrimSpace(strings.TrimPrefix(lines[i+1], prefix))
			started = true
			i++
			continue
		}
		body.WriteString(lines[i])
	}
	flush()
	return out
}
