package helm

import (
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/rootfs"
)

// A field a named template prints (a pod template or labels a
// _helpers.tpl defines and a Deployment includes) is no key of the
// object's template: lines.go gives it the line of the key the include
// prints under, and a reviewer searched _helpers.tpl for the define, then
// the define for the key. kiln places it there once an error is about
// it: the template's include under the field's path, the define of that
// name among the chart's templates, and the key in the define's body, as
// lines.go reads a template. This runs in kiln's own process, for errors
// only: an app without errors reads nothing more.

// DefinePlace is where a named template writes a field, and the include
// that printed it.
type DefinePlace struct {
	File, Define string // the define's file (repository-relative) and name
	Line         int    // the field's line there, or of the nearest key above it
	IncludeLine  int    // the include's line in the object's template
	// Through are the defines, quoted, the template's include reached
	// Define through, outermost first: "promtail.labels" includes
	// "promtail.selectorLabels".
	Through []string
}

// defineLine is a define action, with the name it defines.
var defineLine = regexp.MustCompile(`\{\{-?\s*define\s+"([^"]+)"\s*-?\}\}`)

// maxDefineDepth bounds the includes followed from define to define.
const maxDefineDepth = 4

// Chart places errors in the defines of a chart folder of a repository:
// NewChart(root, chart). It reads the chart's defines on first use, once
// for all the errors of an app.
type Chart struct {
	root, chart string
	defs        map[string]*defineText
}

// NewChart returns the Chart of the folder chart (repository-relative)
// of the repository root.
func NewChart(root, chart string) *Chart { return &Chart{root: root, chart: chart} }

// InDefine returns where a named template wrote field (an API path,
// "spec.template.spec.containers[0].image") of the object kind/name that
// the template file (repository-relative, in the chart folder chart)
// rendered, when the template itself does not write the field and one
// include prints it. items are the names of the list items field passes
// through, in order ("" for an item without one): a define that writes
// two containers tells them apart by them. Files are read within the
// repository. false when that is not clear: the error keeps the
// template's line.
func (c *Chart) InDefine(file, kind, name, field string, items []string) (DefinePlace, bool) {
	root := c.root
	text, err := rootfs.ReadFile(root, file)
	if err != nil || len(text) > maxMappedTemplate {
		return DefinePlace{}, false
	}
	d, ok := pick(templateDocs(string(text), kind), name)
	if !ok {
		return DefinePlace{}, false
	}
	keys := templateKeys(d.lines, d.first)
	plain := templateSegs(field)
	named := make([]string, len(plain))
	n := 0
	for i, s := range plain {
		named[i] = s
		if s == "[]" {
			if n < len(items) && items[n] != "" {
				named[i] = "[=" + items[n] + "]"
			}
			n++
		}
	}
	inc, k, ok := includeOf(keys, plain)
	if !ok {
		return DefinePlace{}, false
	}
	if c.defs == nil {
		c.defs = chartDefines(root, c.chart)
	}
	defs := c.defs
	var found []DefinePlace
	for _, in := range inc {
		if p, ok := defines(defs, in.name, plain[k:], named[k:], 0); ok {
			p.IncludeLine = in.line
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return DefinePlace{}, false
	}
	return found[0], true
}

// templateSegs splits an API path into the steps of templateKeys'
// paths: keys, and [] for each list index.
func templateSegs(field string) []string {
	var out []string
	for field != "" {
		switch {
		case field[0] == '[':
			end := strings.IndexByte(field, ']')
			if end < 0 {
				return out
			}
			if _, err := strconv.Atoi(field[1:end]); err == nil {
				out = append(out, "[]")
			} else {
				out = append(out, field[1:end])
			}
			field = field[end+1:]
		case field[0] == '.':
			field = field[1:]
		default:
			end := strings.IndexAny(field, ".[")
			if end < 0 {
				end = len(field)
			}
			out = append(out, field[:end])
			field = field[end:]
		}
	}
	return out
}

// includeOf returns the includes that print segs, a path of keys: those
// under the longest prefix of it that has any, and that prefix's length.
// false when the template writes the path itself, or a key between it
// and the include (the field is then the template's, or a toYaml's).
func includeOf(keys keyLines, segs []string) ([]includeAt, int, bool) {
	if keys.lines[objects.JoinPath(segs)] > 0 {
		return nil, 0, false
	}
	for k := len(segs) - 1; k >= 0; k-- {
		parent := objects.JoinPath(segs[:k])
		if in := keys.includes[parent]; len(in) > 0 {
			return in, k, true
		}
		if _, written := keys.lines[parent]; written && k > 0 {
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// defineText is a define's body: its lines and the line number of the
// first, in file.
type defineText struct {
	file  string
	first int
	lines []string
}

// chartDefines reads the defines of the templates of the chart folder
// (and of its subcharts, whose defines helm shares with it), by name; a
// name defined twice maps to nothing, as which one helm keeps depends on
// the order it loads them.
func chartDefines(root, chart string) map[string]*defineText {
	out := map[string]*defineText{}
	base, err := rootfs.Resolve(root, chart)
	if err != nil {
		return out
	}
	_ = filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.Contains(filepath.ToSlash(p), "/templates/") {
			return nil
		}
		if ext := path.Ext(p); ext != ".tpl" && ext != ".yaml" && ext != ".yml" && ext != ".txt" {
			return nil
		}
		data, err := rootfs.ReadFile(root, p)
		if err != nil || len(data) > maxMappedTemplate {
			return nil
		}
		file := rootfs.Rel(root, p)
		lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
		var open *defineText
		for i, l := range lines {
			m := defineLine.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			if open != nil {
				open.lines = lines[open.first-1 : i]
			}
			open = &defineText{file: file, first: i + 2}
			if _, twice := out[m[1]]; twice {
				out[m[1]] = nil
			} else {
				out[m[1]] = open
			}
		}
		if open != nil && open.first-1 <= len(lines) {
			open.lines = lines[open.first-1:]
		}
		return nil
	})
	return out
}

// defines returns where the define name writes rest (named: the same
// path with list items by name where they have one), relative to where
// it is included: its key's line, or, for a key an include of the define
// prints, where that define writes it (up to maxDefineDepth), or the line
// of the nearest key above it the define writes. false when the define
// writes none of them: the field came from another action of the
// template that includes it.
func defines(defs map[string]*defineText, name string, rest, named []string, depth int) (DefinePlace, bool) {
	d := defs[name]
	if d == nil {
		return DefinePlace{}, false
	}
	place := DefinePlace{File: d.file, Define: name}
	keys := templateKeys(d.lines, d.first)
	line := func(k int) int {
		if l := keys.lines[objects.JoinPath(named[:k])]; l > 0 {
			return l
		}
		return keys.lines[objects.JoinPath(rest[:k])]
	}
	if l := line(len(rest)); l > 0 {
		place.Line = l
		return place, true
	}
	if depth < maxDefineDepth {
		if inc, k, ok := includeOf(keys, rest); ok {
			var found []DefinePlace
			for _, in := range inc {
				if p, ok := defines(defs, in.name, rest[k:], named[k:], depth+1); ok {
					p.Through = append([]string{strconv.Quote(name)}, p.Through...)
					found = append(found, p)
				}
			}
			if len(found) == 1 {
				return found[0], true
			}
		}
	}
	for k := len(rest) - 1; k > 0; k-- {
		if l := line(k); l > 0 {
			place.Line = l
			return place, true
		}
	}
	return DefinePlace{}, false
}
