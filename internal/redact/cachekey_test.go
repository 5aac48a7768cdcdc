package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
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
