package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/envconfig"
)

// schemaDir is docs/schemas, seen from this folder.
const schemaDir = "../../../docs/schemas"

// TestSchemasUpToDate fails when docs/schemas holds other schemas than the
// Go types of envconfig/internal/shape give now.
func TestSchemasUpToDate(t *testing.T) {
	t.Parallel()
	files, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(schemaDir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("docs/schemas/%s is not what envconfig/internal/shape generates: run `make schema` (go generate ./envconfig/internal/schemagen) and commit the result", name)
		}
	}
}

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

// schemas compiles the committed schemas by file name. $refs resolve
// through their $id, never over the network.
func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		compiled = map[string]*jsonschema.Schema{}
		for _, name := range []string{KilnSchema, EnvSchema} {
			data, err := os.ReadFile(filepath.Join(schemaDir, name))
			if err != nil {
				compileErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				compileErr = fmt.Errorf("%s: %w", name, err)
				return
			}
			if err := c.AddResource(BaseURL+name, doc); err != nil {
				compileErr = err
				return
			}
		}
		for _, name := range []string{KilnSchema, EnvSchema} {
			s, err := c.Compile(BaseURL + name)
			if err != nil {
				compileErr = err
				return
			}
			compiled[name] = s
		}
	})
	if compileErr != nil {
		t.Fatal(compileErr)
	}
	return compiled
}

// instance reads YAML as the JSON value an editor's YAML language server
// validates: yaml.v3's reading of the document, as JSON. A document yaml.v3
// cannot read (a duplicate key) is an error, which editors report too.
func instance(data []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	j, err := json.Marshal(jsonable(v))
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(j))
}

// jsonable turns yaml.v3's map[any]any (a mapping with a key that is not a
// string) into map[string]any, recursively.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = jsonable(x)
		}
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = jsonable(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = jsonable(x)
		}
	}
	return v
}

// schemaErr validates data against the schema of its kind of file.
func schemaErr(t *testing.T, schema string, data []byte) error {
	t.Helper()
	inst, err := instance(data)
	if err != nil {
		return err
	}
	return schemas(t)[schema].Validate(inst)
}

// parserErr reads data with envconfig's parser, as kiln does.
func parserErr(schema string, data []byte) error {
	if schema == KilnSchema {
		_, err := envconfig.Parse(data, "kiln.yaml", "/repo")
		return err
	}
	_, err := envconfig.ParseEnvFile(data, "envs/dev.yaml")
	return err
}

// schemaLineRE finds the `# yaml-language-server: $schema=URL` line.
var schemaLineRE = regexp.MustCompile(`(?m)^# yaml-language-server: \$schema=(\S+)$`)

// TestExamplesValidate checks the files users copy from (examples/, each
// naming its schema on its first line) and SPEC.md's own example (kept
// as SPEC.md shows it, in envconfig/testdata/spec): both the schema and
// kiln accept each.
func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	type example struct {
		schema   string
		needLine bool
	}
	files := map[string]example{}
	for _, pattern := range []string{"../../../examples/*/kiln.yaml", "../../testdata/spec/kiln.yaml"} {
		matches, err := filepath.Glob(pattern)
		if err != nil || len(matches) == 0 {
			t.Fatalf("no files match %s: %v", pattern, err)
		}
		needLine := strings.Contains(pattern, "examples")
		for _, m := range matches {
			files[m] = example{KilnSchema, needLine}
			envs, _ := filepath.Glob(filepath.Join(filepath.Dir(m), "envs", "*.yaml"))
			for _, e := range envs {
				files[e] = example{EnvSchema, needLine}
			}
		}
	}
	for path, ex := range files {
		schema := ex.schema
		t.Run(strings.TrimLeft(path, "./"), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m := schemaLineRE.FindSubmatch(data)
			switch {
			case !ex.needLine:
			case m == nil || !bytes.HasPrefix(data, m[0]):
				t.Errorf("the first line is not # yaml-language-server: $schema=%s", BaseURL+schema)
			case string(m[1]) != BaseURL+schema:
				t.Errorf("$schema=%s, want %s", m[1], BaseURL+schema)
			}
			if err := schemaErr(t, schema, data); err != nil {
				t.Errorf("the schema refuses it: %v", err)
			}
			if err := parserErr(schema, data); err != nil {
				t.Errorf("kiln refuses it: %v", err)
			}
		})
	}
}

// kilnBase is a valid kiln.yaml that the table's kiln cases extend.
const kilnBase = `apiVersion: kiln/v1alpha1
kind: Pipeline
environments: [{name: dev}]
`

// Refused by whom, for the cases where the schema and the parser differ
// on purpose.
const (
	both       = ""
	parserOnly = "parser"
	schemaOnly = "schema"
)

// agreement is the table of good and bad files: each is accepted by both
// the schema and kiln's parser, or refused by both, except the deliberate
// exceptions, which say who refuses and why (docs/schemas.md lists them).
var agreement = []struct {
	name   string
	schema string
	yaml   string
	ok     bool
	// onlyBy, when set, is the one of parserOnly and schemaOnly that
	// refuses the file; why says why the schema cannot or should not
	// say the same.
	onlyBy, why string
}{
	// kiln.yaml: good files.
	{name: "minimal", schema: KilnSchema, ok: true, yaml: kilnBase + "apps: [{name: a, namespace: n, kustomize: k}]"},
	{name: "remote chart", schema: KilnSchema, ok: true, yaml: kilnBase + "apps: [{name: a, namespace: n, helm: {repo: oci://ghcr.io/x, chart: redis, version: 1.2.3}}]"},
	{name: "jsonnet as a path", schema: KilnSchema, ok: true, yaml: kilnBase + "apps: [{name: a, namespace: n, jsonnet: main.jsonnet}]"},
	{name: "null sections", schema: KilnSchema, ok: true, yaml: kilnBase + "flux:\nmanifests:\nvalidation:\nnotifications:\napps: [{name: a, namespace: n, yaml: y, dependsOn: , flux: }]"},
	{name: "external dependsOn", schema: KilnSchema, ok: true, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, dependsOn: [flux-system/infra.x]}]"},
	{name: "pgp-free durations", schema: KilnSchema, ok: true, yaml: kilnBase + "flux: {interval: 1h30m, timeout: 90s}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "kubeVersion with v", schema: KilnSchema, ok: true, yaml: kilnBase + "kubeVersion: v1.30.2\napps: [{name: a, namespace: n, yaml: y}]"},
	// kiln.yaml: bad files both refuse.
	{name: "empty", schema: KilnSchema, yaml: "# nothing\n"},
	{name: "not a mapping", schema: KilnSchema, yaml: "[1, 2]"},
	{name: "unknown top-level key", schema: KilnSchema, yaml: kilnBase + "appz: []\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "unknown app key", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, helmValues: x}]"},
	{name: "missing apiVersion", schema: KilnSchema, yaml: "kind: Pipeline\nenvironments: [{name: dev}]\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "wrong apiVersion", schema: KilnSchema, yaml: "apiVersion: kiln/v1\nkind: Pipeline\nenvironments: [{name: dev}]\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "wrong kind", schema: KilnSchema, yaml: "apiVersion: kiln/v1alpha1\nkind: Pipe\nenvironments: [{name: dev}]\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "missing environments", schema: KilnSchema, yaml: "apiVersion: kiln/v1alpha1\nkind: Pipeline\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "no environments", schema: KilnSchema, yaml: "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: []\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "missing apps", schema: KilnSchema, yaml: kilnBase},
	{name: "no apps", schema: KilnSchema, yaml: kilnBase + "apps: []"},
	{name: "bad mode", schema: KilnSchema, yaml: "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev, mode: pull}]\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "bad env name", schema: KilnSchema, yaml: "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: Dev}]\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "env name too long", schema: KilnSchema, yaml: "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: " + strings.Repeat("a", 64) + "}]\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "missing namespace", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, yaml: y}]"},
	{name: "bad app name", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a_b, namespace: n, yaml: y}]"},
	{name: "no engine", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n}]"},
	{name: "two engines", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, kustomize: k}]"},
	{name: "helm without chart", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, helm: {values: [v.yaml]}}]"},
	{name: "empty helm version", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, helm: {repo: https://x.io, chart: c, version: ''}}]"},
	{name: "jsonnet without file", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, jsonnet: {jpath: [lib]}}]"},
	{name: "jsonnet null", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, jsonnet: }]"},
	{name: "reserved extVar", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, jsonnet: {file: m.jsonnet, extVars: {env: x}}}]"},
	{name: "bad tla name", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, jsonnet: {file: m.jsonnet, tlas: {1x: x}}}]"},
	{name: "absolute path", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, kustomize: /etc}]"},
	{name: "drive letter path", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, kustomize: 'C:apps'}]"},
	{name: "backslash path", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, kustomize: 'apps\\vote'}]"},
	{name: "empty path", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: ''}]"},
	{name: "bad duration", schema: KilnSchema, yaml: kilnBase + "flux: {interval: 10 minutes}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "microsecond duration", schema: KilnSchema, yaml: kilnBase + "flux: {timeout: 5us}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "bad source kind", schema: KilnSchema, yaml: kilnBase + "flux: {sourceRef: {kind: HelmRepository}}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "prune as a string", schema: KilnSchema, yaml: kilnBase + "flux: {prune: 'true'}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "decryption without secretRef", schema: KilnSchema, yaml: kilnBase + "flux: {decryption: {}}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "bad github", schema: KilnSchema, yaml: kilnBase + "manifests: {github: acme}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "empty manifests repo", schema: KilnSchema, yaml: kilnBase + "manifests: {repo: ''}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "bad kubeVersion", schema: KilnSchema, yaml: kilnBase + "kubeVersion: latest\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "notifications without secretRef", schema: KilnSchema, yaml: kilnBase + "notifications: {dispatch: acme/app}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "notifications with nothing", schema: KilnSchema, yaml: kilnBase + "notifications: {secretRef: t}\napps: [{name: a, namespace: n, yaml: y}]"},
	{name: "duplicate dependsOn", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, dependsOn: [b, b]}]"},
	{name: "dependsOn with two slashes", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, dependsOn: [a/b/c]}]"},
	{name: "empty dependsOn", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, dependsOn: ['']}]"},
	{name: "health check without kind", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, flux: {healthChecks: [{name: x}]}}]"},
	{name: "health check in an uppercase namespace", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, flux: {healthChecks: [{kind: Deployment, name: x, namespace: N}]}}]"},
	{name: "health check in an empty namespace", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, flux: {healthChecks: [{kind: Deployment, name: x, namespace: ''}]}}]"},
	{name: "health check name with a slash", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, flux: {healthChecks: [{kind: Deployment, name: a/b}]}}]",
		why: "an object name is a DNS subdomain for most kinds and a path segment for some (system:aggregate-to-edit): kiln checks the looser rule, which JSON Schema's patterns cannot say without lookahead"},
	{name: "health check with a bad apiVersion", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, flux: {healthChecks: [{apiVersion: apps/v1/x, kind: Deployment, name: x}]}}]",
		why: "an apiVersion is checked as a group and a version, not as a pattern"},
	{name: "health expr that is no CEL", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, flux: {healthCheckExprs: [{apiVersion: v1, kind: K, current: 'a ==== b'}]}}]",
		why: "CEL inside a string"},
	{name: "two health exprs for one group and kind", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, flux: {healthCheckExprs: [{apiVersion: x.io/v1, kind: K, current: a}, {apiVersion: x.io/v2, kind: K, current: b}]}}]",
		why: "a group and kind repeated across entries, with the version in between: a reference between entries"},
	{name: "health expr without current", schema: KilnSchema, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y, flux: {healthCheckExprs: [{apiVersion: v1, kind: K}]}}]"},
	{name: "duplicate key", schema: KilnSchema, yaml: kilnBase + "kind: Pipeline\napps: [{name: a, namespace: n, yaml: y}]"},
	// kiln.yaml: the deliberate exceptions.
	{name: "unquoted number as text", schema: KilnSchema, ok: false, onlyBy: schemaOnly, yaml: kilnBase + "kubeVersion: 1.31\napps: [{name: a, namespace: n, yaml: y}]",
		why: "kiln reads a number or boolean written where it expects text as the text written; the schema asks for quotes, as YAML tools other than kiln would read 1.10 as 1.1"},
	{name: "promoteFrom a later env", schema: KilnSchema, onlyBy: parserOnly, yaml: "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev, promoteFrom: prod}, {name: prod}]\napps: [{name: a, namespace: n, yaml: y}]",
		why: "promoteFrom must name an earlier environment: a reference between entries"},
	{name: "duplicate app names", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "apps: [{name: a, namespace: n, yaml: y}, {name: a, namespace: n, yaml: z}]",
		why: "names unique across entries: JSON Schema's uniqueItems compares whole entries"},
	{name: "remote chart without version", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "apps: [{name: a, namespace: n, helm: {repo: https://x.io, chart: c}}]",
		why: "a rule across keys (helm.repo needs helm.version; helm.version needs helm.repo; helm.chart is a name with repo, a path without)"},
	{name: "bad chart repository URL", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "apps: [{name: a, namespace: n, helm: {repo: 'ftp://x', chart: c, version: '1'}}]",
		why: "the URL is parsed by net/url; no pattern says the same"},
	{name: "unknown placeholder", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "apps: [{name: a, namespace: n, kustomize: 'apps/{app}'}]",
		why: "placeholders other than {env} in paths, and {app} missing from flux.name"},
	{name: "zero duration", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "flux: {interval: 0s}\napps: [{name: a, namespace: n, yaml: y}]",
		why: "a positive duration is not a pattern"},
	{name: "manifests path into .git", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "manifests: {path: .git/x}\napps: [{name: a, namespace: n, yaml: y}]",
		why: "manifests.path must stay a folder of its own (no .., not .git, not the root, {env} with several environments)"},
	{name: "bad branch name", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "manifests: {branch: 'a..b'}\napps: [{name: a, namespace: n, yaml: y}]",
		why: "git's branch name rules (git check-ref-format)"},
	{name: "commitStatus false alone", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "notifications: {secretRef: t, commitStatus: false}\napps: [{name: a, namespace: n, yaml: y}]",
		why: "notifications needs commitStatus: true or a dispatch; the schema checks only that one is written"},
	{name: "promoteFrom without commit statuses", schema: KilnSchema, onlyBy: parserOnly, yaml: "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}, {name: prod, promoteFrom: dev}]\napps: [{name: a, namespace: n, yaml: y}]",
		why: "a promoteFrom needs notifications.commitStatus: true, a rule across sections"},
	{name: "commitStatus without GitHub", schema: KilnSchema, onlyBy: parserOnly, yaml: kilnBase + "manifests: {repo: /srv/m.git}\nnotifications: {secretRef: t, commitStatus: true}\napps: [{name: a, namespace: n, yaml: y}]",
		why: "a rule across sections (manifests.github, notifications, the promotion gate's source kind, the dispatch event's length)"},

	// Environment files: good files.
	{name: "empty env file", schema: EnvSchema, ok: true, yaml: "# nothing to override\n"},
	{name: "vars of any scalar", schema: EnvSchema, ok: true, yaml: "vars: {A: x, B: 2, C: true}"},
	{name: "null sections", schema: EnvSchema, ok: true, yaml: "vars:\nsecretVars:\nsops:\napps:\n  a:\n  b: {helm: , values: , patches: }"},
	{name: "override switches engine", schema: EnvSchema, ok: true, yaml: "apps: {a: {kustomize: k}, b: {jsonnet: j.jsonnet}, c: {helm: {version: '2'}}}"},
	{name: "pgp with spaces", schema: EnvSchema, ok: true, yaml: "sops: {pgp: ['FBC7 B9E2 A4F9 289A C0C1  D4FA 24C5 E3E7 C3DA 8E43']}"},
	{name: "patch from a file", schema: EnvSchema, ok: true, yaml: "apps: {a: {patches: [{path: p.yaml}]}}"},
	// Environment files: bad files both refuse.
	{name: "unknown key", schema: EnvSchema, yaml: "varz: {}"},
	{name: "unknown override key", schema: EnvSchema, yaml: "apps: {a: {replicas: 2}}"},
	{name: "bad var name", schema: EnvSchema, yaml: "vars: {1A: x}"},
	{name: "null var", schema: EnvSchema, yaml: "vars: {A: }"},
	{name: "var as a list", schema: EnvSchema, yaml: "vars: {A: [x]}"},
	{name: "bad secret env var", schema: EnvSchema, yaml: "secretVars: {A: 'not a name'}"},
	{name: "allowPlainSecrets as text", schema: EnvSchema, yaml: "allowPlainSecrets: yes"},
	{name: "sops without recipients", schema: EnvSchema, yaml: "sops: {encryptedRegex: x}"},
	{name: "bad age recipient", schema: EnvSchema, yaml: "sops: {age: [age2x]}"},
	{name: "bad pgp", schema: EnvSchema, yaml: "sops: {pgp: [ABCD]}"},
	{name: "enabled as text", schema: EnvSchema, yaml: "apps: {a: {enabled: 'no'}}"},
	{name: "bad override namespace", schema: EnvSchema, yaml: "apps: {a: {namespace: Not_A_Label}}"},
	{name: "values as a list", schema: EnvSchema, yaml: "apps: {a: {values: [1]}}"},
	{name: "patch with patch and path", schema: EnvSchema, yaml: "apps: {a: {patches: [{patch: 'kind: A', path: p.yaml}]}}"},
	{name: "patch with neither", schema: EnvSchema, yaml: "apps: {a: {patches: [{target: {kind: A}}]}}"},
	{name: "override with a bad duration", schema: EnvSchema, yaml: "apps: {a: {flux: {interval: 1d}}}"},
	{name: "unknown selector key", schema: EnvSchema, yaml: "apps: {a: {patches: [{target: {kinds: A}, path: p.yaml}]}}"},
	// Environment files: the deliberate exceptions.
	{name: "secret var also in vars", schema: EnvSchema, onlyBy: parserOnly, yaml: "vars: {A: x}\nsecretVars: {A: B}",
		why: "a name in both vars and secretVars: a rule across sections"},
	{name: "override with two engines", schema: EnvSchema, onlyBy: parserOnly, yaml: "apps: {a: {yaml: y, kustomize: k}}",
		why: "at most one engine in an override; the schema would need every pair spelt out"},
	{name: "empty age list alone", schema: EnvSchema, onlyBy: parserOnly, yaml: "sops: {age: []}",
		why: "at least one recipient in age and pgp together"},
	{name: "bad encryptedRegex", schema: EnvSchema, onlyBy: parserOnly, yaml: "sops: {age: [age1x], encryptedRegex: '('}",
		why: "whether a regular expression compiles"},
	{name: "JSON6902 patch without target", schema: EnvSchema, onlyBy: parserOnly, yaml: "apps: {a: {patches: [{patch: '[{op: remove, path: /x}]'}]}}",
		why: "the patch text is YAML inside a string: its operations, and kind and metadata.name of a strategic merge patch without target"},
}

// TestSchemaAgreesWithParser runs the agreement table.
func TestSchemaAgreesWithParser(t *testing.T) {
	t.Parallel()
	for _, c := range agreement {
		t.Run(strings.TrimSuffix(c.schema, ".schema.json")+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			perr, serr := parserErr(c.schema, []byte(c.yaml)), schemaErr(t, c.schema, []byte(c.yaml))
			switch c.onlyBy {
			case both:
				if c.ok && (perr != nil || serr != nil) {
					t.Errorf("want accepted by both:\nparser: %v\nschema: %v", perr, serr)
				}
				if !c.ok && (perr == nil || serr == nil) {
					t.Errorf("want refused by both:\nparser: %v\nschema: %v", perr, serr)
				}
			case parserOnly:
				if perr == nil || serr != nil {
					t.Errorf("want refused by the parser only (%s):\nparser: %v\nschema: %v", c.why, perr, serr)
				}
			case schemaOnly:
				if perr != nil || serr == nil {
					t.Errorf("want refused by the schema only (%s):\nparser: %v\nschema: %v", c.why, perr, serr)
				}
			}
		})
	}
}

// mutationExceptions are the changes of TestMutationsAgree on which the
// schema and the parser differ on purpose, by "path op", with the reason.
var mutationExceptions = map[string]string{
	"manifests remove":                  "notifications.commitStatus needs manifests.github, given or inferred from a github.com repo: a rule across sections",
	"manifests null":                    "notifications.commitStatus needs manifests.github, given or inferred from a github.com repo: a rule across sections",
	"notifications remove":              "a promoteFrom needs notifications.commitStatus: true: a rule across sections",
	"notifications null":                "a promoteFrom needs notifications.commitStatus: true: a rule across sections",
	"notifications.commitStatus remove": "a promoteFrom needs notifications.commitStatus: true: a rule across sections",
}

// TestMutationsAgree changes the complete files in testdata/full one node
// at a time, in every way that changes a value's type or the set of keys
// (an unknown key in each mapping, each key removed, each value replaced
// by null, a mapping, a list, a list of a mapping, or text), and checks
// that the schema and the parser accept or refuse each result alike. It
// finds a key, a type, a required key or a null that the Go types of shape
// and the parser disagree on without anyone writing a table row for it.
func TestMutationsAgree(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for file, schema := range map[string]string{"testdata/full/kiln.yaml": KilnSchema, "testdata/full/env.yaml": EnvSchema} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if perr, serr := parserErr(schema, data), schemaErr(t, schema, data); perr != nil || serr != nil {
			t.Fatalf("%s is not valid:\nparser: %v\nschema: %v", file, perr, serr)
		}
		ms := mutations(t, data)
		refused := 0
		for _, m := range ms {
			perr, serr := parserErr(schema, m.data), schemaErr(t, schema, m.data)
			if perr != nil {
				refused++
			}
			if (perr == nil) == (serr == nil) {
				continue
			}
			key := m.path + " " + m.op
			if _, ok := mutationExceptions[key]; ok {
				seen[key] = true
				continue
			}
			t.Errorf("%s: %s: the schema and the parser disagree:\nparser: %v\nschema: %v", file, key, perr, serr)
		}
		t.Logf("%s: %d changes, %d refused", file, len(ms), refused)
	}
	for key := range mutationExceptions {
		if !seen[key] {
			t.Errorf("mutation exception %q no longer happens: remove it", key)
		}
	}
}

type mutation struct {
	path, op string
	data     []byte
}

// replacements are the values a node is replaced with. Text replaces only
// values that are not text already: which text is valid is the table's
// business, and a number or boolean in place of text is an exception of
// its own (see "unquoted number as text").
var replacements = []struct{ op, yaml string }{
	{"null", "~"},
	{"mapping", "{zz: 1}"},
	{"list", "[]"},
	{"list-of-mapping", "[{}]"},
	{"text", "zz"},
}

// mutations returns every changed document of data.
func mutations(t *testing.T, data []byte) []mutation {
	t.Helper()
	// Each mutation parses data afresh and changes the i-th node of the walk.
	var count int
	walkNodes(parse(t, data), "", func(string, *yaml.Node) { count++ })
	var out []mutation
	for i := range count {
		for _, op := range []string{"unknown-key", "remove"} {
			doc := parse(t, data)
			var path string
			applied := false
			walkNodesIndexed(doc, i, func(p string, parent, key *yaml.Node) {
				path = p
				switch {
				case op == "unknown-key" && key == nil && parent.Kind == yaml.MappingNode:
					parent.Content = append(parent.Content, scalar("zzUnknown"), scalar("1"))
					applied = true
				case op == "remove" && key != nil:
					for j := 0; j < len(parent.Content); j += 2 {
						if parent.Content[j] == key {
							parent.Content = append(parent.Content[:j:j], parent.Content[j+2:]...)
							applied = true
							break
						}
					}
				}
			})
			if applied {
				out = append(out, mutation{path: path, op: op, data: marshal(t, doc)})
			}
		}
		for _, r := range replacements {
			doc := parse(t, data)
			var path string
			applied := false
			walkValues(doc, i, func(p string, v *yaml.Node) {
				if v == doc.Content[0] || (r.op == "text" && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str") {
					return
				}
				path = p
				var n yaml.Node
				if err := yaml.Unmarshal([]byte(r.yaml), &n); err != nil {
					t.Fatal(err)
				}
				*v = *n.Content[0]
				applied = true
			})
			if applied {
				out = append(out, mutation{path: path, op: r.op, data: marshal(t, doc)})
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].path < out[b].path })
	return out
}

func parse(t *testing.T, data []byte) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

func marshal(t *testing.T, doc *yaml.Node) []byte {
	t.Helper()
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// walkNodes calls f with the path of every node below the document, in
// order; the document's root is "".
func walkNodes(doc *yaml.Node, _ string, f func(string, *yaml.Node)) {
	var walk func(string, *yaml.Node)
	walk = func(p string, n *yaml.Node) {
		f(p, n)
		switch n.Kind {
		case yaml.MappingNode:
			for j := 0; j+1 < len(n.Content); j += 2 {
				walk(join(p, n.Content[j].Value), n.Content[j+1])
			}
		case yaml.SequenceNode:
			for j, c := range n.Content {
				walk(fmt.Sprintf("%s[%d]", p, j), c)
			}
		}
	}
	walk("", doc.Content[0])
}

// walkNodesIndexed finds the i-th node of walkNodes and calls f with its
// path and: for a mapping, the mapping itself and a nil key; for a value
// in a mapping, that mapping and the value's key.
func walkNodesIndexed(doc *yaml.Node, i int, f func(path string, parent, key *yaml.Node)) {
	parents := map[*yaml.Node][2]*yaml.Node{}
	var index int
	var walk func(string, *yaml.Node)
	walk = func(p string, n *yaml.Node) {
		if index == i {
			if n.Kind == yaml.MappingNode {
				f(p, n, nil)
			}
			if pk, ok := parents[n]; ok {
				f(p, pk[0], pk[1])
			}
		}
		index++
		switch n.Kind {
		case yaml.MappingNode:
			for j := 0; j+1 < len(n.Content); j += 2 {
				parents[n.Content[j+1]] = [2]*yaml.Node{n, n.Content[j]}
				walk(join(p, n.Content[j].Value), n.Content[j+1])
			}
		case yaml.SequenceNode:
			for j, c := range n.Content {
				walk(fmt.Sprintf("%s[%d]", p, j), c)
			}
		}
	}
	walk("", doc.Content[0])
}

// walkValues calls f with the i-th node of walkNodes.
func walkValues(doc *yaml.Node, i int, f func(string, *yaml.Node)) {
	var index int
	walkNodes(doc, "", func(p string, n *yaml.Node) {
		if index == i {
			f(p, n)
		}
		index++
	})
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}
