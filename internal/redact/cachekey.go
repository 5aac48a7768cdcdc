package redact

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// CacheKeyFile is the file in a cache folder that holds its secret key.
const CacheKeyFile = "secret-key"

// CacheKeyer fingerprints secret values for a local cache, so that a
// cached render is not reused after a secret rotates, without publishing
// anything that allows an offline guess. kiln.lock.json covers secret vars
// by name only; a cache that must notice a new value keys on Sum instead.
//
// Sum is an HMAC-SHA256 keyed with 32 random bytes kept in the cache
// folder itself (CacheKeyFile, mode 0600), created on first use. Without
// that key a fingerprint is useless to a guesser; the key never leaves the
// machine, and neither may the fingerprints: keep both inside the cache
// folder, never in the output tree, a lock, a log or a PR. Not for a folder
// that travels, such as kiln's render cache under actions/cache: the key
// would travel with the fingerprints, which become a guessing oracle.
type CacheKeyer struct {
	key []byte
}

// NewCacheKeyer reads dir's key, creating dir and the key when absent.
func NewCacheKeyer(dir string) (*CacheKeyer, error) {
	path := filepath.Join(dir, CacheKeyFile)
	// At most a key's size: what is larger is no key.
	key, err := limits.ReadFileMax(path, path, 32)
	if err == nil && len(key) == 32 {
		return &CacheKeyer{key: key}, nil
	}
	// A cache folder may come from elsewhere (actions/cache): what is no
	// key there, a larger file, a FIFO, a link to a device, is replaced
	// by one, as a missing key is.
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, limits.ErrLimit) && !errors.Is(err, limits.ErrIrregular) {
		return nil, fmt.Errorf("reading the cache's secret key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the cache folder: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("making the cache's secret key: %w", err)
	}
	// Written beside and renamed, so that two processes never see half a
	// key; the one that renames last wins, and a cache keyed with the
	// other's key only misses.
	tmp, err := os.CreateTemp(dir, CacheKeyFile+".*")
	if err != nil {
		return nil, fmt.Errorf("writing the cache's secret key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing the cache's secret key: %w", err)
	}
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing the cache's secret key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing the cache's secret key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("writing the cache's secret key: %w", err)
	}
	return &CacheKeyer{key: key}, nil
}

// Sum returns "hmac-sha256:<hex>" over secrets (name → value), in name
// order, each name and value length-prefixed so no two sets collide.
func (k *CacheKeyer) Sum(secrets map[string]string) string {
	names := make([]string, 0, len(secrets))
	for n := range secrets {
		names = append(names, n)
	}
	sort.Strings(names)
	m := hmac.New(sha256.New, k.key)
	for _, n := range names {
		fmt.Fprintf(m, "%d:%s=%d:%s\n", len(n), n, len(secrets[n]), secrets[n])
	}
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}
