package render

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/kiln-gitops/kiln/internal/lockfile"
)

// LockFile is the name of an env tree's provenance file.
const LockFile = lockfile.File

// Provenance fields of kiln.lock.json say where and how a tree was made,
// not what it holds: the source (repository, commit, dirty), kiln's version
// and each app's input digest (a comment in a template changes it, not the
// output) and own source (an app kiln render --app kept from an earlier
// render). Two trees that differ in these alone deploy the same objects, so
// a new source commit that changes no object is no change to promote or
// show. Nor do the digests that only restate the tree's files (each app's
// secretFiles, plainDigest and highLevelDigest, which --rendered checks
// the files against): with every file the same they can differ only where
// one kiln writes them and an older one did not, and that alone must not
// open a pull request in every env; but for an app's secretFiles gained
// (gainsSecretFiles), which a job without the secret values needs to
// check that app's files at all. Everything else in the lock counts:
// the images above all, which kiln promote --from hands to the next env
// even when no app of this env uses them.

// SameButProvenance reports whether two kiln.lock.json files differ in
// nothing but their provenance fields (and the digests of the tree's own
// files). A file that does not parse is never the same.
func SameButProvenance(a, b []byte) bool {
	return sameLockWithout(a, b, provenanceFields, provenanceAppFields)
}

// provenanceFields and provenanceAppFields are what SameButProvenance
// leaves out of a lock and of each app entry.
var (
	provenanceFields    = []string{"source", "kilnVersion"}
	provenanceAppFields = append([]string{"inputDigest", "source"}, fileDigests...)
)

// SameButDigestsOf reports whether two kiln.lock.json files differ in
// nothing but the digests that restate the tree's own files, which a lock
// an older kiln wrote lacks, and the output digests of apps: kiln verify,
// which compares every file of the tree itself, takes two such locks for
// the same, and names apps whose files differ in a way it cannot judge (a
// SOPS file it cannot decrypt, which it reports itself).
func SameButDigestsOf(a, b []byte, apps []string) bool {
	ma, ok1 := lockWithout(a, nil, fileDigests)
	mb, ok2 := lockWithout(b, nil, fileDigests)
	if !ok1 || !ok2 {
		return false
	}
	for _, m := range []map[string]any{ma, mb} {
		entries, _ := m["apps"].(map[string]any)
		for _, app := range apps {
			if entry, ok := entries[app].(map[string]any); ok {
				delete(entry, "outputDigest")
			}
		}
	}
	return reflect.DeepEqual(ma, mb)
}

// fileDigests are the fields of a lock's app entry that restate its files.
var fileDigests = []string{"secretFiles", "plainDigest", "highLevelDigest"}

// sameLockWithout reports whether locks a and b are the same without the
// top-level fields top and the fields app of each app entry.
func sameLockWithout(a, b []byte, top, app []string) bool {
	ma, ok1 := lockWithout(a, top, app)
	mb, ok2 := lockWithout(b, top, app)
	return ok1 && ok2 && reflect.DeepEqual(ma, mb)
}

// lockWithout is a lock without the top-level fields top and the fields
// app of each app entry.
func lockWithout(data []byte, top, app []string) (map[string]any, bool) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, false
	}
	for _, k := range top {
		delete(m, k)
	}
	if apps, ok := m["apps"].(map[string]any); ok {
		for _, a := range apps {
			if entry, ok := a.(map[string]any); ok {
				for _, k := range app {
					delete(entry, k)
				}
			}
		}
	}
	return m, true
}

// gainsSecretFiles reports whether lock b names the secretFiles of an app
// whose entry in lock a names none: a lock an older kiln wrote, over files
// that hold a secret var's value in plain. A job without the values (the
// promotion gate of kiln promote --from, --rendered) holds such an app's
// files to an output digest taken with the values masked, and refuses
// them; kept, that lock would have the gate refuse the env on every
// promotion until an object of the app changed.
func gainsSecretFiles(a, b []byte) bool {
	la, err1 := ParseLock(a)
	lb, err2 := ParseLock(b)
	if err1 != nil || err2 != nil {
		return false
	}
	for name, e := range lb.Apps {
		if old, ok := la.Apps[name]; ok && len(e.SecretFiles) > 0 && len(old.SecretFiles) == 0 && old.PlainDigest == "" {
			return true
		}
	}
	return false
}

// provesBetter reports whether one clean source commit rendered all of
// lock a and none rendered all of lock b (b was rendered outside git or
// from uncommitted changes, or keeps apps from renders at other commits):
// then a's provenance is worth a commit of its own, since only a commit
// that renders the tree lets kiln verify prove it.
func provesBetter(a, b []byte) bool {
	la, err1 := ParseLock(a)
	lb, err2 := ParseLock(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return Proven(la) && !Proven(lb)
}

// Proven reports whether one clean source commit rendered every app of
// lock: its source names a commit, without uncommitted changes, and no app
// was kept from a render at another source (kiln render --app). Only such a
// tree can kiln verify prove, and kiln promote --from render the next env
// from.
func Proven(lock *Lock) bool {
	return lock.Source.Commit != "" && !lock.Source.Dirty && len(KeptApps(lock)) == 0
}

// KeptApps returns the apps of lock whose files were rendered from another
// source than the lock's (LockApp.Source), sorted.
func KeptApps(lock *Lock) []string { return lock.KeptApps() }

// KeepProvenance returns files with old's kiln.lock.json when the two
// trees differ in nothing but the lock's provenance fields (see
// SameButProvenance), and files itself otherwise; neither argument
// changes. The earlier tree then stays byte for byte as it is: its lock
// keeps naming the source commit that last changed an object, which is
// still a commit that renders it (kiln verify). When anything else
// differs, the new lock with the new provenance is kept with the rest; and
// so it is when only the new lock names a clean commit (the old one was
// rendered outside git or from uncommitted changes, which no commit
// renders).
func KeepProvenance(old, files map[string][]byte) map[string][]byte {
	ol, ok1 := old[LockFile]
	nl, ok2 := files[LockFile]
	if !ok1 || !ok2 || bytes.Equal(ol, nl) || len(old) != len(files) {
		return files
	}
	for p, data := range files {
		if p == LockFile {
			continue
		}
		if o, ok := old[p]; !ok || !bytes.Equal(o, data) {
			return files
		}
	}
	if !SameButProvenance(ol, nl) || provesBetter(nl, ol) || gainsSecretFiles(ol, nl) {
		return files
	}
	out := make(map[string][]byte, len(files))
	for p, data := range files {
		out[p] = data
	}
	out[LockFile] = ol
	return out
}
