package render

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/carry"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/render/internal/flux"
	"github.com/kiln-gitops/kiln/render/internal/images"
	"github.com/kiln-gitops/kiln/render/internal/scope"
	"github.com/kiln-gitops/kiln/render/internal/tree"
)

// Lock is kiln.lock.json: what an env's tree was rendered from (package
// lockfile).
type Lock = lockfile.Lock

// LockApp is one app's entry in kiln.lock.json.
type LockApp = lockfile.App

// ParseLock reads a kiln.lock.json.
func ParseLock(data []byte) (*Lock, error) { return lockfile.Parse(data) }

func digest(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// layout lays the env's objects out as its output tree.
// mode.earlier is the earlier tree's lock when apps are kept from it
// (Options.Apps), else nil; used are the image repositories the rendered
// apps used. An app whose finish key (finished.go) mode.previous holds
// takes its layout from there.
func (r *Renderer) layout(res *envconfig.Resolved, runs []*appRun, er *EnvResult, mode envMode, used map[string]bool) (tree.Files, error) {
	env := res.Env.Name
	earlier := mode.earlier
	files := tree.Files{}
	er.Objects = map[string]string{}
	er.finish, er.reused, er.context = map[string]string{}, map[string]bool{}, mode.finish
	source, _ := r.provenanceOf()
	lock := &Lock{KilnVersion: r.opts.Version, Env: env, Source: source, Images: r.images.Refs(), Apps: map[string]LockApp{}}
	fluxNS := r.p.Flux.Namespace
	// The Flux objects kiln writes (file → app), validated once all are
	// laid out.
	emitted := map[string]string{}

	if earlier != nil {
		// Kept apps carry the images of their earlier render; the lock
		// names those, overlaid by the given images the rendered apps
		// used, so that promoting this tree (kiln promote --from) gives
		// every app the image it has here. A given image that only a kept
		// app would match was not applied, and is not recorded.
		merged := map[string]string{}
		for repo, ref := range earlier.Images {
			merged[repo] = ref
		}
		for repo, ref := range lock.Images {
			if used[repo] {
				merged[repo] = ref
			}
		}
		lock.Images = merged
	}
	laid := r.layoutApps(res, runs, er.Redactor, mode)
	for i, run := range runs {
		app := run.app
		dir := "apps/" + app.Name + "/"
		if k := run.kept; k != nil {
			for p, data := range k.files {
				files[p] = data
			}
			// Made again of kiln.yaml as it is now and the kept objects:
			// a change to the app's Flux settings or dependsOn applies to
			// every app, and a hand edit of the earlier file is not copied.
			refs := make([]flux.Ref, len(run.objs))
			hasSOPS := false
			for i, o := range run.objs {
				refs[i] = flux.ObjectRef(o.Node)
				hasSOPS = hasSOPS || objects.NeedsDecryption(o.Node)
			}
			fk, err := r.fluxKustomization(res, &run.app, refs, hasSOPS)
			if err != nil {
				return nil, keptFluxError(app.Name, earlier != nil, err)
			}
			files[tree.FluxFile(app.Name)] = fk
			emitted[tree.FluxFile(app.Name)] = app.Name
			// So is a helm app's high-level HelmRelease, which holds the
			// same settings (keptHighLevel).
			hl, err := r.keptHighLevel(res, run, er.Redactor, earlier != nil)
			if err != nil {
				return nil, err
			}
			for name, data := range hl {
				p := "high-level/" + app.Name + "/" + name
				files[p] = data
				if k.lock.Engine == "helm" && fluxHighLevel[name] {
					emitted[p] = app.Name
				}
			}
			for p, ref := range k.refs {
				er.Objects[p] = ref
			}
			la := keptLock(k.lock, earlier, lock.Source)
			if la.HighLevelDigest != "" {
				// keep held the kept files to the digest (or CheckTree
				// did, for Recheck): it is made again over the files as
				// they are now. An entry without one (an older kiln's)
				// stays without, as no check of the files stands behind
				// it.
				la.HighLevelDigest = highLevelDigest(hl)
			}
			la = withSecretFiles(la, k.files, dir, er.Redactor)
			lock.Apps[app.Name] = la
			n := 0
			for p := range k.files {
				if strings.HasPrefix(p, dir) {
					n++
				}
			}
			er.Apps = append(er.Apps, AppSummary{Name: app.Name, Engine: app.Engine, Objects: k.lock.Objects, Files: n, Kept: true})
			continue
		}
		l := laid[i]
		if l.err != nil {
			return nil, l.err
		}
		la := l.out
		if l.reused {
			er.reused[app.Name] = true
		}
		if l.key != "" {
			er.finish[app.Name] = l.key
		}
		for p, data := range la.files {
			files[p] = data
			if p == tree.FluxFile(app.Name) {
				emitted[p] = app.Name
			} else if rest, ok := strings.CutPrefix(p, "high-level/"+app.Name+"/"); ok && app.Engine == "helm" && fluxHighLevel[rest] {
				emitted[p] = app.Name
			}
		}
		for p, ref := range la.objects {
			er.Objects[p] = ref
		}
		for p, at := range la.sources {
			if er.sources == nil {
				er.sources = map[string]objectAt{}
			}
			er.sources[p] = at
		}
		lock.Apps[app.Name] = la.lock
		summary := la.summary
		summary.Cached = l.cached
		er.Apps = append(er.Apps, summary)
	}
	// An env with no app enabled has no Kustomization for an Alert to
	// watch, and an Alert needs at least one event source (its CRD
	// refuses an empty spec.eventSources): it gets no notification
	// objects, as it gets no Kustomizations.
	if nt := r.p.Notifications; nt != nil && len(res.Apps) > 0 {
		// Made of kiln.yaml, the env file and the env's name alone: the
		// previous entry's, when it was laid out in the same context.
		data, ok := mode.previous.file(mode.finish, notificationsFile)
		er.notificationsReused = ok
		if !ok {
			n := flux.Notifications{Env: env, Namespace: fluxNS, SecretRef: nt.SecretRef, Dispatch: nt.Dispatch, NameTemplate: r.p.Flux.Name}
			if nt.CommitStatus {
				n.CommitStatus = r.p.Manifests.GitHub
			}
			for _, app := range res.Apps {
				n.Apps = append(n.Apps, app.Name)
			}
			var err error
			if data, err = flux.MarshalAll(flux.BuildNotifications(n)); err != nil {
				return nil, err
			}
		}
		files[notificationsFile] = data
		emitted[notificationsFile] = ""
	}
	if earlier != nil {
		// An earlier image that no app runs now, though one runs its
		// repository (a rendered app given no image for it this time runs
		// the manifest's), was applied to nothing in this tree: recorded,
		// promote --from would hand the next env an image this env does
		// not run, and promote --rendered refuses such a lock.
		for _, repo := range unrunImages(lock) {
			if !used[repo] {
				delete(lock.Images, repo)
			}
		}
		kept := map[string]bool{}
		for _, run := range runs {
			kept[run.app.Name] = run.kept != nil
		}
		if err := mixedImages(env, lock, kept); err != nil {
			return nil, err
		}
	}
	lj, err := lockFile(lock)
	if err != nil {
		return nil, err
	}
	files[LockFile] = lj
	er.Lock = lock
	if err := r.checkEmittedKeeping(res, er, files, emitted); err != nil {
		return nil, err
	}
	return files, files.Check()
}

// withSecretFiles gives a kept entry that names no secretFiles (a kiln
// before them wrote it) the secretFiles and plainDigest of its object
// files (files, below dir), when rd holds the secret values and the
// entry's outputDigest, which covers the files with those values masked,
// is theirs. Kept without, the lock would name nothing for a job without
// the values to check those files by: the gate of kiln promote --from
// and promote --rendered would refuse them as edited, for good, though
// kiln wrote them. Both fields are made of files the digest vouches for,
// so the entry says nothing the older kiln's did not. An entry of a kiln
// that writes them (LockApp.Older is false) names no secretFiles because
// none holds a value: masking and digesting its files once more, for
// every kept app of an env with secret vars, would find nothing to add.
func withSecretFiles(la LockApp, files map[string][]byte, dir string, rd *redact.Redactor) LockApp {
	if !la.Older() || rd.Empty() {
		return la
	}
	obj := map[string][]byte{}
	for p, data := range files {
		if name, ok := strings.CutPrefix(p, dir); ok && name != "kustomization.yaml" {
			obj[name] = data
		}
	}
	var want LockApp
	setOutputDigests(&want, obj, rd)
	if want.OutputDigest == la.OutputDigest {
		la.SecretFiles, la.PlainDigest = want.SecretFiles, want.PlainDigest
	}
	return la
}

// keptLock is the lock entry of an app kept from the earlier tree (whose
// lock is earlier; nil when the app comes from a shard, which rendered it
// with the merged tree's source): its entry there, with the source that
// rendered its files, the entry's own or else the earlier header's.
// That source is left out when it names the new tree's code (source,
// SameCode: the commit, whatever URL the clone gives the repository): the header
// then tells the truth for the app too, and a lock stays as a whole render
// at that source writes it.
func keptLock(la LockApp, earlier *Lock, source Source) LockApp {
	if earlier == nil {
		return la
	}
	if la.Source == nil {
		s := earlier.Source
		la.Source = &s
	}
	if la.Source.SameCode(source) {
		la.Source = nil
	}
	return la
}

// appLayout is one rendered app's part of layout: its files, or why it
// has none.
type appLayout struct {
	out    *laidOut
	err    error
	key    string // its finish key ("" when not keyed)
	reused bool   // out is the previous run's (finishedEnv.app)
	cached bool   // its engine result came from the render cache
}

// layoutApps lays out the runs that were rendered (not kept), up to
// GOMAXPROCS apps at once, each reused from the env's previous finish
// when its finish key is unchanged: an app's files depend on its own
// objects and the env's settings only. As each app is laid out, its
// node graphs and engine result are let go, before the next app's files
// are encoded, so that the env's objects and its files are not all in
// memory at once (the peak of a large fleet's render).
func (r *Renderer) layoutApps(res *envconfig.Resolved, runs []*appRun, rd *redact.Redactor, mode envMode) []appLayout {
	out := make([]appLayout, len(runs))
	carry.Each(len(runs), func(i int) {
		run := runs[i]
		if run.kept != nil {
			return
		}
		l := &out[i]
		l.key = r.finishKey(mode.finish, run)
		if l.out = mode.previous.app(run.app.Name, l.key); l.out != nil {
			l.reused = true
		} else {
			l.out, l.err = r.layoutApp(res, run, rd, mode.sources)
		}
		l.cached = r.fromCache(run.res)
		run.objs, run.res = nil, nil
	})
	return out
}

// layoutApp lays out one app of the env res: its object files and
// kustomization.yaml, its Flux Kustomization, its high-level/ files, its
// lock entry and summary (Cached left to the caller).
func (r *Renderer) layoutApp(res *envconfig.Resolved, run *appRun, rd *redact.Redactor, sources bool) (*laidOut, error) {
	app := run.app
	dir := "apps/" + app.Name + "/"
	out := &laidOut{files: map[string][]byte{}, objects: map[string]string{}}
	if sources {
		out.sources = map[string]objectAt{}
	}
	files := out.files
	ids := make([]tree.ID, len(run.objs))
	for i, o := range run.objs {
		n := o.Node
		ids[i] = tree.ID{APIVersion: n.GetApiVersion(), Kind: n.GetKind(), Namespace: n.GetNamespace(), Name: n.GetName()}
	}
	names := tree.FileNames(ids, app.Namespace)
	appFiles := map[string][]byte{}
	var refs []flux.Ref
	imgs := map[string]bool{}
	hasSOPS := false
	raws := rawsOf(run.objs)
	for i, o := range run.objs {
		if o.Raw != nil && !sameSOPS(o) {
			return nil, fmt.Errorf("app %s: %s is SOPS-encrypted and was changed after rendering; this is a bug in kiln", app.Name, ids[i])
		}
		hasSOPS = hasSOPS || objects.NeedsDecryption(o.Node)
		s, err := raws[i].data, raws[i].err
		if err != nil {
			return nil, fmt.Errorf("app %s: serialising %s: %w", app.Name, ids[i], err)
		}
		if _, dup := appFiles[names[i]]; dup {
			// checkEnv refuses duplicate objects first; this keeps a
			// file from ever being overwritten silently.
			return nil, fmt.Errorf("app %s: two objects map to the file %s", app.Name, names[i])
		}
		appFiles[names[i]] = s
		out.objects[dir+names[i]] = objRef(o).String()
		if out.sources != nil {
			out.sources[dir+names[i]] = objectAt{o.File, o.Line}
		}
		refs = append(refs, flux.ObjectRef(o.Node))
		for _, img := range images.List(o.Node) {
			imgs[img] = true
		}
	}
	resources := tree.SortedKeys(appFiles)
	kust, err := kustomizationFile(resources)
	if err != nil {
		return nil, err
	}
	for _, name := range resources {
		files[dir+name] = appFiles[name]
	}
	files[dir+"kustomization.yaml"] = kust

	fk, err := r.fluxKustomization(res, &app, refs, hasSOPS)
	if err != nil {
		return nil, err
	}
	files[tree.FluxFile(app.Name)] = fk

	// The high-level definition, for reviewers.
	hl, err := r.highLevel(res, run, rd)
	if err != nil {
		return nil, err
	}
	for p, data := range hl {
		files["high-level/"+app.Name+"/"+p] = data
	}

	imgList := tree.SortedKeys(imgs)
	out.lock = LockApp{
		Engine:      app.Engine,
		InputDigest: digest([]byte(run.res.InputDigest), run.patches, []byte(app.Namespace), []byte(strings.Join(imgList, "\n"))),
		Objects:     len(run.objs),
		Images:      imgList,
	}
	setOutputDigests(&out.lock, appFiles, rd)
	out.lock.HighLevelDigest = highLevelDigest(hl)
	out.summary = AppSummary{Name: app.Name, Engine: app.Engine, Objects: len(run.objs), Files: len(appFiles) + 1}
	return out, nil
}

// appInterval, appTimeout and appWaits are app's Flux settings as its
// Kustomization (and HelmRelease) has them: its own flux: over kiln.yaml's.
func (r *Renderer) appInterval(app *envconfig.ResolvedApp) string {
	return cmp.Or(app.Flux.Interval, r.p.Flux.Interval)
}

func (r *Renderer) appTimeout(app *envconfig.ResolvedApp) string {
	return cmp.Or(app.Flux.Timeout, r.p.Flux.Timeout)
}

func (r *Renderer) appWaits(app *envconfig.ResolvedApp) bool {
	if app.Flux.Wait != nil {
		return *app.Flux.Wait
	}
	return r.p.Flux.Wait
}

// sourceRef is flux.sourceRef, its namespace flux.namespace when left out.
func (r *Renderer) sourceRef() flux.Ref {
	src := r.p.Flux.SourceRef
	return flux.Ref{Kind: src.Kind, Name: src.Name, Namespace: cmp.Or(src.Namespace, r.p.Flux.Namespace)}
}

// fluxKustomization returns flux/<app>.yaml: the app's Flux
// Kustomization, made of kiln.yaml and the env, and of the app's objects
// (refs, for health checks; hasSOPS, for decryption).
func (r *Renderer) fluxKustomization(res *envconfig.Resolved, app *envconfig.ResolvedApp, refs []flux.Ref, hasSOPS bool) ([]byte, error) {
	env := res.Env.Name
	fluxNS := r.p.Flux.Namespace
	k := flux.Kustomization{
		Name: r.p.FluxName(app.Name, env), Namespace: fluxNS, App: app.Name, Env: env,
		Path:      fluxPath(res.ManifestsPath, app.Name),
		SourceRef: flux.Ref{Kind: r.p.Flux.SourceRef.Kind, Name: r.p.Flux.SourceRef.Name, Namespace: r.p.Flux.SourceRef.Namespace},
		Interval:  r.appInterval(app), Timeout: r.appTimeout(app), Prune: r.p.Flux.Prune, Wait: r.appWaits(app),
		Objects: refs,
	}
	if hasSOPS {
		k.DecryptionSecret = r.p.Flux.DecryptionSecret
		if app.Flux.DecryptionSecret != "" {
			k.DecryptionSecret = app.Flux.DecryptionSecret
		}
	}
	for _, hc := range app.Flux.HealthChecks {
		k.HealthChecks = append(k.HealthChecks, flux.HealthCheck{
			Ref:  flux.Ref{APIVersion: hc.APIVersion, Kind: hc.Kind, Name: hc.Name, Namespace: hc.Namespace},
			File: hc.File, Line: hc.Line,
		})
	}
	// The built-in kinds only: an app's layout is reused by its finish
	// key (finished.go), which covers kiln.yaml, the env file and the
	// app's objects, not the CRDs other apps or validation.crds define.
	builtin := scope.New()

	k.ClusterScoped = func(apiVersion, kind string) bool {
		return builtin.Known(apiVersion, kind) && !builtin.Namespaced(apiVersion, kind)
	}
	for _, e := range app.Flux.HealthCheckExprs {
		k.HealthCheckExprs = append(k.HealthCheckExprs, flux.Expr{APIVersion: e.APIVersion, Kind: e.Kind, Current: e.Current, InProgress: e.InProgress, Failed: e.Failed,
			File: e.File, Line: e.Line})
	}
	for _, d := range app.DependsOn {
		if d.External {
			k.DependsOn = append(k.DependsOn, flux.Ref{Name: d.Name, Namespace: d.Namespace})
		} else {
			k.DependsOn = append(k.DependsOn, flux.Ref{Name: r.p.FluxName(d.Name, env), Namespace: fluxNS})
		}
	}
	// flux/<app>.yaml and apps/<app>/ are applied by two Kustomizations,
	// which Flux reconciles side by side on a new commit: the app's could
	// apply the commit's objects with its earlier spec (without the
	// commit's health checks) and report success on the commit, and with
	// the bootstrap suspended or failing it always would. Depending on
	// the bootstrap, the app's waits until the bootstrap has applied the
	// commit (kustomize-controller's checkDependencies compares the
	// lastAppliedRevision of a dependency of the same source).
	if ns, name, ok := r.p.BootstrapKustomization(env); ok {
		if ref := (flux.Ref{Name: name, Namespace: ns}); !slices.Contains(k.DependsOn, ref) {
			k.DependsOn = append(k.DependsOn, ref)
		}
	}
	obj, err := flux.Build(k)
	if err != nil {
		if errors.As(err, new(*diag.Error)) {
			return nil, diag.ForApp(err, app.Name)
		}
		return nil, fmt.Errorf("app %s: %w", app.Name, err)
	}
	return flux.Marshal(obj)
}

// keptFluxError is fluxKustomization's error for a kept app: a health
// check (or expression) kiln.yaml gives it now may name an object only a
// new render of the app has, and the kept objects are the earlier
// render's (or the shard's, for Merge). The hint says to render the app,
// not to check kiln.yaml against objects kiln.yaml did not render.
func keptFluxError(app string, appFlag bool, err error) error {
	hint := fmt.Sprintf("app %s was kept from the earlier render, and its Flux Kustomization is made of that render's objects: add --app %s, or render the whole env", app, app)
	if !appFlag {
		hint = "render the shards again from the current kiln.yaml"
	}
	var out []error
	for _, e := range diag.Flatten(err) {
		var de *diag.Error
		if errors.As(e, &de) {
			e = de.ForApp(app).WithHint(hint)
		}
		out = append(out, e)
	}
	return diag.Join(out...)
}

// pathJoin joins slash paths, dropping empty parts.
func pathJoin(parts ...string) string {
	var keep []string
	for _, p := range parts {
		p = strings.Trim(p, "/")
		if p != "" && p != "." {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "/")
}

// highLevel returns the files of an app's high-level/ folder: what a
// reviewer reads instead of the hydrated objects.
func (r *Renderer) highLevel(res *envconfig.Resolved, run *appRun, rd *redact.Redactor) (map[string][]byte, error) {
	out := map[string][]byte{}
	// Mask before serialising, so that no escaping or line folding of the
	// serialiser can hide a value from the masking of the bytes after.
	params, _ := rd.Value(withoutSecretVars(run.res.Params, res.Secrets)).(map[string]any)
	switch run.app.Engine {
	case "kustomize":
		for _, p := range run.res.Inputs {
			data, err := r.layoutInput(run, p)
			if err != nil {
				return nil, fmt.Errorf("app %s: reading %s: %w", run.app.Name, p, err)
			}
			out[p] = rd.Bytes(data)
		}
	case "helm":
		data, err := yaml.Marshal(params)
		if err != nil {
			return nil, err
		}
		out["values.yaml"] = rd.Bytes(data)
		hr, err := r.helmReleaseFiles(res, run, rd)
		if err != nil {
			return nil, err
		}
		for name, data := range hr {
			out[name] = rd.Bytes(data)
		}
	case "jsonnet":
		data, err := json.MarshalIndent(params, "", "  ")
		if err != nil {
			return nil, err
		}
		out["args.json"] = rd.Bytes(append(data, '\n'))
	case "yaml":
		vars := params["vars"]
		if vars == nil {
			vars = map[string]any{}
		}
		data, err := yaml.Marshal(vars)
		if err != nil {
			return nil, err
		}
		out["vars.yaml"] = rd.Bytes(data)
	}
	return out, nil
}

// withoutSecretVars returns params, an engine's Result.Params, with the
// value of each secret var among its vars ({"vars": …} of a yaml app or a
// jsonnet file, {"tla": {"vars": …}} of a jsonnet function) replaced by
// redact.Mask. The redactor finds values by their forms and leaves out
// values too short to search for; here the names say which are secret, so
// every secret var is masked, however short. params is not changed.
func withoutSecretVars(params map[string]any, secrets map[string]string) map[string]any {
	if len(secrets) == 0 || params == nil {
		return params
	}
	mask := func(vars any) any {
		switch m := vars.(type) {
		case map[string]any:
			return maskKeys(m, secrets)
		case map[string]string:
			return maskKeys(m, secrets)
		}
		return vars
	}
	out := make(map[string]any, len(params))
	for k, v := range params {
		switch k {
		case "vars":
			v = mask(v)
		case "tla":
			if tla, ok := v.(map[string]any); ok {
				v = withoutSecretVars(tla, secrets)
			}
		}
		out[k] = v
	}
	return out
}

// maskKeys returns m as a map[string]any with the value of each key that
// names a secret replaced by redact.Mask.
func maskKeys[V any](m map[string]V, secrets map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
		if _, secret := secrets[k]; secret {
			out[k] = redact.Mask
		}
	}
	return out
}

// outputDigest is an app's lock output digest over its object files (name
// to bytes, kustomization.yaml not included). The digest is published like
// the lock and the PR body that shows its change: it covers the files with
// every secret value masked, or a Secret allowed to hold a value in plain
// text would make it a guessing oracle for that value.
func outputDigest(appFiles map[string][]byte, rd *redact.Redactor) string {
	var parts [][]byte
	for _, name := range tree.SortedKeys(appFiles) {
		parts = append(parts, []byte(name), rd.Bytes(appFiles[name]))
	}
	return digest(parts...)
}

// setOutputDigests sets la's digests of the app's object files appFiles:
// OutputDigest over them with rd's secret values masked; SecretFiles, the
// files that masking changed, and PlainDigest (plainDigestOf), or neither
// when it changed none.
func setOutputDigests(la *LockApp, appFiles map[string][]byte, rd *redact.Redactor) {
	masked := make(map[string][]byte, len(appFiles))
	var secret []string
	for name, data := range appFiles {
		masked[name] = rd.Bytes(data)
		if !bytes.Equal(masked[name], data) {
			secret = append(secret, name)
		}
	}
	la.OutputDigest = outputDigest(masked, nil)
	la.SecretFiles, la.PlainDigest = nil, ""
	if secret != nil {
		slices.Sort(secret)
		la.SecretFiles, la.PlainDigest = secret, plainDigestOf(appFiles, secret)
	}
}

// highLevelDigest is an app's lock HighLevelDigest over its high-level/
// files (name in the app's folder to bytes). highLevel masks the secret
// values in them, so their bytes are digested as they are.
func highLevelDigest(hl map[string][]byte) string {
	return outputDigest(hl, nil)
}

// plainDigestOf is PlainDigest of appFiles whose files secret (sorted)
// hold secret values. Each file is its name, whether it is a secret
// file, and its bytes unless it is; a secret file that appFiles lacks is
// marked missing, which no render digests.
func plainDigestOf(appFiles map[string][]byte, secret []string) string {
	var parts [][]byte
	for _, name := range tree.SortedKeys(appFiles) {
		if _, held := slices.BinarySearch(secret, name); held {
			parts = append(parts, []byte(name), []byte("secret"), nil)
			continue
		}
		parts = append(parts, []byte(name), []byte("plain"), appFiles[name])
	}
	for _, name := range secret {
		if _, ok := appFiles[name]; !ok {
			parts = append(parts, []byte(name), []byte("missing"), nil)
		}
	}
	return digest(parts...)
}

// kustomizationFile is the kustomization.yaml of an app's folder, listing
// its files. It is emitted by go.yaml.in/yaml/v2 directly: sigs.k8s.io/yaml
// (what wrote it first) goes through JSON and a yaml.v2 parse to the same
// emitter, which leaves strings as they are, and paid that round trip per
// app and env (TestKustomizationFileAsSigsYAML).
func kustomizationFile(resources []string) ([]byte, error) {
	var list any = resources
	if resources == nil {
		list = nil // null, as JSON has it, not yaml.v2's []
	}
	return yamlv2.Marshal(map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  list,
	})
}

// RanRepositories returns the normalised repositories of the images the
// apps of lock run, whether CI gave an image for them or not.
func RanRepositories(lock *Lock) map[string]bool {
	ran := map[string]bool{}
	for _, a := range lock.Apps {
		for _, s := range a.Images {
			if ref, err := images.ParseRef(s); err == nil {
				ran[ref.Repository] = true
			}
		}
	}
	return ran
}

// RanImages returns the images of lock (those CI gave its render, by
// repository) that an app of it runs: whose repository is that of an
// image in an app's output. A given image that no app ran, an app
// disabled in the env or one that names another repository, is left out:
// kiln promote --from must not pass on an image the env it judged healthy
// never ran.
func RanImages(lock *Lock) map[string]string {
	ran := RanRepositories(lock)
	out := map[string]string{}
	for repo, ref := range LockImages(lock) {
		if ran[repo] {
			out[repo] = ref
		}
	}
	return out
}

// LockImages is lock.Images keyed by repositories normalised as ParseRef
// normalises them now: a lock written before the registry was lower-cased
// has "GHCR.IO/acme/app" where its apps' images now parse to
// ghcr.io/acme/app, and promote passed on none of them. A key that does
// not parse stays as it is.
func LockImages(lock *Lock) map[string]string {
	out := make(map[string]string, len(lock.Images))
	for _, repo := range slices.Sorted(maps.Keys(lock.Images)) {
		k := normalisedRepo(repo)
		if _, ok := out[k]; !ok {
			out[k] = lock.Images[repo]
		}
	}
	return out
}
