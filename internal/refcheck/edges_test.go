//go:build refcheck

package refcheck

import "testing"

// TestYAMLEdgesAgainstPrograms compares, through Flux's reading of kiln's
// output (kustomize build), the YAML that the programs' readers take in
// different ways: YAML 1.1 booleans, which Helm reads as booleans and
// kustomize as strings; merge keys after the keys they set, which Helm
// reads in order and kustomize by the YAML spec; inline and nested merge
// keys; scalars of every resolution; and strings jsonnet gives that YAML
// would read as something else unquoted.
func TestYAMLEdgesAgainstPrograms(t *testing.T) {
	crd := openCRD("example.com", "Widget", "widgets")
	const widget = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  bools: [yes, Yes, YES, y, Y, on, On, ON, no, n, N, off, Off, OFF, true, False, "yes", 'on', !!str off]
  y: key
  Off: key
  numbers: [012, 0o17, 0x1F, 1e3, .5, +12, -0, 1_000, 0b101, 1:20]
  nulls: [~, null, Null, "", "~"]
  base: &b {x: 1, z: 1}
  other: &o {x: 7, w: 7, <<: *b}
  before: {x: 2, <<: *b}
  after: {<<: *b, x: 2}
  seq: {<<: [*b, {x: 5, q: 1}]}
  seq2: {<<: [{x: 5, q: 1}, *o]}
  inline: {a: 1, <<: {a: 2, b: 2}, b: 3}
  list: [{<<: *b, x: 9}, {x: 9, <<: *o}]
  text: "a  \r\n\tb "
  block: |
    trailing   
    tab	
`
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
validation: {crds: [crd.yaml]}
apps:
  - name: chart
    namespace: a
    helm: {chart: chart}
  - name: overlay
    namespace: b
    kustomize: overlay
  - name: program
    namespace: c
    jsonnet: program.jsonnet
`,
		"crd.yaml":                   crd,
		"chart/Chart.yaml":           "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
		"chart/values.yaml":          "flag: \"on\"\n",
		"chart/templates/w.yaml":     widget[:len(widget)-1] + "\n  fromValues: {{ .Values.flag }}\n",
		"overlay/kustomization.yaml": "resources: [w.yaml]\nnamePrefix: p-\n",
		"overlay/w.yaml":             widget,
		"program.jsonnet": `{
  w: {
    apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' },
    spec: { s: ['yes', 'on', 'n', '012', '0x1F', '1e3', '~', 'null', '', '=', '2024-01-01', '1:20', 'a  \r\n\tb ', '\tx\ny', '- x', 'a: b', '#', '*a', '&a', '!a', '%a', '@a'],
            on: 'key', y: 'key', '012': 'key' },
  },
}
`,
	}
	compareProject(t, writeFiles(t, t.TempDir(), files))
}

// TestJsonnetJPathOrder: jpath is read in priority order, the first folder
// winning (docs/templates.md), and the jsonnet program's -J flags the other
// way round. With a file in two jpath folders the reference must be run
// with the flags reversed, or it checks kiln against the opposite order.
func TestJsonnetJPathOrder(t *testing.T) {
	files := map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
apps:
  - name: program
    namespace: c
    jsonnet: {file: main.jsonnet, jpath: [lib, vendor]}
`,
		"lib/x.libsonnet":    "{ from: 'lib' }\n",
		"vendor/x.libsonnet": "{ from: 'vendor' }\n",
		"vendor/y.libsonnet": "{ from: 'vendor' }\n",
		"main.jsonnet": `{
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' },
  data: { x: (import 'x.libsonnet').from, y: (import 'y.libsonnet').from },
}
`,
	}
	compareProject(t, writeFiles(t, t.TempDir(), files))
}
