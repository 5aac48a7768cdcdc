package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/lockfile"
)

// A changed env is not built anew beside the earlier tree: that costs a
// folder and a link per entry of the env, and removing the earlier tree
// as much again, however small the change. Instead Stage stages only the
// entries that differ (compare.go) in .<env>.kiln-new: each put's entry,
// a file or a whole folder the earlier tree lacks or holds otherwise,
// under its own name, so that a name the file system refuses fails here,
// before anything is committed (in folder g/ when g earlier puts have the
// same name: one folder for most changes, not one for each); and an
// empty folder gone/ for what the ops replace. Commit then
//
//  1. writes the journal .<env>.kiln-journal, the list of ops, to a
//     temporary name and renames it into place: the commit point;
//  2. does each op in order: a put renames the staged entry over the live
//     one (a file over a file in one step; a folder, or anything where a
//     folder goes, is first moved aside to gone/k); a removal moves the
//     live entry to gone/k;
//  3. removes the journal, then .<env>.kiln-new with what it now holds.
//
// A run killed before the journal is in place left the earlier tree as it
// was and a staging folder without a journal: the next run removes it (a
// roll back). A run killed after found its journal: the next run does
// every op again (a roll forward). Each op can tell from what exists
// whether it is done, so doing it twice is doing it once: a put whose
// staged entry is gone was done (staged entries only ever leave by being
// put, and the staging folder is removed only after every put), and a
// removal whose live entry is gone was done. So an env is always brought
// to all the earlier tree or all the new one.

// op is one entry of an env's tree to put in place or remove.
type op struct {
	// path is the entry's slash path in the tree.
	path string
	// put: the staged entry goes to path; else the entry at path is
	// removed.
	put bool
	// dir: the staged entry is a folder holding every new file below
	// path.
	dir bool
}

// The journal's first and last lines: a journal without both is not one
// kiln wrote whole.
const (
	journalHead = "kiln journal v1"
	journalEnd  = "end"
)

func (o op) line() string {
	if o.put {
		return "put " + strconv.Quote(o.path)
	}
	return "del " + strconv.Quote(o.path)
}

// encodeJournal writes ops, one a line, quoted: a path may hold any
// byte but "/" and NUL.
func encodeJournal(ops []op) []byte {
	var b bytes.Buffer
	b.WriteString(journalHead + "\n")
	for _, o := range ops {
		b.WriteString(o.line() + "\n")
	}
	b.WriteString(journalEnd + "\n")
	return b.Bytes()
}

// parseJournal reads what encodeJournal wrote, and refuses anything else:
// a path it names must stay inside the tree.
func parseJournal(data []byte) ([]op, error) {
	lines := strings.Split(string(data), "\n")
	if len(lines) < 3 || lines[0] != journalHead || lines[len(lines)-2] != journalEnd || lines[len(lines)-1] != "" {
		return nil, errors.New("not a whole kiln journal")
	}
	var ops []op
	for i, l := range lines[1 : len(lines)-2] {
		kind, quoted, _ := strings.Cut(l, " ")
		p, err := strconv.Unquote(quoted)
		if err != nil || (kind != "put" && kind != "del") || !cleanPath(p) {
			return nil, fmt.Errorf("line %d: %q is not an op", i+2, l)
		}
		ops = append(ops, op{path: p, put: kind == "put"})
	}
	return ops, nil
}

// kilnOps refuses ops that a killed kiln could not have left: a journal
// is read from the output folder, which may be a checkout of the
// manifests repository, so one may have been committed there rather
// than left by a killed run. kiln puts only its own entries (its lock and
// shard marker, what is in apps/, flux/ and high-level/) and removes any
// entry of the tree (a forced Stage removes the user's), but never Flux's
// bootstrap where the tree holds it, nor anything in a .git folder (a
// hook there would run code). apply refuses a symlink on the way to an
// entry.
func (o *Out) kilnOps(name string, ops []op) error {
	for _, op := range ops {
		// A removal may take any entry of the tree: a forced Stage
		// removes the user's files through its journal too.
		top, _, _ := strings.Cut(op.path, "/")
		ok := !op.put || op.path == lockfile.File || op.path == lockfile.ShardFile || top == "apps" || top == "flux" || top == "high-level"
		for c := range strings.SplitSeq(op.path, "/") {
			if strings.EqualFold(c, ".git") {
				ok = false
			}
		}
		// In a bootstrap folder that is there, or in one holding it (flux).
		for _, d := range o.bootstrap {
			if strings.HasPrefix(op.path+"/", d) || strings.HasPrefix(d, op.path+"/") {
				if _, err := os.Lstat(filepath.Join(o.root, name, filepath.FromSlash(d))); err == nil {
					ok = false
				}
			}
		}
		if !ok {
			return fmt.Errorf("%s: %q is not an entry kiln writes", op.line(), op.path)
		}
	}
	return nil
}

// cleanPath reports whether p is a clean relative slash path below the
// tree's root.
func cleanPath(p string) bool {
	return p != "" && !path.IsAbs(p) && path.Clean(p) == p && p != ".." && !strings.HasPrefix(p, "../")
}

// writeJournal puts the journal of name's ops in place, atomically: the
// commit point of its update.
func (o *Out) writeJournal(name string, ops []op) error {
	tmp := filepath.Join(o.root, journalName(name)+".new")
	if err := o.step("write journal"); err != nil {
		return err
	}
	if err := os.WriteFile(tmp, encodeJournal(ops), filePerm); err != nil {
		return errors.Join(fmt.Errorf("writing the journal of %s: %w", name, err), os.Remove(tmp))
	}
	if err := o.step("rename journal"); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(o.root, journalName(name))); err != nil {
		return errors.Join(fmt.Errorf("writing the journal of %s: %w", name, err), os.Remove(tmp))
	}
	return nil
}

// stagedAt returns where each put of ops is staged, relative to the
// staging folder: g/<its name>, where g puts before it have that name. It
// depends on ops only, so a later run finds the entries of a journal.
func stagedAt(ops []op) []string {
	at := make([]string, len(ops))
	seen := map[string]int{}
	for k, op := range ops {
		if op.put {
			base := path.Base(op.path)
			at[k] = path.Join(strconv.Itoa(seen[base]), base)
			seen[base]++
		}
	}
	return at
}

// apply does op k of name's journal, whose entry is staged at (from
// stagedAt), or finds it done. Every path goes through the output root's
// os.Root: nothing it does leaves the root.
func (o *Out) apply(name string, k int, op op, at string) error {
	live := path.Join(name, op.path)
	// kiln writes no links: one above an entry (an env's apps/ linked to
	// ../.git/hooks in a committed checkout) would take the op elsewhere
	// in the output folder, which os.Root allows.
	if err := o.noLinkAbove(live); err != nil {
		return err
	}
	aside := func() error {
		if err := o.step(fmt.Sprintf("op %d: move aside", k)); err != nil {
			return err
		}
		if err := o.fsys.Rename(live, path.Join(newName(name), goneDir, strconv.Itoa(k))); err != nil {
			return fmt.Errorf("moving %s aside: %w", live, err)
		}
		return nil
	}
	li, err := o.fsys.Lstat(live)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("updating %s: %w", live, err)
	}
	if !op.put {
		if !exists {
			return nil // removed already
		}
		return aside()
	}
	staged := path.Join(newName(name), at)
	if err := o.noLinkAbove(staged); err != nil {
		return err
	}
	si, err := o.fsys.Lstat(staged)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // put already
	case err != nil:
		return fmt.Errorf("updating %s: %w", live, err)
	case si.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symlink, which kiln never stages", staged)
	}
	// rename(2) replaces a file, link or device at live in one step, so
	// a reader finds the earlier file or the new one, never none; it
	// cannot replace a folder, nor put a folder over a file.
	if exists && (li.IsDir() || si.IsDir()) {
		if err := aside(); err != nil {
			return err
		}
	}
	if err := o.step(fmt.Sprintf("op %d: put", k)); err != nil {
		return err
	}
	if err := o.fsys.Rename(staged, live); err != nil {
		return fmt.Errorf("putting %s in place: %w", live, err)
	}
	return nil
}

// noLinkAbove refuses rel, a slash path in the output folder, when a
// folder on its way is a symlink.
func (o *Out) noLinkAbove(rel string) error {
	for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
		if fi, err := o.fsys.Lstat(d); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symlink, which kiln never writes: it will not update %s through it", d, rel)
		}
	}
	return nil
}

// applyAll does every op of name's journal in order, then removes the
// journal: the update is complete.
func (o *Out) applyAll(name string, ops []op) error {
	at := stagedAt(ops)
	for k, op := range ops {
		if err := o.apply(name, k, op, at[k]); err != nil {
			return err
		}
	}
	if err := o.step("remove journal"); err != nil {
		return err
	}
	return os.Remove(filepath.Join(o.root, journalName(name)))
}

// rollForward completes the update of name whose journal a killed run
// left, if any.
func (o *Out) rollForward(name string) error {
	jp := filepath.Join(o.root, journalName(name))
	data, err := readJournal(jp)
	var irregular *limits.IrregularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.As(err, &irregular):
		// kiln writes its journal as a file: a symlink, a FIFO or a
		// folder there is someone else's, neither read through (it may
		// lead to a file of any size, or block the read for ever) nor
		// removed.
		what := irregular.What()
		if irregular.Mode&fs.ModeSymlink != 0 {
			what = "a symlink"
		}
		return &diag.Error{File: jp, Msg: "kiln writes its journal as a file, and this is " + what + ": kiln will neither read nor remove it",
			Hint: "remove " + jp + ", or choose another --out"}
	case err != nil:
		return fmt.Errorf("reading %s, left by an interrupted run: %w", jp, err)
	}
	dir := filepath.Join(o.root, name)
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		// The tree it updated is gone: there is nothing to complete, and
		// the staged entries alone are no tree.
		if err := os.Remove(jp); err != nil {
			return fmt.Errorf("removing %s, left by an interrupted run: %w", jp, err)
		}
		o.warn(jp, "removed the journal of an interrupted update of "+dir+", which is gone", recoverHint)
		return nil
	}
	ops, err := parseJournal(data)
	if err == nil {
		err = o.kilnOps(name, ops)
	}
	if err != nil {
		return &diag.Error{File: jp, Msg: "the journal of an interrupted update of " + dir + " is damaged: " + err.Error(),
			Hint: "kiln cannot tell which of its changes were made: remove " + dir + ", this journal and " + newName(name) + " beside it, and render again"}
	}
	if err := o.applyAll(name, ops); err != nil {
		return fmt.Errorf("completing the update of %s that an interrupted run began: %w", dir, err)
	}
	o.warn(dir, "completed the update of this tree that an interrupted run began", recoverHint)
	return nil
}

// readJournal reads the journal at jp, which must be a regular file of at
// most limits.FileSize bytes; anything else is an error wrapping
// limits.ErrIrregular or limits.ErrLimit.
func readJournal(jp string) ([]byte, error) {
	fi, err := os.Lstat(jp)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &limits.IrregularError{Path: jp, Mode: fi.Mode()}
	}
	// limits.Open refuses what is no regular file once open: the entry
	// may have been swapped since the Lstat.
	f, err := limits.Open(jp)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return limits.ReadAll(f, jp, limits.FileSize)
}

// goneDir is the folder of a staging folder that receives what a
// journal's ops replace or remove.
const goneDir = "gone"

const recoverHint = "an earlier kiln run writing here was interrupted; nothing to do"
