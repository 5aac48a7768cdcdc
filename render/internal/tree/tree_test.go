package tree

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFileNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		defaultNS string
		ids       []ID
		want      []string
	}{
		{
			name:      "readable names, namespace only when it is not the app's",
			defaultNS: "instavote",
			ids: []ID{
				{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "instavote", Name: "vote"},
				{APIVersion: "v1", Kind: "Namespace", Name: "instavote"},
				{APIVersion: "v1", Kind: "Service", Namespace: "other", Name: "vote"},
			},
			want: []string{"deployment_vote.yaml", "namespace_instavote.yaml", "service_other_vote.yaml"},
		},
		{
			name: "unsafe characters are replaced",
			ids:  []ID{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "system:aggregate/view"}},
			want: []string{"clusterrole_system-aggregate-view.yaml"},
		},
		{
			name:      "names equal on a case-insensitive file system get hash suffixes",
			defaultNS: "ns",
			ids: []ID{
				{APIVersion: "a.example.com/v1", Kind: "Widget", Namespace: "ns", Name: "x"},
				{APIVersion: "b.example.com/v1", Kind: "widget", Namespace: "ns", Name: "x"},
				{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "y"},
			},
			want: []string{"widget_x-HASH1.yaml", "widget_x-HASH2.yaml", "configmap_y.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := FileNames(tt.ids, tt.defaultNS)
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				if strings.Contains(w, "HASH") {
					sum := sha256.Sum256([]byte(tt.ids[i].String()))
					w = strings.Replace(w, w[strings.Index(w, "HASH"):strings.Index(w, ".yaml")], hex.EncodeToString(sum[:4]), 1)
				}
				want[i] = w
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("FileNames (-want +got):\n%s", diff)
			}
			// The same set in another order gives the same names.
			rev := make([]ID, len(tt.ids))
			for i, id := range tt.ids {
				rev[len(rev)-1-i] = id
			}
			gotRev := FileNames(rev, tt.defaultNS)
			for i := range got {
				if got[i] != gotRev[len(got)-1-i] {
					t.Errorf("name of %v depends on order: %q vs %q", tt.ids[i], got[i], gotRev[len(got)-1-i])
				}
			}
		})
	}
}

func TestWriteReplacesTreeExactly(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out", "dev")
	first := Files{"apps/a/x.yaml": []byte("a"), "apps/old/y.yaml": []byte("b"), "kiln.lock.json": []byte(`{"apps": {"a": {}, "old": {}}}`)}
	if _, err := Write(context.Background(), dir, first, false); err != nil {
		t.Fatal(err)
	}
	second := Files{"apps/a/x.yaml": []byte("a2"), "kiln.lock.json": []byte(`{"apps": {"a": {}}}`)}
	if _, err := Write(context.Background(), dir, second, false); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(second, got); diff != "" {
		t.Errorf("tree after second write (-want +got):\n%s", diff)
	}
	// No temporary folders are left beside the tree.
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("output parent holds %v, want only dev", names)
	}
}

func TestWriteRefusesEscapingPaths(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "dev")
	for _, p := range []string{"../evil", "/abs", "a/../../b", ""} {
		if _, err := Write(context.Background(), dir, Files{p: []byte("x")}, false); err == nil {
			t.Errorf("Write accepted path %q", p)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused write created %s", dir)
	}
}

func TestWriteFailureKeepsEarlierTree(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "dev")
	first := Files{"a.yaml": []byte("one"), MarkerFile: []byte("{}")}
	if _, err := Write(context.Background(), dir, first, false); err != nil {
		t.Fatal(err)
	}
	// A file and a folder of the same name cannot both be written.
	if _, err := Write(context.Background(), dir, Files{"x": []byte("1"), "x/y": []byte("2")}, false); err == nil {
		t.Fatal("Write succeeded on a conflicting tree")
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("earlier tree changed (-want +got):\n%s", diff)
	}
}

// TestFileNamesNamedAfterHashes: objects named after the names kiln gives
// others (x-<short hash> of "x", x-<full hash> of "x") still get files of
// their own, in any order.
func TestFileNamesNamedAfterHashes(t *testing.T) {
	t.Parallel()
	role := func(name string) ID {
		return ID{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: name}
	}
	full := idHash(role("x"))
	ids := []ID{role("x"), role("X"), role("x-" + full[:shortHash]), role("x-" + full), role("x-" + idHash(role("X")))}
	for _, order := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}} {
		in := make([]ID, len(order))
		for i, j := range order {
			in[i] = ids[j]
		}
		got := FileNames(in, "")
		seen := map[string]ID{}
		for i, n := range got {
			if other, ok := seen[strings.ToLower(n)]; ok {
				t.Fatalf("order %v: %s and %s both map to %s", order, other, in[i], n)
			}
			seen[strings.ToLower(n)] = in[i]
			if len(n) > MaxFileName {
				t.Errorf("%s: %d bytes, over %d", n, len(n), MaxFileName)
			}
		}
		if order[0] == 0 {
			continue
		}
		first := FileNames(ids, "")
		for i, j := range order {
			if got[i] != first[j] {
				t.Errorf("order %v: %s named %s, %s in the first order", order, in[i], got[i], first[j])
			}
		}
	}
}

// longName is a valid object name of n characters.
func longName(prefix string, n int) string {
	return prefix + strings.Repeat("a", n-len(prefix))
}

func TestFileNamesLongNames(t *testing.T) {
	t.Parallel()
	var ids []ID
	for _, n := range []int{200, 241, 252, 253} {
		ids = append(ids,
			ID{APIVersion: "v1", Kind: "ConfigMap", Namespace: "app", Name: longName("x", n)},
			ID{APIVersion: "v1", Kind: "ConfigMap", Namespace: "a-much-longer-namespace-than-usual-of-sixty-three-characters-ab", Name: longName("x", n)},
			// Same 190 first characters: cutting alone would merge them.
			ID{APIVersion: "v1", Kind: "ConfigMap", Namespace: "app", Name: longName("y", n-1) + "b"},
		)
	}
	names := FileNames(ids, "app")
	seen := map[string]ID{}
	for i, name := range names {
		if len(name) > MaxFileName {
			t.Errorf("%s: %d bytes, want at most %d", name, len(name), MaxFileName)
		}
		if prev, ok := seen[strings.ToLower(name)]; ok {
			t.Errorf("%v and %v share %s", prev, ids[i], name)
		}
		seen[strings.ToLower(name)] = ids[i]
	}
	// Written for real: no "file name too long" on this file system.
	files := Files{}
	for _, name := range names {
		files["apps/a/"+name] = []byte("x")
	}
	if _, err := Write(context.Background(), filepath.Join(t.TempDir(), "dev"), files, false); err != nil {
		t.Fatal(err)
	}
}

// FuzzFileNames checks the object → file name mapping for any set of
// objects: names are unique even ignoring case, bounded, made of safe
// characters, and independent of the objects' order.
func FuzzFileNames(f *testing.F) {
	f.Add("ConfigMap", "ns", "web", "Web", uint8(0))
	f.Add("Widget", "", "x", "x-12345678", uint8(1))
	f.Add("ClusterRole", "kube-system", "system:aggregate/view", "System:Aggregate-View", uint8(2))
	f.Add("Deployment", "a", strings.Repeat("n", 253), strings.Repeat("n", 252)+"m", uint8(3))
	f.Fuzz(func(t *testing.T, kind, ns, a, b string, seed uint8) {
		cands := []ID{
			{APIVersion: "v1", Kind: kind, Namespace: ns, Name: a},
			{APIVersion: "v1", Kind: kind, Namespace: ns, Name: b},
			{APIVersion: "x.example.com/v1", Kind: strings.ToLower(kind), Namespace: ns, Name: a},
			{APIVersion: "v1", Kind: kind, Namespace: "", Name: strings.ToUpper(a)},
			{APIVersion: "v1", Kind: kind, Namespace: ns, Name: strings.Repeat(a+b, 300)[:min(253, len(strings.Repeat(a+b, 300)))]},
		}
		// An object named like another's hash-suffixed file.
		probe := FileNames(cands[:2], "")
		cands = append(cands, ID{APIVersion: "v1", Kind: kind, Namespace: ns, Name: strings.TrimSuffix(strings.TrimPrefix(probe[0], sanitize(kind)+"_"), ".yaml")})
		var ids []ID
		uniq := map[ID]bool{}
		for i, id := range cands {
			if seed&(1<<(i%8)) != 0 && i > 0 || uniq[id] {
				continue
			}
			uniq[id] = true
			ids = append(ids, id)
		}
		got := FileNames(ids, "ns")
		seen := map[string]int{}
		for i, name := range got {
			if len(name) > MaxFileName || !strings.HasSuffix(name, ".yaml") {
				t.Fatalf("%v → %q: longer than %d bytes or not .yaml", ids[i], name, MaxFileName)
			}
			for _, r := range name {
				if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
					t.Fatalf("%v → %q: unsafe character %q", ids[i], name, r)
				}
			}
			if j, ok := seen[strings.ToLower(name)]; ok {
				t.Fatalf("%v and %v both → %q", ids[j], ids[i], name)
			}
			seen[strings.ToLower(name)] = i
		}
		rev := make([]ID, len(ids))
		for i, id := range ids {
			rev[len(ids)-1-i] = id
		}
		again := FileNames(rev, "ns")
		for i := range got {
			if got[i] != again[len(got)-1-i] {
				t.Fatalf("%v: %q, reversed order %q", ids[i], got[i], again[len(got)-1-i])
			}
		}
	})
}
