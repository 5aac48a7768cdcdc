package render

import (
	"bytes"
	"crypto/sha256"
	"maps"
	"slices"

	"github.com/kiln-gitops/kiln/render/internal/cache"
	"github.com/kiln-gitops/kiln/render/internal/validate"
)

// Validation results are kept across runs too (docs/cache.md, "Validation
// results"): the digests (validate.CleanKey) of the objects found clean
// go into one entry of the store, which is per build of kiln, and seed the
// next run's Schemas, so that an env that is not reused whole (one app
// changed, a new image, an app whose output holds a plaintext Secret)
// checks only its objects that changed. Nothing about a Secret is kept,
// nor about any object of an env with secret vars (validate.Env.Clean).
//
// The entry is read once, by New, and written at the end of each Render.
// It holds what this Renderer found clean (or, for an env reused whole,
// what the env's entry says its objects were), plus the keys of the file
// it read that this Renderer did not see, each with its age in runs; a
// key unseen for keepCleanRuns runs goes. So the file follows the fleet:
// an --app render, a shard, or promote's Renderer per env keeps the other
// envs' keys, and objects no longer rendered leave within a few runs.

// cleanEntryKey is the store key of the entry: not hex, so no render's key.
const cleanEntryKey = cache.ValidationKey

// keepCleanRuns is how many runs a key of the file stays unseen.
const keepCleanRuns = 8

// keepValidation turns the kept validation results on; the benchmarks
// turn it off to measure what they save.
var keepValidation = true

// cleanRecord is one key of the entry: the key and its age in runs.
const cleanRecord = len(validate.CleanKey{}) + 1

// cleanSet is the Renderer's side of the kept validation results.
type cleanSet struct {
	loaded map[validate.CleanKey]byte // the file's keys and their ages
	seen   map[validate.CleanKey]bool // guarded by Renderer.mu
}

// loadClean reads the entry; a missing, corrupt or foreign one is an
// empty set (the store checks the entry's checksum and key).
func loadClean(store *cache.Store) *cleanSet {
	cs := &cleanSet{loaded: map[validate.CleanKey]byte{}, seen: map[validate.CleanKey]bool{}}
	ent, err := store.Get(cleanEntryKey)
	if err != nil || ent == nil || len(ent.Deps) != 0 || len(ent.Result)%cleanRecord != 0 {
		return cs
	}
	for rec := range slices.Chunk(ent.Result, cleanRecord) {
		cs.loaded[validate.CleanKey(rec[:cleanRecord-1])] = rec[cleanRecord-1]
	}
	return cs
}

// emittedKeyVersion changes whenever what emittedKey covers does.
const emittedKeyVersion = "kiln-emitted-file-v1"

// emittedKey names, across runs, a file of Flux objects kiln wrote that
// checkEmitted found clean. Its verdict is a function of the file's bytes
// and of the Flux CRDs this build embeds alone: no kubeVersion, no env
// CRD, no option plays a part, and the store is per build. The version
// keeps these keys apart from validate's.
func emittedKey(data []byte) validate.CleanKey {
	h := sha256.New()
	h.Write([]byte(emittedKeyVersion))
	h.Write([]byte{0})
	h.Write(data)
	var k validate.CleanKey
	h.Sum(k[:0])
	return k
}

// knownClean reports whether k was found clean in this run or in a kept
// earlier one.
func (r *Renderer) knownClean(k validate.CleanKey) bool {
	if r.clean == nil {
		return false
	}
	if _, ok := r.clean.loaded[k]; ok {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clean.seen[k]
}

// noteClean records keys as seen clean in this run.
func (r *Renderer) noteClean(keys []validate.CleanKey) {
	if r.clean == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		r.clean.seen[k] = true
	}
}

// saveClean writes the entry: the keys seen in this run, and those of the
// file read that were not, one run older. A cache that cannot be written
// costs speed, never the render.
func (r *Renderer) saveClean() {
	if r.clean == nil || r.cache == nil {
		return
	}
	r.mu.Lock()
	ages := make(map[validate.CleanKey]byte, len(r.clean.seen)+len(r.clean.loaded))
	for k, age := range r.clean.loaded {
		if age+1 < keepCleanRuns {
			ages[k] = age + 1
		}
	}
	for k := range r.clean.seen {
		ages[k] = 0
	}
	r.mu.Unlock()
	keys := slices.SortedFunc(maps.Keys(ages), func(a, b validate.CleanKey) int { return bytes.Compare(a[:], b[:]) })
	data := make([]byte, 0, len(keys)*cleanRecord)
	for _, k := range keys {
		data = append(append(data, k[:]...), ages[k])
	}
	_ = r.cache.store.Put(cleanEntryKey, &cache.Entry{Result: data})
}
