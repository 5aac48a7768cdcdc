package depcheck

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/kiln-gitops/kiln"

// rule forbids packages under from (a prefix of the import path, relative
// to the module) to import anything starting with one of the forbidden
// prefixes, except the packages listed in allow.
type rule struct {
	why       string
	from      []string
	forbidden []string
	allow     []string
}

var rules = []rule{
	{why: "only the CLI parses command lines", from: []string{""}, forbidden: []string{"github.com/urfave/cli"}, allow: []string{"cmd/kiln"}},
	{why: "only promote talks to GitHub", from: []string{""}, forbidden: []string{"github.com/google/go-github"}, allow: []string{"promote"}},
	{why: "engines run in kiln's own code, never as other programs; only the git wrappers exec, and the sandbox, which runs kiln itself", from: []string{""}, forbidden: []string{"os/exec"},
		allow: []string{"internal/gitinfo", "promote/internal/gitrepo", "promote/internal/gittest", "internal/depcheck", "internal/refcheck", "internal/sandbox",
			// Test support, imported by tests only: it builds kiln for the
			// race-enabled test binaries' sandbox workers.
			"internal/testenv"}},
	{why: "only render decides which engines run in the sandbox (kiln's main starts its first worker early, before render is initialized)", from: []string{""}, forbidden: []string{mod + "/internal/sandbox"},
		allow: []string{"render", "internal/sandbox", "cmd/kiln/internal/prestart",
			// Test support, imported by tests only: it names the program
			// the race-enabled test binaries' workers run (package program).
			"internal/testenv"}},
	{why: "engines know nothing of config, render or promote", from: []string{"templates"}, forbidden: []string{mod + "/envconfig", mod + "/render", mod + "/promote", mod + "/cmd"}},
	{why: "config is read before anything renders", from: []string{"envconfig"}, forbidden: []string{mod + "/templates", mod + "/render", mod + "/promote", mod + "/cmd"}},
	{why: "render does not promote", from: []string{"render"}, forbidden: []string{mod + "/promote", mod + "/cmd"}},
	{why: "promote is a library under the CLI", from: []string{"promote"}, forbidden: []string{mod + "/cmd"}},
}

func under(pkg, prefix string) bool {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, mod), "/")
	return prefix == "" || rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

// TestImportRules lists every package's non-test imports with go list.
func TestImportRules(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}} {{join .Imports " "}}`, mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		for _, r := range rules {
			applies, allowed := false, false
			for _, f := range r.from {
				applies = applies || under(pkg, f)
			}
			for _, a := range r.allow {
				allowed = allowed || under(pkg, a)
			}
			if !applies || allowed {
				continue
			}
			for _, imp := range imports {
				for _, bad := range r.forbidden {
					// bad+"/" also covers major versions: cli/v2, go-github/v60.
					if imp == bad || strings.HasPrefix(imp, bad+"/") {
						t.Errorf("%s imports %s: %s", pkg, imp, r.why)
					}
				}
			}
		}
	}
}

// unlinked are packages the kiln binary must not link, not even through a
// dependency: every kiln process and every sandbox worker initializes all
// that is linked before its first line runs, and these serve only what kiln
// never does (talk to a cluster, store releases, lint charts).
var unlinked = []struct{ pkg, why string }{
	{"helm.sh/helm/v3/pkg/action", "templates/helm renders with helm's chartutil, engine and releaseutil (install.go)"},
	{"helm.sh/helm/v3/pkg/storage", "helm's release storage: kiln stores no release"},
	{"helm.sh/helm/v3/pkg/lint", "helm's chart linter: kiln does not lint"},
	{"github.com/lib/pq", "helm's SQL release storage"},
	{"github.com/rubenv/sql-migrate", "helm's SQL release storage"},
	{"helm.sh/helm/v3/pkg/repo", "templates/helm/internal/repoindex reads repository indexes; pkg/repo's downloader links helm's CLI settings"},
	{"helm.sh/helm/v3/pkg/getter", "helm's downloader: kiln downloads with its own bounded client"},
	{"helm.sh/helm/v3/pkg/cli", "helm's CLI settings"},
	{"helm.sh/helm/v3/pkg/kube", "helm's cluster client"},
	{"k8s.io/kubectl", "kubectl's libraries: kiln never talks to a cluster"},
	{"k8s.io/cli-runtime", "kubectl's libraries: kiln never talks to a cluster"},
}

// releaseTags are the build tags kiln is built with where its start-up
// counts: `make build` and `make install`, the Action (run.sh), the
// README's go install and BenchmarkVsCLI. urfave_cli_no_docs leaves out
// urfave/cli's Markdown and man page writers, which kiln never calls, and
// the Markdown renderer they link (a package initialization at every
// start).
const releaseTags = "urfave_cli_no_docs"

// TestReleaseTags: built with releaseTags, cmd/kiln links no writer of
// documentation, and every release build names the tags.
func TestReleaseTags(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-tags", releaseTags, mod+"/cmd/kiln").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, docs := range []string{"github.com/russross/blackfriday", "github.com/cpuguy83/go-md2man"} {
			if strings.HasPrefix(pkg, docs) {
				t.Errorf("built with -tags %s, cmd/kiln still links %s", releaseTags, pkg)
			}
		}
	}
	for _, f := range []string{"../../Makefile", "../action/run.sh", "../../README.md", "../../render/clibench_test.go"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), releaseTags) {
			t.Errorf("%s builds kiln without -tags %s", f, releaseTags)
		}
	}
}

// TestNotLinked lists what cmd/kiln links with go list -deps.
func TestNotLinked(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", mod+"/cmd/kiln").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, u := range unlinked {
			if pkg == u.pkg || strings.HasPrefix(pkg, u.pkg+"/") {
				t.Errorf("cmd/kiln links %s: %s", pkg, u.why)
			}
		}
	}
}

// lateStd are standard packages Go initializes late in kiln: among the
// packages whose imports are initialized it takes them in import-path
// order, and these come after the hundred-odd "github.com/...",
// "golang.org/..." and "google.golang.org/..." packages that are ready
// sooner. Package prestart starts the first sandbox worker from its init,
// which runs only once every package it links is initialized: linking
// os/exec (and, through it, path/filepath) held that start back to after
// 170 of kiln's 430 package initializations, 97 without them.
var lateStd = []string{"os/exec", "path/filepath"}

// TestPrestartEarly: package prestart links none of lateStd.
func TestPrestartEarly(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", mod+"/cmd/kiln/internal/prestart").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, late := range lateStd {
			if dep == late {
				t.Errorf("cmd/kiln/internal/prestart links %s, which Go initializes late: the first sandbox worker would start later", dep)
			}
		}
	}
}
