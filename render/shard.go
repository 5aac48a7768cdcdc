package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/render/internal/scope"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/templates"
)

// ShardFile is the file a shard's tree holds besides a full render's:
// which shard it is and what it could not know. Merge reads and drops it.
const ShardFile = lockfile.ShardFile

// ShardMarker is the content of ShardFile.
type ShardMarker struct {
	// Shard is "i/n".
	Shard string `json:"shard"`
	// Apps are the apps of the env this shard rendered, sorted.
	Apps []string `json:"apps"`
	// AssumedNamespaced are the custom kinds ("group/Kind") whose objects
	// got the app's namespace although no CRD in the shard (or in
	// validation.crds) said they are namespaced. Merge refuses the shards
	// when another shard's CRD makes such a kind cluster-scoped.
	AssumedNamespaced []string `json:"assumedNamespaced"`
	// Config is a digest of kiln.yaml and the env's file as the shard
	// read them. Merge reads both again and refuses a shard of others: a
	// commit says which files a shard read only in a clean checkout, and
	// shards rendered outside git, or from uncommitted changes, agree on
	// no commit.
	Config string `json:"config"`
}

// configDigest names kiln.yaml and the env's file (their digests) for
// ShardMarker.Config.
func (r *Renderer) configDigest(envFile string) string {
	sum := sha256.Sum256([]byte(r.p.Digest + "\x00" + envFile))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// assumedNamespaced returns the custom kinds of objs that SetDefault will
// give a namespace without knowing their scope.
func assumedNamespaced(scopes *scope.Scopes, objs []templates.Object) []string {
	var out []string
	for _, o := range objs {
		n := o.Node
		if n == nil || n.GetNamespace() != "" || scopes.Known(n.GetApiVersion(), n.GetKind()) {
			continue
		}
		out = append(out, group(n.GetApiVersion())+"/"+n.GetKind())
	}
	return out
}

// checkAssumptions refuses kinds a shard assumed namespaced that a CRD of
// the merged env makes cluster-scoped: that shard's objects got a
// namespace a full render would not give them.
func checkAssumptions(scopes *scope.Scopes, assumed []string) []error {
	var errs []error
	for _, gk := range assumed {
		grp, kind, _ := strings.Cut(gk, "/")
		apiVersion := "v1"
		if grp != "" {
			apiVersion = grp + "/v1"
		}
		if scopes.Known(apiVersion, kind) && !scopes.Namespaced(apiVersion, kind) {
			errs = append(errs, &diag.Error{Msg: fmt.Sprintf("a shard rendered objects of kind %s without its CRD and gave them a namespace; the CRD in another shard makes it cluster-scoped", gk),
				Hint: "list the CRD in kiln.yaml validation.crds, so every shard knows its scope, and render the shards again"})
		}
	}
	return errs
}

// addShardMarker adds ShardFile to a shard's tree.
func (r *Renderer) addShardMarker(files tree.Files, runs []*appRun, assumed []string, envFile string) error {
	m := ShardMarker{Shard: r.opts.Shard.String(), Apps: []string{}, AssumedNamespaced: uniqueSorted(assumed), Config: r.configDigest(envFile)}
	for _, run := range runs {
		m.Apps = append(m.Apps, run.app.Name)
	}
	sort.Strings(m.Apps)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	files[ShardFile] = append(data, '\n')
	return nil
}

func uniqueSorted(in []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Merge joins the trees `kiln render --shard i/n` wrote for env (each
// shard's <out>/<env>) into the env's full tree, byte for byte what one
// render of the whole env writes. Every enabled app must come from exactly
// one shard; the shards must agree on kiln's version, the source and the
// images. The kept objects are validated again with every CRD of the env,
// and the checks across apps run on the whole set. dirs names each tree in
// messages. The returned result's Err holds every problem.
func (r *Renderer) Merge(ctx context.Context, env string, trees []map[string][]byte, dirs []string) *EnvResult {
	return r.merge(ctx, env, trees, dirs, false, true)
}

// Recheck is Merge of one tree that a whole render of env wrote (no shard
// marker): its apps' objects checked again with every check a render
// runs, the checks across apps and the plain-secret gate included, and
// the files kiln makes of them with kiln.yaml and the env file at this
// checkout (flux/, each app's kustomization.yaml) made again. A caller
// that promotes the tree compares those with the tree's own: a tree whose
// objects were kept as they are but whose flux/ files were edited after
// the render makes other files. dir names the tree in messages. The apps'
// object files are not held to the lock's output digests again: the
// caller does that first (CheckTree), with the env's secret values the
// digests mask when it can read them.
func (r *Renderer) Recheck(ctx context.Context, env string, files map[string][]byte, dir string) *EnvResult {
	return r.merge(ctx, env, []map[string][]byte{files}, []string{dir}, true, true)
}

// Remake is Recheck of a tree that another kiln version may have written,
// for a caller that checked the tree's provenance itself: the commit this
// checkout is at is the one the tree's lock names. The gate of kiln promote
// --from compares the files it makes (flux/ above all) with those of the
// previous env's folder on the manifests branch, whose lock keeps the
// kiln version that wrote it as long as a newer kiln writes the same
// files (render.KeepProvenance): refusing another version would refuse
// every promotion after an upgrade of kiln, while a newer kiln that lays
// out flux/ otherwise makes other files, which the caller refuses.
func (r *Renderer) Remake(ctx context.Context, env string, files map[string][]byte, dir string) *EnvResult {
	return r.merge(ctx, env, []map[string][]byte{files}, []string{dir}, true, false)
}

// merge is Merge; whole says the one tree is a whole render's, which has
// no shard marker and whose files CheckTree held to its lock's digests;
// provenance says to refuse trees of another kiln version, commit or a
// checkout with changes they lack (Remake's caller checks those itself).
func (r *Renderer) merge(ctx context.Context, env string, trees []map[string][]byte, dirs []string, whole, provenance bool) *EnvResult {
	er, res := r.resolveEnv(env)
	if er.Err != nil {
		return er
	}
	if err := ctx.Err(); err != nil {
		er.Err = err
		return er
	}
	var errs []error
	owner := map[string]int{}
	locks := make([]*Lock, len(trees))
	var assumed []string
	for i, files := range trees {
		var m ShardMarker
		data, ok := files[ShardFile]
		if whole {
			if ok {
				errs = append(errs, &diag.Error{File: dirs[i], Msg: "a shard, not a whole render of the env",
					Hint: "give every shard's folder (kiln promote --rendered DIR for each)"})
				continue
			}
			data = []byte("{}")
		} else if !ok {
			errs = append(errs, &diag.Error{File: dirs[i], Msg: "not a shard: it has no " + ShardFile,
				Hint: "give the folders kiln render --shard i/n wrote, all of them, or a single full render"})
			continue
		}
		if err := json.Unmarshal(data, &m); err != nil {
			errs = append(errs, &diag.Error{File: dirs[i] + "/" + ShardFile, Msg: "unreadable shard marker: " + err.Error(), Err: err, Hint: "render the shard again"})
			continue
		}
		assumed = append(assumed, m.AssumedNamespaced...)
		if !whole && m.Config != r.configDigest(er.envFile) {
			errs = append(errs, &diag.Error{File: dirs[i] + "/" + ShardFile,
				Msg:  "this shard was rendered with another kiln.yaml or env file than the ones here, which the merge reads",
				Hint: "render every shard from the same checkout, unchanged between the shards, and promote from it"})
		}
		lock, err := ParseLock(files["kiln.lock.json"])
		if err != nil {
			errs = append(errs, &diag.Error{File: dirs[i] + "/kiln.lock.json", Msg: "unreadable lock: " + err.Error(), Err: err, Hint: "render the shard again"})
			continue
		}
		locks[i] = lock
		for app := range lock.Apps {
			if j, dup := owner[app]; dup {
				errs = append(errs, &diag.Error{App: app, Msg: fmt.Sprintf("rendered by two shards: %s and %s", dirs[j], dirs[i]),
					Hint: "give each shard's folder once, all rendered with the same --shard i/n count"})
				continue
			}
			owner[app] = i
		}
	}
	var header *Lock
	for i, l := range locks {
		if l == nil {
			continue
		}
		if header == nil {
			header = l
			continue
		}
		if l.Env != header.Env || l.KilnVersion != header.KilnVersion || l.Source != header.Source || !reflect.DeepEqual(l.Images, header.Images) {
			errs = append(errs, &diag.Error{File: dirs[i] + "/kiln.lock.json",
				Msg:  "this shard was rendered with another kiln version, source commit, env or images than " + dirs[0],
				Hint: "render every shard from the same commit with the same images and kiln"})
		}
	}
	they, again, hint := "the shards were", "render the shards again", shardHint
	if whole {
		they, again, hint = "the tree was", "render the env again", "render the env again (kiln render), and give its folder as it was written"
	}
	if header != nil && header.Env != env {
		errs = append(errs, &diag.Error{File: dirs[0] + "/kiln.lock.json", Msg: fmt.Sprintf("%s rendered for env %q, not %q", they, header.Env, env), Hint: "give the rendered env " + env})
	}
	if provenance && header != nil && header.KilnVersion != r.opts.Version {
		errs = append(errs, &diag.Error{File: dirs[0] + "/kiln.lock.json",
			Msg:  fmt.Sprintf("%s rendered by kiln %q, and this is kiln %q: kiln lays out flux/ here and checks every app itself", they, header.KilnVersion, r.opts.Version),
			Hint: "promote with the kiln that rendered it (pin one kiln version for every job of the workflow), or " + again})
	}
	// kiln.yaml and the env file are read here (the apps the env enables,
	// the checks across apps, flux/) and every app's files kept from the
	// trees: trees of another commit, or a checkout with changes they were
	// not rendered with, would make a tree that no commit renders.
	if src, _ := r.provenanceOf(); provenance && header != nil && src.Commit != "" && header.Source.Commit != "" && src.Commit != header.Source.Commit {
		errs = append(errs, &diag.Error{File: dirs[0] + "/kiln.lock.json",
			Msg:  fmt.Sprintf("%s rendered from commit %s, but this checkout is at %s", they, shortCommit(header.Source.Commit), shortCommit(src.Commit)),
			Hint: "check out the commit it was rendered from (in Actions, every job of the run checks out the same one), or " + again + " from this one"})
	} else if provenance && header != nil && src.Dirty && !header.Source.Dirty {
		errs = append(errs, &diag.Error{File: dirs[0] + "/kiln.lock.json",
			Msg:  fmt.Sprintf("%s rendered from commit %s as committed, but this checkout has changes: kiln.yaml or the env file read here may differ from what it was rendered with", they, shortCommit(header.Source.Commit)),
			Hint: "promote from a clean checkout of that commit (git stash or commit the changes), or " + again + " from this one"})
	}
	// A field of a shard's lock this kiln does not know would be dropped
	// from the merged lock without a word: refused, as --app refuses it.
	unknown := make([]map[string][]string, len(trees))
	for i, t := range trees {
		unknown[i] = lockfile.UnknownAppFields(t[LockFile])
	}
	enabled := map[string]bool{}
	var runs []*appRun
	objects := 0 // the env's, its shards' together: each shard is bounded alone
	for _, app := range res.Apps {
		enabled[app.Name] = true
		i, ok := owner[app.Name]
		if !ok {
			msg, hint := "rendered by none of the shards given", "give every shard's folder (kiln render --shard i/n for each i of n)"
			if whole {
				msg, hint = "enabled in env "+env+" but not in the rendered tree", "render the env again from the current kiln.yaml"
			}
			errs = append(errs, &diag.Error{App: app.Name, Msg: msg, Hint: hint})
			continue
		}
		if objects > r.envObjects {
			// Past the bound: the env fails with the limit error below,
			// and the other apps' files are not parsed into objects, a
			// few times their size in memory, n shards' worth.
			continue
		}
		run := &appRun{app: app}
		if err := keep(run, trees[i], locks[i], er.Redactor, keptFrom{dir: dirs[i], asRendered: true, hint: hint, noDigest: whole, unknown: unknown[i]}); err != nil {
			errs = append(errs, err)
			continue
		}
		objects += len(run.objs)
		runs = append(runs, run)
	}
	if objects > r.envObjects {
		errs = append(errs, r.envObjectsError(env))
	}
	for app, i := range owner {
		if !enabled[app] {
			errs = append(errs, &diag.Error{App: app, File: dirs[i], Msg: "the rendered tree holds it, but env " + env + " does not enable it (now)",
				Hint: again + " from the current kiln.yaml"})
		}
	}
	if len(errs) > 0 {
		er.Err = diag.Join(errs...)
		return er
	}
	er = r.finishEnv(ctx, er, res, runs, nil, envMode{recheck: true, assumed: uniqueSorted(assumed)})
	if er.Err != nil {
		return er
	}
	// The lock's header is the shards' (equal in all of them), as one
	// render by the same kiln at the same commit would write it.
	lock := *er.Lock
	lock.KilnVersion, lock.Source, lock.Images = header.KilnVersion, header.Source, header.Images
	if err := lockImagesRun(&lock, dirs[0]+"/"+LockFile, hint); err != nil {
		er.Err = err
		return er
	}
	data, err := lockFile(&lock)
	if err != nil {
		er.Err = err
		return er
	}
	er.Lock = &lock
	er.Files[LockFile] = data
	for i := range er.Apps {
		er.Apps[i].Kept = false // every app of a merge was rendered, by its shard
	}
	return er
}

// shortCommit is a commit's first 12 digits, for messages.
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
