package kustomize

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/kustomize/api/konfig"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// Errors of kustomize's generators, replica transformer and schema
// setting that name a generator or replica entry, or none, but no line:
// kustomize words both generators' errors as a configmap's
// (api/internal/generators/utils.go).
var (
	repeatedKeyRe = regexp.MustCompile("configmap (\\S*) illegally repeats the key `([^`]*)`")
	unnamedRe     = regexp.MustCompile(`\ba configmap must have a name\b`)
	// api/kv's keyValuesFromLine, for a line of an .env file.
	invalidUTF8Re  = regexp.MustCompile(`env source files: \[[^\]]*\]: line \[[0-9 ]*\] has invalid utf8 bytes`)
	replicaMatchRe = regexp.MustCompile(`resource with name (\S+) does not match a config with the following GVK`)
	// kyaml's openapi.SetSchema, for an openapi.version it has no schema of.
	openAPIVersionRe = regexp.MustCompile(`\bthe specified OpenAPI version is not built in\b`)
	// kyaml's openapi.SetSchema, for an openapi: with both path and version.
	openAPIBothRe = regexp.MustCompile(`\bbuiltin version and custom schema provided, cannot use both\b`)
	// api/internal/builtins/SortOrderTransformer.go, for the top
	// kustomization's sortOptions.
	sortOptionsRe = regexp.MustCompile(`\bthe field 'sortOptions\.(?:order' must be one of|legacySortOptions' is set but the selected sort order is)`)
)

// entryError points de at the generator or replicas entry of the
// kustomization de names that msg is about, or at the openapi field of
// the tree at top (the kustomization built), with what to do. It reports
// false when msg is no such error or the entry is not found.
func entryError(de *diag.Error, fsys *securefs.FS, top, msg string) bool {
	data, err := fsys.ReadFile(filepath.Join(fsys.Root(), filepath.FromSlash(de.File)))
	if err != nil {
		return false
	}
	abs := filepath.Join(fsys.Root(), filepath.FromSlash(de.File))
	f := &kfile{path: de.File, dir: filepath.Dir(abs), data: data}
	generators := []string{"configMapGenerator", "secretGenerator"}
	switch m := repeatedKeyRe.FindStringSubmatch(msg); {
	case m != nil:
		if repeatedKey(de, fsys, f, m[1], m[2]) {
			return true
		}
		for _, field := range generators {
			if line := namedEntry(f, field, m[1]); line > 0 {
				de.Line = line
				de.Hint = fmt.Sprintf("two of the generator's sources (literals, files, envs) give the key %s: give each its own key (files: [other-key=path]), or drop one", m[2])
				return true
			}
		}
	case invalidUTF8Re.MatchString(msg):
		if invalidUTF8Line(de, fsys, f) {
			return true
		}
	case unnamedRe.MatchString(msg):
		for _, field := range generators {
			if line := namedEntry(f, field, ""); line > 0 {
				de.Line = line
				de.Hint = "give the generator a name: the ConfigMap's or Secret's, to which kustomize appends a hash of its data"
				return true
			}
		}
	}
	if openAPIBothRe.MatchString(msg) {
		// As for a version, before krusty says which base it builds.
		for _, k := range append([]*kfile{f}, treeKustomizations(fsys, top)...) {
			if kv := k.field([]string{"openapi"}); kv != nil && findKey(kv.value, "version") > 0 && findKey(kv.value, "path") > 0 {
				de.File, de.Line = k.path, kv.key.Line
				de.Hint = "set one of openapi.path or openapi.version: a custom schema (path) replaces the built-in one (version)"
				return true
			}
		}
	}
	if sortOptionsRe.MatchString(msg) {
		if line := f.keyLine("sortOptions"); line > 0 {
			de.Line = line
			de.Hint = "write sortOptions as {order: fifo} or {order: legacy}, the latter optionally with legacySortOptions: {orderFirst: [...], orderLast: [...]}"
			return true
		}
	}
	if openAPIVersionRe.MatchString(msg) {
		// krusty fails a base's schema before it says which base it
		// builds: find the kustomization of the tree that sets one.
		for _, k := range append([]*kfile{f}, treeKustomizations(fsys, top)...) {
			if kv := k.field([]string{"openapi"}); kv != nil && findKey(kv.value, "version") > 0 {
				de.File, de.Line = k.path, kv.key.Line
				de.Hint = "kustomize v5.8.2 builds in one Kubernetes OpenAPI schema, v1.21.2: set openapi.version to v1.21.2 or remove it, or give the schema of your kinds with openapi.path"
				return true
			}
		}
	}
	if m := replicaMatchRe.FindStringSubmatch(msg); m != nil {
		if line := namedEntry(f, "replicas", m[1]); line > 0 {
			de.Line = line
			de.Hint = fmt.Sprintf("no Deployment, StatefulSet, ReplicaSet or ReplicationController of the kustomization is named %s: fix the name, or remove the entry", m[1])
			return true
		}
	}
	return false
}

// namedEntry returns the line of the first entry of the list field of f
// whose name is name ("" for an entry without one); 0 if none.
func namedEntry(f *kfile, field, name string) int {
	kv := f.field([]string{field})
	if kv == nil || kv.value.Kind != yaml.SequenceNode {
		return 0
	}
	for _, e := range kv.value.Content {
		var g struct {
			Name string `yaml:"name"`
		}
		if e.Kind == yaml.MappingNode && e.Decode(&g) == nil && g.Name == name {
			return e.Line
		}
	}
	return 0
}

// treeKustomizations returns the kustomization files of the tree whose
// top kustomization is top (repository-relative), top first, the others
// sorted by folder.
func treeKustomizations(fsys *securefs.FS, top string) []*kfile {
	var files []*kfile
	c := &checker{fsys: fsys, root: fsys.Root(), seen: map[string]bool{}}
	topDir := filepath.Join(fsys.Root(), filepath.FromSlash(path.Dir(top)))
	c.kustomization(topDir, false)
	dirs := slices.Sorted(maps.Keys(c.seen))
	if i := slices.Index(dirs, topDir); i > 0 {
		dirs = append(append([]string{topDir}, dirs[:i]...), dirs[i+1:]...)
	}
	for _, dir := range dirs {
		for _, name := range konfig.RecognizedKustomizationFileNames() {
			if data, err := fsys.ReadFile(filepath.Join(dir, name)); err == nil {
				files = append(files, &kfile{path: rootfs.Rel(fsys.Root(), filepath.Join(dir, name)), dir: dir, data: data})
			}
		}
	}
	return files
}

// invalidSchemaPrefix starts what kyaml's openapi package panics with
// when the schema an openapi: {path: …} names does not parse (initSchema,
// on the first use of the schema: a patch, not the field itself).
const invalidSchemaPrefix = "invalid schema file: "

// schemaFileError is the error for kyaml's panic on an invalid custom
// schema, whose text names neither the kustomization nor the file: the
// first schema of the tree that does not parse as kyaml parses it, at its
// line when the file's JSON or YAML says where, else at the
// kustomization's openapi.path line. nil when none fails (the panic was
// another schema's, or the files changed).
func schemaFileError(fsys *securefs.FS, top, app string, panicked error) *diag.Error {
	for _, k := range treeKustomizations(fsys, top) {
		kv := k.field([]string{"openapi"})
		if kv == nil || kv.value.Kind != yaml.MappingNode {
			continue
		}
		var openapi struct {
			Path string `yaml:"path"`
		}
		if kv.value.Decode(&openapi) != nil || openapi.Path == "" || filepath.IsAbs(openapi.Path) {
			continue
		}
		abs := filepath.Join(k.dir, filepath.FromSlash(openapi.Path))
		data, err := fsys.ReadFile(abs)
		if err != nil {
			continue
		}
		perr := parseSchema(data)
		if perr == nil {
			continue
		}
		schema, pathLine := rootfs.Rel(fsys.Root(), abs), findKey(kv.value, "path")
		de := &diag.Error{File: k.path, Line: pathLine, App: app, Err: errors.Join(panicked, perr),
			Msg:  fmt.Sprintf("openapi.path names %s, which is no OpenAPI (Swagger 2.0) schema kustomize can read: %s", schema, schemaMessage(perr)),
			Hint: "fix the schema file (kustomize reads it as JSON when it starts with {, else as YAML, into a Swagger 2.0 document with definitions), or point openapi.path at the right file"}
		if line := schemaLine(data, perr); line > 0 {
			de.File, de.Line = schema, line
			de.Msg = fmt.Sprintf("the OpenAPI schema that openapi.path names at %s:%d is no schema kustomize can read: %s", k.path, pathLine, schemaMessage(perr))
		}
		return de
	}
	return nil
}

// swaggerStructRe is how the JSON decoder names spec.Swagger's inner type,
// which a document that is no mapping gets.
var swaggerStructRe = regexp.MustCompile(`Go struct \{[^\n]*?spec\.SwaggerProps \}`)

// schemaMessage is the parser's text, spec.Swagger named as such.
func schemaMessage(err error) string {
	return swaggerStructRe.ReplaceAllString(err.Error(), "Go spec.Swagger")
}

// parseSchema parses data as kyaml's openapi package parses a custom
// schema (openapi.go, parse).
func parseSchema(data []byte) error {
	if len(data) > 0 && data[0] != '{' {
		var err error
		if data, err = k8syaml.YAMLToJSON(data); err != nil {
			return err
		}
	}
	var swagger spec.Swagger
	return swagger.UnmarshalJSON(data)
}

// What the parsers of a schema say of where it went wrong: YAML's line,
// the JSON decoder's byte offset, or the JSON pointer of a value of the
// wrong type.
var (
	schemaYAMLLineRe = regexp.MustCompile(`\byaml: line (\d+):`)
	schemaOffsetRe   = regexp.MustCompile(`\boffset (\d+)\b`)
	schemaPointerRe  = regexp.MustCompile(`\bwithin "(/[^"]*)"`)
)

// schemaLine is the line of data that err, parseSchema's error, is about;
// 0 when it does not say. The decoder's offset is one of the JSON text, so
// of the file only when the file is JSON; a syntax error is told by it,
// a value of the wrong type by its pointer.
func schemaLine(data []byte, err error) int {
	msg := err.Error()
	if m := schemaYAMLLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	json := len(data) > 0 && data[0] == '{'
	if m := schemaOffsetRe.FindStringSubmatch(msg); m != nil && json && strings.HasPrefix(msg, "jsontext: ") {
		if off, err := strconv.Atoi(m[1]); err == nil {
			return lineAt(data, off)
		}
	}
	if m := schemaPointerRe.FindStringSubmatch(msg); m != nil {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) == 1 {
			if n := pointerNode(doc.Content[0], m[1]); n != nil {
				return n.Line
			}
		}
	}
	// The decoder may meet a value of the wrong type before a syntax
	// error further on ({"definitions": [not json): the pointer is then
	// of no document, and the syntax error is what to fix.
	var se *stdjson.SyntaxError
	if json && errors.As(stdjson.Unmarshal(data, new(any)), &se) {
		return lineAt(data, int(se.Offset))
	}
	return 0
}

// lineAt is the line of data that byte offset off is on; an end past
// the last line break is on the last line.
func lineAt(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	lines := bytes.Count(data, []byte("\n"))
	if !bytes.HasSuffix(data, []byte("\n")) {
		lines++
	}
	return min(1+bytes.Count(data[:off], []byte("\n")), lines)
}

// pointerNode follows a JSON pointer (RFC 6901) from n; nil when a step
// is missing.
func pointerNode(n *yaml.Node, ptr string) *yaml.Node {
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return nil
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
	}
	return n
}
