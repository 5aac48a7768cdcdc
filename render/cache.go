package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sandbox"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/render/internal/cache"
	"github.com/kiln-gitops/kiln/render/internal/secretgate"
	"github.com/kiln-gitops/kiln/templates"
)

// cached is an engine whose results are kept in the render cache
// (docs/cache.md). A result is reused when the request's key finds an
// entry and every observation the engine recorded for it observes the
// same today; otherwise the engine renders and, if the result may be kept,
// it is stored for the next run.
type cached struct {
	name  string
	inner templates.Engine
	c     *renderCache
}

// renderCache is the Renderer's side of the cache: the store, this build's
// name, what this Renderer has observed so far (many apps share a chart's
// files: each is read and hashed once per Renderer, and each folder on the
// way resolved once, as the engines' own chart and library caches assume
// files do not change under a Renderer), and counts for messages.
type renderCache struct {
	store *cache.Store
	build string
	obs   *deps.Observer

	mu   sync.Mutex
	seen map[[2]string]string

	hits atomic.Int64
	// served marks the results taken from the cache, for AppSummary.Cached.
	// Weak keys: a result no longer in use is not kept alive by the marks.
	served sync.Map // weak.Pointer[templates.Result] -> struct{}
	// ids names each result the cache served or stored, for the env's
	// entries (envcache.go).
	ids sync.Map // weak.Pointer[templates.Result] -> resultID
}

// resultID is a result the cache served or stored: its key and the digest
// of its encoding (entryID), and the observations it holds for.
type resultID struct {
	id   string
	deps []templates.Dep
}

// remember records id (and, when served, that the cache served it) for
// res while res is in use. The marks are keyed weakly, and a cleanup
// removes them once res is gone: an env's results die when the env is
// done, and their marks, which hold each result's observations, would
// otherwise stay to the end of the run.
func (c *renderCache) remember(res *templates.Result, id resultID, served bool) {
	k := weak.Make(res)
	c.ids.Store(k, id)
	if served {
		c.served.Store(k, struct{}{})
	}
	runtime.AddCleanup(res, func(k weak.Pointer[templates.Result]) {
		c.ids.Delete(k)
		c.served.Delete(k)
	}, k)
}

// identity is the name of a result the cache served or stored.
func (c *renderCache) identity(res *templates.Result) (resultID, bool) {
	if res == nil {
		return resultID{}, false
	}
	id, ok := c.ids.Load(weak.Make(res))
	if !ok {
		return resultID{}, false
	}
	return id.(resultID), true
}

func entryID(key string, data []byte) string {
	sum := sha256.Sum256(data)
	return key + ":" + hex.EncodeToString(sum[:])
}

func newRenderCache(dir, root string) (*renderCache, error) {
	build, err := cache.BuildID()
	if err != nil {
		return nil, err
	}
	store, err := cache.Open(dir, build)
	if err != nil {
		return nil, err
	}
	return &renderCache{store: store, build: build, obs: deps.NewObserver(root), seen: map[[2]string]string{}}, nil
}

// fresh reports whether every dep observes as it did.
func (c *renderCache) fresh(ds []templates.Dep) bool {
	for _, d := range ds {
		k := [2]string{d.Kind, d.Path}
		c.mu.Lock()
		now, ok := c.seen[k]
		c.mu.Unlock()
		if !ok {
			now = c.obs.Observe(d)
			c.mu.Lock()
			c.seen[k] = now
			c.mu.Unlock()
		}
		if now != d.Sum {
			return false
		}
	}
	return true
}

// hit is the cached result for req, or nil.
func (e cached) hit(key string) *templates.Result {
	ent, err := e.c.store.Get(key)
	if err != nil || ent == nil || !e.c.fresh(ent.Deps) {
		// A corrupt entry is as good as none: the render below replaces it.
		return nil
	}
	res, err := sandbox.UnmarshalResult(ent.Result)
	if err != nil {
		return nil
	}
	e.c.remember(res, resultID{entryID(key, ent.Result), ent.Deps}, true)
	return res
}

// afreshKey is the context key of renderAfresh.
type afreshKey struct{}

// renderAfresh returns ctx asking every engine to render, the cache
// serving nothing: no engine result, env or app layout (Validate's second
// render, which must render the same inputs again to tell whether a
// template is deterministic). What is rendered is still stored.
func renderAfresh(ctx context.Context) context.Context {
	return context.WithValue(context.WithValue(ctx, afreshKey{}, true), againKey{}, false)
}

// afresh reports whether ctx is renderAfresh's.
func afresh(ctx context.Context) bool { return ctx.Value(afreshKey{}) != nil }

// againKey is the context key of validateAgain.
type againKey struct{}

// validateAgain is renderAfresh for Validate's second render, but for a
// jsonnet app, whose engine result the cache serves: go-jsonnet reads no
// clock and no randomness and writes fields sorted, so a second
// evaluation of the same inputs gives the first one's bytes and only
// doubled kiln validate's time (tempo's example/tk/tempo-microservices:
// 4 s of CPU, 2 s now). A result the cache does not keep (one holding a
// Secret, as kube-prometheus' and loki's do) is evaluated again as
// before. Any other render afresh within it (the check for values
// computed from secret vars renders with other values under the same
// key, secret vars entering it by name) is renderAfresh's again.
func validateAgain(ctx context.Context) context.Context {
	return context.WithValue(renderAfresh(ctx), againKey{}, true)
}

// servable reports whether the cache may serve engine's result in ctx.
func servable(ctx context.Context, engine string) bool {
	again, _ := ctx.Value(againKey{}).(bool)
	return !afresh(ctx) || again && engine == envconfig.EngineJsonnet
}

// secretsKey is the context key of withSecrets.
type secretsKey struct{}

// withSecrets returns ctx carrying the redactor of the env's secret vars,
// so that the cache keeps no engine result that holds one of them.
func withSecrets(ctx context.Context, rd *redact.Redactor) context.Context {
	return context.WithValue(ctx, secretsKey{}, rd)
}

// secretsOf is the redactor withSecrets put in ctx, or nil.
func secretsOf(ctx context.Context) *redact.Redactor {
	rd, _ := ctx.Value(secretsKey{}).(*redact.Redactor)
	return rd
}

func (e cached) Render(ctx context.Context, req *templates.Request) (*templates.Result, error) {
	key, kerr := cache.Key(e.c.build, e.name, req)
	if kerr == nil && servable(ctx, e.name) {
		if res := e.hit(key); res != nil {
			e.c.hits.Add(1)
			return res, nil
		}
	}
	var res *templates.Result
	var data []byte
	var err error
	if w, ok := e.inner.(sandbox.WireEngine); ok {
		// A sandboxed engine's result arrives encoded as the cache keeps
		// it: those bytes are stored, not a second encoding of what the
		// pool has just decoded from them.
		res, data, err = w.RenderWire(ctx, req)
	} else {
		res, err = e.inner.Render(ctx, req)
	}
	if err != nil || kerr != nil || !keepable(res) {
		return res, err
	}
	var merr error
	if data == nil {
		// Encoded now: the caller mutates the objects (patches, images).
		data, merr = sandbox.MarshalResult(res)
	}
	if merr == nil && holdsSecretVar(secretsOf(ctx), res, data) {
		// Helm and kustomize never see secret vars, but their inputs may
		// hold one (a values file or a generator's file CI wrote from its
		// secrets): the gate refuses such a render, and the value must
		// not stay in a cache that travels.
		return res, nil
	}
	if merr == nil {
		// A cache that cannot be written costs speed, never the render.
		_ = e.c.store.Put(key, &cache.Entry{Deps: res.Deps, Result: data})
		e.c.remember(res, resultID{entryID(key, data), res.Deps}, false)
	}
	return res, nil
}

// keepable reports whether res may be stored: the engine vouches for its
// Deps and that no secret var reached it (Cacheable: plain and jsonnet
// decide that, the only engines given vars), and it holds no plaintext
// Secret. The cache folder is meant to travel through actions/cache, where
// more people may read it than read the manifests; a Secret in the output
// is either SOPS-encrypted before it is written or deliberately plain, and
// the cache cannot tell which, so it keeps neither. A SOPS document is
// kept unless it is a Secret with a value sops left readable
// (readableSOPSSecret): such a Secret is partly plaintext.
func keepable(res *templates.Result) bool {
	if res == nil || !res.Cacheable {
		return false
	}
	for _, o := range res.Objects {
		if o.Raw != nil {
			if o.Node == nil || readableSOPSSecret(o.Node.YNode()) {
				return false
			}
			continue
		}
		if o.Node == nil || holdsSecret(o.Node.YNode()) {
			return false
		}
	}
	return true
}

// holdsSecretVar reports whether res (data is its encoding) holds a form
// of a secret var rd knows, as the plain-secret gate would find it.
func holdsSecretVar(rd *redact.Redactor, res *templates.Result, data []byte) bool {
	if rd.Empty() {
		return false
	}
	if len(rd.FoundBytes(data)) > 0 {
		return true
	}
	for _, o := range res.Objects {
		if len(rd.FoundBytes(o.Raw)) > 0 {
			return true
		}
		if o.Node == nil {
			continue
		}
		if found, err := secretgate.Object(rd, o.Node, nil); err != nil || len(found) > 0 {
			return true
		}
	}
	return false
}

// readableSOPSSecret reports whether n, a SOPS document, is a v1 Secret
// that holds a value sops did not encrypt under data or stringData (an
// encrypted_regex of ^data$, a key with the unencrypted suffix), or a
// readable last-applied annotation, which is kubectl's copy of them. Only
// a Secret's values are secret by kind: another kind's readable fields are
// what its author chose to leave readable, as in any ConfigMap the cache
// keeps. An empty value holds nothing.
func readableSOPSSecret(n *kyaml.Node) bool {
	if n.Kind != kyaml.MappingNode || !isSecret(n) {
		return false
	}
	encrypted := func(v *kyaml.Node) bool {
		if v.Kind != kyaml.ScalarNode {
			return false
		}
		_, ok := sopsyaml.PlainLen(v.Value)
		return ok || v.Value == ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "data" && k != "stringData" {
			continue
		}
		m := n.Content[i+1]
		if m.Kind != kyaml.MappingNode {
			if m.ShortTag() != "!!null" {
				return true
			}
			continue
		}
		for j := 1; j < len(m.Content); j += 2 {
			if !encrypted(m.Content[j]) {
				return true
			}
		}
	}
	for _, v := range objects.LastAppliedValues(n) {
		if !encrypted(v) {
			return true
		}
	}
	return false
}

// isSecret reports whether the mapping n is a v1 Secret itself.
func isSecret(n *kyaml.Node) bool {
	var kind, version string
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "kind":
			kind = n.Content[i+1].Value
		case "apiVersion":
			version = n.Content[i+1].Value
		}
	}
	return kind == "Secret" && (version == "v1" || version == "")
}

// holdsSecret reports a v1 Secret anywhere in n: the object itself or an
// item of a List.
func holdsSecret(n *kyaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind == kyaml.MappingNode && isSecret(n) {
		return true
	}
	for _, c := range n.Content {
		if holdsSecret(c) {
			return true
		}
	}
	return false
}

// CacheHits is how many engine results this Renderer took from the render
// cache so far.
func (r *Renderer) CacheHits() int64 {
	if r.cache == nil {
		return 0
	}
	return r.cache.hits.Load()
}

// fromCache reports whether res was taken from the cache.
func (r *Renderer) fromCache(res *templates.Result) bool {
	if r.cache == nil || res == nil {
		return false
	}
	_, ok := r.cache.served.Load(weak.Make(res))
	return ok
}
