package objects

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/templates"
)

// TestParseRefusesBadTypeMeta: an apiVersion or kind the API server could
// not read is an error at its line, never an object (issue 10: "kind: null"
// was written as null_q.yaml).
func TestParseRefusesBadTypeMeta(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"apiVersion number", "apiVersion: 5\nkind: ConfigMap\nmetadata: {name: x}\n", "in.yaml:1: apiVersion must be a string, not the number 5"},
		{"kind null", "apiVersion: v1\nkind: null\nmetadata: {name: q}\n", "in.yaml:2: object has no kind"},
		{"kind number", "apiVersion: v1\nkind: 7\nmetadata: {name: q}\n", "in.yaml:2: kind must be a string, not the number 7"},
		{"kind 3000", "apiVersion: v1\nkind: 3000\nmetadata: {name: x}\n", "in.yaml:2: kind must be a string, not the number 3000"},
		{"kind quoted digits", "apiVersion: v1\nkind: \"3000\"\nmetadata: {name: x}\n", `in.yaml:2: kind "3000" is not a kind any API serves`},
		{"kind mapping", "apiVersion: v1\nkind: {a: b}\nmetadata: {name: x}\n", "in.yaml:2: kind must be a string, not a mapping"},
		{"apiVersion quoted digit", "apiVersion: \"5\"\nkind: ConfigMap\nmetadata: {name: x}\n", `in.yaml:1: apiVersion "5" is not an API version any cluster serves`},
		{"apiVersion bad group", "apiVersion: a_b/v1\nkind: ConfigMap\nmetadata: {name: x}\n", `in.yaml:1: apiVersion "a_b/v1" is not an API version`},
		{"apiVersion three parts", "apiVersion: a/b/c\nkind: ConfigMap\nmetadata: {name: x}\n", `in.yaml:1: apiVersion "a/b/c" is not an API version`},
		{"no kind", "apiVersion: v1\nmetadata: {name: x}\n", "in.yaml:1: object has no kind"},
		{"list items a mapping", "apiVersion: v1\nkind: RoleList\nitems: {a: b}\n", "in.yaml:3: RoleList items is not a list"},
		{"list item without apiVersion", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleList\nitems:\n- metadata: {name: r}\n", "in.yaml:4: object has no apiVersion"},
		// Every bad item of a List in one run, not the first alone.
		{"two bad list items", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {generateName: a-}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: ok}}\n- {kind: ConfigMap, metadata: {name: c}}\n",
			"in.yaml:4: ConfigMap/: object has no metadata.name\n  hint: set metadata.name: Flux applies every object by its name (server-side apply), so metadata.generateName alone cannot be applied\nin.yaml:6: object has no apiVersion"},
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {a: b}}\n", "in.yaml:1: ConfigMap/: object has no metadata.name\n  hint: set metadata.name"},
		// kube-prometheus' examples/kustomize.jsonnet writes a
		// kustomization.yaml among its objects: told to set a name, its
		// author would have deployed kustomize's configuration.
		{"kustomization", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n",
			"in.yaml:1: Kustomization/: a kustomize Kustomization (kustomize.config.k8s.io/v1beta1) is kustomize's configuration, not an object: Flux leaves it out of what it applies, so it would never reach the cluster\n  hint: leave it out of the app's output"},
		// kyaml's getters indexed past a sequence of one item (the fuzzer's
		// find, testdata/fuzz/FuzzParse).
		{"metadata a list", "apiVersion: v1\nkind: ConfigMap\nmetadata: [x]\n", "in.yaml:3: ConfigMap/: metadata is not a mapping"},
		{"metadata a string", "apiVersion: v1\nkind: ConfigMap\nmetadata: x\n", "in.yaml:3: ConfigMap/: metadata is not a mapping"},
		// kyaml's label and annotation getters index past a sequence of
		// one item too, in every stage after the parse; a namespace that
		// reads as none was replaced by the app's.
		{"labels a list", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [a]\n", "in.yaml:5: ConfigMap/: metadata.labels must be a mapping, not a list"},
		{"annotations a list", "apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: x\n  annotations: [a]\n", "in.yaml:5: Thing/: metadata.annotations must be a mapping, not a list"},
		{"labels an aliased list", "apiVersion: v1\nkind: ConfigMap\nl: &l [a]\nmetadata: {name: x, labels: *l}\n", "metadata.labels must be a mapping, not a list"},
		{"annotations a scalar", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, annotations: hunter2}\n", "in.yaml:3: ConfigMap/: metadata.annotations must be a mapping, not a scalar"},
		{"namespace a list", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: [a]\n", "in.yaml:5: ConfigMap/: metadata.namespace must be a string, not a list"},
		{"namespace a mapping", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: {a: b}}\n", "metadata.namespace must be a string, not a mapping"},
		{"name a list", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x]}\n", "metadata.name must be a string, not a list"},
		// Every bad field of metadata in one run, not the first alone.
		{"namespace and labels", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: [a]\n  labels: b\n",
			"in.yaml:5: ConfigMap/: metadata.namespace must be a string, not a list\n  hint: write metadata.namespace as a string\nin.yaml:6: ConfigMap/: metadata.labels must be a mapping, not a scalar"},
		{"generateName", "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\n", "hint: set metadata.name: Flux applies every object by its name (server-side apply), so metadata.generateName alone cannot be applied"},
		{"no apiVersion, second doc", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: ConfigMap\nmetadata: {name: b}\n", "in.yaml:5: object has no apiVersion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Parse([]byte(tc.doc), "in.yaml", 0)
			if err == nil {
				t.Fatalf("accepted %d objects, want an error", len(objs))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseAcceptsRealTypeMeta(t *testing.T) {
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n" +
		"apiVersion: v1\nkind: ConfigMap\nm: &m {name: aliased}\nmetadata: *m\n---\n" +
		"apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: b}\n---\n" +
		"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: c}\n---\n" +
		"apiVersion: v1\nkind: ConfigMap\nl: &l {a: b}\nmetadata: {name: d, namespace: null, labels: *l, annotations: null}\n"
	objs, err := Parse([]byte(doc), "in.yaml", 0)
	if err != nil || len(objs) != 5 {
		t.Fatalf("got %d objects, %v", len(objs), err)
	}
	// metadata by an alias is a mapping too.
	if name := objs[1].Node.GetName(); name != "aliased" {
		t.Errorf("the aliased metadata's name is %q", name)
	}
}

// TestParseExpandsTypedLists: any kind ending in "List" with an items
// field is a collection, as kustomize (and so Flux) and kubectl read it:
// kube-prometheus ships its per-namespace RBAC as a RoleBindingList and a
// RoleList, and `kubectl get -o yaml` prints typed lists.
func TestParseExpandsTypedLists(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string // kind/name of each object, in order
		lines     []int
	}{
		{"v1 List", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", []string{"ConfigMap/a"}, []int{4}},
		{"typed list", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBindingList\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: RoleBinding\n  metadata: {name: a, namespace: x}\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: RoleBinding\n  metadata: {name: b, namespace: y}\n", []string{"RoleBinding/a", "RoleBinding/b"}, []int{4, 7}},
		{"custom list kind", "apiVersion: example.com/v1\nkind: WidgetList\nitems:\n- {apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}\n", []string{"Widget/w"}, []int{4}},
		{"nested list", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMapList\n  items:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n", []string{"ConfigMap/c"}, []int{7}},
		{"null items", "apiVersion: v1\nkind: RoleList\nitems: null\n", nil, nil},
		{"empty items", "apiVersion: v1\nkind: RoleList\nitems: []\n", nil, nil},
		{"a List kind without items is an object", "apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: al}\nspec: {}\n", []string{"AllowList/al"}, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Parse([]byte(tc.doc), "in.yaml", 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var lines []int
			for _, o := range objs {
				got = append(got, o.Node.GetKind()+"/"+o.Node.GetName())
				lines = append(lines, o.Line)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("objects %v, want %v", got, tc.want)
			}
			for i := range lines {
				if lines[i] != tc.lines[i] {
					t.Fatalf("lines %v, want %v", lines, tc.lines)
				}
			}
		})
	}
}

// TestParseRefusesEncryptedLists: a List's sops: metadata is the List's,
// and kustomize's reader expands the List into its items without it, so
// Flux would apply each item still encrypted.
func TestParseRefusesEncryptedLists(t *testing.T) {
	doc := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: db}\n  stringData: {pw: 'ENC[AES256_GCM,data:eA==,iv:eA==,tag:eA==,type:str]'}\n" +
		"sops:\n  mac: ENC[AES256_GCM,data:eA==,iv:eA==,tag:eA==,type:str]\n  version: 3.13.3\n"
	_, err := Parse([]byte("# head\n"+doc), "in.yaml", 0)
	var de *diag.Error
	if !errors.As(err, &de) || de.Line != 2 || !strings.Contains(de.Msg, "a SOPS-encrypted List: Flux's kustomize build expands it into its items") {
		t.Fatalf("Parse() error = %v, want the encrypted List refused at in.yaml:2", err)
	}
}

// TestParseObjectsAreSelfContained: kiln writes each object to a file of
// its own and kustomize-controller reads each file on its own, so no object
// may keep an alias to an anchor outside it (kustomize v5.8.2: "unknown
// anchor 'l' referenced"). The anchor's name is never shown: a ${VAR}
// substituted into a yaml app can make one of a secret value.
func TestParseObjectsAreSelfContained(t *testing.T) {
	t.Run("an alias to an earlier document", func(t *testing.T) {
		doc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &hunter2 {app: a}\n---\n" +
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: *hunter2\n"
		_, err := Parse([]byte(doc), "in.yaml", 0)
		if err == nil || !strings.Contains(err.Error(), "in.yaml:11: an alias refers to an anchor of an earlier YAML document") {
			t.Fatalf("error %v, want one at the alias's line", err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error names the anchor: %v", err)
		}
	})
	t.Run("list items aliasing one another", func(t *testing.T) {
		doc := "apiVersion: v1\nkind: List\nitems:\n" +
			"- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, labels: &l {app: a}}, data: {k: &v x, k2: *v}}\n" +
			"- {apiVersion: v1, kind: ConfigMap, metadata: {name: b, labels: *l}}\n"
		objs, err := Parse([]byte(doc), "in.yaml", 0)
		if err != nil || len(objs) != 2 {
			t.Fatalf("got %d objects, %v", len(objs), err)
		}
		for _, o := range objs {
			text, err := o.Node.String()
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(text, "&*") {
				t.Errorf("item %s keeps an anchor or alias:\n%s", o.Node.GetName(), text)
			}
			if got := o.Node.GetLabels()["app"]; got != "a" {
				t.Errorf("item %s: label app = %q, want a", o.Node.GetName(), got)
			}
		}
	})
	t.Run("an alias within one object", func(t *testing.T) {
		doc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {built-from: &img ghcr.io/acme/web:1.0.0}\n" +
			"data:\n  image: *img\n  more:\n    <<: &m {a: b}\n    c: d\n"
		objs, err := Parse([]byte(doc), "in.yaml", 0)
		if err != nil || len(objs) != 1 {
			t.Fatalf("got %d objects, %v", len(objs), err)
		}
		// Resolved as kustomize reads it: each field its own node.
		text, _ := objs[0].Node.String()
		if strings.ContainsAny(text, "&*") || strings.Contains(text, "<<") {
			t.Errorf("anchors, aliases or merge keys kept:\n%s", text)
		}
		img, _ := objs[0].Node.Pipe(kyaml.Lookup("data", "image"))
		ann, _ := objs[0].Node.Pipe(kyaml.Lookup("metadata", "annotations", "built-from"))
		if img == nil || ann == nil || img.YNode() == ann.YNode() || img.YNode().Value != "ghcr.io/acme/web:1.0.0" {
			t.Errorf("the alias is not a value of its own:\n%s", text)
		}
	})
}

func TestAnnotation(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"metadata: {name: a, annotations: {x: '1', y: '2'}}", "2"},
		{"metadata: {name: a, annotations: {x: '1'}}", ""},
		{"metadata: {name: a}", ""},
		{"metadata: {name: a, annotations: [y]}", ""},
		{"metadata: [a]", ""},
		{"kind: X", ""},
	} {
		rn, err := kyaml.Parse(tc.doc)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if k, v := Annotation(rn.YNode(), "y"); v != nil {
			if k.Value != "y" {
				t.Errorf("%s: key %q", tc.doc, k.Value)
			}
			got = v.Value
		}
		if got != tc.want {
			t.Errorf("%s: Annotation = %q, want %q", tc.doc, got, tc.want)
		}
	}
}

// TestNeedsDecryption: kustomize-controller decrypts a SOPS document, or
// a Secret whose data value is a whole file sops encrypted, unless the
// object's kustomize.toolkit.fluxcd.io/decrypt annotation is "disabled"
// in any case (strings.EqualFold, whose folding knows the long s too).
// An annotation that is itself ciphertext says nothing.
func TestNeedsDecryption(t *testing.T) {
	const sops = "sops: {mac: 'ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]'}\n"
	// "mac: ENC[" in base64: a secretGenerator's encrypted file.
	const file = "data: {creds.yaml: bWFjOiBFTkNb}\n"
	ann := func(v string) string {
		return "metadata: {name: a, annotations: {kustomize.toolkit.fluxcd.io/decrypt: " + v + "}}\n"
	}
	for _, tc := range []struct {
		name, doc string
		want      bool
	}{
		{"sops document", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n" + sops, true},
		{"sops document, disabled", "apiVersion: v1\nkind: Secret\n" + ann("disabled") + sops, false},
		{"custom resource, Disabled", "apiVersion: isindir.github.com/v1alpha3\nkind: SopsSecret\n" + ann("Disabled") + sops, false},
		{"long s", "apiVersion: v1\nkind: Secret\n" + ann("di\u017fabled") + sops, false},
		{"enabled", "apiVersion: v1\nkind: Secret\n" + ann("enabled") + sops, true},
		{"encrypted annotation", "apiVersion: v1\nkind: Secret\n" + ann("'ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]'") + sops, true},
		{"annotation not a string", "apiVersion: v1\nkind: Secret\n" + ann("[disabled]") + sops, true},
		{"encrypted file", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n" + file, true},
		{"encrypted file, disabled", "apiVersion: v1\nkind: Secret\n" + ann("disabled") + file, false},
		{"plain Secret", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {a: b}\n", false},
	} {
		rn, err := kyaml.Parse(tc.doc)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := NeedsDecryption(rn); got != tc.want {
			t.Errorf("%s: NeedsDecryption = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestParseLocatesBadCharacters: yaml.v3's reader refuses a control
// character or a byte that is no UTF-8 with an error that names no line;
// the error is at the line of the first such character, in any document.
func TestParseLocatesBadCharacters(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	for _, tc := range []struct{ name, doc, want string }{
		{"control character", cm + "data:\n  a: \"x\x01\"\n", "in.yaml:5: invalid YAML: yaml: control characters are not allowed"},
		{"NUL in a later document", cm + "---\n" + cm + "data: {a: \x00}\n", "in.yaml:8: invalid YAML: yaml: control characters are not allowed"},
		{"not UTF-8", cm + "data:\n  a: \"\xff\"\n", "in.yaml:5: invalid YAML: yaml: invalid leading UTF-8 octet"},
		{"a byte order mark within is allowed", "\ufeff" + cm + "data:\n  a: \"\ufeff\x7f\"\n", "in.yaml:5: invalid YAML: yaml: control characters are not allowed"},
		{"with a line offset", cm + "data:\n  a: \"\x1b[2J\"\n", "in.yaml:15: invalid YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offset := 0
			if tc.name == "with a line offset" {
				offset = 10
			}
			objs, err := Parse([]byte(tc.doc), "in.yaml", offset)
			if err == nil {
				t.Fatalf("accepted %d objects, want an error", len(objs))
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to start with %q", err, tc.want)
			}
		})
	}
}

// TestParseLocatesUnnumberedErrors: yaml.v3 names no line for a syntax
// error on the stream's first line, nor for an alias of no anchor; the
// error is at that line all the same. The first three are the YAML test
// suite's 5U3A, H7TQ (whose directive yaml.v3 refuses, as kustomize does)
// and ZCZ6, found refused with no line.
func TestParseLocatesUnnumberedErrors(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	for _, tc := range []struct{ name, doc, want, hint string }{
		{"first line", "key: - a\n     - b\n", "in.yaml:11: invalid YAML: yaml: block sequence entries are not allowed in this context", "fix the YAML syntax"},
		{"YAML 1.2 directive", "%YAML 1.2\n---\n" + cm, "in.yaml:11: invalid YAML: yaml: found incompatible YAML document", "%YAML 1.1: remove the %YAML line"},
		{"first line of a mapping", "a: b: c: d\n", "in.yaml:11: invalid YAML", ""},
		{"unknown anchor", cm + "data:\n  a: x # *gone1 and *gone\n  b: *gone\n", "in.yaml:16: invalid YAML: yaml: unknown anchor", ""},
		{"unknown anchor in flow", cm + "data: {a: x,\n  b: *gone}\n", "in.yaml:15: invalid YAML: yaml: unknown anchor", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Parse([]byte(tc.doc), "in.yaml", 10)
			if err == nil {
				t.Fatalf("accepted %d objects, want an error", len(objs))
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to start with %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.hint) {
				t.Errorf("error %q, want a hint with %q", err, tc.hint)
			}
			if strings.Contains(err.Error(), "gone") {
				t.Errorf("error %q names the anchor", err)
			}
		})
	}
}

// TestParseHintsAtUnknownEscapes: a regular expression in double quotes,
// as external-secrets' docs/snippets/conjur-external-secret-find.yaml
// writes one ("^app1\/.+$"), is refused by yaml.v3, so by Flux's kustomize
// build; the hint says why and how to write it, where the generic one
// spoke of indentation and colons.
func TestParseHintsAtUnknownEscapes(t *testing.T) {
	doc := "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: find-by-name}\n" +
		"spec:\n  dataFrom:\n    - find:\n        name:\n          regexp: \"^app1\\/.+$\"\n"
	_, err := Parse([]byte(doc), "es.yaml", 0)
	var de *diag.Error
	if !errors.As(err, &de) {
		t.Fatalf("Parse() = %v, want a *diag.Error", err)
	}
	if de.Line != 8 || !strings.Contains(de.Msg, "found unknown escape character") {
		t.Errorf("error at line %d: %q, want line 8, unknown escape", de.Line, de.Msg)
	}
	if !strings.Contains(de.Hint, "single quotes") || !strings.Contains(de.Hint, "double the backslash") {
		t.Errorf("hint %q, want single quotes or a doubled backslash", de.Hint)
	}
	if _, err := Parse([]byte(strings.Replace(doc, `"^app1\/.+$"`, `'^app1\/.+$'`, 1)), "es.yaml", 0); err != nil {
		t.Errorf("in single quotes: %v", err)
	}
}

func TestPlainMergeValues(t *testing.T) {
	t.Parallel()
	var doc kyaml.Node
	if err := kyaml.Unmarshal([]byte("a: <<\nb: \"<<\"\nc: !!merge <<\nd: [<<, {e: <<}]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	if !PlainMergeValues(&doc) {
		t.Fatal("PlainMergeValues found no merge-tagged value")
	}
	out, err := kyaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a: <<\nb: \"<<\"\nc: <<\nd: [<<, {e: <<}]\n"; string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if PlainMergeValues(&doc) {
		t.Error("a second pass found more")
	}
}

// TestParseReadsCRLFAsLF: a file checked out with CRLF line breaks (git's
// core.autocrlf on Windows, a chart vendored from such a checkout) gives
// the objects of the same file with LF, comments and lines included, from
// every entry point. yaml.v3 read the values alike but moved comments
// into the wrong place and dropped a document's head comment, so a render
// on Windows differed from CI's in the bytes written (ingress-nginx's
// controller Role).
func TestParseReadsCRLFAsLF(t *testing.T) {
	const doc = "# head comment\n# second\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n" +
		"metadata:\n  name: r # line comment\n  annotations:\n    d: |\n      line1\n      line2\n    e: \"a\n      b\"\n" +
		"rules:\n- apiGroups:\n  - a\n  verbs:\n  - get\n# between items\n- apiGroups:\n  - b\n  # inner\n  verbs:\n  - list\n" +
		"---\n# second document\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  k: v # trailing\n# foot\n"
	crlf := strings.ReplaceAll(doc, "\n", "\r\n")
	parsers := map[string]func(string) ([]templates.Object, error){
		"Parse": func(s string) ([]templates.Object, error) { return Parse([]byte(s), "in.yaml", 0) },
		"ParseCountedString": func(s string) ([]templates.Object, error) {
			return ParseCountedString(s, "in.yaml", 0, &limits.Counter{})
		},
		"ParseHelmOutput": func(s string) ([]templates.Object, error) { return ParseHelmOutput(s, "in.yaml", 0, &limits.Counter{}) },
	}
	for name, parse := range parsers {
		t.Run(name, func(t *testing.T) {
			want, err := parse(doc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parse(crlf)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d objects with CRLF, %d with LF", len(got), len(want))
			}
			for i := range want {
				if got[i].Line != want[i].Line {
					t.Errorf("object %d at line %d with CRLF, %d with LF", i, got[i].Line, want[i].Line)
				}
				if d := nodeDiff(got[i].Node.YNode(), want[i].Node.YNode(), "$"); d != "" {
					t.Errorf("object %d with CRLF differs from LF: %s", i, d)
				}
			}
		})
	}
}

// nodeDiff names the first field in which two YAML trees differ, "" when
// none: what yamlenc writes, comments and positions included.
func nodeDiff(a, b *kyaml.Node, at string) string {
	switch {
	case a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value || a.Style != b.Style:
		return fmt.Sprintf("%s: %v %q %q, want %v %q %q", at, a.Kind, a.Tag, a.Value, b.Kind, b.Tag, b.Value)
	case a.HeadComment != b.HeadComment || a.LineComment != b.LineComment || a.FootComment != b.FootComment:
		return fmt.Sprintf("%s: comments %q %q %q, want %q %q %q", at, a.HeadComment, a.LineComment, a.FootComment, b.HeadComment, b.LineComment, b.FootComment)
	case a.Line != b.Line || a.Column != b.Column:
		return fmt.Sprintf("%s: at %d:%d, want %d:%d", at, a.Line, a.Column, b.Line, b.Column)
	case len(a.Content) != len(b.Content):
		return fmt.Sprintf("%s: %d children, want %d", at, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		if d := nodeDiff(a.Content[i], b.Content[i], fmt.Sprintf("%s[%d]", at, i)); d != "" {
			return d
		}
	}
	return ""
}

// TestParseKeepsSOPSBytesPastOtherLineBreaks: yaml.v3 ends a line at a
// lone CR, NEL, LS and PS too, and at "\r\r\n" once lf has read its CRLF.
// A quoted value holding some put a SOPS Secret's line past a count of
// LFs, and the Secret was given the bytes of the document below it, which
// kiln would have written in its place.
func TestParseKeepsSOPSBytesPastOtherLineBreaks(t *testing.T) {
	const sops = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n" +
		"sops:\n  mac: ENC[AES256_GCM,data:eA==,iv:eA==,tag:eA==,type:str]\n  version: 3.8.1\n"
	const other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"
	for name, brk := range map[string]string{"CR": "\r", "NEL": "\u0085", "LS": "\u2028", "PS": "\u2029", "CRCRLF": "\r\r\n"} {
		t.Run(name, func(t *testing.T) {
			first := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: \"a" + strings.Repeat(brk, 20) + "b\"\n"
			for _, nl := range []string{"\n", "\r\n"} {
				in := strings.ReplaceAll(first+"---\n"+sops+"---\n"+other, "\n", nl)
				in = strings.ReplaceAll(in, "\r\r\r\n", "\r\r\n") // brk CRCRLF with CRLF endings
				objs, err := ParseHelmOutput(in, "in.yaml", 0, &limits.Counter{})
				if err != nil {
					t.Fatal(err)
				}
				if len(objs) != 3 {
					t.Fatalf("%d objects, want 3", len(objs))
				}
				if want := strings.ReplaceAll(sops, "\n", nl); string(objs[1].Raw) != want {
					t.Errorf("line breaks %q: the Secret's bytes are\n%q\nwant\n%q", nl, objs[1].Raw, want)
				}
			}
		})
	}
}

// TestParseRefusesComponentConfig: a configuration file of one of
// Kubernetes' own programs, from the Kubernetes documentation and
// kubernetes/kubernetes' e2e manifests (testdata/manifests), is no
// object: it was refused with "set metadata.name", after which kiln took
// it with a warning to list its CRD, and Flux's apply failed on it.
func TestParseRefusesComponentConfig(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"kubernetes-website/admin_konnectivity_egress-selector-configuration.invalid",
			"EgressSelectorConfiguration (apiserver.k8s.io/v1beta1) is a configuration file of kube-apiserver, not an object of the Kubernetes API: no API server serves its kind, so Flux's apply would fail the app on it (\"no matches for kind\")\n" +
				"  hint: leave it out of the app's output: kube-apiserver reads it from a file on the machine it runs on, not from the cluster"},
		{"kubernetes/test_e2e_testing-manifests_auth_encrypt_encryption-config.invalid",
			"EncryptionConfiguration (apiserver.config.k8s.io/v1) is a configuration file of kube-apiserver, not an object"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "manifests", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(data, "in.yaml", 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "set metadata.name") {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// A kind of an API group that is no component's keeps the old error.
	if _, err := Parse([]byte("apiVersion: example.com/v1\nkind: Widget\nspec: {}\n"), "in.yaml", 0); err == nil || !strings.Contains(err.Error(), "hint: set metadata.name") {
		t.Errorf("Widget without a name: got %v", err)
	}
}

// TestParseNamesMisspeltTypeMetaKey: kubernetes' own test data misspells
// kind on purpose ("ind: ReplicationController", testdata/manifests); the
// error pointed at the document's first line with a hint to write a kind,
// which the author believes is there. It now points at the key.
func TestParseNamesMisspeltTypeMetaKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "manifests", "kubernetes", "hack_testdata_recursive_rc_rc_busybox-broken.invalid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"kubernetes' busybox-broken.yaml", string(data), "in.yaml:2: object has no kind\n  hint: did you mean \"kind\"? the document has \"ind\""},
		{"case", "apiVersion: v1\nKind: ConfigMap\nmetadata: {name: x}\n", "in.yaml:2: object has no kind\n  hint: did you mean \"kind\"? the document has \"Kind\": keys are case-sensitive"},
		{"apiVersion", "api_version: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "in.yaml:1: object has no apiVersion\n  hint: did you mean \"apiVersion\"? the document has \"api_version\""},
		// A shorter key is no misspelling of apiVersion: a compose file.
		{"compose", "version: \"3\"\nkind: ConfigMap\nmetadata: {name: x}\n", "in.yaml:1: object has no apiVersion\n  hint: every document must be a Kubernetes object with apiVersion and kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "in.yaml", 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestParseUnnamedReview: kubectl's test data creates a TokenReview with
// create -f (testdata/manifests/kubernetes); in an app it was refused with
// "set metadata.name", and once named, refused again as a kind the API
// server does not store. The first error now says so.
func TestParseUnnamedReview(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "manifests", "kubernetes", "test_fixtures_pkg_kubectl_cmd_create_tokenreview-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data, "in.yaml", 0)
	want := "TokenReview/: object has no metadata.name\n  hint: TokenReview is a request the API server answers once and stores nothing"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %q", err, want)
	}
}
