package kustomize

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

// kustomize keeps its OpenAPI schema in package globals of kyaml/openapi.
// Every build reads them (strategic merge, namespace scopes), and a
// kustomization's `openapi:` field rewrites them: SetSchema swaps the
// schema and the next reader re-parses it into maps that other builds read
// without a lock (https://github.com/kubernetes-sigs/kustomize/issues/4824,
// https://github.com/kubernetes-sigs/kustomize/issues/5805,
// https://github.com/kubernetes-sigs/kustomize/issues/3659). A custom
// schema set by one build also leaks into the next
// (https://github.com/fluxcd/pkg/issues/1237).
//
// Once the built-in schema is parsed, builds that leave it alone only read
// those globals (SetSchema with an empty `openapi:` field writes "" over ""
// under kyaml's own lock), so they can run together. schemaGuard is a
// readers-writer lock over the globals: such builds, and any other kiln
// code that reads the schema, hold it shared; a build whose kustomization
// tree uses `openapi:` holds it alone and puts the built-in schema back
// before letting go. It is a weighted semaphore rather than a
// sync.RWMutex so that a render waiting for its turn can give up when its
// context ends; like RWMutex, a waiting writer holds back new readers.
var schemaGuard = semaphore.NewWeighted(allReaders)

// allReaders is the semaphore's weight: a writer takes all of it, a reader
// one unit. Far above any number of concurrent renders.
const allReaders = 1 << 30

// schemaReady is set once the built-in schema has been parsed into
// kyaml's globals. From then on the globals are only rewritten by
// exclusive builds, which restore them before they release the guard.
var schemaReady atomic.Bool

// Shared runs fn while kyaml's global OpenAPI schema is kustomize's
// built-in one and no build that changes it runs. Kustomize builds without
// `openapi:` and any kiln code that reads the schema (kyaml's strategic
// merge) must run inside Shared, or inside Unparsed when they never parse
// it (a plain tree's build, a scope lookup). Many Shared calls run at
// once. It returns ctx's error if ctx ends while waiting.
func Shared(ctx context.Context, fn func() error) error {
	if !schemaReady.Load() {
		// The first reader parses the schema alone: kyaml parses lazily,
		// writing the maps that concurrent readers read unlocked.
		if err := schemaGuard.Acquire(ctx, allReaders); err != nil {
			return err
		}
		if !schemaReady.Load() {
			restoreSchema()
		}
		schemaGuard.Release(allReaders)
	}
	if err := schemaGuard.Acquire(ctx, 1); err != nil {
		return err
	}
	defer schemaGuard.Release(1)
	return fn()
}

// Unparsed runs fn while no build changes kyaml's global schema, like
// Shared, but does not parse the built-in schema first: parsing it costs
// tens of milliseconds, a large part of a one-chart render, and a scope
// lookup of a built-in kind never needs it. fn may only call kyaml code
// that never parses the schema while the built-in one is in place:
// openapi.IsNamespaceScoped answers from kyaml's precomputed table and
// otherwise reads the parsed maps, which with the built-in schema agree
// with that table (kyaml's TestIsNamespaceScopedPrecompute). A plain
// tree's build is such code (plainBuild). Nothing writes those maps while
// fn runs: the first parse happens in Shared or exclusive, both of which
// wait for every reader, fn included.
func Unparsed(ctx context.Context, fn func() error) error {
	if err := schemaGuard.Acquire(ctx, 1); err != nil {
		return err
	}
	defer schemaGuard.Release(1)
	return fn()
}

// SchemaParsed reports whether this process has parsed kyaml's built-in
// schema: tests use it to prove that work that needs no schema leaves it
// unparsed.
func SchemaParsed() bool { return schemaReady.Load() }

// exclusive runs fn while nothing else uses kyaml's schema, then restores
// the built-in schema, as a fresh `kustomize build` process would start
// with, even when fn panics.
func exclusive(ctx context.Context, fn func() error) error {
	if err := schemaGuard.Acquire(ctx, allReaders); err != nil {
		return err
	}
	defer schemaGuard.Release(allReaders)
	defer restoreSchema()
	return fn()
}

// restoreSchema puts kustomize's built-in schema in place and parses it
// now, so no later reader writes the globals. Only exclusive calls it.
// It always re-parses: an `openapi: {version: ...}` naming the default
// version leaves GetSchemaVersion unchanged but marks the schema unparsed.
func restoreSchema() {
	openapi.ResetOpenAPI()
	_ = openapi.Schema()
	schemaReady.Store(true)
}
