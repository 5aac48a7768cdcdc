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
// source's ResId, or the target's field path. A selector runs to the end
// of the message, or of the quotes a component's error comes in: it may
// hold spaces (its options: "data.k:-(0), create=false").
var (
	replacementNoneRe      = regexp.MustCompile(`nothing selected by ([^"\n]*)`)
	replacementSeveralRe   = regexp.MustCompile(`multiple matches for selector ([^"\n]*)`)
	replacementNoneFieldRe = regexp.MustCompile("fieldPath `([^`]*)` is missing for replacement source ([^\"\n]*)")
	// A target's field path that selects nothing in an object the
	// target selected: "or create " when options.create is on but
	// cannot create it, then the path.
	replacementTargetRe = regexp.MustCompile(`unable to find (or create )?field "([^"]*)" in replacement target`)
)

// unquoted is msg with the quoting of components' errors undone:
// kustomize formats a component's error with %q (each component nested
// in another quotes it again), which escapes the quotes of a target's
// field path ("unable to find field \"data.x\"") and ends a selector
// with \". At most 16 rounds, one a level of components: a message
// nested deeper keeps some of its quoting, and no source or path matches.
func unquoted(msg string) string {
	unescape := strings.NewReplacer(`\\`, `\`, `\"`, `"`)
	for range 16 {
		if !strings.Contains(msg, `\"`) {
			break
		}
		msg = unescape.Replace(msg)
	}
	return msg
}

// replacementError points de, a replacement's failure to read its source
// or to find a target's field, at that source (or the target's field
// path) in the kustomization that failed (de.File), or in the
// replacements file one of its entries names, and says what to do. It
// reports whether msg was such a failure.
func replacementError(de *diag.Error, fsys *securefs.FS, msg string) bool {
	msg = unquoted(msg)
	var find func(r *yaml.Node) int
	var id, what, hint string
	// The source found, whose kind, name and namespace are the object's
	// (kustomize's rendering cannot be split where a name holds a ':',
	// as a ClusterRole's system:... does).
	var found *types.SourceSelector
	source := func(match func(*types.SourceSelector) bool, atField bool) func(*yaml.Node) int {
		return sourceLine(func(s *types.SourceSelector) bool {
			if !match(s) {
				return false
			}
			found = s
			return true
		}, atField)
	}
	switch {
	case replacementNoneRe.MatchString(msg):
		sel := replacementNoneRe.FindStringSubmatch(msg)[1]
		find = source(func(s *types.SourceSelector) bool { return s.String() == sel }, false)
		id = selectorID(sel)
		what = "no object of the kustomization matches the replacement's source (kustomize: nothing selected by " + sel + ")"
		hint = "fix the source's kind, name and namespace (or group and version) to match an object the kustomization builds, its resources, bases, components or generators: its name as written there or after a namePrefix or nameSuffix"
	case replacementSeveralRe.MatchString(msg):
		sel := replacementSeveralRe.FindStringSubmatch(msg)[1]
		find = source(func(s *types.SourceSelector) bool { return s.String() == sel }, false)
		id = selectorID(sel)
		what = "more than one object of the kustomization matches the replacement's source, which must name one (kustomize: multiple matches for selector " + sel + ")"
		hint = "narrow the source to one object: give its name and namespace, or its group and version"
	case replacementNoneFieldRe.MatchString(msg):
		m := replacementNoneFieldRe.FindStringSubmatch(msg)
		field := m[1]
		id = m[2]
		find = source(func(s *types.SourceSelector) bool {
			fp := s.FieldPath
			if fp == "" {
				fp = types.DefaultReplacementFieldPath
			}
			return s.ResId.String() == id && fp == field
		}, true)
		what = fmt.Sprintf("the replacement's source object has no value at fieldPath %s (kustomize: fieldPath `%s` is missing for replacement source %s)", field, field, id)
		hint = "fix the source's fieldPath (a dotted path such as data.key, or spec.template.spec.containers.[name=web].image), or give the object the field"
	case replacementTargetRe.MatchString(msg):
		m := replacementTargetRe.FindStringSubmatch(msg)
		field, create := m[2], m[1] != ""
		find = func(r *yaml.Node) int { return targetLine(r, field, create) }
		what = fmt.Sprintf("an object a replacement's target selects has no field %s (kustomize: %s)", field, m[0])
		hint = "fix the target's fieldPaths, narrow its select (or add a reject) to the objects that have the field, or set options.create: true to add it"
		if create {
			hint = "fix the target's fieldPaths to a path the objects it selects can hold (options.create adds missing fields, but does not make a map of a list or of a scalar), or narrow its select (or add a reject) to those objects"
		}
	default:
		return false
	}
	de.Msg, de.Hint = "kustomize build failed: "+what, hint
	replacementAt(de, fsys, find)
	o := resID(id)
	if found != nil {
		o = diag.Object{Kind: found.Kind, Namespace: found.Namespace, Name: found.Name}
	}
	if id != "" && o.Kind != "" && o.Kind != "[noKind]" && o.Name != "" && o.Name != "[noName]" {
		de.Object = o
	}
	return true
}

// replacementAt points de at the first line find gives a replacement of
// the kustomization de.File, inline or in a replacements file one of its
// entries names, or else at its replacements key.
func replacementAt(de *diag.Error, fsys *securefs.FS, find func(*yaml.Node) int) {
	kf := filepath.Join(fsys.Root(), filepath.FromSlash(de.File))
	data, err := fsys.ReadFile(kf)
	if err != nil {
		return
	}
	f := &kfile{data: data}
	kv := f.field([]string{"replacements"})
	if kv == nil || kv.value.Kind != yaml.SequenceNode {
		return
	}
	for _, e := range kv.value.Content {
		if p := scalarValue(e, "path"); p != "" {
			file := filepath.Join(filepath.Dir(kf), filepath.FromSlash(p))
			if line := replacementIn(fsys, file, find); line > 0 {
				de.File, de.Line = rootfs.Rel(fsys.Root(), file), line
				return
			}
			continue
		}
		if line := find(e); line > 0 {
			de.Line = line
			return
		}
	}
	de.Line = kv.key.Line
}

// nsEndRe is how the ResId part of a selector's rendering ends: ".", its
// namespace (a DNS label) or [noNs], then ":" or the end.
var nsEndRe = regexp.MustCompile(`\.(?:\[noNs\]|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`)

// selectorID is the ResId part of sel, a SourceSelector's rendering
// (ResId, then ":" and its fieldPath and options, when it has them): up
// to the first ':' after which it ends as a ResId does, so that a name
// holding a ':' (system:aggregate-to-view) stays whole.
func selectorID(sel string) string {
	for i := 0; i <= len(sel); i++ {
		if i < len(sel) && sel[i] != ':' {
			continue
		}
		if nsEndRe.MatchString(sel[:i]) {
			return sel[:i]
		}
	}
	id, _, _ := strings.Cut(sel, ":")
	return id
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
// field is their default), 0 if no target has it. create is whether the
// failing target had options.create (kustomize says "find or create"):
// a target of the other kind did not fail.
func targetLine(r *yaml.Node, field string, create bool) int {
	_, targets := mapEntry(r, "targets")
	if targets == nil || targets.Kind != yaml.SequenceNode {
		return 0
	}
	for _, t := range targets.Content {
		_, opts := mapEntry(t, "options")
		if _, c := mapEntry(opts, "create"); (c != nil && c.Kind == yaml.ScalarNode && c.Value == "true") != create {
			continue
		}
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
