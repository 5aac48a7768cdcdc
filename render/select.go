package render

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/render/internal/images"
	"github.com/kiln-gitops/kiln/render/internal/tree"
	"github.com/kiln-gitops/kiln/templates"
)

// Shard names one of Count stable subsets of an env's apps (kiln render
// --shard Index/Count). The zero value is no sharding.
type Shard struct {
	// Index is 1-based: 1..Count.
	Index int
	// Count is how many shards the apps are split into; 0 or 1: no sharding.
	Count int
}

// String is "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Active reports whether s splits anything.
func (s Shard) Active() bool { return s.Count > 1 }

// ShardOf returns the 1-based shard of app among n. It depends on the
// app's name alone (the first 8 bytes of its SHA-256, modulo n), so adding,
// removing or reordering other apps never moves an app to another shard.
func ShardOf(app string, n int) int {
	if n <= 1 {
		return 1
	}
	sum := sha256.Sum256([]byte(app))
	return int(binary.BigEndian.Uint64(sum[:8])%uint64(n)) + 1
}

// CheckApps returns an error for each name that is no app of kiln.yaml,
// with the closest app name as a hint. The CLI reports it as a usage error.
func CheckApps(p *envconfig.Pipeline, names []string) error {
	all := make([]string, len(p.Apps))
	for i, a := range p.Apps {
		all[i] = a.Name
	}
	var errs []error
	for _, n := range names {
		if p.App(n) != nil {
			continue
		}
		msg := fmt.Sprintf("no app %q in %s", n, path.Base(p.File))
		if c := diag.Closest(n, all); c != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", c)
		}
		errs = append(errs, fmt.Errorf("%s", msg))
	}
	return diag.Join(errs...)
}

// renders reports whether this render runs app's engine: every app, or
// those named by Options.Apps, or those of Options.Shard.
func (r *Renderer) renders(app string) bool {
	if len(r.opts.Apps) > 0 && !r.apps[app] {
		return false
	}
	if r.opts.Shard.Active() && ShardOf(app, r.opts.Shard.Count) != r.opts.Shard.Index {
		return false
	}
	return true
}

// keeping reports whether apps that are not rendered are taken from the
// earlier tree (--app), rather than left out (--shard alone).
func (r *Renderer) keeping() bool { return len(r.opts.Apps) > 0 }

// keptApp is an app taken as it is from an earlier tree.
type keptApp struct {
	// dir is the tree's folder as the user can open it (keptFrom.dir),
	// for messages; "" when unknown.
	dir       string
	files     map[string][]byte // its paths in the tree: apps/<app>/, flux/<app>.yaml
	highLevel map[string][]byte // its high-level/<app>/ files, by name in that folder
	lock      LockApp
	refs      map[string]string // object file → Kind/ns/name, for messages
}

// earlierTree reads the env's earlier tree and its lock, for the apps a
// render keeps. A missing tree or lock is an error that says what to do.
func (r *Renderer) earlierTree(env string) (map[string][]byte, *Lock, error) {
	hint := fmt.Sprintf("render the whole env %s once (without --app), then re-render single apps", env)
	lockPath := inTree(r.earlierDir(env), LockFile)
	if r.opts.Earlier == nil {
		return nil, nil, &diag.Error{Msg: fmt.Sprintf("env %s: --app keeps the other apps from an earlier render, and none was given", env), Hint: hint}
	}
	files, err := r.opts.Earlier(env)
	if errors.Is(err, fs.ErrNotExist) {
		files, err = nil, nil
	}
	if err != nil {
		return nil, nil, &diag.Error{Msg: fmt.Sprintf("env %s: cannot read the earlier render that --app keeps the other apps from: %v", env, err), Err: err, Hint: hint}
	}
	data, ok := files["kiln.lock.json"]
	if !ok {
		return nil, nil, &diag.Error{Msg: fmt.Sprintf("env %s: no earlier render (no kiln.lock.json) to keep the other apps from", env), Hint: hint}
	}
	lock, err := ParseLock(data)
	if err != nil {
		return nil, nil, &diag.Error{File: lockPath, Msg: fmt.Sprintf("env %s: the earlier render's lock is unreadable: %v", env, err), Err: err, Hint: hint}
	}
	if lock.Env != env {
		// Its apps' Flux Kustomizations point at the other env's folder.
		return nil, nil, &diag.Error{File: lockPath, Msg: fmt.Sprintf("env %s: the earlier render in its place is of env %q, and --app keeps the other apps from it", env, lock.Env), Hint: hint}
	}
	return files, lock, nil
}

// earlierDir is the folder of env's earlier tree as the user can open it
// (Options.EarlierDir), "" when not known.
func (r *Renderer) earlierDir(env string) string {
	if r.opts.EarlierDir == nil {
		return ""
	}
	return r.opts.EarlierDir(env)
}

// inTree is p, a path in a tree, as a path the user can open: below dir,
// the tree's folder, unless that is not known ("").
func inTree(dir, p string) string {
	if dir == "" {
		return p
	}
	return dir + "/" + p
}

// keptFrom says where keep takes an app's files from.
type keptFrom struct {
	// dir is the tree's folder, for messages: a shard's when Merge keeps
	// the app, a rendered env's for CheckTree, <out>/<env> for --app
	// (Options.EarlierDir). A path in the tree alone would read as one in
	// the repository (apps/db/ is often the db app's source folder).
	dir string
	// asRendered says the tree is taken as this kiln.yaml's render wrote
	// it (a shard, or a rendered env for CheckTree), not kept beside a
	// new render: its files must be named as kiln names them now and its
	// lock must list the images its objects run.
	asRendered bool
	// hint says what to do when the files are not those kiln wrote; ""
	// gives --app's.
	hint string
	// unknown are, by app, the fields of the lock's entries this kiln
	// does not know (lockfile.UnknownAppFields): such an entry cannot be
	// kept whole, and is refused.
	unknown map[string][]string
	// noDigest skips the comparison of the object files with the lock's
	// digests: Recheck, whose tree CheckTree held to them.
	noDigest bool
}

// shardHint is what to do about a shard whose files are not kiln's.
const shardHint = "render the shard again (kiln render --shard i/n), and give its folder as it was written"

// keep fills run from the earlier tree: the app's files as they are and
// its objects, parsed back, for the checks across apps. The files must be
// those the lock's entry describes (its object files' digest and count, a
// kustomization.yaml listing exactly them, the Flux Kustomization): a file
// removed, added or edited after kiln wrote the tree would otherwise be
// copied as if kiln had written it, an object lost or one Flux never
// applies. rd masks secret values as the lock's output digest does.
func keep(run *appRun, files map[string][]byte, lock *Lock, rd *redact.Redactor, from keptFrom) error {
	name := run.app.Name
	hint := fmt.Sprintf("add --app %s, or render the whole env", name)
	at := func(p string) string { return inTree(from.dir, p) }
	if from.hint != "" {
		hint = from.hint
	}
	la, ok := lock.Apps[name]
	if !ok {
		return &diag.Error{App: name, Msg: "not rendered now, and the earlier render has no entry for it in kiln.lock.json", Hint: hint}
	}
	if fields := from.unknown[name]; len(fields) > 0 {
		// Carried over, a field kiln does not know would be vouched for
		// by a lock of this kiln's, though nothing here keeps it true
		// (it may describe the Flux Kustomization made again); dropped,
		// the entry would no longer be the one kept.
		quoted := make([]string, len(fields))
		for i, f := range fields {
			quoted[i] = strconv.Quote(f)
		}
		return &diag.Error{App: name, File: at(LockFile),
			Msg: fmt.Sprintf("the app's kiln.lock.json entry has a field this kiln does not know (%s): another kiln version wrote it, or a hand edit; kept, the entry would lose it, or vouch for what this kiln cannot check",
				strings.Join(quoted, ", ")),
			Hint: hint}
	}
	hl := map[string][]byte{}
	k := &keptApp{dir: from.dir, files: map[string][]byte{}, highLevel: hl, lock: la, refs: map[string]string{}}
	dir, hlDir := "apps/"+name+"/", "high-level/"+name+"/"
	var paths []string
	for p, data := range files {
		rest, isHL := strings.CutPrefix(p, hlDir)
		switch {
		case isHL:
			hl[rest] = data
		case strings.HasPrefix(p, dir), p == FluxFile(name):
			k.files[p] = data
			if strings.HasPrefix(p, dir) && p != dir+"kustomization.yaml" {
				paths = append(paths, p)
			}
		}
	}
	sort.Strings(paths)
	// Each error says how the app's files differ from what kiln wrote and
	// kiln.lock.json records for it.
	stale := func(p, what string) error {
		return &diag.Error{App: name, File: at(p), Msg: what, Hint: hint}
	}
	if _, ok := files[FluxFile(name)]; !ok {
		return stale(FluxFile(name), "the app's Flux Kustomization is missing, though kiln.lock.json has an entry for the app")
	}
	objFiles := make(map[string][]byte, len(paths))
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = strings.TrimPrefix(p, dir)
		objFiles[names[i]] = files[p]
	}
	if !from.noDigest {
		switch sameOutput(objFiles, la, rd) {
		case outputDiffers:
			why := "one was removed, added or edited after kiln wrote it"
			if !rd.Empty() {
				// The digest covers the files with secret values masked.
				why += ", or a secret var's value it holds has changed"
			} else if la.Older() {
				// A kiln before secretFiles masked the values in the
				// digest without naming the files that hold one: a file
				// holding one in plain differs here though nobody
				// edited it, and saying only "edited" would read as
				// tampering after an upgrade.
				why += fmt.Sprintf(", or one holds a secret var's value in plain: the entry names no secretFiles (an older kiln wrote it; the lock names kiln %q), and its digest masks the value, which this check does not read; a render of the app with this kiln writes the entry anew",
					lock.KilnVersion)
			}
			return stale(dir, "the app's object files are not those its kiln.lock.json entry records: "+why)
		case secretFilesDiffer:
			return stale(dir, "the app's secretFiles and plainDigest in kiln.lock.json are not those of its object files: the lock was edited after kiln wrote it")
		}
	}
	if !from.noDigest && la.HighLevelDigest != "" && highLevelDigest(hl) != la.HighLevelDigest {
		return stale(hlDir, "the app's high-level/ files are not those its kiln.lock.json entry records: one was removed, added or edited after kiln wrote it")
	}
	if want, err := kustomizationFile(names); err != nil || !bytes.Equal(files[dir+"kustomization.yaml"], want) {
		return stale(dir+"kustomization.yaml", "the app's kustomization.yaml does not list exactly its object files (kiln.lock.json): it was edited after kiln wrote it")
	}
	var objs []templates.Object
	var ids []tree.ID // each file's object, when every file holds one
	for _, p := range paths {
		os, err := objects.Parse(files[p], p, 0)
		if err != nil {
			msg := "the earlier render's object file is unreadable"
			// objects.Parse's own message, made to be shown: its error
			// may be several, or not one of kiln's.
			if de := (*diag.Error)(nil); errors.As(err, &de) {
				msg += ": " + de.Msg
			}
			return &diag.Error{App: name, File: at(p), Msg: msg, Err: err, Hint: hint}
		}
		for _, o := range os {
			k.refs[p] = objRef(o).String()
		}
		if len(os) == 1 {
			n := os[0].Node
			ids = append(ids, tree.ID{APIVersion: n.GetApiVersion(), Kind: n.GetKind(), Namespace: n.GetNamespace(), Name: n.GetName()})
		}
		objs = append(objs, os...)
	}
	if len(objs) != la.Objects {
		return stale(dir, fmt.Sprintf("the app's object files hold %d objects, its kiln.lock.json entry %d", len(objs), la.Objects))
	}
	// Whether the files are those kiln writes for the app's namespace now
	// (one object a file, named after it), when that can be told.
	ownNames := run.app.Namespace != "" && len(ids) == len(paths) && namedAs(ids, run.app.Namespace, paths, dir)
	if run.app.Namespace != "" && len(ids) == len(paths) && !ownNames {
		// Named for another namespace: the earlier render gave the app
		// the namespace kiln.yaml or the env file gave it then. Kept, the
		// app would stay there, and the tree could not be promoted (its
		// files are not named for the app's namespace now).
		for _, ns := range namespacesOf(ids) {
			if ns != run.app.Namespace && namedAs(ids, ns, paths, dir) {
				h := fmt.Sprintf("render it too (--app %s), or the whole env", name)
				if from.hint != "" {
					h = from.hint
				}
				return &diag.Error{App: name, File: at(dir),
					Msg:  fmt.Sprintf("the app's object files were rendered for namespace %s, and its namespace is %s now", ns, run.app.Namespace),
					Hint: h}
			}
		}
	}
	if from.asRendered && run.app.Namespace != "" && !ownNames {
		// A tree taken as rendered, or a shard, of this kiln.yaml: kiln
		// writes one object a file, named after the object (layoutApp).
		// A job without the env's secret vars compares the bytes of no
		// file in secretFiles, but still refuses one that holds another
		// object than its name says (a ClusterRoleBinding in a Secret's
		// file).
		if len(ids) != len(paths) {
			return stale(dir, "an object file of the app holds no object or more than one, and kiln writes one object a file")
		}
		for i, want := range tree.FileNames(ids, run.app.Namespace) {
			if paths[i] != dir+want {
				return stale(paths[i], fmt.Sprintf("the file holds %s, which kiln writes to %s", k.refs[paths[i]], dir+want))
			}
		}
	}
	if from.asRendered && !from.noDigest && !slices.Equal(imagesOf(objs), la.Images) {
		// A tree taken as rendered (or a shard) comes from this kiln, which
		// lists every image its objects run: promote --from hands the
		// env's images on by the repositories an app's entry names.
		return stale(dir, "the app's images in kiln.lock.json are not those its object files run: the lock was edited after kiln wrote it")
	}
	run.objs, run.kept = objs, k
	return nil
}

// namedAs reports whether paths (sorted, in dir) are the files kiln
// writes the objects ids (one a file, in the same order) to for an app
// of namespace ns.
func namedAs(ids []tree.ID, ns string, paths []string, dir string) bool {
	for i, want := range tree.FileNames(ids, ns) {
		if paths[i] != dir+want {
			return false
		}
	}
	return true
}

// namespacesOf returns the namespaces of ids, sorted and unique.
func namespacesOf(ids []tree.ID) []string {
	set := map[string]bool{}
	for _, id := range ids {
		if id.Namespace != "" {
			set[id.Namespace] = true
		}
	}
	return tree.SortedKeys(set)
}

// How an app's object files compare with its lock entry (sameOutput).
const (
	outputSame = iota
	outputDiffers
	secretFilesDiffer
)

// sameOutput compares objFiles with the object files la records. rd
// masks the env's secret values as OutputDigest does; nil when they
// cannot be read, and then the files that held none are compared with
// PlainDigest, byte for byte, and those that held one by name only (with
// no SecretFiles, OutputDigest masked nothing and is compared). With rd,
// SecretFiles and PlainDigest must be the files' own too: they are what a
// job without the values holds the files to, so an entry edited to name
// another file secret (whose bytes such a job then does not compare) is
// refused here rather than carried on as kiln's (--app). An entry with
// neither, as a kiln before them wrote it, is held to OutputDigest alone:
// a job without the values compares that, which refuses a file holding
// one.
func sameOutput(objFiles map[string][]byte, la LockApp, rd *redact.Redactor) int {
	if rd != nil {
		var want LockApp
		setOutputDigests(&want, objFiles, rd)
		switch {
		case want.OutputDigest != la.OutputDigest:
			return outputDiffers
		case (len(la.SecretFiles) != 0 || la.PlainDigest != "") &&
			(!slices.Equal(want.SecretFiles, la.SecretFiles) || want.PlainDigest != la.PlainDigest):
			return secretFilesDiffer
		}
		return outputSame
	}
	same := outputDigest(objFiles, nil) == la.OutputDigest
	if len(la.SecretFiles) != 0 {
		secret := slices.Clone(la.SecretFiles)
		slices.Sort(secret)
		same = plainDigestOf(objFiles, secret) == la.PlainDigest
	}
	if !same {
		return outputDiffers
	}
	return outputSame
}

// imagesOf are the container images of objs, sorted and unique, as a
// lock entry lists them (nil for none).
func imagesOf(objs []templates.Object) []string {
	set := map[string]bool{}
	for _, o := range objs {
		for _, img := range images.List(o.Node) {
			set[img] = true
		}
	}
	if len(set) == 0 {
		return nil
	}
	return tree.SortedKeys(set)
}

// mixedImages refuses a tree of kept and rendered apps (kiln render
// --app) in which two apps run one repository at different references.
// The lock records one image per repository, and a whole render gives it
// to every container of that repository: kiln verify would find one of
// the apps different, and kiln promote --from would hand the next env's
// copy of it an image it never ran here. It comes about when a rendered
// app is given another image than a kept app runs, or none while a kept
// app runs the earlier render's. kept says which apps of lock were kept.
func mixedImages(env string, lock *Lock, kept map[string]bool) error {
	type ran struct {
		app, image string
		ref        images.Ref
	}
	var all []ran
	// runs maps each normalised reference to the apps that run it.
	runs := map[string][]string{}
	for _, name := range tree.SortedKeys(lock.Apps) {
		for _, s := range lock.Apps[name].Images {
			if ref, err := images.ParseRef(s); err == nil {
				all = append(all, ran{name, s, ref})
				runs[ref.String()] = append(runs[ref.String()], name)
			}
		}
	}
	var errs []error
	for _, r := range all {
		name, s, ref := r.app, r.image, r.ref
		want, ok := lock.Images[ref.Repository]
		if !ok || ref.String() == want {
			continue
		}
		var msg, hint string
		if kept[name] {
			msg = fmt.Sprintf("kept from the earlier render of env %s (--app does not name it), it runs %s, but the apps rendered now are given %s", env, s, want)
			hint = fmt.Sprintf("render %s too (add --app %s), or the whole env (without --app)", name, name)
		} else {
			by, verb := strings.Join(runs[want], ", "), "runs"
			if len(runs[want]) > 1 {
				verb = "run"
			}
			msg = fmt.Sprintf("it runs %s in env %s, but kiln.lock.json keeps the earlier render's %s, which %s %s", s, env, want, by, verb)
			hint = fmt.Sprintf("give that image again (--image %s), or render %s too, or the whole env (without --app)", want, strings.Join(runs[want], " and "))
		}
		errs = append(errs, &diag.Error{App: name,
			Msg:  msg + ": kiln.lock.json records one image per repository, so kiln verify would find the files different and kiln promote --from would give the next env's " + name + " an image it never ran here",
			Hint: hint})
	}
	return diag.Join(errs...)
}

// lockImagesRun refuses a lock whose given images (Lock.Images) name, for
// a repository an app's objects run, a reference no object runs: a render
// applies each given image to every container of its repository, so such
// a lock was edited after kiln wrote it, and promote --from would hand the
// next env an image this env never ran (RanImages).
func lockImagesRun(lock *Lock, file string, hint string) error {
	var errs []error
	for _, repo := range unrunImages(lock) {
		why := "the lock was edited after kiln wrote it"
		if n := normalisedRepo(repo); registryCase(repo, n) {
			// Not an edit: an older kiln recorded CI's image though it
			// matched no container, and this kiln matches it to n.
			why = fmt.Sprintf("kiln %q wrote the lock, which matched a registry with regard to case and applied it to no object, where this kiln matches it to %s; the tree runs another %s image", lock.KilnVersion, n, n)
		}
		errs = append(errs, &diag.Error{File: file,
			Msg:  fmt.Sprintf("kiln.lock.json gives %s as %q, which no object of the tree runs: %s", repo, lock.Images[repo], why),
			Hint: hint})
	}
	return diag.Join(errs...)
}

// unrunImages returns, sorted, the repositories of lock.Images that an
// app's objects run, but none at the reference lock.Images gives.
func unrunImages(lock *Lock) []string {
	ran := map[string]map[string]bool{} // repository → references run
	for _, la := range lock.Apps {
		for _, s := range la.Images {
			ref, err := images.ParseRef(s)
			if err != nil {
				continue
			}
			if ran[ref.Repository] == nil {
				ran[ref.Repository] = map[string]bool{}
			}
			ran[ref.Repository][ref.String()] = true
		}
	}
	var out []string
	for _, repo := range tree.SortedKeys(lock.Images) {
		// By the repository as kiln normalises it now: a lock of a kiln
		// that matched registries with regard to case keys CI's
		// "GHCR.io/acme/vote" apart from the ghcr.io/acme/vote its apps
		// run. That kiln applied the image to none of them, and promote
		// --from, which finds lock images by the repository normalised
		// (LockImages), would hand it on as one they ran.
		refs, used := ran[normalisedRepo(repo)]
		if !used {
			continue
		}
		given, err := images.ParseRef(lock.Images[repo])
		if err != nil || !refs[given.String()] {
			out = append(out, repo)
		}
	}
	return out
}

// OlderLock reports whether lock holds what only an older kiln writes and
// this kiln checks otherwise: an app entry without secretFiles or
// highLevelDigest (LockApp.Older), or an image keyed by a repository this
// kiln normalises to another. A check that fails over such a lock may fail
// because of it, which its errors say: a caller's hint must not say as a
// fact that someone edited the tree.
func OlderLock(lock *Lock) bool {
	for _, la := range lock.Apps {
		if la.Older() {
			return true
		}
	}
	for repo := range lock.Images {
		if registryCase(repo, normalisedRepo(repo)) {
			return true
		}
	}
	return false
}

// registryCase reports whether a lock's images key repo differs from n,
// its repository normalised, only in case: the registry a kiln before 5
// December 2026 kept as CI spelled it. Any other difference ("redis" for
// docker.io/library/redis) no kiln's lock holds.
func registryCase(repo, n string) bool {
	return repo != n && strings.EqualFold(repo, n)
}

// normalisedRepo is the repository a lock's images key as ParseRef
// normalises it now; repo itself when it does not parse.
func normalisedRepo(repo string) string {
	if ref, err := images.ParseRef(repo); err == nil {
		return ref.Repository
	}
	return repo
}

// CheckTree verifies an env's whole tree that kiln render wrote elsewhere
// (kiln promote --rendered DIR, one folder, no shards) before it is
// promoted as it is, as Merge verifies each shard's apps: every file must
// be one kiln writes (kiln.lock.json, flux/notifications.yaml, one of an
// app the lock names) or one in bootstrap, Flux's bootstrap folders,
// and each app's files those its lock entry records (keep). A file added,
// removed or edited after the render (a README, a hand fix, an artifact
// that lost files on the way) would otherwise reach the manifests
// repository, and the cluster, as if kiln had rendered it. rd masks the
// env's secret values as the lock's output digests do; nil when they
// cannot be read, and then the object files that held none are compared
// byte for byte with the lock's plain digests, and only the bytes of those
// that held a secret value go unchecked (sameOutput). dir names the tree
// in messages; hint says what to do about a file that is not kiln's, ""
// for --rendered's.
func CheckTree(files map[string][]byte, lock *Lock, rd *redact.Redactor, bootstrap []string, dir, hint string) error {
	from := keptFrom{dir: dir, asRendered: true,
		hint: cmp.Or(hint, "render the env again (kiln render --out), and give --rendered its folder as it was written")}
	extraHint := cmp.Or(hint, "remove it from the rendered folder (kiln promote puts exactly what kiln render wrote into the manifests repository), or render the env again")
	var errs []error
	if err := lockImagesRun(lock, dir+"/"+LockFile, from.hint); err != nil {
		errs = append(errs, err)
	}
	for _, name := range tree.SortedKeys(lock.Apps) {
		if err := keep(&appRun{app: envconfig.ResolvedApp{App: envconfig.App{Name: name}}}, files, lock, rd, from); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range tree.SortedKeys(files) {
		if p == LockFile || p == notificationsFile || tree.InBootstrap(p, bootstrap) {
			continue
		}
		if app, ok := lockfile.AppOf(p); ok {
			if _, ok := lock.Apps[app]; ok {
				continue
			}
		}
		errs = append(errs, &diag.Error{File: dir + "/" + p, Msg: "kiln did not write this file: it belongs to no app of the tree's kiln.lock.json",
			Hint: extraHint})
	}
	return diag.Join(errs...)
}

// disabledApps warns about each app --app names that env res does not
// enable: nothing of it is rendered there, and the env's other apps are
// kept as they were, so the run would otherwise say nothing about the app
// that was asked for. kiln graph --app says the same (graph true): its
// graph would show nothing but the app's name among the disabled ones.
// envFile is the env's file, which disables it.
func (r *Renderer) disabledApps(res *envconfig.Resolved, envFile string, graph bool) []diag.Warning {
	what, run := "nothing of it is rendered there", "render"
	if graph {
		what, run = "it is not in the env's graph", "graph"
	}
	if len(r.opts.Apps) == 0 {
		return nil
	}
	enabled := make(map[string]bool, len(res.Apps))
	for _, a := range res.Apps {
		enabled[a.Name] = true
	}
	var out []diag.Warning
	warned := map[string]bool{} // --app may name an app twice
	for _, name := range r.opts.Apps {
		if !enabled[name] && !warned[name] {
			warned[name] = true
			out = append(out, diag.Warning{File: envFile,
				Msg:  fmt.Sprintf("--app %s: env %s does not enable this app, so %s", name, res.Env.Name, what),
				Hint: fmt.Sprintf("leave env %s out of this %s, or enable the app in %s", res.Env.Name, run, envFile)})
		}
	}
	return out
}
