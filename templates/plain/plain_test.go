package plain

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"filippo.io/age"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/sopsyaml"

	"github.com/kiln-gitops/kiln/templates/internal/enginetest"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
)

var update = flag.Bool("update", false, "rewrite golden files")

const secret = "s3cr3t-P4ssw0rd"

var baseVars = map[string]string{
	"REDIS_HOST":  "redis-master.instavote.svc",
	"LOG_LEVEL":   "debug",
	"DB_PASSWORD": secret,
	"EMPTY":       "",
	"UNUSED":      "never looked at",
}

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		repo   string // folder under testdata copied to the root
		path   string
		vars   map[string]string
		setup  func(t *testing.T, root string)
		golden string // file under testdata/golden: the result or the error text
		// wantOutside: the error must unwrap to rootfs.ErrOutside.
		wantOutside bool
	}{
		{name: "basic", repo: "basic", path: "apps/db", golden: "basic.golden"},
		{name: "trailing slash", repo: "basic", path: "apps/db/", golden: "basic.golden"},
		{name: "undefined, malformed and invalid together", repo: "errors", path: "apps/broken", golden: "broken.golden"},
		{name: "documents that are not objects", repo: "errors", path: "apps/notobj", golden: "notobj.golden"},
		{name: "only comments", repo: "errors", path: "apps/comments", golden: "comments.golden"},
		{name: "no yaml files", repo: "errors", path: "apps/empty", golden: "empty.golden"},
		{name: "missing folder", repo: "errors", path: "apps/nope", golden: "missing.golden"},
		{name: "a file, not a folder", repo: "errors", path: "apps/broken/one.yaml", golden: "notdir.golden"},
		{name: "path outside the root", repo: "errors", path: "../outside", golden: "outside.golden", wantOutside: true},
		{
			name: "symlinks inside the root are followed",
			repo: "basic",
			path: "apps/linked",
			setup: func(t *testing.T, root string) {
				mkdir(t, root, "apps/linked")
				mkdir(t, root, "shared")
				write(t, root, "shared/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared-${LOG_LEVEL}\n")
				symlink(t, "../../shared", root, "apps/linked/dir")
				symlink(t, "../db/a.yaml", root, "apps/linked/sa.yaml")
			},
			golden: "linked.golden",
		},
		{
			name: "symlink out of the root",
			repo: "basic",
			path: "apps/db",
			setup: func(t *testing.T, root string) {
				outside := t.TempDir()
				write(t, outside, "evil.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: evil\n")
				symlink(t, filepath.Join(outside, "evil.yaml"), root, "apps/db/evil.yaml")
				symlink(t, outside, root, "apps/db/evildir")
			},
			golden:      "symlink-out.golden",
			wantOutside: true,
		},
		{
			name: "symlinked folder out of the root",
			repo: "basic",
			path: "apps/out",
			setup: func(t *testing.T, root string) {
				symlink(t, t.TempDir(), root, "apps/out")
			},
			golden:      "folder-out.golden",
			wantOutside: true,
		},
		{
			name: "kustomization that transforms",
			repo: "basic",
			path: "apps/db",
			setup: func(t *testing.T, root string) {
				write(t, root, "apps/db/kustomization.yaml", "resources: [a.yaml]\nnamePrefix: prod-\n")
			},
			golden: "kustomization-field.golden",
		},
		{
			name: "kustomizations that leave files out",
			repo: "basic",
			path: "apps/db",
			setup: func(t *testing.T, root string) {
				write(t, root, "apps/db/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\n")
				write(t, root, "apps/db/nested/kustomization.yml", "kind: Kustomization\n")
			},
			golden: "kustomization-missing.golden",
		},
		{
			name: "kustomization that lists what the app does not render",
			repo: "basic",
			path: "apps/db",
			setup: func(t *testing.T, root string) {
				write(t, root, "apps/db/kustomization.yaml", "resources:\n- a.yaml\n- ../../shared/cm.yaml\n")
				write(t, root, "apps/db/a/Kustomization", "resources: [b.yaml, b.yaml]\n")
				write(t, root, "apps/db/nested/kustomization.yaml", "resources: [deeper]\n")
			},
			golden: "kustomization-listed.golden",
		},
		{
			name: "files not rendered that hold objects",
			repo: "basic",
			path: "apps/db",
			setup: func(t *testing.T, root string) {
				write(t, root, "apps/db/extra.json", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}}`)
				write(t, root, "apps/db/nested/two.YAML", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
				// None of these holds an object: no warning.
				write(t, root, "apps/db/dashboard.json", `{"panels": [{"type": "graph"}]}`)
				write(t, root, "apps/db/broken.json", `{"apiVersion": `)
				write(t, root, "apps/db/values.Yml", "replicas: 3\n")
				write(t, root, "apps/db/notes.txt", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: txt}\n")
				// Nor do files of no document at all, which parse.
				write(t, root, "apps/db/empty.json", "")
				write(t, root, "apps/db/comment.YAML", "# nothing yet\n---\n")
			},
			golden: "not-rendered.golden",
		},
		{
			name: "symlink cycle",
			repo: "basic",
			path: "apps/db",
			setup: func(t *testing.T, root string) {
				symlink(t, "..", root, "apps/db/nested/up")
			},
			golden: "cycle.golden",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := copyRepo(t, tc.repo)
			if tc.setup != nil {
				tc.setup(t, root)
			}
			vars := tc.vars
			if vars == nil {
				vars = baseVars
			}
			req := &templates.Request{Root: root, App: "db", Namespace: "instavote", Env: "dev", Path: tc.path, Vars: vars}
			res, err := New(Options{}).Render(context.Background(), req)
			var got string
			if err != nil {
				got = "error:\n" + err.Error() + "\n"
				checkErr(t, err, vars)
				if got := errors.Is(err, rootfs.ErrOutside); got != tc.wantOutside {
					t.Errorf("errors.Is(err, rootfs.ErrOutside) = %v, want %v", got, tc.wantOutside)
				}
			} else {
				got = dump(t, res)
				again, err := New(Options{}).Render(context.Background(), req)
				if err != nil {
					t.Fatalf("second render: %v", err)
				}
				if diff := cmp.Diff(got, dump(t, again)); diff != "" {
					t.Errorf("second render differs (-first +second):\n%s", diff)
				}
			}
			golden(t, filepath.Join("testdata", "golden", tc.golden), got)
		})
	}
}

// checkErr asserts what every error of the engine must satisfy: each
// leaf is a *diag.Error naming the app, and no var value shows.
func checkErr(t *testing.T, err error, vars map[string]string) {
	t.Helper()
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if !errors.As(e, &de) {
			t.Errorf("error %q is not a *diag.Error", e)
			continue
		}
		if de.App != "db" {
			t.Errorf("error %q does not name the app", e)
		}
		if de.File == "" {
			t.Errorf("error %q names no file", e)
		}
	}
	for name, v := range vars {
		if len(v) > 3 && strings.Contains(err.Error(), v) {
			t.Errorf("error shows the value of %s: %v", name, err)
		}
	}
}

func TestRenderDigest(t *testing.T) {
	t.Parallel()
	root := copyRepo(t, "basic")
	render := func(vars map[string]string) *templates.Result {
		t.Helper()
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "apps/db", Vars: vars})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for k, v := range baseVars {
			m[k] = v
		}
		m[k] = v
		return m
	}
	base := render(baseVars).InputDigest
	tests := []struct {
		name     string
		vars     map[string]string
		wantSame bool
	}{
		{name: "same vars", vars: with("LOG_LEVEL", "debug"), wantSame: true},
		{name: "unused var changed", vars: with("UNUSED", "other"), wantSame: true},
		{name: "var only defaulted elsewhere added", vars: with("NOT_REFERENCED", "x"), wantSame: true},
		{name: "used var changed", vars: with("LOG_LEVEL", "info"), wantSame: false},
		{name: "secret var changed", vars: with("DB_PASSWORD", "other"), wantSame: false},
		{name: "defaulted var now set", vars: with("REPLICAS", "3"), wantSame: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := render(tc.vars).InputDigest
			if (got == base) != tc.wantSame {
				t.Errorf("digest %s vs base %s: same = %v, want %v", got, base, got == base, tc.wantSame)
			}
		})
	}
	write(t, root, "apps/db/a.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: db2\n")
	if render(baseVars).InputDigest == base {
		t.Error("digest did not change with a file's contents")
	}
}

func TestRenderConcurrent(t *testing.T) {
	t.Parallel()
	root := copyRepo(t, "basic")
	e := New(Options{})
	want, err := e.Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "apps/db", Vars: baseVars})
	if err != nil {
		t.Fatal(err)
	}
	wantDump := dump(t, want)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "apps/db", Vars: baseVars})
			if err != nil {
				t.Error(err)
				return
			}
			if diff := cmp.Diff(wantDump, dump(t, res)); diff != "" {
				t.Errorf("concurrent render differs (-want +got):\n%s", diff)
			}
		}()
	}
	wg.Wait()
}

func TestRenderCanceled(t *testing.T) {
	t.Parallel()
	root := copyRepo(t, "basic")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).Render(ctx, &templates.Request{Root: root, App: "db", Path: "apps/db", Vars: baseVars})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Render with a canceled context = %v, want context.Canceled", err)
	}
}

func dump(t *testing.T, res *templates.Result) string { return enginetest.Dump(t, res) }

// golden compares got with the file, or rewrites it under -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	gold.File(t, file, []byte(got), *update)
}

// copyRepo copies testdata/<name> into a fresh, symlink-free root.
func copyRepo(t *testing.T, name string) string {
	t.Helper()
	root := enginetest.TempDir(t)
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatal(err)
	}
	return root
}

func mkdir(t *testing.T, root, rel string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, rel), 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, root, rel, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, rel), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, root, rel string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(root, rel)); err != nil {
		t.Fatal(err)
	}
}

func ExampleEngine_Render() {
	// Root must be absolute and free of symlinks.
	root, _ := filepath.Abs(filepath.Join("testdata", "basic"))
	root, _ = filepath.EvalSymlinks(root)
	res, err := New(Options{}).Render(context.Background(), &templates.Request{
		Root: root,
		App:  "db",
		Path: "apps/db",
		Vars: map[string]string{"REDIS_HOST": "redis", "LOG_LEVEL": "info", "DB_PASSWORD": "x", "EMPTY": ""},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range res.Objects {
		fmt.Printf("%s:%d %s/%s\n", o.File, o.Line, o.Node.GetKind(), o.Node.GetName())
	}
	// Output:
	// apps/db/a-b.yaml:1 Secret/db-dev
	// apps/db/a.yaml:1 ServiceAccount/db
	// apps/db/a/b.yaml:4 ConfigMap/from-list-1
	// apps/db/a/b.yaml:8 ConfigMap/from-list-2
	// apps/db/deployment.yaml:4 Deployment/db
	// apps/db/nested/deeper/pdb.yaml:3 PodDisruptionBudget/db
	// apps/db/service.yml:2 Service/db
	// apps/db/service.yml:13 ConfigMap/db-config
}

// encryptSOPS returns obj (YAML) encrypted with SOPS to a new age key,
// its data and stringData only, as `sops --encrypt --encrypted-regex
// '^(data|stringData)$'` writes it, and the key.
func encryptSOPS(t *testing.T, obj string) ([]byte, sopsyaml.Identities) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := sopsyaml.ParseIdentities(id.String())
	if err != nil {
		t.Fatal(err)
	}
	n, err := kyaml.Parse(obj)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := sopsyaml.Encrypt(n.YNode(), sopsyaml.Options{Age: []string{id.Recipient().String()}, EncryptedRegex: "^(data|stringData)$", Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return enc, ids
}

// TestRenderSOPS: the yaml engine substitutes ${VAR} in the documents of
// a file around a SOPS-encrypted one and leaves that one byte for byte,
// so its MAC still holds. The sops metadata holds a "$" nowhere, but a
// readable field of the encrypted document may: that is refused, since
// replacing it would break the MAC and leaving it would deploy the text.
func TestRenderSOPS(t *testing.T) {
	t.Parallel()
	secretDoc, ids := encryptSOPS(t, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: instavote\nstringData:\n  password: literal-${NOT_A_VAR}-in-the-plaintext\n")
	withVar, _ := encryptSOPS(t, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: ${NS}\n  labels:\n    level: $${LOG_LEVEL}\nstringData:\n  token: abc\n")

	root := enginetest.TempDir(t)
	mkdir(t, root, "apps/db")
	write(t, root, "apps/db/all.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before\ndata:\n  level: ${LOG_LEVEL}\n---\n"+
		string(secretDoc)+"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after\ndata:\n  host: ${REDIS_HOST}\n")
	req := &templates.Request{Root: root, App: "db", Namespace: "instavote", Env: "dev", Path: "apps/db", Vars: baseVars}
	res, err := New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 3 {
		t.Fatalf("got %d objects, want 3", len(res.Objects))
	}
	if got := res.Objects[1].Raw; !bytes.Equal(got, secretDoc) {
		t.Errorf("the SOPS document changed:\n%s\nwant\n%s", got, secretDoc)
	}
	if _, err := sopsyaml.Decrypt(res.Objects[1].Raw, ids); err != nil {
		t.Errorf("the SOPS document does not decrypt: %v", err)
	}
	for i, want := range []string{"level: debug", "", "host: redis-master.instavote.svc"} {
		if got := res.Objects[i].Node.MustString(); !strings.Contains(got, want) {
			t.Errorf("object %d is not substituted:\n%s", i, got)
		}
	}
	if diff := cmp.Diff(map[string]any{"REDIS_HOST": baseVars["REDIS_HOST"], "LOG_LEVEL": baseVars["LOG_LEVEL"]}, res.Params["vars"]); diff != "" {
		t.Errorf("vars used (-want +got):\n%s", diff)
	}

	// A placeholder inside a SOPS document, next to an undefined variable
	// outside one: both reported, each at its own line.
	write(t, root, "apps/db/all.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before\ndata:\n  level: ${UNDEFINED}\n---\n"+string(withVar))
	_, err = New(Options{}).Render(context.Background(), req)
	if err == nil {
		t.Fatal("a placeholder in a SOPS document was accepted")
	}
	checkErr(t, err, baseVars)
	golden(t, filepath.Join("testdata", "golden", "sops.golden"), "error:\n"+err.Error()+"\n")
}

// TestRenderSubstituteDisabled: an object annotated or labelled
// kustomize.toolkit.fluxcd.io/substitute: disabled keeps its ${...} as
// written, undefined ones included, as under Flux's postBuild; the other
// objects of the file are substituted and errors keep their lines.
func TestRenderSubstituteDisabled(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	mkdir(t, root, "apps/db")
	script := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n" +
		"data:\n  run.sh: echo ${HOME} $${x} ${LOG_LEVEL}\n"
	labelled := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: labelled\n  labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  a: ${UNDEFINED}\n"
	enabled := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: enabled\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: enabled\ndata:\n  level: ${LOG_LEVEL}\n"
	write(t, root, "apps/db/all.yaml", script+"---\n"+labelled+"---\n"+enabled)
	req := &templates.Request{Root: root, App: "db", Namespace: "instavote", Env: "dev", Path: "apps/db", Vars: baseVars}
	res, err := New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range res.Objects {
		data := o.Node.GetDataMap()
		keys := make([]string, 0, len(data))
		for k, v := range data {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		got = append(got, strings.Join(keys, ","))
	}
	want := []string{"run.sh=echo ${HOME} $${x} ${LOG_LEVEL}", "a=${UNDEFINED}", "level=" + baseVars["LOG_LEVEL"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"LOG_LEVEL": baseVars["LOG_LEVEL"]}, res.Params["vars"]); diff != "" {
		t.Errorf("vars used (-want +got):\n%s", diff)
	}

	// An undefined variable after a disabled object is reported at its
	// own line of the file.
	write(t, root, "apps/db/all.yaml", script+"---\n"+strings.Replace(enabled, "${LOG_LEVEL}", "${NOPE}", 1))
	_, err = New(Options{}).Render(context.Background(), req)
	if err == nil || !strings.HasPrefix(err.Error(), "apps/db/all.yaml:17: app db: variable NOPE is not set") {
		t.Errorf("got %v, want an error at apps/db/all.yaml:17", err)
	}

	// kustomize-controller substitutes a List's items each on its own:
	// a marked item keeps its text (an undefined variable, an escape),
	// the others are substituted, and an error after it keeps its line.
	list := "apiVersion: v1\nkind: List\nitems:\n" +
		"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: first\n  data:\n    level: ${LOG_LEVEL}\n" +
		"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: script\n    annotations:\n      kustomize.toolkit.fluxcd.io/substitute: disabled\n  data:\n    run.sh: echo ${UNDEFINED} $${x}\n" +
		"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: last\n  data:\n    level: ${LOG_LEVEL}\n"
	write(t, root, "apps/db/all.yaml", list)
	res, err = New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, o := range res.Objects {
		for k, v := range o.Node.GetDataMap() {
			got = append(got, o.Node.GetName()+":"+k+"="+v)
		}
	}
	want = []string{"first:level=" + baseVars["LOG_LEVEL"], "script:run.sh=echo ${UNDEFINED} $${x}", "last:level=" + baseVars["LOG_LEVEL"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List items (-want +got):\n%s", diff)
	}
	write(t, root, "apps/db/all.yaml", strings.Replace(list, "name: last\n  data:\n    level: ${LOG_LEVEL}", "name: last\n  data:\n    level: ${NOPE}", 1))
	_, err = New(Options{}).Render(context.Background(), req)
	if err == nil || !strings.HasPrefix(err.Error(), "apps/db/all.yaml:23: app db: variable NOPE is not set") {
		t.Errorf("got %v, want an error at apps/db/all.yaml:23", err)
	}
	// kubectl writes a List's kind and metadata after its items: they
	// are no part of the last item.
	write(t, root, "apps/db/all.yaml", strings.Replace(list, "kind: List\nitems:\n", "items:\n", 1)+"kind: List\nmetadata:\n  resourceVersion: \"${LOG_LEVEL}\"\n")
	res, err = New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatalf("kubectl's List: %v", err)
	}
	got = nil
	for _, o := range res.Objects {
		for k, v := range o.Node.GetDataMap() {
			got = append(got, o.Node.GetName()+":"+k+"="+v)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kubectl's List items (-want +got):\n%s", diff)
	}
	// Items of a flow sequence are no YAML alone: a List that marks some
	// of them cannot be cut, and is refused at its first item.
	write(t, root, "apps/db/all.yaml", "apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {x: '${LOG_LEVEL}'}},\n"+
		"  {apiVersion: v1, kind: ConfigMap, metadata: {name: b, annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}}},\n"+
		"  {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}]\n")
	_, err = New(Options{}).Render(context.Background(), req)
	if err == nil || !strings.HasPrefix(err.Error(), "apps/db/all.yaml:3: app db: a List marks only some of its items") {
		t.Errorf("got %v, want the List refused at apps/db/all.yaml:3", err)
	}
}

// TestSubstitutedErrorsShowNoValue: a secret var whose value starts with
// a character YAML reads as syntax, substituted as Flux substitutes it,
// breaks the file; the parser's error quotes what follows the character
// (an alias's anchor name), a part of the value that no redactor of whole
// values finds. The error names the file and shows no part of the value.
func TestSubstitutedErrorsShowNoValue(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, root, "app/s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  pw: ${PW}\n")
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "app",
		Vars: map[string]string{"PW": "*Sup3rS3cret"}, SecretVars: map[string]bool{"PW": true}})
	var de *diag.Error
	if !errors.As(err, &de) || de.File != "app/s.yaml" || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("Render() error = %v, want one in app/s.yaml without the value", err)
	}
}

// TestSecretVarsSubstitutedWhole: an operator that changes a secret var's
// value (upper case, a cut, a replacement, its length) is an error at its
// line naming the var: the changed value is not one of the forms kiln
// looks for, so it reached a ConfigMap, or a Secret that SOPS left
// unencrypted, unseen. The whole value, a default, and operators on plain
// vars are fine, and so is a document whose substitution is disabled.
func TestSecretVarsSubstitutedWhole(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	req := &templates.Request{Root: root, App: "db", Path: "app",
		Vars: map[string]string{"PW": "hunter2secretXYZ", "HOST": "db"}, SecretVars: map[string]bool{"PW": true}}
	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"+
		"  whole: ${PW}\n  dflt: ${PW:=x}\n  alt: ${PW:+set}\n  host: ${HOST^^}-${HOST:0:1}\n"+
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: later\n  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}\ndata:\n  raw: ${PW^^}\n")
	if _, err := New(Options{}).Render(context.Background(), req); err != nil {
		t.Fatalf("whole values and defaults: %v", err)
	}
	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"+
		"  upper: ${PW^^}\n  cut: ${PW:4}\n  repl: x${PW/hunter/HUNTER}\n  size: \"${#PW}\"\n  nested: ${HOST:=${PW,}}\n")
	_, err := New(Options{}).Render(context.Background(), req)
	if err == nil {
		t.Fatal("secret var transformed: no error")
	}
	got := err.Error()
	for _, want := range []string{`app/cm.yaml:5: app db: secret var PW is changed by the operator "^^"`, `app/cm.yaml:6: app db: secret var PW is changed by the operator ":"`,
		`app/cm.yaml:7: app db: secret var PW is changed by the operator "/"`, `app/cm.yaml:8: app db: secret var PW is changed by the operator "${#PW}"`,
		`app/cm.yaml:9: app db: secret var PW is changed by the operator ","`} {
		if !strings.Contains(got, want) {
			t.Errorf("error lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(strings.ToLower(got), "hunter2") {
		t.Errorf("the error shows the value: %s", got)
	}

	// Escapes of a double-quoted scalar are resolved before its value is
	// evaluated: an operator written as \x5e, or a placeholder whose $ is
	// \x24, is one all the same (an attacker's bypass of a check of the
	// raw line).
	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"+
		"  upper: \"${PW\\x5e^}\"\n  upper2: \"\\x24{PW^^}${HOST:=}\"\n")
	_, err = New(Options{}).Render(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "app/cm.yaml:5: app db: secret var PW is changed by the operator \"^^\"") ||
		!strings.Contains(err.Error(), "app/cm.yaml:6: app db: secret var PW is changed by the operator \"^^\"") {
		t.Errorf("operators behind escapes: %v, want both refused", err)
	}
}

// TestSubstitutedErrorsShowPlainVars: a plain var is in the clear in the
// env file, so the error about what it substituted names it; a secret
// var in the same file stays masked.
func TestSubstitutedErrorsShowPlainVars(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: ${KIND}\nmetadata: {name: c}\n")
	write(t, root, "app/s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  pw: ${PW}\n")
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "app",
		Vars: map[string]string{"KIND": "Config_Map", "PW": "*Sup3rS3cret"}, SecretVars: map[string]bool{"PW": true}})
	if err == nil || !strings.Contains(err.Error(), `kind "Config_Map" is not a kind`) || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("Render() error = %v, want one naming the kind Config_Map and without the secret", err)
	}
}

// TestMultiLineVarsLoseLineBreaks: kustomize-controller removes every
// "\n" from a variable's value before it substitutes (fluxcd/pkg
// kustomize, LoadVariables and postBuild.substitute alike), so a value
// from a block scalar of the env file goes in as one line: quoted, it
// does not fold into a space, and plain, it does not break the document.
// A secret value in that form is masked in errors too.
func TestMultiLineVarsLoseLineBreaks(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  q: \"${V}\"\n  s: '${W}'\n  p: ${W}-x\n  r: ${W/b/B}\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "app",
		Vars: map[string]string{"V": "value\n", "W": "a\nb\n"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"q": "value", "s": "ab", "p": "ab-x", "r": "aB"}
	if diff := cmp.Diff(want, res.Objects[0].Node.GetDataMap()); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}

	// The kind's error quotes the kind: the value in its one-line form.
	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: ${PW}\nmetadata: {name: c}\n")
	_, err = New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "app",
		Vars: map[string]string{"PW": "Sup3r\n_S3cret"}, SecretVars: map[string]bool{"PW": true}})
	if err == nil || !strings.Contains(err.Error(), "is not a kind") || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("Render() error = %v, want one about the kind without the value", err)
	}
}

// TestQuotedPlaceholdersGetTheValue: a placeholder inside quotes gets the
// value as it is, as Flux gives it. kiln inserted the value as text, so
// inside double quotes YAML read a Windows path's "\n" and "\t" as a line
// break and a tab, a regexp's "\d" made the file unreadable, and inside
// single quotes a "'" ended the string: the cluster got another value
// than the env file holds, or the app failed with a YAML error.
func TestQuotedPlaceholdersGetTheValue(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"+
		"  path: \"${WIN}\"\n  pattern: \"${RE}\"\n  says: '${Q}'\n  json: \"${JSON}\"\n  both: \"${Q} at ${WIN}\" # ${Q}\n  plain: ${WIN}\n")
	vars := map[string]string{"WIN": `C:\new\table`, "RE": `^\d+$`, "Q": "it's", "JSON": `{"a": "b"}`}
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "app", Vars: vars})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"path": vars["WIN"], "pattern": vars["RE"], "says": "it's", "json": vars["JSON"],
		"both": `it's at C:\new\table`, "plain": vars["WIN"]}
	if diff := cmp.Diff(want, res.Objects[0].Node.GetDataMap()); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"vars": map[string]any{"JSON": vars["JSON"], "Q": "it's", "RE": vars["RE"], "WIN": vars["WIN"]}}, res.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}

	// Over two lines the string cannot be rewritten in place: an error
	// at the placeholder's line, naming no value.
	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  path: \"at\n    ${WIN}\"\n")
	_, err = New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "app", Vars: vars})
	wantErr := "app/cm.yaml:6: app db: a quoted string that spans lines holds \"${WIN}\", and a value holds a character its quotes would read as syntax (\\ or \" in double quotes, ' in single quotes)\n" +
		"  hint: write the quoted string on one line, or as a block scalar (|)"
	if err == nil || err.Error() != wantErr {
		t.Errorf("Render() error = %v, want\n%s", err, wantErr)
	}
}

// TestPlaceholderValueStartingAComment: a value inserted into a plain
// scalar that makes YAML read a comment or an anchor loses part of itself
// without a word (a colour "#ff0000" became null, a password "p@ss #1"
// became "p@ss"), in Flux too. kiln refuses it at its line, naming the
// placeholder and not the value, and quoting the placeholder keeps it.
func TestPlaceholderValueStartingAComment(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"COLOR": "#ff0000", "PW": "p@ss #1"}
	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: c}\nstringData:\n  color: ${COLOR}\n  pw: ${PW}\n")
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "app", Vars: vars, SecretVars: map[string]bool{"PW": true}})
	hint := "  hint: quote the placeholder (\"${NAME}\" gives any value as it is), or change the value"
	want := "app/cm.yaml:5: app db: \"${COLOR}\": a value there makes YAML read a comment: the rest of the value would be lost (as it would in Flux)\n" + hint + "\n" +
		"app/cm.yaml:6: app db: \"${PW}\": a value there makes YAML read a comment: the rest of the value would be lost (as it would in Flux)\n" + hint
	if err == nil || err.Error() != want {
		t.Errorf("Render() error = %v, want\n%s", err, want)
	}

	write(t, root, "app/cm.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: c}\nstringData:\n  color: \"${COLOR}\"\n  pw: '${PW}'\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "app", Vars: vars, SecretVars: map[string]bool{"PW": true}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := res.Objects[0].Node.Field("stringData").Value.Map()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range m {
		got[k] = fmt.Sprint(v)
	}
	if diff := cmp.Diff(map[string]string{"color": "#ff0000", "pw": "p@ss #1"}, got); diff != "" {
		t.Errorf("stringData (-want +got):\n%s", diff)
	}
}

// TestSubstitutionBounded: placeholders that would add more than kiln's
// output bound are an error at their file and line, in one file or
// across the app's files, before the text is built; so is an expression
// on which Flux's envsubst crashes.
func TestSubstitutionBounded(t *testing.T) {
	t.Parallel()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  a: |\n    %s\n"
	big := strings.Repeat("a", 8<<20)
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
		limit   bool
		// maxAdded lowers the app's bound, which would take 64 MiB
		// of YAML to reach: too slow a parse under -race.
		maxAdded int
	}{
		{
			name:  "one file",
			files: map[string]string{"a.yaml": fmt.Sprintf(cm, "a", "${BIG//a/${BIG}}")},
			wantErr: `apps/db/a.yaml:7: app db: substituting "${BIG//a/${BIG}}": the text that substituting the file's placeholders produces exceeds kiln's limit of 64 MiB` +
				"\n  hint: the values substituted here are far longer than a manifest needs; " + limits.Hint,
			limit: true,
		},
		{
			name: "across files",
			// With the bound lowered to 1 MiB (see below).
			files: map[string]string{
				"a.yaml": fmt.Sprintf(cm, "a", "${MID}"),
				"b.yaml": fmt.Sprintf(cm, "b", "${MID}"),
				"c.yaml": fmt.Sprintf(cm, "c", "${MID}"),
			},
			maxAdded: 1 << 20,
			wantErr: "apps/db/c.yaml: app db: the text that substituting placeholders adds to the app's files exceeds kiln's limit of 1 MiB (reached at this file)" +
				"\n  hint: the values substituted are far longer than manifests need; " + limits.Hint,
			limit: true,
		},
		{
			name:  "a length that overflows",
			files: map[string]string{"a.yaml": fmt.Sprintf(cm, "a", "${LOG_LEVEL:1:9223372036854775807}")},
			wantErr: `apps/db/a.yaml:7: app db: Flux's envsubst fails on the line of "${LOG_LEVEL:1:9223372036854775807}": its evaluation crashes (kustomize-controller's too)` +
				"\n  hint: give ${NAME:offset:length} an offset and a length that fit the value (a length beyond its end, not one near 2^63)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := enginetest.TempDir(t)
			mkdir(t, root, "apps/db")
			for name, data := range tc.files {
				write(t, root, "apps/db/"+name, data)
			}
			vars := maps.Clone(baseVars)
			vars["BIG"] = big
			vars["MID"] = strings.Repeat("b", 400<<10)
			e := New(Options{})
			if tc.maxAdded > 0 {
				e.maxAdded = tc.maxAdded
			}
			_, err := e.Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "apps/db", Vars: vars})
			if err == nil {
				t.Fatal("Render() succeeded, want an error")
			}
			if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if errors.Is(err, limits.ErrLimit) != tc.limit {
				t.Errorf("errors.Is(err, limits.ErrLimit) = %v, want %v", !tc.limit, tc.limit)
			}
		})
	}
}

// TestSymlinkBomb: links that lead to a folder the walk reaches anyway
// double the walk at each level; 24 links would make it walk 2^12
// folders, past the bound lowered to 1000 (the real one, 100,000, takes
// 20 levels and seconds under -race). The walk is bounded, an error
// naming the app's folder.
func TestSymlinkBomb(t *testing.T) {
	t.Parallel()
	root := enginetest.TempDir(t)
	const levels = 12
	for i := 0; i <= levels; i++ {
		if err := os.MkdirAll(filepath.Join(root, fmt.Sprintf("d%d", i)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < levels; i++ {
		for _, name := range []string{"a", "b"} {
			if err := os.Symlink(fmt.Sprintf("../d%d", i+1), filepath.Join(root, fmt.Sprintf("d%d", i), name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("d%d", levels), "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := New(Options{})
	e.maxEntries = 1000
	_, err := e.Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "d0", Vars: baseVars})
	want := "d0: app db: the entries below the folder, each counted every time a symlink leads to it exceeds kiln's limit of 1000\n" +
		"  hint: a symlink to a folder the walk reaches anyway makes it walk that folder again, and each such link doubles the walk; remove such links, or split the app"
	if err == nil {
		t.Fatal("Render() succeeded, want an error")
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if !errors.Is(err, limits.ErrLimit) {
		t.Errorf("errors.Is(err, limits.ErrLimit) = false")
	}
}

// TestWalkStopsWithContext: the walk of a large tree stops when the
// render's context ends.
func TestWalkStopsWithContext(t *testing.T) {
	t.Parallel()
	root := copyRepo(t, "basic")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := deps.New(root)
	if _, err := list(ctx, rec, root, "apps/db", maxEntries); !errors.Is(err, context.Canceled) {
		t.Errorf("list with a canceled context = %v, want context.Canceled", err)
	}
}

// TestUTF16Files: a YAML file in UTF-16 with a byte order mark (what
// Windows PowerShell's `>` writes), which YAML readers and so Flux
// decode, has its placeholders substituted like a UTF-8 file's.
func TestUTF16Files(t *testing.T) {
	t.Parallel()
	text := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  host: ${REDIS_HOST}\n  note: \"é ${LOG_LEVEL} 😀\"\n"
	encode := func(big bool) []byte {
		var out []byte
		put := func(u uint16) {
			if big {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
		put(0xFEFF)
		for _, u := range utf16.Encode([]rune(text)) {
			put(u)
		}
		return out
	}
	for _, big := range []bool{false, true} {
		root := enginetest.TempDir(t)
		if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "app", "cm.yaml"), encode(big), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "app", Vars: baseVars})
		if err != nil {
			t.Fatalf("big endian %v: %v", big, err)
		}
		got := res.Objects[0].Node.GetDataMap()
		want := map[string]string{"host": "redis-master.instavote.svc", "note": "é debug 😀"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("big endian %v: data (-want +got):\n%s", big, diff)
		}
		if diff := cmp.Diff([]string{"LOG_LEVEL", "REDIS_HOST"}, slices.Sorted(maps.Keys(res.Params["vars"].(map[string]any)))); diff != "" {
			t.Errorf("big endian %v: vars used (-want +got):\n%s", big, diff)
		}
	}
}

// TestAppOutputBounded: an app's files are one engine output, bounded
// together like Helm's templates, not each on its own: their documents
// (two files of 50,001 documents) and their size (with the bound lowered
// to 1 MiB: three files of 400 KiB).
func TestAppOutputBounded(t *testing.T) {
	t.Parallel()
	docs := strings.Repeat("--- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n", 50001)
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  a: " + strings.Repeat("b", 400<<10) + "\n"
	tests := []struct {
		name      string
		files     map[string]string
		maxOutput int
		wantErr   string
	}{
		{name: "documents", files: map[string]string{"a.yaml": docs, "b.yaml": docs},
			wantErr: "apps/db/b.yaml:50000: app db: the number of YAML documents exceeds kiln's limit of 100000\n  hint: " + limits.Hint},
		{name: "size", files: map[string]string{"a.yaml": fmt.Sprintf(cm, "a"), "b.yaml": fmt.Sprintf(cm, "b"), "c.yaml": fmt.Sprintf(cm, "c")}, maxOutput: 1 << 20,
			wantErr: "apps/db/c.yaml: app db: the size of the app's YAML files together exceeds kiln's limit of 1 MiB (reached at this file)\n  hint: split the app into several apps; " + limits.Hint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := enginetest.TempDir(t)
			mkdir(t, root, "apps/db")
			for name, data := range tc.files {
				write(t, root, "apps/db/"+name, data)
			}
			e := New(Options{})
			if tc.maxOutput > 0 {
				e.maxOutput = tc.maxOutput
			}
			_, err := e.Render(context.Background(), &templates.Request{Root: root, App: "db", Path: "apps/db"})
			if err == nil {
				t.Fatal("Render() succeeded, want an error")
			}
			if !errors.Is(err, limits.ErrLimit) {
				t.Errorf("errors.Is(err, limits.ErrLimit) = false for %.300v", err)
			}
			if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%.2000s", diff)
			}
		})
	}
}
