package render

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/templates"
)

// WriteOptions configure how env trees are written under --out.
type WriteOptions struct {
	// Force replaces <out>/<env> even when it holds files kiln did not
	// write (no kiln.lock.json). It never allows an --out that overlaps
	// the sources.
	Force bool
	// AllowOtherRepo replaces <out>/<env> even when its kiln.lock.json
	// names another code repository than this render's (otherRepo).
	AllowOtherRepo bool
}

// Output is an --out folder held by this process: its lock is taken, env
// trees are staged beside their places and swapped in together by
// Commit, so an interrupted run leaves every earlier tree as it was.
// Always Close it.
type Output struct {
	out  *tree.Out
	opts WriteOptions
	// r and path are for checkOut again at Stage: the paths env files
	// give their apps are known only once an env resolved, and an --app
	// render opens its output before any did.
	r       *Renderer
	path    string
	checked int // how many of r.resolved checkOut has seen
}

// ErrOutOverlapsSource is wrapped by the error of an --out that is, is
// inside or contains a source of the pipeline: a wrong flag value, which
// the CLI reports as wrong usage whenever it is found.
var ErrOutOverlapsSource = errors.New("--out overlaps a source of the pipeline")

// ErrOutInGitDir is wrapped by the error of an --out that is or lies in
// git's metadata folder (rootfs.GitDir): a wrong flag value too.
var ErrOutInGitDir = errors.New("--out is in git's metadata folder")

// ErrOutInKilnTree is wrapped by the error of an --out that is or lies in
// an env's tree kiln wrote (a folder holding that env's kiln.lock.json): a
// wrong flag value too.
var ErrOutInKilnTree = errors.New("--out is in an env's tree kiln wrote")

// OpenOutput checks that out overlaps no source of the pipeline (an app's
// folder or file in any env, kiln.yaml itself) and takes out's lock. A
// *tree.LockedError-backed error names the process writing out already.
func (r *Renderer) OpenOutput(out string, opts WriteOptions) (*Output, error) {
	checked := r.resolvedCount()
	if err := outInGitDir(out); err != nil {
		return nil, err
	}
	if err := outInKilnTree(out); err != nil {
		return nil, err
	}
	if err := r.checkOut(out, r.sources()); err != nil {
		return nil, err
	}
	o, err := tree.Open(out, BootstrapDirs(r.p)...)
	if err != nil {
		return nil, err
	}
	return &Output{out: o, opts: opts, r: r, path: out, checked: checked}, nil
}

// resolvedCount is how many paths of resolved envs r knows.
func (r *Renderer) resolvedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.resolved)
}

// resolvedSince returns the paths of resolved envs r learnt after the
// first n.
func (r *Renderer) resolvedSince(n int) []source {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.resolved[n:])
}

// Stage writes a successful env's tree next to <out>/<env>, keeping the
// bootstrap folders (BootstrapDirs) of the tree it replaces. Nothing is visible
// until Commit.
func (w *Output) Stage(ctx context.Context, er *EnvResult) error {
	if er.Err != nil {
		return errors.New("refusing to write env " + er.Env + ": it failed to render")
	}
	if added := w.r.resolvedSince(w.checked); len(added) > 0 {
		// Envs resolved and rendered since the last check may have moved
		// an app's folder (an env file's override) or read files outside
		// it: --out must overlap none.
		if err := w.r.checkOut(w.path, added); err != nil {
			return err
		}
		w.checked += len(added)
	}
	return w.out.Stage(ctx, er.Env, er.Files, w.opts.Force, w.otherRepo(er))
}

// Written drops what er holds only to be written — its files' contents
// (their paths stay, for the summary) and the index of its objects —
// once Stage has written them. Until then a fleet's rendered envs would
// all stay in memory to the end of the run, each env's on top of the
// next one's render.
func (er *EnvResult) Written() {
	for p := range er.Files {
		er.Files[p] = nil
	}
	er.Objects = nil
}

// Commit swaps every staged tree into place. Unless ctx is done before the
// first swap, every staged env is committed.
func (w *Output) Commit(ctx context.Context) error { return w.out.Commit(ctx) }

// Warnings are what writing noticed without failing: an interrupted run's
// leftovers restored or removed, an earlier tree that could not be removed.
func (w *Output) Warnings() []diag.Warning { return w.out.Warnings() }

// Close removes trees staged but not committed and releases the lock.
func (w *Output) Close() error { return w.out.Close() }

// WriteEnv writes a successful env result to <out>/<env> on its own: lock,
// stage, swap, release. Warnings are added to er.Warnings. It refuses to
// replace a folder kiln did not write; OpenOutput adds the source checks
// and Force.
func WriteEnv(out string, er *EnvResult) error {
	if er.Err != nil {
		return errors.New("refusing to write env " + er.Env + ": it failed to render")
	}
	if err := outInGitDir(out); err != nil {
		return err
	}
	warns, err := tree.Write(context.Background(), filepath.Join(out, er.Env), er.Files, false)
	er.Warnings = append(er.Warnings, warns...)
	return err
}

// outInGitDir refuses an out in git's metadata folder (rootfs.GitDir):
// the folders kiln replaces and prunes there are git's refs, hooks or
// objects.
func outInGitDir(out string) error {
	dir, err := rootfs.GitDir(out)
	if err != nil || dir == "" {
		return nil // the write reports a path that does not resolve
	}
	return &diag.Error{File: out, Msg: fmt.Sprintf("--out %s is in git's metadata folder %s; kiln would write its files among git's own (refs, hooks, objects)", out, dir),
		Err:  ErrOutInGitDir,
		Hint: "give --out a path in the work tree or outside the repository, such as rendered"}
}

// outInKilnTree refuses an out that is or lies in the tree of an env that
// kiln wrote: a folder holding a kiln.lock.json of that folder's name's env,
// such as rendered/dev for --out rendered/dev (meant: rendered). Each
// --out holds its own lock (.kiln.lock), so a render there and one into
// the folder above wrote the same files at once, neither waiting for the
// other; and the env folders and lock file it left in the tree are files
// kiln did not write there, which the next render of the tree, and
// promote --rendered, refuse. Only a lock naming its folder's env counts:
// a kiln.lock.json elsewhere (an example in a repository) is no tree.
func outInKilnTree(out string) error {
	abs, err := rootfs.RealPath(out)
	if err != nil {
		return nil // the write reports a path that does not resolve
	}
	for d := abs; ; {
		if envTreeLock(d) {
			return &diag.Error{File: out, Msg: fmt.Sprintf("--out %s is in the tree of env %s that kiln wrote at %s (it holds its kiln.lock.json); kiln would put its env folders and its lock among that tree's files",
				out, filepath.Base(d), d),
				Err:  ErrOutInKilnTree,
				Hint: fmt.Sprintf("give --out the folder holding the env folders, %s: kiln writes each env to a folder of its own below it", filepath.Dir(d))}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil
		}
		d = parent
	}
}

// envTreeLock reports whether dir holds a kiln.lock.json, a regular file
// of at most limits.FileSize bytes, of the env dir is named after.
func envTreeLock(dir string) bool {
	p := filepath.Join(dir, lockfile.File)
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > limits.FileSize {
		return false
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	l, err := lockfile.Parse(data)
	return err == nil && l.Env == filepath.Base(dir)
}

// checkOut refuses an --out that is, is inside, or contains one of srcs:
// replacing <out>/<env> there could delete templates (a mistyped --out
// apps/web/overlays, or env "apps" with --out .).
func (r *Renderer) checkOut(out string, srcs []source) error {
	outAbs, err := rootfs.RealPath(out)
	if err != nil {
		return fmt.Errorf("resolving --out %s: %w", out, err)
	}
	// Apps share charts, bases and libraries, and each env repeats them:
	// resolving each path once keeps this to a few hundred stats on a
	// fleet of thousands of apps and envs.
	// Each folder on the way is resolved once too (rootfs.Resolver): the
	// sources lie below a few folders.
	seen := map[source]bool{}
	paths := rootfs.NewResolver(r.p.Root)
	for _, src := range srcs {
		k := source{path: src.path, held: src.held}
		if seen[k] {
			continue
		}
		seen[k] = true
		abs, err := paths.RealPath(filepath.Join(r.p.Root, filepath.FromSlash(src.path)))
		if err != nil {
			continue
		}
		var rel string
		switch {
		case within(outAbs, abs) && !src.held:
			rel = "is inside"
		case within(abs, outAbs):
			rel = "contains"
		default:
			continue
		}
		if samePath(outAbs, abs) {
			rel = "is"
		}
		return &diag.Error{File: out, Msg: fmt.Sprintf("--out %s the %s %s; kiln replaces folders below --out", rel, src.what, src.path),
			Err:  ErrOutOverlapsSource,
			Hint: "give --out a folder of its own, such as rendered (--force does not change this)"}
	}
	return nil
}

// source is a path the pipeline reads. held says only an --out that is
// or holds it overlaps: an --out inside a folder an engine read a file of
// (the repository's root often) replaces no file the engine reads. A
// folder an engine lists is never held: what appears below it is read
// next time (a yaml app's folder, a chart's), kiln's output too.
type source struct {
	path, what string
	held       bool
}

// recordSources remembers the paths an env's apps read once its env file
// is applied, which may override an app's folder.
func (r *Renderer) recordSources(res *envconfig.Resolved) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range res.Apps {
		for _, p := range appPaths(a.App) {
			r.resolved = append(r.resolved, source{path: p, what: "source of app " + a.Name})
		}
		// Read like the app's own files: an --out holding one, with
		// --force, replaced <out>/<env> and the env's patches with it.
		for _, pt := range a.Patches {
			if pt.Path != "" {
				r.resolved = append(r.resolved, source{path: pt.Path, what: "patch file of app " + a.Name})
			}
		}
	}
}

// recordReads remembers the folders of the files an engine read for who
// ("app web"), repository-relative: a kustomize overlay's base outside its
// folder (../../base), a file a configMapGenerator or a jsonnet import
// takes from elsewhere. With --force, an --out that is or holds one of
// them replaced the files there, and the next render could not find them.
// A folder is enough: an --out holds a file only if it holds its folder.
//
// It remembers the folders the engine listed (ds, its observations) too:
// a yaml app's and a Helm chart's folders, and each folder a symlink in
// them leads to, which no path of kiln.yaml names. The engine reads
// everything below such a folder, so an --out inside one is refused too:
// the next render would read kiln's output as the app's source.
func (r *Renderer) recordReads(who string, files []string, ds []templates.Dep) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.readDirs == nil {
		r.readDirs = map[source]bool{}
	}
	add := func(src source) {
		k := source{path: src.path, held: src.held}
		if !r.readDirs[k] {
			r.readDirs[k] = true
			r.resolved = append(r.resolved, src)
		}
	}
	for _, f := range files {
		add(source{path.Dir(f), "folder " + who + " reads files from", true})
	}
	for _, d := range ds {
		if d.Kind == deps.Dir {
			add(source{d.Path, "folder " + who + " reads whole", false})
		}
	}
}

// sources lists the repository-relative files and folders the pipeline
// reads, with every env's name in place of {env}, and those of the envs
// rendered so far as their env files say.
func (r *Renderer) sources() []source {
	r.mu.Lock()
	out := append([]source{{path: filepath.ToSlash(filepath.Base(r.p.File)), what: "pipeline file"}}, r.resolved...)
	r.mu.Unlock()
	for _, e := range r.p.Environments {
		out = append(out, source{path: e.Config, what: "env file of " + e.Name})
		for _, c := range r.p.Validation.CRDs {
			out = append(out, source{path: strings.ReplaceAll(c.Path, "{env}", e.Name), what: "CRD file or folder of validation.crds"})
		}
		for _, a := range r.p.Apps {
			for _, p := range appPaths(a) {
				out = append(out, source{path: strings.ReplaceAll(p, "{env}", e.Name), what: "source of app " + a.Name})
			}
		}
	}
	return out
}

// appPaths are the repository paths an app's engine reads.
func appPaths(a envconfig.App) []string {
	var ps []string
	switch {
	case a.Kustomize != "":
		ps = append(ps, a.Kustomize)
	case a.YAML != "":
		ps = append(ps, a.YAML)
	case a.Jsonnet != nil:
		ps = append(append(ps, a.Jsonnet.File), a.Jsonnet.JPath...)
	case a.Helm != nil:
		if a.Helm.Repo == "" && !strings.Contains(a.Helm.Chart, "://") {
			ps = append(ps, a.Helm.Chart)
		}
		ps = append(ps, a.Helm.Values...)
	}
	return ps
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	if foldCase() {
		p, dir = strings.ToLower(p), strings.ToLower(dir)
	}
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func samePath(a, b string) bool { return within(a, b) && within(b, a) }

// foldCase reports whether the usual file systems here ignore case
// (macOS, Windows).
func foldCase() bool { return runtime.GOOS == "darwin" || runtime.GOOS == "windows" }
