package tree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/lockfile"
)

// Files is an output tree in memory: slash-separated relative path → content.
type Files map[string][]byte

// Check refuses paths that would land outside the tree, a path that is
// both a file and another file's folder, and two paths that differ only
// in case (or a file and a folder that do). Object files never do
// (FileNames), but other files take their names from the sources: a
// kustomize app's high-level/ copies mirror its inputs' paths, and a
// source repository on Linux may hold both Deploy.yaml and deploy.yaml.
// On a case-insensitive file system (macOS's and Windows' defaults) a
// checkout of the tree would hold one of them and show the other as
// changed. The paths are checked in order, so the error is always the
// same one.
func (f Files) Check() error {
	// Checked in map order, which costs nothing more on a tree of 100,000
	// files (Check runs twice an env, every render); only a tree that
	// fails is checked again in order, for the same error every time.
	if f.check(maps.Keys(f)) == nil {
		return nil
	}
	return f.check(slices.Values(slices.Sorted(maps.Keys(f))))
}

// check is Check over the paths in the order given. The error names the
// first path found that is wrong, with the earlier one it folds with.
func (f Files) check(paths iter.Seq[string]) error {
	folds := false // a path whose folded form differs from it
	for p := range paths {
		if !cleanPath(p) {
			return fmt.Errorf("output path %q is not a clean relative path", p)
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := f[d]; ok {
				return fmt.Errorf("output path %q is a file and the folder of %q", d, p)
			}
		}
		folds = folds || !foldsToItself(p)
	}
	if !folds {
		// Distinct paths that fold to themselves cannot fold together,
		// nor a folder with a file (refused above when they are equal),
		// nor their folders, which fold to themselves too.
		return nil
	}
	// The files whose folded form is not their own, by it: a path that
	// folds together with another, or with another's folder, either is
	// one of them or is the folded form of one.
	folded := map[string]string{}
	for p := range paths {
		k := fold(p)
		if q, ok := folded[k]; ok {
			return caseError(q, p)
		}
		if k != p {
			if _, ok := f[k]; ok {
				return caseError(min(k, p), max(k, p))
			}
			folded[k] = p
		}
	}
	for p := range paths {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			k := fold(d)
			if q, ok := folded[k]; ok && q != d {
				return caseError(q, d+"/")
			}
			if _, ok := f[k]; ok && k != d {
				return caseError(k, d+"/")
			}
		}
	}
	return nil
}

// foldsToItself says whether fold(p) == p without computing it: p holds
// no upper-case ASCII letter and no other character than ASCII.
func foldsToItself(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// fold is p as a case-insensitive file system compares it.
func fold(p string) string {
	if foldsToItself(p) {
		return p
	}
	return strings.ToLower(strings.ToUpper(p))
}

func caseError(a, b string) error {
	return &diag.Error{Msg: fmt.Sprintf("output paths %s and %s differ only in case: a checkout on a case-insensitive file system (macOS, Windows) would hold one of them", a, b),
		Hint: "rename one of the source files they are copied from (a kustomize app's inputs are copied to high-level/<app>/ under their own paths)"}
}

// LockFile is the name of an output root's lock: one kiln process at a
// time writes below that root.
const LockFile = ".kiln.lock"

// MarkerFile is the file every tree kiln writes holds. A folder without it
// holds files kiln did not write and is never replaced without Force.
const MarkerFile = "kiln.lock.json"

// The temporary siblings of <root>/<name>, named so that a later run can
// tell what an interrupted one left: .<name>.kiln-new is a tree being
// built, or the earlier tree after the swap, or the changed entries of a
// tree and what they replace (journal.go); .<name>.kiln-old is the
// earlier tree moved aside where the swap takes two renames;
// .<name>.kiln-journal lists the changes being made to <name>
// (.<name>.kiln-journal.new while it is written). Any of them is only
// ever present while a kiln process holds the root's lock, or because one
// was killed.
func newName(name string) string     { return "." + name + ".kiln-new" }
func oldName(name string) string     { return "." + name + ".kiln-old" }
func journalName(name string) string { return "." + name + ".kiln-journal" }

// NotKilnTreeError is a folder kiln would replace that it did not write.
type NotKilnTreeError struct {
	// Dir is the folder.
	Dir string
	// What says what is there instead of a kiln tree.
	What string
	// Hint says what to do; "" gives the hint for a folder kiln did
	// not write at all.
	Hint string
}

func (e *NotKilnTreeError) Error() string {
	hint := e.Hint
	if hint == "" {
		hint = "choose another --out, empty or remove the folder, or pass --force (KILN_FORCE=true) to replace it"
	}
	return (&diag.Error{File: e.Dir, Msg: fmt.Sprintf("%s, so kiln will not replace it", e.What), Hint: hint}).Error()
}

// Out is an output root held by this process: the lock is taken, trees
// or their changes are staged beside their places and put in place
// together by Commit. Close releases everything; it removes what was
// staged but not committed.
type Out struct {
	root      string
	fsys      *os.Root // root, for the ops of a journal
	lock      *lock
	staged    []staged
	warnings  []diag.Warning
	removeAll func(string) error      // os.RemoveAll; tests make it fail
	exchange  func(a, b string) error // exchange; tests take it away
	// bootstrap are the folders of Flux's bootstrap that each tree
	// keeps (BootstrapDirs).
	bootstrap []string
	// stepHook, when set, is called before each step of Commit and of
	// a roll forward that changes the file system; an error stops
	// there, as a kill would. Tests inject faults with it.
	stepHook func(step string) error
}

type staged struct {
	name string // the env: the tree's folder name
	tmp  string // the new tree, or the changed entries
	// ops are the changes to the earlier tree, their entries staged in
	// tmp (journal.go); nil when tmp is the whole new tree.
	ops []op
}

// step calls stepHook.
func (o *Out) step(what string) error {
	if o.stepHook == nil {
		return nil
	}
	return o.stepHook(what)
}

// Open creates root if needed and takes its lock. It fails with a
// *LockedError when another live process holds it; a lock left by a
// process that no longer runs is taken over, with a warning. bootstrap are
// the folders of Flux's bootstrap that every tree written keeps
// (BootstrapDirs); none means BootstrapDir.
func Open(root string, bootstrap ...string) (*Out, error) {
	return open(root, nil, bootstrap...)
}

// open is Open with a stepHook, set before the recovery.
func open(root string, stepHook func(string) error, bootstrap ...string) (*Out, error) {
	if len(bootstrap) == 0 {
		bootstrap = []string{BootstrapDir}
	}
	// Cleaned once, as filepath.Join cleans the paths of the lock, the
	// staged trees and the journal: root itself, opened as given, is
	// another folder when a ".." follows a symlink in it, and the
	// journal found nothing staged there and took every op as done.
	root = filepath.Clean(root)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("creating output folder: %w", err)
	}
	l, stale, err := acquire(filepath.Join(root, LockFile))
	if err != nil {
		return nil, err
	}
	o := &Out{root: root, lock: l, removeAll: os.RemoveAll, exchange: exchange, stepHook: stepHook, bootstrap: bootstrap}
	if o.fsys, err = os.OpenRoot(root); err != nil {
		return nil, errors.Join(fmt.Errorf("opening output folder: %w", err), o.Close())
	}
	if stale != "" {
		o.warn("", fmt.Sprintf("took over the lock %s of an earlier kiln (%s) that no longer runs", filepath.Join(root, LockFile), stale), "")
	}
	// A killed run may have left temporary trees beside any env, not only
	// those this run writes. Holding the lock, nobody else is using them:
	// recover them all now, or a CI job committing the output folder
	// commits a hidden copy of another env's tree (or its deletion).
	if err := o.recoverAll(); err != nil {
		return nil, errors.Join(err, o.Close())
	}
	return o, nil
}

// recoverAll runs recover for every name a temporary tree beside it says.
func (o *Out) recoverAll() error {
	entries, err := os.ReadDir(o.root)
	if err != nil {
		return fmt.Errorf("reading output folder: %w", err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if name, ok := leftoverOf(e.Name()); ok && !seen[name] {
			seen[name] = true
			if err := o.recover(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// leftoverOf returns the tree name a temporary sibling belongs to:
// .<name>.kiln-new, -old, -journal or -journal.new. The names older kilns used
// (.<name>.new-N) are too plain to remove unasked; Stage recovers them for
// the envs it writes.
func leftoverOf(entry string) (string, bool) {
	rest, ok := strings.CutPrefix(entry, ".")
	if !ok {
		return "", false
	}
	for _, suffix := range []string{".kiln-new", ".kiln-old", ".kiln-journal", ".kiln-journal.new"} {
		// Only a name Stage would write: a planted ...kiln-journal
		// (name ".") would otherwise update the output root itself.
		if name, ok := strings.CutSuffix(rest, suffix); ok && treeName(name) {
			return name, true
		}
	}
	return "", false
}

// treeName reports whether name can be an output tree's folder: one
// plain name, not hidden.
func treeName(name string) bool {
	return name != "" && name == filepath.Base(name) && name != "." && name != ".." && !strings.HasPrefix(name, ".")
}

// Warnings are what Open, Stage and Commit noticed without failing:
// leftovers of an interrupted run that were restored or removed, an
// earlier tree that could not be removed.
func (o *Out) Warnings() []diag.Warning { return o.warnings }

func (o *Out) warn(file, msg, hint string) {
	o.warnings = append(o.warnings, diag.Warning{File: file, Msg: msg, Hint: hint})
}

// Stage prepares files as the next tree of <root>/<name>, keeping the
// current tree's bootstrap folders (KeepBootstrap). The current tree must
// be absent, empty or a tree kiln wrote (it holds MarkerFile) that holds
// no entry kiln did not write (foreign), unless force. Unless force,
// replaces, when set, is called with the current tree's lock (when it
// parses) and may refuse the replacement: the lock read for foreign,
// after the recovery of an interrupted run's tree, so that a tree put
// back is the one judged. Leftovers of an interrupted run for name are recovered first.
// Nothing visible changes until Commit.
//
// A current tree that already holds exactly these files is left as it is
// and nothing is staged: no file, folder or modification time changes.
// Otherwise only the entries that differ are staged, in the temporary
// sibling .<name>.kiln-new, for Commit to put in place (journal.go). A
// new tree, one replacing a file (force), and one whose own folder's
// permissions are not kiln's are built whole there instead, and swapped
// in whole.
func (o *Out) Stage(ctx context.Context, name string, files Files, force bool, replaces func(old *lockfile.Lock) error) (err error) {
	if err := files.Check(); err != nil {
		return err
	}
	if !treeName(name) {
		return fmt.Errorf("%q is not a folder name for an output tree", name)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Join(o.root, name)
	if err := o.recover(name); err != nil {
		return err
	}
	old, isDir, err := o.current(dir, files, force, replaces)
	if err != nil {
		return err
	}
	files = KeepBootstrap(old, files, o.bootstrap)
	prev := &earlier{whole: true}
	if isDir {
		if prev, err = compare(ctx, dir, files); err != nil {
			return err
		}
	}
	if prev.unchanged() {
		return nil
	}
	tmp := filepath.Join(o.root, newName(name))
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return fmt.Errorf("creating the new tree's folder: %w", err)
	}
	s := staged{name: name, tmp: tmp}
	if !prev.whole {
		s.ops = prev.ops
	}
	defer func() {
		if err != nil {
			// A half-built tree is never committed and never left behind.
			if rerr := o.removeAll(tmp); rerr != nil {
				err = errors.Join(err, fmt.Errorf("removing the unfinished tree %s: %w", tmp, rerr))
			}
			return
		}
		o.staged = append(o.staged, s)
	}()
	if prev.whole {
		return stagingErr(dir, tmp, writeTree(ctx, tmp, files, SortedKeys(files), ""))
	}
	// os.Root keeps every write below tmp, whatever a path or a file
	// appearing meanwhile says.
	r, err := os.OpenRoot(tmp)
	if err != nil {
		return stagingErr(dir, tmp, err)
	}
	defer r.Close()
	return stagingErr(dir, tmp, stageOps(ctx, r, files, s.ops))
}

// stagingErr says where staging dir's next tree in tmp failed. A write's
// error names the file only within the tree ("writing flux/web.yaml: no
// space left on device"), which does not tell a full or read-only --out
// from the cache's or the temporary folder's file system; and nothing
// said that the earlier tree was kept. An interrupt stays as it is.
func stagingErr(dir, tmp string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &diag.Error{File: dir, Msg: "staging its new tree in " + tmp + ": " + err.Error(), Err: err,
		Hint: dir + " is as it was: make room on its file system, or fix what the error names, and render again"}
}

// stageOps stages the entry of each put, op k's file or folder at
// stagedAt's name, and makes the folder for what the ops replace.
func stageOps(ctx context.Context, r *os.Root, files Files, ops []op) error {
	if err := r.Mkdir(goneDir, dirPerm); err != nil {
		return err
	}
	made := map[string]bool{}
	dirs := map[string]string{} // a folder op's path → its staged name
	for k, at := range stagedAt(ops) {
		if err := ctx.Err(); err != nil {
			return err
		}
		op := ops[k]
		if !op.put {
			continue
		}
		if g := path.Dir(at); !made[g] {
			if err := r.Mkdir(g, dirPerm); err != nil {
				return fmt.Errorf("writing %s: %w", op.path, err)
			}
			made[g] = true
		}
		switch {
		case op.dir:
			if err := r.Mkdir(at, dirPerm); err != nil {
				return fmt.Errorf("writing %s: %w", op.path, err)
			}
			dirs[op.path] = at
		default:
			if err := r.WriteFile(at, files[op.path], filePerm); err != nil {
				return fmt.Errorf("writing %s: %w", op.path, err)
			}
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	// Each new file below a folder op goes into that folder's entry.
	below := map[string][]string{} // a folder op's path → its files
	for _, p := range SortedKeys(files) {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := dirs[d]; ok {
				below[d] = append(below[d], strings.TrimPrefix(p, d+"/"))
				break
			}
		}
	}
	for _, d := range SortedKeys(below) {
		sub, err := r.OpenRoot(dirs[d])
		if err != nil {
			return err
		}
		err = writeAll(ctx, sub, files, below[d], d+"/")
		sub.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// writeAll writes the files rels (sorted) below r, each holding
// files[prefix+rel], making their folders once each.
func writeAll(ctx context.Context, r *os.Root, files Files, rels []string, prefix string) error {
	made := map[string]bool{}
	for _, rel := range rels {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := prefix + rel
		if d := path.Dir(rel); d != "." && !made[d] {
			if err := r.MkdirAll(d, dirPerm); err != nil {
				return fmt.Errorf("writing %s: %w", p, err)
			}
			made[d] = true
		}
		if err := r.WriteFile(rel, files[p], filePerm); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	return nil
}

// current checks that dir may be replaced and returns the files of its
// bootstrap folders, to keep, and whether dir is a folder.
func (o *Out) current(dir string, files Files, force bool, replaces func(*lockfile.Lock) error) (Files, bool, error) {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("reading output folder: %w", err)
	case !fi.IsDir():
		if !force {
			return nil, false, &NotKilnTreeError{Dir: dir, What: "this is a file or a link, not a folder"}
		}
		return nil, false, nil
	}
	if !force {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, false, fmt.Errorf("reading output folder: %w", err)
		}
		if len(entries) > 0 && !o.bootstrapOnly(dir, entries) {
			mi, err := os.Lstat(filepath.Join(dir, MarkerFile))
			if err != nil || !mi.Mode().IsRegular() {
				return nil, false, &NotKilnTreeError{Dir: dir, What: fmt.Sprintf("this folder holds %s and no %s: kiln did not write it", entriesText(len(entries)), MarkerFile)}
			}
			lock, _ := lockfile.Parse(readOr(filepath.Join(dir, MarkerFile)))
			if replaces != nil && lock != nil {
				if err := replaces(lock); err != nil {
					return nil, false, err
				}
			}
			found, lockBad, err := foreign(dir, files, o.bootstrap, lock)
			if err != nil {
				return nil, false, err
			}
			if len(found) > 0 {
				return nil, false, foreignError(dir, found, lockBad)
			}
		}
	}
	var old Files
	for _, d := range o.bootstrap {
		boot := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(d, "/")))
		switch bi, err := os.Lstat(boot); {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, false, fmt.Errorf("keeping Flux's bootstrap files: %w", err)
		case !bi.IsDir():
			return nil, false, fmt.Errorf("keeping Flux's bootstrap files: %s is not a folder", boot)
		}
		kept, err := read(boot)
		if err != nil {
			return nil, false, fmt.Errorf("keeping Flux's bootstrap files: %w", err)
		}
		if old == nil {
			old = Files{}
		}
		for p, data := range kept {
			old[d+p] = data
		}
	}
	return old, true, nil
}

// bootstrapOnly reports whether dir, whose entries are entries, holds
// nothing but Flux's bootstrap (a folder of o.bootstrap): `flux bootstrap
// --path <manifests.path>/flux` run before kiln's first render. Such a
// folder is kiln's to write into, keeping the bootstrap, as promote does.
func (o *Out) bootstrapOnly(dir string, entries []fs.DirEntry) bool {
	if len(entries) != 1 || entries[0].Name() != "flux" || !entries[0].IsDir() {
		return false
	}
	flux, err := os.ReadDir(filepath.Join(dir, "flux"))
	if err != nil || len(flux) == 0 {
		return false
	}
	for _, e := range flux {
		if !e.IsDir() || !slices.Contains(o.bootstrap, "flux/"+e.Name()+"/") {
			return false
		}
	}
	return true
}

// Commit puts every staged env in place, in the order staged. The
// changed entries of an env are put in place by a journal that a later
// run completes if this one is killed (journal.go). A tree staged whole
// is swapped in with one atomic exchange of two folders where the system
// has one (Linux), else two renames that a later run completes if this
// one is killed in between. What an env's update replaced is removed
// afterwards; what cannot be is a warning naming it, not an error: the
// new tree is in place. ctx is checked once, before the first env.
func (o *Out) Commit(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for len(o.staged) > 0 {
		s := o.staged[0]
		dir := filepath.Join(o.root, s.name)
		if s.ops != nil {
			if err := o.commitOps(s, dir); err != nil {
				return err
			}
			continue
		}
		oldTree, err := o.swap(s, dir)
		if err != nil {
			return err
		}
		o.staged = o.staged[1:]
		if oldTree == "" {
			continue
		}
		if err := o.removeAll(oldTree); err != nil {
			o.warn(oldTree, fmt.Sprintf("the new tree of %s is in place, but the earlier one could not be removed: %v", dir, err),
				"remove "+oldTree+" by hand; the next kiln run writing "+o.root+" also tries")
		}
	}
	return nil
}

// commitOps writes s's journal, the commit point of its update, then
// does its ops and removes what they left.
func (o *Out) commitOps(s staged, dir string) error {
	if err := o.writeJournal(s.name, s.ops); err != nil {
		return err
	}
	// Committed: should anything below fail, the journal and the staged
	// entries are the next run's to complete, not Close's to remove.
	o.staged = o.staged[1:]
	if err := o.applyAll(s.name, s.ops); err != nil {
		return fmt.Errorf("updating %s: %w (the next kiln run writing %s completes the update)", dir, err, o.root)
	}
	if err := o.step("remove staging"); err != nil {
		return err
	}
	if err := o.removeAll(s.tmp); err != nil {
		o.warn(s.tmp, fmt.Sprintf("the new tree of %s is in place, but what it replaced could not be removed: %v", dir, err),
			"remove "+s.tmp+" by hand; the next kiln run writing "+o.root+" also tries")
	}
	return nil
}

// swap puts s.tmp at dir and returns where the earlier tree now is ("" when
// there was none).
func (o *Out) swap(s staged, dir string) (string, error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(s.tmp, dir); err != nil {
			return "", fmt.Errorf("moving the new tree into place: %w", err)
		}
		return "", nil
	}
	switch err := o.exchange(s.tmp, dir); {
	case err == nil:
		return s.tmp, nil // the earlier tree now has the temporary name
	case !errors.Is(err, errNoExchange):
		return "", fmt.Errorf("swapping the new tree into place: %w", err)
	}
	// Two renames. A kill between them leaves no dir, the earlier tree at
	// .<name>.kiln-old and the new one at .<name>.kiln-new: recover puts
	// the earlier one back.
	old := filepath.Join(o.root, oldName(s.name))
	if err := os.Rename(dir, old); err != nil {
		return "", fmt.Errorf("moving the earlier tree aside: %w", err)
	}
	if err := os.Rename(s.tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return "", fmt.Errorf("moving the new tree into place: %w; the earlier tree is at %s (%v)", err, old, rerr)
		}
		return "", fmt.Errorf("moving the new tree into place: %w", err)
	}
	return old, nil
}

// recover restores or removes what an interrupted run left beside
// <root>/<name>, saying so: the update its journal lists completed, the
// earlier tree back in place if a run died between two renames, and every
// temporary tree removed. It also knows the names kiln used before
// (.<name>.new-N, .<name>.new-N.old).
func (o *Out) recover(name string) error {
	if err := o.rollForward(name); err != nil {
		return err
	}
	dir := filepath.Join(o.root, name)
	entries, err := os.ReadDir(o.root)
	if err != nil {
		return fmt.Errorf("reading output folder: %w", err)
	}
	var olds, junk []string
	for _, e := range entries {
		n := e.Name()
		legacy, legacyOld := legacyLeftover(name, n)
		switch {
		case n == oldName(name), legacyOld:
			olds = append(olds, filepath.Join(o.root, n))
		case n == newName(name), n == journalName(name)+".new", legacy:
			junk = append(junk, filepath.Join(o.root, n))
		}
	}
	const hint = recoverHint
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) && len(olds) > 0 {
		// Only one earlier tree can have been moved aside: runs hold the
		// lock, and a run that finds dir missing restores it first.
		if err := os.Rename(olds[0], dir); err != nil {
			return fmt.Errorf("restoring the earlier tree %s from %s: %w", dir, olds[0], err)
		}
		o.warn(dir, "restored the earlier tree from "+olds[0]+", left by an interrupted run", hint)
		olds = olds[1:]
	}
	for _, p := range append(olds, junk...) {
		if err := o.removeAll(p); err != nil {
			return fmt.Errorf("removing %s, left by an interrupted run: %w", p, err)
		}
		o.warn(p, "removed a temporary tree left by an interrupted run", hint)
	}
	return nil
}

// legacyLeftover reports whether entry is what a kiln before the
// .kiln-new names left beside <root>/<name>: .<name>.new-N, its
// os.MkdirTemp folder (N its random digits), and whether it is that
// folder's .old. Only those exact names: a user's .<name>.new-notes is
// not kiln's to remove.
func legacyLeftover(name, entry string) (leftover, old bool) {
	rest, ok := strings.CutPrefix(entry, "."+name+".new-")
	if !ok {
		return false, false
	}
	rest, old = strings.CutSuffix(rest, ".old")
	if rest == "" || strings.Trim(rest, "0123456789") != "" {
		return false, false
	}
	return true, old
}

// Close removes the trees staged but not committed and releases the lock.
func (o *Out) Close() error {
	var errs []error
	for _, s := range o.staged {
		if err := o.removeAll(s.tmp); err != nil {
			errs = append(errs, fmt.Errorf("removing the unused new tree %s: %w", s.tmp, err))
		}
	}
	o.staged = nil
	if o.fsys != nil {
		errs = append(errs, o.fsys.Close())
		o.fsys = nil
	}
	if o.lock != nil {
		errs = append(errs, o.lock.release())
		o.lock = nil
	}
	return errors.Join(errs...)
}

// Write replaces the folder dir with exactly files (and the bootstrap files
// it held), under the lock of dir's parent: Open, Stage, Commit, Close.
// Warnings are returned with a nil error.
func Write(ctx context.Context, dir string, files Files, force bool) ([]diag.Warning, error) {
	o, err := Open(filepath.Dir(dir))
	if err != nil {
		return nil, err
	}
	err = o.Stage(ctx, filepath.Base(dir), files, force, nil)
	if err == nil {
		err = o.Commit(ctx)
	}
	return o.Warnings(), errors.Join(err, o.Close())
}

// UnfinishedError is a tree whose update an interrupted kiln run began:
// until a run completes it, some of its entries are new and others not.
type UnfinishedError struct {
	// Dir is the tree.
	Dir string
}

func (e *UnfinishedError) Error() string {
	return (&diag.Error{File: e.Dir, Msg: "a kiln run is updating this tree, or was interrupted while it did (" + journalName(filepath.Base(e.Dir)) + " is beside it)",
		Hint: "wait for it, or run kiln render for the whole env (without --app): it completes the update first"}).Error()
}

// Read loads the regular files below dir, slash paths relative to it. A
// missing dir is an error (errors.Is fs.ErrNotExist); so is any file that is
// not regular: kiln's trees hold none, and following a symlink could read
// from anywhere. The tree is bounded (limits.TreeFile, TreeSize,
// TreeFiles, lowered by tests through readBounds), each file's size
// checked before it is read: a bound passed is a *limits.Error naming the
// file. A tree whose update is under way or was interrupted
// (its journal is beside it, before or after the read) is an
// *UnfinishedError: part of it would be the earlier tree, part the new.
func Read(dir string) (Files, error) {
	journal := filepath.Join(filepath.Dir(dir), journalName(filepath.Base(dir)))
	unfinished := func() error {
		if _, err := os.Lstat(journal); err == nil {
			return &UnfinishedError{Dir: dir}
		}
		return nil
	}
	if err := unfinished(); err != nil {
		return nil, err
	}
	files, err := read(dir)
	if err != nil {
		return nil, err
	}
	if err := unfinished(); err != nil {
		return nil, err
	}
	return files, nil
}

// ReadOutput reads the tree <root>/<name> that a writer (Open) put in
// the output root, as Read does, holding the root's lock shared while it
// reads: readers read together, but never while a kiln render writes
// there, which is a *LockedError (Reading) naming it rather than a tree
// read half written. The lock file is root's, outside the tree read. A
// root this process may not write (a read-only artifact) is read without
// the lock when it holds no lock file, since no writer is in it then; a
// missing root is Read's error.
func ReadOutput(root, name string) (Files, error) {
	l, err := acquireShared(filepath.Join(root, LockFile))
	if err != nil {
		return nil, err
	}
	defer l.releaseShared()
	return Read(filepath.Join(root, name))
}

// ReadNamed reads the tree <root>/<name> of a folder the user named
// for reading only (kiln diff --against DIR), as ReadOutput does, but
// creates nothing in root: root may be any folder, a checkout of the
// manifests repository among them, where a lock file left by a killed
// reader would show as a file nobody wrote. When root holds a lock file
// (a render writes there, or readers read), it is taken shared as
// ReadOutput does. When it holds none, no render writes there now; one
// that starts during the read creates its lock file, and its swap renames
// in root, either of which changes root's modification time: a root that
// changed, or holds a lock file, after the read is an error, not a tree
// that may be half one render's and half another's.
func ReadNamed(root, name string) (Files, error) {
	lock := filepath.Join(root, LockFile)
	if _, err := os.Lstat(lock); err == nil {
		return ReadOutput(root, name)
	}
	before, err := os.Stat(root)
	if err != nil {
		return Read(filepath.Join(root, name)) // Read's error for a missing root
	}
	files, err := Read(filepath.Join(root, name))
	if err != nil {
		return nil, err
	}
	afterNamedRead(root)
	after, serr := os.Stat(root)
	_, lerr := os.Lstat(lock)
	if serr != nil || lerr == nil || !after.ModTime().Equal(before.ModTime()) {
		return nil, &diag.Error{File: root, Msg: fmt.Sprintf("the folder changed while kiln read %s (a kiln render writing it, or another process), so what was read may be half one tree and half another", name),
			Hint: "run this again when nothing writes the folder"}
	}
	return files, nil
}

// afterNamedRead runs between ReadNamed's read and its second look at
// root; tests change root there.
var afterNamedRead = func(root string) {}

// readBounds are Read's bounds; tests lower them.
var readBounds = struct{ file, size, files int64 }{limits.TreeFile, limits.TreeSize, limits.TreeFiles}

func read(dir string) (Files, error) {
	files := Files{}
	budget := &limits.TreeBudget{Input: dir, File: readBounds.file, Size: readBounds.size, Files: readBounds.files}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := budget.Take(p, info.Size()); err != nil {
			return err
		}
		// No more than was counted: a file that grew since is refused.
		data, err := limits.ReadFileMax(p, p, info.Size())
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading tree %s: %w", dir, err)
	}
	return files, nil
}

// entriesText counts a folder's entries in English.
func entriesText(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}
