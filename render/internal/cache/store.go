package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kiln-gitops/kiln/templates"
)

// magic opens every entry; another format (an older kiln's) is ignored.
const magic = "kiln render cache\x00v1\n"

// maxEntry bounds what Get reads: the sandbox's own frame bound, since an
// entry holds one engine result as the worker pipe carries it.
const maxEntry = 512 << 20

// keepOtherBuilds is how long the entries of another build of kiln are
// kept after it last opened the cache: two kiln versions used side by side
// keep theirs, an upgrade's leftovers go.
const keepOtherBuilds = 7 * 24 * time.Hour

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

// Store is one build's folder of entries. Its methods are safe for
// concurrent use, also by several kiln processes on one folder.
type Store struct {
	dir string
}

// Open returns the store of build (BuildID) below dir, creating it, and
// removes other builds' folders unused for a week.
func Open(dir, build string) (*Store, error) {
	sum := sha256.Sum256([]byte(build))
	name := hex.EncodeToString(sum[:8])
	s := &Store{dir: filepath.Join(dir, name)}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	now := time.Now()
	// The folder's time says when this build last ran, for the pruning of
	// other builds below.
	_ = os.Chtimes(s.dir, now, now)
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if !e.IsDir() || e.Name() == name || len(e.Name()) != len(name) {
				continue
			}
			if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > keepOtherBuilds {
				_ = os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
	return s, nil
}

func (s *Store) path(key string) string {
	return filepath.Join(s.dir, key[:2], key)
}

// nameable reports whether key can name an entry: a file name of its
// own, not a path (keys read from an entry must not lead elsewhere).
func nameable(key string) bool {
	return len(key) >= 2 && !strings.ContainsAny(key, `/\`+"\x00") && key[0] != '.'
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
	data, err := readBounded(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, s.path(key), err)
	}
	if e.Key != key {
		return nil, fmt.Errorf("%w: %s holds the entry of another key", ErrCorrupt, s.path(key))
	}
	return &e.Entry, nil
}

func readBounded(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxEntry {
		return nil, fmt.Errorf("%w: %s is not a regular file of at most %d bytes", ErrCorrupt, p, maxEntry)
	}
	buf := make([]byte, fi.Size())
	n, err := f.ReadAt(buf, 0)
	if n == len(buf) {
		return buf, nil
	}
	return nil, fmt.Errorf("%w: %s: short read: %v", ErrCorrupt, p, err)
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
	var e wireEntry
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Put stores e under key, replacing what was there. An identical entry is
// left as it is; another
// is replaced atomically, so a reader sees the old entry or the new, never
// a mix.
func (s *Store) Put(key string, e *Entry) error {
	if !nameable(key) {
		return fmt.Errorf("cache key %q", key)
	}
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(&wireEntry{Key: key, Entry: *e}); err != nil {
		return err
	}
	sum := sha256.Sum256(payload.Bytes())
	head := append([]byte(magic), sum[:]...)
	p := s.path(key)
	if sameEntry(p, head, payload.Bytes()) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	// Head and payload are written apart: an env's entry is large, and
	// is stored when memory peaks.
	_, werr := f.Write(head)
	if werr == nil {
		_, werr = f.Write(payload.Bytes())
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

// sameEntry reports whether the file at p holds exactly head then
// payload. It reads in small pieces, so that no second copy of a large
// entry is held; a damaged entry with the right head is not the same, and
// is replaced.
func sameEntry(p string, head, payload []byte) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(head)+len(payload)) {
		return false
	}
	buf := make([]byte, 64<<10)
	for _, want := range [][]byte{head, payload} {
		for len(want) > 0 {
			n, err := io.ReadFull(f, buf[:min(len(buf), len(want))])
			if err != nil || !bytes.Equal(buf[:n], want[:n]) {
				return false
			}
			want = want[n:]
		}
	}
	return true
}

// Dir is the store's folder, for messages.
func (s *Store) Dir() string { return s.dir }

// File is the file that holds key's entry, for messages and tests.
func (s *Store) File(key string) string { return s.path(key) }
