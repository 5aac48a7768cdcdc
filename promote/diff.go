package promote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// DiffOptions configure Diff.
type DiffOptions struct {
	// Env is the environment to render and compare.
	Env string
	// Against is what to compare with:
	//   - "": manifests.repo at manifests.branch, folder manifests.path;
	//   - a git URL (scheme://…, user@host:path), optionally #REF (a branch,
	//     tag or commit; default manifests.branch): that repository's
	//     manifests.path folder;
	//   - PATH#REF: the git repository at PATH, at REF;
	//   - a folder laid out like render's --out: its <env> subfolder. A
	//     folder that is a git repository without an <env> subfolder is
	//     taken as a manifests repository at manifests.branch.
	Against string
	// AgainstEnv, instead of Against, compares Env with another env of
	// the pipeline, both rendered now from the same sources, object by
	// object (see diffEnvs). Render.Apps then limits the comparison to
	// those apps; every app is rendered, for the checks across apps.
	AgainstEnv string
	// Render configures the render.
	Render render.Options
	// Token authenticates git over HTTPS.
	Token string
	// GitEnv is the environment git runs with (see Options.GitEnv).
	GitEnv []string
	// UserGitConfig lets the user's git configuration apply to the
	// repository compared with: url.insteadOf, credential helpers,
	// core.sshCommand (docs/promote.md, "Whose git configuration"). The
	// CLI sets it outside CI when no token is given; with a Token it has
	// no effect.
	UserGitConfig bool
	// WorkDir is where a repository is cloned (see Options.WorkDir).
	WorkDir string
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Session, shared by the Diffs of one command, clones and fetches
	// each repository compared with once, and prints a warning an
	// earlier Diff printed (one about the whole pipeline) only once; nil
	// does each for each Diff.
	Session *DiffSession
	// OnWarning, when set, also gets each warning Log gets, once, with
	// its env and its secret values masked: kiln's command line annotates
	// them in GitHub Actions, as render's.
	OnWarning func(env string, w diag.Warning)
}

// DiffResult is what the new render changes.
type DiffResult struct {
	// Env is the environment compared.
	Env string `json:"env"`
	// Against says what it was compared with, for people.
	Against string `json:"against"`
	// AgainstEnv is the env compared with (DiffOptions.AgainstEnv).
	AgainstEnv string `json:"againstEnv,omitempty"`
	// Changed is true when any file differs.
	Changed bool `json:"changed"`
	// Apps counts changed objects per app (apps with none are left out).
	Apps map[string]AppChanges `json:"apps"`
	// Changes are the changed files, secret values masked.
	Changes []FileChange `json:"files"`

	changes []treediff.Change
	// usedImages are what UsedImages returns.
	usedImages map[string]bool
}

// UsedImages returns the repositories of the given images the env's apps
// used, for render.UnusedImages when Render.JudgeImagesLater left that
// judgement to the caller; nil when the render cannot tell, and in a
// diff against another env, which judges its two envs itself.
func (d *DiffResult) UsedImages() map[string]bool { return maps.Clone(d.usedImages) }

// FileChange is one changed file of a DiffResult.
type FileChange struct {
	// Path is relative to the env folder.
	Path string `json:"path"`
	// Op is added, changed or removed.
	Op string `json:"op"`
	// App is the app the file belongs to, if any.
	App string `json:"app,omitempty"`
	// Object is Kind/namespace/name when the file holds one object.
	Object string `json:"object,omitempty"`
	// AgainstPath and AgainstObject, in a diff against another env, are
	// the file and the Kind/namespace/name of the object in that env that
	// Path and Object pair with (for a removed object, all four name the
	// other env's object).
	AgainstPath   string `json:"againstPath,omitempty"`
	AgainstObject string `json:"againstObject,omitempty"`
}

// Unified returns the unified diff of every change, in path order, with
// ANSI colours when color is true.
func (d *DiffResult) Unified(color bool) string { return d.UnifiedIn("", color) }

// UnifiedIn is Unified with every path under folder prefix ("dev/"), so
// that the diffs of several envs can be told apart and applied together.
func (d *DiffResult) UnifiedIn(prefix string, color bool) string {
	var b strings.Builder
	for _, c := range d.changes {
		c.Path = prefix + c.Path
		b.WriteString(treediff.Unified(c, color))
	}
	return b.String()
}

// QuotePath returns a path of an env folder as kiln lists it: as it is,
// or quoted as git quotes one, when it holds a control character (a line
// break would make a line of its own, or a GitHub Actions workflow
// command), a double quote or a backslash.
func QuotePath(p string) string { return treediff.Quoted(p) }

// Diff renders an env and compares it with the env's folder elsewhere: the
// manifests branch by default. It reads, never writes.
func Diff(ctx context.Context, p *envconfig.Pipeline, opts DiffOptions) (*DiffResult, error) {
	if opts.AgainstEnv != "" {
		return diffEnvs(ctx, p, opts)
	}
	env, err := p.Env(opts.Env)
	if err != nil {
		return nil, err
	}
	r := &run{p: p, env: env, base: p.Manifests.Branch, log: opts.Log, userGit: opts.UserGitConfig, session: opts.Session,
		opts: Options{Render: opts.Render, Token: opts.Token, GitEnv: opts.GitEnv, WorkDir: opts.WorkDir, Log: opts.Log, OnWarning: opts.OnWarning}}
	if r.log == nil {
		r.log = io.Discard
	}
	dir, err := envPath(p, env.Name)
	if err != nil {
		return nil, err
	}
	r.dir = dir
	defer r.cleanup()
	old, against, err := r.against(ctx, opts.Against)
	if err != nil {
		return nil, err
	}
	// --app: the other apps are kept as the compared tree has them, so
	// the diff shows the named apps only. And a SOPS-encrypted Secret
	// whose plaintext is unchanged keeps the compared tree's ciphertext
	// (with the age key), so it shows no change, as promote would make
	// none.
	r.opts.Render.Earlier = func(string) (map[string][]byte, error) { return old, nil }
	// The compared tree stands for what the cluster holds, as for the
	// transition warnings: a custom resource its CRD now refuses is judged
	// as the update of its object there.
	r.opts.Render.Applied = r.opts.Render.Earlier
	r.opts.Render.Preview = true
	if r.againstDir != "" {
		r.opts.Render.EarlierDir = func(string) string { return r.againstDir }
	}
	src, err := r.source(ctx)
	if err != nil {
		return nil, err
	}
	res := &DiffResult{Env: env.Name, Against: against, Apps: map[string]AppChanges{}, Changes: []FileChange{}, usedImages: src.usedImages}
	files := render.KeepProvenance(old, render.KeepBootstrap(r.p, old, src.files))
	modes := r.modesOf(r.againstSpecial)
	shownOld, shownNew := shownTrees(src.redactor, r.sopsIdentities(), src.sealed, old, files)
	res.changes = treediff.TreesOf(shownOld, shownNew, modes)
	real := treediff.TreesOf(old, files, modes)
	res.Changed = len(real) > 0
	var oldLock *render.Lock
	if l, err := render.ParseLock(old[render.LockFile]); err == nil {
		oldLock = l
	}
	for _, w := range slices.Concat(removedAppWarnings(old, real), immutableWarnings(real), r.transitionWarnings(ctx, files, real), ifNotPresentWarnings(real), movedWarnings(old, real), renamedWarnings(renamedKustomizations(old, real)), prunedWarnings(old, real), unstableWarnings(oldLock, src.lock, real), r.rerenderWarnings(ctx, src, real, oldLock)) {
		r.warnOf(w, src.redactor.String)
	}
	if opts.Against == "" {
		// The preview of a promotion: say now what promote would refuse.
		pl := &plan{old: old, changes: real, oldLock: oldLock}
		if err := r.foreignGuard(pl, nil); err != nil {
			r.warn(src.redactor.String(err.Error()))
		}
	}
	for app, s := range treediff.Count(res.changes) {
		res.Apps[app] = AppChanges{Added: s.Added, Changed: s.Changed, Removed: s.Removed}
	}
	for _, c := range res.changes {
		res.Changes = append(res.Changes, FileChange{Path: c.Path, Op: c.Op, App: c.App, Object: c.Object})
	}
	return res, nil
}

// against reads the tree to compare with.
func (r *run) against(ctx context.Context, spec string) (map[string][]byte, string, error) {
	remote, ref := spec, ""
	if i := strings.LastIndex(spec, "#"); i >= 0 {
		remote, ref = spec[:i], spec[i+1:]
	}
	if spec == "" {
		remote = r.p.Manifests.Repo
		if remote == "" {
			return nil, "", &diag.Error{File: "kiln.yaml", Msg: "manifests.repo is not set, so there is nothing to compare with",
				Hint: "set manifests.repo, or pass --against DIR or --against GIT-URL#REF"}
		}
	}
	given := remote // as the user wrote it, for the names in errors
	if spec != "" && !gitrepo.IsURL(remote) && !filepath.IsAbs(remote) {
		// A path on the command line is relative to where kiln runs,
		// like --out, whether it is a folder or a repository (PATH#REF):
		// the clone below would take it relative to kiln.yaml's folder,
		// as manifests.repo, and compare with another repository than
		// the one named.
		abs, err := filepath.Abs(remote)
		if err != nil {
			return nil, "", err
		}
		remote = abs
	}
	if ref == "" && spec != "" && !gitrepo.IsURL(remote) {
		dir := remote
		envDir := filepath.Join(dir, r.env.Name)
		if st, err := os.Stat(envDir); err == nil && st.IsDir() {
			old, err := render.ReadNamed(dir, r.env.Name)
			if le := (*render.LockedError)(nil); errors.As(err, &le) {
				return nil, "", le // it says what to do: wait for the render
			}
			if err != nil {
				return nil, "", &diag.Error{File: envDir, Msg: "cannot read the folder to compare with: " + err.Error(), Err: err, Hint: "check --against"}
			}
			// As the user wrote it, like render's <out>/<env>.
			r.againstDir = filepath.Join(given, r.env.Name)
			return old, envDir, nil
		}
		if !isGitRepo(dir) {
			return nil, "", &diag.Error{File: envDir, Msg: "no such folder to compare with", Err: ErrNoFolder,
				Hint: "--against DIR compares with DIR/" + r.env.Name + " (a folder like render's --out); for a git repository give its URL or PATH#BRANCH"}
		}
	}
	fetch := ref
	if ref == "" {
		// The manifests branch, a branch: by its short name git's lookup
		// would take a tag of that name first, and whoever may push a
		// tag would choose the tree compared (or verified) with.
		ref, fetch = r.base, "refs/heads/"+r.base
	}
	commit, err := r.fetchRef(ctx, remote, fetch)
	if r.repo == nil {
		return nil, "", err // the clone failed: r.clone said why
	}
	if errors.Is(err, gitrepo.ErrUnknownRef) && ref == r.base {
		// The manifests branch does not exist yet (an empty repository,
		// or one kiln has not promoted to): the first promotion would
		// add everything, so everything is what differs. In a
		// repository with other branches it would refuse instead: say so.
		if spec == "" {
			if err := r.checkNoBase(ctx); err != nil {
				r.warn(err.Error())
			}
		}
		return map[string][]byte{}, fmt.Sprintf("%s#%s (no such branch yet) %s", r.repo.Remote, ref, r.dir), nil
	}
	if err != nil {
		return nil, "", r.refErr(ref, err)
	}
	old, special, err := r.repo.TreeAndSpecial(ctx, commit, r.dir)
	if err != nil {
		return nil, "", r.gitErr("reading "+r.dir+" from", err)
	}
	r.againstSpecial = special
	// git's rev:path: a path alone (clusters/dev/apps/db/) would read as
	// one of the source repository, which GitHub annotates.
	r.againstDir = fmt.Sprintf("%s#%s:%s", r.repo.Remote, ref, r.dir)
	return old, fmt.Sprintf("%s#%s (%s) %s", r.repo.Remote, ref, short(commit), r.dir), nil
}

// fetchRef clones remote and fetches ref from it, through r's session
// when it has one.
func (r *run) fetchRef(ctx context.Context, remote, ref string) (string, error) {
	if r.session != nil {
		return r.session.fetch(ctx, r, remote, ref)
	}
	if err := r.clone(ctx, remote); err != nil {
		return "", err
	}
	return r.repo.FetchRef(ctx, ref)
}

// ErrNoFolder is the cause of an error for a folder the command line
// names (--against DIR, --rendered DIR) that does not hold the env: a
// usage mistake, as a --config that names no file is.
var ErrNoFolder = errors.New("no such folder")

// ErrAmbiguousRef is the cause of an error for an --against #REF that
// abbreviates more than one commit: a usage mistake, unlike a ref that
// names nothing in the repository.
var ErrAmbiguousRef = gitrepo.ErrAmbiguousRef

// ErrMalformedRef is the cause of an error for an --against #REF that
// cannot name a branch, tag or commit (-x, main~1, main:path): a usage
// mistake.
var ErrMalformedRef = gitrepo.ErrMalformedRef

// refErr explains a #REF that could not be fetched.
func (r *run) refErr(ref string, err error) error {
	var re *gitrepo.RefError
	if !errors.As(err, &re) {
		return r.gitErr("fetching "+ref+" of", err)
	}
	if errors.Is(err, gitrepo.ErrMalformedRef) {
		return &diag.Error{Msg: re.Error(), Err: err,
			Hint: "#REF is a branch, a tag, a full ref name (refs/pull/7/head) or a commit hash, not a revision expression (~, ^, :) or an option"}
	}
	if errors.Is(err, gitrepo.ErrAmbiguousRef) && len(re.Names) > 0 {
		return &diag.Error{Msg: re.Error(), Err: err, Hint: "give the full ref name, refs/heads/" + re.Ref + " or refs/tags/" + re.Ref}
	}
	if errors.Is(err, gitrepo.ErrAmbiguousRef) {
		return &diag.Error{Msg: re.Error(), Err: err, Hint: "give more digits of the commit, or its full hash"}
	}
	return &diag.Error{Msg: re.Error(), Err: err,
		Hint: "check #REF: a branch, a tag, or a commit of at least 4 hex digits that a branch or tag of the repository contains"}
}

func isGitRepo(dir string) bool {
	for _, marker := range []string{".git", "HEAD"} {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			return true
		}
	}
	return false
}
