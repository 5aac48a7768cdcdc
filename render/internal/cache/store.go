package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kiln-gitops/kiln/templates"
)

// magic opens every entry; another format (an older kiln's) is ignored.
//
// v2, after magic: the sha256 of the rest, then the key, the number of
// observations and each one's kind, path and sum (each string a uvarint
// length and its bytes), then the result to the end of the file. v1 was
// one gob stream: gob sends its type descriptors again in every stream,
// and decoding them was most of the cost of reading an entry.
const magic = "kiln render cache\x00v2\n"

// maxEntry bounds what Get reads: the sandbox's own frame bound, since an
// entry holds one engine result as the worker pipe carries it.
const maxEntry = 512 << 20

// keepOtherBuilds is how long the entries of another build of kiln are
// kept after it last opened the cache: two kiln versions used side by side
// keep theirs, an upgrade's leftovers go.
const keepOtherBuilds = 7 * 24 * time.Hour

// A build's own entries accumulate too: every image set, values change or
// commit that moves an app's inputs adds entries, and a cache folder kept
// by actions/cache for one kiln version would grow without end. As Go's
// build cache does, an entry records its last use in its modification
// time (Get and Put refresh a time older than touchAfter, so a hit costs
// no write most of the time), and once a day (trimFile's time) Open
// removes the entries unused for keepUnused.
const (
	keepUnused = 7 * 24 * time.Hour
	touchAfter = time.Hour
	trimEvery  = 24 * time.Hour
	trimFile   = "trim.txt"
)

// ErrCorrupt is the cause of Get's error for an entry that is truncated,
// altered or of another format: the caller renders and Put replaces it.
var ErrCorrupt = errors.New("corrupt cache entry")

// Entry is one cached engine result.
type Entry struct {
	// Deps are the observations the result depends on (Result.Deps).
	Deps []templates.Dep
	// Result is the result as internal/sandbox.MarshalResult encodes it.
	Result []byte
}

// wireEntry is an Entry with the key it was stored under, so that an
// entry copied to another name is not trusted under it.
type wireEntry struct {
	Key string
	Entry
}

// header is e's encoding up to its result.
func (e *wireEntry) header() []byte {
	n := len(e.Key) + 2*binary.MaxVarintLen64
	for _, d := range e.Deps {
		n += len(d.Kind) + len(d.Path) + len(d.Sum) + 3*binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(e.Key)
	b = binary.AppendUvarint(b, uint64(len(e.Deps)))
	for _, d := range e.Deps {
		str(d.Kind)
		str(d.Path)
		str(d.Sum)
	}
	return b
}

// parse decodes what header and the result encode. The result is a slice
// of payload, not a copy.
func parse(payload []byte) (*wireEntry, error) {
	errShort := errors.New("truncated")
	str := func() (string, error) {
		n, k := binary.Uvarint(payload)
		if k <= 0 || n > uint64(len(payload)-k) {
			return "", errShort
		}
		s := string(payload[k : k+int(n)])
		payload = payload[k+int(n):]
		return s, nil
	}
	var e wireEntry
	var err error
	if e.Key, err = str(); err != nil {
		return nil, err
	}
	n, k := binary.Uvarint(payload)
	// Each observation takes at least three bytes: a bound on n before
	// anything is allocated for it.
	if k <= 0 || n > uint64(len(payload)-k)/3 {
		return nil, errShort
	}
	payload = payload[k:]
	if n > 0 {
		e.Deps = make([]templates.Dep, n)
	}
	for i := range e.Deps {
		d := &e.Deps[i]
		if d.Kind, err = str(); err != nil {
			return nil, err
		}
		if d.Path, err = str(); err != nil {
			return nil, err
		}
		if d.Sum, err = str(); err != nil {
			return nil, err
		}
	}
	e.Result = payload
	return &e, nil
}

// Store is one build's folder of entries. Its methods are safe for
// concurrent use, also by several kiln processes on one folder.
type Store struct {
	dir string
	// own holds the entry folders found to be real folders, not symlinks
	// (ownFolder), each looked at once: a hit must not cost an lstat per
	// entry, and a store has at most 256 such folders.
	own sync.Map // folder path -> struct{}

	// failed counts the Puts that failed since TakeFailures, and
	// failedErr is the first one's error: a full disk or a folder kiln
	// may not write costs every later run its full time, which the
	// renders, correct all the same, would never tell.
	failMu    sync.Mutex
	failed    int
	failedErr error
}

// TakeFailures returns how many Puts failed since it was last called,
// and the first one's error, and starts counting afresh.
func (s *Store) TakeFailures() (int, error) {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	n, err := s.failed, s.failedErr
	s.failed, s.failedErr = 0, nil
	return n, err
}

// Open returns the store of build (BuildID) below dir, creating it, and
// removes other builds' folders unused for a week.
func Open(dir, build string) (*Store, error) {
	sum := sha256.Sum256([]byte(build))
	name := hex.EncodeToString(sum[:8])
	s := &Store{dir: filepath.Join(dir, name)}
	// dir is checked before the build's folder is made in it: through a
	// symlink at dir (a restored cache archive may hold one), kiln wrote
	// its entries, and pruned other builds' folders, where the link leads.
	if err := makeFolder(dir); err != nil {
		return nil, err
	}
	if err := makeFolder(s.dir); err != nil {
		return nil, err
	}
	now := time.Now()
	// The folder's time says when this build last ran, for the pruning of
	// other builds below.
	_ = os.Chtimes(s.dir, now, now)
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if !e.IsDir() || e.Name() == name || !isHex(e.Name(), len(name)) {
				continue
			}
			if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > keepOtherBuilds && buildFolder(filepath.Join(dir, e.Name())) {
				_ = os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
	s.trim(now)
	return s, nil
}

// trim removes the store's entries unused for keepUnused, at most once
// per trimEvery: trimFile's time says when it last did. The file is
// written first, so that concurrent runs do not all walk the store. A
// removal races only with a run that uses the entry just then: it misses
// and writes the entry again.
func (s *Store) trim(now time.Time) {
	marker := filepath.Join(s.dir, trimFile)
	// A time in the future (clock skew, or a marker planted in a restored
	// cache) would put the trim off until then: only a time within the
	// last day counts.
	if fi, err := os.Lstat(marker); err == nil && (!fi.Mode().IsRegular() || age(now, fi.ModTime()) < trimEvery) {
		return
	}
	if err := os.WriteFile(marker, []byte(strconv.FormatInt(now.Unix(), 10)+"\n"), 0o600); err != nil {
		return
	}
	folders, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, f := range folders {
		if !f.IsDir() || !entryFolder(f.Name()) {
			continue
		}
		sub := filepath.Join(s.dir, f.Name())
		entries, err := os.ReadDir(sub)
		if err != nil {
			continue
		}
		for _, e := range entries {
			// Entries, and temporary files a killed run left.
			if !e.Type().IsRegular() {
				continue
			}
			if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > keepUnused {
				_ = os.Remove(filepath.Join(sub, e.Name()))
			}
		}
	}
}

// age is how long before now t was; a time after now is no time ago but
// long ago, so that a skewed clock cannot stop the trim.
func age(now, t time.Time) time.Duration {
	if t.After(now) {
		return keepUnused + trimEvery
	}
	return now.Sub(t)
}

// used records that the entry at p, last used at mtime, is in use.
func used(p string, mtime time.Time) {
	if now := time.Now(); now.Sub(mtime) > touchAfter {
		_ = os.Chtimes(p, now, now)
	}
}

// isHex reports whether name is n lower-case hex digits, as kiln names a
// build's folder and the folders of its entries.
func isHex(name string, n int) bool {
	if len(name) != n {
		return false
	}
	for _, c := range []byte(name) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ValidationKey is the key of render's kept validation results
// (docs/cache.md, "Validation results"): the one entry a store holds
// under a key that is not hex, in the folder namedFolder.
const ValidationKey = "validate-clean-v1"

// namedFolder is ValidationKey's entry folder (key[:2], as for every
// key), the only one any kiln has made that is not two hex digits. It
// is named here, not derived from the key, because pruning must still
// recognise the build folders earlier kilns left, whatever the key
// becomes.
const namedFolder = "va"

// entryFolder reports whether name is one of the folders of entries
// that Store.path makes: two hex digits, or namedFolder. Put and Get
// refuse a key whose folder is not one, so that every folder a build
// writes is one buildFolder recognises.
func entryFolder(name string) bool {
	return isHex(name, 2) || name == namedFolder
}

// buildFolder reports whether dir holds only what a build's store holds:
// entry folders, and trimFile. --cache-dir may name a folder shared with
// other programs, and pruning must delete nothing but kiln's own.
func buildFolder(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !(e.IsDir() && entryFolder(e.Name())) && !(e.Type().IsRegular() && e.Name() == trimFile) {
			return false
		}
	}
	return true
}

func (s *Store) path(key string) string {
	return filepath.Join(s.dir, key[:2], key)
}

// nameable reports whether key can name an entry: a file name of its
// own, not a path (keys read from an entry must not lead elsewhere), in
// an entry folder.
func nameable(key string) bool {
	return len(key) >= 2 && !strings.ContainsAny(key, `/\`+"\x00") && key[0] != '.' && entryFolder(key[:2])
}

// ValidKey reports whether key is one Key makes: a lowercase hex sha256.
func ValidKey(key string) bool {
	if len(key) != 2*sha256.Size {
		return false
	}
	for _, c := range key {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Get returns the entry stored under key: nil and no error when there is
// none, an error wrapping ErrCorrupt when there is one that cannot be
// trusted.
func (s *Store) Get(key string) (*Entry, error) {
	if !nameable(key) {
		return nil, fmt.Errorf("cache key %q", key)
	}
	p := s.path(key)
	if err := s.ownFolder(filepath.Dir(p)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	data, mtime, err := readEntry(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
	}
	if e.Key != key {
		return nil, fmt.Errorf("%w: %s holds the entry of another key", ErrCorrupt, p)
	}
	used(p, mtime)
	return &e.Entry, nil
}

// checkEntryFile refuses what readEntry (read_unix.go, read_other.go)
// must not read: anything but a regular file of at most maxEntry bytes. A
// missing file is readEntry's error wrapping fs.ErrNotExist.
func checkEntryFile(p string, regular bool, size int64) error {
	if !regular || size < 0 || size > maxEntry {
		return notRegular(p)
	}
	return nil
}

// notRegular is readEntry's error for what is not an entry file.
func notRegular(p string) error {
	return fmt.Errorf("%w: %s is not a regular file of at most %d bytes", ErrCorrupt, p, maxEntry)
}

// shortRead is readEntry's error for a file that held fewer bytes than its
// size said (it was truncated meanwhile).
func shortRead(p string, err error) error {
	return fmt.Errorf("%w: %s: short read: %v", ErrCorrupt, p, err)
}

func decode(data []byte) (*wireEntry, error) {
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, errors.New("not a kiln render cache entry of this format")
	}
	data = data[len(magic):]
	if len(data) < sha256.Size {
		return nil, errors.New("truncated")
	}
	sum, payload := data[:sha256.Size], data[sha256.Size:]
	if got := sha256.Sum256(payload); !bytes.Equal(got[:], sum) {
		return nil, errors.New("checksum mismatch")
	}
	return parse(payload)
}

// Put stores e under key, replacing what was there. An identical entry is
// left as it is; another
// is replaced atomically, so a reader sees the old entry or the new, never
// a mix.
func (s *Store) Put(key string, e *Entry) error {
	err := s.put(key, e)
	if err != nil {
		s.failMu.Lock()
		if s.failed == 0 {
			s.failedErr = err
		}
		s.failed++
		s.failMu.Unlock()
	}
	return err
}

func (s *Store) put(key string, e *Entry) error {
	if !nameable(key) {
		return fmt.Errorf("cache key %q", key)
	}
	// The result, often the largest part, is written from where it is,
	// never copied into one buffer with the rest.
	hdr := (&wireEntry{Key: key, Entry: *e}).header()
	h := sha256.New()
	h.Write(hdr)
	h.Write(e.Result)
	head := h.Sum([]byte(magic))
	parts := [][]byte{head, hdr, e.Result}
	p := s.path(key)
	if err := s.ownFolder(filepath.Dir(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if same, mtime := sameEntry(p, parts); same {
		used(p, mtime)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	if err := s.ownFolder(filepath.Dir(p)); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	var werr error
	for _, b := range parts {
		if werr == nil {
			_, werr = f.Write(b)
		}
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), p)
	}
	if werr != nil {
		_ = os.Remove(f.Name())
	}
	return werr
}

// ownFolder is realFolder for dir, an entry folder of the store, looked
// at once per Store when it is one. Get reads, and a hit dates, only
// entries of such folders: through a symlinked folder (a restored cache
// archive may hold one) it read and touched files outside the cache
// folder, and trusted whatever it found there, while Put, refusing to
// write through it, could never replace them.
func (s *Store) ownFolder(dir string) error {
	if _, ok := s.own.Load(dir); ok {
		return nil
	}
	if err := realFolder(dir); err != nil {
		return err
	}
	s.own.Store(dir, struct{}{})
	return nil
}

// realFolder refuses a folder of the store that is not one: a symlink
// (MkdirAll follows it) would have Put write where it leads, outside the
// cache folder. A cache restored from an archive may hold anything.
func realFolder(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink: the render cache reads and writes only below its own folder, never where a link leads", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder: the render cache writes only below its own folder", dir)
	}
	return nil
}

// makeFolder makes dir, a folder of the store, when nothing is there,
// and then refuses it unless it is a real folder (realFolder). Whatever
// is there is looked at before MkdirAll, which would follow a symlink.
func makeFolder(dir string) error {
	if _, err := os.Lstat(dir); err != nil {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	return realFolder(dir)
}

// sameEntry reports whether the file at p holds exactly parts, one after
// the other. It reads in small pieces, so that no second copy of a large
// entry is held; a damaged entry with the right head is not the same, and
// is replaced. The time is the file's modification time. O_NONBLOCK
// keeps a FIFO where an entry was (Get found it corrupt, and the caller
// renders and puts the entry) from blocking the open; Stat then refuses
// it, and Put replaces it. A symlink is never the same (Get refuses it):
// Put replaces it rather than leave it, and never reads through it.
func sameEntry(p string, parts [][]byte) (bool, time.Time) {
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		return false, time.Time{}
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false, time.Time{}
	}
	defer f.Close()
	size := 0
	for _, b := range parts {
		size += len(b)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(size) {
		return false, time.Time{}
	}
	buf := make([]byte, 64<<10)
	for _, want := range parts {
		for len(want) > 0 {
			n, err := io.ReadFull(f, buf[:min(len(buf), len(want))])
			if err != nil || !bytes.Equal(buf[:n], want[:n]) {
				return false, time.Time{}
			}
			want = want[n:]
		}
	}
	return true, fi.ModTime()
}

// Dir is the store's folder, for messages.
func (s *Store) Dir() string { return s.dir }

// File is the file that holds key's entry, for messages and tests.
func (s *Store) File(key string) string { return s.path(key) }
