package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCacheKeyer(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "cache")
	k1, err := NewCacheKeyer(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, CacheKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := NewCacheKeyer(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := map[string]string{"PW": "Winter2024!"}
	if k1.Sum(a) != k2.Sum(a) {
		t.Error("the same folder must give the same fingerprint")
	}
	if k1.Sum(a) == k1.Sum(map[string]string{"PW": "Summer2025!"}) {
		t.Error("a rotated secret must change the fingerprint")
	}
	other, err := NewCacheKeyer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if other.Sum(a) == k1.Sum(a) {
		t.Error("another cache folder must give another fingerprint")
	}
	plain := sha256.Sum256([]byte("Winter2024!"))
	if strings.Contains(k1.Sum(a), hex.EncodeToString(plain[:])) {
		t.Error("the fingerprint is an unkeyed hash")
	}
}

// TestCacheKeyerReplacesWhatIsNoKey: a cache folder may come from
// elsewhere (actions/cache); a key file that is larger than a key (a
// sparse one of a terabyte is not read), a FIFO (which would block the
// read) or a link to a device (which never ends) is replaced by a new key,
// as a missing one is.
func TestCacheKeyerReplacesWhatIsNoKey(t *testing.T) {
	t.Parallel()
	for name, plant := range map[string]func(p string) error{
		"huge": func(p string) error {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			if err := f.Truncate(1 << 40); err != nil {
				return err
			}
			return f.Close()
		},
		"fifo":   func(p string) error { return syscall.Mkfifo(p, 0o600) },
		"device": func(p string) error { return os.Symlink("/dev/zero", p) },
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, CacheKeyFile)
		if err := plant(p); err != nil {
			t.Fatal(err)
		}
		k, err := NewCacheKeyer(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() || st.Size() != 32 || len(k.key) != 32 {
			t.Errorf("%s: the key file is %v (%v), want a new 32-byte key", name, st, err)
		}
	}
}
