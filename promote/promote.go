package promote

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/caret"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/gitinfo"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote/internal/gh"
	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/prbody"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// Modes a Result reports, the env's mode from kiln.yaml.
const (
	ModePR   = envconfig.ModePR
	ModePush = envconfig.ModePush
)

// BranchPrefix starts the branch kiln owns for each env in pr mode:
// kiln/<env>. kiln force-pushes it; nobody else should commit to it.
const BranchPrefix = "kiln/"

// Labels are put on every kiln pull request, with envLabel's.
var Labels = []string{"kiln"}

// maxLabel is GitHub's limit on a label's name: adding a longer one to a
// pull request is refused (422).
const maxLabel = 50

// envLabel is the label of env's pull requests: "env/<env>", or, for an
// env name too long for GitHub's 50 characters (kiln allows 63), its first
// 37 characters and 8 hex digits of its SHA-256, so that the label stays
// one per env.
func envLabel(env string) string {
	l := "env/" + env
	if len(l) <= maxLabel {
		return l
	}
	sum := sha256.Sum256([]byte(env))
	return l[:maxLabel-9] + "-" + hex.EncodeToString(sum[:])[:8]
}

// DefaultPushAttempts bounds how often push mode rebuilds and retries when
// someone else pushed to the manifests branch meanwhile.
const DefaultPushAttempts = 5

// DefaultPollInterval is how often the gate asks GitHub again under Wait.
const DefaultPollInterval = 15 * time.Second

// Identity is the author and committer of kiln's commits.
type Identity struct {
	Name, Email string
}

// Options configure Promote.
type Options struct {
	// Env is the environment to promote. Set either Env, or From and To.
	Env string
	// From and To promote To with From's images, once From is healthy:
	// From's kiln.lock.json on the manifests branch gives the images and
	// the source commit the working tree must be at, and every From app
	// must have a successful kiln/<From>/<app> commit status.
	From, To string
	// Rendered is a folder laid out like render's --out: the env's tree is
	// read from Rendered/<env> instead of being rendered. Not with From.
	Rendered string
	// RenderedShards are more folders like Rendered, each holding one
	// shard of the env (kiln render --shard i/n); with them, Rendered is
	// the first shard. The shards are merged (render.Renderer.Merge):
	// every app from exactly one shard, the checks across apps on the
	// whole env.
	RenderedShards []string
	// Render configures the render: images, strictness, kiln's version,
	// the source repository and commit, secret var lookup.
	Render render.Options
	// DryRun does everything but push and touch pull requests; the Result
	// carries the body that would be posted.
	DryRun bool
	// Wait is how long the gate polls GitHub for From's statuses to turn
	// successful; 0 checks once. It bounds the GitHub client's retries
	// and the fetches of the gate too.
	Wait time.Duration
	// PollInterval is the pause between polls; 0 means DefaultPollInterval.
	PollInterval time.Duration
	// Token authenticates git over HTTPS and the GitHub API. It never
	// appears in argv, .git/config, logs, errors or the Result.
	Token string
	// GitHubAPI is the REST API's base URL (GitHub Enterprise:
	// https://HOST/api/v3/); "" means api.github.com.
	GitHubAPI string
	// AllowMassDelete lets a promotion remove every app of the env or more
	// than half of its objects.
	AllowMassDelete bool
	// AllowDirty lets a promotion take a tree rendered from a working tree
	// with uncommitted changes (kiln.lock.json's source.dirty): no commit
	// renders such a tree, so kiln verify cannot prove it and kiln promote
	// --from cannot render the next env from the same templates.
	AllowDirty bool
	// AllowOlderSource lets a promotion replace a tree whose kiln.lock.json
	// names a source commit that descends from the one being promoted: a
	// rollback on purpose. Without it such a run is refused as stale (an
	// older run that finished after a newer one).
	AllowOlderSource bool
	// AllowOtherRepo lets a promotion replace a tree whose kiln.lock.json
	// names another code repository than this run's: the env moved to this
	// repository on purpose (a renamed or transferred repository, a
	// takeover). Without it such a run is refused: two pipelines writing
	// one env folder would delete each other's apps.
	AllowOtherRepo bool
	// ReplaceForeignCommits lets a pr-mode promotion replace kiln/<env>
	// when it holds commits kiln did not make (a reviewer's); without it
	// such a promotion is refused, naming them.
	ReplaceForeignCommits bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// OnWarning, when set, also gets each warning Log gets, once, with
	// its env and its secret values masked: kiln's command line annotates
	// them in GitHub Actions, as render's.
	OnWarning func(env string, w diag.Warning)
	// GitHub is the GitHub client; nil builds one from Token and GitHubAPI.
	GitHub gh.Client
	// GitEnv is the environment git runs with, as KEY=VALUE (PATH, HOME,
	// SSH_AUTH_SOCK, proxies). kiln adds its own settings and drops any
	// git configuration, prompt or trace variable.
	GitEnv []string
	// Identity authors kiln's commits; zero means
	// kiln <kiln@users.noreply.github.com>.
	Identity Identity
	// PushAttempts bounds push mode's retries; 0 means DefaultPushAttempts.
	PushAttempts int
	// WorkDir is where the manifests repository is cloned, in a new
	// temporary folder (kiln-manifests-*) that is removed afterwards; ""
	// means os.TempDir(). Such folders that killed runs left there are
	// removed first (makeTemp).
	WorkDir string
	// Now and Sleep drive the gate's polling and the GitHub client's
	// pauses between attempts; nil means the real clock. Only on the real
	// clock does the gate cut a fetch or a status read still running
	// past the end of Wait.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	// hook runs at the steps named by the step* constants, so that tests
	// can land a competing push or run another promotion in between.
	hook func(ctx context.Context, step string) error
	// waitGrace replaces the gate's waitGrace, so that a test of a step
	// cut past the end of Wait need not wait seconds.
	waitGrace time.Duration
}

// Steps at which Options.hook runs.
const (
	// stepCommit: the env's tree is written and staged in the clone,
	// about to commit (both modes).
	stepCommit = "commit"
	// stepPush: committed, about to push (both modes).
	stepPush = "push"
	// stepPushed: pr mode pushed (or found its commit there), before it
	// looks at the branch again.
	stepPushed = "pushed"
	// stepPR: pr mode is about to open or update the pull request.
	stepPR = "pr"
	// stepClose: pr mode found nothing to promote and is about to close
	// the env's pull request.
	stepClose = "close"
)

// at runs the test hook of step, if any.
func (r *run) at(ctx context.Context, step string) error {
	if r.opts.hook == nil || r.opts.DryRun {
		return nil
	}
	return r.opts.hook(ctx, step)
}

// Result is what a promotion did (or, with DryRun, would do).
type Result struct {
	// Env is the environment promoted.
	Env string `json:"env"`
	// From is the environment promoted from, if any.
	From string `json:"from,omitempty"`
	// Mode is the env's mode: "pr" or "push".
	Mode string `json:"mode"`
	// Changed is true when the env's folder differs from the manifests
	// branch in more than kiln.lock.json's provenance fields
	// (render.KeepProvenance).
	Changed bool `json:"changed"`
	// DryRun is true when nothing was pushed.
	DryRun bool `json:"dryRun"`
	// Branch is the branch committed to: kiln/<env> or the manifests branch.
	Branch string `json:"branch,omitempty"`
	// Commit is the commit on Branch holding the promotion; "" when nothing
	// changed.
	Commit string `json:"commit,omitempty"`
	// FromCommit is the manifests commit on which the gate found From
	// healthy; its kiln.lock.json is what was promoted.
	FromCommit string `json:"fromCommit,omitempty"`
	// SourceCommit is the code repository's commit the tree was rendered from.
	SourceCommit string `json:"sourceCommit,omitempty"`
	// PRNumber and PRURL are the pull request opened or updated (pr mode).
	PRNumber int    `json:"prNumber,omitempty"`
	PRURL    string `json:"prUrl,omitempty"`
	// Dispatched is true when kiln sent a repository_dispatch to
	// notifications.dispatch because the push changed no app's objects and
	// Flux would send none.
	Dispatched bool `json:"dispatched,omitempty"`
	// ClosedPR is the pull request closed because nothing is left to promote.
	ClosedPR int `json:"closedPr,omitempty"`
	// Attempts is how many pushes push mode needed.
	Attempts int `json:"attempts,omitempty"`
	// Apps counts changed objects per app (apps with none are left out).
	Apps map[string]AppChanges `json:"apps"`
	// Files are the files added, changed or removed, in path order: the
	// same shape as DiffResult's and VerifyResult's.
	Files []FileChange `json:"files"`
	// Title is the commit's and pull request's title.
	Title string `json:"title,omitempty"`
	// Body is the pull request body (also made in push mode, for --dry-run).
	Body string `json:"-"`
}

// AppChanges counts one app's object changes.
type AppChanges struct {
	Added   int `json:"added"`
	Changed int `json:"changed"`
	Removed int `json:"removed"`
}

// RenderError carries every error of the env's render.
type RenderError struct {
	Env string
	Err error
}

func (e *RenderError) Error() string { return fmt.Sprintf("env %s: %v", e.Env, e.Err) }

// Unwrap returns the render's errors.
func (e *RenderError) Unwrap() error { return e.Err }

// Promote promotes one environment as opts say. With DryRun, or when the
// mass-delete guard refuses, the Result is returned with the error so the
// body can still be shown.
func Promote(ctx context.Context, p *envconfig.Pipeline, opts Options) (*Result, error) {
	r, err := newRun(p, opts)
	if err != nil {
		return nil, err
	}
	defer r.cleanup()
	res := &Result{Env: r.env.Name, From: r.from, Mode: r.env.Mode, DryRun: opts.DryRun, Apps: map[string]AppChanges{}}

	branch := BranchPrefix + r.env.Name
	r.keepSOPS(ctx, branch)
	var src *source
	if r.from == "" {
		// Render before touching the network: template errors are the
		// commonest failure and need no clone to show. (Only a render
		// that encrypts Secrets reads the manifests repository, once it
		// rendered without error, and one whose custom resource its CRD
		// refuses: see keepSOPS.)
		if src, err = r.source(ctx); err != nil {
			return nil, err
		}
		if err := r.checkDirty(src); err != nil {
			return nil, err
		}
	}
	heads, err := r.fetchManifests(ctx, branch)
	if err != nil {
		return nil, err
	}
	baseTip := heads[r.base]
	if baseTip == "" && r.from == "" {
		if err := r.checkNoBase(ctx); err != nil {
			return nil, err
		}
	}
	if r.from != "" {
		if baseTip == "" {
			return nil, &diag.Error{Msg: fmt.Sprintf("the manifests branch %s does not exist, so env %s has no kiln.lock.json to promote from", r.base, r.from),
				Hint: "promote env " + r.from + " first: kiln promote --env " + r.from}
		}
		j, err := r.gate(ctx, branch, heads)
		if err != nil {
			return nil, err
		}
		// Promote what was judged healthy: its lock, on the head the
		// gate read, which may be newer than the one fetched first.
		lock := j.lock
		baseTip, heads = j.commit, j.heads
		r.fetched.Lock()
		r.fetched.heads = heads
		r.fetched.Unlock()
		res.FromCommit = j.commit
		// Dirty first: checking out the lock's commit would not help.
		if err := r.checkFromDirty(lock); err != nil {
			return nil, err
		}
		if err := r.checkFromKept(lock); err != nil {
			return nil, err
		}
		if err := checkSource(ctx, r.p.Root, r.from, r.env.Name, lock); err != nil {
			return nil, err
		}
		// At the lock's commit now, kiln makes the previous env's flux/
		// as it wrote it: the judged folder must hold that.
		if err := r.checkFromOwn(ctx, j); err != nil {
			return nil, err
		}
		r.opts.Render.Images = render.Images{Given: r.promotedImages(ctx, lock, baseTip)}
		if src, err = r.source(ctx); err != nil {
			return nil, err
		}
		if err := r.checkDirty(src); err != nil {
			return nil, err
		}
	}
	if r.opts.Rendered != "" {
		if err := r.keepRendered(ctx, src, heads, branch); err != nil {
			return nil, err
		}
	}
	var last lastPromotion
	if r.env.Mode == ModePR {
		if last, err = r.lastPromotion(ctx, branch, baseTip, heads[branch], src); err != nil {
			return nil, err
		}
		if err := r.keepPendingProvenance(ctx, src, last); err != nil {
			return nil, err
		}
	}
	res.SourceCommit = src.lock.Source.Commit
	title, message := commitMessage(r.env.Name, r.from, r.dir, src.lock)
	res.Title = title

	baseRef := ""
	if baseTip != "" {
		baseRef = "refs/remotes/origin/" + r.base
	}
	plan, err := r.plan(ctx, baseRef, src)
	if err != nil {
		return nil, err
	}
	r.rerendered = r.rerenderWarnings(ctx, src, plan.changes, plan.oldLock)
	plan.unstable = append(plan.unstable, r.rerendered...)
	plan.fill(res)
	if !plan.changed() {
		fmt.Fprintf(r.log, "env %s: %s already matches on %s; nothing to promote\n", r.env.Name, r.dir, r.base)
		if r.env.Mode == ModePR && !opts.DryRun && r.owner != "" {
			n, err := r.closeEmpty(ctx, branch, src, last)
			if err != nil {
				return res, err
			}
			res.ClosedPR = n
		}
		return res, nil
	}
	for _, w := range slices.Concat(plan.removedApps, plan.unappliable, plan.moved, plan.pruned, plan.unstable) {
		r.warnOf(w, src.redactor.String)
	}
	// The body comes first, so that a dry run shows it even when the guard
	// refuses.
	res.Body = r.body(src, plan)
	// Before the guard: another pipeline's apps would all look deleted,
	// and this says why.
	if err := r.otherRepo(src, r.base, plan.oldLock); err != nil {
		return res, err
	}
	if err := r.guard(plan, nil); err != nil {
		return res, err
	}

	switch r.env.Mode {
	case ModePush:
		res.Branch = r.base
		err = r.push(ctx, res, src, message, baseTip)
	default:
		res.Branch = branch
		if baseTip == "" {
			return res, &diag.Error{Msg: fmt.Sprintf("the manifests branch %s does not exist in %s", r.base, r.repo.Remote),
				Hint: "a pull request needs a base branch: push an initial commit to " + r.base + ", or give env " + r.env.Name + " mode: push for the first promotion"}
		}
		if err := r.checkBranchRoom(ctx, branch); err != nil {
			return res, err
		}
		if err := r.checkReplaces(ctx, src, r.base, plan.oldLock); err != nil {
			return res, err
		}
		if err := r.checkOtherPipeline(ctx, branch, last); err != nil {
			return res, err
		}
		pending := r.tipLockAt(ctx, heads[branch])
		if err := r.checkReplaces(ctx, src, branch, pending.lock); err != nil {
			return res, err
		}
		lines, lerr := r.keptConflicts(ctx, src, plan.old, plan.oldLock)
		if err := r.refuseKept(src, r.base, lines, lerr); err != nil {
			return res, err
		}
		lines, lerr = r.keptConflictsAt(ctx, src, pending)
		if err := r.refuseKept(src, branch, lines, lerr); err != nil {
			return res, err
		}
		if err := r.checkForeign(branch, last); err != nil {
			return res, err
		}
		err = r.pullRequest(ctx, res, src, plan, title, message, baseRef, heads)
	}
	return res, err
}

// run is one Promote or Diff call's state.
type run struct {
	p      *envconfig.Pipeline
	opts   Options
	log    io.Writer
	env    *envconfig.Environment
	from   string
	dir    string // the env's folder in the manifests repository
	base   string // manifests.branch
	owner  string // GitHub owner and repository name; "" when unknown
	name   string
	repo   *gitrepo.Repo
	tmp    *tempDir // the clone's folder
	client gh.Client
	// realClock is set when Options.Now is the real clock, by which
	// alone the gate can cut a fetch or a request still running.
	realClock bool
	// userGit lets the user's git configuration apply to the clone
	// (gitrepo.Options.UserConfig): diff and verify read with it outside
	// CI; promote, which writes, never does.
	userGit bool
	// session, when set, is shared with the runs of the same command for
	// other envs (DiffOptions.Session).
	session *DiffSession
	// againstSpecial are the submodules and symlinks of the env's folder
	// that against read from a git repository: the files it returns
	// leave the submodules out and hold each symlink's target's path.
	againstSpecial gitrepo.Special
	// againstDir names where the tree kiln diff compares with is, as
	// errors about a kept app's files name them (render.Options.
	// EarlierDir): DIR/<env> for --against DIR, REPO#REF:<env's path>
	// for a git tree.
	againstDir string

	// fetched is fetchManifests's one clone and fetch.
	fetched struct {
		sync.Mutex
		done  bool
		heads map[string]string
		// listed is every branch of the remote as the fetch found them.
		listed map[string]string
		err    error
	}
	// rerendered are the warnings of the second render of the changed
	// Helm apps (rerenderWarnings), made once and kept in every plan of
	// the run: push mode plans again on each new tip.
	rerendered []diag.Warning
}

// DiffSession is what the Diffs of one command share, so that diffing
// several envs costs and says what diffing one does: each repository
// compared with is cloned once and each of its refs fetched once (three
// envs against the manifests branch were three fetches of the whole
// repository), and a warning printed for one env is not printed again (one
// about the whole pipeline: kubeVersion coverage, the commit-status
// scale); warnings that name their env differ and all come. The zero value
// is ready; Close removes the clones. One Diff at a time.
type DiffSession struct {
	mu    sync.Mutex
	said  map[string]bool
	repos map[string]*sessionRepo
}

// sessionRepo is one repository a DiffSession cloned, and what it fetched.
type sessionRepo struct {
	tmp  *tempDir
	repo *gitrepo.Repo
	err  error
	refs map[string]sessionRef
}

type sessionRef struct {
	commit string
	err    error
}

// first reports whether msg was not said before, and remembers it. A nil
// s says everything.
func (s *DiffSession) first(msg string) bool {
	if s == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.said[msg] {
		return false
	}
	if s.said == nil {
		s.said = map[string]bool{}
	}
	s.said[msg] = true
	return true
}

// fetch is r.clone of remote and FetchRef of ref, each done once per
// session: r is given the session's clone, which r.cleanup leaves alone.
func (s *DiffSession) fetch(ctx context.Context, r *run, remote, ref string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sr := s.repos[remote]
	if sr == nil {
		sr = &sessionRepo{refs: map[string]sessionRef{}}
		sr.err = r.clone(ctx, remote)
		sr.tmp, sr.repo = r.tmp, r.repo
		r.tmp = nil
		if s.repos == nil {
			s.repos = map[string]*sessionRepo{}
		}
		s.repos[remote] = sr
	}
	r.repo = sr.repo
	if sr.err != nil {
		return "", sr.err
	}
	f, ok := sr.refs[ref]
	if !ok {
		f.commit, f.err = sr.repo.FetchRef(ctx, ref)
		sr.refs[ref] = f
	}
	return f.commit, f.err
}

// Close removes the session's clones.
func (s *DiffSession) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, sr := range s.repos {
		errs = append(errs, sr.tmp.remove())
	}
	s.repos = nil
	return errors.Join(errs...)
}

// warn prints msg as a warning, unless r's session has said it.
func (r *run) warn(msg string) { r.say(msg, diag.Warning{Msg: msg}) }

// warnOf is warn for w, its values masked with mask.
func (r *run) warnOf(w diag.Warning, mask func(string) string) {
	w = w.Map(mask)
	r.say(w.String(), w)
}

// say prints msg, the text of w, as a warning and hands w to
// Options.OnWarning, unless r's session has said it.
func (r *run) say(msg string, w diag.Warning) {
	if !r.session.first(msg) {
		return
	}
	fmt.Fprintf(r.log, "warning: %s\n", msg)
	if r.opts.OnWarning != nil && r.env != nil {
		r.opts.OnWarning(r.env.Name, w)
	}
}

// fetchManifests clones the manifests repository and fetches its branch
// and the env's pull request branch, once; later calls return the first
// call's heads (or error).
func (r *run) fetchManifests(ctx context.Context, branch string) (map[string]string, error) {
	f := &r.fetched
	f.Lock()
	defer f.Unlock()
	if f.done {
		return f.heads, f.err
	}
	f.done = true
	if f.err = r.clone(ctx, r.p.Manifests.Repo); f.err != nil {
		return nil, f.err
	}
	heads, listed, err := r.repo.FetchListed(ctx, r.base, branch)
	if err != nil {
		f.err = r.gitErr("fetching", err)
		return nil, f.err
	}
	f.heads, f.listed = heads, listed
	return heads, nil
}

// sopsIdentities parses the age key the render was given, for comparing
// SOPS-encrypted files by plaintext in reviews; none when there is no key
// or it does not parse (the render reports that).
func (r *run) sopsIdentities() sopsyaml.Identities {
	ids, err := sopsyaml.ParseIdentities(r.opts.Render.SOPSIdentities)
	if err != nil || strings.TrimSpace(r.opts.Render.SOPSIdentities) == "" {
		return nil
	}
	return ids
}

// keepRendered does for a tree rendered elsewhere (--rendered) what
// keepSOPS does for promote's own render: every SOPS-encrypted Secret whose
// plaintext the open pull request's branch or the manifests branch already
// holds keeps that ciphertext (with the age key), and the lock follows.
func (r *run) keepRendered(ctx context.Context, src *source, heads map[string]string, branch string) error {
	if strings.TrimSpace(r.opts.Render.SOPSIdentities) == "" {
		return nil
	}
	var trees []map[string][]byte
	refs := []string{heads[r.base]}
	if r.env.Mode == ModePR {
		refs = []string{heads[branch], heads[r.base]}
	}
	for _, ref := range refs {
		if ref == "" {
			continue
		}
		t, err := r.repo.Tree(ctx, ref, r.dir)
		if err != nil {
			return r.gitErr("reading "+r.dir+" from", err)
		}
		trees = append(trees, t)
	}
	files, kept, err := render.KeepCiphertext(src.files, r.opts.Render.SOPSIdentities, src.digestRedactor(), trees...)
	if err != nil || kept == 0 {
		return err
	}
	lock, err := render.ParseLock(files["kiln.lock.json"])
	if err != nil {
		return err
	}
	src.files, src.lock = files, lock
	fmt.Fprintf(r.log, "env %s: kept the ciphertext of %s whose values did not change\n", r.env.Name, words.Count(kept, "SOPS-encrypted file"))
	return nil
}

// keepPendingProvenance makes a source commit that changes no object leave
// the env's open pull request alone: when kiln/<env> (last) holds the new
// tree but for the lock's provenance fields, the tree takes that branch's
// lock, and with it the title, message and body that name the branch's
// source commit. The branch then already holds the change, so nothing is
// pushed and the pull request reads as before. Against the manifests
// branch, plan does the same (render.KeepProvenance).
//
// Only from this pipeline's own promotion, its folder as kiln's commit
// left it, with no commit pushed after it and nothing pending elsewhere
// (lastPromotion.ours), and read from kiln's commit: a lock someone edited
// on the branch, in a commit or inside a merge, names a commit kiln did
// not render, which --replace-foreign-commits would carry into kiln's own
// commit and title, and another pipeline's commit holds this env's folder
// as the base does, not as a promotion left it.
func (r *run) keepPendingProvenance(ctx context.Context, src *source, last lastPromotion) error {
	if !last.ours() {
		return nil
	}
	t, err := r.repo.Tree(ctx, last.commit, r.dir)
	if err != nil {
		return r.gitErr("reading "+r.dir+" from", err)
	}
	kept := render.KeepProvenance(t, render.KeepBootstrap(r.p, t, src.files))
	old := kept[render.LockFile]
	if bytes.Equal(old, src.files[render.LockFile]) {
		return nil
	}
	lock, err := render.ParseLock(old)
	if err != nil {
		return err
	}
	newCommit := src.lock.Source.Commit
	files := make(map[string][]byte, len(src.files))
	for p, data := range src.files {
		files[p] = data
	}
	files[render.LockFile] = old
	src.files, src.lock = files, lock
	fmt.Fprintf(r.log, "env %s: %s changes no object of the open pull request, which keeps its source commit %s\n",
		r.env.Name, short(newCommit), short(lock.Source.Commit))
	return nil
}

// keepSOPS lets the render keep the ciphertext of SOPS-encrypted Secrets
// whose plaintext is unchanged (render.Options.Earlier and Pending): from
// the env's folder on the manifests branch, and first from the open pull
// request's branch (pr mode), so that an unchanged Secret makes no diff and
// no commit, and a rerun no new push. SOPS encryption is randomised: without
// this, every promotion would rewrite every encrypted Secret. The render
// asks for these trees only when it encrypts (the env has sops: and secret
// values) and rendered without error, so the clone is made then, and once.
// A caller's own Earlier or Pending is kept.
func (r *run) keepSOPS(ctx context.Context, branch string) {
	tree := func(pending bool) func(string) (map[string][]byte, error) {
		return func(string) (map[string][]byte, error) {
			// Under --from, the heads the gate judged last.
			heads, err := r.fetchManifests(ctx, branch)
			if err != nil {
				return nil, err
			}
			ref := heads[r.base]
			if pending {
				ref = heads[branch]
			}
			if ref == "" {
				return nil, fs.ErrNotExist
			}
			return r.repo.Tree(ctx, ref, r.dir)
		}
	}
	if r.opts.Render.Earlier == nil {
		r.opts.Render.Earlier = tree(false)
	}
	// What Flux applied: a custom resource its CRD now refuses, which the
	// cluster holds already, is judged as the update Flux's apply makes
	// (render.Options.Applied). Read only when such an object is refused.
	if r.opts.Render.Applied == nil {
		r.opts.Render.Applied = tree(false)
	}
	if r.opts.Render.Pending == nil && r.env.Mode == ModePR {
		r.opts.Render.Pending = tree(true)
	}
}

func newRun(p *envconfig.Pipeline, opts Options) (*run, error) {
	r := &run{p: p, opts: opts, log: opts.Log, base: p.Manifests.Branch}
	if r.log == nil {
		r.log = io.Discard
	}
	envName := opts.Env
	switch {
	case opts.Env != "" && (opts.From != "" || opts.To != ""):
		return nil, errors.New("give an env, or from and to, not both")
	case opts.Env == "" && (opts.From == "" || opts.To == ""):
		return nil, errors.New("give an env to promote, or both from and to")
	case opts.From != "":
		envName, r.from = opts.To, opts.From
		if opts.Rendered != "" {
			return nil, errors.New("a promotion from another env renders with that env's images; it cannot take a rendered folder")
		}
	}
	env, err := p.Env(envName)
	if err != nil {
		return nil, err
	}
	r.env = env
	if r.from != "" {
		if err := CheckOrder(p, r.from, env.Name); err != nil {
			return nil, err
		}
	}
	if p.Manifests.Repo == "" {
		return nil, &diag.Error{File: "kiln.yaml", Msg: "manifests.repo is not set, so there is nowhere to promote to",
			Hint: "set manifests.repo to the manifests repository's git URL or path"}
	}
	if r.dir, err = envPath(p, env.Name); err != nil {
		return nil, err
	}
	if gh := p.Manifests.GitHub; gh != "" {
		r.owner, r.name, _ = strings.Cut(gh, "/")
	}
	if r.opts.PushAttempts <= 0 {
		r.opts.PushAttempts = DefaultPushAttempts
	}
	if r.opts.PollInterval <= 0 {
		r.opts.PollInterval = DefaultPollInterval
	}
	if r.opts.Now == nil {
		r.opts.Now, r.realClock = time.Now, true
	}
	if r.opts.Sleep == nil {
		r.opts.Sleep = gh.Sleep
	}
	// A dry run makes the same checks as the real run (it only stops
	// before pushing and touching pull requests), so that it cannot pass
	// where the real run would fail on a setting or a missing token.
	if err := checkGitHub(p, env, r.from != ""); err != nil {
		return nil, err
	}
	needGitHub := env.Mode == ModePR || r.from != ""
	if needGitHub && opts.GitHub == nil && opts.Token == "" {
		return nil, errors.New("no GitHub token; set GITHUB_TOKEN or pass --token (in GitHub Actions: a token with contents: write and pull-requests: write on the manifests repository)")
	}
	return r, nil
}

// Check makes the checks of kiln.yaml that a promotion of env makes before
// it renders or touches the network, for kiln validate: a pipeline that
// names manifests.repo means to promote, and validate should fail where
// kiln promote --env (or, for an env with promoteFrom, --from) would. The
// token is not among them: it belongs to the promoting run, and validate
// runs where there is none (a pull request from a fork). Without
// manifests.repo there is nothing to check.
func Check(p *envconfig.Pipeline, env string) error {
	e, err := p.Env(env)
	if err != nil || p.Manifests.Repo == "" {
		return err
	}
	return checkGitHub(p, e, e.PromoteFrom != "")
}

// checkGitHub refuses a promotion that needs GitHub (a pr env, or the gate
// of --from) when kiln.yaml does not say which repository that is.
func checkGitHub(p *envconfig.Pipeline, env *envconfig.Environment, from bool) error {
	if p.Manifests.GitHub != "" || (env.Mode != ModePR && !from) {
		return nil
	}
	why := fmt.Sprintf("env %s opens pull requests (mode: pr, the default)", env.Name)
	if env.Mode != ModePR {
		why = fmt.Sprintf("env %s is promoted from %s, whose health kiln reads from GitHub's commit statuses", env.Name, env.PromoteFrom)
		if env.PromoteFrom == "" {
			why = fmt.Sprintf("env %s is promoted from another env, whose health kiln reads from GitHub's commit statuses", env.Name)
		}
	}
	hint := "set manifests.github: owner/name (it is inferred only from a github.com manifests.repo)"
	if !from {
		hint += ", or give env " + env.Name + " mode: push"
	}
	return &diag.Error{File: "kiln.yaml", Line: env.Line,
		Msg:  why + ", but manifests.github is not set, so kiln cannot reach the manifests repository on GitHub",
		Hint: hint}
}

func (r *run) cleanup() {
	r.tmp.remove()
}

// github returns the GitHub client, built on first use.
func (r *run) github() (gh.Client, error) {
	if r.client != nil {
		return r.client, nil
	}
	if r.opts.GitHub != nil {
		r.client = r.opts.GitHub
		return r.client, nil
	}
	// The gate's clock: the client's pauses are bounded by the gate's
	// deadline (gh.WithRetryDeadline), which that clock sets.
	c, err := gh.New(gh.Options{Token: r.opts.Token, APIURL: r.opts.GitHubAPI, Sleep: r.opts.Sleep, Now: r.opts.Now,
		Logf: func(format string, args ...any) { fmt.Fprintf(r.log, format+"\n", args...) }})
	if err != nil {
		return nil, err
	}
	r.client = c
	return c, nil
}

// apiHint is hint, for a GitHub request that failed with err, unless
// neither manifests.github nor the token is at fault: GitHub failed or
// limited the request (gh.Transient), or it never reached the API
// (gh.Unreachable), and the hint names --github-api and the URL kiln used.
func (r *run) apiHint(err error, hint string) string {
	if gh.Transient(err) {
		return githubDownHint
	}
	if !gh.Unreachable(err) {
		return hint
	}
	api := cmp.Or(redact.PublicURL(r.opts.GitHubAPI), "https://api.github.com/")
	return fmt.Sprintf("kiln could not reach GitHub's API at %s (--github-api): check that URL, that its host resolves and accepts connections from here (through HTTPS_PROXY, if one is needed), and that its certificate is one this machine trusts (SSL_CERT_FILE)", api)
}

// clone prepares a clone of remote in a temporary folder; nothing is
// fetched yet.
func (r *run) clone(ctx context.Context, remote string) error {
	rem, err := gitrepo.ParseRemote(remote, r.p.Root)
	if err != nil {
		return &diag.Error{File: "kiln.yaml", Msg: "manifests.repo: " + err.Error(), Hint: "give a git URL or a local path"}
	}
	if r.tmp, err = makeTemp(r.opts.WorkDir, clonePrefix, r.log); err != nil {
		return err
	}
	fmt.Fprintf(r.log, "fetching %s\n", redact.RemoteURL(rem.URL))
	r.repo, err = gitrepo.Clone(ctx, rem, filepath.Join(r.tmp.path, "repo"), gitrepo.Options{
		Token: r.opts.Token, Identity: gitrepo.Identity(r.opts.Identity), Env: r.opts.GitEnv, UserConfig: r.userGit,
	})
	if err != nil {
		return r.gitErr("preparing a clone of", err)
	}
	return nil
}

// gitErr explains a failed git command against the manifests repository.
func (r *run) gitErr(doing string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	remote := ""
	if r.repo != nil {
		remote = r.repo.Remote
	}
	return &diag.Error{Msg: fmt.Sprintf("%s the manifests repository %s: %v", doing, remote, err), Err: err,
		Hint: "check manifests.repo and manifests.branch in kiln.yaml, and that the token (--token or GITHUB_TOKEN) may read and push to it"}
}

// keepBootstrap stages Flux's bootstrap files in the env's folder exactly
// as the commit being built upon has them: plan carries their bytes over,
// ReplaceDir writes them as regular files, and a symlink among them would
// become a file holding its target's path.
func (r *run) keepBootstrap(ctx context.Context) error {
	for _, d := range render.BootstrapDirs(r.p) {
		if err := r.repo.KeepFromHead(ctx, path.Join(r.dir, d)); err != nil {
			return r.gitErr("keeping Flux's bootstrap files in", err)
		}
	}
	return nil
}

// pushErr explains a push the manifests repository refused: besides
// access, a branch protection rule or ruleset is the common cause, and
// which one depends on the mode.
func (r *run) pushErr(branch string, err error) error {
	e := r.gitErr("pushing "+branch+" to", err)
	de, ok := e.(*diag.Error)
	if !ok || errors.Is(err, gitrepo.ErrNonFastForward) {
		return e
	}
	if errors.Is(err, gitrepo.ErrNoAnswer) {
		// Not a refusal: the rules and the token are not to blame.
		de.Hint = fmt.Sprintf("the connection to the manifests repository failed during the push, so %s may or may not have moved; run kiln again, which is safe: it pushes again, or finds this change there and goes on", branch)
		return de
	}
	if errors.Is(err, gitrepo.ErrRefLocked) {
		// Not a refusal either: no rule and no token is to blame.
		de.Hint = fmt.Sprintf("the manifests repository found the lock file of %s (named above) taken: another push to %s held it at that moment, and running kiln again is safe; or a git of the remote crashed and left it, and every push to %s fails until someone removes that file in the remote repository", branch, branch, branch)
		return de
	}
	if r.env.Mode == ModePush {
		de.Hint = fmt.Sprintf("env %s has mode: push, so kiln commits straight to %s: a branch protection rule or ruleset on %s must let kiln's token push (or give the env mode: pr); and the token (--token or GITHUB_TOKEN) needs contents: write", r.env.Name, branch, branch)
	} else {
		de.Hint = fmt.Sprintf("kiln owns %s and force-pushes it: a branch protection rule or ruleset that covers kiln/* must allow force pushes (or let kiln's token bypass it), see docs/promote.md; and the token (--token or GITHUB_TOKEN) needs contents: write", branch)
	}
	return de
}

// source is the env's new tree.
type source struct {
	files    map[string][]byte
	lock     *render.Lock
	redactor *redact.Redactor
	// secretsKnown says redactor knows every secret var of the env: a
	// render's and a merge's does (they resolve the env), a tree read
	// with --rendered may come to a job where they are not set.
	secretsKnown bool
	renderer     *render.Renderer
	// usedImages are the given images the env's apps used
	// (render.EnvResult.UsedImages); nil for a tree read or merged.
	usedImages map[string]bool
	// sealed are the plaintext values of the Secrets the render
	// SOPS-encrypted (render.EnvResult.Sealed); nil for a tree read.
	sealed []string
	// ratcheted are the custom resources a new cluster refuses
	// (render.EnvResult.Ratcheted), for the top of the body.
	ratcheted []diag.Warning
}

// digestRedactor is the redactor to mask the lock's digests with: nil
// unless it knows every secret var, since a digest that masks only some
// of them would hash the others (render.CheckTree, KeepCiphertext).
func (s *source) digestRedactor() *redact.Redactor {
	if !s.secretsKnown {
		return nil
	}
	return s.redactor
}

// source renders the env, or reads it from opts.Rendered.
func (r *run) source(ctx context.Context) (*source, error) {
	env := r.env.Name
	if r.opts.Rendered != "" {
		return r.readRendered(ctx, env)
	}
	ro := r.opts.Render
	ro.Log = r.log
	// The progress line waits until the env's secrets are known, so that
	// in GitHub Actions every ::add-mask:: comes before any line kiln prints.
	onSecrets := ro.OnSecrets
	ro.OnSecrets = func(rd *redact.Redactor) {
		if onSecrets != nil {
			onSecrets(rd)
		}
		fmt.Fprintf(r.log, "rendering env %s\n", env)
	}
	renderer, err := render.New(r.p, ro)
	if err != nil {
		return nil, err
	}
	defer renderer.Close() // later uses (the PR body's graph) render no templates
	results, err := renderer.Render(ctx, []string{env})
	if err != nil {
		return nil, err
	}
	er := results[0]
	for _, w := range er.Warnings {
		r.warnOf(w, er.Redactor.String)
	}
	if er.Err != nil {
		return nil, &RenderError{Env: env, Err: er.Err}
	}
	return &source{files: er.Files, lock: er.Lock, redactor: er.Redactor, secretsKnown: true, renderer: renderer, usedImages: er.UsedImages(), sealed: er.Sealed, ratcheted: er.Ratcheted}, nil
}

// readRendered reads <Rendered>/<env>, as kiln render --out wrote it.
func (r *run) readRendered(ctx context.Context, env string) (*source, error) {
	src, err := r.readRenderedDir(r.opts.Rendered, env)
	if err != nil {
		return nil, err
	}
	if _, shard := src.files[render.ShardFile]; !shard && len(r.opts.RenderedShards) == 0 {
		// Taken as it is: it must be what kiln render wrote, as each
		// shard's apps must be below.
		dir := filepath.Join(r.opts.Rendered, env)
		if err := render.CheckTree(src.files, src.lock, src.digestRedactor(), render.BootstrapDirs(r.p), dir, ""); err != nil {
			return nil, &RenderError{Env: env, Err: err}
		}
		// CheckTree holds each app's objects to its lock; what kiln makes of
		// them (flux/, the apps' kustomization.yaml) and the checks across
		// apps and the plain-secret gate come from checking the tree again,
		// as a merge of shards does: a flux/ file edited after the render
		// would otherwise reach the bootstrap Kustomization, which applies
		// whatever it holds.
		ro := r.opts.Render
		if !src.secretsKnown {
			// A job that cannot read the env's secret vars checks all but
			// the plain-secret gate, which needs their values (CheckTree
			// could not run it either): stand-ins that no object holds.
			ro.LookupEnv = standIns(r.p, env, ro.LookupEnv)
		}
		renderer, err := r.rendererWith(ro)
		if err != nil {
			return nil, err
		}
		er := renderer.Recheck(ctx, env, src.files, dir)
		if err := r.rechecked(er); err != nil {
			return nil, err
		}
		if err := sameTree(src.files, er.Files, dir); err != nil {
			return nil, &RenderError{Env: env, Err: err}
		}
		src.renderer = renderer
		return src, nil
	}
	// Shards: merge them into the env's tree, as one render would write it.
	trees := []map[string][]byte{src.files}
	dirs := []string{filepath.Join(r.opts.Rendered, env)}
	for _, d := range r.opts.RenderedShards {
		s, err := r.readRenderedDir(d, env)
		if err != nil {
			return nil, err
		}
		trees = append(trees, s.files)
		dirs = append(dirs, filepath.Join(d, env))
	}
	fmt.Fprintf(r.log, "merging %d shards of env %s\n", len(trees), env)
	renderer, err := r.renderer()
	if err != nil {
		return nil, err
	}
	er := renderer.Merge(ctx, env, trees, dirs)
	if err := r.rechecked(er); err != nil {
		return nil, err
	}
	return &source{files: er.Files, lock: er.Lock, redactor: er.Redactor, secretsKnown: true, renderer: renderer}, nil
}

// rechecked prints the warnings of a rendered tree checked again (a kind
// no CRD of the env defines, which a shard could not tell: the render
// printed only its own) and returns its error, if any.
func (r *run) rechecked(er *render.EnvResult) error {
	for _, w := range er.Warnings {
		r.warnOf(w, er.Redactor.String)
	}
	if er.Err != nil {
		return &RenderError{Env: er.Env, Err: er.Err}
	}
	return nil
}

// renderer is a Renderer for checking rendered trees again, logging to
// the run's log.
func (r *run) renderer() (*render.Renderer, error) { return r.rendererWith(r.opts.Render) }

// rendererWith is renderer with options ro.
func (r *run) rendererWith(ro render.Options) (*render.Renderer, error) {
	ro.Log = r.log
	return render.New(r.p, ro)
}

// standIns is lookup, answering each secret var of env that lookup does
// not (its environment variable unset or empty) with a random value of
// its own, which no rendered object holds.
func standIns(p *envconfig.Pipeline, env string, lookup func(string) (string, bool)) func(string) (string, bool) {
	ef, err := p.LoadEnvFile(env)
	if err != nil {
		return lookup
	}
	stand := map[string]string{}
	for _, envVar := range ef.SecretVars {
		if lookup != nil {
			if v, ok := lookup(envVar); ok && v != "" {
				continue
			}
		}
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		stand[envVar] = "kiln-stand-in-" + hex.EncodeToString(b)
	}
	return func(name string) (string, bool) {
		if v, ok := stand[name]; ok {
			return v, true
		}
		if lookup == nil {
			return "", false
		}
		return lookup(name)
	}
}

// remadeDiffer lists the files of a tree (got) that are not those kiln
// makes of its objects (want), kiln.lock.json aside: the lock is held to
// the objects by CheckTree, and carries what only the render knew.
func remadeDiffer(want, got map[string][]byte) []treediff.Change {
	var differ []treediff.Change
	for _, c := range treediff.Trees(want, got) {
		if c.Path != render.LockFile {
			differ = append(differ, c)
		}
	}
	return differ
}

// sameTree refuses a rendered tree (got) whose files are not those kiln
// makes of its objects (want, Recheck's): a flux/ file or an app's
// kustomization.yaml edited after the render. kiln.lock.json is held to
// the objects by CheckTree, and carries what only the render knew (an
// --app render's kept apps' sources), so it is not compared.
func sameTree(got, want map[string][]byte, dir string) error {
	differ := remadeDiffer(want, got)
	if len(differ) == 0 {
		return nil
	}
	return &diag.Error{File: dir,
		Msg:  fmt.Sprintf("%d files are not what kiln makes of the tree's objects with kiln.yaml and the env file at this checkout: %s", len(differ), pathsOf(differ, 10)),
		Hint: "render the env again (kiln render) and promote that tree unchanged; a file edited after the render is refused"}
}

// quoted is paths, each quoted as kiln diff's headers quote it: they are
// the manifests repository's, whoever pushed there's.
func quoted(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = treediff.Quoted(p)
	}
	return out
}

// pathsOf names the first most paths of changes, and how many more there
// are, for a message.
func pathsOf(changes []treediff.Change, most int) string {
	paths := make([]string, 0, min(len(changes), most))
	for _, c := range changes[:min(len(changes), most)] {
		paths = append(paths, treediff.Quoted(c.Path))
	}
	s := strings.Join(paths, ", ")
	if len(changes) > len(paths) {
		s += fmt.Sprintf(" and %d more", len(changes)-len(paths))
	}
	return s
}

// readRenderedDir reads <rendered>/<env>, as kiln render --out wrote it.
func (r *run) readRenderedDir(rendered, env string) (*source, error) {
	dir := filepath.Join(rendered, env)
	// Under the folder's lock, shared: a kiln render --out writing it
	// meanwhile is refused, naming it, rather than read half written.
	files, err := render.ReadOutput(rendered, env)
	if err != nil {
		var le *render.LockedError
		if errors.As(err, &le) {
			return nil, le // it says what to do: wait for the render
		}
		e := &diag.Error{File: dir, Msg: "cannot read the rendered env: " + err.Error(), Err: err,
			Hint: "run kiln render --env " + env + " --out " + rendered + " first, or leave out --rendered to render now"}
		if errors.Is(err, fs.ErrNotExist) {
			e.Msg, e.Err = "no rendered env "+env+" here", fmt.Errorf("%w: %w", ErrNoFolder, err)
		}
		return nil, e
	}
	data, ok := files["kiln.lock.json"]
	if !ok {
		return nil, &diag.Error{File: filepath.Join(dir, "kiln.lock.json"), Msg: "no kiln.lock.json: this is not a tree kiln rendered",
			Hint: "give --rendered the folder kiln render --out wrote (it holds <env>/kiln.lock.json)"}
	}
	lock, err := render.ParseLock(data)
	if err != nil {
		return nil, &diag.Error{File: filepath.Join(dir, "kiln.lock.json"), Msg: err.Error(), Err: err, Hint: "render the env again"}
	}
	if lock.Env != env {
		return nil, &diag.Error{File: filepath.Join(dir, "kiln.lock.json"), Msg: fmt.Sprintf("this tree was rendered for env %q, not %q", lock.Env, env),
			Hint: "render the env again"}
	}
	rd, known := r.secretRedactor(env)
	return &source{files: files, lock: lock, redactor: rd, secretsKnown: known}, nil
}

// secretRedactor knows the env's secret values, to mask them in a body made
// from a tree rendered elsewhere, and reports whether it knows them all.
// Best effort: a secret this process cannot read cannot be masked, but
// then it could not have been rendered here either, and render refuses
// plain secrets unless the env allows them. One secret var unset in the
// promoting job (or the env file not resolving) must not leave the others
// unmasked: the redactor then knows every secret var that is set.
func (r *run) secretRedactor(env string) (*redact.Redactor, bool) {
	ef, err := r.p.LoadEnvFile(env)
	if err != nil {
		return redact.New(nil), false
	}
	secrets, known := map[string]string{}, false
	if res, err := r.p.Resolve(env, ef, r.opts.Render.LookupEnv); err == nil && res != nil {
		secrets, known = res.Secrets, true
	} else {
		secrets = ef.SecretValues(r.opts.Render.LookupEnv)
	}
	rd := redact.New(secrets)
	if on := r.opts.Render.OnSecrets; on != nil {
		on(rd)
	}
	return rd, known
}

// plan is the difference between the manifests branch and the new tree.
type plan struct {
	old     map[string][]byte
	files   map[string][]byte // the new tree, Flux's bootstrap files kept
	changes []treediff.Change // real contents, for deciding
	shown   []treediff.Change // redacted, for people
	oldLock *render.Lock
	// oldLockErr is why the folder's kiln.lock.json does not parse (a
	// merge conflict, a hand edit), nil when it does or there is none.
	oldLockErr error
	// unappliable are the changes Flux cannot apply (immutableWarnings).
	unappliable []diag.Warning
	// moved are the objects Flux may delete before it recreates them
	// (movedWarnings), and the apps whose Kustomization is renamed
	// (renamedWarnings).
	moved []diag.Warning
	// pruned are the objects Flux deletes with what they hold
	// (prunedWarnings).
	pruned []diag.Warning
	// removedApps are the apps whose Kustomization leaves the env, with
	// what Flux deletes of each (removedAppWarnings).
	removedApps []diag.Warning
	// renamed are the apps whose Kustomization is renamed
	// (renamedKustomizations), for moved and guard.
	renamed []renamed
	// unstable are the apps whose objects change though their inputs
	// did not (unstableWarnings).
	unstable []diag.Warning
}

func (pl *plan) changed() bool { return len(pl.changes) > 0 }

func (pl *plan) fill(res *Result) {
	res.Changed = pl.changed()
	res.Files = []FileChange{}
	for _, c := range pl.changes {
		res.Files = append(res.Files, FileChange{Path: c.Path, Op: c.Op, App: c.App, Object: c.Object})
	}
	res.Apps = map[string]AppChanges{}
	for app, s := range treediff.Count(pl.changes) {
		res.Apps[app] = AppChanges{Added: s.Added, Changed: s.Changed, Removed: s.Removed}
	}
}

// plan compares the env's folder at ref ("" for an empty repository) with
// the new tree.
func (r *run) plan(ctx context.Context, ref string, src *source) (*plan, error) {
	pl := &plan{old: map[string][]byte{}}
	var modes treediff.Modes
	if ref != "" {
		if err := r.checkShape(ctx, ref); err != nil {
			return nil, err
		}
		old, special, err := r.repo.TreeAndSpecial(ctx, ref, r.dir)
		if err != nil {
			return nil, r.gitErr("reading "+r.dir+" from", err)
		}
		if err := r.checkSubmodules(special.Submodules); err != nil {
			return nil, err
		}
		pl.old = old
		modes = r.modesOf(special)
	}
	// A fresh copy per plan: push mode's retries plan again on each new
	// tip, and must keep that tip's bootstrap files, not an earlier one's.
	// A new source commit that changes no object is no change: the
	// folder keeps its lock (render.KeepProvenance).
	pl.files = render.KeepProvenance(pl.old, render.KeepBootstrap(r.p, pl.old, src.files))
	// A symlink or an executable is a change even to the bytes kiln
	// writes there, and the commit replaces it with a regular 100644
	// file where the foreign guard lets it (the path is kiln's).
	pl.changes = treediff.TreesOf(pl.old, pl.files, modes)
	shownOld, shownNew := shownTrees(src.redactor, r.sopsIdentities(), src.sealed, pl.old, pl.files)
	pl.shown = treediff.TreesOf(shownOld, shownNew, modes)
	pl.unappliable = slices.Concat(immutableWarnings(pl.changes), r.transitionWarnings(ctx, pl.files, pl.changes), ifNotPresentWarnings(pl.changes))
	pl.renamed = renamedKustomizations(pl.old, pl.changes)
	pl.moved = slices.Concat(movedWarnings(pl.old, pl.changes), renamedWarnings(pl.renamed))
	pl.pruned = prunedWarnings(pl.old, pl.changes)
	pl.removedApps = removedAppWarnings(pl.old, pl.changes)
	if data, ok := pl.old["kiln.lock.json"]; ok {
		if l, err := render.ParseLock(data); err == nil {
			pl.oldLock = l
		} else {
			pl.oldLockErr = err
		}
	}
	pl.unstable = append(unstableWarnings(pl.oldLock, src.lock, pl.changes), r.rerendered...)
	return pl, nil
}

// checkNoBase refuses to promote into a manifests repository that lacks
// the manifests branch but has others: the branch would start as a new
// history sharing no commit with them (push mode pushes it, pr mode could
// not open a pull request to it), and Flux, reading the branch the
// repository has (its default, as flux bootstrap sets up), would never see
// it. That is a manifests.branch that names the wrong branch ("main" in a
// repository on "master"), not a first promotion: only an empty
// repository gets its first commit from kiln.
func (r *run) checkNoBase(ctx context.Context) error {
	heads, err := r.repo.Heads(ctx)
	if err != nil {
		return r.gitErr("listing the branches of", err)
	}
	if len(heads) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(heads))
	def, err := r.repo.DefaultBranch(ctx)
	if err != nil {
		return r.gitErr("reading the default branch of", err)
	}
	has := "1 other branch"
	if len(names) != 1 {
		has = fmt.Sprintf("%d other branches", len(names))
	}
	reads := "the branch Flux's GitRepository reads"
	if def != "" {
		reads += fmt.Sprintf(" (the repository's default branch is %s)", def)
	}
	return &diag.Error{File: "kiln.yaml",
		Msg: fmt.Sprintf("the manifests branch %s (manifests.branch) does not exist in %s, which has %s: %s; promoting env %s would start %s as a new history that shares no commit with them, and Flux reading one of them would never see it",
			r.base, r.repo.Remote, has, words.First(names, 5), r.env.Name, r.base),
		Hint: fmt.Sprintf("set manifests.branch in kiln.yaml to %s; or create %s in the manifests repository from the commit it should start at (git push origin <commit>:refs/heads/%s) and promote again", reads, r.base, r.base)}
}

// checkBranchRoom refuses a pr-mode promotion whose branch kiln/<env>
// git cannot create beside the manifests repository's branches: a branch
// named kiln (or kiln/<env>/…) makes refs/heads/kiln/<env> both a file and
// a folder. The push would be refused as "cannot lock ref", which reads
// like another promotion having pushed meanwhile, and every rerun would
// fail the same way.
func (r *run) checkBranchRoom(ctx context.Context, branch string) error {
	// The branches as the fetch of this run listed them: a branch made
	// since is as much a race as one made after this check, and the push
	// refusal tells that (pushErr). Asking again was a round trip to the
	// host at every promotion.
	r.fetched.Lock()
	heads := r.fetched.listed
	r.fetched.Unlock()
	if heads == nil {
		var err error
		if heads, err = r.repo.Heads(ctx); err != nil {
			return r.gitErr("listing the branches of", err)
		}
	}
	var in []string
	for name := range heads {
		if strings.HasPrefix(branch, name+"/") || strings.HasPrefix(name, branch+"/") {
			in = append(in, name)
		}
	}
	if len(in) == 0 {
		return nil
	}
	sort.Strings(in)
	return &diag.Error{
		Msg: fmt.Sprintf("env %s opens its pull request from the branch %s, which git cannot create in %s beside its branch %s: a branch name cannot also be a folder of other branch names",
			r.env.Name, branch, r.repo.Remote, strings.Join(in, ", ")),
		Hint: fmt.Sprintf("rename or delete %s in the manifests repository (kiln owns the branches %s<env>), then promote again", strings.Join(in, ", "), BranchPrefix)}
}

// checkShape refuses a manifests repository that holds something other
// than a folder at the env's folder or one of its parents on ref: a file,
// a symlink or a submodule that kiln did not write and would have to
// delete to write the env. The guards would refuse the commit too, but
// only as a deletion outside the folder or as "not a directory", naming
// neither the path nor the way out.
func (r *run) checkShape(ctx context.Context, ref string) error {
	parts := strings.Split(r.dir, "/")
	var paths []string
	for i := range parts {
		paths = append(paths, strings.Join(parts[:i+1], "/"))
	}
	kinds, err := r.repo.Entries(ctx, ref, paths...)
	if err != nil {
		return r.gitErr("reading "+r.dir+" from", err)
	}
	for _, p := range paths {
		kind := kinds[p]
		switch kind {
		case "", "tree":
			continue
		case "blob":
			kind = "file"
		}
		what := "its folder " + r.dir
		if p != r.dir {
			what = "the folder " + p + " that holds its folder " + r.dir
		}
		return &diag.Error{File: p,
			Msg:  fmt.Sprintf("the manifests branch %s holds a %s at %s, where env %s needs %s; kiln did not write it and does not delete it", r.base, kind, treediff.Quoted(p), r.env.Name, what),
			Hint: fmt.Sprintf("move or delete %s in the manifests repository in a commit of your own, or set manifests.path in kiln.yaml to a folder kiln may own", treediff.Quoted(p))}
	}
	return nil
}

// checkSubmodules refuses the submodules subs of the env's folder, but
// those in Flux's bootstrap folder, which is carried over as it is. kiln
// never writes a submodule, so none in the folder is kiln's, whatever its
// path (below apps/ too); and git would not let kiln's files replace one,
// so the commit would silently lack them.
func (r *run) checkSubmodules(subs []string) error {
	var found []string
	for _, s := range subs {
		if rel, ok := strings.CutPrefix(s, r.dir+"/"); !ok || !render.InBootstrap(r.p, rel) {
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return &diag.Error{File: found[0],
		Msg: fmt.Sprintf("the manifests branch %s holds %s in env %s's folder %s: %s; kiln never writes one, so it did not write these and does not delete them",
			r.base, words.Count(len(found), "submodule"), r.env.Name, r.dir, words.First(quoted(found), 5)),
		Hint: fmt.Sprintf("move them out of %s in a commit of your own (git rm), or set manifests.path in kiln.yaml to a folder kiln may own", r.dir)}
}

// modesOf is what the env folder's special entries make of its files
// outside Flux's bootstrap (carried over as they are): symlinks and
// executables, as paths of the folder.
func (r *run) modesOf(special gitrepo.Special) treediff.Modes {
	return treediff.Modes{Symlinks: r.outsideBootstrap(r.p, special.Symlinks), Executables: r.outsideBootstrap(r.p, special.Executables)}
}

// outsideBootstrap returns the paths (from the repository root, below the
// env's folder), relative to the folder, but those in p's bootstrap
// folders: kiln carries those over as git has them, and verify does not
// compare them.
func (r *run) outsideBootstrap(p *envconfig.Pipeline, paths []string) []string {
	var out []string
	for _, s := range paths {
		rel, ok := strings.CutPrefix(s, r.dir+"/")
		if !ok || !render.InBootstrap(p, rel) {
			out = append(out, rel)
		}
	}
	return out
}

// checkCommit runs the guard again on what commit really deletes, anywhere
// in the manifests repository, not only what the plan of the env's folder
// says: a folder check that was wrong somewhere must not become a wiped
// repository.
//
// It then reads the env's folder back from commit: what is pushed must be
// exactly the planned tree, byte for byte. git stands between the files
// kiln writes and the commit (attributes, filters, the index), and a
// difference there would push a tree that no render made, or the base
// commit itself while the result says the env changed.
func (r *run) checkCommit(ctx context.Context, commit string, pl *plan) error {
	if commit == "" {
		if !pl.changed() {
			return nil
		}
		return r.notWritten(fmt.Sprintf("git staged nothing, though the render changes %s", words.Count(len(pl.changes), "file")))
	}
	deleted, err := r.repo.Deleted(ctx, commit)
	if err != nil {
		return r.gitErr("reading the commit's deletions in", err)
	}
	if err := r.guard(pl, deleted); err != nil {
		return err
	}
	got, special, err := r.repo.TreeAndSpecial(ctx, commit, r.dir)
	if err != nil {
		return r.gitErr("reading "+r.dir+" back from the commit in", err)
	}
	if diff := treediff.Trees(pl.files, got); len(diff) > 0 {
		return r.notWritten(fmt.Sprintf("the commit's %s differs from the render in %s", r.dir, pathsOf(diff, 3)))
	}
	// Tree reads a symlink as a file holding its target's path, which
	// may be byte for byte what kiln wrote there; Flux would skip it, and
	// verify would call it a difference, as it would an executable.
	if odd := r.outsideBootstrap(r.p, slices.Concat(special.Symlinks, special.Submodules, special.Executables)); len(odd) > 0 {
		slices.Sort(odd)
		return r.notWritten(fmt.Sprintf("the commit's %s holds what kiln never writes, a symlink, a submodule or an executable: %s", r.dir, words.First(quoted(odd), 3)))
	}
	return nil
}

// notWritten is the error of a commit that does not hold the planned
// tree; nothing has been pushed when it is returned.
func (r *run) notWritten(what string) error {
	return &diag.Error{Msg: fmt.Sprintf("env %s: %s; nothing was pushed", r.env.Name, what),
		Hint: "kiln turns off git's hooks, filters and attributes in its clone, so this is a bug in kiln: please report it with the manifests repository's .gitattributes and the output of git --version"}
}

// guard refuses a promotion that would make Flux prune most of the env,
// and any that would delete a file outside the env's folder or one in it
// that kiln did not write. deleted lists the files the commit deletes,
// repository-relative (nil before the commit is made).
func (r *run) guard(pl *plan, deleted []string) error {
	var outside []string
	for _, p := range deleted {
		if !strings.HasPrefix(p, r.dir+"/") {
			outside = append(outside, p)
		}
	}
	if err := r.foreignGuard(pl, deleted); err != nil {
		return err
	}
	if len(outside) > 0 {
		sort.Strings(outside)
		// Never overridable: kiln owns the env's folder and nothing else.
		return &diag.Error{Msg: fmt.Sprintf("promoting env %s would delete %s outside its folder %s: %s", r.env.Name, words.Count(len(outside), "file"), r.dir, words.First(quoted(outside), 5)),
			Hint: "kiln replaces only the env's folder; check manifests.path in kiln.yaml and symlinks in the manifests repository, and report this as a bug in kiln"}
	}
	if r.opts.AllowMassDelete {
		return nil
	}
	oldApps, newApps := map[string]bool{}, map[string]bool{}
	oldObjects := 0
	for p := range pl.old {
		if treediff.IsObject(p) {
			oldApps[treediff.AppOf(p)] = true
			oldObjects++
		}
	}
	for _, c := range pl.changes {
		if c.Op != treediff.Removed && treediff.IsObject(c.Path) {
			newApps[c.App] = true
		}
	}
	removed := 0
	for _, s := range treediff.Count(pl.changes) {
		removed += s.Removed
	}
	var gone []string
	for app := range oldApps {
		if !newApps[app] && !r.appKept(pl, app) {
			gone = append(gone, app)
		}
	}
	sort.Strings(gone)
	const hint = "Flux prunes deleted objects from the cluster; if that is what you want, run again with --allow-mass-delete"
	switch {
	case len(oldApps) > 0 && len(gone) == len(oldApps):
		return &diag.Error{Msg: fmt.Sprintf("promoting env %s would delete every app of it (%s)", r.env.Name, strings.Join(gone, ", ")), Hint: hint}
	case removed*2 > oldObjects:
		return &diag.Error{Msg: fmt.Sprintf("promoting env %s would delete %d of its %d objects", r.env.Name, removed, oldObjects), Hint: hint}
	}
	// A renamed Kustomization deletes what it applied when it goes
	// (renamedKustomizations): those objects count as deleted, although
	// their files stay.
	var renamedApps []string
	for _, rn := range pl.renamed {
		if !slices.Contains(gone, rn.app) {
			renamedApps = append(renamedApps, rn.app)
			removed += rn.objects
		}
	}
	if len(renamedApps) > 0 && removed*2 > oldObjects {
		return &diag.Error{Msg: fmt.Sprintf("promoting env %s would delete %d of its %d objects: the Flux Kustomization of %s is renamed (flux.name or flux.namespace changed), "+
			"and Flux deletes the old one, whose finalizer deletes what it applied before the new one takes it over", r.env.Name, removed, oldObjects, words.Count(len(renamedApps), "app")+" ("+strings.Join(renamedApps, ", ")+")"),
			Hint: "to rename without deleting, first promote with flux.prune: false, then the new name, then flux.prune: true again; " +
				"if deleting and recreating the apps is what you want, run again with --allow-mass-delete"}
	}
	return nil
}

// foreignGuard refuses a promotion that would delete or change a file of
// the env's folder that kiln did not write (foreign). Never overridable:
// kiln owns the files it writes, and the user's own (a README, CODEOWNERS,
// flux bootstrap's flux-system/ at the env's root, a Kustomization of
// their own in flux/ that the bootstrap applies) are not kiln's to delete.
func (r *run) foreignGuard(pl *plan, deleted []string) error {
	_, hasLock := pl.old[render.LockFile]
	seen := map[string]bool{}
	var found []string
	add := func(rel string) {
		if !seen[rel] && !lockfile.Wrote(rel, hasLock, pl.oldLock) &&
			(rel != lockfile.NotificationsFile || !lockfile.Notifications(pl.old[rel])) {
			seen[rel] = true
			found = append(found, r.dir+"/"+rel)
		}
	}
	for _, c := range pl.changes {
		switch {
		case c.Op == treediff.Added:
		case c.Op == treediff.Removed && lockfile.Placeholder(c.Path, len(c.Old) == 0):
			// An empty placeholder that kept the folder in git: its
			// job is done once the folder holds files.
			seen[c.Path] = true
		default:
			add(c.Path)
		}
	}
	// What the folder's tree does not show (a submodule) but the commit
	// deletes.
	for _, p := range deleted {
		if rel, ok := strings.CutPrefix(p, r.dir+"/"); ok {
			add(rel)
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.Strings(found)
	msg := fmt.Sprintf("promoting env %s would delete or change %s in its folder %s that kiln did not write: %s",
		r.env.Name, words.Count(len(found), "file"), r.dir, words.First(quoted(found), 5))
	switch why := lockfile.NamesNoApp(pl.oldLock); {
	case !hasLock:
		msg += fmt.Sprintf(" (it holds no %s: kiln never promoted to it)", render.LockFile)
	case why != "":
		if pl.oldLockErr != nil {
			// Why, for a lock that reads as JSON: an app name or URL
			// kiln never writes (lockfile.Parse), which no one sees.
			why += " (" + strings.TrimPrefix(pl.oldLockErr.Error(), "parsing kiln.lock.json: ") + ")"
		}
		msg += fmt.Sprintf(" (its %s %s, so it names none of kiln's apps: fix it in a commit of your own, or restore it from the branch's history)", render.LockFile, why)
	}
	return &diag.Error{Msg: msg,
		Hint: fmt.Sprintf("kiln replaces the env's folder whole and keeps only Flux's bootstrap in %s/flux/%s/ (flux bootstrap --path %s/flux); move these files out of %s in a commit of your own, or set manifests.path to a folder kiln may own", r.dir, r.p.Flux.Namespace, r.dir, r.dir)}
}

// appKept reports whether an app still has an object file after the change
// (an unchanged one is not in the change list).
func (r *run) appKept(pl *plan, app string) bool {
	removed := map[string]bool{}
	for _, c := range pl.changes {
		if c.Op == treediff.Removed {
			removed[c.Path] = true
		}
	}
	for p := range pl.old {
		if treediff.IsObject(p) && treediff.AppOf(p) == app && !removed[p] {
			return true
		}
	}
	return false
}

// body renders the pull request body, secrets masked.
func (r *run) body(src *source, pl *plan) string {
	return prbody.Render(prbody.Input{
		Env:          r.env.Name,
		SourceRepo:   src.lock.Source.Repo,
		SourceCommit: src.lock.Source.Commit,
		PromotedFrom: r.from,
		Old:          pl.oldLock,
		New:          src.lock,
		Changes:      pl.shown,
		Mermaid:      r.mermaid(src, pl),
		Unappliable:  bodyLines(pl.unappliable, src.redactor.String),
		Moved:        bodyLines(pl.moved, src.redactor.String),
		Pruned:       bodyLines(pl.pruned, src.redactor.String),
		RemovedApps:  bodyLines(pl.removedApps, src.redactor.String),
		Unstable:     bodyLines(pl.unstable, src.redactor.String),
		Ratcheted:    bodyLines(src.ratcheted, src.redactor.String),
		Redact:       src.redactor.String,
	})
}

// mermaid is the env's dependency graph with the changed apps marked, or
// "" when the graph cannot be built (the render checked it already, so
// that only happens with --rendered and a kiln.yaml that changed since).
func (r *run) mermaid(src *source, pl *plan) string {
	changed := map[string]bool{}
	for _, c := range pl.changes {
		if c.App != "" {
			changed[c.App] = true
		}
	}
	renderer := src.renderer
	if renderer == nil {
		var err error
		if renderer, err = render.New(r.p, render.Options{Version: r.opts.Render.Version}); err != nil {
			return ""
		}
	}
	g, err := renderer.Graph(r.env.Name)
	if err != nil {
		fmt.Fprintf(r.log, "warning: the PR body has no dependency graph: %v\n", err)
		return ""
	}
	m, err := g.Format("mermaid", changed)
	if err != nil {
		return ""
	}
	return m
}

// short abbreviates a commit for titles and messages.
func short(sha string) string {
	// In runes: a lock's commit is anyone's who can push to a pull
	// request's branch, and need not be hex.
	if r := []rune(sha); len(r) > 7 {
		return string(r[:7])
	}
	return sha
}

// commitMessage returns the title and the full message of a promotion
// commit of env into the folder dir. The trailers let tools (and kiln)
// find promotions with git log --grep or git interpret-trailers; Kiln-Path
// tells two pipelines' promotions of one env name apart on kiln/<env>
// (lastPromotion.own).
//
// The commit and repository come from a lock, which may be the one of a
// pull request's branch (keepPendingProvenance) that anyone able to push
// there wrote: in caret notation, so that neither can add a line (a
// forged trailer) to the message, nor a control character to the title.
func commitMessage(env, from, dir string, lock *render.Lock) (string, string) {
	sha := caret.String(lock.Source.Commit)
	repo := caret.String(lock.Source.Repo)
	title := "kiln: " + env
	if sha != "" {
		// Cut, then escaped: a cut of the escaped text could end inside
		// an escape ("\u200" of "\u200B").
		title += " ← " + caret.String(short(lock.Source.Commit))
	}
	// What the images may take: GitHub refuses a longer title, and the
	// env and commit before them are of any length kiln.yaml and a lock
	// allow (a commit's seven characters escaped take up to 70).
	room := min(maxTitleImages, maxTitle-utf8.RuneCountInString(title)-len(" ()")-len(" and 9999 more"))
	if imgs := titleImages(lock, room); imgs != "" {
		title += " (" + caret.String(imgs) + ")"
	}
	var b strings.Builder
	b.WriteString(title + "\n\n")
	switch {
	case sha != "" && repo != "":
		fmt.Fprintf(&b, "Render env %s of %s at %s.\n", env, repo, sha)
	case sha != "":
		fmt.Fprintf(&b, "Render env %s at %s.\n", env, sha)
	default:
		fmt.Fprintf(&b, "Render env %s (the source was not a git checkout).\n", env)
	}
	if from != "" {
		fmt.Fprintf(&b, "Promoted from env %s, with its images.\n", from)
	}
	if kept := render.KeptApps(lock); len(kept) > 0 {
		fmt.Fprintf(&b, "Not rendered at this commit, kept as earlier renders made them (kiln render --app): %s.\n", strings.Join(keptAt(lock, kept), ", "))
	}
	b.WriteString("\nKiln-Env: " + env + "\n")
	b.WriteString(pathTrailer + caret.String(dir) + "\n")
	if sha != "" {
		b.WriteString("Kiln-Source-Commit: " + sha + "\n")
	}
	if from != "" {
		b.WriteString("Kiln-Promoted-From: " + from + "\n")
	}
	return title, b.String()
}

// maxTitleImages bounds, in characters, the images a title names: GitHub
// refuses a pull request's title over maxTitle, and a tag may have 128.
const maxTitleImages = 120

// maxTitle is the longest title GitHub takes for a pull request.
const maxTitle = 256

// titleImages is what a promotion's title says of the images CI gave
// that its apps run (render.RanImages): each by its repository's last
// element and version, sorted, as many as fit in room characters, so
// that two promotions of one source commit with other images (a rebuild,
// --from an env that ran other ones) read apart in the list of pull
// requests and in git log; "" for none. An image that caret notation would escape is no reference kiln
// wrote (a hand-edited lock, which a pull request's branch or a kept
// app's earlier render may hold) and is only counted: escaped, each
// invisible character took up to ten, and 120 of them made a title
// GitHub refuses.
func titleImages(lock *render.Lock, room int) string {
	ran := render.RanImages(lock)
	var parts []string
	n := 0
	for _, repo := range slices.Sorted(maps.Keys(ran)) {
		img := oneLine(prbody.ShortImage(ran[repo]), room)
		if caret.String(img) != img {
			continue
		}
		w := utf8.RuneCountInString(img) + len(", ")
		if len(parts) > 0 && n+w > room {
			break
		}
		parts = append(parts, img)
		n += w
	}
	if len(parts) == 0 {
		return ""
	}
	out := strings.Join(parts, ", ")
	if more := len(ran) - len(parts); more > 0 {
		out += fmt.Sprintf(" and %d more", more)
	}
	return out
}

// pullRequest commits the tree on kiln/<env>, freshly branched from the
// manifests branch, force-pushes it and opens or updates the env's PR.
func (r *run) pullRequest(ctx context.Context, res *Result, src *source, pl *plan, title, message, baseRef string, heads map[string]string) error {
	branch := res.Branch
	if err := r.repo.Checkout(ctx, branch, baseRef); err != nil {
		return r.gitErr("checking out "+r.base+" of", err)
	}
	if err := r.repo.ReplaceDir(ctx, r.dir, pl.files); err != nil {
		return r.gitErr("writing "+r.dir+" into", err)
	}
	if err := r.keepBootstrap(ctx); err != nil {
		return err
	}
	if err := r.at(ctx, stepCommit); err != nil {
		return err
	}
	commit, err := r.repo.Commit(ctx, message)
	if err != nil {
		return r.gitErr("committing to", err)
	}
	if err := r.checkCommit(ctx, commit, pl); err != nil {
		return err
	}
	// The branch already holds exactly this change on this base (a rerun):
	// keep its commit, so the PR shows no new push.
	push := true
	if remote := heads[branch]; remote != "" {
		ri, err1 := r.repo.Info(ctx, remote)
		li, err2 := r.repo.Info(ctx, commit)
		if err1 == nil && err2 == nil && ri.Tree == li.Tree && len(ri.Parents) == 1 && ri.Parents[0] == heads[r.base] {
			commit, push = remote, false
		}
	}
	if r.opts.DryRun {
		res.Commit = commit
		fmt.Fprintf(r.log, "dry run: would push %s and open or update its pull request to %s\n", branch, r.base)
		return nil
	}
	// The branch's pull requests are looked at before the push: a push
	// would hand the new commit to one of them that someone turned to
	// another base as well, which kiln must not touch.
	client, err := r.github()
	if err != nil {
		return err
	}
	prev, err := r.ownPR(ctx, client, branch, "nothing was pushed", false)
	if err != nil {
		return err
	}
	// Result.Commit is a commit on the branch: set once it is there.
	if err := r.at(ctx, stepPush); err != nil {
		return err
	}
	// From here on an interrupt stops nothing (docs/promote.md, Output):
	// the push moves the branch, also when git is killed half-way, and
	// the pull request must then describe what it holds. Stopped after
	// the push, it would show the new commit under the earlier release's
	// title and body, or not be opened, while kiln reported an
	// interrupted run.
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	if push {
		// With a lease on the commit fetched: another promotion of the
		// env that pushed since then is not replaced (its pull request
		// update would then describe a tree the branch no longer holds).
		err := r.repo.PushLease(ctx, branch, heads[branch])
		switch {
		case errors.Is(err, gitrepo.ErrNonFastForward):
			// Another run of the same promotion (one per app's Flux
			// event, say) pushed the same change: it is there.
			same, serr := r.sameChange(ctx, branch, commit)
			if serr != nil {
				return serr
			}
			if same == "" {
				return r.concurrentErr(ctx, branch, fmt.Sprintf("pushed %s meanwhile, so this run pushed nothing and left the pull request alone", branch), thenRerunThis)
			}
			commit = same
			fmt.Fprintf(r.log, "another promotion pushed this change to %s meanwhile (%s)\n", branch, short(commit))
		case err != nil:
			return r.pushErr(branch, err)
		default:
			fmt.Fprintf(r.log, "pushed %s at %s\n", branch, short(commit))
		}
	} else {
		fmt.Fprintf(r.log, "%s is already at this change (%s)\n", branch, short(commit))
	}
	if err := r.at(ctx, stepPushed); err != nil {
		return err
	}
	// The pull request's title and body describe this run's commit: they
	// are written only while the branch holds it. A promotion that pushed
	// after this one writes its own after its push.
	if err := r.stillAt(ctx, branch, commit, fmt.Sprintf("pushed %s after this run did, so this run left the pull request to it", branch), thenNothing); err != nil {
		return err
	}
	res.Commit = commit
	if err := r.at(ctx, stepPR); err != nil {
		return err
	}
	pr, err := client.CreateOrUpdatePR(ctx, r.owner, r.name, gh.PR{Head: branch, Base: r.base, Title: title, Body: res.Body},
		append(append([]string(nil), Labels...), envLabel(r.env.Name)))
	if re := (*gh.RetargetedError)(nil); errors.As(err, &re) {
		// Retargeted between the look before the push and now.
		return r.retargetedErr(re, "the branch "+branch+" is pushed")
	}
	if err != nil {
		msg := fmt.Sprintf("opening the pull request for env %s on %s/%s: %v", r.env.Name, r.owner, r.name, err)
		if pr == nil && prev != nil && (prev.Title != title || prev.Body != res.Body) {
			// The branch holds this run's commit, the pull request
			// still tells the one before: a reviewer must not take the
			// one for the other.
			msg += fmt.Sprintf("; %s holds commit %s, but the title and description of pull request #%d (%s) may still describe the previous promotion (GitHub did not confirm their update) until kiln runs again", branch, short(commit), prev.Number, prev.URL)
		}
		return &diag.Error{Msg: msg, Err: err,
			Hint: r.apiHint(err, "check manifests.github and that the token may open pull requests there (pull-requests: write)") + "; the branch " + branch + " is pushed, so running kiln again is safe"}
	}
	res.PRNumber, res.PRURL = pr.Number, pr.URL
	fmt.Fprintf(r.log, "pull request #%d: %s\n", pr.Number, pr.URL)
	// GitHub cannot update a pull request on condition of its head, so a
	// promotion that pushed and wrote its title and body between the
	// check above and this update was overwritten: say so, since only
	// that promotion can write them again.
	if err := r.stillAt(ctx, branch, commit, fmt.Sprintf("pushed %s while this run updated its pull request #%d, whose title and body may now describe this run's commit %s instead of the branch's", branch, pr.Number, short(commit)), thenRerunNewest); err != nil {
		res.Commit = ""
		return err
	}
	return nil
}

// CheckOrder refuses a promotion from env from to env to that kiln.yaml
// rules out: an unknown env, an env from itself, or against to's
// promoteFrom.
func CheckOrder(p *envconfig.Pipeline, from, to string) error {
	if _, err := p.Env(from); err != nil {
		return err
	}
	env, err := p.Env(to)
	if err != nil {
		return err
	}
	if from == env.Name {
		return &diag.Error{File: "kiln.yaml", Msg: fmt.Sprintf("cannot promote env %s from itself", env.Name), Hint: "give --from the env before it"}
	}
	if env.PromoteFrom != "" && env.PromoteFrom != from {
		return &diag.Error{File: "kiln.yaml", Line: env.Line,
			Msg:  fmt.Sprintf("env %s promotes from %s, not %s", env.Name, env.PromoteFrom, from),
			Hint: fmt.Sprintf("run kiln promote --from %s --to %s, or change promoteFrom of %s in kiln.yaml", env.PromoteFrom, env.Name, env.Name)}
	}
	// An env without promoteFrom takes --from freely, but not from an env
	// that promotes from it, directly or through others: that sends a
	// later stage's images back to an earlier one (prod's into dev),
	// which the pipeline's order says never happens.
	chain := []string{from}
	for at := from; len(chain) <= len(p.Environments); {
		e, err := p.Env(at)
		if err != nil || e.PromoteFrom == "" {
			break
		}
		at = e.PromoteFrom
		chain = append(chain, at)
		if at == env.Name {
			slices.Reverse(chain)
			return &diag.Error{File: "kiln.yaml", Line: env.Line,
				Msg:  fmt.Sprintf("env %s comes before %s in the promotion order (%s): promoting %s into %s would go backwards", env.Name, from, strings.Join(chain, " → "), from, env.Name),
				Hint: fmt.Sprintf("promote forwards (kiln promote --from %s --to %s); to give %s other images, promote it with --image or --images", env.Name, chain[1], env.Name)}
		}
	}
	return nil
}

// promotedImages are the images E is rendered with under --from: those of
// D's lock that an app of D runs. For a repository no app of D runs, D
// was judged healthy on nothing about it: E keeps the image its lock on
// tip (the manifests branch) names for it, if any, and otherwise gets what
// its templates say, as D's apps do. That holds whether CI gave D an image
// for it that no app of D ran (its app is disabled in D) or gave D none
// (CI built only what changed, or the app runs in E alone): E's app must
// not fall back to its template's image on every promotion because D's
// render was not told about an image none of D's apps runs.
func (r *run) promotedImages(ctx context.Context, lock *render.Lock, tip string) map[string]string {
	given := render.RanImages(lock)
	// For a repository an app of D runs, given or not, E gets what D
	// runs, its template's image included.
	ranByD := render.RanRepositories(lock)
	cur := r.lockAt(ctx, tip)
	if cur == nil {
		cur = &render.Lock{}
	}
	// Both locks by repositories as kiln normalises them now (one written
	// by an older kiln may spell a registry in upper case).
	dImages, eImages := render.LockImages(lock), render.LockImages(cur)
	for _, repo := range slices.Sorted(maps.Keys(dImages)) {
		if _, ok := given[repo]; ok {
			continue
		}
		if ref, ok := eImages[repo]; ok {
			given[repo] = ref
			fmt.Fprintf(r.log, "image %s: no app of env %s runs it, so env %s keeps %s\n", dImages[repo], r.from, r.env.Name, ref)
		} else {
			fmt.Fprintf(r.log, "image %s: no app of env %s runs it, so env %s does not get it\n", dImages[repo], r.from, r.env.Name)
		}
	}
	// The images E's apps run that D was given none for and runs in no
	// app: E keeps them. Only those of apps kiln.yaml still has: a
	// deleted app's image would be used by no app of E, a warning (an
	// error under --strict) on every promotion.
	still := &render.Lock{Images: eImages, Apps: map[string]render.LockApp{}}
	for name, a := range cur.Apps {
		if r.p.App(name) != nil {
			still.Apps[name] = a
		}
	}
	kept := render.RanImages(still)
	for _, repo := range slices.Sorted(maps.Keys(kept)) {
		if _, ok := dImages[repo]; ok || ranByD[repo] {
			continue
		}
		given[repo] = kept[repo]
		fmt.Fprintf(r.log, "image %s: no app of env %s runs it, so env %s keeps %s\n", repo, r.from, r.env.Name, kept[repo])
	}
	return given
}

// lockAt is the env's kiln.lock.json in commit, nil when there is none or
// it does not parse (nothing to compare with then).
func (r *run) lockAt(ctx context.Context, commit string) *render.Lock {
	return r.tipLockAt(ctx, commit).lock
}

// tipLock is the env's kiln.lock.json at a commit of kiln/<env>. A run
// reads it once and hands it to each check of that commit (checkReplaces,
// keptConflictsAt), so that they judge the same file and git is not
// asked twice.
type tipLock struct {
	commit string // "" when the branch does not exist
	// lock is the parsed lock, nil when there is none or it does not
	// parse; perr is why it does not.
	lock *render.Lock
	perr error
}

// tipLockAt reads tipLock at commit.
func (r *run) tipLockAt(ctx context.Context, commit string) tipLock {
	t := tipLock{commit: commit}
	if commit == "" {
		return t
	}
	data, err := r.repo.ReadFile(ctx, commit, r.dir+"/"+render.LockFile)
	if err != nil {
		return t
	}
	t.lock, t.perr = render.ParseLock(data)
	if t.perr != nil {
		t.lock = nil
	}
	return t
}

// checkReplaces refuses to replace the env's tree on where (a branch) when
// its lock names another code repository than this run's (otherRepo), or
// a source commit that descends from this run's: the tree there is newer,
// and this run, started earlier or rerun, would roll the env back.
func (r *run) checkReplaces(ctx context.Context, src *source, where string, lock *render.Lock) error {
	if err := r.otherRepo(src, where, lock); err != nil {
		return err
	}
	newer, err := r.newer(ctx, src, where, lock)
	if err != nil || !newer {
		return err
	}
	return &diag.Error{Msg: fmt.Sprintf("env %s on %s is rendered from %s, a newer commit than this run's %s (it descends from it): promoting would roll the env back", r.env.Name, where, short(lock.Source.Commit), short(src.lock.Source.Commit)),
		Hint: "a promotion of a newer commit ran first, so there is nothing to do (run the promotions of one env one at a time: a concurrency group, docs/promote.md, \"Concurrent promotions\"); to roll back on purpose, revert the change in the source repository and promote that commit, or pass --allow-older-source (KILN_ALLOW_OLDER_SOURCE=true)"}
}

// otherRepo refuses to replace the env's tree on where when its lock
// names a code repository other than this run's (render.OtherRepoError),
// unless AllowOtherRepo. The commit check (newer) cannot tell two
// pipelines apart, as neither repository holds the other's commits.
func (r *run) otherRepo(src *source, where string, lock *render.Lock) error {
	if lock == nil || r.opts.AllowOtherRepo {
		return nil
	}
	return render.OtherRepoError(r.env.Name, "on "+where, src.lock.Source.Repo, lock.Source.Repo, "promoting",
		"two pipelines must not share an env folder: give this one another manifests.path (or envs' path); if the env moved to this repository on purpose (a renamed or transferred repository), pass --allow-other-repo (KILN_ALLOW_OTHER_REPO=true) once")
}

// newer reports whether lock, the env's on where, names a source commit
// that descends from this run's, unless AllowOlderSource. The code
// repository's history decides; when it cannot (a shallow clone lacks a
// commit, or a lock names none), kiln says so and goes ahead, as it did
// before it could tell.
func (r *run) newer(ctx context.Context, src *source, where string, lock *render.Lock) (bool, error) {
	if lock == nil || r.opts.AllowOlderSource {
		return false, nil
	}
	ours, theirs := src.lock.Source.Commit, lock.Source.Commit
	if ours == "" || theirs == "" || ours == theirs {
		return false, nil
	}
	older, err := gitinfo.IsAncestor(ctx, r.p.Root, ours, theirs)
	if errors.Is(err, gitinfo.ErrUndecided) {
		// The advice only a shallow clone can take; a full one lacks the
		// commit because history was rewritten (or it is another
		// repository's).
		why := "With the code repository's history (actions/checkout: fetch-depth: 0) kiln refuses to replace a newer commit's render"
		if !gitinfo.IsShallow(ctx, r.p.Root) {
			why = "This is no shallow clone: the code repository's history was rewritten by a force-push, or that commit is another repository's"
		}
		fmt.Fprintf(r.log, "env %s: cannot tell whether this run's source commit %s is older than %s, which %s holds the env from (%v); going ahead. %s\n",
			r.env.Name, short(ours), short(theirs), where, err, why)
		return false, nil
	}
	return older, err
}

// foreignDepth bounds how far back kiln looks on kiln/<env> for its own
// last commit.
const foreignDepth = 50

// checkForeign refuses to rebuild kiln/<env> (last) over commits kiln did
// not make, unless ReplaceForeignCommits: a reviewer's accepted suggestion
// would vanish with the force-push. kiln's commits carry the trailer
// Kiln-Env: <env> (a rebase by GitHub's "Update branch" keeps it); a merge
// is not counted, nor the commits it brings in that the base holds (GitHub's
// "Update branch"), but those of a side branch are.
func (r *run) checkForeign(branch string, last lastPromotion) error {
	what, items := r.foreign(last)
	if len(items) == 0 {
		return nil
	}
	if r.opts.ReplaceForeignCommits {
		// Every one: the log is where they can be found again.
		fmt.Fprintf(r.log, "warning: replacing %s, which holds %s: %s\n", branch, what, strings.Join(items, ", "))
		return nil
	}
	list := words.First(items, 5)
	return &diag.Error{Msg: fmt.Sprintf("%s holds %s, which this promotion would replace: %s", branch, what, list),
		Hint: fmt.Sprintf("kiln rebuilds %s from %s on every promotion, and kiln verify refuses a hand edit of the rendered files: make the change in the source repository (its templates, env file or kiln.yaml), then promote again with --replace-foreign-commits (KILN_REPLACE_FOREIGN_COMMITS=true), or delete the branch %s", branch, r.base, branch)}
}

// foreign names what others pushed onto kiln/<env> (last), as checkForeign
// and closeEmpty judge it: the commits kiln did not make, or, when none
// are found within foreignDepth commits (an "Update branch" bot's merges
// may hide them), the files the branch changes outside the env's folder in
// no env folder (lastPromotion.elsewhere), which are someone's all the
// same.
func (r *run) foreign(last lastPromotion) (string, []string) {
	if len(last.foreign) > 0 {
		return words.Count(len(last.foreign), "commit") + " kiln did not make", last.foreign
	}
	var paths []string
	for _, p := range last.elsewhere.paths {
		paths = append(paths, oneLine(caret.String(p), 200))
	}
	return fmt.Sprintf("changes to %s outside %s that %s does not hold", words.Count(len(paths), "file"), r.dir, r.base), paths
}

// lastPromotion is what kiln/<env> holds over the manifests branch, as a
// promotion that would replace or close it judges it: kiln's last commit
// of the env along the branch's first parents, what was pushed onto the
// branch after it, and what the branch changes outside the env's folder.
type lastPromotion struct {
	// tip is where kiln/<env> was fetched, "" when it does not exist.
	tip string
	// commit is kiln's last commit of the env, "" when there is none
	// within foreignDepth commits.
	commit string
	// own is whether commit's Kiln-Path names this env's folder: this
	// pipeline's promotion, not another's of the same env name (nor one
	// of a kiln that wrote no Kiln-Path, which cannot tell).
	own bool
	// edited is whether the env's folder at tip differs from commit's.
	edited bool
	// foreign are the commits after it that kiln did not make, and the
	// merges that change the env's folder beyond what they merge, but
	// not what merges bring in from the base, newest first, each as
	// "<sha> "<subject>" by <author>" (checkForeign).
	foreign []string
	// elsewhere is what the branch changes outside the env's folder
	// (pendingElsewhere).
	elsewhere elsewhere
}

// ours reports whether kiln/<env> holds this pipeline's promotion as kiln
// made it, nothing anyone pushed or merged into the env's folder after it
// and nothing pending elsewhere: only then is what the branch holds what
// kiln rendered, the lock's provenance included (keepPendingProvenance).
func (l lastPromotion) ours() bool {
	return l.own && !l.edited && len(l.foreign) == 0 && !l.elsewhere.any()
}

// elsewhere is what kiln/<env> changes outside this env's folder that the
// manifests branch does not hold: what its pull request would merge
// besides this pipeline's promotion.
type elsewhere struct {
	// folders are the env folders (those holding a kiln.lock.json at the
	// branch's tip) that hold such changes, and paths the changed files
	// in no env folder; both sorted.
	folders, paths []string
	// moved are the folders whose lock is this env's, rendered from this
	// run's code repository: this pipeline's folder before its
	// manifests.path changed, or the folder of another kiln.yaml of the
	// same repository (--config), which no lock tells apart; for the
	// hint only.
	moved []string
	// undecided, when kiln cannot tell what the branch changes (no
	// merge base in the history fetched), says why; folders and paths
	// then name where the two branches differ.
	undecided string
}

// any reports whether there is anything elsewhere.
func (e elsewhere) any() bool {
	return e.undecided != "" || len(e.folders) > 0 || len(e.paths) > 0
}

// theirs reports whether the branch holds another pipeline's promotion
// (an env folder not this pipeline's), or changes kiln cannot tell apart
// from one: not this pipeline's to replace or close, whatever
// ReplaceForeignCommits says (checkOtherPipeline, closeEmpty). Files
// changed in no env folder are someone's commits, which that flag may
// drop (checkForeign).
func (e elsewhere) theirs() bool {
	return e.undecided != "" || len(e.folders) > 0
}

// String names the changes for a message, at most five.
func (e elsewhere) String() string {
	var items []string
	for _, f := range e.folders {
		whose := "another pipeline's"
		if slices.Contains(e.moved, f) {
			whose = "this code repository's"
		}
		items = append(items, whose+" promotion into "+oneLine(caret.String(f), 200))
	}
	for _, p := range e.paths {
		items = append(items, oneLine(caret.String(p), 200))
	}
	return words.First(items, 5)
}

// baseHistory is the manifests branch fetched with its history back to
// since, into refs/kiln/base (at base), deepened only when an older commit
// needs it.
type baseHistory struct {
	base  string
	since time.Time
}

// reach fetches the manifests branch back to a day before oldest, unless
// h holds that already.
func (r *run) reach(ctx context.Context, h *baseHistory, oldest time.Time) error {
	from := oldest.Add(-24 * time.Hour)
	if h.base != "" && !from.Before(h.since) {
		return nil
	}
	base, err := r.repo.FetchSince(ctx, r.base, "refs/kiln/base", from)
	if err != nil {
		return r.gitErr("fetching "+r.base+" of", err)
	}
	h.base, h.since = base, from
	return nil
}

// lastPromotion reads kiln/<env> at tip ("" when it does not exist) back to
// kiln's last commit of the env, at most foreignDepth commits, and what it
// changes outside the env's folder over the manifests branch at baseTip.
// Promote reads it once and hands it to each place that decides whether
// the branch is this pipeline's to replace or close.
func (r *run) lastPromotion(ctx context.Context, branch, baseTip, tip string, src *source) (lastPromotion, error) {
	last := lastPromotion{tip: tip}
	if tip == "" {
		return last, nil
	}
	ci, err := r.repo.Info(ctx, tip)
	if err != nil {
		return last, r.gitErr("reading "+branch+" of", err)
	}
	var log []gitrepo.LogEntry
	var h baseHistory
	// kiln's commit at the tip, as nearly always: no history to fetch.
	if kilnMade(ci.Message, r.env.Name) {
		last.commit, last.own = tip, r.ownPath(ci.Message)
	} else {
		if log, err = r.repo.FirstParents(ctx, branch, tip, foreignDepth); err != nil {
			return last, r.gitErr("reading the history of "+branch+" in", err)
		}
		if err := r.walk(ctx, branch, &last, log, &h); err != nil {
			return last, err
		}
	}
	last.elsewhere, err = r.pendingElsewhere(ctx, branch, baseTip, tip, ci.Parents, src, last.commit, last.own, log, &h)
	return last, err
}

// ownPath reports whether message, one of kiln's commits of the env, names
// this env's folder in its Kiln-Path.
func (r *run) ownPath(message string) bool {
	dir, ok := trailer(message, pathTrailer)
	return ok && dir == caret.String(r.dir)
}

// walk reads log, kiln/<env>'s first parents from its tip, back to kiln's
// last commit of the env, into last.
func (r *run) walk(ctx context.Context, branch string, last *lastPromotion, log []gitrepo.LogEntry, h *baseHistory) error {
	add := func(e gitrepo.LogEntry) {
		last.foreign = append(last.foreign, fmt.Sprintf("%s %q by %s", short(e.Commit), subject(e.Message), oneLine(e.Author, 80)))
	}
	// The merges on the way, each with where its entry would go in
	// last.foreign: before the commits it brings in, which are older.
	type mergeAt struct {
		e  gitrepo.LogEntry
		at int
	}
	var merges []mergeAt
	var own []gitrepo.LogEntry // the branch's commits after kiln's, newest first
	var sides []string         // the other parents of their merges
	for _, e := range log {
		if kilnMade(e.Message, r.env.Name) {
			last.commit, last.own = e.Commit, r.ownPath(e.Message)
			break
		}
		if len(e.Parents) == 0 {
			// git log shows the oldest commit fetched without parents;
			// its object names them, and a merge is no commit of others.
			ci, err := r.repo.Info(ctx, e.Commit)
			if err != nil {
				return r.gitErr("reading the history of "+branch+" in", err)
			}
			e.Parents = ci.Parents
		}
		own = append(own, e)
		if len(e.Parents) > 1 {
			sides = append(sides, e.Parents[1:]...)
		}
	}
	// GitHub's "Update branch" merges in commits of the base, which the
	// base still holds. A side branch merged in brings commits that only
	// kiln/<env> holds now: the force-push would drop them as it would a
	// commit pushed onto the branch. The base is fetched back to a day
	// before the oldest commit a merge brings in, so that all of the
	// base's commits since it are known, however many there are (a busy
	// manifests branch gains one per promotion). A few git processes for
	// all the merges, not a few for each: a bot that keeps the branch up
	// to date merges the base in at every push to it.
	oldest, err := r.repo.OldestTime(ctx, sides)
	if err != nil {
		return r.gitErr("reading the history of "+branch+" in", err)
	}
	var outside map[string]bool
	if !oldest.IsZero() {
		if err := r.reach(ctx, h, oldest); err != nil {
			return err
		}
		if outside, err = r.repo.Outside(ctx, h.base, sides); err != nil {
			return r.gitErr("reading the history of "+branch+" in", err)
		}
	}
	for _, e := range own {
		if len(e.Parents) < 2 {
			add(e)
			continue
		}
		merges = append(merges, mergeAt{e, len(last.foreign)})
		if !slices.ContainsFunc(e.Parents[1:], func(p string) bool { return outside[p] }) {
			// Beyond the history fetched, or all held by the base.
			continue
		}
		in, err := r.repo.MergedIn(ctx, h.base, e, foreignDepth)
		if err != nil {
			return r.gitErr("reading the history of "+branch+" in", err)
		}
		for _, c := range in {
			if !kilnMade(c.Message, r.env.Name) {
				add(c)
			}
		}
	}
	if last.commit == "" {
		return nil
	}
	there, err1 := r.repo.Object(ctx, last.tip, r.dir)
	made, err2 := r.repo.Object(ctx, last.commit, r.dir)
	if err := errors.Join(err1, err2); err != nil {
		return r.gitErr("reading "+branch+" of", err)
	}
	if last.edited = there != made; !last.edited {
		return nil
	}
	// A merge made in GitHub's conflict editor, or by hand, may change
	// the folder too; MergedIn sees only the commits it brings in, and
	// the force-push would drop that change unnamed. From the oldest,
	// so that the places taken are still where they were.
	for i := len(merges) - 1; i >= 0; i-- {
		m := merges[i]
		edits, err := r.editsInMerge(ctx, m.e)
		if err != nil {
			return r.gitErr("reading the history of "+branch+" in", err)
		}
		if edits {
			entry := fmt.Sprintf("%s %q by %s (a merge that changes %s beyond what it merges)", short(m.e.Commit), subject(m.e.Message), oneLine(m.e.Author, 80), r.dir)
			last.foreign = slices.Insert(last.foreign, m.at, entry)
		}
	}
	return nil
}

// editsInMerge reports whether merge leaves the env's folder as none of its
// parents has it: a hand edit made in the merge, or a merge of changes to
// the folder from both sides, which kiln cannot tell apart. A parent
// beyond the history fetched leaves it untold (false).
func (r *run) editsInMerge(ctx context.Context, merge gitrepo.LogEntry) (bool, error) {
	made, err := r.repo.Object(ctx, merge.Commit, r.dir)
	if err != nil {
		return false, err
	}
	for _, p := range merge.Parents {
		if !r.repo.Has(ctx, p) {
			return false, nil
		}
		had, err := r.repo.Object(ctx, p, r.dir)
		if err != nil || had == made {
			return false, err
		}
	}
	return true, nil
}

// pendingElsewhere reads what kiln/<env> (at tip, with parents) changes outside this env's folder that the manifests
// branch (at baseTip) does not hold: the paths that differ between the two
// tips and that the branch changed since their merge base. That is what
// GitHub's "Files changed" shows (from the merge base, so "Update branch"
// merges of the base do not count), less what the manifests branch holds
// as the branch does (a squash-merged pull request's branch left behind).
// Pipelines of several code repositories share kiln/<env> for an env name
// each has, each promoting its own folder: a change elsewhere is another
// pipeline's pending promotion, or a file someone changed, and a
// force-push would drop it, however far back kiln's own commit is.
//
// The tips' trees tell most runs: nothing differs outside the folder, or
// the branch is built on (or merged) the manifests branch's tip, which is
// then the merge base. Otherwise kiln/<env> is read back foreignDepth
// commits (log, when walk fetched them) and the manifests branch back to a
// day before the oldest commit of it that the branch holds (kiln's commit's
// parent, or what merges brought in); with no merge base within them, the
// result is undecided.
func (r *run) pendingElsewhere(ctx context.Context, branch, baseTip, tip string, parents []string, src *source, kilnCommit string, own bool, log []gitrepo.LogEntry, h *baseHistory) (elsewhere, error) {
	var e elsewhere
	if baseTip == "" || tip == baseTip {
		return e, nil
	}
	differ, err := r.repo.Diff(ctx, baseTip, tip)
	if err != nil {
		return e, r.gitErr("comparing "+branch+" with "+r.base+" in", err)
	}
	if len(differ) == 0 {
		return e, nil
	}
	locks, err := r.repo.Named(ctx, tip, render.LockFile)
	if err != nil {
		return e, r.gitErr("reading "+branch+" of", err)
	}
	var envDirs []string
	for _, l := range locks {
		if d := path.Dir(l); d != r.dir {
			envDirs = append(envDirs, d)
		}
	}
	var outside []string
	for _, p := range differ {
		if !r.inEnv(p, envDirs) {
			outside = append(outside, p)
		}
	}
	if len(outside) == 0 {
		return e, nil
	}
	mb := ""
	switch {
	case slices.Contains(parents, baseTip):
		mb = baseTip
	case kilnCommit == tip && own && len(parents) == 1:
		// This pipeline's own commit at the tip, built on what was the
		// manifests branch's tip then: the branch changes what that
		// commit changes, whatever the manifests branch did since (a
		// busy one moves on between reruns; a rewritten one shares no
		// history left), and its parent is one commit away, where the
		// merge base may need weeks of history.
		if _, err := r.repo.FirstParents(ctx, branch, tip, 2); err != nil {
			return e, r.gitErr("reading the history of "+branch+" in", err)
		}
		mb = parents[0]
	default:
		if mb, err = r.mergeBase(ctx, branch, baseTip, tip, kilnCommit, log, h); err != nil {
			return e, err
		}
	}
	if mb == "" {
		e.undecided = fmt.Sprintf("kiln found no commit of %s in the history of %s it read (%d commits)", r.base, branch, foreignDepth)
	} else {
		changed, err := r.repo.Diff(ctx, mb, tip)
		if err != nil {
			return e, r.gitErr("comparing "+branch+" with "+r.base+" in", err)
		}
		outside = slices.DeleteFunc(outside, func(p string) bool { return !slices.Contains(changed, p) })
	}
	folders := map[string]bool{}
	for _, p := range outside {
		if d := envDirOf(p, envDirs); d != "" {
			folders[d] = true
		} else {
			e.paths = append(e.paths, p)
		}
	}
	e.folders = slices.Sorted(maps.Keys(folders))
	sort.Strings(e.paths)
	for _, d := range e.folders {
		if l := r.lockAtDir(ctx, tip, d); l != nil && l.Env == r.env.Name && src.lock.Source.Repo != "" && l.Source.Repo != "" && gitinfo.SameRepo(src.lock.Source.Repo, l.Source.Repo) {
			e.moved = append(e.moved, d)
		}
	}
	return e, nil
}

// mergeBase finds the merge base of kiln/<env> (at tip) and the manifests
// branch (at baseTip) in their history back to the oldest commit of the
// base that the branch holds (pendingElsewhere); "" when there is none.
func (r *run) mergeBase(ctx context.Context, branch, baseTip, tip, kilnCommit string, log []gitrepo.LogEntry, h *baseHistory) (string, error) {
	if log == nil {
		var err error
		if log, err = r.repo.FirstParents(ctx, branch, tip, foreignDepth); err != nil {
			return "", r.gitErr("reading the history of "+branch+" in", err)
		}
	}
	// kiln builds its commit on the base's tip, and "Update branch"
	// merges the base in: the merge base is one of these, or newer.
	var held []string
	for i, e := range log {
		if len(e.Parents) > 1 {
			held = append(held, e.Parents[1:]...)
		}
		if e.Commit == kilnCommit || i == len(log)-1 {
			held = append(held, e.Parents[:min(1, len(e.Parents))]...)
			break
		}
	}
	oldest, err := r.repo.OldestTime(ctx, held)
	if err != nil {
		return "", r.gitErr("reading the history of "+branch+" in", err)
	}
	if oldest.IsZero() {
		return "", nil
	}
	if err := r.reach(ctx, h, oldest); err != nil {
		return "", err
	}
	mb, err := r.repo.MergeBase(ctx, tip, baseTip)
	if err != nil {
		return "", r.gitErr("reading the history of "+branch+" in", err)
	}
	return mb, nil
}

// inEnv reports whether p, a path from the repository root, is a file of
// this env's folder: below r.dir (not a folder that merely starts with its
// name, prod-eu for prod), and not below another env's folder nested in it
// (one of envDirs, which hold a kiln.lock.json).
func (r *run) inEnv(p string, envDirs []string) bool {
	if !strings.HasPrefix(p, r.dir+"/") {
		return false
	}
	d := envDirOf(p, envDirs)
	return d == "" || !strings.HasPrefix(d, r.dir+"/")
}

// envDirOf is the deepest of envDirs that holds p, "" when none does.
func envDirOf(p string, envDirs []string) string {
	found := ""
	for _, d := range envDirs {
		if strings.HasPrefix(p, d+"/") && len(d) > len(found) {
			found = d
		}
	}
	return found
}

// lockAtDir is the kiln.lock.json of the env folder dir in commit, nil when
// there is none or it does not parse.
func (r *run) lockAtDir(ctx context.Context, commit, dir string) *render.Lock {
	data, err := r.repo.ReadFile(ctx, commit, dir+"/"+render.LockFile)
	if err != nil {
		return nil
	}
	l, err := render.ParseLock(data)
	if err != nil {
		return nil
	}
	return l
}

// checkOtherPipeline refuses to rebuild kiln/<env> while it changes
// anything outside this env's folder that the manifests branch does not
// hold (lastPromotion.elsewhere), whatever ReplaceForeignCommits says: the
// force-push would drop another pipeline's pending release, or someone's
// change, from an open pull request whose title and body this run would
// then rewrite. Neither run can tell which should win, so kiln refuses
// rather than guesses, as for a newer render (checkReplaces). That holds
// for a folder whose lock names this code repository and env too: it may
// be this pipeline's before its manifests.path changed, or another
// kiln.yaml's of the same repository, and only the user knows which.
func (r *run) checkOtherPipeline(ctx context.Context, branch string, last lastPromotion) error {
	e := last.elsewhere
	if !e.theirs() {
		return nil
	}
	// A dry run has no number to give, nor has a branch whose pull
	// request was closed: the hint holds without one.
	pr, merge := "", fmt.Sprintf("merge the pull request from %s first if one is open", branch)
	if n := r.openPR(ctx, branch); n != 0 {
		pr, merge = fmt.Sprintf(" (pull request #%d)", n), fmt.Sprintf("merge pull request #%d first", n)
	}
	hint := fmt.Sprintf("pipelines that promote into one manifests repository share the branch %s for their envs named %s, one pull request at a time, and --replace-foreign-commits does not replace another's: %s; or, if what it changes is not wanted, delete the branch %s (which closes its pull request); then promote again", branch, r.env.Name, merge, branch)
	if len(e.moved) > 0 {
		// Its lock names this repository and env, which is all kiln
		// knows: another kiln.yaml of the repository (--config) writes
		// such a folder as well as this one did before a move.
		hint = fmt.Sprintf("if %s was this pipeline's folder before its manifests.path changed, delete the branch %s (which closes its pull request) and promote again; otherwise ", words.First(e.moved, 3), branch) + hint
	}
	if e.undecided != "" {
		return &diag.Error{Msg: fmt.Sprintf("%s%s and %s differ outside %s, this pipeline's folder of env %s (%s), and kiln cannot tell whether %s changed that or %s did: %s", branch, pr, r.base, r.dir, r.env.Name, e, branch, r.base, e.undecided),
			Hint: fmt.Sprintf("merge %s into %s (GitHub's \"Update branch\"), so that kiln can tell what the pull request changes, and promote again; ", r.base, branch) + hint}
	}
	return &diag.Error{Msg: fmt.Sprintf("%s%s holds changes %s does not hold yet outside %s, this pipeline's folder of env %s: %s; promoting would replace them", branch, pr, r.base, r.dir, r.env.Name, e),
		Hint: hint}
}

// openPR is the number of branch's open pull request to the manifests
// branch, for an error to name; 0 when there is none, or when a dry run
// (which may have no token) or a failed request cannot tell.
func (r *run) openPR(ctx context.Context, branch string) int {
	if r.opts.DryRun || r.owner == "" {
		return 0
	}
	client, err := r.github()
	if err != nil {
		return 0
	}
	pr, err := client.FindOpenPR(ctx, r.owner, r.name, branch, r.base)
	if err != nil || pr == nil {
		return 0
	}
	return pr.Number
}

// pathTrailer starts the trailer of kiln's commits that names the env's
// folder (commitMessage).
const pathTrailer = "Kiln-Path: "

// kilnMade reports whether a commit message is one of kiln's promotion
// commits of env (commitMessage's trailer).
func kilnMade(message, env string) bool {
	for _, line := range strings.Split(message, "\n") {
		if strings.TrimSpace(line) == "Kiln-Env: "+env {
			return true
		}
	}
	return false
}

// trailer is the value of message's last line that starts with key
// (pathTrailer), and whether there is one.
func trailer(message, key string) (string, bool) {
	value, found := "", false
	for _, line := range strings.Split(message, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key); ok {
			value, found = strings.TrimSpace(v), true
		}
	}
	return value, found
}

// subject is a commit message's first line, made safe to print.
func subject(message string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(message), "\n")
	return oneLine(first, 72)
}

// oneLine drops control characters from s and cuts it to n runes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

// sameChange fetches branch and returns its tip when that holds the same
// tree on the same parent as commit; "" when it holds something else.
func (r *run) sameChange(ctx context.Context, branch, commit string) (string, error) {
	heads, err := r.repo.Fetch(ctx, branch)
	if err != nil {
		return "", r.gitErr("fetching", err)
	}
	tip := heads[branch]
	if tip == "" {
		return "", nil
	}
	ti, err1 := r.repo.Info(ctx, tip)
	ci, err2 := r.repo.Info(ctx, commit)
	if err := errors.Join(err1, err2); err != nil {
		return "", r.gitErr("reading "+branch+" of", err)
	}
	if ti.Tree != ci.Tree || !slices.Equal(ti.Parents, ci.Parents) {
		return "", nil
	}
	return tip, nil
}

// stillAt makes sure the remote branch still holds commit, the one this
// run pushed (or found there); else another promotion of the env pushed
// since, and the error says what this run did about it (done).
func (r *run) stillAt(ctx context.Context, branch, commit, done, then string) error {
	now, err := r.repo.Head(ctx, branch)
	if err != nil {
		return r.gitErr("reading "+branch+" of", err)
	}
	if now == commit {
		return nil
	}
	return r.concurrentErr(ctx, branch, done, then)
}

// What to do after another promotion of the env changed kiln/<env> while
// this one ran (concurrentErr's then).
const (
	// thenRerunThis: this run pushed nothing, the other's pull request
	// is intact.
	thenRerunThis = "if this run's source commit is the newer, run it again"
	// thenNothing: the other run pushed after this one and writes its own
	// pull request.
	thenNothing = "nothing is lost: the other promotion writes the pull request of its commit"
	// thenRerunNewest: this run's write of the pull request may have
	// replaced the other run's.
	thenRerunNewest = "run the newest promotion of the env again: it finds its commit on the branch and writes (or opens) the pull request anew"
)

// concurrentErr explains that another promotion of the env changed the
// branch while this one ran: what this run did about it (done) and what
// to do (then).
func (r *run) concurrentErr(ctx context.Context, branch, done, then string) error {
	now := "it no longer exists"
	if c, err := r.repo.Head(ctx, branch); err == nil && c != "" {
		now = "it now holds " + short(c)
	}
	return &diag.Error{Msg: fmt.Sprintf("another promotion of env %s %s (%s)", r.env.Name, done, now),
		Hint: then + "; run the promotions of one env one at a time (in GitHub Actions: a concurrency group per env, see docs/promote.md, \"Concurrent promotions\")"}
}

// push commits the tree straight to the manifests branch, rebuilding it on
// the new tip when someone else pushed meanwhile.
func (r *run) push(ctx context.Context, res *Result, src *source, message, baseTip string) error {
	var last *plan // the plan of the commit pushed
	build := func(ctx context.Context, tip string) (string, error) {
		ref := ""
		if tip != "" {
			ref = "HEAD"
		}
		pl, err := r.plan(ctx, ref, src)
		if err != nil {
			return "", err
		}
		last = pl
		pl.fill(res)
		if !pl.changed() {
			return "", nil
		}
		// On every attempt: the tip that moved on may be a newer
		// promotion's.
		if err := r.checkReplaces(ctx, src, r.base, pl.oldLock); err != nil {
			return "", err
		}
		lines, lerr := r.keptConflicts(ctx, src, pl.old, pl.oldLock)
		if err := r.refuseKept(src, r.base, lines, lerr); err != nil {
			return "", err
		}
		if err := r.guard(pl, nil); err != nil {
			return "", err
		}
		res.Body = r.body(src, pl)
		if err := r.repo.ReplaceDir(ctx, r.dir, pl.files); err != nil {
			return "", r.gitErr("writing "+r.dir+" into", err)
		}
		if err := r.keepBootstrap(ctx); err != nil {
			return "", err
		}
		if err := r.at(ctx, stepCommit); err != nil {
			return "", err
		}
		commit, err := r.repo.Commit(ctx, message)
		if err != nil {
			return "", r.gitErr("committing to", err)
		}
		if err := r.checkCommit(ctx, commit, pl); err != nil {
			return "", err
		}
		if err := r.at(ctx, stepPush); err != nil {
			return "", err
		}
		return commit, nil
	}
	if r.opts.DryRun {
		start := ""
		if baseTip != "" {
			start = "refs/remotes/origin/" + r.base
		}
		if err := r.repo.Checkout(ctx, r.base, start); err != nil {
			return r.gitErr("checking out "+r.base+" of", err)
		}
		commit, err := build(ctx, baseTip)
		res.Commit = commit
		fmt.Fprintf(r.log, "dry run: would push to %s\n", r.base)
		return err
	}
	commit, attempts, err := r.repo.PushRetry(ctx, r.base, r.opts.PushAttempts, build)
	res.Commit, res.Attempts = commit, attempts
	if err != nil {
		var de *diag.Error
		if errors.As(err, &de) {
			return err
		}
		err = r.pushErr(r.base, err)
		if errors.Is(err, gitrepo.ErrNoAnswer) && r.chains(last) && errors.As(err, &de) {
			// Landed, the push is one whose next stage only kiln
			// starts, and a rerun finds nothing left to promote.
			de.Hint += fmt.Sprintf("; if it moved, a rerun finds nothing left to promote and sends no %s repository_dispatch to %s, which this push needs to start the next stage (it changes no app's objects, so Flux sends none): then send it by hand", DispatchEvent, r.p.Notifications.Dispatch)
		}
		return err
	}
	if commit == "" {
		fmt.Fprintf(r.log, "env %s: someone pushed the same tree meanwhile; nothing to push\n", r.env.Name)
		return nil
	}
	fmt.Fprintf(r.log, "pushed %s at %s\n", r.base, short(commit))
	// Pushed: an interrupt no longer stops the run (docs/promote.md,
	// Output), or the next stage that only kiln can start would not be.
	return r.chain(context.WithoutCancel(ctx), res, src, last)
}

// PushUnconfirmed reports whether err is a push that ended before git
// heard from the remote whether it took it (a dropped connection, a git
// stopped by a signal): the branch may have moved all the same.
func PushUnconfirmed(err error) bool { return errors.Is(err, gitrepo.ErrNoAnswer) }

// DispatchEvent is the repository_dispatch event type kiln sends to
// notifications.dispatch after a push that Flux will send none for.
const DispatchEvent = "kiln-promoted"

// chain starts the next stage when Flux will not. notification-controller
// forwards to a githubdispatch Provider only the events of a reconcile that
// changed something on the cluster (and failures): the periodic
// "reconciliation finished" carries the commit-status key, which such
// providers skip. A push that changes no app's objects (only kiln.lock.json,
// flux/ or high-level/, as a new flux.interval does) makes every
// Kustomization reconcile without a change, so no
// repository_dispatch would ever come and the next env would wait forever.
// kiln then sends one itself.
func (r *run) chain(ctx context.Context, res *Result, src *source, pl *plan) error {
	if !r.chains(pl) {
		return nil
	}
	nt := r.p.Notifications
	owner, name, _ := strings.Cut(nt.Dispatch, "/")
	if r.opts.GitHub == nil && r.opts.Token == "" {
		fmt.Fprintf(r.log, "warning: env %s changed no app's objects, so Flux sends no repository_dispatch to %s, and without a token kiln cannot send one: start the next stage by hand\n", r.env.Name, nt.Dispatch)
		return nil
	}
	client, err := r.github()
	if err != nil {
		return err
	}
	payload := map[string]any{
		"env": r.env.Name, "commit": res.Commit, "sourceCommit": src.lock.Source.Commit,
		// As Flux's events carry them, so a workflow can test one field
		// for both.
		"metadata": map[string]string{"env": r.env.Name}, "severity": "info",
	}
	if err := client.Dispatch(ctx, owner, name, DispatchEvent, payload); err != nil {
		return &diag.Error{Msg: fmt.Sprintf("env %s was pushed at %s, but starting the next stage failed: %v", r.env.Name, short(res.Commit), err), Err: err,
			Hint: r.dispatchHint(err, nt.Dispatch)}
	}
	res.Dispatched = true
	fmt.Fprintf(r.log, "env %s changed no app's objects, so Flux will send no event: sent repository_dispatch %s to %s\n", r.env.Name, DispatchEvent, nt.Dispatch)
	return nil
}

// chains reports whether a push of pl needs kiln to start the next stage.
func (r *run) chains(pl *plan) bool {
	nt := r.p.Notifications
	return nt != nil && nt.Dispatch != "" && pl != nil && !appsApplied(pl)
}

// appsApplied reports whether the plan changes a file of an app that stays
// in the env: its Kustomization then applies (or prunes) something, and
// Flux reports that change.
func appsApplied(pl *plan) bool {
	for _, c := range pl.changes {
		if c.App == "" || !strings.HasPrefix(c.Path, "apps/") {
			continue
		}
		if _, stays := pl.files[render.FluxFile(c.App)]; stays {
			return true
		}
	}
	return false
}

// dispatchHint is the hint for a repository_dispatch that failed with
// err: a rerun finds nothing left to promote and sends none, so the next
// stage is started by hand whatever the cause, GitHub's trouble included.
func (r *run) dispatchHint(err error, repo string) string {
	hint := r.apiHint(err, "the token needs contents: write on "+repo+" to send a repository_dispatch")
	if gh.Transient(err) {
		hint = githubDown
	}
	return hint + "; a rerun finds nothing left to promote and sends none: start the next stage by hand"
}

// ownPR returns the branch's open pull request to the manifests branch,
// or nil; done says what the run did so far, for an error. An open pull
// request of the branch to another base is refused: kiln would open or
// update, or close, one of two pull requests of the same commit. When
// closing, one to another base alone is not refused: there is nothing
// of kiln's to close, and nothing is pushed (exit 0, as before).
func (r *run) ownPR(ctx context.Context, client gh.Client, branch, done string, closing bool) (*gh.PR, error) {
	open, err := client.OpenPRs(ctx, r.owner, r.name, branch)
	if err != nil {
		return nil, &diag.Error{Msg: fmt.Sprintf("looking for the open pull requests of env %s on %s/%s: %v", r.env.Name, r.owner, r.name, err), Err: err,
			Hint: r.apiHint(err, "check manifests.github and that the token may read pull requests there (pull-requests: read)") + "; " + done}
	}
	var own *gh.PR
	for _, pr := range open {
		if pr.Base == r.base {
			own = pr
			break
		}
	}
	if closing && own == nil {
		return nil, nil
	}
	if re := (*gh.RetargetedError)(nil); errors.As(gh.Retargeted(open, branch, r.base), &re) {
		return nil, r.retargetedErr(re, done)
	}
	return own, nil
}

// retargetedErr is the error for re; done says what the run did so far.
func (r *run) retargetedErr(re *gh.RetargetedError, done string) error {
	return &diag.Error{Msg: fmt.Sprintf("env %s on %s/%s: %v", r.env.Name, r.owner, r.name, re), Err: re,
		Hint: fmt.Sprintf("change the base of pull request #%d back to %s (manifests.branch), or close it, and run kiln again; %s", re.Number, re.Want, done)}
}

// closeComment is the comment kiln closes an env's pull request with. The
// commit comes from a lock that may be the one of the pull request's
// branch (keepPendingProvenance), which anyone able to push there wrote:
// in caret notation, as in the title, so that it cannot reorder or hide
// what the comment says, and in a code span: unlike a title, a comment
// notifies whom it mentions, and a lock read from a --rendered tree may
// name "@acme/admins" for its commit.
func closeComment(base, env, commit string) string {
	at := ""
	if commit != "" {
		at = " at " + prbody.Code(short(commit))
	}
	// The branch too: a valid git ref may read "@acme/admins".
	return fmt.Sprintf("kiln: %s already holds env %s as rendered%s, so there is nothing left to promote. Closing this pull request; kiln opens a new one when the env changes again.", prbody.Code(base), env, at)
}

// closeEmpty closes the env's open pull request when the manifests branch
// already holds what it would promote. last is what branch held when it
// was fetched: a pull request of a newer source commit, one that changes
// what is not this pipeline's (another pipeline's promotion), or one
// another promotion pushed meanwhile, is not out of date and stays open.
func (r *run) closeEmpty(ctx context.Context, branch string, src *source, last lastPromotion) (int, error) {
	// What it changes elsewhere, another pipeline's release in its own
	// folder, is no less pending for the manifests branch holding this
	// one's, whatever ReplaceForeignCommits says.
	if e := last.elsewhere; e.theirs() {
		if e.undecided != "" {
			fmt.Fprintf(r.log, "env %s: %s and %s differ outside %s (%s), and %s, so its pull request stays open\n", r.env.Name, branch, r.base, r.dir, e, e.undecided)
		} else {
			fmt.Fprintf(r.log, "env %s: %s holds changes %s does not hold yet outside %s (%s), so its pull request stays open\n", r.env.Name, branch, r.base, r.dir, e)
		}
		return 0, nil
	}

	seen := last.tip
	tip := r.tipLockAt(ctx, seen)
	if newer, err := r.newer(ctx, src, branch, tip.lock); err != nil || newer {
		if newer {
			fmt.Fprintf(r.log, "env %s: %s holds a render of a newer source commit than %s, so its pull request stays open\n", r.env.Name, branch, short(src.lock.Source.Commit))
		}
		return 0, err
	}
	// An app this tree kept from an earlier render (kiln render --app)
	// that the branch holds from a newer one: the manifests branch does
	// not hold that change, so the pull request is not out of date.
	if lines, err := r.keptConflictsAt(ctx, src, tip); err != nil || len(lines) > 0 {
		if len(lines) > 0 {
			fmt.Fprintf(r.log, "warning: env %s: %s holds %s otherwise than this tree, which kept %s from earlier renders, so its pull request stays open: %s\n",
				r.env.Name, branch, words.Count(len(lines), "app"), pick(len(lines), "it", "them"), joinConflicts(lines))
		}
		return 0, err
	}
	// A commit someone pushed onto the branch (a reviewer's fix) is a
	// change the manifests branch does not hold: closing the pull request
	// would shelve it with a comment saying there is nothing left.
	if !r.opts.ReplaceForeignCommits {
		if what, items := r.foreign(last); len(items) > 0 {
			fmt.Fprintf(r.log, "warning: env %s: %s holds %s (%s), so its pull request stays open; close it by hand if they are not wanted, or run again with --replace-foreign-commits\n",
				r.env.Name, branch, what, words.First(items, 5))
			return 0, nil
		}
	}
	client, err := r.github()
	if err != nil {
		return 0, err
	}
	// One of the branch to another base is refused as when promoting:
	// closing the one to the base would leave it open alone, and no
	// less the branch's.
	pr, err := r.ownPR(ctx, client, branch, "nothing was changed", true)
	if err != nil {
		return 0, err
	}
	if pr == nil {
		return 0, nil
	}
	comment := closeComment(r.base, r.env.Name, src.lock.Source.Commit)
	if err := r.at(ctx, stepClose); err != nil {
		return 0, err
	}
	if now, err := r.repo.Head(ctx, branch); err != nil {
		return 0, r.gitErr("reading "+branch+" of", err)
	} else if now != seen {
		fmt.Fprintf(r.log, "env %s: another promotion pushed %s meanwhile, so pull request #%d stays open\n", r.env.Name, branch, pr.Number)
		return 0, nil
	}
	if err := client.ClosePR(ctx, r.owner, r.name, pr.Number, comment); err != nil {
		return 0, &diag.Error{Msg: fmt.Sprintf("closing pull request #%d of env %s: %v", pr.Number, r.env.Name, err), Err: err,
			Hint: r.apiHint(err, "close it by hand, or check that the token may write pull requests")}
	}
	// As for an update: GitHub cannot close on condition of the head.
	if err := r.stillAt(ctx, branch, seen, fmt.Sprintf("pushed %s while this run closed its pull request #%d", branch, pr.Number), thenRerunNewest); err != nil {
		return pr.Number, err
	}
	fmt.Fprintf(r.log, "closed pull request #%d: nothing left to promote\n", pr.Number)
	return pr.Number, nil
}

// checkDirty refuses a tree rendered from uncommitted changes, unless
// AllowDirty: the commit its lock names does not render it. It looks at the
// lock, so a tree from --rendered is judged as its render recorded it.
//
// An app kept from an earlier render (kiln render --app) that was made
// from uncommitted changes (its lock entry's source.dirty) counts too: the
// tree holds what no commit renders all the same.
func (r *run) checkDirty(src *source) error {
	if r.opts.AllowDirty {
		return nil
	}
	var dirtyApps []string
	for _, app := range render.KeptApps(src.lock) {
		if src.lock.Apps[app].Source.Dirty {
			dirtyApps = append(dirtyApps, app)
		}
	}
	const hint = "commit or stash the changes (git status) and promote again, or pass --allow-dirty (KILN_ALLOW_DIRTY=true) to promote them as they are"
	if !src.lock.Source.Dirty && len(dirtyApps) > 0 {
		parts := keptAt(src.lock, dirtyApps)
		again := "--app " + strings.Join(dirtyApps, " --app ") + ", or the whole env"
		if r.opts.Rendered != "" {
			again = fmt.Sprintf("kiln render --env %s --app %s --out %s, or the whole env without --app", r.env.Name, strings.Join(dirtyApps, " --app "), r.opts.Rendered)
		}
		return &diag.Error{Msg: fmt.Sprintf("env %s keeps %s from an earlier render of a working tree with uncommitted changes (kiln render --app kept %s; kiln.lock.json: apps' source.dirty), so no commit renders %s: %s; the tree's source commit is %s",
			r.env.Name, words.Count(len(dirtyApps), "app"), pick(len(dirtyApps), "it", "them"), pick(len(dirtyApps), "it", "them"), words.First(parts, 5), sourceName(src.lock.Source)),
			Hint: "render " + pick(len(dirtyApps), "it", "them") + " again once the changes are committed (" + again + "), or pass --allow-dirty (KILN_ALLOW_DIRTY=true) to promote the tree as it is"}
	}
	if !src.lock.Source.Dirty {
		return nil
	}
	at := ""
	if c := src.lock.Source.Commit; c != "" {
		at = " than its commit " + short(c)
	}
	return &diag.Error{Msg: fmt.Sprintf("env %s was rendered from a working tree with uncommitted changes (kiln.lock.json: source.dirty), so it holds more%s", r.env.Name, at),
		Hint: hint}
}

// checkFromDirty refuses to promote from an env whose tree was rendered
// from uncommitted changes (promoted with AllowDirty), unless AllowDirty:
// the next env is rendered from the lock's commit, which lacks them, so it
// would not get what the healthy env runs.
func (r *run) checkFromDirty(lock *render.Lock) error {
	if !lock.Source.Dirty {
		return nil
	}
	c := short(lock.Source.Commit)
	msg := fmt.Sprintf("env %s runs a tree rendered from uncommitted changes on top of %s (its kiln.lock.json: source.dirty), so no commit renders what it runs, and %s rendered from %s would not get it", r.from, c, r.env.Name, c)
	if r.opts.AllowDirty {
		r.warn(msg)
		return nil
	}
	return &diag.Error{Msg: msg,
		Hint: fmt.Sprintf("commit the changes, promote env %s from that commit (kiln promote --env %s) and promote from it once it is healthy; or pass --allow-dirty (KILN_ALLOW_DIRTY=true) to render %s from %s as it is", r.from, r.from, r.env.Name, c)}
}

// checkSource makes sure the working tree is at the commit the previous env
// was rendered from, so that the next env renders the same templates.
func checkSource(ctx context.Context, root, from, to string, lock *render.Lock) error {
	want := lock.Source.Commit
	if want == "" {
		return &diag.Error{Msg: fmt.Sprintf("env %s's kiln.lock.json names no source commit, so kiln cannot tell which templates to render %s from", from, to),
			Hint: "promote " + from + " from a git checkout of the code repository (kiln promote --env " + from + "), then try again"}
	}
	got := gitinfo.Read(ctx, root).Commit
	if got == want {
		return nil
	}
	where := "is not a git checkout"
	if got != "" {
		where = "is at " + short(got)
	}
	return &diag.Error{Msg: fmt.Sprintf("the working tree %s, but env %s was rendered from %s", where, from, want),
		Hint: fmt.Sprintf("check out %s first (git checkout %s), so that %s gets exactly what %s runs", want, want, to, from)}
}

// envPath is an env's folder in the manifests repository. kiln.yaml's
// loader checks it already; this check also covers a Pipeline built or
// changed in code, since a folder outside the env's own would make promote
// replace what is not its to replace.
func envPath(p *envconfig.Pipeline, env string) (string, error) {
	dir, err := envconfig.ManifestsDir(p.Manifests.Path, env)
	if err != nil {
		return "", &diag.Error{File: "kiln.yaml", Msg: err.Error(), Err: err,
			Hint: "give each environment a folder of its own inside the repository, such as clusters/{env}"}
	}
	return dir, nil
}
