package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/builtinkinds"
	"github.com/kiln-gitops/kiln/internal/cachedir"
	"github.com/kiln-gitops/kiln/internal/carry"
	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sandbox"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/render/internal/images"
	"github.com/kiln-gitops/kiln/render/internal/scope"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/render/internal/validate"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/helm"
	"github.com/kiln-gitops/kiln/templates/jsonnet"
	"github.com/kiln-gitops/kiln/templates/kustomize"
	"github.com/kiln-gitops/kiln/templates/plain"
)

// Source says where the rendered templates came from, for kiln.lock.json.
type Source = lockfile.Source

// Images are the CI image references given on the command line.
type Images struct {
	// Files are --images files: a JSON list of references or an object
	// from repository to tag or reference.
	Files []string
	// Refs are --image references.
	Refs []string
	// List is KILN_IMAGES: references separated by commas or newlines.
	List string
	// Given is a set already parsed (kiln promote --from passes the previous
	// env's images); merged with the others.
	Given map[string]string

	// read is what ReadImages made of the fields above; nil until then.
	read *images.Set
}

// ReadImages reads in's files and parses them with its references, list
// and given images, once: Renderers of Options holding the Images it
// returns, and UnusedImages, take that reading and read no file again, so
// that a file changed meanwhile cannot give one run two sets of images
// (kiln diff renders each env with a Renderer of its own). Change none of
// the returned Images' fields. The error is an *ImagesError.
func ReadImages(in Images) (Images, error) {
	set, err := in.set()
	if err != nil {
		return in, err
	}
	in.read = set
	return in, nil
}

// set is in's images: what ReadImages read, or else a reading of their own.
func (in Images) set() (*images.Set, error) {
	if in.read != nil {
		return in.read, nil
	}
	set, err := parseImages(in)
	if err != nil {
		return nil, &ImagesError{Err: err}
	}
	return set, nil
}

// ImagesError is a CI image reference or images file that cannot be
// parsed: New returns it, so that a command line can call it a usage
// mistake. Err holds every problem found.
type ImagesError struct{ Err error }

func (e *ImagesError) Error() string { return e.Err.Error() }
func (e *ImagesError) Unwrap() error { return e.Err }

// Options configure a Renderer.
type Options struct {
	// Images are CI's image references.
	Images Images
	// Strict turns warnings into errors.
	Strict bool
	// Version is kiln's version, recorded in kiln.lock.json.
	Version string
	// Source is recorded in kiln.lock.json.
	Source Source
	// Provenance, when set, is called once, when the first lock is made
	// or the first Render ends, and what it returns replaces Source; its
	// warnings join Warnings. kiln's command line reads git this way, so
	// that git runs while the apps render rather than before.
	Provenance func() (Source, []diag.Warning)
	// Warnings are the caller's own, about the run rather than an env
	// (such as a source folder outside git): Render reports them once,
	// with the first env's. Strict makes them errors of every env.
	Warnings []diag.Warning
	// LookupEnv reads secret vars from the process environment. Nil: no
	// secret var can be resolved.
	LookupEnv func(string) (string, bool)
	// Parallelism bounds how many apps render at once; 0 means GOMAXPROCS.
	Parallelism int
	// CacheDir holds downloaded remote Helm charts; "" disables remote charts.
	CacheDir string
	// RenderCache is the folder of the render cache (docs/cache.md): an
	// app whose inputs are unchanged since a render stored there reuses
	// that render's engine result. "" disables it.
	RenderCache string
	// PlainHTTP lets oci:// chart references use plain HTTP.
	PlainHTTP bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Progress, when set, is told how many of an env's apps have
	// rendered: once with done 0 before the first starts, then after each
	// app. Calls never overlap. Apps kept from the earlier tree (Apps)
	// are not counted.
	Progress func(env string, done, total int)
	// Apps, when not empty, limits the render to these apps (kiln --app).
	// The env's other enabled apps are kept as the earlier tree has them
	// (Earlier): their files and lock entries are copied, and their
	// objects, parsed back, take part in the checks across apps, so those
	// checks judge the tree that is written. Names must be apps of
	// kiln.yaml (CheckApps); one the env disables is left out as usual.
	Apps []string
	// Shard, when active, limits the render to one stable subset of the
	// apps (kiln --shard). Without Apps, the other apps are left out and
	// the checks across apps wait for Merge.
	Shard Shard
	// Earlier returns the env's earlier tree (render: <out>/<env>; diff:
	// the tree it compares with), from which Apps keeps the other apps.
	Earlier func(env string) (map[string][]byte, error)
	// Applied returns the env's tree that the cluster applied (diff: the
	// tree it compares with; promote: the env's folder on the manifests
	// branch), nil for none (kiln render, kiln validate). A custom
	// resource its CRD refuses that this tree holds is checked as the
	// update Flux's apply makes, and the API server's CRD validation
	// ratcheting may take it (ratcheted): then the render warns instead
	// of failing. Read only when such an object is refused.
	Applied func(env string) (map[string][]byte, error)
	// Preview says the caller writes no tree of this render (kiln
	// validate, kiln diff): a kept app's lock entry with a field this
	// kiln does not know is then a warning, not an error, as no lock of
	// this kiln's is written without it.
	Preview bool
	// EarlierDir names the folder Earlier reads env's tree from as the
	// user can open it (render: <out>/<env>), for errors about a kept
	// app's files: a path in the tree alone (apps/db/) reads as one in the
	// repository. Nil names them by their paths in the tree.
	EarlierDir func(env string) string
	// Pending returns more trees of the env whose SOPS-encrypted Secrets a
	// render may keep, tried before Earlier's: promote passes the env's
	// open pull request branch, so a rerun keeps the ciphertext it pushed
	// before and the branch gets no new commit. Nil: none.
	Pending func(env string) (map[string][]byte, error)
	// SOPSIdentities are age private keys (SOPS_AGE_KEY's format), read
	// by the caller from SOPS_AGE_KEY or SOPS_AGE_KEY_FILE. With them, a
	// Secret kiln encrypts whose plaintext is unchanged keeps the
	// ciphertext of the earlier tree (Earlier), so a re-render changes no
	// file; without them every render re-encrypts.
	SOPSIdentities string
	// SOPSKeys are SOPSIdentities parsed already (kiln verify's), used
	// when SOPSIdentities is empty.
	SOPSKeys sopsyaml.Identities
	// Now is recorded as an encrypted Secret's sops.lastmodified; nil
	// means the Unix epoch. The CLI passes time.Now.
	Now func() time.Time
	// MemoryLimit caps the memory of each process that evaluates Helm or
	// Jsonnet templates, in bytes; 0 means 4 GiB
	// (sandbox.DefaultMemoryLimit). A render past it fails with an error
	// naming the app.
	MemoryLimit int64
	// RenderOnce says the Renderer renders once (kiln render): its
	// sandbox workers are ended as soon as the last env's templates are
	// evaluated, so that their exit overlaps that env's checks and layout
	// instead of Close waiting for it at the end. A later render still
	// works; it starts new workers.
	RenderOnce bool
	// InProcess evaluates Helm and Jsonnet templates in this process, as
	// packages templates/helm and templates/jsonnet do on their own: no
	// memory cap, and an evaluation that outlives its context runs on
	// until the process exits. For programs that cannot call Serve.
	// Templates then format dates in this process's time.Local (workers
	// use UTC), which the render cache does not key on: keep it the same
	// between runs that share a cache.
	InProcess bool
	// OnSecrets, when set, is called with an env's Redactor as soon as its
	// secret values are read and before anything renders, so that the
	// caller's sinks (stdout, stderr, GitHub's ::add-mask:: for every form
	// of every value) mask them before any line that could hold one.
	OnSecrets func(rd *redact.Redactor)
	// EnvDone, when set, is called with each env's result as soon as the
	// env is rendered, in order, before the next env starts. A caller
	// that writes the tree there (kiln render) can then release it
	// (EnvResult.Written): a fleet's envs are not all held in memory
	// until the last one is done.
	EnvDone func(er *EnvResult)
	// JudgeImagesLater leaves to the caller whether a given image is used
	// by no app: Render says nothing of it, and the caller judges with
	// UnusedImages over each env's EnvResult.UsedImages. kiln diff sets it
	// when it renders several envs, each with a Renderer of its own, so
	// that they are judged together as one Render judges its envs.
	JudgeImagesLater bool
	// BeforeFinish, when set, is called in Render's goroutine once an
	// env's apps are rendered, before its checks and layout, where memory
	// peaks. kiln render's writer, which writes the env before (EnvDone)
	// while this one renders, waits there for that write: two envs' files
	// are never held at an env's peak.
	BeforeFinish func()
}

// DefaultOptions returns Options with a user cache folder for charts.
func DefaultOptions() Options {
	o := Options{Version: "dev", Parallelism: runtime.GOMAXPROCS(0)}
	if dir, err := cachedir.Default(); err == nil {
		o.CacheDir = filepath.Join(dir, "charts")
		o.RenderCache = cachedir.Renders(dir)
	}
	return o
}

// Renderer renders the environments of one pipeline. Engines and their
// caches live as long as the Renderer, so a chart or jsonnet library used
// by several envs is loaded once. Safe for concurrent use.
type Renderer struct {
	p       *envconfig.Pipeline
	opts    Options
	engines map[string]templates.Engine
	images  *images.Set
	sem     chan struct{}
	// schemas compiles each CRD once for every env and run of the Renderer.
	schemas *validate.Schemas
	apps    map[string]bool // Options.Apps
	// envObjects bounds the objects of one env (limits.EnvObjects; tests
	// lower it).
	envObjects int
	// pool runs the helm and jsonnet engines in sandbox workers; nil with
	// Options.InProcess.
	pool *sandbox.Pool
	ids  sopsyaml.Identities
	// cache is the render cache; nil when disabled.
	cache *renderCache
	// stores are the env entries being written (envStore); Render waits,
	// and raises their panics (storePanics) then.
	stores      sync.WaitGroup
	storePanics carry.Panics
	// clean are the validation results kept across runs (validcache.go);
	// nil without the render cache.
	clean *cleanSet
	// crdAPIVersions holds, by env name, a func giving what the CRDs of
	// validation.crds add to Helm's .Capabilities.APIVersions there
	// (crdAPIVersions), read once per env and run.
	crdAPIVersions sync.Map
	// crdFiles holds, by env name, a func giving the files validation.crds
	// names there (listedFiles), listed once per env and run: every Helm
	// app asks, and a folder of thousands of CRD files listed and resolved
	// for each of hundreds of apps took seconds of a re-render.
	crdFiles sync.Map

	// mu guards resolved and readDirs: the source paths of every env
	// rendered so far (env-file overrides applied) and the folders its
	// engines read files from or listed, for OpenOutput's check.
	mu       sync.Mutex
	resolved []source
	readDirs map[source]bool

	// provenance runs Options.Provenance once; source and provWarnings
	// are what it gave.
	provenance   sync.Once
	source       Source
	provWarnings []diag.Warning
	// cacheOff says why the render cache is off when it could not open.
	cacheOff []diag.Warning

	// crossEnv finds the dependsOn cycles across envs once per run;
	// crossEnvErrs holds them by env, crossEnvWarns the Kustomization
	// names two envs share (crossenv.go).
	crossEnv      sync.Once
	crossEnvErrs  map[string][]error
	crossEnvWarns []diag.Warning
}

// provenanceOf returns the Source for kiln.lock.json and the warnings that
// came with it, asking Options.Provenance the first time.
func (r *Renderer) provenanceOf() (Source, []diag.Warning) {
	r.provenance.Do(func() {
		r.source = r.opts.Source
		if r.opts.Provenance != nil {
			r.source, r.provWarnings = r.opts.Provenance()
		}
	})
	return r.source, r.provWarnings
}

// New checks opts and prepares the engines.
func New(p *envconfig.Pipeline, opts Options) (*Renderer, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	set, err := opts.Images.set()
	if err != nil {
		return nil, err
	}
	r := &Renderer{
		p:          p,
		opts:       opts,
		images:     set,
		sem:        make(chan struct{}, opts.Parallelism),
		envObjects: limits.EnvObjects,
		schemas:    validate.NewSchemas(),
		apps:       map[string]bool{},
		engines: map[string]templates.Engine{
			"helm":      helm.New(helm.Options{CacheDir: opts.CacheDir, PlainHTTP: opts.PlainHTTP}),
			"kustomize": kustomize.New(kustomize.Options{}),
			"jsonnet":   jsonnet.New(jsonnet.Options{}),
			"yaml":      plain.New(plain.Options{}),
		},
	}
	if !opts.InProcess {
		// Helm and Jsonnet templates and kustomize builds run in workers
		// with a memory cap, killed when the render's context ends; plain
		// YAML is bounded in process by internal/limits (docs/security.md).
		r.pool = sandbox.New(sandbox.Options{Workers: opts.Parallelism, MemoryLimit: opts.MemoryLimit})
		config, _ := json.Marshal(helm.Options{CacheDir: opts.CacheDir, PlainHTTP: opts.PlainHTTP}) // strings and a bool always encode
		r.engines["helm"] = r.pool.Engine("helm", config)
		r.engines["jsonnet"] = r.pool.Engine("jsonnet", nil)
		r.engines["kustomize"] = r.pool.Engine("kustomize", nil)
	}
	if opts.RenderCache != "" {
		c, err := newRenderCache(opts.RenderCache, p.Root)
		if err != nil {
			// Without the cache kiln is slower, never wrong; but said
			// nowhere (the command line discards Log), a cache folder
			// that can never fill, such as a read-only restore, cost
			// every run its full time without a word.
			r.cacheOff = []diag.Warning{{Msg: fmt.Sprintf("render cache disabled: %v", err),
				Hint: "kiln renders every app afresh (slower, never wrong): make --cache-dir (KILN_CACHE_DIR) a folder kiln may write with no symlink below it (its renders folder, a build's folder), or pass --no-cache"}}
		} else {
			r.cache = c
			if keepValidation {
				r.clean = loadClean(c.store)
				r.schemas.Seed(slices.Collect(maps.Keys(r.clean.loaded)))
			}
			for name, e := range r.engines {
				r.engines[name] = cached{name: name, inner: e, c: c}
			}
		}
	}
	for name, e := range r.engines {
		r.engines[name] = guard{e}
	}
	for _, a := range opts.Apps {
		r.apps[a] = true
	}
	if strings.TrimSpace(opts.SOPSIdentities) != "" {
		ids, err := parseIdentities(opts.SOPSIdentities)
		if err != nil {
			return nil, err
		}
		r.ids = ids
	} else if len(opts.SOPSKeys) > 0 {
		r.ids = opts.SOPSKeys
	}
	return r, nil
}

func parseImages(in Images) (*images.Set, error) {
	set, err := images.ParseList("", "")
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, f := range in.Files {
		data, err := limits.ReadFile(f)
		if err != nil {
			errs = append(errs, &diag.Error{File: f, Msg: "cannot read the images file" + limits.Reason(err), Err: err, Hint: "check the --images path"})
			continue
		}
		s, err := images.ParseFile(data, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := set.Merge(s); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ref := range in.Refs {
		if err := set.Add(ref, "--image "+ref); err != nil {
			errs = append(errs, err)
		}
	}
	if strings.TrimSpace(in.List) != "" {
		s, err := images.ParseList(in.List, "KILN_IMAGES")
		if err != nil {
			errs = append(errs, err)
		} else if err := set.Merge(s); err != nil {
			errs = append(errs, err)
		}
	}
	repos := make([]string, 0, len(in.Given))
	for repo := range in.Given {
		repos = append(repos, repo)
	}
	sort.Strings(repos)
	for _, repo := range repos {
		if err := set.Add(in.Given[repo], "the previous environment's kiln.lock.json"); err != nil {
			errs = append(errs, err)
		}
	}
	if err := diag.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

// guard recovers an engine's panic into an error, so a bad template can
// never take the process down.
type guard struct{ templates.Engine }

func (g guard) Render(ctx context.Context, req *templates.Request) (res *templates.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, &diag.Error{App: req.App, Msg: fmt.Sprintf("the template engine failed unexpectedly: %v", p),
				Hint: "this is a bug in kiln or one of its engines; please report it with the app's templates"}
		}
	}()
	return g.Engine.Render(ctx, req)
}

// stoppedIn is the error of a render whose context (--timeout, a signal)
// ended during env er: the context's error, naming the apps whose engines
// or checks it stopped, so that a user whose render timed out knows which
// app's templates to look at (an endless template, a huge kustomize
// build) or which app's objects (a CRD's costly rules, a huge object).
// Checks start once every engine is done, so one phase names them all.
func stoppedIn(er *EnvResult, err error) error {
	if er == nil {
		return err
	}
	var apps []string
	doing := "rendering"
	for _, e := range diag.Flatten(er.Err) {
		var de *diag.Error
		if errors.Is(e, err) && errors.As(e, &de) && de.App != "" {
			apps = append(apps, de.App)
			if errors.Is(e, validate.ErrStopped) {
				doing = "validating"
			}
		}
	}
	slices.Sort(apps)
	apps = slices.Compact(apps)
	switch len(apps) {
	case 0:
		// Stopped in the env's own steps, after every app's: its
		// cross-app checks, encryption or layout.
		return fmt.Errorf("env %s: stopped after its apps were checked: %w", er.Env, err)
	case 1:
		return fmt.Errorf("env %s: stopped while %s app %s: %w", er.Env, doing, apps[0], err)
	}
	return fmt.Errorf("env %s: stopped while %s apps %s: %w", er.Env, doing, strings.Join(apps, ", "), err)
}

// EnvResult is one environment's render.
type EnvResult struct {
	// Env is the environment's name.
	Env string
	// Files is the output tree, relative to <out>/<env>. Nil when Err is set.
	Files tree.Files
	// Apps summarise each rendered app, in kiln.yaml order.
	Apps []AppSummary
	// Objects maps each object file (apps/<app>/<file>) to the object's
	// identity, for messages.
	Objects map[string]string
	// Warnings did not stop the render (with Strict they are in Err, and
	// not here).
	Warnings []diag.Warning
	// Ratcheted are those of Warnings about custom resources that only
	// the cluster's copy lets through (Options.Applied): a new cluster
	// refuses them. promote puts them at the top of the pull request.
	Ratcheted []diag.Warning
	// Err holds every error, sorted; nil on success.
	Err error
	// Redactor masks this env's secret values.
	Redactor *redact.Redactor
	// Lock is the content of kiln.lock.json.
	Lock *Lock
	// Names are the names kiln derived from the env in Files.
	Names EnvNames

	// Sealed are the plaintext values (data base64-decoded) of the
	// Secrets kiln SOPS-encrypted in this render. A review masks their
	// inputs in high-level/ with them, as it masks a plain Secret's, where
	// no age key decrypts the files (a CI job given only the public
	// recipients). Kept in memory: never written or printed.
	Sealed []string

	// Cached is true when the whole env's render came from the render
	// cache (docs/cache.md): nothing changed since it was stored.
	Cached bool

	// struck is the tree of an env that rendered and that only Strict
	// failed, its warnings made errors: Validate still compares it with
	// its second render, so that a nondeterministic object is said
	// together with the warnings rather than after they are fixed.
	struck tree.Files

	// envFile is the digest of the env's file, for the render cache.
	envFile string
	// used are the repositories of Options.Images the env's apps used
	// (images.Set.Apply), for unusedImages; nil when the env cannot tell
	// (it failed before its apps rendered, a shard, a merge).
	used map[string]bool
	// clean are the env's objects validation found clean, for the render
	// cache's env entry (validcache.go).
	clean []validate.CleanKey
	// finish are the apps' finish keys (finished.go), for the env entry;
	// reused the apps whose layout came from the env's previous entry.
	finish map[string]string
	reused map[string]bool
	// context is the finish context the env was laid out in
	// (finishContext), for the env entry; notificationsReused says
	// flux/notifications.yaml came from the env's previous entry.
	context             string
	notificationsReused bool
	// sources maps each object file to where its object came from, for
	// Validate's errors; nil but in its second render (envMode.sources).
	sources map[string]objectAt
}

// objectAt is where an object came from: its file and line in the source.
type objectAt struct {
	file string
	line int
}

// UsedImages returns the repositories of Options.Images the env's apps
// used, for UnusedImages; nil when the env cannot tell (it failed before
// its apps rendered, a shard, a merge).
func (er *EnvResult) UsedImages() map[string]bool { return maps.Clone(er.used) }

// AppSummary is what one app rendered to.
type AppSummary struct {
	Name    string
	Engine  string
	Objects int
	Files   int
	// Kept is true when the app was not rendered but kept from the
	// earlier tree (Options.Apps).
	Kept bool `json:"kept,omitempty"`
	// Cached is true when the engine's result came from the render cache.
	Cached bool `json:"cached,omitempty"`
}

// Render renders each named env (all of them when envs is empty). Each env
// is independent: one that fails does not stop the others.
func (r *Renderer) Render(ctx context.Context, envs []string) ([]*EnvResult, error) {
	if len(envs) == 0 {
		for _, e := range r.p.Environments {
			envs = append(envs, e.Name)
		}
	}
	var errs []error
	for _, e := range envs {
		if _, err := r.p.Env(e); err != nil {
			errs = append(errs, err)
		}
	}
	if err := diag.Join(errs...); err != nil {
		return nil, err
	}
	out := make([]*EnvResult, len(envs))
	defer r.saveClean()
	if r.cache != nil {
		_, _ = r.cache.store.TakeFailures() // an earlier Render's
	}
	defer func() {
		r.stores.Wait()
		r.storePanics.Raise()
		if w, ok := r.cacheStoreWarning(); ok && len(out) > 0 && out[0] != nil {
			out[0].Warnings = diag.SortWarnings(append(out[0].Warnings, w))
		}
	}()
	var runWarns []diag.Warning
	runWarnsOnce := sync.OnceFunc(func() { runWarns = r.runWarnings() })
	for i, e := range envs {
		out[i] = r.renderEnv(ctx, e, i == len(envs)-1)
		if err := ctx.Err(); err != nil {
			return out, stoppedIn(out[i], err)
		}
		if i == len(envs)-1 && !r.opts.JudgeImagesLater {
			// Before EnvDone: under Strict the warning fails the env, whose
			// tree must then not be written.
			r.unusedImages(out)
		}
		if r.opts.Strict {
			// Before EnvDone too. A warning about the run (a folder
			// outside git: no lock of it names a source commit) is true
			// of every env, so it fails each of them; reported once, it
			// left the others written, and one env's failure said nothing
			// of theirs.
			runWarnsOnce()
			failStrict(out[i], runWarns)
		}
		if r.opts.EnvDone != nil {
			r.opts.EnvDone(out[i])
		}
	}
	runWarnsOnce()
	if r.opts.Strict {
		// Each env's error already says them: a warning as well said
		// each twice.
		runWarns = nil
	}
	if warns := slices.Concat(runWarns, r.cacheOff); len(warns) > 0 {
		out[0].Warnings = diag.SortWarnings(append(warns, out[0].Warnings...))
	}
	return out, nil
}

// cacheStoreWarning says, once a run, that entries of the render cache
// could not be stored (a full disk, a folder kiln may not write): the
// output is right either way, but every later run would render them
// afresh, at its full time, without a word. Like cacheOff it is about
// kiln's cache folder, not the output, so --strict leaves it a warning.
func (r *Renderer) cacheStoreWarning() (diag.Warning, bool) {
	if r.cache == nil {
		return diag.Warning{}, false
	}
	n, err := r.cache.store.TakeFailures()
	if n == 0 {
		return diag.Warning{}, false
	}
	what := "1 entry"
	if n > 1 {
		what = fmt.Sprintf("%d entries", n)
	}
	return diag.Warning{Msg: fmt.Sprintf("render cache: %s could not be stored: %v", what, err),
		Hint: "the output is complete and right; the next run renders those apps afresh (slower): free space on the disk of --cache-dir (KILN_CACHE_DIR), or pass --no-cache"}, true
}

// runWarnings are the warnings about the run rather than one env: the
// caller's, the source's provenance (a folder outside git), kiln.yaml's
// own. Render says them once, with the first env; under Strict they are
// errors of every env. The render cache's being off (cacheOff) is not
// among them: it is about kiln's cache folder, not the output, which is
// the same either way (docs/cache.md).
func (r *Renderer) runWarnings() []diag.Warning {
	_, pw := r.provenanceOf()
	warns := slices.Concat(r.opts.Warnings, pw)
	if msg, hint := validate.Coverage(r.p.KubeVersion); msg != "" {
		warns = append(warns, diag.Warning{File: r.p.File, Line: r.p.KubeVersionLine, Msg: msg, Hint: hint})
	}
	if msg, hint := validate.FluxSupport(r.p.KubeVersion); msg != "" {
		warns = append(warns, diag.Warning{File: r.p.File, Line: r.p.KubeVersionLine, Msg: msg, Hint: hint})
	}
	if w, ok := statusScaleWarning(r.p); ok {
		warns = append(warns, w)
	}
	if w, ok := bootstrapSourceWarning(r.p); ok {
		warns = append(warns, w)
	}
	return append(warns, r.crossEnvWarnings()...)
}

// failStrict makes warns errors of er, which is then not written.
func failStrict(er *EnvResult, warns []diag.Warning) {
	if len(warns) == 0 {
		return
	}
	errs := []error{er.Err}
	for _, w := range warns {
		errs = append(errs, w.AsError())
	}
	if er.Err == nil {
		er.struck = er.Files
	}
	er.Err, er.Files = diag.Join(errs...), nil
}

// unusedImages warns of each given image that no app of the run's envs
// used (unusedWarnings), with the last env, after which it is known;
// under Strict it fails that env.
//
// The warnings are added to the env results after the render cache
// stored them (envStore), so that an env's entry serves a run of one env
// or of several alike.
func (r *Renderer) unusedImages(out []*EnvResult) {
	envs := make([]string, len(out))
	used := make([]map[string]bool, len(out))
	for i, er := range out {
		envs[i], used[i] = er.Env, er.used
	}
	warns := unusedWarnings(r.images, r.keeping(), envs, used)
	if len(warns) == 0 {
		return
	}
	last := out[len(out)-1]
	if r.opts.Strict {
		failStrict(last, warns)
		return
	}
	last.Warnings = diag.SortWarnings(append(last.Warnings, warns...))
}

// UnusedImages returns the warnings of the images of opts that no app of
// envs used, used[i] being what envs[i]'s apps used
// (EnvResult.UsedImages), as Render gives them with the last of its envs:
// for a caller that rendered the envs with Options.JudgeImagesLater. It
// judges the images ReadImages read for the envs' Renderers; without
// that reading it reads opts.Images again, and an ImagesError says they
// no longer parse.
func UnusedImages(opts Options, envs []string, used []map[string]bool) ([]diag.Warning, error) {
	set, err := opts.Images.set()
	if err != nil {
		return nil, err
	}
	return unusedWarnings(set, len(opts.Apps) > 0, envs, used), nil
}

// unusedWarnings warns of each image of set that no env of envs used.
// One env is judged alone, as kiln promote judges the env it promotes.
// Several envs are judged together: CI builds one image for every env,
// and an image only dev runs yet (an app that has not reached prod) is no
// mistake, but was a warning of every other env, and under --strict
// their renders failed. Nothing is said when an env could not tell which
// images its apps use (a nil used): it failed already, and any image may
// be its. keeping is --app, whose other apps keep their earlier images.
func unusedWarnings(set *images.Set, keeping bool, envs []string, used []map[string]bool) []diag.Warning {
	if len(envs) == 0 || len(envs) != len(used) {
		return nil
	}
	union := map[string]bool{}
	var names []string
	for i, env := range envs {
		if used[i] == nil {
			return nil
		}
		maps.Copy(union, used[i])
		if !slices.Contains(names, env) {
			names = append(names, env)
		}
	}
	last := envs[len(envs)-1]
	var warns []diag.Warning
	for _, repo := range set.Unused(union) {
		w := diag.Warning{Msg: fmt.Sprintf("image %s is used by no app in env %s", repo, last),
			Hint: "check the repository name; kiln matches images by their normalised repository"}
		if len(names) > 1 {
			w.Msg = fmt.Sprintf("image %s is used by no app in any of the rendered envs (%s)", repo, strings.Join(names, ", "))
		}
		if keeping {
			w.Msg = fmt.Sprintf("image %s is used by no rendered app in env %s (--app)", repo, last)
			if len(names) > 1 {
				w.Msg = fmt.Sprintf("image %s is used by no rendered app in any of the rendered envs (%s; --app)", repo, strings.Join(names, ", "))
			}
			w.Hint = "the apps --app does not name keep their earlier images; name the app that uses it, or check the repository name"
		}
		warns = append(warns, w)
	}
	return warns
}

// appRun is one app's progress through the pipeline.
type appRun struct {
	app     envconfig.ResolvedApp
	res     *templates.Result
	objs    []templates.Object
	used    map[string]bool
	err     error
	warns   []diag.Warning
	patches []byte   // canonical patches, for the input digest
	kept    *keptApp // set when the app comes from the earlier tree (Options.Apps)
	// secretValues are the plain values of the Secrets the engine
	// rendered (objects.SecretValues), read before env patches run: a
	// patch may delete such a Secret or change its value, while a field
	// the engine copied the value into keeps it, and a later step may fail
	// before objs is set.
	secretValues []string
	// namespaced are the indexes of the objects that were given the app's
	// namespace (scope.SetDefault), for the finish key (finished.go).
	namespaced []int
	// reads records the files render itself reads for the env (patch
	// files, values files for high-level/), shared by the env's apps; nil
	// records nothing.
	reads *deps.Recorder
	// layoutFiles are the files the layout reads (finished.go), shared by
	// the env's apps; nil reads each file when asked.
	layoutFiles *layoutReads
}

// envMode says how finishEnv treats apps that were not rendered now.
type envMode struct {
	// earlier is the lock of the tree --app keeps apps from.
	earlier *Lock
	// recheck validates kept apps' objects again with every CRD of the env
	// (Merge: each shard saw only its own CRDs); assumed are the custom
	// kinds the shards assumed namespaced for want of their CRD.
	recheck bool
	assumed []string
	// reads records the files render itself reads (appRun.reads).
	reads *deps.Recorder
	// finish is the env's finish context (finishContext), "" when its apps'
	// layouts are not keyed; previous is the env's previous entry, whose
	// apps of the same finish key are not laid out again (finished.go).
	finish   string
	previous *finishedEnv
	// sources records where each object file's object came from
	// (EnvResult.sources): set for Validate's second render, which lays
	// out every app afresh.
	sources bool
}

// finishEnv takes an env's apps once their engines ran (or they were
// kept): namespaces and validation, the checks across apps and the
// layout. Once ctx ends, validation stops and nothing after it runs.
func (r *Renderer) finishEnv(ctx context.Context, er *EnvResult, res *envconfig.Resolved, runs []*appRun, keepErrs []error, mode envMode) *EnvResult {
	env := er.Env
	var err error
	errs := append(append([]error(nil), keepErrs...), r.crossEnvErrors(env)...)
	warns := er.Warnings
	used := map[string]bool{}
	// An app whose engine failed (a document without metadata.name, a
	// malformed apiVersion) has no objects, but the other apps' objects
	// can still be judged: one run reports both, not one after the other.
	appsFailed := false
	checkable := len(errs) == 0
	for _, run := range runs {
		if run.err != nil {
			errs = append(errs, forApp(run.app.Name, run.err))
			appsFailed = true
			// A run stopped (--timeout, the env's object bound) checks
			// nothing more.
			checkable = checkable && !errors.Is(run.err, context.Canceled) && !errors.Is(run.err, context.DeadlineExceeded)
		}
		warns = append(warns, run.warns...)
		for k := range run.used {
			used[k] = true
		}
	}
	var guessed []string
	// A shard has only some apps: what spans apps waits for Merge.
	sharding := r.opts.Shard.Active() && !r.keeping()
	// The scope of every kind the env knows: built in, CRDs of its apps
	// and those validation.crds lists. Set below; checkEnv reads it.
	var scopes *scope.Scopes
	whole := false
	if checkable {
		// Namespaces and validation need every app's CRDs, so they run once
		// all engines are done.
		scopes = scope.New()
		listed, err := listedCRDs(r.p, env, mode.reads)
		if err != nil {
			errs = append(errs, err)
		} else if err := scopes.AddCRDs(listed); err != nil {
			errs = append(errs, err)
		}
		var crds []templates.Object
		for _, run := range runs {
			if err := scopes.AddCRDs(run.objs); err != nil {
				errs = append(errs, forApp(run.app.Name, err))
			}
			crds = append(crds, run.objs...)
		}
		warns = append(warns, listedAndRendered(listed, runs)...)
		var assumed map[string]bool
		if mode.recheck {
			errs = append(errs, checkAssumptions(scopes, mode.assumed)...)
			assumed = map[string]bool{}
			for _, gk := range mode.assumed {
				assumed[gk] = true
			}
		}
		// The CRDs of validation.crds are in the cluster already: Flux
		// does not apply them.
		venv, err := r.schemas.EnvWith(r.p.KubeVersion, listed, crds)
		if err != nil {
			errs = append(errs, crdErrorsByApp(err, runs))
		}
		applied := r.appliedTreeOf(env, listed)
		// Every object is here and its scope known: the checks across
		// apps can judge the env even if some objects fail their own
		// checks below, so one run reports both (a duplicate object
		// beside an invalid field), not one after the other.
		whole = len(errs) == 0
		if res == nil || len(res.Secrets) > 0 {
			// Its secret values may be in any object: nothing of it is kept.
			venv.HoldsSecrets()
		}
		// Each app's checks read the env's scopes and schemas, which are
		// safe for concurrent use, and change only the app's own objects:
		// apps are checked side by side, their findings joined in app order.
		checked := make([]appChecks, len(runs))
		carry.Each(len(runs), func(i int) {
			switch {
			case runs[i].err != nil:
			case appsFailed:
				// The failed app's CRDs are missing from scopes and venv,
				// and they may be what serves, defines or scopes another
				// app's custom resources (a CRD newer than Flux's
				// embedded one): only the kinds whose checks need no CRD
				// of the env are judged, on a copy, as nothing of a
				// failed env is written.
				run := *runs[i]
				run.objs = builtinObjects(run.objs)
				checked[i] = r.checkApp(ctx, venv, applied, scopes, res, &run, mode.recheck, sharding, assumed)
			default:
				checked[i] = r.checkApp(ctx, venv, applied, scopes, res, runs[i], mode.recheck, sharding, assumed)
			}
		})
		for _, c := range checked {
			if appsFailed {
				// The failed app's CRDs are missing: the warnings that a
				// kind is unknown, or its scope guessed, may be wrong.
				// Its errors hold whatever the CRDs: a failed env writes
				// nothing, and its next run warns what still holds.
				c.warns, c.guessed, c.ratcheted = nil, nil, nil
			}
			errs, warns, guessed = append(errs, c.errs...), append(warns, c.warns...), append(guessed, c.guessed...)
			er.Ratcheted = append(er.Ratcheted, c.ratcheted...)
		}
		for _, run := range runs {
			// A health check's kind may be served by the failed app's CRD.
			if venv != nil && !appsFailed {
				e, w := servedHealthChecks(venv, run.app)
				errs, warns = append(errs, e...), append(warns, w...)
			}
		}
		er.clean = venv.Clean()
		r.noteClean(er.clean)
	}
	// Whether a given image is used by no app is judged once every env of
	// the run is rendered (unusedImages), not here: an image only some
	// envs run is no mistake when the run renders them all. A shard
	// cannot tell an image no app uses from one another shard's apps use,
	// and a merge applies no images: theirs is never judged.
	if !sharding && !mode.recheck {
		er.used = used
	}
	if w, ok := statusScaleWarning(r.p); ok && mode.recheck {
		// A render says it once for all its envs (Render); a promote
		// checks one env.
		warns = append(warns, w)
	}
	// Once ctx ends (--timeout, a signal), the apps whose checks it cut
	// short say so (validate.ErrStopped), and nothing more is judged,
	// encrypted or laid out for a tree that is not written.
	if whole && !sharding && ctx.Err() == nil {
		// A shard has only some apps: Merge runs these on all of them.
		errs = append(errs, r.checkEnv(res, er.Redactor, scopes, runs, &warns)...)
	}
	if err := ctx.Err(); err != nil && len(errs) == 0 {
		errs = append(errs, err)
	}
	if len(errs) == 0 && res.SOPS != nil {
		errs = append(errs, r.encryptSecrets(res, er.Redactor, runs, &warns, &er.Sealed)...)
	}
	var files tree.Files
	if len(errs) == 0 {
		files, err = r.layout(res, runs, er, mode, used)
		if err != nil {
			errs = append(errs, err)
		} else {
			errs = append(errs, checkFiles(er.Redactor, files, er.Objects)...)
		}
	}
	if len(errs) == 0 && sharding {
		if err := r.addShardMarker(files, runs, guessed, er.envFile); err != nil {
			errs = append(errs, err)
		}
	}
	er.Warnings = diag.SortWarnings(warns)
	er.Ratcheted = diag.SortWarnings(er.Ratcheted)
	if r.opts.Strict && len(errs) == 0 && len(er.Warnings) > 0 {
		er.struck = files
	}
	if r.opts.Strict {
		for _, w := range er.Warnings {
			errs = append(errs, w.AsError())
		}
		// Errors now, and said as such: kept as warnings too, each was
		// printed (and annotated) twice.
		er.Warnings, er.Ratcheted = nil, nil
	}
	if err := diag.Join(errs...); err != nil {
		// Only a failed env pays for the Secrets' values: an automaton
		// over every form of hundreds of values takes a good part of a
		// second to build. Warnings quote no field's value, but shown
		// next to the errors they name the same objects.
		mr, wr, keys := errRedactors(er.Redactor, runs, longestText(err, er.Warnings))
		er.Err = redactErr(wr, mr, err, keys...)
		er.Warnings = diag.SortWarnings(redactWarnings(wr, mr, er.Warnings))
		return er
	}
	er.Files = files
	return er
}

// builtinObjects are the objects of objs whose kind k8s.io/api defines,
// and CRDs: what is judged without any CRD of the env.
func builtinObjects(objs []templates.Object) []templates.Object {
	var out []templates.Object
	for _, o := range objs {
		g, kind := group(o.Node.GetApiVersion()), o.Node.GetKind()
		if builtinkinds.Builtin(g, kind) || (g == "apiextensions.k8s.io" && kind == "CustomResourceDefinition") {
			out = append(out, o)
		}
	}
	return out
}

// resolveEnv reads env's file and resolves its apps and secrets. On
// failure the result's Err is set.
func (r *Renderer) resolveEnv(env string) (*EnvResult, *envconfig.Resolved) {
	er := &EnvResult{Env: env}
	ef, err := r.p.LoadEnvFile(env)
	if err != nil {
		er.Err = diag.Join(err)
		return er, nil
	}
	lookup := r.opts.LookupEnv
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	er.envFile = ef.Digest
	res, err := r.p.Resolve(env, ef, lookup)
	if err != nil {
		er.Err = diag.Join(err)
		return er, nil
	}
	r.recordSources(res)
	er.Names = r.envNames(res)
	er.Warnings = append(er.Warnings, r.disabledApps(res, ef.File, false)...)
	er.Redactor = redact.New(res.Secrets)
	if r.opts.OnSecrets != nil {
		r.opts.OnSecrets(er.Redactor)
	}
	for _, name := range er.Redactor.Short() {
		// Named, never shown: the value is too short to search for.
		er.Warnings = append(er.Warnings, diag.Warning{File: ef.File, Line: ef.Lines[name],
			Msg:  fmt.Sprintf("secret var %s is shorter than %d characters: kiln does not search the output for it or mask it", name, redact.MinLength),
			Hint: "use a longer secret; a value this short would match everywhere and is easy to guess"})
	}
	return er, res
}

// renderEnv renders env; last says it is the render's last env.
func (r *Renderer) renderEnv(ctx context.Context, env string, last bool) *EnvResult {
	er, res := r.resolveEnv(env)
	if er.Err != nil {
		return er
	}
	var err error
	var earlier map[string][]byte
	var earlierLock *Lock
	var unknown map[string][]string
	if r.keeping() {
		earlier, earlierLock, err = r.earlierTree(env)
		if err != nil {
			er.Err = diag.Join(err)
			return er
		}
		unknown = lockfile.UnknownAppFields(earlier[LockFile])
		if len(unknown) > 0 && r.opts.Preview {
			apps := slices.Sorted(maps.Keys(unknown))
			er.Warnings = append(er.Warnings, diag.Warning{File: inTree(r.earlierDir(env), LockFile),
				Msg: fmt.Sprintf("env %s: the kiln.lock.json entries of %s have fields this kiln does not know (another kiln version wrote them, or a hand edit); a render with --app would refuse to keep them",
					env, words.First(apps, 5)),
				Hint: "render the whole env with this kiln, or use the kiln version that wrote the tree"})
			unknown = nil
		}
		if earlierLock.KilnVersion != r.opts.Version {
			// The kept apps' files are that kiln's output, which this one
			// may lay out or check differently.
			er.Warnings = append(er.Warnings, diag.Warning{File: inTree(r.earlierDir(env), LockFile),
				Msg:  fmt.Sprintf("env %s: --app keeps the other apps as kiln %q rendered them, and this is kiln %q", env, earlierLock.KilnVersion, r.opts.Version),
				Hint: "render the whole env once (without --app) so that every app is this kiln's output"})
		}
	}
	var runs []*appRun
	var keepErrs []error
	var wg sync.WaitGroup
	reads := deps.New(r.p.Root)
	files := &layoutReads{}
	tick := r.progress(env, res.Apps)
	ikey := r.envIndexKey(er, res)
	// A cycle across envs is kiln.yaml's and the env files' to fix, not
	// this env's inputs: a cached env must still report it (finishEnv).
	if !afresh(ctx) && len(r.crossEnvErrors(env)) == 0 && r.envFromCache(er, ikey) {
		for range res.Apps {
			tick()
		}
		r.envEnginesDone()
		if last {
			r.enginesDone()
		}
		return er
	}
	r.prepareChecks(res)
	mode := envMode{earlier: earlierLock, reads: reads, finish: r.finishContext(er, res), sources: afresh(ctx)}
	previous := make(chan *finishedEnv, 1)
	// Panics of the goroutines below (kiln bugs) are raised again here,
	// once they are done, for cmd/kiln to report.
	var panics carry.Panics
	if mode.finish != "" && !afresh(ctx) {
		// Read while the apps render: only the layout needs it.
		go func() {
			var prev *finishedEnv
			defer func() { previous <- prev }()
			defer panics.Catch()
			prev = r.previousEnv(env)
		}()
	} else {
		previous <- nil
	}
	// The env's objects, its apps' together, are bounded as each app
	// finishes: past the bound the apps still waiting or rendering stop,
	// and what the finished ones hold is dropped.
	bound := newEnvBound(ctx, r.envObjects)
	defer bound.stop()
	for _, app := range res.Apps {
		run := &appRun{app: app, reads: reads, layoutFiles: files}
		if !r.renders(app.Name) {
			if r.keeping() {
				if err := keep(run, earlier, earlierLock, er.Redactor, keptFrom{dir: r.earlierDir(env), unknown: unknown}); err != nil {
					keepErrs = append(keepErrs, err)
				}
				bound.add(len(run.objs))
				runs = append(runs, run)
			}
			continue
		}
		runs = append(runs, run)
		wg.Add(1)
		go func(run *appRun) {
			defer wg.Done()
			defer panics.Catch()
			select {
			case r.sem <- struct{}{}:
			case <-bound.ctx.Done():
				run.err = ctx.Err()
				return
			}
			defer func() { <-r.sem }()
			r.renderApp(withSecrets(bound.ctx, er.Redactor), res, run)
			bound.add(len(run.objs))
			tick()
		}(run)
	}
	wg.Wait()
	panics.Raise()
	for _, run := range runs {
		if run.res != nil && run.kept == nil {
			r.recordReads("app "+run.app.Name, run.res.Inputs, run.res.Deps)
		}
	}
	if !bound.exceeded() {
		er.Warnings = append(er.Warnings, r.capabilityGaps(withSecrets(bound.ctx, er.Redactor), res, runs)...)
	}
	r.envEnginesDone()
	if last {
		r.enginesDone()
	}
	if bound.exceeded() && ctx.Err() == nil {
		er.Err = diag.Join(r.envObjectsError(env))
		return er
	}

	ids, appDeps := r.cachedIDs(runs)
	key, cacheable := r.envKey(er, res, ids)
	mode.previous = <-previous
	panics.Raise()
	if r.opts.BeforeFinish != nil {
		r.opts.BeforeFinish()
	}
	out := r.finishEnv(ctx, er, res, runs, keepErrs, mode)
	if cacheable && out.Err == nil {
		r.envStore(key, ikey, appDeps, out, reads)
	}
	return out
}

// envObjectsError is env's objects passing limits.EnvObjects.
func (r *Renderer) envObjectsError(env string) error {
	return &diag.Error{File: r.p.File,
		Msg:  fmt.Sprintf("env %s: its apps produce more than %s together, kiln's limit for one env", env, words.Count(r.envObjects, "object")),
		Err:  &limits.Error{What: "the number of objects of one env", Limit: fmt.Sprint(r.envObjects)},
		Hint: "split the env's apps over several envs, or check the largest app for a template loop; " + limits.Hint}
}

// envBound counts the objects of one env's apps as they finish, and ends
// its context once they pass the bound.
type envBound struct {
	ctx  context.Context
	stop context.CancelFunc
	max  int64
	n    atomic.Int64
}

func newEnvBound(ctx context.Context, max int) *envBound {
	b := &envBound{max: int64(max)}
	b.ctx, b.stop = context.WithCancel(ctx)
	return b
}

// add counts n objects more.
func (b *envBound) add(n int) {
	if b.n.Add(int64(n)) > b.max {
		b.stop()
	}
}

// exceeded reports whether the objects counted passed the bound.
func (b *envBound) exceeded() bool { return b.n.Load() > b.max }

// progress reports the env's start to Options.Progress and returns what
// each rendered app calls when it is done.
func (r *Renderer) progress(env string, apps []envconfig.ResolvedApp) func() {
	if r.opts.Progress == nil {
		return func() {}
	}
	total := 0
	for _, a := range apps {
		if r.renders(a.Name) {
			total++
		}
	}
	var mu sync.Mutex
	done := 0
	r.opts.Progress(env, 0, total)
	return func() {
		mu.Lock()
		defer mu.Unlock()
		done++
		r.opts.Progress(env, done, total)
	}
}

// crdErrorsByApp names, in the errors of the env's CRDs (validate's Env,
// which takes objects without their apps), the app whose output holds
// each CRD: the one object of that file and identity among the apps' (a
// CRD of validation.crds is no app's; two apps with the same CRD are an
// error of their own, and their CRD's is left without one).
func crdErrorsByApp(err error, runs []*appRun) error {
	type at struct {
		file string
		obj  diag.Object
	}
	apps := map[at]string{}
	for _, run := range runs {
		for _, o := range run.objs {
			if o.Node == nil || o.Node.GetKind() != "CustomResourceDefinition" {
				continue
			}
			k := at{o.File, objRef(o)}
			if a, ok := apps[k]; ok && a != run.app.Name {
				apps[k] = ""
				continue
			}
			apps[k] = run.app.Name
		}
	}
	var out []error
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if errors.As(e, &de) && de.App == "" {
			if app := apps[at{de.File, de.Object}]; app != "" {
				e = de.ForApp(app)
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// forApp names app on every error in err that does not name one yet.
func forApp(app string, err error) error {
	var out []error
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if errors.As(e, &de) {
			out = append(out, de.ForApp(app))
			continue
		}
		out = append(out, &diag.Error{App: app, Msg: e.Error(), Err: e})
	}
	return errors.Join(out...)
}

// errRedactors returns the two redactors of a failed env's errors. msg
// masks what rd masks and the plain values of every v1 Secret the env's
// apps rendered, as the engine gave it and as the env patches left it.
// Such a value has no name kiln knows (it came from a values file, a
// secretGenerator, a Secret in the overlay), yet a replacement, a patch or
// a template can copy it into a field whose validation error quotes it
// ("Invalid value: …"); msg masks messages and hints, each match with the
// token it stands in (redact's Tokens: a common word masked inside a
// longer one gave itself away).
//
// where masks the file, the object and the field path: what rd masks, and
// every form of those values but a value that is a name itself
// (nameLike). A Secret's value is often a common word (database: nginx),
// which a render that passes writes in names and paths in plain text:
// masked there, it hid where every error of the env was. A value that is
// no valid name (Sup3r!Secret), or its base64 (what a replacement copies
// from data), is in an object's name or a path only when a replacement or
// a template put it there and validation refused it, which no passing
// render writes.
//
// keys are the values where keeps that a field path shows only as a key a
// template made of the value (maskKeyNames): names with a dash, which no field
// of a Kubernetes schema has (its fields are camelCase words). A
// passphrase of words (correct-horse-battery-staple) made a map's key
// showed in full as nodeSelector.correct-horse-battery-staple.
//
// Both mask texts of at most upTo bytes (longestText) and are built for no
// longer ones: the forms of a large Secret's values are many megabytes.
func errRedactors(rd *redact.Redactor, runs []*appRun, upTo int) (msg, where *redact.Redactor, keys []string) {
	values := map[string]string{}
	seen := map[string]bool{}
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			values[strconv.Itoa(len(values))] = v
		}
	}
	for _, run := range runs {
		for _, v := range run.secretValues {
			add(v)
		}
		for _, o := range run.objs {
			for _, v := range objects.SecretValues(o.Node) {
				add(v)
			}
		}
	}
	if len(values) == 0 {
		return rd.Tokens(), rd, nil
	}
	for _, v := range values {
		if v = strings.TrimSpace(v); nameLike(v) && strings.Contains(v, "-") && !redact.TooShort(v) {
			keys = append(keys, v)
		}
	}
	sort.Strings(keys)
	return rd.With(values, upTo).Tokens(), rd.WithKept(values, upTo, func(v string) bool { return nameLike(strings.TrimSpace(v)) }), keys
}

// maskKeyNames masks in field each of keys that stands as a whole name: no
// letter, digit or - on either side (nameChar). A value inside a longer
// name (sealed-secrets in sealed-secrets-controller.json) is kept there,
// as in file and object names: a passing render writes such names.
func maskKeyNames(field string, keys []string) string {
	for _, k := range keys {
		var b strings.Builder
		last := 0
		wholeNames(field, k, func(start, end int) {
			b.WriteString(field[last:start])
			b.WriteString(redact.Mask)
			last = end
		})
		if last > 0 {
			b.WriteString(field[last:])
			field = b.String()
		}
	}
	return field
}

// wholeNames calls fn with the bounds of each occurrence of name in s,
// left to right, that has no letter, digit or - on either side
// (nameChar).
func wholeNames(s, name string, fn func(start, end int)) {
	for i := 0; i+len(name) <= len(s); {
		j := strings.Index(s[i:], name)
		if j < 0 {
			return
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !nameChar(s[start-1])) && (end == len(s) || !nameChar(s[end])) {
			fn(start, end)
			i = end
			continue
		}
		i = start + 1
	}
}

// nameChar reports whether c can be part of a name as nameLike takes it.
func nameChar(c byte) bool {
	return c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// nameLike reports whether v could be any object's name as it is: an
// RFC 1035 label (a Service's name), the strictest rule of a kind's name,
// so that a value some kind refuses as a name (3f9a…, a.b) is masked in
// every kind's name.
func nameLike(v string) bool { return len(validation.IsDNS1035Label(v)) == 0 }

// longestText is the length of the longest text redactErr and
// redactWarnings mask in err and warns: a message, hint, field or part of
// an object's name, or an error's whole text.
func longestText(err error, warns []diag.Warning) int {
	n := 0
	texts := func(ss ...string) {
		for _, s := range ss {
			n = max(n, len(s))
		}
	}
	for _, e := range diag.Flatten(err) {
		texts(e.Error())
		var de *diag.Error
		if errors.As(e, &de) {
			texts(de.Msg, de.Hint, de.Field, de.Object.Kind, de.Object.Namespace, de.Object.Name)
			if de.Err != nil {
				texts(de.Err.Error())
			}
		}
	}
	for _, w := range warns {
		texts(w.Msg, w.Hint, w.Object.Kind, w.Object.Namespace, w.Object.Name)
	}
	return n
}

// redactErr masks secret values in err: rd's (the secret vars, and the
// forms of the env's Secrets' values no passing render writes in a name,
// errRedactors) in every part of every error, and mr's (rd's and the
// values of the env's Secrets) in messages and hints. Engines are told not
// to echo values, but a template can put anything into its own error.
// Structured errors keep their location (with any secret var in the
// object's name masked); their cause is dropped when its text held a
// secret, since printing it would show the value again.
//
// A Secret's values are often common words (database: nginx, ssl:
// "true"): masked in the file, the object's name and the field path too,
// they hid where every error of the env was (web/**redacted**-deployment.yaml,
// Deployment/shop/**redacted**), and hid nothing, since a render that
// passes writes those names in plain text, as file names and objects. What
// a Secret's value can reach only through a failed render is a field's
// value the API server quotes ("Invalid value: …"), in the message, and a
// name or key validation refused, which is no name (rd).
//
// Each part is judged on its own and whole (Error.Map), not by the
// error's text: Error shows the parts bounded (Error.Bounded), where a
// value past a bound, or cut in two by it, does not show, yet a sink that
// prints the parts (--output json, the job summary) would print it, or
// its start, which no redactor after this one recognises.
//
// A message an engine cut short (diag.Cut: a template's own error text)
// may end inside a value that these Secrets hold, which the engine did
// not know: that end is masked too (redact's StringCut). keys are masked
// in the field path too (errRedactors).
func redactErr(rd, mr *redact.Redactor, err error, keys ...string) error {
	var out []error
	for _, e := range diag.Flatten(err) {
		msg := e.Error()
		var de *diag.Error
		if !errors.As(e, &de) {
			if m := mr.String(msg); m != msg {
				e = &diag.Error{Msg: m}
			}
			out = append(out, e)
			continue
		}
		parts := de.Map(func(s string) string { return s }) // Err's text for an empty Msg
		m := parts.Map(rd.String)
		m.Field = maskKeyNames(m.Field, keys)
		m.Msg, m.Hint = maskKeeping(mr, m.Msg, m.Field), mr.String(m.Hint)
		if kept, note := diag.SplitCut(parts.Msg); note != "" {
			m.Msg = mr.StringCut(kept) + note
		}
		// The text too: a wrapper's own words are in no part. A Secret's
		// value in the parts left as they are (the file, the object)
		// also makes the text differ: the parts, then, without the
		// wrapper's words.
		if m.Msg == parts.Msg && m.Hint == parts.Hint && m.Field == parts.Field && m.Object == parts.Object && m.File == parts.File && mr.String(msg) == msg {
			out = append(out, e)
			continue
		}
		// Where the error is, too: a template can name an object by a
		// secret var, and a sink that prints the parts (the job summary,
		// --output json) must not get it back.
		m.Err = nil
		out = append(out, m)
	}
	return errors.Join(out...)
}

// maskKeeping is msg masked by mr but where it quotes field, the error's
// field path as rd left it: a Secret's value that is a name (storageos, a
// volume type's key in kubernetes/examples) is kept in the field path, and
// masked in the message it made the error unreadable (unknown field
// "spec.volumes[0].**redacted**.pool") while the field itself, shown in
// the error's parts, hid nothing. Only an occurrence with no letter,
// digit or - on either side counts: a value that is a name holds none of
// the others, so it cannot reach across the field's edge into the
// message, where mr masks it.
func maskKeeping(mr *redact.Redactor, msg, field string) string {
	if field == "" {
		return mr.String(msg)
	}
	var b strings.Builder
	last := 0
	wholeNames(msg, field, func(start, end int) {
		b.WriteString(mr.String(msg[last:start]))
		b.WriteString(field)
		last = end
	})
	b.WriteString(mr.String(msg[last:]))
	return b.String()
}

// redactWarnings masks secret values in a copy of warns, part by part, as
// redactErr does: rd's in every part, mr's in the message and hint.
// Warnings quote no field's value, but they name objects, and a template
// can name an object by a secret var: shown next to a failed env's errors,
// which mask it, they must not name it in the clear.
func redactWarnings(rd, mr *redact.Redactor, warns []diag.Warning) []diag.Warning {
	out := make([]diag.Warning, len(warns))
	for i, w := range warns {
		w.Msg, w.Hint = mr.String(w.Msg), mr.String(w.Hint) // mr masks rd's values too
		w.File, w.Object = rd.String(w.File), w.Object.Map(rd.String)
		out[i] = w
	}
	return out
}

// fluxStatusWindow is how many of a commit's newest statuses
// notification-controller's github provider reads before posting one (the
// first page, per_page 50): a repeat of the same state is skipped only when
// the context's latest status is among them.
const fluxStatusWindow = 50

// maxStatusesPerContext is GitHub's limit of statuses per commit and
// context; GitHub refuses more with a validation error.
const maxStatusesPerContext = 1000

// bootstrapSourceWarning warns when flux.namespace is set and
// flux.sourceRef is not: the default source, GitRepository flux-system,
// is then looked for in that namespace, where `flux bootstrap --namespace
// X` names its GitRepository X, so no standard install has it and every
// app would fail with "source not found".
func bootstrapSourceWarning(p *envconfig.Pipeline) (diag.Warning, bool) {
	fl := p.Flux
	if fl.SourceRefLine != 0 || fl.NamespaceLine == 0 || fl.Namespace == fl.SourceRef.Name {
		return diag.Warning{}, false
	}
	return diag.Warning{File: p.File, Line: fl.NamespaceLine,
		Msg: fmt.Sprintf("flux.namespace is %s and flux.sourceRef is not set, so every Kustomization reads its manifests from %s %s/%s, which flux bootstrap does not make: with --namespace %s it names its %s %s",
			fl.Namespace, fl.SourceRef.Kind, fl.Namespace, fl.SourceRef.Name, fl.Namespace, fl.SourceRef.Kind, fl.Namespace),
		Hint: fmt.Sprintf("set flux.sourceRef: {name: %s} for the source bootstrap made, or the name of your own source (docs/flux.md)", fl.Namespace)}, true
}

// statusScaleWarning warns when more commit-status contexts than
// notification-controller's duplicate check can see share one manifests
// commit (every env's statuses land on the same commit). kustomize-controller
// reports a successful reconcile on every interval; past the window each
// report is posted again, and after maxStatusesPerContext on an unchanged
// commit GitHub takes no more, failures included (docs/flux.md).
func statusScaleWarning(p *envconfig.Pipeline) (diag.Warning, bool) {
	nt := p.Notifications
	if nt == nil || !nt.CommitStatus {
		return diag.Warning{}, false
	}
	contexts := len(p.Apps) * len(p.Environments)
	if contexts <= fluxStatusWindow {
		return diag.Warning{}, false
	}
	after := "1000 intervals"
	if d, err := time.ParseDuration(p.Flux.Interval); err == nil {
		after = "about " + (time.Duration(maxStatusesPerContext) * d).Round(time.Minute).String()
		if total := time.Duration(maxStatusesPerContext) * d; total >= 48*time.Hour {
			after = fmt.Sprintf("about %.1f days", total.Hours()/24)
		}
	}
	return diag.Warning{File: p.File, Line: nt.Line,
		Msg: fmt.Sprintf("notifications.commitStatus: %d apps × %d envs = %d status contexts on one manifests commit, more than the %d newest statuses notification-controller checks for repeats: "+
			"Flux posts every context again on every interval, and after %d on an unchanged commit (%s at flux.interval %s) GitHub refuses the next, failures included",
			len(p.Apps), len(p.Environments), contexts, fluxStatusWindow, maxStatusesPerContext, after, p.Flux.Interval),
		Hint: "see \"Statuses at scale\" in docs/flux.md: keep the manifests branch moving (any commit starts afresh), lengthen flux.interval, or split environments across manifests repositories"}, true
}
