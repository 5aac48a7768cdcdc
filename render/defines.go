package render

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/helm"
	"github.com/kiln-gitops/kiln/templates/jsonnet"
)

// inDefines points each error of err about a field of an object of run,
// a helm app with a chart folder of the repository, that a named template
// printed (a pod template, labels or a selector from _helpers.tpl) at
// the field's line in the define, and names the template's include in
// the hint: the engine gave it the line of the key the include prints
// under. Only errors are placed, so a render without any reads nothing
// more. An object an env patch applies to is left alone: the field may
// be the patch's (notePatches says so).
func inDefines(root string, run *appRun, err error) error {
	h := run.app.Helm
	if err == nil || h == nil || h.Repo != "" || strings.HasSuffix(h.Chart, ".tgz") || strings.HasSuffix(h.Chart, ".tar.gz") {
		return err
	}
	chart := path.Clean(strings.TrimPrefix(h.Chart, "./"))
	var objs map[diag.Object]templates.Object
	var c *helm.Chart
	all := diag.Flatten(err)
	moved := false
	for i, e := range all {
		var d *diag.Error
		if !errors.As(e, &d) || d.Field == "" || d.Line <= 0 || d.Object.Kind == "" || !strings.HasPrefix(d.File, chart+"/") {
			continue
		}
		if objs == nil {
			objs = map[diag.Object]templates.Object{}
			for _, o := range run.objs {
				if o.Node != nil {
					objs[objRef(o)] = o
				}
			}
		}
		o, ok := objs[d.Object]
		if !ok || o.File != d.File || len(o.Patches) > 0 {
			continue
		}
		field := d.Field
		if k, ok := mapKey(o, d); ok {
			field += "[" + k + "]"
		}
		if c == nil {
			c = helm.NewChart(root, chart)
		}
		p, ok := c.InDefine(d.File, d.Object.Kind, d.Object.Name, field, itemNames(o.Node.YNode(), field))
		if !ok {
			continue
		}
		via := ""
		if len(p.Through) > 0 {
			via = " through " + strings.Join(p.Through, ", ")
		}
		all[i], moved = placedAt(d, p.File, p.Line, fmt.Sprintf("the field is written in define %q, which %s:%d includes%s", p.Define, d.File, p.IncludeLine, via)), true
	}
	if !moved {
		return err
	}
	return diag.Join(all...)
}

// invalidValueRe reads the value an "Invalid value" error quotes.
var invalidValueRe = regexp.MustCompile(`Invalid value: ("(?:[^"\\]|\\.)*")`)

// mapKey returns the key of the map of strings d.Field names in o (a
// label or annotation map, a selector's matchLabels) that d is about:
// the API server's label errors name the map and quote the bad key or
// value, not the key. The one entry whose key or value is that quoted
// text; false for none or several, and for a Secret's data, whose keys
// and values kiln never reads into a place.
func mapKey(o templates.Object, d *diag.Error) (string, bool) {
	m := invalidValueRe.FindStringSubmatch(d.Msg)
	if m == nil || o.Node.GetKind() == "Secret" && !strings.HasPrefix(d.Field, "metadata.") {
		return "", false
	}
	bad, err := strconv.Unquote(m[1])
	if err != nil {
		return "", false
	}
	n, err := o.Node.Pipe(kyaml.Lookup(strings.Split(d.Field, ".")...))
	if err != nil || n == nil || n.YNode().Kind != kyaml.MappingNode {
		return "", false
	}
	c := n.YNode().Content
	key, found := "", 0
	for i := 0; i+1 < len(c); i += 2 {
		if c[i].Value == bad || c[i+1].Kind == kyaml.ScalarNode && c[i+1].Value == bad {
			key, found = c[i].Value, found+1
		}
	}
	return key, found == 1
}

// inLibraries points each error of err about a field of an object of
// run, a jsonnet app, that a function of another file (a .libsonnet)
// built at the field's line there, and names in the hint the main
// file's line the engine gave it, where the call stands
// (jsonnet.Libraries). Only errors are placed: a render without any
// parses no library.
func inLibraries(root string, run *appRun, err error) error {
	j := run.app.Jsonnet
	if err == nil || j == nil {
		return err
	}
	main := path.Clean(strings.TrimPrefix(j.File, "./"))
	jpath := make([]string, len(j.JPath))
	for i, p := range j.JPath {
		jpath[i] = path.Clean(strings.TrimPrefix(p, "./"))
	}
	objs := map[diag.Object]templates.Object{}
	for _, o := range run.objs {
		if o.Node != nil {
			objs[objRef(o)] = o
		}
	}
	var libs *jsonnet.Libraries
	all := diag.Flatten(err)
	moved := false
	for i, e := range all {
		var d *diag.Error
		if !errors.As(e, &d) || d.Field == "" || d.File != main || d.Object.Kind == "" {
			continue
		}
		o, ok := objs[d.Object]
		if !ok || o.File != main || len(o.Patches) > 0 {
			continue
		}
		if libs == nil {
			libs = jsonnet.NewLibraries(root, main, jpath)
		}
		file, line, ok := libs.Place(o.Path, d.Field)
		if !ok {
			continue
		}
		note := "the field is written in " + file
		if d.Line > 0 {
			note += fmt.Sprintf(", called from %s:%d", main, d.Line)
		}
		all[i], moved = placedAt(d, file, line, note), true
	}
	if !moved {
		return err
	}
	return diag.Join(all...)
}

// itemNames returns the names of the list items of n that the API path
// field passes through (objects.ItemName, "" for an item without one),
// in order; it stops where n does not hold the path.
func itemNames(n *kyaml.Node, field string) []string {
	var names []string
	for field != "" && n != nil {
		switch {
		case field[0] == '.':
			field = field[1:]
		case field[0] == '[':
			end := strings.IndexByte(field, ']')
			if end < 0 {
				return names
			}
			in := field[1:end]
			field = field[end+1:]
			if i, err := strconv.Atoi(in); err == nil && n.Kind == kyaml.SequenceNode {
				if i < 0 || i >= len(n.Content) {
					return names
				}
				n = n.Content[i]
				names = append(names, objects.ItemName(n))
				continue
			}
			n = mappingValue(n, in)
		default:
			end := strings.IndexAny(field, ".[")
			if end < 0 {
				end = len(field)
			}
			n = mappingValue(n, field[:end])
			field = field[end:]
		}
	}
	return names
}

// mappingValue is the value of key in the mapping n, nil for none.
func mappingValue(n *kyaml.Node, key string) *kyaml.Node {
	if n.Kind != kyaml.MappingNode {
		return nil
	}
	_, v := objects.Field(n, key)
	return v
}

// placedAt is a copy of d at file:line, its hint followed by note, which
// says where the engine had placed it.
func placedAt(d *diag.Error, file string, line int, note string) *diag.Error {
	placed := *d
	placed.File, placed.Line = file, line
	if placed.Hint != "" {
		note = placed.Hint + "; " + note
	}
	placed.Hint = note
	return &placed
}
