package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-gitops/kiln/templates"
)

func baseRequest() *templates.Request {
	return &templates.Request{
		Root: "/repo", App: "web", Namespace: "web", Env: "dev", KubeVersion: "1.31.0",
		Path: "charts/web", ValuesFiles: []string{"values.yaml"},
		Values: map[string]any{"replicas": 1, "image": map[string]any{"tag": "1.0"}},
		JPath:  []string{"lib"}, ExtVars: map[string]any{"a": "b"}, TLAs: map[string]any{"c": true},
		Vars: map[string]string{"HOST": "a.example", "TOKEN": "s3cr3t-value"}, SecretVars: map[string]bool{"TOKEN": true},
		Images: map[string]string{"ghcr.io/acme/web": "ghcr.io/acme/web:1"},
	}
}

// TestKeyCoversEveryField changes one thing at a time: each must give
// another key, since each can change what an engine renders.
func TestKeyCoversEveryField(t *testing.T) {
	base, err := Key("build", "helm", baseRequest())
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Key("build", "helm", baseRequest())
	if base != again {
		t.Fatal("Key is not deterministic")
	}
	changes := map[string]func(r *templates.Request){
		"root":              func(r *templates.Request) { r.Root = "/other" },
		"app":               func(r *templates.Request) { r.App = "api" },
		"namespace":         func(r *templates.Request) { r.Namespace = "other" },
		"env":               func(r *templates.Request) { r.Env = "prod" },
		"kubeVersion":       func(r *templates.Request) { r.KubeVersion = "1.30.0" },
		"path":              func(r *templates.Request) { r.Path = "charts/api" },
		"chartRepo":         func(r *templates.Request) { r.ChartRepo = "https://charts.example" },
		"chartVersion":      func(r *templates.Request) { r.ChartVersion = "1.2.3" },
		"valuesFiles":       func(r *templates.Request) { r.ValuesFiles = append(r.ValuesFiles, "b.yaml") },
		"valuesFiles order": func(r *templates.Request) { r.ValuesFiles = []string{"b.yaml", "values.yaml"} },
		"no valuesFiles":    func(r *templates.Request) { r.ValuesFiles = nil },
		"apiVersions":       func(r *templates.Request) { r.APIVersions = []string{"monitoring.coreos.com/v1"} },
		"apiVersion added": func(r *templates.Request) {
			r.APIVersions = []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"}
		},
		"values int→float":  func(r *templates.Request) { r.Values["replicas"] = 1.0 },
		"values int→string": func(r *templates.Request) { r.Values["replicas"] = "1" },
		"values int→int64":  func(r *templates.Request) { r.Values["replicas"] = int64(1) },
		"nested value":      func(r *templates.Request) { r.Values["image"] = map[string]any{"tag": "1.1"} },
		"value moved":       func(r *templates.Request) { r.Values["image"] = map[string]any{"tag": nil, "1.0": nil} },
		"skipCRDs":          func(r *templates.Request) { r.SkipCRDs = true },
		"jpath":             func(r *templates.Request) { r.JPath = []string{"vendor", "lib"} },
		"extVars":           func(r *templates.Request) { r.ExtVars["a"] = "c" },
		"tlas":              func(r *templates.Request) { r.TLAs["c"] = false },
		"plain var":         func(r *templates.Request) { r.Vars["HOST"] = "b.example" },
		"var added":         func(r *templates.Request) { r.Vars["PORT"] = "80" },
		"secret var added":  func(r *templates.Request) { r.Vars["KEY"] = "x"; r.SecretVars["KEY"] = true },
		"var became secret": func(r *templates.Request) { r.SecretVars["HOST"] = true },
		"image":             func(r *templates.Request) { r.Images["ghcr.io/acme/web"] = "ghcr.io/acme/web:2" },
		"no images":         func(r *templates.Request) { r.Images = nil },
	}
	seen := map[string]string{base: "base"}
	for name, change := range changes {
		r := baseRequest()
		change(r)
		k, err := Key("build", "helm", r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("%s gives the same key as %s", name, other)
		}
		seen[k] = name
	}
	for name, k := range map[string]func() (string, error){
		"engine": func() (string, error) { return Key("build", "jsonnet", baseRequest()) },
		"build":  func() (string, error) { return Key("other build", "helm", baseRequest()) },
	} {
		got, _ := k()
		if got == base {
			t.Errorf("another %s gives the same key", name)
		}
	}
}

// TestKeyHidesSecretValues: a secret var enters the key by name only, so
// rotating it changes nothing and the key says nothing about it.
func TestKeyHidesSecretValues(t *testing.T) {
	a, _ := Key("build", "yaml", baseRequest())
	r := baseRequest()
	r.Vars["TOKEN"] = "another-s3cr3t"
	b, _ := Key("build", "yaml", r)
	if a != b {
		t.Error("a secret var's value changed the key")
	}
}

func TestKeyRefusesUnknownTypes(t *testing.T) {
	r := baseRequest()
	r.Values["odd"] = struct{ X int }{1}
	if _, err := Key("build", "helm", r); err == nil {
		t.Error("a value of an unknown type must make the request uncacheable")
	}
}

func testEntry() *Entry {
	return &Entry{Deps: []templates.Dep{{Kind: "file", Path: "a.yaml", Sum: "sha256:00"}}, Result: []byte("result bytes")}
}

func TestStoreRoundTripAndRefusals(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "build-1")
	if err != nil {
		t.Fatal(err)
	}
	key := "abcdef0123"
	if e, err := s.Get(key); e != nil || err != nil {
		t.Fatalf("empty store: Get = %v, %v", e, err)
	}
	if err := s.Put(key, testEntry()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(key)
	if err != nil || got == nil || !bytes.Equal(got.Result, testEntry().Result) || len(got.Deps) != 1 || got.Deps[0] != testEntry().Deps[0] {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	p := s.path(key)
	good, _ := os.ReadFile(p)

	// An identical Put leaves the file alone (its time too, when it was
	// used within touchAfter).
	old := time.Now().Add(-touchAfter / 2)
	os.Chtimes(p, old, old)
	if err := s.Put(key, testEntry()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); !fi.ModTime().Equal(old) {
		t.Error("an identical entry was rewritten")
	}

	// The entry an older kiln wrote (v1: one gob stream) for the same key.
	var v1 bytes.Buffer
	if err := gob.NewEncoder(&v1).Encode(&wireEntry{Key: key, Entry: *testEntry()}); err != nil {
		t.Fatal(err)
	}
	v1sum := sha256.Sum256(v1.Bytes())
	bad := map[string][]byte{
		"an older kiln's entry (gob)": append(append([]byte("kiln render cache\x00v1\n"), v1sum[:]...), v1.Bytes()...),
		"truncated":                   good[:len(good)-3],
		"empty":                       {},
		"header only":                 good[:len(magic)],
		"one bit flipped":             flip(good, len(good)-1),
		"another format":              append([]byte("kiln render cache\x00v0\n"), good[len(magic):]...),
		"not an entry":                []byte("hello"),
	}
	for name, data := range bad {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		e, err := s.Get(key)
		if e != nil || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Get = %v, %v; want ErrCorrupt", name, e, err)
		}
		// The next Put replaces it.
		if err := s.Put(key, testEntry()); err != nil {
			t.Fatal(err)
		}
		if e, err := s.Get(key); err != nil || e == nil {
			t.Errorf("%s: not replaced by Put: %v", name, err)
		}
	}

	// An entry copied under another key is not trusted there.
	other := "ff00112233"
	os.MkdirAll(filepath.Dir(s.path(other)), 0o700)
	os.WriteFile(s.path(other), good, 0o600)
	if e, err := s.Get(other); e != nil || !errors.Is(err, ErrCorrupt) {
		t.Errorf("an entry under another key's name: Get = %v, %v", e, err)
	}

	// Another build of kiln never sees these entries.
	s2, _ := Open(dir, "build-2")
	if e, _ := s2.Get(key); e != nil {
		t.Error("another build read this build's entry")
	}
}

// TestStoreRefusesKeysThatAreNotNames: a key read from an entry (an env's
// index names its entry) can never make the store read or write a file
// outside its folder.
func TestStoreRefusesKeysThatAreNotNames(t *testing.T) {
	s, err := Open(t.TempDir(), "build-1")
	if err != nil {
		t.Fatal(err)
	}
	// "zz01" is a file name, but no entry folder's: pruning would take a
	// build folder holding it for another program's.
	for _, key := range []string{"", "a", "../../escape", "ab/../../x", `ab\x`, ".hidden", "ab\x00c", "zz01"} {
		if e, err := s.Get(key); e != nil || err == nil {
			t.Errorf("Get(%q) = %v, %v; want an error", key, e, err)
		}
		if err := s.Put(key, testEntry()); err == nil {
			t.Errorf("Put(%q) succeeded", key)
		}
	}
	sum := sha256.Sum256([]byte("x"))
	for key, want := range map[string]bool{hex.EncodeToString(sum[:]): true, strings.ToUpper(hex.EncodeToString(sum[:])): false, "abc": false, "validate-clean-v1": false} {
		if ValidKey(key) != want {
			t.Errorf("ValidKey(%q) = %v", key, !want)
		}
	}
}

// TestStoreWritesOnlyBelowItsFolder: a folder of the store replaced by a
// symlink (a cache restored from an archive that holds one) never makes
// Put write where it leads: the entry is not written, which costs a miss
// next time, never a file outside the cache folder.
func TestStoreWritesOnlyBelowItsFolder(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	s, err := Open(dir, "build-1")
	if err != nil {
		t.Fatal(err)
	}
	key := "ab0123"
	if err := os.Symlink(outside, filepath.Dir(s.path(key))); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(key, testEntry()); err == nil {
		t.Error("Put wrote through a symlinked folder")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("Put wrote %d files where the symlink leads", len(entries))
	}

	// The build's own folder a symlink: the store is not opened.
	dir2 := t.TempDir()
	first, err := Open(dir2, "build-2")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(first.Dir()); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, first.Dir()); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir2, "build-2"); err == nil {
		t.Error("Open took a symlink for the build's folder")
	}

	// The store's folder itself (--cache-dir's renders) a symlink: kiln
	// wrote its build's folder where it led, and pruned the other builds'
	// folders it found there.
	cacheDir, elsewhere := t.TempDir(), t.TempDir()
	stale, err := Open(elsewhere, "stale")
	if err != nil {
		t.Fatal(err)
	}
	if err := stale.Put("aa11", testEntry()); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-8 * 24 * time.Hour)
	if err := os.Chtimes(stale.Dir(), long, long); err != nil {
		t.Fatal(err)
	}
	renders := filepath.Join(cacheDir, "renders")
	if err := os.Symlink(elsewhere, renders); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(renders, "build-3"); err == nil || !strings.Contains(err.Error(), "is a symlink") {
		t.Errorf("Open through a symlinked store folder: %v, want an error saying it is a symlink", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 1 || entries[0].Name() != filepath.Base(stale.Dir()) {
		t.Errorf("where the symlink leads, after Open: %v, want only the stale build's folder", entries)
	}
	if _, err := os.Stat(stale.File("aa11")); err != nil {
		t.Errorf("Open pruned through a symlinked store folder: %v", err)
	}

	// The cache folder above the store is the user's to name, a symlink
	// included (docs/cache.md): followed.
	linked := filepath.Join(t.TempDir(), "cache-link")
	if err := os.Symlink(t.TempDir(), linked); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(filepath.Join(linked, "renders"), "build-4"); err != nil {
		t.Errorf("a symlinked cache folder: %v", err)
	} else if err := s.Put("ab0123", testEntry()); err != nil {
		t.Error(err)
	}
}

// FuzzParseEntry: whatever an entry's bytes after its checksum hold (a
// checksum is no defence against a file written on purpose), parse
// returns an error or an entry, never panics or allocates beyond the
// input's size, and what it returns encodes back to an entry it reads the
// same.
func FuzzParseEntry(f *testing.F) {
	valid := &wireEntry{Key: "abcdef", Entry: *testEntry()}
	f.Add(append(valid.header(), valid.Result...))
	f.Add((&wireEntry{Key: "k"}).header())
	f.Add([]byte{})
	f.Add([]byte{1, 'k', 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, payload []byte) {
		e, err := parse(payload)
		if err != nil {
			return
		}
		if len(e.Deps) > len(payload) {
			t.Fatalf("%d observations from %d bytes", len(e.Deps), len(payload))
		}
		again, err := parse(append(e.header(), e.Result...))
		if err != nil {
			t.Fatalf("an entry parse returned does not parse again: %v", err)
		}
		if again.Key != e.Key || !bytes.Equal(again.Result, e.Result) || !slices.Equal(again.Deps, e.Deps) {
			t.Fatalf("round trip: %+v, then %+v", e, again)
		}
	})
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

// TestOpenPrunesOldBuilds: an upgrade's leftovers go after a week; a
// build used recently stays.
func TestOpenPrunesOldBuilds(t *testing.T) {
	dir := t.TempDir()
	old, _ := Open(dir, "old")
	old.Put("aa11", testEntry())
	// Every build folder a render made holds its validation results too,
	// in a folder that is not two hex digits: the pruning took no build
	// folder for kiln's, and the cache grew with every upgrade.
	if err := old.Put(ValidationKey, testEntry()); err != nil {
		t.Fatal(err)
	}
	recent, _ := Open(dir, "recent")
	recent.Put("bb22", testEntry())
	long := time.Now().Add(-8 * 24 * time.Hour)
	os.Chtimes(old.Dir(), long, long)
	if _, err := Open(dir, "current"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old.Dir()); !os.IsNotExist(err) {
		t.Error("a build unused for 8 days was kept")
	}
	if e, _ := recent.Get("bb22"); e == nil {
		t.Error("a build used recently was pruned")
	}
	// --cache-dir may be a folder other programs use too: an old folder
	// that only looks like a build's by its name is not kiln's to delete.
	for _, name := range []string{"0123456789abcdef", "0123456789ABCDEF", "not-a-build-dir!"} {
		other := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(other, "aa"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(other, namedFolder), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(other, long, long)
	}
	if _, err := Open(dir, "current"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"0123456789abcdef", "0123456789ABCDEF", "not-a-build-dir!"} {
		if _, err := os.Stat(filepath.Join(dir, name, "notes.txt")); err != nil {
			t.Errorf("pruning deleted %s, a folder kiln did not write: %v", name, err)
		}
	}
	// A folder of two letters that are not hex digits is no store's
	// either, namedFolder alone excepted.
	foreign := filepath.Join(dir, "fedcba9876543210")
	if err := os.MkdirAll(filepath.Join(foreign, "vb"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(foreign, long, long)
	if _, err := Open(dir, "current"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "vb")); err != nil {
		t.Errorf("pruning deleted a folder holding vb/, which no kiln writes: %v", err)
	}
}

// TestConcurrentPutGet: several writers and readers on one key (several
// kiln processes sharing a folder) never see a torn entry.
func TestConcurrentPutGet(t *testing.T) {
	s, _ := Open(t.TempDir(), "build")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				e := testEntry()
				e.Result = bytes.Repeat([]byte{byte(i)}, 1000+j)
				if err := s.Put("cc33", e); err != nil {
					t.Error(err)
				}
				if _, err := s.Get("cc33"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

// TestBuildIDNamesThisBinary: the test binary is a Go ELF executable, whose
// linker-made build ID names it.
func TestBuildIDNamesThisBinary(t *testing.T) {
	id, err := BuildID()
	if err != nil {
		t.Fatal(err)
	}
	if len(id) < len("go-buildid:")+20 || id[:len("go-buildid:")] != "go-buildid:" {
		t.Errorf("BuildID() = %q", id)
	}
}

// BenchmarkStoreGet reads an entry the size of one app's on the benchmark
// fleet: a few dozen observations and a few kilobytes of result. A run in
// which one app changed reads one per app.
func BenchmarkStoreGet(b *testing.B) {
	s, err := Open(b.TempDir(), "build-1")
	if err != nil {
		b.Fatal(err)
	}
	e := &Entry{Result: bytes.Repeat([]byte("apiVersion: v1\n"), 300)}
	for i := range 30 {
		e.Deps = append(e.Deps, templates.Dep{Kind: "file", Path: fmt.Sprintf("charts/web/templates/file%d.yaml", i), Sum: "sha256:" + strings.Repeat("ab", 32)})
	}
	key := strings.Repeat("ab", 32)
	if err := s.Put(key, e); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if got, err := s.Get(key); err != nil || got == nil {
			b.Fatal(err)
		}
	}
}

// TestOpenTrimsUnusedEntries: a build's own entries go a week after their
// last use, checked at most once a day; an entry a Get or an identical
// Put uses stays, as does anything not the store's (a symlinked folder's
// files). Without it, every image set a CI job renders adds entries to a
// cache actions/cache keeps for as long as the kiln version lasts.
func TestOpenTrimsUnusedEntries(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "b")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"aa01", "aa02", "aa03", "bb04", "cc05"} {
		if err := s.Put(k, testEntry()); err != nil {
			t.Fatal(err)
		}
	}
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "dd06"), []byte("not the cache's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir(), "dd")); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-8 * 24 * time.Hour)
	for _, p := range []string{s.File("aa01"), s.File("aa02"), s.File("aa03"), s.File("bb04"), filepath.Join(outside, "dd06")} {
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	// Used since: by a hit, and by a Put of the same entry.
	if e, err := s.Get("aa02"); e == nil || err != nil {
		t.Fatalf("Get(aa02) = %v, %v", e, err)
	}
	if err := s.Put("aa03", testEntry()); err != nil {
		t.Fatal(err)
	}

	// Trimmed today already: nothing goes.
	if _, err := Open(dir, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.File("aa01")); err != nil {
		t.Fatalf("trimmed again within a day: %v", err)
	}
	// A marker dated in the future does not put the trim off; nor does
	// a day passing (below).
	future := time.Now().Add(30 * 24 * time.Hour)
	if err := os.Chtimes(filepath.Join(s.Dir(), trimFile), future, future); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.File("aa01")); err == nil {
		t.Fatal("a trim.txt dated in the future stopped the trim")
	}
	if err := s.Put("aa01", testEntry()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(s.File("aa01"), long, long); err != nil {
		t.Fatal(err)
	}
	// A day later.
	yesterday := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(filepath.Join(s.Dir(), trimFile), yesterday, yesterday); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "b"); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]bool{"aa01": false, "aa02": true, "aa03": true, "bb04": false, "cc05": true} {
		if _, err := os.Stat(s.File(k)); (err == nil) != want {
			t.Errorf("entry %s kept = %v, want %v", k, err == nil, want)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "dd06")); err != nil {
		t.Errorf("trim removed a file through a symlinked folder: %v", err)
	}

	// The marker keeps the folder a build's store to the pruning of
	// other builds.
	if err := os.Remove(filepath.Join(s.Dir(), "dd")); err != nil {
		t.Fatal(err)
	}
	if !buildFolder(s.Dir()) {
		t.Error("a store with its trim.txt is no build's folder to the pruning")
	}
}
