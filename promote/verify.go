package promote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/gitinfo"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Env is the environment whose folder is verified.
	Env string
	// Against is the env folder to verify, as DiffOptions.Against: "" for
	// manifests.repo at manifests.branch, DIR, GIT-URL#REF or PATH#REF (a
	// pull request's head, for example).
	Against string
	// LookupEnv reads the env's secret vars, as render.Options.LookupEnv.
	LookupEnv func(string) (string, bool)
	// CacheDir holds downloaded remote Helm charts (render.Options.CacheDir).
	CacheDir string
	// MemoryLimit caps each Helm, Jsonnet or kustomize evaluation
	// (render.Options.MemoryLimit).
	MemoryLimit int64
	// Version is this kiln's version, to say when the lock names another.
	Version string
	// Token authenticates git over HTTPS.
	Token string
	// GitEnv is the environment git runs with (see Options.GitEnv).
	GitEnv []string
	// UserGitConfig lets the user's git configuration apply to the
	// manifests repository read, as DiffOptions.UserGitConfig.
	UserGitConfig bool
	// WorkDir is where the temporary clones and the checkout of the
	// source commit go; "" means os.TempDir().
	WorkDir string
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// SOPSIdentities are age identities (SOPS_AGE_KEY's format, read by
	// the CLI) that decrypt SOPS-encrypted files, so that they compare by
	// plaintext; without one that opens a file, a file whose bytes differ
	// is reported as unverifiable.
	SOPSIdentities sopsyaml.Identities
	// SourceRef, when set, is a revision of the code repository (such as
	// origin/main, its protected branch) that the lock's source commit
	// must be on. Without it, any commit the repository holds is rendered
	// and trusted, a fork's included: GitHub serves those by SHA.
	SourceRef string
}

// VerifyResult says whether an env folder is exactly what kiln renders
// from the source commit and images its kiln.lock.json names.
type VerifyResult struct {
	// Env is the environment verified.
	Env string `json:"env"`
	// Against says which folder was verified, for people.
	Against string `json:"against"`
	// SourceCommit is the code repository's commit the lock names, which
	// was rendered again.
	SourceCommit string `json:"sourceCommit"`
	// KilnVersion is the kiln version the lock names.
	KilnVersion string `json:"kilnVersion"`
	// Equal is true when every file is byte for byte what kiln renders
	// and none is unverifiable.
	Equal bool `json:"equal"`
	// Files are the files that differ: added means the render has a file
	// the folder lacks.
	Files []FileChange `json:"files"`
	// Unverifiable are SOPS-encrypted files whose bytes differ and that no
	// identity given can decrypt: their ciphertext changes with every
	// encryption, so only their plaintext can tell whether they are the
	// same.
	Unverifiable []string `json:"unverifiable"`
	// SourceRef is the revision the source commit was required to be on
	// (VerifyOptions.SourceRef), "" when none was given.
	SourceRef string `json:"sourceRef"`
	// OffSourceRef is true when SourceRef was given and the source commit
	// is not on it: nothing reviewed renders the folder, so it was not
	// rendered again and the folder is not equal.
	OffSourceRef bool `json:"offSourceRef"`
}

// Verify renders the source commit named by the env's kiln.lock.json again,
// with the lock's images, in a temporary checkout of it from the code
// repository that holds p (nothing in that repository is written: not
// the user's working tree, index or HEAD, nor git's own folder, and the
// uncommitted changes play no part), and compares the result with the
// env's folder byte for byte. Errors mean it could not verify.
func Verify(ctx context.Context, p *envconfig.Pipeline, opts VerifyOptions) (*VerifyResult, error) {
	env, err := p.Env(opts.Env)
	if err != nil {
		return nil, err
	}
	r := &run{p: p, env: env, base: p.Manifests.Branch, log: opts.Log, userGit: opts.UserGitConfig,
		opts: Options{Token: opts.Token, GitEnv: opts.GitEnv, WorkDir: opts.WorkDir, Log: opts.Log}}
	if r.log == nil {
		r.log = io.Discard
	}
	if r.dir, err = envPath(p, env.Name); err != nil {
		return nil, err
	}
	defer r.cleanup()
	old, against, err := r.against(ctx, opts.Against)
	if err != nil {
		return nil, err
	}
	data, ok := old["kiln.lock.json"]
	if !ok {
		return nil, &diag.Error{File: against, Msg: "no kiln.lock.json: this folder was not written by kiln, so there is nothing to verify it against",
			Hint: "check --against and manifests.path"}
	}
	lock, err := render.ParseLock(data)
	if err != nil {
		return nil, &diag.Error{File: against + "/kiln.lock.json", Msg: err.Error(), Err: err}
	}
	commit := lock.Source.Commit
	if commit == "" {
		return nil, &diag.Error{File: against + "/kiln.lock.json", Msg: "the lock names no source commit, so there is nothing to render again",
			Hint: "promote the env from a git checkout of the code repository"}
	}
	if !gitinfo.IsCommitHash(commit) {
		// kiln writes the full hash; a branch, tag or abbreviated hash
		// names no one commit (and a lock that names one was not written
		// by kiln), and the render below would record it as it is.
		return nil, &diag.Error{File: against + "/kiln.lock.json", Msg: fmt.Sprintf("the lock's source commit %q is not a full commit hash, so it names no one commit to render again", commit),
			Hint: "kiln writes the full hash of the commit it rendered: render and promote the env again"}
	}
	res := &VerifyResult{Env: env.Name, Against: against, SourceCommit: commit, KilnVersion: lock.KilnVersion,
		Files: []FileChange{}, Unverifiable: []string{}, SourceRef: opts.SourceRef}
	if opts.Version != "" && lock.KilnVersion != opts.Version {
		fmt.Fprintf(r.log, "note: the lock was written by kiln %s, this is kiln %s; a difference may come from that\n", diag.QuotePath(lock.KilnVersion), opts.Version)
	}
	if kept := render.KeptApps(lock); len(kept) > 0 {
		fmt.Fprintf(r.log, "note: the lock keeps %s from earlier renders (kiln render --app): %s; %s did not render %s, so %s may differ\n",
			words.Count(len(kept), "app"), words.First(keptAt(lock, kept), 5), short(commit), pick(len(kept), "it", "them"), pick(len(kept), "its files", "their files"))
	}

	top, err := sourceCommit(ctx, p.Root, commit, opts.GitEnv)
	if err != nil {
		return nil, err
	}
	if opts.SourceRef != "" {
		on, err := onRef(ctx, top, commit, opts.SourceRef, opts.GitEnv)
		if err != nil {
			return nil, err
		}
		if !on {
			// Rendering it would only prove what its author wanted:
			// an unreviewed commit renders whatever it likes.
			res.OffSourceRef = true
			return res, nil
		}
	}
	wt, cleanup, err := checkout(ctx, top, commit, opts.WorkDir, opts.GitEnv, r.log)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	cfg, err := configAt(ctx, p, wt, opts.GitEnv)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(r.log, "rendering env %s at %s with the lock's images\n", env.Name, short(commit))
	p2, err := envconfig.Load(cfg)
	if err != nil {
		return nil, fmt.Errorf("kiln.yaml at %s: %w", short(commit), err)
	}
	// What a render at the commit records: the lock's repository (which
	// no checkout can confirm: clones name it differently), and no
	// uncommitted changes, which the checkout has none of. A lock that
	// says source.dirty is of a tree no commit renders.
	src := render.Source{Repo: lock.Source.Repo, Commit: commit}
	if lock.Source.Dirty {
		fmt.Fprintf(r.log, "note: the lock says its tree was rendered from uncommitted changes (source.dirty), which %s does not hold\n", short(commit))
	}
	renderer, err := render.New(p2, render.Options{
		Version:     lock.KilnVersion,
		Source:      src,
		Images:      render.Images{Given: lock.Images},
		LookupEnv:   opts.LookupEnv,
		CacheDir:    opts.CacheDir,
		MemoryLimit: opts.MemoryLimit,
		Log:         r.log,
		// A Secret kiln encrypts is encrypted anew on every render: with
		// the key, one whose plaintext, recipients and rule the folder
		// holds keeps the folder's ciphertext, as a promotion keeps it,
		// so that the lock's output digest (taken over the ciphertext)
		// is the folder's. Else every env with a secret var kiln
		// encrypts failed verify with "changed kiln.lock.json".
		SOPSKeys: opts.SOPSIdentities,
		Pending:  func(string) (map[string][]byte, error) { return old, nil },
		// The folder is what the cluster applied: a custom resource its
		// CRD now refuses, which a promotion let through as an update
		// the API server takes (render.Options.Applied), renders again.
		Applied: func(string) (map[string][]byte, error) { return old, nil },
	})
	if err != nil {
		return nil, err
	}
	defer renderer.Close()
	results, err := renderer.Render(ctx, []string{env.Name})
	if err != nil {
		return nil, err
	}
	er := results[0]
	if er.Err != nil {
		return nil, &RenderError{Env: env.Name, Err: er.Err}
	}
	files := render.KeepBootstrap(p2, old, er.Files)
	modes := treediff.Modes{Symlinks: r.outsideBootstrap(p2, r.againstSpecial.Symlinks), Executables: r.outsideBootstrap(p2, r.againstSpecial.Executables)}
	var lockChange *treediff.Change
	for _, c := range treediff.TreesOf(old, files, modes) {
		if c.Op == treediff.Changed && c.Path == render.LockFile && !c.OldSymlink && !c.OldExecutable {
			// Judged once every file is: an unverifiable one explains
			// its app's output digest.
			lockChange = &c
			continue
		}
		if c.OldSymlink || c.OldExecutable {
			// Whatever its target's path reads, a symlink is no file
			// kiln writes, and Flux does not apply it; kiln writes no
			// executable either: neither the lock's digests nor a SOPS
			// plaintext make them equal.
			res.Files = append(res.Files, FileChange{Path: c.Path, Op: c.Op, App: c.App, Object: c.Object})
			continue
		}
		if c.Op == treediff.Changed && sopsEncrypted(c.Old) && sopsEncrypted(c.New) {
			switch samePlaintext(c.Old, c.New, opts.SOPSIdentities) {
			case plainEqual:
				continue
			case plainUnknown:
				res.Unverifiable = append(res.Unverifiable, c.Path)
				continue
			}
		}
		res.Files = append(res.Files, FileChange{Path: c.Path, Op: c.Op, App: c.App, Object: c.Object})
	}
	if c := lockChange; c != nil {
		// The lock's file digests (a lock of a kiln that did not write
		// them, or whose tree kept such a lock, render.KeepProvenance)
		// restate files compared here themselves. Without the key, the
		// render encrypts anew what it cannot compare with the folder's
		// ciphertext, so the output digest of an app with an
		// unverifiable file differs too: that file is reported, and
		// the lock, which differs for that reason alone, is not.
		var apps []string
		for _, p := range res.Unverifiable {
			if app := treediff.AppOf(p); app != "" {
				apps = append(apps, app)
			}
		}
		if !render.SameButDigestsOf(c.Old, c.New, apps) {
			res.Files = append(res.Files, FileChange{Path: c.Path, Op: c.Op, App: c.App, Object: c.Object})
		}
	}
	// kiln never writes a submodule (promote refuses one in the folder):
	// one a pull request added is a difference, but in Flux's bootstrap
	// folders, which verify does not compare.
	for _, rel := range r.outsideBootstrap(p2, r.againstSpecial.Submodules) {
		res.Files = append(res.Files, FileChange{Path: rel, Op: treediff.Removed, App: treediff.AppOf(rel)})
	}
	res.Equal = len(res.Files) == 0 && len(res.Unverifiable) == 0
	return res, nil
}

// sopsEncrypted reports whether a YAML file holds a SOPS-encrypted
// document: one with a top-level sops: key.
func sopsEncrypted(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return false
			}
			// Not a mapping (or not YAML): not a SOPS document, but
			// later documents may be.
			if _, ok := err.(*yaml.TypeError); ok {
				continue
			}
			return false
		}
		if _, ok := doc["sops"]; ok {
			return true
		}
	}
}

type plainResult int

const (
	plainDiffer  plainResult = iota
	plainEqual               // same plaintext, recipients and rule
	plainUnknown             // no identity given decrypts a document
)

// samePlaintext compares two files of SOPS-encrypted documents by what
// they decrypt to: the same objects encrypted to the same recipients with
// the same rule are equal whatever their ciphertext (each encryption draws
// new nonces and a new data key). Documents without a sops key compare as
// YAML. A document that fails its MAC check, or cannot be read, differs: a
// render never writes one.
func samePlaintext(a, b []byte, ids sopsyaml.Identities) plainResult {
	da, errA := documents(a)
	db, errB := documents(b)
	if errA != nil || errB != nil || len(da) != len(db) {
		return plainDiffer
	}
	result := plainEqual
	for i := range da {
		if bytes.Equal(da[i], db[i]) {
			continue
		}
		ea, eb := sopsEncrypted(da[i]), sopsEncrypted(db[i])
		switch {
		case ea != eb:
			return plainDiffer
		case !ea:
			return plainDiffer
		}
		pa, errA := sopsyaml.Decrypt(da[i], ids)
		pb, errB := sopsyaml.Decrypt(db[i], ids)
		switch {
		case errors.Is(errA, sopsyaml.ErrNoKey) || errors.Is(errB, sopsyaml.ErrNoKey):
			// Another document may still prove the files differ.
			result = plainUnknown
		case errA != nil || errB != nil:
			return plainDiffer
		case !pa.Equal(pb):
			return plainDiffer
		}
	}
	return result
}

// documents splits a YAML stream into its documents, each encoded alone.
func documents(data []byte) ([][]byte, error) {
	var out [][]byte
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		doc, err := yaml.Marshal(&n)
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
}

// sourceCommit returns the top folder of the git repository holding dir,
// once it holds commit.
func sourceCommit(ctx context.Context, dir, commit string, env []string) (string, error) {
	top, err := gitrepo.Local(ctx, dir, env, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", &diag.Error{File: dir, Msg: "not a git checkout of the code repository: " + err.Error(), Err: err,
			Hint: "run kiln verify inside a clone of the code repository"}
	}
	if _, err := gitrepo.Local(ctx, top, env, "cat-file", "-e", commit+"^{commit}"); err != nil {
		return "", &diag.Error{File: top, Msg: fmt.Sprintf("the source commit %s that the lock names is not in this repository", commit),
			Hint: "fetch it (git fetch origin " + commit + "; in GitHub Actions, actions/checkout with fetch-depth: 0)"}
	}
	return top, nil
}

// onRef reports whether commit is ref or one of its ancestors, in the git
// repository top. A shallow repository cannot tell (its history stops
// short of the commit's, which would then look off the branch), so it is
// an error, as is a ref the repository does not have.
func onRef(ctx context.Context, top, commit, ref string, env []string) (bool, error) {
	const fetch = "in GitHub Actions, actions/checkout of the code repository with fetch-depth: 0 fetches every branch as origin/<branch>"
	if strings.HasPrefix(ref, "-") {
		return false, &diag.Error{Msg: fmt.Sprintf("--source-ref %q is not a revision", ref), Hint: "name the code repository's protected branch, such as origin/main"}
	}
	shallow, err := gitrepo.Local(ctx, top, env, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	if shallow == "true" {
		return false, &diag.Error{File: top, Msg: fmt.Sprintf("a shallow clone cannot tell whether the source commit %s is on %s", short(commit), ref),
			Hint: "fetch the whole history (git fetch --unshallow; " + fetch + ")"}
	}
	tip, err := gitrepo.Local(ctx, top, env, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil || tip == "" {
		return false, &diag.Error{File: top, Msg: fmt.Sprintf("--source-ref %s is not a commit of this repository", ref),
			Hint: "fetch it (git fetch origin; " + fetch + ")"}
	}
	on, err := gitinfo.IsAncestor(ctx, top, commit, tip)
	if err != nil {
		return false, fmt.Errorf("is %s on %s: %w", short(commit), ref, err)
	}
	return on, nil
}

// checkout writes the files of commit, of the git repository whose work
// tree top is, into a new temporary folder in workDir, and returns that
// folder and a function that removes it. Nothing is written into the
// repository (gitrepo.Export): a run killed half-way leaves only the
// folder, which a later run's makeTemp removes. What killed runs left,
// such folders and older kilns' worktree entries (removeOldWorktrees), is
// removed first, each logged to log.
func checkout(ctx context.Context, top, commit, workDir string, env []string, log io.Writer) (string, func(), error) {
	tmp, err := makeTemp(workDir, worktreePrefix, log)
	if err != nil {
		return "", nil, err
	}
	removeOldWorktrees(ctx, top, workDir, env, log)
	src := filepath.Join(tmp.path, "src")
	cleanup := func() { tmp.remove() }
	if err := os.Mkdir(src, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	if err := gitrepo.Export(ctx, top, commit, src, filepath.Join(tmp.path, "git"), env); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("checking out %s in a temporary folder: %w", short(commit), err)
	}
	return src, cleanup, nil
}

// configAt is the path of p's kiln.yaml inside wt, a checkout of p's
// repository.
func configAt(ctx context.Context, p *envconfig.Pipeline, wt string, env []string) (string, error) {
	top, err := gitrepo.Local(ctx, p.Root, env, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", err
	}
	if top, err = filepath.EvalSymlinks(top); err != nil {
		return "", err
	}
	rel, err := filepath.Rel(top, p.Root)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("kiln.yaml's folder %s is outside its git repository %s", p.Root, top)
	}
	return filepath.Join(wt, rel, filepath.Base(p.File)), nil
}
