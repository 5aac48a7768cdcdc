package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kiln-gitops/kiln/promote"
)

// schemaDir holds the JSON Schema of each command's --output json.
const schemaDir = "../../docs/schemas"

// schemaBase is the $id prefix of every schema in schemaDir.
const schemaBase = "https://github.com/kiln-gitops/kiln/docs/schemas/"

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
)

// loadSchemas compiles every schema of docs/schemas once; $refs between
// them resolve through their $id, never over the network.
func loadSchemas() (map[string]*jsonschema.Schema, error) {
	schemasOnce.Do(func() {
		entries, err := os.ReadDir(schemaDir)
		if err != nil {
			schemasErr = err
			return
		}
		c := jsonschema.NewCompiler()
		var names []string
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(schemaDir, e.Name()))
			if err != nil {
				schemasErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				schemasErr = err
				return
			}
			if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
				schemasErr = err
				return
			}
			names = append(names, strings.TrimSuffix(e.Name(), ".json"))
		}
		schemas = map[string]*jsonschema.Schema{}
		for _, n := range names {
			s, err := c.Compile(schemaBase + n + ".json")
			if err != nil {
				schemasErr = err
				return
			}
			schemas[n] = s
		}
	})
	return schemas, schemasErr
}

// validateOutput checks that doc is exactly one JSON document valid under
// docs/schemas/<command>.json.
func validateOutput(command string, doc []byte) error {
	all, err := loadSchemas()
	if err != nil {
		return err
	}
	s, ok := all[command]
	if !ok {
		return os.ErrNotExist
	}
	dec := bytes.NewReader(doc)
	inst, err := jsonschema.UnmarshalJSON(dec)
	if err != nil {
		return err
	}
	if rest, _ := io.ReadAll(dec); len(bytes.TrimSpace(rest)) > 0 {
		return errors.New("more than one JSON document")
	}
	return s.Validate(inst)
}

// TestEveryCommandHasASchema: each command with --output documents it.
func TestEveryCommandHasASchema(t *testing.T) {
	t.Parallel()
	app := newApp(io.Discard, io.Discard, func(string) (string, bool) { return "", false }, "test")
	all, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range app.Commands {
		for _, f := range cmd.Flags {
			if f.Names()[0] == "output" {
				if _, ok := all[cmd.Name]; !ok {
					t.Errorf("kiln %s has --output but no %s/%s.json", cmd.Name, schemaDir, cmd.Name)
				}
			}
		}
	}
}

// TestSchemasNameEveryField checks that every JSON field of the library
// results behind promote, verify and diff --output json (fromCommit and
// dispatched of a gated, chained promotion; unverifiable SOPS files; the
// paired objects of diff --against-env) is a property of the command's
// schema: a field added to a result without its schema would make the
// documented contract lie.
func TestSchemasNameEveryField(t *testing.T) {
	t.Parallel()
	read := func(file string, v any) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(schemaDir, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	type object struct {
		Properties map[string]any `json:"properties"`
	}
	var promoteDoc, verifyDoc struct {
		OneOf []object `json:"oneOf"`
	}
	read("promote.json", &promoteDoc)
	read("verify.json", &verifyDoc)
	var common struct {
		Defs map[string]object `json:"$defs"`
	}
	read("common.json", &common)
	var diffEnv struct {
		OneOf []struct {
			Properties struct {
				Envs struct {
					Items object `json:"items"`
				} `json:"envs"`
			} `json:"properties"`
		} `json:"oneOf"`
	}
	read("diff.json", &diffEnv)
	if len(promoteDoc.OneOf) == 0 || len(verifyDoc.OneOf) == 0 || len(diffEnv.OneOf) == 0 {
		t.Fatal("a schema has no oneOf")
	}
	for _, tc := range []struct {
		schema string
		props  map[string]any
		v      any
	}{
		{schema: "promote.json", props: promoteDoc.OneOf[0].Properties, v: promote.Result{}},
		{schema: "verify.json", props: verifyDoc.OneOf[0].Properties, v: promote.VerifyResult{}},
		{schema: "diff.json envs", props: diffEnv.OneOf[0].Properties.Envs.Items.Properties, v: promote.DiffResult{}},
		{schema: "common.json fileChange", props: common.Defs["fileChange"].Properties, v: promote.FileChange{}},
	} {
		if len(tc.props) == 0 {
			t.Errorf("%s: no properties found", tc.schema)
		}
		typ := reflect.TypeOf(tc.v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if _, ok := tc.props[name]; !ok {
				t.Errorf("%s has no property %q (%s.%s)", tc.schema, name, typ.Name(), typ.Field(i).Name)
			}
		}
	}
}
