package prbody

import (
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/golden"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

var update = flag.Bool("update", false, "rewrite golden files")

const commit = "b1331395b21e02a5f839ad59ba4626be8c3efe46"

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	return golden.ReadTree(t, dir)
}

func lockOf(t *testing.T, tree map[string][]byte) *lockfile.Lock {
	t.Helper()
	if tree == nil {
		return nil
	}
	l, err := lockfile.Parse(tree["kiln.lock.json"])
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// input builds an Input from two trees, as promote does.
func input(t *testing.T, env string, old, new map[string][]byte) Input {
	t.Helper()
	return Input{
		Env: env, SourceRepo: "https://github.com/acme/instavote", SourceCommit: commit,
		Old: lockOf(t, old), New: lockOf(t, new), Changes: treediff.Trees(old, new),
	}
}

// bigConfigMap is an app object of n data lines, tagged so two versions
// differ on every line.
func bigConfigMap(name string, n int, tag string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: instavote\ndata:\n", name)
	for i := range n {
		fmt.Fprintf(&b, "  key%05d: value-%s-%d\n", i, tag, i)
	}
	return []byte(b.String())
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	old := readTree(t, "testdata/update/old")
	new := readTree(t, "testdata/update/new")
	graph, err := os.ReadFile("testdata/update/graph.mmd")
	if err != nil {
		t.Fatal(err)
	}

	removed := maps.Clone(old)
	for p := range removed {
		if treediff.AppOf(p) == "vote" {
			delete(removed, p)
		}
	}
	lock := lockOf(t, old)
	delete(lock.Apps, "vote")
	lj, err := json.MarshalIndent(lock, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	removed["kiln.lock.json"] = append(lj, '\n')

	bigOld, bigNew := maps.Clone(old), maps.Clone(old)
	bigOld["apps/big/configmap_big.yaml"] = bigConfigMap("big", 1000, "a")
	bigNew["apps/big/configmap_big.yaml"] = bigConfigMap("big", 1000, "b")
	bigOld["apps/bigger/configmap_bigger.yaml"] = bigConfigMap("bigger", 1400, "a")
	bigNew["apps/bigger/configmap_bigger.yaml"] = bigConfigMap("bigger", 1400, "b")

	for _, tc := range []struct {
		name string
		in   func() Input
	}{
		{
			name: "first",
			in: func() Input {
				in := input(t, "dev", nil, new)
				// The test tree holds only vote and worker.
				for app := range in.New.Apps {
					if app != "vote" && app != "worker" {
						delete(in.New.Apps, app)
					}
				}
				in.Mermaid = string(graph)
				return in
			},
		},
		{
			name: "update",
			in: func() Input {
				in := input(t, "dev", old, new)
				in.Mermaid = string(graph)
				return in
			},
		},
		{
			name: "remove-app",
			in: func() Input {
				in := input(t, "dev", old, removed)
				return in
			},
		},
		{
			name: "over-limit",
			in: func() Input {
				in := input(t, "dev", bigOld, bigNew)
				for _, l := range []*lockfile.Lock{in.Old, in.New} {
					l.Apps["big"] = lockfile.App{Engine: "yaml", Objects: 1}
					l.Apps["bigger"] = lockfile.App{Engine: "yaml", Objects: 1}
				}
				in.Mermaid = string(graph)
				return in
			},
		},
		{
			name: "unappliable",
			in: func() Input {
				in := input(t, "dev", old, new)
				in.Unappliable = []string{"`apps/vote/job_migrate.yaml`: Job/instavote/migrate: spec.template changes, which the API server refuses on an existing object"}
				return in
			},
		},
		{
			name: "moved",
			in: func() Input {
				in := input(t, "dev", old, new)
				in.Moved = []string{"`apps/store/persistentvolumeclaim_data.yaml`: PersistentVolumeClaim/instavote/data moves from app db to app store: Flux may delete it before it recreates it"}
				return in
			},
		},
		{
			name: "unstable",
			in: func() Input {
				in := input(t, "dev", old, new)
				in.Unstable = []string{"`apps/db/secret_db.yaml`: app db: Secret/instavote/db changes though the app's inputs did not (its inputDigest and kiln's version are the env's current render's): a template draws random values or reads the clock"}
				return in
			},
		},
		{
			name: "promoted-from",
			in: func() Input {
				in := input(t, "staging", old, new)
				in.PromotedFrom = "dev"
				in.SourceRepo = "https://x-access-token:s3cr3t@github.com/acme/instavote.git"
				return in
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tc.in()
			got := Render(in)
			if len(got) > Limit {
				t.Errorf("body is %d bytes, over the limit %d", len(got), Limit)
			}
			if again := Render(in); again != got {
				t.Error("Render is not deterministic")
			}
			if strings.Contains(got, "s3cr3t") {
				t.Error("the body holds the credentials of the source URL")
			}
			golden.File(t, filepath.Join("testdata", tc.name+".md"), []byte(got), *update)
		})
	}
}

func TestRenderCuts(t *testing.T) {
	t.Parallel()
	old, new := map[string][]byte{}, map[string][]byte{}
	// Ten apps whose diffs are each ~10 KB: six fit.
	for i := range 10 {
		p := fmt.Sprintf("apps/app%d/configmap_c.yaml", i)
		old[p] = bigConfigMap("c", 200+i, "a")
		new[p] = bigConfigMap("c", 200+i, "b")
	}
	got := Render(Input{Env: "dev", Changes: treediff.Trees(old, new)})
	if len(got) > Limit {
		t.Fatalf("body is %d bytes, over the limit", len(got))
	}
	var kept, left []string
	for i := range 10 {
		app := fmt.Sprintf("app%d", i)
		switch {
		case strings.Contains(got, "diff of `"+app+"` left out"):
			left = append(left, app)
		case strings.Contains(got, "+++ b/apps/"+app+"/"):
			kept = append(kept, app)
		default:
			t.Errorf("%s is neither shown nor left out", app)
		}
	}
	// The largest go first: the smallest ones stay.
	want := []string{"app0", "app1", "app2", "app3", "app4", "app5"}
	if d := cmp.Diff(want, kept); d != "" {
		t.Errorf("kept diffs (-want +got):\n%s", d)
	}
	if !strings.Contains(got, "the diffs of `app9`, `app8`, `app7`, `app6` (largest first) were left out") {
		t.Errorf("the note at the top does not name the left-out diffs:\n%s", got[:min(len(got), 600)])
	}
}

// TestRenderHugeTable: with thousands of apps even the table does not fit;
// the body is still within the limit and says it was cut.
func TestRenderHugeTable(t *testing.T) {
	t.Parallel()
	lock := &lockfile.Lock{Apps: map[string]lockfile.App{}}
	for i := range 3000 {
		lock.Apps[fmt.Sprintf("app-%04d", i)] = lockfile.App{Engine: "helm", Images: []string{fmt.Sprintf("registry.example.com/team/app-%04d:1.0.0", i)}}
	}
	got := Render(Input{Env: "dev", New: lock, Mermaid: "graph LR\n  a --> b\n"})
	if len(got) > Limit {
		t.Fatalf("body is %d bytes, over the limit", len(got))
	}
	for _, want := range []string{"the dependency graph was left out", "**Cut here:**"} {
		if !strings.Contains(got, want) {
			t.Errorf("body does not say %q", want)
		}
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	type img struct{ Repo, Version string }
	for _, tc := range []struct {
		ref  string
		want img
	}{
		{ref: "redis", want: img{"redis", "latest"}},
		{ref: "redis:7.2", want: img{"redis", "7.2"}},
		{ref: "localhost:5000/team/app:1.0", want: img{"localhost:5000/team/app", "1.0"}},
		{ref: "localhost:5000/team/app", want: img{"localhost:5000/team/app", "latest"}},
		{ref: "ghcr.io/a/b:1.0@sha256:0123456789abcdef0123", want: img{"ghcr.io/a/b", "1.0@sha256:0123456789ab"}},
		{ref: "ghcr.io/a/b@sha256:0123456789abcdef0123", want: img{"ghcr.io/a/b", "sha256:0123456789ab"}},
	} {
		r, v := splitImage(tc.ref)
		if d := cmp.Diff(tc.want, img{r, v}); d != "" {
			t.Errorf("splitImage(%q) (-want +got):\n%s", tc.ref, d)
		}
	}

	type gh struct {
		Owner, Repo string
		OK          bool
	}
	for _, tc := range []struct {
		url  string
		want gh
	}{
		{url: "https://github.com/acme/instavote", want: gh{"acme", "instavote", true}},
		{url: "https://github.com/acme/instavote.git", want: gh{"acme", "instavote", true}},
		{url: "https://tok@github.com/acme/instavote/", want: gh{"acme", "instavote", true}},
		{url: "git@github.com:acme/instavote.git", want: gh{"acme", "instavote", true}},
		{url: "ssh://git@github.com/acme/instavote.git", want: gh{"acme", "instavote", true}},
		{url: "https://gitlab.com/acme/instavote", want: gh{}},
		{url: "https://github.com/acme", want: gh{}},
		{url: "https://github.com/acme/instavote/tree/main", want: gh{}},
		{url: "/srv/git/instavote", want: gh{}},
	} {
		o, r, ok := gitHubRepo(tc.url)
		if d := cmp.Diff(tc.want, gh{o, r, ok}); d != "" {
			t.Errorf("gitHubRepo(%q) (-want +got):\n%s", tc.url, d)
		}
	}

	for in, want := range map[string]string{
		"https://user:tok@gitlab.com/a/b.git": "https://gitlab.com/a/b.git",
		// A lock written before kiln dropped a remote's query.
		"https://gitlab.com/a/b.git?private_token=tok": "https://gitlab.com/a/b.git",
		"git@gitlab.com:a/b.git":                       "gitlab.com:a/b.git",
		"/srv/git/b":                                   "/srv/git/b",
	} {
		if got := withoutCredentials(in); got != want {
			t.Errorf("withoutCredentials(%q) = %q, want %q", in, got, want)
		}
	}

	for in, want := range map[string]string{"dev": "`dev`", "a`b": "``a`b``", "`x": "`` `x ``"} {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add("dev", "https://github.com/acme/x", commit, "", "apps/a/x.yaml", "kind: A\n", "kind: B\n")
	f.Add("st`g", "git@github.com:a/b", "zz", "d|ev", "flux/a.yaml", "", "x")
	f.Add("d\u200Bev", "https://github.com/a/b", "c\u202E", "\u00A0", "apps/\uFEFFa/x.yaml", "k: v\r\n", "k: v\u200B\n")
	f.Fuzz(func(t *testing.T, env, repo, commit, from, path, old, new string) {
		o, n := map[string][]byte{path: []byte(old)}, map[string][]byte{path: []byte(new)}
		got := Render(Input{Env: env, SourceRepo: repo, SourceCommit: commit, PromotedFrom: from, Changes: treediff.Trees(o, n)})
		if len(got) > Limit {
			t.Fatalf("body is %d bytes", len(got))
		}
		// Whatever the names and lines hold, the body is UTF-8 and shows
		// no character a reader cannot see, a CR neither.
		if !utf8.ValidString(got) {
			t.Fatalf("body is not UTF-8: %q", got)
		}
		if i := strings.IndexFunc(got, func(r rune) bool {
			return r == '\r' || r == 0x202e || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zs, r) && r != ' '
		}); i >= 0 {
			t.Fatalf("an invisible character at byte %d of the body: %q", i, got)
		}
	})
}

// TestRenderManyWarnings: the warnings at the top are never cut, so a
// release that changes a Job in each of hundreds of apps filled the body
// with them and cut the apps table off. Each list names at most 20, then
// how many more kiln diff shows.
func TestRenderManyWarnings(t *testing.T) {
	t.Parallel()
	old, new := map[string][]byte{}, map[string][]byte{}
	var warnings []string
	for i := range 200 {
		p := fmt.Sprintf("apps/app%03d/job_migrate.yaml", i)
		old[p], new[p] = bigConfigMap("c", 1, "a"), bigConfigMap("c", 1, "b")
		warnings = append(warnings, fmt.Sprintf("`%s`: `Job/app%03d/migrate`: spec.template changes, which the API server refuses on an existing object (a Job's pod template cannot change): Flux's apply will fail until the object is deleted", p, i))
	}
	in := Input{Env: "prod", Changes: treediff.Trees(old, new), Unappliable: warnings, Moved: warnings[:21]}
	got := Render(in)
	if len(got) > Limit {
		t.Fatalf("body is %d bytes, over the limit", len(got))
	}
	if got != Render(in) {
		t.Error("two renders differ")
	}
	for _, want := range []string{
		"> - " + warnings[19] + "\n> - and 180 more: run `kiln diff --env prod` to see every one\n",
		"> - " + warnings[19] + "\n> - and 1 more: run `kiln diff --env prod` to see every one\n",
		"| `app199` | — | changed | +0 ~1 -0 |  |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the body does not hold %q:\n%s", want, got[:min(len(got), 3000)])
		}
	}
	if strings.Contains(got, warnings[20]) || strings.Contains(got, "**Cut here:**") {
		t.Errorf("the body lists more than 20 warnings, or is cut:\n%s", got[:min(len(got), 3000)])
	}
}

// TestRenderCutClosesDetails: when even the left-out diffs' notes do not
// fit, the body is cut at a line; a cut inside an app's <details> block
// left it open, so the note that the body was cut sat folded away inside
// the last app's block. The cut goes before that block instead.
func TestRenderCutClosesDetails(t *testing.T) {
	t.Parallel()
	for _, n := range []int{420, 421, 422, 423, 424, 425} {
		old, new := map[string][]byte{}, map[string][]byte{}
		for i := range n {
			p := fmt.Sprintf("apps/application-with-a-long-name-%04d/configmap_c.yaml", i)
			old[p], new[p] = bigConfigMap("c", 1, "a"), bigConfigMap("c", 1, "b")
		}
		got := Render(Input{Env: "dev", Changes: treediff.Trees(old, new)})
		if len(got) > Limit || !strings.Contains(got, "**Cut here:**") {
			t.Fatalf("%d apps: body of %d bytes, cut: %v", n, len(got), strings.Contains(got, "**Cut here:**"))
		}
		if open, closed := strings.Count(got, "<details>"), strings.Count(got, "</details>"); open != closed {
			t.Errorf("%d apps: %d <details> but %d </details>; the body ends:\n%s", n, open, closed, got[len(got)-400:])
		}
	}
}

// TestRenderMeasuresRedacted: the body was masked after it was measured,
// and a mask longer than the value it replaces pushed a body near the
// limit over it, which GitHub refuses. Render masks before it measures.
func TestRenderMeasuresRedacted(t *testing.T) {
	t.Parallel()
	old, new := map[string][]byte{}, map[string][]byte{}
	for i := range 10 {
		p := fmt.Sprintf("apps/app%d/configmap_c.yaml", i)
		old[p] = bigConfigMap("c", 200+i, "a")
		new[p] = bigConfigMap("c", 200+i, "b")
	}
	in := Input{Env: "dev", Changes: treediff.Trees(old, new),
		Redact: func(s string) string { return strings.ReplaceAll(s, "value-b", "**redacted** and then some") }}
	got := Render(in)
	if len(got) > Limit {
		t.Fatalf("body is %d bytes, over the limit", len(got))
	}
	if strings.Contains(got, "value-b") || !strings.Contains(got, "**redacted** and then some") {
		t.Error("the body is not redacted")
	}
}

// TestRenderForeignAppNames: the old lock comes from the manifests
// repository, where anyone who can push may have edited it; its app names
// must not mention people, link issues or open HTML in the body. Every
// occurrence sits in a code span or <code>, escaped.
func TestRenderForeignAppNames(t *testing.T) {
	t.Parallel()
	names := []string{"@acme-admins", "#12", "<img src=x>", "a|b"}
	old := &lockfile.Lock{Apps: map[string]lockfile.App{}}
	oldTree, newTree := map[string][]byte{}, map[string][]byte{}
	for _, n := range names {
		old.Apps[n] = lockfile.App{Engine: "yaml"}
		oldTree["apps/"+n+"/configmap_c.yaml"] = bigConfigMap("c", 1, "a")
	}
	got := Render(Input{Env: "dev", Old: old, New: &lockfile.Lock{Apps: map[string]lockfile.App{}}, Changes: treediff.Trees(oldTree, newTree)})
	for _, n := range names {
		if !strings.Contains(got, "<summary><code>"+html.EscapeString(n)+"</code>") {
			t.Errorf("%q: no <summary> with it in <code>", n)
		}
	}
	// Outside code spans, <code> and fenced diffs, no name is left.
	plain := regexp.MustCompile("(?s)```.*?```|<code>.*?</code>|`[^`\n]*`").ReplaceAllString(got, "")
	for _, bad := range []string{"@acme", "#12", "<img"} {
		if strings.Contains(plain, bad) {
			t.Errorf("%q outside code in the body:\n%s", bad, got)
		}
	}
}

// TestRenderControlCharacters: app names of a lock on the manifests
// branch, file names and manifest lines are text kiln does not control.
// The body holds none of their control characters but line feeds and
// tabs: an escape sequence, a carriage return, NUL and the bidi controls
// (which GitHub would show reordering the text a reviewer reads) are in
// caret notation, and a name's line feeds cannot end its code span.
func TestRenderControlCharacters(t *testing.T) {
	t.Parallel()
	names := []string{"a\u202Eevil", "b\n\n# Heading", "c\x1b[2J\r\x00"}
	old := &lockfile.Lock{Apps: map[string]lockfile.App{}}
	oldTree, newTree := map[string][]byte{}, map[string][]byte{}
	for _, n := range names {
		old.Apps[n] = lockfile.App{Engine: "yaml"}
		oldTree["apps/"+n+"/configmap_c.yaml"] = []byte("kind: ConfigMap\ndata:\n  x: \"\u2066tab\there\u2069 \x1b]0;t\x07\"\n")
	}
	got := Render(Input{Env: "dev", Old: old, New: &lockfile.Lock{Apps: map[string]lockfile.App{}}, Changes: treediff.Trees(oldTree, newTree)})
	if i := strings.IndexFunc(got, func(r rune) bool {
		return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || r == 0x202e || r == 0x2066 || r == 0x2069
	}); i >= 0 {
		t.Errorf("a control character at byte %d of the body:\n%q", i, got)
	}
	if outside := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(got, ""); strings.Contains(outside, "\n# Heading") {
		t.Errorf("a name's line feeds made a heading:\n%s", got)
	}
	for _, want := range []string{`a\u202Eevil`, "b^J^J# Heading", "c^[[2J^M^@", `\u2066tab` + "\there" + `\u2069 ^[]0;t^G`} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the body:\n%s", want, got)
		}
	}
}

// invisibleTrees are two trees of one app whose ConfigMap differs only by
// characters a reviewer cannot see, beside visible non-ASCII text, and a
// file that changes its line endings alone (CR LF to LF).
func invisibleTrees() (old, new map[string][]byte) {
	cm := func(host, owner, mode string) []byte {
		return []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n" +
			"  greeting: café 日本 🙂 ⚠\uFE0F\n  host: " + host + "\n  owner: " + owner + "\n  mode: " + mode + "\n")
	}
	lf := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: endings\n  namespace: shop\n"
	old = map[string][]byte{
		"apps/web/configmap_settings.yaml": cm("db.internal", "admin", "strict mode"),
		"apps/web/configmap_endings.yaml":  []byte(strings.ReplaceAll(lf, "\n", "\r\n")),
	}
	new = map[string][]byte{
		// A zero-width space, a right-to-left override that GitHub draws
		// as "admin", a no-break space.
		"apps/web/configmap_settings.yaml": cm("db\u200B.internal", "\u202Enimda", "strict\u00A0mode"),
		"apps/web/configmap_endings.yaml":  []byte(lf),
	}
	return old, new
}

// TestRenderInvisible: a value that differs by a zero-width space, a bidi
// override or a no-break space alone, and a file whose line endings alone
// change, showed in the body's diff as pairs of lines that look the same
// (or, for the override, as what it is not), so a reviewer approved a
// change they could not see. The body shows them escaped, and a CR before
// a line feed as ^M; visible text of any script stays as it is.
func TestRenderInvisible(t *testing.T) {
	t.Parallel()
	old, new := invisibleTrees()
	got := Render(Input{Env: "dev", Changes: treediff.Trees(old, new)})
	golden.File(t, filepath.Join("testdata", "invisible.md"), []byte(got), *update)
	for _, want := range []string{
		"-  host: db.internal\n",
		"+  host: db\\u200B.internal\n",
		"+  owner: \\u202Enimda\n",
		"+  mode: strict\\u00A0mode\n",
		"   greeting: café 日本 🙂 ⚠\uFE0F\n",
		"-kind: ConfigMap^M\n-metadata:^M\n",
		"+kind: ConfigMap\n+metadata:\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the body:\n%s", want, got)
		}
	}
	if i := strings.IndexAny(got, "\u200B\u202E\u00A0\r"); i >= 0 {
		t.Errorf("an invisible character at byte %d of the body:\n%q", i, got)
	}
}

// TestRenderMasksBeforeEscaping: the body is masked, then escaped. A
// secret value holding a zero-width space, escaped first, would no longer
// be the text its mask is looked for by, and reach the body.
func TestRenderMasksBeforeEscaping(t *testing.T) {
	t.Parallel()
	const secret = "hunter\u200B2\u00A0!"
	old := map[string][]byte{"apps/web/configmap_c.yaml": []byte("kind: ConfigMap\ndata:\n  url: https://u:old@db\n")}
	new := map[string][]byte{"apps/web/configmap_c.yaml": []byte("kind: ConfigMap\ndata:\n  url: https://u:" + secret + "@db\n")}
	got := Render(Input{Env: "dev", Changes: treediff.Trees(old, new),
		Redact: func(s string) string { return strings.ReplaceAll(s, secret, "**redacted**") }})
	if strings.Contains(got, "hunter") || !strings.Contains(got, "+  url: https://u:**redacted**@db\n") {
		t.Errorf("the secret value is not masked:\n%s", got)
	}
}

// TestRenderForeignEngine: an app the new tree no longer has is shown
// with the engine its old lock names, and that lock is the manifests
// repository's, which anyone who can push there may have edited, as its
// app names (TestRenderForeignAppNames): the engine must not mention
// people, link issues or open HTML in the table either.
func TestRenderForeignEngine(t *testing.T) {
	t.Parallel()
	old := &lockfile.Lock{Apps: map[string]lockfile.App{"gone": {Engine: "@acme-admins #12 <img src=x>"}}}
	oldTree := map[string][]byte{"apps/gone/configmap_c.yaml": bigConfigMap("c", 1, "a")}
	got := Render(Input{Env: "dev", Old: old, New: &lockfile.Lock{Apps: map[string]lockfile.App{}},
		Changes: treediff.Trees(oldTree, map[string][]byte{})})
	plain := regexp.MustCompile("(?s)```.*?```|<code>.*?</code>|`[^`\n]*`").ReplaceAllString(got, "")
	for _, bad := range []string{"@acme", "#12", "<img"} {
		if strings.Contains(plain, bad) {
			t.Errorf("%q outside code in the body:\n%s", bad, got)
		}
	}
}

// TestRenderNotifications: flux/notifications.yaml, the env's Flux
// Providers and Alerts, is no app's: the apps table listed it as an app
// "notifications" (engine —, 0 objects) on every promotion that changed
// it (the first, each added or removed app). Its diff is shown in a block
// of its own. An app that is named notifications (kiln then writes no
// notifications) keeps its Kustomization there, and its row.
func TestRenderNotifications(t *testing.T) {
	t.Parallel()
	const alert = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata:\n  name: kiln-dev-commit-status\n"
	newLock := &lockfile.Lock{Apps: map[string]lockfile.App{"web": {Engine: "yaml"}}}
	got := Render(Input{Env: "dev", New: newLock, Changes: treediff.Trees(nil, map[string][]byte{
		"apps/web/configmap_web.yaml": []byte("kind: ConfigMap\nmetadata:\n  name: web\n"),
		"flux/web.yaml":               []byte("kind: Kustomization\n"),
		"flux/notifications.yaml":     []byte(alert),
	})})
	if strings.Contains(got, "| `notifications` |") || strings.Contains(got, "<code>notifications</code>") {
		t.Errorf("the notifications file is shown as an app:\n%s", got)
	}
	if !regexp.MustCompile("(?s)<details><summary>Flux notifications \\(<code>flux/notifications.yaml</code>\\)</summary>\n\n```diff\n--- /dev/null\n\\+\\+\\+ b/flux/notifications.yaml\n.*\\+kind: Alert\n").MatchString(got) {
		t.Errorf("no block of the notifications' diff:\n%s", got)
	}

	newLock = &lockfile.Lock{Apps: map[string]lockfile.App{"notifications": {Engine: "yaml"}}}
	got = Render(Input{Env: "dev", New: newLock, Changes: treediff.Trees(nil, map[string][]byte{
		"apps/notifications/configmap_n.yaml": []byte("kind: ConfigMap\nmetadata:\n  name: n\n"),
		"flux/notifications.yaml":             []byte("kind: Kustomization\nmetadata:\n  labels:\n    kiln/app: notifications\n"),
	})})
	if !strings.Contains(got, "| `notifications` | yaml | added |") || strings.Contains(got, "Flux notifications") ||
		!strings.Contains(got, "+++ b/flux/notifications.yaml") {
		t.Errorf("the app notifications is not shown as an app:\n%s", got)
	}
}

// TestRenderLockImages: the lock's images are the ones kiln was given,
// kept whether or not an app runs one (the next env's apps may), so a
// promotion can change them alone; the body then said every app was
// unchanged and nothing else. It lists them, old → new, by repository.
func TestRenderLockImages(t *testing.T) {
	t.Parallel()
	apps := map[string]lockfile.App{"web": {Engine: "yaml", Images: []string{"ghcr.io/acme/web:1.0"}}}
	old := &lockfile.Lock{Apps: apps, Images: map[string]string{
		"ghcr.io/acme/gone":       "ghcr.io/acme/gone:3",
		"ghcr.io/acme/same":       "ghcr.io/acme/same:1",
		"docker.io/library/redis": "redis:7.2",
		"ghcr.io/acme/w`x":        "ghcr.io/acme/w`x:0",
	}}
	new := &lockfile.Lock{Apps: apps, Images: map[string]string{
		"ghcr.io/acme/other":      "ghcr.io/acme/other:2.0@sha256:0123456789abcdef0123",
		"ghcr.io/acme/same":       "ghcr.io/acme/same:1",
		"docker.io/library/redis": "docker.io/library/redis:7.2",
		"ghcr.io/acme/w`x":        "ghcr.io/acme/w`x:1",
	}}
	changes := treediff.Trees(map[string][]byte{"kiln.lock.json": []byte("{}\n")}, map[string][]byte{"kiln.lock.json": []byte("{ }\n")})
	got := Render(Input{Env: "dev", Old: old, New: new, Changes: changes})
	want := "### Images\n\nGiven with `--image`/`--images` or by `--from`; `kiln.lock.json` keeps them whether or not an app runs them:\n\n" +
		"- `docker.io/library/redis`: `redis:7.2` → `docker.io/library/redis:7.2`\n" +
		"- `ghcr.io/acme/gone`: `3` → —\n" +
		"- `ghcr.io/acme/other`: — → `2.0@sha256:0123456789ab`\n" +
		"- ``ghcr.io/acme/w`x``: `0` → `1`\n"
	if !strings.Contains(got, want) {
		t.Errorf("the body does not list the lock's images; want\n%s\nin:\n%s", want, got)
	}
	if !strings.Contains(got, "| `web` | yaml | unchanged | — |  |") || strings.Contains(got, "### Other files") {
		t.Errorf("the images make no app or file changed:\n%s", got)
	}

	// The usual release: the image an app runs is in its row already, and
	// only there.
	newWeb := map[string]lockfile.App{"web": {Engine: "yaml", Images: []string{"ghcr.io/acme/web:1.1"}}}
	got = Render(Input{Env: "dev",
		Old:     &lockfile.Lock{Apps: apps, Images: map[string]string{"ghcr.io/acme/web": "ghcr.io/acme/web:1.0", "docker.io/library/redis": "redis:7.2"}},
		New:     &lockfile.Lock{Apps: newWeb, Images: map[string]string{"ghcr.io/acme/web": "ghcr.io/acme/web:1.1", "docker.io/library/redis": "docker.io/library/redis:7.3"}},
		Changes: changes})
	if want := "- `docker.io/library/redis`: `7.2` → `7.3`\n"; !strings.Contains(got, want) || strings.Contains(got, "- `ghcr.io/acme/web`") || !strings.Contains(got, "`ghcr.io/acme/web`: `1.0` → `1.1`") {
		t.Errorf("an image an app runs is not in its row alone:\n%s", got)
	}

	// So is one whose manifest spells the registry in upper case, which
	// kiln matches without case and the lock names in lower case.
	upperWeb := map[string]lockfile.App{"web": {Engine: "yaml", Images: []string{"GHCR.IO/acme/web:1.1"}}}
	got = Render(Input{Env: "dev",
		Old:     &lockfile.Lock{Apps: apps, Images: map[string]string{"ghcr.io/acme/web": "ghcr.io/acme/web:1.0"}},
		New:     &lockfile.Lock{Apps: upperWeb, Images: map[string]string{"ghcr.io/acme/web": "ghcr.io/acme/web:1.1"}},
		Changes: changes})
	if strings.Contains(got, "### Images") {
		t.Errorf("an image an app runs, its registry spelt in upper case, is listed again under Images:\n%s", got)
	}

	// A release of many: the list is bounded, as the warnings are.
	many := &lockfile.Lock{Apps: apps, Images: map[string]string{}}
	for i := range 25 {
		r := fmt.Sprintf("ghcr.io/acme/app%02d", i)
		many.Images[r] = r + ":1"
	}
	got = Render(Input{Env: "dev", Old: &lockfile.Lock{Apps: apps}, New: many, Changes: changes})
	if want := "- `ghcr.io/acme/app19`: — → `1`\n- and 5 more: run `kiln diff --env dev` to see every one\n"; !strings.Contains(got, want) || strings.Contains(got, "app20") {
		t.Errorf("the list of images is not cut after 20:\n%s", got)
	}
}

// TestRenderNoCiphertextImage: a lock of an earlier kiln lists the
// ciphertext of a SOPS document's encrypted image among an app's images;
// the app's row printed it.
func TestRenderNoCiphertextImage(t *testing.T) {
	t.Parallel()
	const enc = "ENC[AES256_GCM,data:LeWlX2vpVOgMJSjbAdOh/Hh1NZtt/bG8,iv:gXyBrF2XR2jxps7WWh+Uc2/HT0Arh69NxSijW1v54W8=,tag:/GD/cuaYNnyzrbTQ+3hz+g==,type:str]"
	old := &lockfile.Lock{Apps: map[string]lockfile.App{"web": {Engine: "yaml", Images: []string{enc, "ghcr.io/acme/web:1.0"}}}}
	new := &lockfile.Lock{Apps: map[string]lockfile.App{"web": {Engine: "yaml", Images: []string{"ghcr.io/acme/web:1.1"}}}}
	changes := treediff.Trees(map[string][]byte{"apps/web/configmap_a.yaml": []byte("a: 1\n")}, map[string][]byte{"apps/web/configmap_a.yaml": []byte("a: 2\n")})
	got := Render(Input{Env: "dev", Old: old, New: new, Changes: changes})
	if strings.Contains(got, "LeWlX2vp") || strings.Contains(got, "AES256_GCM") {
		t.Errorf("the body shows ciphertext:\n%s", got)
	}
	if !strings.Contains(got, "`ghcr.io/acme/web`: `1.0` → `1.1`") {
		t.Errorf("the body lost the app's image change:\n%s", got)
	}
}

// TestRenderOtherFiles: a change the body shows no diff of (an app's
// high-level/ files, a file kiln does not write) is named, so that the
// body never says less than the commit does, and the app's row points
// there; the lock only when nothing else says why it changed (an app's
// engine, say).
func TestRenderOtherFiles(t *testing.T) {
	t.Parallel()
	lock := &lockfile.Lock{Apps: map[string]lockfile.App{"web": {Engine: "helm"}}}
	old := map[string][]byte{
		"kiln.lock.json":                []byte("{}\n"),
		"high-level/web/values.yaml":    []byte("replicas: 1\n"),
		"high-level/web/helmrelease.yy": []byte("x\n"),
	}
	new := map[string][]byte{
		"kiln.lock.json":             []byte("{ }\n"),
		"high-level/web/values.yaml": []byte("replicas: 2\n"),
		"apps/notes.md":              []byte("`@acme` | x\n"),
	}
	got := Render(Input{Env: "dev", Old: lock, New: lock, Changes: treediff.Trees(old, new)})
	want := "### Other files\n\nChanged without a diff here; `kiln diff --env dev` shows them:\n\n" +
		"- `apps/notes.md`: added\n" +
		"- `high-level/web/helmrelease.yy`: removed\n" +
		"- `high-level/web/values.yaml`: changed\n"
	if !strings.Contains(got, want) {
		t.Errorf("the body does not name the files it shows no diff of; want\n%s\nin:\n%s", want, got)
	}
	// The app's row says where its change is: "+0 ~0 -0" alone, with no
	// block under Changes, read as a diff the body lost.
	if want := "| `web` | helm | changed | +0 ~0 -0, only files under Other files |"; !strings.Contains(got, want) {
		t.Errorf("the row of an app changed in high-level/ only lacks %q:\n%s", want, got)
	}

	changed := &lockfile.Lock{Apps: map[string]lockfile.App{"web": {Engine: "kustomize"}}}
	got = Render(Input{Env: "dev", Old: lock, New: changed, Changes: treediff.Trees(
		map[string][]byte{"kiln.lock.json": []byte("{}\n")}, map[string][]byte{"kiln.lock.json": []byte("{ }\n")})})
	if want := "- `kiln.lock.json`: changed\n"; !strings.Contains(got, want) {
		t.Errorf("a change of the lock alone is not named:\n%s", got)
	}
}

// hugeEnv is the locks of an env of n apps that keep their images, and of
// the app "zz-payments", which the new lock no longer holds.
func hugeEnv(n int) (old, new *lockfile.Lock, oldTree map[string][]byte) {
	old = &lockfile.Lock{Apps: map[string]lockfile.App{}}
	new = &lockfile.Lock{Apps: map[string]lockfile.App{}, Source: lockfile.Source{Commit: commit}}
	for i := range n {
		a := lockfile.App{Engine: "helm", Images: []string{fmt.Sprintf("registry.example.com/team/app-%04d:1.0.0", i)}}
		old.Apps[fmt.Sprintf("app-%04d", i)] = a
		new.Apps[fmt.Sprintf("app-%04d", i)] = a
	}
	old.Apps["zz-payments"] = lockfile.App{Engine: "helm"}
	oldTree = map[string][]byte{"apps/zz-payments/configmap_c.yaml": bigConfigMap("c", 1, "a")}
	return old, new, oldTree
}

// TestRenderHugeTableKeepsRemoved: in an env of thousands of apps the
// table alone passed the limit, and the body was cut at a line: the rows
// after it, an app removed with all its objects whose name sorts last
// among them, were gone, and the note at the top named it among the
// left-out diffs only. The unchanged apps' rows go first, counted, and
// the removed apps come first in what is left.
func TestRenderHugeTableKeepsRemoved(t *testing.T) {
	t.Parallel()
	old, new, oldTree := hugeEnv(2000)
	got := Render(Input{Env: "dev", Old: old, New: new, Changes: treediff.Trees(oldTree, nil)})
	if len(got) > Limit {
		t.Fatalf("body is %d bytes, over the limit", len(got))
	}
	for _, want := range []string{
		"the table's rows of 2000 unchanged apps were left out",
		"| `zz-payments` | helm | removed | +0 ~0 -1 |  |",
		"2000 unchanged apps not listed.",
		"-  key00000: value-a-0\n", // its diff, which fits again
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the body does not hold %q:\n%s", want, got[:min(len(got), 3000)])
		}
	}
	if strings.Contains(got, "app-0000") || strings.Contains(got, "**Cut here:**") {
		t.Errorf("the body lists unchanged apps, or is cut:\n%s", got[:min(len(got), 3000)])
	}
}

// TestRenderHugeChangeKeepsRemoved: when thousands of apps change, so
// that even their rows do not fit and the body is cut, a removed app is
// among the rows kept: they come first.
func TestRenderHugeChangeKeepsRemoved(t *testing.T) {
	t.Parallel()
	old, new, oldTree := hugeEnv(3000)
	newTree := map[string][]byte{}
	for name := range new.Apps {
		p := "apps/" + name + "/configmap_c.yaml"
		oldTree[p], newTree[p] = bigConfigMap("c", 1, "a"), bigConfigMap("c", 1, "b")
	}
	got := Render(Input{Env: "dev", Old: old, New: new, Changes: treediff.Trees(oldTree, newTree)})
	if len(got) > Limit || !strings.Contains(got, "**Cut here:**") {
		t.Fatalf("body of %d bytes, cut: %v", len(got), strings.Contains(got, "**Cut here:**"))
	}
	if want := "| `zz-payments` | helm | removed | +0 ~0 -1 |  |"; !strings.Contains(got, want) {
		t.Errorf("the body does not hold %q:\n%s", want, got[:min(len(got), 3000)])
	}
}

// TestRenderManyImages: an app's row named every image that changed, on
// one line, which a body cut at a line lost whole with every row and
// section after it (a removed app, the lock's images). A row names at
// most 20, then how many more.
func TestRenderManyImages(t *testing.T) {
	t.Parallel()
	var o, n []string
	for i := range 1500 {
		o = append(o, fmt.Sprintf("registry.example.com/team/img-%04d:1.0.0", i))
		n = append(n, fmt.Sprintf("registry.example.com/team/img-%04d:1.0.1", i))
	}
	old := &lockfile.Lock{Apps: map[string]lockfile.App{"big": {Engine: "helm", Images: o}, "zz": {Engine: "helm"}}, Images: map[string]string{"acme/tool": "acme/tool:1"}}
	new := &lockfile.Lock{Apps: map[string]lockfile.App{"big": {Engine: "helm", Images: n}}, Images: map[string]string{"acme/tool": "acme/tool:2"}}
	got := Render(Input{Env: "dev", Old: old, New: new})
	for _, want := range []string{
		"`registry.example.com/team/img-0019`: `1.0.0` → `1.0.1`<br>and 1480 more |",
		"| `zz` | helm | removed |",
		"`acme/tool`: `1` → `2`",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the body does not hold %q:\n%s", want, got[:min(len(got), 3000)])
		}
	}
	if strings.Contains(got, "img-0020") {
		t.Errorf("the row names more than 20 images")
	}
}

// TestRenderManyKept: the head, which is never cut, named every app kept
// from an earlier render on one line: `kiln render --app` of one app in
// an env of thousands pushed the whole apps table, with a removed app, out
// of the body. It names 20, then how many more.
func TestRenderManyKept(t *testing.T) {
	t.Parallel()
	old, new, oldTree := hugeEnv(2100)
	for name, a := range new.Apps {
		a.Source = &lockfile.Source{Commit: "0123456789abcdef0123456789abcdef01234567"}
		new.Apps[name] = a
	}
	got := Render(Input{Env: "dev", Old: old, New: new, Changes: treediff.Trees(oldTree, nil)})
	for _, want := range []string{
		"`app-0019` at `0123456789ab` and 2080 more.\n",
		"| `zz-payments` | helm | removed |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the body does not hold %q:\n%s", want, got[:min(len(got), 3000)])
		}
	}
	if strings.Contains(got, "`app-0020` at") {
		t.Errorf("the head names more than 20 kept apps")
	}
}

// TestRenderDigestsAlikeInPrefix: an app's images were compared by the 12
// digits of their digests the row shows, so a release that swapped an
// image for another whose digest shares them (2^24 tries to make) listed
// no image change. Such a pair shows whole.
func TestRenderDigestsAlikeInPrefix(t *testing.T) {
	t.Parallel()
	a := "ghcr.io/acme/web@sha256:0123456789ab" + strings.Repeat("0", 52)
	b := "ghcr.io/acme/web@sha256:0123456789ab" + strings.Repeat("f", 52)
	got := Render(Input{Env: "dev",
		Old: &lockfile.Lock{Apps: map[string]lockfile.App{"web": {Engine: "helm", Images: []string{a}}}},
		New: &lockfile.Lock{Apps: map[string]lockfile.App{"web": {Engine: "helm", Images: []string{b}}}}})
	if want := "| `ghcr.io/acme/web`: `sha256:0123456789ab" + strings.Repeat("0", 52) + "` → `sha256:0123456789ab" + strings.Repeat("f", 52) + "` |"; !strings.Contains(got, want) {
		t.Errorf("the body does not hold %q:\n%s", want, got)
	}
}

// TestRenderHugeTableNoneChanged: when only the lock's images change in an
// env of thousands of apps, the table without unchanged rows is a count.
func TestRenderHugeTableNoneChanged(t *testing.T) {
	t.Parallel()
	old, new, _ := hugeEnv(3000)
	delete(old.Apps, "zz-payments")
	old.Images, new.Images = map[string]string{"acme/tool": "acme/tool:1"}, map[string]string{"acme/tool": "acme/tool:2"}
	got := Render(Input{Env: "dev", Old: old, New: new})
	want := "### Apps\n\n3000 unchanged apps not listed.\n\n### Images\n"
	if len(got) > Limit || !strings.Contains(got, want) {
		t.Errorf("the body (%d bytes) does not hold %q:\n%s", len(got), want, got[:min(len(got), 3000)])
	}
}

// TestRenderKustomizationOnlyChange: an app whose Flux Kustomization alone
// changed (suspended, prune turned off) read "+0 ~0 -0" and "0 objects
// changed", which a reviewer skims past; the row and the block say so.
func TestRenderKustomizationOnlyChange(t *testing.T) {
	t.Parallel()
	ks := func(extra string) []byte {
		return []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: flux-system\n  labels:\n    kiln/app: web\nspec:\n  path: ./clusters/dev/apps/web\n  prune: true\n" + extra)
	}
	lock := &lockfile.Lock{Apps: map[string]lockfile.App{"web": {Engine: "helm"}}}
	got := Render(Input{Env: "dev", Old: lock, New: lock,
		Changes: treediff.Trees(map[string][]byte{"flux/web.yaml": ks("")}, map[string][]byte{"flux/web.yaml": ks("  suspend: true\n")})})
	for _, want := range []string{"| `web` | helm | changed | +0 ~0 -0, and its Flux Kustomization |", "<code>web</code> (0 objects changed, and its Flux Kustomization)", "+  suspend: true"} {
		if !strings.Contains(got, want) {
			t.Errorf("the body does not hold %q:\n%s", want, got)
		}
	}
}

// TestRenderKustomizationAddedOrRemoved: an app that stays whose Flux
// Kustomization goes (flux emission turned off for the env) is about to
// lose every object it applied, Flux pruning them with it, and one whose
// Kustomization comes starts being applied: neither reads "+0 ~0 -0"
// alone, as a Kustomization that changed does not.
func TestRenderKustomizationAddedOrRemoved(t *testing.T) {
	t.Parallel()
	ks := []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: flux-system\n  labels:\n    kiln/app: web\nspec:\n  path: ./clusters/dev/apps/web\n  prune: true\n")
	lock := &lockfile.Lock{Apps: map[string]lockfile.App{"web": {Engine: "helm"}}}
	for _, tc := range []struct {
		old, new map[string][]byte
		want     string
	}{
		{map[string][]byte{"flux/web.yaml": ks}, map[string][]byte{}, "removed"},
		{map[string][]byte{}, map[string][]byte{"flux/web.yaml": ks}, "added"},
	} {
		got := Render(Input{Env: "dev", Old: lock, New: lock, Changes: treediff.Trees(tc.old, tc.new)})
		for _, want := range []string{"| `web` | helm | changed | +0 ~0 -0, and its Flux Kustomization " + tc.want + " |", "<code>web</code> (0 objects changed, and its Flux Kustomization " + tc.want + ")"} {
			if !strings.Contains(got, want) {
				t.Errorf("the body does not hold %q:\n%s", want, got)
			}
		}
	}
}

// TestRenderHugeSourceURL: the head, which is never cut, quoted the source
// repository's URL whole; a URL of a megabyte (a --rendered tree's lock
// edited by hand, which lockfile.Parse refuses now) filled the body and cut
// every app out of it. The head quotes at most lockfile.MaxText of it.
func TestRenderHugeSourceURL(t *testing.T) {
	t.Parallel()
	repo := "https://git.example.com/acme/" + strings.Repeat("x", 1<<20)
	lock := &lockfile.Lock{Env: "dev", Apps: map[string]lockfile.App{"web": {Engine: "yaml"}}}
	body := Render(Input{Env: "dev", SourceRepo: repo, SourceCommit: commit, New: lock})
	if len(body) > 4*lockfile.MaxText || !strings.Contains(body, "| `web` |") {
		t.Errorf("a body of %d bytes, the apps table kept %v", len(body), strings.Contains(body, "| `web` |"))
	}
}

// TestRenderLeftOutDiffNamesRemoved: an app whose diff is left out to fit
// GitHub's limit kept only its "-1" in the table, so the body of a large
// release no longer said which object Flux prunes (a Deployment that a
// chart upgrade drops). Its block names the objects it loses.
func TestRenderLeftOutDiffNamesRemoved(t *testing.T) {
	t.Parallel()
	deploy := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\n  namespace: instavote\n")
	old := map[string][]byte{
		"apps/big/configmap_c.yaml":              bigConfigMap("c", 4000, "a"),
		"apps/big/deployment_worker.yaml":        deploy,
		"apps/big/service_worker.yaml":           []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: worker\n  namespace: instavote\n"),
		"apps/small/configmap_settings.yaml":     bigConfigMap("settings", 2, "a"),
		"apps/small/configmap_old-settings.yaml": bigConfigMap("old-settings", 2, "a"),
	}
	new := map[string][]byte{
		"apps/big/configmap_c.yaml":          bigConfigMap("c", 4000, "b"),
		"apps/small/configmap_settings.yaml": bigConfigMap("settings", 2, "b"),
	}
	got := Render(Input{Env: "dev", Changes: treediff.Trees(old, new)})
	if len(got) > Limit || !strings.Contains(got, "diff of `big` left out") {
		t.Fatalf("body of %d bytes, the diff of big not left out:\n%s", len(got), got[:min(len(got), 2000)])
	}
	if want := "run `kiln diff --env dev` to see it.\n\nRemoved: `Deployment/instavote/worker`, `Service/instavote/worker`.\n\n</details>"; !strings.Contains(got, want) {
		t.Errorf("the block of big does not name what it removes, want %q in:\n%s", want, got[:min(len(got), 2000)])
	}
	// A diff shown says it itself.
	if strings.Contains(got, "Removed: `ConfigMap/instavote/old-settings`") || !strings.Contains(got, "--- a/apps/small/configmap_old-settings.yaml") {
		t.Errorf("the block of small:\n%s", got[strings.Index(got, "<code>small</code>"):])
	}
}

// TestRenderGraphGitHubCannotDraw: GitHub draws a Mermaid diagram of at
// most 500 edges and 50,000 characters (mermaid's defaults) and shows an
// error box instead of a larger one. A fleet of 600 apps, each depending
// on the one before, put that box in every pull request's Dependencies,
// although the body fitted. The section says why it is not drawn.
func TestRenderGraphGitHubCannotDraw(t *testing.T) {
	t.Parallel()
	graph := func(apps int) string {
		var b strings.Builder
		b.WriteString("flowchart LR\n")
		for i := range apps {
			fmt.Fprintf(&b, "  app_a%03d[\"a%03d<br/>yaml\"]\n", i, i)
		}
		for i := 1; i < apps; i++ {
			fmt.Fprintf(&b, "  app_a%03d --> app_a%03d\n", i-1, i)
		}
		return b.String()
	}
	got := Render(Input{Env: "prod", Mermaid: graph(601)})
	if want := "### Dependencies\n\nNot drawn: the graph has 600 edges and "; !strings.Contains(got, want) || strings.Contains(got, "```mermaid") ||
		!strings.Contains(got, "more than GitHub draws (500 edges, 50,000 characters); `kiln graph --env prod` shows it.") {
		t.Errorf("a graph of 600 edges:\n%s", got[:min(len(got), 1500)])
	}
	if got := Render(Input{Env: "prod", Mermaid: graph(501)}); !strings.Contains(got, "```mermaid\nflowchart LR\n") {
		t.Errorf("a graph of 500 edges is not drawn:\n%s", got[:min(len(got), 600)])
	}
}
