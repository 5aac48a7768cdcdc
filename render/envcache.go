package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/cache"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/render/internal/validate"
	"github.com/kiln-gitops/kiln/templates"
)

// An env's finished render is cached too, on top of its apps' engine
// results: when every app's engine result is one the cache holds, the
// configuration files are byte for byte the same and every file render
// itself read (patch files, validation.crds, values files for high-level/)
// observes the same, the env's output is what it was, and namespaces,
// validation, the checks across apps and the layout need not run again.
// This is what makes a re-render with nothing changed cost about as much
// as reading the inputs.
//
// The env's entry is found through a small index entry, keyed before any
// app renders on what each app is asked (its request's key) and holding
// the observations of every app's engine result and the env entry's key:
// when they all still hold, each app's engine would return the result the
// env entry was made from (or, for a template with random values, one as
// good), so the check reads two entries per env and decodes no app's
// objects, and observes each file once however many apps read it.
//
// Only envs whose output is a function of those inputs alone take part:
// none with secret vars (their values are not in the key, and their
// redaction would have to run again), none SOPS-encrypting Secrets (the
// ciphertext kept depends on earlier trees), no --app or --shard render
// (they read earlier trees and other shards). The lock's source, which
// changes with every commit while the output does not, is set afresh on a
// hit.

// envEntry is an env's render as the cache keeps it (gob-encoded). The
// files and the clean keys are kept flat: gob encodes a map of byte
// slices entry by entry and an array of bytes byte by byte, and decoding
// them was most of the cost of reusing an env whole.
type envEntry struct {
	// Names are the files' paths; Sizes their lengths, and Data their
	// contents one after the other, in Names order.
	Names []string
	Sizes []int
	Data  []byte

	Apps     []AppSummary
	Objects  map[string]string
	Warnings []diag.Warning
	Lock     Lock
	// Clean are the env's objects validation found clean (validcache.go),
	// kept for the next run in which the env is not reused whole: each a
	// validate.CleanKey, one after the other.
	Clean []byte
	// Finish are the apps' finish keys (finished.go), by app: the next
	// run in which the env is not reused whole takes the layout of each
	// app whose key is unchanged from this entry.
	Finish map[string]string
	// Context is the finish context (finishContext) the env was laid out
	// in: files that depend on nothing else (flux/notifications.yaml) are
	// taken from this entry by a render in the same context.
	Context string
	// Used are the repositories of the given images the env's apps used
	// (EnvResult.used), sorted. Warnings hold no warning of an unused
	// image: whether one is unused depends on the other envs of the run
	// (unusedImages), which the entry does not know, so a reused env
	// must tell which images it ran.
	Used []string
}

// newEnvEntry is out as the cache keeps it.
func newEnvEntry(out *EnvResult) *envEntry {
	e := &envEntry{Apps: out.Apps, Objects: out.Objects, Warnings: out.Warnings, Lock: *out.Lock, Finish: out.finish, Context: out.context,
		Used: slices.Sorted(maps.Keys(out.used))}
	e.Names = slices.Sorted(maps.Keys(out.Files))
	e.Sizes = make([]int, len(e.Names))
	size := 0
	for i, name := range e.Names {
		e.Sizes[i] = len(out.Files[name])
		size += e.Sizes[i]
	}
	e.Data = make([]byte, 0, size)
	for _, name := range e.Names {
		e.Data = append(e.Data, out.Files[name]...)
	}
	e.Clean = make([]byte, 0, len(out.clean)*len(validate.CleanKey{}))
	for _, k := range out.clean {
		e.Clean = append(e.Clean, k[:]...)
	}
	return e
}

// files is e's output tree, and false when e does not hold one (its
// sizes do not add up). Each file is a slice of Data, capped so that an
// append to one cannot write over the next.
func (e *envEntry) files() (tree.Files, bool) {
	if len(e.Sizes) != len(e.Names) {
		return nil, false
	}
	files := make(tree.Files, len(e.Names)+1)
	off := 0
	for i, name := range e.Names {
		n := e.Sizes[i]
		if n < 0 || n > len(e.Data)-off {
			return nil, false
		}
		files[name] = e.Data[off : off+n : off+n]
		off += n
	}
	return files, off == len(e.Data)
}

// clean is e's clean keys, and false when Clean is not a whole number of
// keys.
func (e *envEntry) clean() ([]validate.CleanKey, bool) {
	size := len(validate.CleanKey{})
	if len(e.Clean)%size != 0 {
		return nil, false
	}
	keys := make([]validate.CleanKey, len(e.Clean)/size)
	for i := range keys {
		keys[i] = validate.CleanKey(e.Clean[i*size:])
	}
	return keys, true
}

// envKeyVersion changes whenever envKey's inputs or envEntry's meaning
// do; envIndexVersion whenever envIndexKey's inputs do or envKeyVersion
// changes (an index entry names an env entry), and keeps the two kinds of
// key apart. v2: envEntry.Used; a v1 entry, which has none, would say
// that its env ran no image.
const (
	envKeyVersion   = "kiln-env-cache-v2"
	envIndexVersion = "kiln-env-index-v2"
)

// appID names an app's engine result in an env's key: the app, its
// engine, and the result's key and content (entryID); in the env's index
// key, the app's request key.
type appID struct{ app, engine, id string }

// cachedIDs are the IDs of runs' results and every observation they hold
// for, nil unless the cache served or stored every one.
func (r *Renderer) cachedIDs(runs []*appRun) ([]appID, []templates.Dep) {
	if r.cache == nil {
		return nil, nil
	}
	ids := make([]appID, 0, len(runs))
	all := deps.New(r.p.Root)
	for _, run := range runs {
		if run.err != nil || run.kept != nil {
			return nil, nil
		}
		id, ok := r.cache.identity(run.res)
		if !ok {
			return nil, nil
		}
		ids = append(ids, appID{run.app.Name, run.app.Engine, id.id})
		for _, d := range id.deps {
			all.Record(d.Kind, d.Path, d.Sum)
		}
	}
	// Two results that saw one file differently (it changed between the
	// run that stored one and the run that rendered the other): no index
	// could ever hold.
	ds, ok := all.Deps()
	if !ok {
		return nil, nil
	}
	return ids, ds
}

// envIndexKey is the key of the env's index entry, "" when the env cannot
// be cached: envKey's inputs, with each app's request key in place of its
// result's identity, so that it is known before any app renders.
func (r *Renderer) envIndexKey(er *EnvResult, res *envconfig.Resolved) string {
	if !r.envCacheable(res) {
		return ""
	}
	ids := make([]appID, 0, len(res.Apps))
	for _, app := range res.Apps {
		key, err := cache.Key(r.cache.build, app.Engine, r.request(res, app))
		if err != nil {
			return ""
		}
		ids = append(ids, appID{app.Name, app.Engine, key})
	}
	return r.envHash(envIndexVersion, er, res, ids)
}

// envFromCache fills er with the env's cached render, before any app is
// rendered, and reports whether it could: the env's index entry (under
// ikey, envIndexKey) must hold, every observation of every app's engine
// result must observe the same, and the env entry it names must be fresh.
// No app's entry is read and nothing is patched on the way, so an
// unchanged env costs reading its inputs.
func (r *Renderer) envFromCache(er *EnvResult, ikey string) bool {
	if ikey == "" {
		return false
	}
	ent, err := r.cache.store.Get(ikey)
	if err != nil || ent == nil || !r.cache.fresh(ent.Deps) {
		return false
	}
	key := string(ent.Result)
	if !cache.ValidKey(key) || !r.envHit(er, key) {
		return false
	}
	// What the engines read, as OpenOutput's check knows it from a render.
	var files []string
	for _, d := range ent.Deps {
		if d.Kind == deps.File {
			files = append(files, d.Path)
		}
	}
	r.recordReads("an app of env "+er.Env, files, ent.Deps)
	return true
}

// envCacheable reports whether an env's output is a function of what its
// key covers (see above).
func (r *Renderer) envCacheable(res *envconfig.Resolved) bool {
	// A Pipeline built by hand rather than parsed has no digest to key on.
	return r.cache != nil && r.p.Digest != "" && !r.keeping() && !r.opts.Shard.Active() && res.SOPS == nil && len(res.Secrets) == 0
}

// envKey is the env's cache key, and false when the env cannot be cached.
// ids are its apps' engine results, in kiln.yaml order.
func (r *Renderer) envKey(er *EnvResult, res *envconfig.Resolved, ids []appID) (string, bool) {
	if !r.envCacheable(res) || ids == nil {
		return "", false
	}
	return r.envHash(envKeyVersion, er, res, ids), true
}

// envHash is a sha256 over version, what the env's output depends on
// besides its apps, and ids.
func (r *Renderer) envHash(version string, er *EnvResult, res *envconfig.Resolved, ids []appID) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	field(version)
	field(r.cache.build)
	field(r.opts.Version)
	field(fmt.Sprint(r.opts.Strict))
	field(r.p.Root)
	field(r.p.Digest)
	field(res.Env.Name)
	field(er.envFile)
	refs := r.images.Refs()
	for _, repo := range slices.Sorted(maps.Keys(refs)) {
		field(repo)
		field(refs[repo])
	}
	for _, id := range ids {
		field(id.app)
		field(id.engine)
		field(id.id)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// envHit fills er from the cache and reports whether it could.
func (r *Renderer) envHit(er *EnvResult, key string) bool {
	ent, err := r.cache.store.Get(key)
	if err != nil || ent == nil || !r.cache.fresh(ent.Deps) {
		return false
	}
	var e envEntry
	if err := gob.NewDecoder(bytes.NewReader(ent.Result)).Decode(&e); err != nil {
		return false
	}
	files, ok := e.files()
	clean, cok := e.clean()
	if !ok || !cok {
		return false
	}
	lock := e.Lock
	lock.Source, _ = r.provenanceOf()
	if lock.Source != e.Lock.Source || files[LockFile] == nil {
		// A new commit, or a change to the checkout: the lock is made
		// again with it. With the same source it is the one the entry
		// holds, as the render that made the entry wrote it.
		lj, err := lockFile(&lock)
		if err != nil {
			return false
		}
		files[LockFile] = lj
	}
	for i := range e.Apps {
		e.Apps[i].Cached = true
	}
	er.Files, er.Apps, er.Objects, er.Warnings, er.Lock = files, e.Apps, e.Objects, e.Warnings, &lock
	er.used = map[string]bool{}
	for _, repo := range e.Used {
		er.used[repo] = true
	}
	er.Cached = true
	r.noteClean(clean)
	return true
}

// envStore keeps out, rendered from the inputs key names and reads, and
// the index entry that leads to it from ikey: the observations of the
// env's apps (appDeps) and key.
func (r *Renderer) envStore(key, ikey string, appDeps []templates.Dep, out *EnvResult, reads *deps.Recorder) {
	ds, ok := reads.Deps()
	// A ratcheted object passed only because of the tree the cluster
	// applied (Options.Applied), which the key does not cover: kiln
	// render must refuse it again.
	if !ok || out.Lock == nil || len(out.Ratcheted) > 0 {
		return
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(newEnvEntry(out)); err != nil {
		return
	}
	// Written while the next env renders (Render waits for it): out is
	// encoded, and the files are the cache's alone.
	last := r.lastKey(out.Env)
	r.stores.Go(func() {
		defer r.storePanics.Catch()
		if err := r.cache.store.Put(key, &cache.Entry{Deps: ds, Result: buf.Bytes()}); err != nil {
			return
		}
		// The env's latest entry, whose apps' layouts the next render that
		// misses the env whole may reuse (finished.go).
		_ = r.cache.store.Put(last, &cache.Entry{Result: []byte(key)})
		if ikey == "" {
			return
		}
		// Written after the entry it names: a reader that finds the index
		// finds the entry (or, should another run replace it meanwhile, an
		// entry of the same key, whose own observations are checked).
		_ = r.cache.store.Put(ikey, &cache.Entry{Deps: appDeps, Result: []byte(key)})
	})
}

// lockFile is kiln.lock.json's content.
func lockFile(lock *Lock) ([]byte, error) {
	lj, err := json.MarshalIndent(lock, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(lj, '\n'), nil
}
