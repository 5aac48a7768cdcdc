package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"hash"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/render/internal/cache"
)

// Finished apps are reused too. When one app of an env changes, the env
// misses the whole-env cache (envcache.go) and its finish runs again; the
// other apps' engine results come from the cache, yet laying each of them
// out (serialising its objects, its Flux Kustomization and high-level
// files, its lock entry) was most of what such a render cost. So each
// app's layout is keyed (finishKey) on everything it reads, and an app
// whose key is the one the env's previous entry recorded for it takes its
// laid-out files, object names, lock entry and summary from that entry.
//
// The key covers the app's objects as they are handed to the layout (after
// patches, images and the namespaces the env's CRDs decide): for an engine
// result the cache names, without patches, that name (its key and the
// digest of its encoding, which holds every field of every node), the
// images CI gave for the repositories the app's containers name and which
// objects were given the app's namespace; for any other, the objects
// hashed node by node, so nothing of an object escapes it, and the engine
// result's input digest, parameters and inputs. It also covers the
// content of every file the layout reads (a kustomize app's inputs, a helm
// app's values files, read once for both the key and the layout), and the
// env's context (finishContext):
// kiln's build, the env's name, and kiln.yaml and the env file byte for
// byte. kiln's version, the source commit and CI's image list reach only
// the env's part of the lock, which is made afresh; CI's images reach an
// app only through its objects; --strict and the repository root are not
// read by the layout (the root only decides which entry is the env's
// previous one, lastKey). Only envs the whole-env cache
// takes part in reuse apps (envCacheable: no secret vars, no SOPS
// encryption, no --app or --shard). The checks across apps, validation
// and namespaces still run on every app's objects: only the layout is
// skipped.

// finishVersion changes whenever finishKey's inputs or laidOut's meaning
// do; lastVersion whenever lastKey's do.
const (
	finishVersion = "kiln-app-finish-v2"
	lastVersion   = "kiln-env-last-v1"
)

// laidOut is one app's part of an env's output.
type laidOut struct {
	// files are the app's files, by their path in the env's tree:
	// apps/<app>/…, flux/<app>.yaml, high-level/<app>/….
	files map[string][]byte
	// objects are EnvResult.Objects' entries for the app's object files.
	objects map[string]string
	// sources are EnvResult.sources' entries, when the mode asks for them.
	sources map[string]objectAt
	lock    LockApp
	summary AppSummary
}

// finishOmit names the inputs finishKey leaves out, separated by commas:
// set only by the tests that prove each input's test fails without it.
var finishOmit string

// finishContext is the part of every finish key of the env that does not
// depend on the app, "" when the env's apps cannot be reused: kiln's build
// (its code), the env's name, and kiln.yaml and the env file byte for
// byte, which every setting the layout reads (flux:, manifests:, the
// app's namespace, flux overrides, dependsOn, helm values and patches)
// comes from. CI's images and the CRDs that decide namespaces reach the
// layout only through the objects, which finishKey covers.
func (r *Renderer) finishContext(er *EnvResult, res *envconfig.Resolved) string {
	if !r.envCacheable(res) {
		return ""
	}
	kh := newKeyHash()
	kh.str(finishVersion)
	if kh.use("build") {
		kh.str(r.cache.build)
	}
	if kh.use("env") {
		kh.str(res.Env.Name)
	}
	if kh.use("pipeline") {
		kh.str(r.p.Digest)
	}
	if kh.use("envFile") {
		kh.str(er.envFile)
	}
	return kh.sum()
}

// finishKey is the key of run's layout in the env whose context is ctx
// (finishContext), "" when it cannot be keyed: the layout then runs. The
// files the layout reads are read here (layoutInput, layoutValues).
func (r *Renderer) finishKey(ctx string, run *appRun) string {
	if ctx == "" || run.res == nil || run.kept != nil || run.err != nil {
		return ""
	}
	app := run.app
	kh := newKeyHash()
	kh.str(finishVersion)
	kh.str(ctx)
	if kh.use("app") {
		kh.str(app.Name)
		kh.str(app.Engine)
	}
	// An engine result the cache served or stored is named by its key and
	// the digest of its encoding (entryID), and that encoding holds every
	// field of the result and of each object's node graph the layout
	// reads (internal/sandbox: nodes.go, wirebin.go). Without patches,
	// what happens to its objects before the layout is a function of them,
	// CI's images and the namespaces SetDefault gave (below): the result's
	// name stands for its objects, and they are not hashed node by node,
	// which was about 3 % of a one-app-changed re-render of the fleet.
	// Patches (whose files' content the key does not hold) and results the
	// cache does not name are hashed as objects.
	id, named := r.cache.identity(run.res)
	named = named && len(app.Patches) == 0
	kh.bool(named)
	if named {
		if kh.use("result") {
			kh.str(id.id)
		}
	} else {
		if kh.use("inputDigest") {
			kh.str(run.res.InputDigest)
		}
		if kh.use("params") {
			params, err := json.Marshal(run.res.Params)
			if err != nil {
				return ""
			}
			kh.bytes(params)
		}
		if kh.use("inputs") {
			kh.bool(run.res.Inputs == nil)
			kh.int(len(run.res.Inputs))
			for _, p := range run.res.Inputs {
				kh.str(p)
			}
		}
	}
	switch app.Engine {
	case "kustomize":
		// high-level/<app>/ holds a copy of each input.
		for _, p := range run.res.Inputs {
			data, err := r.layoutInput(run, p)
			if err != nil {
				return ""
			}
			if kh.use("inputFiles") {
				kh.bytes(data)
			}
		}
	case "helm":
		// The HelmRelease's values merge the values files.
		for _, f := range app.Helm.Values {
			data, err := r.layoutValues(run, f)
			if err != nil {
				return ""
			}
			if kh.use("valuesFiles") {
				kh.str(f)
				kh.bytes(data)
			}
		}
	}
	if kh.use("patches") {
		kh.bytes(run.patches)
	}
	if named {
		if kh.use("images") {
			// Only the repositories the app's containers name: CI's image
			// of another app leaves its objects as they are.
			kh.int(len(run.used))
			for _, repo := range slices.Sorted(maps.Keys(run.used)) {
				ref, ok := r.images.Ref(repo)
				kh.str(repo)
				kh.bool(ok)
				kh.str(ref)
			}
		}
		if kh.use("namespaces") {
			kh.str(app.Namespace)
			kh.int(len(run.namespaced))
			for _, i := range run.namespaced {
				kh.int(i)
			}
		}
		return kh.sum()
	}
	kh.int(len(run.objs))
	for _, o := range run.objs {
		if kh.use("objectSource") {
			kh.str(o.File)
			kh.int(o.Line)
		}
		if kh.use("raw") {
			kh.bool(o.Raw == nil)
			kh.bytes(o.Raw)
		}
		if kh.use("objects") {
			kh.bool(o.Node == nil)
			if o.Node != nil && !kh.node(o.Node.Document()) {
				return ""
			}
		}
	}
	return kh.sum()
}

// lastKey names the entry that holds the key of the env's latest entry:
// the one whose apps a render of the env that misses it whole can take
// layouts from. Which entry that is only decides what can be reused; the
// finish keys decide what is.
func (r *Renderer) lastKey(env string) string {
	kh := newKeyHash()
	kh.str(lastVersion)
	kh.str(r.cache.build)
	kh.str(r.p.Root)
	kh.str(env)
	return kh.sum()
}

// layoutInput reads a kustomize app's input p for its high-level/ folder,
// recording it among the env's reads; once per env (layoutReads), so that
// the finish key and the layout see the same bytes, and the bases many
// apps share are read once.
func (r *Renderer) layoutInput(run *appRun, p string) ([]byte, error) {
	return run.layoutFiles.read("input:"+p, func() ([]byte, error) {
		data, err := limits.ReadFileAs(filepath.Join(r.p.Root, filepath.FromSlash(p)), p)
		if err == nil {
			run.reads.File(p, data)
		}
		return data, err
	})
}

// layoutValues reads a helm app's values file f for its HelmRelease, as
// layoutInput reads inputs.
func (r *Renderer) layoutValues(run *appRun, f string) ([]byte, error) {
	return run.layoutFiles.read("values:"+f, func() ([]byte, error) {
		return run.reads.ReadFile(r.p.Root, f)
	})
}

// layoutReads are the files an env's layout read, by kind and path: each
// is read once per env, whichever app asks first. Nil reads every time.
type layoutReads struct {
	mu    sync.Mutex
	files map[string][]byte
}

// read is the file under k, read with readFile if it was not yet; an
// error is not kept.
func (l *layoutReads) read(k string, readFile func() ([]byte, error)) ([]byte, error) {
	if l == nil {
		return readFile()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if data, ok := l.files[k]; ok {
		return data, nil
	}
	data, err := readFile()
	if err != nil {
		return nil, err
	}
	if l.files == nil {
		l.files = map[string][]byte{}
	}
	// Capped: several apps' files may hold these bytes, and an append to
	// one must not write into the others'.
	data = data[:len(data):len(data)]
	l.files[k] = data
	return data, nil
}

// keyHash writes each field with its length or kind before it, so that no
// two different sequences of fields write the same bytes.
type keyHash struct {
	h   hash.Hash
	buf []byte
}

func newKeyHash() *keyHash { return &keyHash{h: sha256.New()} }

// use reports whether the input name goes into the key: always, but for
// those finishOmit names.
func (k *keyHash) use(name string) bool {
	k.str(name)
	return finishOmit == "" || !slices.Contains(strings.Split(finishOmit, ","), name)
}

func (k *keyHash) flush() {
	k.h.Write(k.buf)
	k.buf = k.buf[:0]
}

func (k *keyHash) int(n int) {
	k.buf = binary.AppendVarint(k.buf, int64(n))
}

func (k *keyHash) bool(b bool) {
	if b {
		k.buf = append(k.buf, 1)
	} else {
		k.buf = append(k.buf, 0)
	}
}

func (k *keyHash) str(s string) {
	k.int(len(s))
	k.buf = append(k.buf, s...)
	if len(k.buf) > 32<<10 {
		k.flush()
	}
}

func (k *keyHash) bytes(b []byte) {
	k.int(len(b))
	k.buf = append(k.buf, b...)
	if len(k.buf) > 32<<10 {
		k.flush()
	}
}

// node writes every field of the tree at n, and reports false for an
// alias (whose target could be written over and over): such an object is
// not keyed.
func (k *keyHash) node(n *kyaml.Node) bool {
	if n == nil {
		k.int(-1)
		return true
	}
	if n.Alias != nil {
		return false
	}
	k.int(int(n.Kind))
	k.int(int(n.Style))
	k.str(n.Tag)
	k.str(n.Value)
	k.str(n.Anchor)
	k.str(n.HeadComment)
	k.str(n.LineComment)
	k.str(n.FootComment)
	k.int(n.Line)
	k.int(n.Column)
	k.bool(n.Content == nil)
	k.int(len(n.Content))
	for _, c := range n.Content {
		if !k.node(c) {
			return false
		}
	}
	return true
}

func (k *keyHash) sum() string {
	k.flush()
	return hex.EncodeToString(k.h.Sum(nil))
}

// finishedEnv is an env's previous entry, from which apps whose finish
// key is unchanged take their layout.
type finishedEnv struct {
	e     *envEntry
	files map[string][]byte
	// names are each app's file names, objects its object files.
	names   map[string][]string
	objects map[string][]string
}

// previousEnv reads the env's latest entry (lastKey), nil when there is
// none or it cannot be read. Its observations are not checked: what an
// app takes from it is keyed on everything the app's layout read.
func (r *Renderer) previousEnv(env string) *finishedEnv {
	if r.cache == nil {
		return nil
	}
	last, err := r.cache.store.Get(r.lastKey(env))
	if err != nil || last == nil || !cache.ValidKey(string(last.Result)) {
		return nil
	}
	ent, err := r.cache.store.Get(string(last.Result))
	if err != nil || ent == nil {
		return nil
	}
	var e envEntry
	if err := gob.NewDecoder(bytes.NewReader(ent.Result)).Decode(&e); err != nil || len(e.Finish) == 0 {
		return nil
	}
	files, ok := e.files()
	if !ok {
		return nil
	}
	f := &finishedEnv{e: &e, files: files, names: map[string][]string{}, objects: map[string][]string{}}
	for _, name := range e.Names {
		if app, ok := lockfile.AppOf(name); ok {
			f.names[app] = append(f.names[app], name)
		}
	}
	for name := range e.Objects {
		if app, ok := lockfile.AppOf(name); ok {
			f.objects[app] = append(f.objects[app], name)
		}
	}
	return f
}

// notificationsFile is the env's file of Flux notification objects, which
// depends on no app's objects.
const notificationsFile = "flux/notifications.yaml"

// file is the entry's file name when the entry was laid out in the finish
// context ctx (finishContext: kiln's build, the env's name, kiln.yaml and
// the env file), for a file made of nothing else; false otherwise.
func (f *finishedEnv) file(ctx, name string) ([]byte, bool) {
	if f == nil || ctx == "" || f.e.Context != ctx {
		return nil, false
	}
	data, ok := f.files[name]
	return data, ok
}

// app is the layout of app the entry holds under key, nil when it holds
// none under that key.
func (f *finishedEnv) app(name, key string) *laidOut {
	if f == nil || key == "" || f.e.Finish[name] != key {
		return nil
	}
	lock, ok := f.e.Lock.Apps[name]
	if !ok {
		return nil
	}
	var summary *AppSummary
	for i := range f.e.Apps {
		if f.e.Apps[i].Name == name {
			summary = &f.e.Apps[i]
		}
	}
	if summary == nil || summary.Kept {
		return nil
	}
	out := &laidOut{files: make(map[string][]byte, len(f.names[name])), objects: make(map[string]string, len(f.objects[name])),
		lock: lock, summary: AppSummary{Name: summary.Name, Engine: summary.Engine, Objects: summary.Objects, Files: summary.Files}}
	for _, p := range f.names[name] {
		out.files[p] = f.files[p]
	}
	for _, p := range f.objects[name] {
		out.objects[p] = f.e.Objects[p]
	}
	return out
}
