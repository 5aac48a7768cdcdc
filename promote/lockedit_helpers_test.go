package promote

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gittest"
	"github.com/kiln-gitops/kiln/render"
)

// plainDigestForTest is render's plainDigestOf, spelt out: the digest a
// lock entry's plainDigest holds for the object files appFiles when the
// files secret are taken for secret-holding ones.
func plainDigestForTest(appFiles map[string][]byte, secret []string) string {
	h := sha256.New()
	part := func(p []byte) { fmt.Fprintf(h, "%d:", len(p)); h.Write(p) }
	names := slices.Sorted(maps.Keys(appFiles))
	for _, name := range names {
		part([]byte(name))
		if slices.Contains(secret, name) {
			part([]byte("secret"))
			part(nil)
			continue
		}
		part([]byte("plain"))
		part(appFiles[name])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// objectFiles are the object files of app in the tree at dir, by name.
func objectFiles(t *testing.T, dir, app string) map[string][]byte {
	t.Helper()
	files, err := render.ReadTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for p, data := range files {
		if rest, ok := strings.CutPrefix(p, "apps/"+app+"/"); ok && rest != "kustomization.yaml" {
			out[rest] = data
		}
	}
	return out
}

// editLock rewrites the lock at p with edit.
func editLock(t *testing.T, p string, edit func(*render.Lock)) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := render.ParseLock(data)
	if err != nil {
		t.Fatal(err)
	}
	edit(lock)
	out, err := json.MarshalIndent(lock, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	addFile(t, p, string(out)+"\n")
}

// editRemoteLock rewrites env's kiln.lock.json on the manifests branch
// main of f with edit, as JSON (fields render.Lock does not know kept),
// in a commit of message.
func editRemoteLock(t *testing.T, f *fixture, env, message string, edit func(m map[string]any)) {
	t.Helper()
	lockPath := "clusters/" + env + "/kiln.lock.json"
	var m map[string]any
	if err := json.Unmarshal([]byte(gittest.Files(t, f.remote, "main")[lockPath]), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	gittest.Update(t, f.remote, "main", map[string]string{lockPath: string(data) + "\n"}, nil, message)
}
