package kustomize

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// The replacement filter (api/filters/replacement) names a source it
// found no object for, several objects for, or no value in, by kustomize's
// own rendering of the selector, and a target's field path that an object
// lacks, and neither the kustomization nor the entry. Groups: the
// selector (its SourceSelector.String()), or the field path and the
// source's ResId, or the target's field path.
var (
	replacementNoneRe      = regexp.MustCompile(`nothing selected by (\S+)`)
	replacementSeveralRe   = regexp.MustCompile(`multiple matches for selector (\S+)`)
	replacementNoneFieldRe = regexp.MustCompile("fieldPath `([^`]*)` is missing for replacement source (\\S+)")
	// A target's field path that selects nothing in an object the
	// target selected (and options.create is off, or cannot create it).
	replacementTargetRe = regexp.MustCompile(`unable to find (?:or create )?field "([^"]*)" in replacement target`)
)

// replacementError points de, a replacement's failure to read its source
// or to find a target's field, at that source (or the target's field
// path) in the kustomization that failed (de.File), or in the
// replacements file one of its entries names, and says what to do. It
// reports whether msg was such a failure.
func replacementError(de *diag.Error, fsys *securefs.FS, msg string) bool {
	var find func(r *yaml.Node) int
	var id, what, hint string
	switch {
	case replacementNoneRe.MatchString(msg):
		sel := replacementNoneRe.FindStringSubmatch(msg)[1]
		find = sourceLine(func(s *types.SourceSelector) bool { return s.String() == sel }, false)
		id, _, _ = strings.Cut(sel, ":")
		what = "no object of the kustomization matches the replacement's source (kustomize: nothing selected by " + sel + ")"
		hint = "fix the source's kind, name and namespace (or group and version) to match an object the kustomization builds, its resources, bases, components or generators: its name as written there or after a namePrefix or nameSuffix"
	case replacementSeveralRe.MatchString(msg):
		sel := replacementSeveralRe.FindStringSubmatch(msg)[1]
		find = sourceLine(func(s *types.SourceSelector) bool { return s.String() == sel }, false)
		id, _, _ = strings.Cut(sel, ":")
		what = "more than one object of the kustomization matches the replacement's source, which must name one (kustomize: multiple matches for selector " + sel + ")"
		hint = "narrow the source to one object: give its name and namespace, or its group and version"
	case replacementNoneFieldRe.MatchString(msg):
		m := replacementNoneFieldRe.FindStringSubmatch(msg)
		field := m[1]
		id = m[2]
		find = sourceLine(func(s *types.SourceSelector) bool {
			fp := s.FieldPath
			if fp == "" {
				fp = types.DefaultReplacementFieldPath
			}
			return s.ResId.String() == id && fp == field
		}, true)
		what = fmt.Sprintf("the replacement's source object has no value at fieldPath %s (kustomize: fieldPath `%s` is missing for replacement source %s)", field, field, id)
		hint = "fix the source's fieldPath (a dotted path such as data.key, or spec.template.spec.containers.[name=web].image), or give the object the field"
	case replacementTargetRe.MatchString(msg):
		field := replacementTargetRe.FindStringSubmatch(msg)[1]
		find = func(r *yaml.Node) int { return targetLine(r, field) }
		what = fmt.Sprintf("an object a replacement's target selects has no field %s (kustomize: %s)", field, replacementTargetRe.FindString(msg))
		hint = "fix the target's fieldPaths, narrow its select (or add a reject) to the objects that have the field, or set options.create: true to add it"
	default:
		return false
	}
	de.Msg, de.Hint = "kustomize build failed: "+what, hint
	if o := resID(id); id != "" && o.Kind != "[noKind]" && o.Name != "[noName]" {
		de.Object = o
	}
	kf := filepath.Join(fsys.Root(), filepath.FromSlash(de.File))
	data, err := fsys.ReadFile(kf)
	if err != nil {
		return true
	}
	f := &kfile{data: data}
	kv := f.field([]string{"replacements"})
	if kv == nil || kv.value.Kind != yaml.SequenceNode {
		return true
	}
	for _, e := range kv.value.Content {
		if p := scalarValue(e, "path"); p != "" {
			file := filepath.Join(filepath.Dir(kf), filepath.FromSlash(p))
			if line := replacementIn(fsys, file, find); line > 0 {
				de.File, de.Line = rootfs.Rel(fsys.Root(), file), line
				return true
			}
			continue
		}
		if line := find(e); line > 0 {
			de.Line = line
			return true
		}
	}
	de.Line = kv.key.Line
	return true
}

// replacementIn returns the first line find gives a replacement of the
// replacements file p (one replacement, or a list of them), 0 if none.
func replacementIn(fsys *securefs.FS, p string, find func(*yaml.Node) int) int {
	data, err := fsys.ReadFile(p)
	if err != nil {
		return 0
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 {
		return 0
	}
	list := []*yaml.Node{doc.Content[0]}
	if doc.Content[0].Kind == yaml.SequenceNode {
		list = doc.Content[0].Content
	}
	for _, r := range list {
		if line := find(r); line > 0 {
			return line
		}
	}
	return 0
}

// sourceLine returns a function that gives the line of a replacement's
// source when match takes it: of its fieldPath when atField and it has
// one, else of the source key; 0 otherwise.
func sourceLine(match func(*types.SourceSelector) bool, atField bool) func(r *yaml.Node) int {
	return func(r *yaml.Node) int {
		k, v := mapEntry(r, "source")
		if v == nil || v.Kind != yaml.MappingNode {
			return 0
		}
		var s types.SourceSelector
		if v.Decode(&s) != nil || !match(&s) {
			return 0
		}
		if fk, _ := mapEntry(v, "fieldPath"); atField && fk != nil {
			return fk.Line
		}
		return k.Line
	}
}

// targetLine returns the line of field in the fieldPaths of a target of
// r, a replacement (of the target's select when it has no fieldPaths and
// field is their default), 0 if no target has it.
func targetLine(r *yaml.Node, field string) int {
	_, targets := mapEntry(r, "targets")
	if targets == nil || targets.Kind != yaml.SequenceNode {
		return 0
	}
	for _, t := range targets.Content {
		sk, _ := mapEntry(t, "select")
		_, fps := mapEntry(t, "fieldPaths")
		if fps == nil {
			if sk != nil && field == types.DefaultReplacementFieldPath {
				return sk.Line
			}
			continue
		}
		for _, fp := range fps.Content {
			if fp.Kind == yaml.ScalarNode && fp.Value == field {
				return fp.Line
			}
		}
	}
	return 0
}

// mapEntry returns the key and value of key in the mapping m, nil when m
// is no mapping or has no such key.
func mapEntry(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// scalarValue is the value of key in the mapping m when it is a scalar,
// "" otherwise.
func scalarValue(m *yaml.Node, key string) string {
	if _, v := mapEntry(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}
