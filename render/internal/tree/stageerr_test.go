package tree

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStageErrorNamesTheTree: a file that cannot be written while an env
// is staged (a full disk, a read-only mount; here a name the file system
// refuses) is an error that names the env's folder and the staging folder,
// and says that the earlier tree is as it was. The write's own error names
// the file only within the tree ("writing flux/db.yaml: no space left on
// device"), which did not say whose file system was full: --out's, the
// cache's or the temporary folder's.
func TestStageErrorNamesTheTree(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 300) + ".yaml" // past NAME_MAX
	for _, tc := range []struct {
		name    string
		earlier map[string]string // nil: a new tree, staged whole
	}{
		{"new tree", nil},
		{"update", map[string]string{MarkerFile: `{"apps": {"web": {}}}`, "apps/web/a.yaml": "a: 1\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			dir := filepath.Join(root, "dev")
			if tc.earlier != nil {
				put(t, dir, tc.earlier)
			}
			files := Files{MarkerFile: []byte(`{"apps": {"web": {}}}`), "apps/web/a.yaml": []byte("a: 2\n"), "apps/web/" + long: []byte("b: 1\n")}
			_, err := Write(bg, dir, files, false)
			if err == nil {
				t.Fatal("Write succeeded")
			}
			for _, want := range []string{dir + ": ", filepath.Join(root, ".dev.kiln-new"), "hint: " + dir + " is as it was"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if tc.earlier != nil {
				if diff := cmp.Diff(tc.earlier, mustRead(t, dir)); diff != "" {
					t.Errorf("earlier tree (-want +got):\n%s", diff)
				}
			}
		})
	}
}
