package kustomize

import (
	"strings"
	"testing"
)

// TestEntryErrorNamed: a generator that repeats a key or has no name, a
// replicas entry that names no workload, and an openapi version kustomize
// has no schema of are named at their entry's line, in the base that has
// them, with what to do; kustomize names no line, and calls a Secret
// generator a configmap.
func TestEntryErrorNamed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kustomization string
		want                string // file:line
		hint                string
	}{
		{
			name:          "secret generator repeats a key",
			kustomization: "secretGenerator:\n- name: s\n  literals: [B=1]\n- name: g\n  literals: [A=hunter2]\n  envs: [a.env]\n",
			// a.env gives A first, as kustomize reads envs before
			// literals: the literal repeats it.
			want: "base/kustomization.yaml:5", hint: "gives the key A here and at base/a.env:1",
		},
		{
			name:          "generator without a name",
			kustomization: "configMapGenerator:\n- name: ok\n  literals: [A=1]\n- literals: [B=2]\n",
			want:          "base/kustomization.yaml:4", hint: "give the generator a name",
		},
		{
			name:          "openapi version not built in",
			kustomization: "resources: [cm.yaml]\nopenapi:\n  version: v1.99.0\n",
			want:          "base/kustomization.yaml:2", hint: "v1.21.2",
		},
		{
			name:          "replicas of no workload",
			kustomization: "resources: [cm.yaml]\nreplicas:\n- name: web\n  count: 2\n",
			want:          "base/kustomization.yaml:3", hint: "is named web",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"base/kustomization.yaml":    tc.kustomization,
				"base/a.env":                 "A=hunter3\n",
				"base/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
				"overlay/kustomization.yaml": "resources: [../base]\n",
			}, "overlay")
			de := errAt(t, err, tc.want)
			if !strings.Contains(de.Hint, tc.hint) {
				t.Errorf("hint %q does not say %q", de.Hint, tc.hint)
			}
			if strings.Contains(err.Error(), "hunter") {
				t.Errorf("error shows a value: %v", err)
			}
		})
	}
}

// TestInvalidSchemaFileNamed: an openapi: {path: …} schema kustomize
// cannot parse makes kyaml panic, with the decoder's words only, when a
// patch first uses it. kiln names the schema file at the line its JSON or
// YAML says, or the kustomization's openapi.path line, in the base that
// sets it too.
func TestInvalidSchemaFileNamed(t *testing.T) {
	t.Parallel()
	patch := "patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: web}\n    data: {k: v}\n"
	for _, tc := range []struct {
		name, schema string
		want         string   // file:line
		msg          []string // what the message says
	}{
		{name: "JSON syntax", schema: "{\n  \"definitions\": {\n    \"x\": {\"type\": \"object\",,}\n  }\n}\n",
			want: "base/schema.json:3", msg: []string{"openapi.path names at base/kustomization.yaml:3 is no schema kustomize can read: jsontext: ", "invalid character ','"}},
		{name: "JSON cut short", schema: "{\n  \"definitions\": {\n    \"x\": {\"type\": \"object\"\n  }\n}\n",
			want: "base/schema.json:5", msg: []string{"unexpected EOF"}},
		{name: "YAML syntax", schema: "swagger: \"2.0\"\ndefinitions: [1, 2\n",
			want: "base/schema.json:2", msg: []string{"did not find expected ',' or ']'"}},
		{name: "value of the wrong type", schema: "definitions:\n  x:\n    properties: 3\n",
			want: "base/schema.json:3", msg: []string{`within "/definitions/x/properties"`}},
		{name: "no mapping", schema: "[]\n",
			want: "base/kustomization.yaml:3", msg: []string{"openapi.path names base/schema.json, which is no OpenAPI (Swagger 2.0) schema kustomize can read: json: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"base/kustomization.yaml":    "resources: [cm.yaml]\nopenapi:\n  path: schema.json\n",
				"base/schema.json":           tc.schema,
				"base/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
				"overlay/kustomization.yaml": "resources: [../base]\n" + patch,
			}, "overlay")
			de := errAt(t, err, tc.want)
			for _, m := range tc.msg {
				if !strings.Contains(de.Msg, m) {
					t.Errorf("message %q does not say %q", de.Msg, m)
				}
			}
			if !strings.Contains(de.Hint, "openapi.path") {
				t.Errorf("hint %q does not name openapi.path", de.Hint)
			}
			if strings.Contains(de.Msg, "struct {") || strings.Contains(de.Msg, "panicked") {
				t.Errorf("message %q shows kustomize's panic or Go's types", de.Msg)
			}
		})
	}
}
