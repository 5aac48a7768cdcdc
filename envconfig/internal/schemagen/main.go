// Command schemagen writes the JSON Schemas of kiln.yaml and of the
// environment files into docs/schemas, generated with invopop/jsonschema
// from the Go types of envconfig/internal/shape: their yaml tags name the
// keys, their comments become the descriptions, their jsonschema tags and
// the interfaces of shape (Patterned, Enumerated…) add the rules. Run it
// with `make schema` (go generate); its test fails when the committed
// schemas differ from what it writes, and checks that the schemas and
// envconfig's parser accept and refuse the same files.
//
//go:generate go run . -out ../../../docs/schemas
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/kiln-gitops/kiln/envconfig/internal/shape"
)

// BaseURL is where the schemas are published: the $id of each, and what
// the examples' `# yaml-language-server: $schema=` lines name.
const BaseURL = "https://raw.githubusercontent.com/kiln-gitops/kiln/main/docs/schemas/"

// Schema files, by the name under docs/schemas.
const (
	KilnSchema = "kiln.schema.json"
	EnvSchema  = "env.schema.json"
)

// docs says what each schema describes and from which type it is made.
var docs = []struct {
	file, title, description string
	root                     any
	// empty is true when a file without content (only comments) is valid.
	empty bool
}{
	{KilnSchema, "kiln.yaml", "kiln's pipeline file: environments, manifests repository, Flux settings and apps (kiln/v1alpha1).", shape.Pipeline{}, false},
	{EnvSchema, "kiln environment file", "One environment's file (envs/<env>.yaml, or the environment's config:): vars, secret vars, SOPS recipients and app overrides.", shape.EnvFile{}, true},
}

func main() {
	out := flag.String("out", "docs/schemas", "the folder to write the schemas to")
	flag.Parse()
	files, err := Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "schemagen:", err)
			os.Exit(1)
		}
	}
}

// Generate returns the schema files by name.
func Generate() (map[string][]byte, error) {
	comments, err := shapeComments()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, d := range docs {
		r := &jsonschema.Reflector{
			FieldNameTag:               "yaml",
			RequiredFromJSONSchemaTags: true,
			ExpandedStruct:             true,
			Mapper:                     mapType,
			LookupComment: func(t reflect.Type, field string) string {
				if t.PkgPath() != shapePkg {
					return ""
				}
				if field != "" {
					return comments[t.Name()+"."+field]
				}
				return comments[t.Name()]
			},
		}
		s := r.Reflect(d.root)
		s.ID = jsonschema.ID(BaseURL + d.file)
		s.Title, s.Description = d.title, d.description
		if d.empty {
			// An environment that overrides nothing may have an empty file.
			s.Type, s.AnyOf = "", []*jsonschema.Schema{{Type: "object"}, {Type: "null"}}
		}
		for name, t := range namedTypes(reflect.TypeOf(d.root)) {
			if def, ok := s.Definitions[name]; ok {
				s.Definitions[name] = extend(def, t)
			}
		}
		liftNullable(s)
		for _, def := range s.Definitions {
			liftNullable(def)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", d.file, err)
		}
		out[d.file] = buf.Bytes()
	}
	return out, nil
}

var shapePkg = reflect.TypeFor[shape.Pipeline]().PkgPath()

// mapType gives shape's string types their rules; nil lets the reflector
// do the rest.
func mapType(t reflect.Type) *jsonschema.Schema {
	if t == reflect.TypeFor[shape.Scalar]() {
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "string"}, {Type: "number"}, {Type: "boolean"}}}
	}
	if t.Kind() != reflect.String || t.PkgPath() != shapePkg {
		return nil
	}
	return stringSchema(t)
}

// stringSchema is the schema of a string type of shape.
func stringSchema(t reflect.Type) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "string"}
	v := reflect.Zero(t).Interface()
	if p, ok := v.(shape.Patterned); ok {
		s.Pattern = p.Pattern()
	}
	if b, ok := v.(shape.Bounded); ok {
		n := uint64(b.MaxLength())
		s.MaxLength = &n
	}
	if e, ok := v.(shape.Enumerated); ok {
		for _, x := range e.Enum() {
			s.Enum = append(s.Enum, x)
		}
	}
	if x, ok := v.(shape.Excluding); ok {
		not := &jsonschema.Schema{}
		for _, w := range x.Excluded() {
			not.Enum = append(not.Enum, w)
		}
		s.Not = not
	}
	return s
}

// extend adds to the definition of t what the reflector does not know:
// the rules on a map's keys, null for a map's pointer values (the parser
// reads null as an empty mapping), and the short form of a PathOrMapping.
func extend(def *jsonschema.Schema, t reflect.Type) *jsonschema.Schema {
	switch t.Kind() {
	case reflect.Map:
		if t.Key().PkgPath() == shapePkg {
			def.PropertyNames = stringSchema(t.Key())
		}
		if t.Elem().Kind() == reflect.Pointer && def.AdditionalProperties != nil {
			def.AdditionalProperties = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{def.AdditionalProperties, {Type: "null"}}}
		}
	case reflect.Struct:
		if t.Implements(reflect.TypeFor[shape.PathOrMapping]()) {
			desc := def.Description
			def.Description = ""
			return &jsonschema.Schema{Description: desc, AnyOf: []*jsonschema.Schema{stringSchema(reflect.TypeFor[shape.RelPath]()), def}}
		}
	}
	return def
}

// liftNullable moves the description of each nullable property (the
// reflector writes oneOf: [the property, null]) to the property itself,
// where editors look for it.
func liftNullable(s *jsonschema.Schema) {
	if s.Properties == nil {
		return
	}
	for p := s.Properties.Oldest(); p != nil; p = p.Next() {
		v := p.Value
		if len(v.OneOf) == 2 && v.OneOf[1].Type == "null" && v.Description == "" {
			v.Description, v.OneOf[0].Description = v.OneOf[0].Description, ""
		}
	}
}

// namedTypes returns the named types reachable from t, by name.
func namedTypes(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Name() != "" {
			if _, seen := out[t.Name()]; seen {
				return
			}
			out[t.Name()] = t
		}
		switch t.Kind() {
		case reflect.Struct:
			for i := range t.NumField() {
				walk(t.Field(i).Type)
			}
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		}
	}
	walk(t)
	return out
}

// shapeComments reads the doc comments of shape's types ("Type") and
// fields ("Type.Field") from its source, ../shape: schemagen runs in its
// own folder, as go generate and go test run it.
func shapeComments() (map[string]string, error) {
	dir := filepath.Join("..", "shape")
	fset := token.NewFileSet()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the source of shape: %w", err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("reading the source of shape: %w", err)
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, spec := range g.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(g.Specs) == 1 {
					doc = g.Doc
				}
				out[ts.Name.Name] = oneLine(doc.Text())
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					for _, n := range fld.Names {
						out[ts.Name.Name+"."+n.Name] = oneLine(fld.Doc.Text())
					}
				}
			}
		}
	}
	return out, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
