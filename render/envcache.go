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
	"github.com/kiln-gitops/kiln/render/internal/validate"
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
// Only envs whose output is a function of those inputs alone take part:
// none with secret vars (their values are not in the key, and their
// redaction would have to run again), none SOPS-encrypting Secrets (the
// ciphertext kept depends on earlier trees), no --app or --shard render
// (they read earlier trees and other shards). The lock's source, which
// changes with every commit while the output does not, is set afresh on a
// hit.

// envEntry is an env's render as the cache keeps it.
type envEntry struct {
	Files    map[string][]byte
	Apps     []AppSummary
	Objects  map[string]string
	Warnings []diag.Warning
	Lock     Lock
	// Clean are the env's objects validation found clean (validcache.go),
	// kept for the next run in which the env is not reused whole.
	Clean []validate.CleanKey
}

// envKeyVersion changes whenever envKey's inputs do.
const envKeyVersion = "kiln-env-cache-v1"

// appID names an app's engine result in an env's key: the app, its
// engine, and the result's key and content (entryID).
type appID struct{ app, engine, id string }

// cachedIDs are the IDs of runs' results, nil unless the cache served or
// stored every one.
func (r *Renderer) cachedIDs(runs []*appRun) []appID {
	if r.cache == nil {
		return nil
	}
	ids := make([]appID, 0, len(runs))
	for _, run := range runs {
		if run.err != nil || run.kept != nil {
			return nil
		}
		id, ok := r.cache.identity(run.res)
		if !ok {
			return nil
		}
		ids = append(ids, appID{run.app.Name, run.app.Engine, id})
	}
	return ids
}

// envFromCache fills er with the env's cached render, before any app is
// rendered, and reports whether it could: every app's request must find
// an entry whose observations hold, and those entries must be the ones the
// env's entry was made from. Nothing is decoded or patched on the way, so
// an unchanged env costs reading its inputs.
func (r *Renderer) envFromCache(er *EnvResult, res *envconfig.Resolved) bool {
	if !r.envCacheable(res) {
		return false
	}
	ids := make([]appID, 0, len(res.Apps))
	for _, app := range res.Apps {
		key, err := cache.Key(r.cache.build, app.Engine, r.request(res, app))
		if err != nil {
			return false
		}
		ent, err := r.cache.store.Get(key)
		if err != nil || ent == nil || !r.cache.fresh(ent.Deps) {
			return false
		}
		// The env may still miss: its apps' render then takes the entry
		// read here instead of reading it again.
		r.cache.fetched.Store(key, ent)
		ids = append(ids, appID{app.Name, app.Engine, entryID(key, ent.Result)})
	}
	key, ok := r.envKey(er, res, ids)
	if ok && r.envHit(er, key) {
		r.cache.fetched.Clear()
		return true
	}
	return false
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
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	field(envKeyVersion)
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
	return hex.EncodeToString(h.Sum(nil)), true
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
	lock := e.Lock
	lock.Source = r.opts.Source
	lj, err := lockFile(&lock)
	if err != nil || e.Files == nil {
		return false
	}
	e.Files[LockFile] = lj
	for i := range e.Apps {
		e.Apps[i].Cached = true
	}
	er.Files, er.Apps, er.Objects, er.Warnings, er.Lock = e.Files, e.Apps, e.Objects, e.Warnings, &lock
	er.Cached = true
	r.noteClean(e.Clean)
	return true
}

// envStore keeps out, rendered from the inputs key names and reads.
func (r *Renderer) envStore(key string, out *EnvResult, reads *deps.Recorder) {
	ds, ok := reads.Deps()
	if !ok || out.Lock == nil {
		return
	}
	var buf bytes.Buffer
	e := envEntry{Files: out.Files, Apps: out.Apps, Objects: out.Objects, Warnings: out.Warnings, Lock: *out.Lock, Clean: out.clean}
	if err := gob.NewEncoder(&buf).Encode(&e); err != nil {
		return
	}
	_ = r.cache.store.Put(key, &cache.Entry{Deps: ds, Result: buf.Bytes()})
}

// lockFile is kiln.lock.json's content.
func lockFile(lock *Lock) ([]byte, error) {
	lj, err := json.MarshalIndent(lock, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(lj, '\n'), nil
}
