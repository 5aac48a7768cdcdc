package kustomize

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestKustomizationSyntaxLine: a kustomization that is not valid YAML is
// named at the line of the mistake, in the base that has it; kiln named
// the top kustomization without a line, and krusty's reader (go-yaml v2)
// counts its parser's lines from zero.
func TestKustomizationSyntaxLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kustomization string
		want                string // file:line
	}{
		// The mapping goes on to the next line, where the reader stops;
		// the hint says "at this line or the one before".
		{name: "unclosed flow mapping", kustomization: "resources: [cm.yaml]\nlabels:\n- pairs: {a: b\nnamePrefix: p-\n", want: "base/kustomization.yaml:4"},
		{name: "unclosed at the end", kustomization: "resources: [cm.yaml]\nlabels:\n- pairs: {a: b\n", want: "base/kustomization.yaml:3"},
		{name: "bracket in a flow mapping", kustomization: "resources: [cm.yaml]\nvars:\n- name: A\n  objref: {kind: Service, name: s}\n  fieldref: {fieldpath: spec.ports[0].port}\n", want: "base/kustomization.yaml:5"},
		{name: "indentation", kustomization: "resources: [cm.yaml]\npatches:\n- target:\n    kind: ConfigMap\n   name: c\n", want: "base/kustomization.yaml:5"},
		{name: "tab", kustomization: "resources: [cm.yaml]\n\tnamePrefix: p-\n", want: "base/kustomization.yaml:2"},
		{name: "mapping in a scalar", kustomization: "resources: [cm.yaml]\nnamePrefix: p-\n  namespace: x\n", want: "base/kustomization.yaml:3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"base/kustomization.yaml":    tc.kustomization,
				"base/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
				"overlay/kustomization.yaml": "resources: [../base]\n",
			}, "overlay")
			errAt(t, err, tc.want)
		})
	}
}

// TestUnmatchedStrategicMergePatchNamed: a patchesStrategicMerge entry,
// inline or a file, whose object no resource has is named by its entry's
// line and object, as a patches entry's is; kustomize words that error
// otherwise for patchesStrategicMerge ("no matches for Id …").
func TestUnmatchedStrategicMergePatchNamed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kustomization string
		want                string // file:line: object
	}{
		{name: "inline", kustomization: "resources: [cm.yaml]\npatchesStrategicMerge:\n- |-\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: nope}\n  data: {a: b}\n", want: "base/kustomization.yaml:2: ConfigMap/nope"},
		{name: "file", kustomization: "resources: [cm.yaml]\npatchesStrategicMerge:\n- ok.yaml\n- nope.yaml\n", want: "base/kustomization.yaml:4: ConfigMap/nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"base/kustomization.yaml":    tc.kustomization,
				"base/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
				"base/ok.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
				"base/nope.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nope}\ndata: {a: b}\n",
				"overlay/kustomization.yaml": "resources: [../base]\n",
			}, "overlay")
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *diag.Error", err)
			}
			if got := fmt.Sprintf("%s:%d: %s/%s", de.File, de.Line, de.Object.Kind, de.Object.Name); got != tc.want {
				t.Errorf("error at %s, want %s: %v", got, tc.want, err)
			}
		})
	}
}

// TestAmbiguousStrategicMergePatchNamed: a strategic merge patch naming
// an object the kustomization has twice (its base included under two
// name prefixes) is named by its entry's line, and the hint says that
// more than one object matches; kiln said that none did, for patches.
func TestAmbiguousStrategicMergePatchNamed(t *testing.T) {
	t.Parallel()
	for _, field := range []string{"patches:\n- path: p.yaml\n", "patchesStrategicMerge:\n- p.yaml\n"} {
		t.Run(strings.TrimSuffix(strings.Fields(field)[0], ":"), func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"base/kustomization.yaml":    "resources: [cm.yaml]\n",
				"base/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
				"one/kustomization.yaml":     "resources: [../base]\nnamePrefix: one-\n",
				"two/kustomization.yaml":     "resources: [../base]\nnamePrefix: two-\n",
				"overlay/kustomization.yaml": "resources: [../one, ../two]\n" + field,
				"overlay/p.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
			}, "overlay")
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *diag.Error", err)
			}
			if got := fmt.Sprintf("%s:%d: %s/%s", de.File, de.Line, de.Object.Kind, de.Object.Name); got != "overlay/kustomization.yaml:3: ConfigMap/c" {
				t.Errorf("error at %s, want overlay/kustomization.yaml:3: ConfigMap/c: %v", got, err)
			}
			if !strings.Contains(de.Hint, "more than one") {
				t.Errorf("hint %q does not say that more than one object matches", de.Hint)
			}
		})
	}
}

// TestCycleNamed: a kustomization that includes itself, through a base or
// directly, is named at the resources entry that leads back, where
// kustomize names neither entry nor line.
func TestCycleNamed(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		files      map[string]string
		dir, where string
	}{
		"through a base": {map[string]string{
			"a/kustomization.yaml": "resources:\n- cm.yaml\n- ../b\n",
			"a/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
			"b/kustomization.yaml": "resources:\n- ../a\n",
		}, "a", "b/kustomization.yaml:2: resources entry ../a leads back to a"},
		"itself": {map[string]string{
			"c/kustomization.yaml": "namePrefix: x-\nresources: [.]\n",
		}, "c", "c/kustomization.yaml:2: resources entry . leads back to c"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, tc.files, tc.dir)
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *diag.Error", err)
			}
			if got := fmt.Sprintf("%s:%d: %s", de.File, de.Line, strings.TrimPrefix(de.Msg, "kustomize build failed: ")); !strings.HasPrefix(got, tc.where) {
				t.Errorf("error = %q, want it to start %q", got, tc.where)
			}
			if !strings.Contains(de.Hint, "cannot include itself") {
				t.Errorf("hint %q does not say what is wrong", de.Hint)
			}
		})
	}
}

// TestFileListedAsComponentNamed: a components entry that is a file
// (kustomize's api/krusty TestComponentErrors "files cannot be added to
// components list") is named at its line in the kustomization, where
// kustomize names the file alone ("must build at directory: …: file is
// not directory").
func TestFileListedAsComponentNamed(t *testing.T) {
	t.Parallel()
	err := buildErr(t, map[string]string{
		"app/kustomization.yaml": "resources: [cm.yaml]\ncomponents:\n- stub.yaml\n",
		"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
		"app/stub.yaml":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stub}\n",
	}, "app")
	de := errAt(t, err, "app/kustomization.yaml:3")
	if !strings.Contains(de.Msg, `components: "stub.yaml" is a file`) || !strings.Contains(de.Hint, "kind: Component") {
		t.Errorf("message %q, hint %q: want the entry named a file, and what a component is", de.Msg, de.Hint)
	}
}

// TestFolderWithoutKustomizationNamed: a resources entry naming a folder
// that holds no kustomization (kustomize's api/krusty
// TestBaseMustHaveKustomizationFile; Flux writes one only for the folder
// its Kustomization's path names, not for the folders that one lists) is
// named at its line, where kustomize names the folder inside its chain of
// wrappers, without the kustomization or the line.
func TestFolderWithoutKustomizationNamed(t *testing.T) {
	t.Parallel()
	err := buildErr(t, map[string]string{
		"app/kustomization.yaml": "resources:\n- base\n",
		"app/base/service.yaml":  "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n",
	}, "app")
	de := errAt(t, err, "app/kustomization.yaml:2")
	if !strings.Contains(de.Msg, `resources: "base" is a folder without a kustomization`) || !strings.Contains(de.Hint, "base/service.yaml") {
		t.Errorf("message %q, hint %q: want the entry named, and how to list the folder's files", de.Msg, de.Hint)
	}
}

// TestFieldErrorsNamedAtField: kustomize's refusals of a field's value
// that name the field but no file or line (its api/krusty
// TestCustomOpenApiFieldBothPathAndVersion,
// TestInvalidLegacySortOptionsWithoutOrderKey and
// TestInvalidLegacySortOptionsWithFIFOOrder) are named at the field's
// line, in the base that sets it too (kustomize reads sortOptions of the
// top kustomization only).
func TestFieldErrorsNamedAtField(t *testing.T) {
	t.Parallel()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	for name, tc := range map[string]struct {
		kustomization string
		path          string
		at, hint      string
	}{
		"openapi path and version": {
			kustomization: "resources: [cm.yaml]\nopenapi:\n  path: schema.json\n  version: v1.21.2\n",
			path:          "overlay", at: "base/kustomization.yaml:2", hint: "openapi.path or openapi.version",
		},
		"sortOptions without order": {
			kustomization: "resources: [cm.yaml]\nsortOptions:\n  legacySortOptions:\n    orderFirst: [Namespace]\n",
			path:          "base", at: "base/kustomization.yaml:2", hint: "order: legacy",
		},
		"legacySortOptions under fifo": {
			kustomization: "resources: [cm.yaml]\nsortOptions:\n  order: fifo\n  legacySortOptions:\n    orderFirst: [Namespace]\n",
			path:          "base", at: "base/kustomization.yaml:2", hint: "order: legacy",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"base/kustomization.yaml":    tc.kustomization,
				"base/cm.yaml":               cm,
				"base/schema.json":           "{}\n",
				"overlay/kustomization.yaml": "resources: [../base]\n",
			}, tc.path)
			de := errAt(t, err, tc.at)
			if !strings.Contains(de.Hint, tc.hint) {
				t.Errorf("hint %q, want it to say %q", de.Hint, tc.hint)
			}
		})
	}
}

// TestComponentKindNamed: a Component listed under resources, and a
// Kustomization listed under components (kustomize's api/krusty
// TestComponentErrors), are named at their entry's line, where kustomize
// names only the folder.
func TestComponentKindNamed(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"base/kustomization.yaml":   "resources: [cm.yaml]\n",
		"base/cm.yaml":              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
		"comp/kustomization.yaml":   "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: x-\n",
		"inres/kustomization.yaml":  "resources:\n- ../base\n- ../comp\n",
		"incomp/kustomization.yaml": "resources: [cm.yaml]\ncomponents:\n- ../base\n",
		"incomp/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n",
	}
	for path, tc := range map[string]struct{ at, msg, hint string }{
		"inres":  {at: "inres/kustomization.yaml:3", msg: `resources: "../comp" is a Component`, hint: "list it under components"},
		"incomp": {at: "incomp/kustomization.yaml:3", msg: `components: "../base" is a Kustomization, not a Component`, hint: "kind: Component"},
	} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			de := errAt(t, buildErr(t, files, path), tc.at)
			if !strings.Contains(de.Msg, tc.msg) || !strings.Contains(de.Hint, tc.hint) {
				t.Errorf("message %q, hint %q, want %q and %q", de.Msg, de.Hint, tc.msg, tc.hint)
			}
		})
	}
}

// TestVarCollisionNamed: two bases declaring one var (kustomize's
// api/krusty TestBasicVarCollision) is named at the second base's vars
// entry, where kustomize names only the var and the base's folder.
func TestVarCollisionNamed(t *testing.T) {
	t.Parallel()
	base := func(prefix, pod string) string {
		return "namePrefix: " + prefix + "\nresources:\n- pod.yaml\nvars:\n- name: POD_NAME\n  objref:\n    apiVersion: v1\n    kind: Pod\n    name: " + pod +
			"\n  fieldref:\n    fieldpath: metadata.name\n"
	}
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  containers:\n  - name: app\n    image: busybox\n    env:\n    - {name: N, value: $(POD_NAME)}\n"
	}
	err := buildErr(t, map[string]string{
		"base1/kustomization.yaml":   base("base1-", "kelley"),
		"base1/pod.yaml":             pod("kelley"),
		"base2/kustomization.yaml":   base("base2-", "grimaldi"),
		"base2/pod.yaml":             pod("grimaldi"),
		"overlay/kustomization.yaml": "resources:\n- ../base1\n- ../base2\n",
	}, "overlay")
	de := errAt(t, err, "base2/kustomization.yaml:5")
	if !strings.Contains(de.Hint, "POD_NAME") {
		t.Errorf("hint %q, want it to name the var", de.Hint)
	}
}

// TestKustomizationTypeNamed: a kustomization's kind or apiVersion that
// kustomize refuses (its api/krusty TestComponentErrors "invalid component
// api version") is named at the key's line, where kustomize names the
// folder, inside a component's quoted message with its line break as \n.
func TestKustomizationTypeNamed(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		comp, at, hint string
	}{
		"component of the kustomization's version": {
			comp: "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Component\nnamePrefix: x-\n",
			at:   "comp/kustomization.yaml:1", hint: "kustomize.config.k8s.io/v1alpha1",
		},
		"unknown kind": {
			comp: "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Komponent\nnamePrefix: x-\n",
			at:   "comp/kustomization.yaml:2", hint: "Component",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := buildErr(t, map[string]string{
				"app/kustomization.yaml":  "resources: [cm.yaml]\ncomponents: [../comp]\n",
				"app/cm.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
				"comp/kustomization.yaml": tc.comp,
			}, "app")
			if de := errAt(t, err, tc.at); !strings.Contains(de.Hint, tc.hint) {
				t.Errorf("hint %q, want it to say %q", de.Hint, tc.hint)
			}
		})
	}
}
