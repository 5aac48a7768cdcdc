package patch

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/objects"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	"github.com/google/go-cmp/cmp"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/templates"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestApply applies each case's patches to testdata/objects.yaml. The
// golden file testdata/golden/<case>.yaml holds the objects left, then the
// warnings and errors as comments.
func TestApply(t *testing.T) {
	t.Parallel()
	const env = "envs/dev.yaml"
	tests := []struct {
		name    string
		patches []Patch
	}{
		{
			name: "smp-containers-merge-by-name",
			patches: []Patch{{File: env, Line: 7, Patch: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vote
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: vote
          env:
            - name: LOG_LEVEL
              value: debug
            - name: EXTRA
              value: "1"
          resources:
            limits: {memory: 128Mi}
        - name: metrics
          image: prom/statsd-exporter:v0.26
`}},
		},
		{
			name: "smp-with-target-and-delete-field",
			patches: []Patch{{File: env, Line: 7, Target: &Selector{Kind: "Deployment", Name: "vo.*"}, Patch: `
metadata:
  name: ignored-with-a-target
  labels:
    tier: null
spec:
  template:
    spec:
      containers:
        - name: proxy
          $patch: delete
`}},
		},
		{
			name: "json6902-replace-add-remove",
			patches: []Patch{{File: env, Line: 7, Target: &Selector{Kind: "Deployment", Name: "vote"}, Patch: `
- {op: replace, path: /spec/replicas, value: 3}
- {op: add, path: /spec/template/spec/containers/0/args, value: ["--verbose"]}
- {op: remove, path: /spec/template/spec/containers/1}
- {op: add, path: /metadata/annotations, value: {example.com/patched: "true"}}
`}},
		},
		{
			name:    "json6902-as-json-keeps-block-scalars",
			patches: []Patch{{File: env, Line: 7, Target: &Selector{Kind: "ConfigMap"}, Patch: `[{"op": "add", "path": "/data/extra", "value": "x"}]`}},
		},
		{
			name: "target-by-label-selector",
			patches: []Patch{{File: env, Line: 7, Target: &Selector{LabelSelector: "tier=front", AnnotationSelector: ""}, Patch: `
- {op: add, path: /metadata/labels/patched, value: "yes"}
`}},
		},
		{
			name: "target-by-annotation-and-namespace",
			patches: []Patch{{File: env, Line: 7, Target: &Selector{Group: "apps", Version: "v1", Namespace: "instavote", AnnotationSelector: "example.com/owner=team-a"}, Patch: `
- {op: replace, path: /spec/replicas, value: 5}
`}},
		},
		{
			name: "delete-object",
			patches: []Patch{{File: env, Line: 7, Patch: `
apiVersion: v1
kind: Service
metadata:
  name: vote
$patch: delete
`}},
		},
		{
			name: "two-documents-and-namespace",
			patches: []Patch{{File: env, Line: 7, Patch: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: instavote}
spec: {replicas: 4}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: vote-config}
data: {mode: "4"}
`}},
		},
		{
			name: "no-match-warnings",
			patches: []Patch{
				{File: env, Line: 7, Target: &Selector{Kind: "Deployment", Name: "vot"}, Patch: `[{op: remove, path: /spec/replicas}]`},
				{File: env, Line: 12, Patch: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: wroker}\nspec: {replicas: 0}\n"},
				{File: env, Line: 17, Patch: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: default}\nspec: {replicas: 0}\n"},
				{File: env, Line: 21, Target: &Selector{Name: "vote", Version: "v2"}, Patch: "spec: {replicas: 0}\n"},
			},
		},
		{
			name: "patches-apply-in-order",
			patches: []Patch{
				{File: env, Line: 7, Target: &Selector{Kind: "Deployment", Name: "worker"}, Patch: `[{op: replace, path: /spec/replicas, value: 7}]`},
				{File: env, Line: 9, Target: &Selector{Kind: "Deployment", Name: "worker"}, Patch: `[{op: test, path: /spec/replicas, value: 7}, {op: copy, from: /spec/replicas, path: /metadata/labels/replicas}]`},
			},
		},
		{
			name: "failing-json-op",
			patches: []Patch{
				// json-patch v4, like kustomize, lets replace create a missing
				// leaf; a missing parent fails.
				{File: env, Line: 5, Target: &Selector{Kind: "Deployment", Name: "worker"}, Patch: `[{op: replace, path: /spec/strategy/type, value: Recreate}]`},
				{File: env, Line: 7, Target: &Selector{Kind: "Deployment"}, Patch: `[{op: remove, path: /spec/replicaz}]`},
				{File: env, Line: 9, Target: &Selector{Kind: "ConfigMap"}, Patch: `[{op: test, path: /data/mode, value: "4"}]`},
			},
		},
		{
			name: "invalid-patches",
			patches: []Patch{
				{File: env, Line: 3, Patch: "[{op: replace, path: /spec/replicas, value: 3}]"},
				{File: env, Line: 5, Target: &Selector{Kind: "Deployment"}, Patch: "- {op: repalce, path: /spec/replicas, value: 3}\n- {op: add, value: 1}\n- {op: move, path: /a}\n- just-a-string\n"},
				{File: env, Line: 9, Patch: "spec: {replicas: 3}"},
				{File: env, Line: 11, Patch: "spec: [unclosed"},
				{File: env, Line: 13, Patch: "  "},
				{File: env, Line: 15, Patch: "just text"},
				{File: env, Line: 17, Target: &Selector{Name: "vote("}, Patch: "spec: {replicas: 3}"},
				{File: env, Line: 19, Target: &Selector{LabelSelector: "app in vote"}, Patch: "spec: {replicas: 3}"},
				{File: env, Line: 21, Target: &Selector{Kind: "Deployment"}, Patch: "metadata: {name: a}\n---\nmetadata: {name: b}\n"},
				{File: env, Line: 23, Patch: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: vote}\nspec:\n  template:\n    spec:\n      containers: {name: vote}\n"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs := readObjects(t, "testdata/objects.yaml")
			out, warnings, err := Apply(objs, tc.patches)
			var b bytes.Buffer
			for i, o := range out {
				if i > 0 {
					b.WriteString("---\n")
				}
				b.WriteString(o.Node.MustString())
			}
			for _, w := range diag.SortWarnings(warnings) {
				fmt.Fprintf(&b, "# warning: %s\n", strings.ReplaceAll(w.String(), "\n", "\n#   "))
			}
			if err != nil {
				for _, e := range diag.Flatten(err) {
					fmt.Fprintf(&b, "# error: %s\n", strings.ReplaceAll(e.Error(), "\n", "\n#   "))
				}
			}
			golden(t, filepath.Join("testdata", "golden", tc.name+".yaml"), b.Bytes())
		})
	}
}

// TestErrorsReachCauses checks that the cause of a failing operation stays
// reachable and that errors are located at the patch and name the object.
func TestErrorsReachCauses(t *testing.T) {
	t.Parallel()
	objs := readObjects(t, "testdata/objects.yaml")
	_, _, err := Apply(objs, []Patch{{File: "envs/dev.yaml", Line: 4, Target: &Selector{Kind: "Service"}, Patch: `[{op: remove, path: /spec/nope}]`}})
	var de *diag.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *diag.Error", err)
	}
	want := diag.Error{File: "envs/dev.yaml", Line: 4, Object: diag.Object{Kind: "Service", Name: "vote"}}
	got := diag.Error{File: de.File, Line: de.Line, Object: de.Object}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("location (-want +got):\n%s", diff)
	}
	if de.Unwrap() == nil {
		t.Error("the cause is not wrapped")
	}
}

// TestJSONPatchKeepsLines checks that objects keep their line numbers
// through a JSON6902 patch, for validation messages that come later; the
// fields a patch adds have none.
func TestJSONPatchKeepsLines(t *testing.T) {
	t.Parallel()
	objs := readObjects(t, "testdata/objects.yaml")
	out, _, err := Apply(objs, []Patch{{Target: &Selector{Kind: "Deployment", Name: "vote"}, Patch: `[{op: add, path: /spec/paused, value: true}, {op: remove, path: /spec/template/spec/containers/0/ports}]`}})
	if err != nil {
		t.Fatal(err)
	}
	lineOf := func(path ...string) int {
		n, err := out[0].Node.Pipe(kyaml.Lookup(path...))
		if err != nil || n == nil {
			t.Fatalf("%v: %v", path, err)
		}
		return n.YNode().Line
	}
	got := map[string]int{
		"replicas": lineOf("spec", "replicas"),
		"image":    lineOf("spec", "template", "spec", "containers", "[name=proxy]", "image"),
		"paused":   lineOf("spec", "paused"),
	}
	want := map[string]int{"replicas": 9, "image": 26, "paused": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func readObjects(t *testing.T, file string) []templates.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := objects.Parse(data, file, 0)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	gold.File(t, file, got, *update)
}

// TestErrorsShowNoNode: a patch whose field has the wrong kind for the
// object's; kyaml's error prints the node it found whole, which may be a
// patch's secret or a Secret's data.
func TestErrorsShowNoNode(t *testing.T) {
	t.Parallel()
	objs, err := objects.Parse([]byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pw: Sup3rS3cretObj}\n"), "s.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Apply(objs, []Patch{{File: "envs/dev.yaml", Line: 4, Target: &Selector{Kind: "Secret"},
		Patch: "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: [Sup3rS3cretPatch]\n"}})
	if err == nil || strings.Contains(err.Error(), "S3cret") || !strings.Contains(err.Error(), "wrong node kind") {
		t.Errorf("Apply() error = %v, want one saying wrong node kind, without a value", err)
	}
}

// TestPatchesNamed: each object remembers where the env patches that apply
// to it are written, in order, so that errors about a field a patch set
// can name the patch; an object no patch applies to names none, and the
// objects handed in are not changed.
func TestPatchesNamed(t *testing.T) {
	t.Parallel()
	objs := readObjects(t, "testdata/objects.yaml")
	patches := []Patch{
		{Target: &Selector{Kind: "Deployment", Name: "vote"}, Patch: `[{op: replace, path: /spec/replicas, value: 2}]`, File: "envs/dev.yaml", Line: 5},
		{Patch: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: vote}\nspec: {minReadySeconds: 5}\n", File: "envs/dev.yaml", Line: 9},
		{Target: &Selector{Kind: "Deployment", Name: "vote"}, Patch: "spec: {paused: false}\n", File: "patches/vote.yaml"},
	}
	out, _, err := Apply(objs, patches)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, o := range out {
		got[o.Node.GetKind()+"/"+o.Node.GetName()] = o.Patches
	}
	for _, o := range objs {
		if o.Patches != nil {
			t.Errorf("input %s/%s changed: Patches %v", o.Node.GetKind(), o.Node.GetName(), o.Patches)
		}
	}
	want := map[string][]string{}
	for _, o := range objs {
		want[o.Node.GetKind()+"/"+o.Node.GetName()] = nil
	}
	want["Deployment/vote"] = []string{"envs/dev.yaml:5", "envs/dev.yaml:9", "patches/vote.yaml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("patches per object (-want +got):\n%s", diff)
	}
}

// TestCopiesBounded: JSON6902 copy operations, which duplicate a value of
// the object, add at most limits.OutputSize to it; the error names the
// patch and the object and shows no value.
func TestCopiesBounded(t *testing.T) {
	t.Parallel()
	objs, err := objects.Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  v: "+strings.Repeat("x", 1<<20)+"\n"), "app/cm.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for i := range 65 { // 65 MiB of copies
		ops = append(ops, fmt.Sprintf("{op: copy, from: /data/v, path: /data/k%d}", i))
	}
	_, _, err = Apply(objs, []Patch{{File: "envs/dev.yaml", Line: 4, Target: &Selector{Kind: "ConfigMap"}, Patch: "[" + strings.Join(ops, ", ") + "]"}})
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "envs/dev.yaml" || de.Line != 4 || de.Msg != "what the patch's copy operations add to the object exceeds kiln's limit of 64 MiB" || !errors.Is(err, limits.ErrLimit) {
		t.Fatalf("got %v, want the copy bound at envs/dev.yaml:4", err)
	}
	if strings.Contains(err.Error(), "xxxx") {
		t.Errorf("the error shows the value: %.200s", err)
	}
}

// TestJSONPatchKeepsTimestamps: the JSON6902 filter takes the object
// through yaml.v3 and JSON, which reads a plain scalar such as 2024-01-01
// as a time and writes it back as "2024-01-01T00:00:00Z". A patch that
// adds a label must not change a ConfigMap's value it never touched, as a
// strategic merge patch does not: kiln writes the string as Helm gives it
// (objects.QuoteTimestamps), patched or not.
func TestJSONPatchKeepsTimestamps(t *testing.T) {
	t.Parallel()
	objs, err := objects.Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    released: 2024-01-01\n"+
		"data:\n  day: 2024-01-01\n  ts: 2001-12-14 21:59:43.10\n  quoted: \"2024-03-03\"\n"), "app/cm.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := Apply(objs, []Patch{{File: "envs/dev.yaml", Line: 4, Target: &Selector{Kind: "ConfigMap"},
		Patch: "[{op: add, path: /metadata/labels, value: {team: a}}, {op: add, path: /data/added, value: 2024-02-02}]"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, path := range [][]string{{"metadata", "annotations", "released"}, {"data", "day"}, {"data", "ts"}, {"data", "quoted"}, {"data", "added"}} {
		n, err := out[0].Node.Pipe(kyaml.Lookup(path...))
		if err != nil || n == nil {
			t.Fatalf("%v: %v", path, err)
		}
		got[strings.Join(path, ".")] = n.YNode().Value
	}
	want := map[string]string{"metadata.annotations.released": "2024-01-01", "data.day": "2024-01-01", "data.ts": "2001-12-14 21:59:43.10",
		"data.quoted": "2024-03-03", "data.added": "2024-02-02"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values after the patch (-want +got):\n%s", diff)
	}
}

// TestPatchFileDocumentLines: each document of a multi-document patch file
// is located at its own line of the file (its first key's), in the
// warning of a document that matches nothing and in the objects' Patches;
// the warning named the file's first line, whichever document it was.
func TestPatchFileDocumentLines(t *testing.T) {
	t.Parallel()
	objs := readObjects(t, "testdata/objects.yaml")
	text := "\n# patches for dev\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: vote}\nspec: {minReadySeconds: 5}\n" +
		"---\n# a typo\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: voet}\nspec: {paused: true}\n"
	out, warns, err := Apply(objs, []Patch{{Patch: text, File: "patches/dev.yaml", Line: 1, TextLine: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].File != "patches/dev.yaml" || warns[0].Line != 9 || !strings.Contains(warns[0].Msg, "matches no object") {
		t.Errorf("warnings = %+v, want one at patches/dev.yaml:9 (the second document's first key)", warns)
	}
	for _, o := range out {
		if o.Node.GetName() == "vote" && o.Node.GetKind() == "Deployment" {
			if diff := cmp.Diff([]string{"patches/dev.yaml:3"}, o.Patches); diff != "" {
				t.Errorf("vote's patches (-want +got):\n%s", diff)
			}
		}
	}
}

// TestInlinePatchDocumentLines: the documents of an inline patch written
// as a literal block are located at their own lines of the env file.
func TestInlinePatchDocumentLines(t *testing.T) {
	t.Parallel()
	objs := readObjects(t, "testdata/objects.yaml")
	text := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: vote}\nspec: {minReadySeconds: 5}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: voet}\nspec: {paused: true}\n"
	_, warns, err := Apply(objs, []Patch{{Patch: text, File: "envs/dev.yaml", Line: 7, TextLine: 8}})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].File != "envs/dev.yaml" || warns[0].Line != 13 {
		t.Errorf("warnings = %+v, want one at envs/dev.yaml:13 (the second document's first key)", warns)
	}
}

// TestPatchFileKeepsFinalLineBreak: a patch file is read as it is written,
// as kustomize's PatchTransformer loads a path: patch, so a block scalar at
// its end keeps its final line break; inline text is trimmed first, as
// kustomize trims it (there "|" at the very end reads as "|-" in both).
func TestPatchFileKeepsFinalLineBreak(t *testing.T) {
	t.Parallel()
	objs := readObjects(t, "testdata/objects.yaml")
	text := "\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: vote\n  annotations:\n    script: |\n      echo hi\n      echo there\n"
	for _, tc := range []struct {
		name string
		p    Patch
		want string
	}{
		{"file", Patch{Patch: text, File: "patches/dev.yaml", Line: 1, TextLine: 1, FromFile: true}, "echo hi\necho there\n"},
		{"inline", Patch{Patch: text, File: "envs/dev.yaml", Line: 4}, "echo hi\necho there"},
	} {
		out, _, err := Apply(objs, []Patch{tc.p})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, o := range out {
			if o.Node.GetName() == "vote" && o.Node.GetKind() == "Deployment" {
				got = o.Node.GetAnnotations()["script"]
			}
		}
		if got != tc.want {
			t.Errorf("%s: script = %q, want %q", tc.name, got, tc.want)
		}
	}
}
