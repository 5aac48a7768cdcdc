package tree

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// linuxFolder is a folder holding one entry of each type, for listFD.
func linuxFolder(t *testing.T) (string, map[string]fs.FileMode) {
	t.Helper()
	dir := t.TempDir()
	put(t, dir, map[string]string{"file.yaml": "x\n", "dir/inner.yaml": "y\n"})
	if err := os.Symlink("file.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, map[string]fs.FileMode{"file.yaml": 0, "dir": fs.ModeDir, "link.yaml": fs.ModeSymlink, "fifo.yaml": fs.ModeIrregular}
}

// TestListFD: getdents64 lists every entry of a folder with its type, as
// os.ReadDir does (other than a pipe, device or socket, which are
// irregular alike), also when the folder needs several calls.
func TestListFD(t *testing.T) {
	t.Parallel()
	dir, want := linuxFolder(t)
	many := map[string]string{}
	for i := range 400 { // 400 entries of 64 bytes: several calls
		many[fmt.Sprintf("many/a-long-name-for-a-file-of-the-tree-%03d.yaml", i)] = ""
	}
	put(t, dir, many)
	want["many"] = fs.ModeDir
	for _, sub := range []string{"", "many"} {
		fd, err := unix.Open(filepath.Join(dir, sub), openDir, 0)
		if err != nil {
			t.Fatal(err)
		}
		var buf []byte
		list, err := listFD(fd, &buf)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]fs.FileMode{}
		for _, de := range list {
			got[de.name] = de.typ
		}
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		if sub == "many" {
			want = map[string]fs.FileMode{}
			for _, e := range entries {
				want[e.Name()] = e.Type()
			}
		}
		if len(entries) != len(got) {
			t.Errorf("%s: listed %d entries, os.ReadDir %d", sub, len(got), len(entries))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: entries (-want +got):\n%s", sub, diff)
		}
	}
}

// dirent64 is a struct linux_dirent64 as getdents64 writes it.
func dirent64(ino uint64, typ byte, name string) []byte {
	reclen := (direntName + len(name) + 1 + 7) &^ 7
	b := make([]byte, reclen)
	binary.NativeEndian.PutUint64(b, ino)
	binary.NativeEndian.PutUint16(b[direntReclen:], uint16(reclen))
	b[direntType] = typ
	copy(b[direntName:], name)
	return b
}

// TestAppendDirents: entries whose type the listing does not give
// (DT_UNKNOWN, on some file systems) are typed by an lstat, one removed
// since is left out, and so are ".", ".." and deleted slots; a listing
// that does not parse is an error, which the walk takes as a folder it
// cannot read (put anew whole).
func TestAppendDirents(t *testing.T) {
	t.Parallel()
	dir, want := linuxFolder(t)
	fd, err := unix.Open(dir, openDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var b []byte
	b = append(b, dirent64(1, unix.DT_DIR, ".")...)
	b = append(b, dirent64(1, unix.DT_DIR, "..")...)
	b = append(b, dirent64(0, unix.DT_REG, "deleted.yaml")...)
	b = append(b, dirent64(7, unix.DT_UNKNOWN, "vanished.yaml")...)
	for _, name := range slices.Sorted(maps.Keys(want)) {
		b = append(b, dirent64(9, unix.DT_UNKNOWN, name)...)
	}
	list, err := appendDirents(nil, fd, b)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]fs.FileMode{}
	for _, de := range list {
		got[de.name] = de.typ
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	for name, bad := range map[string][]byte{
		"short":          b[:direntName-1],
		"reclen 0":       append(dirent64(5, unix.DT_REG, "a")[:direntReclen], 0, 0, unix.DT_REG, 'a', 0),
		"past the end":   dirent64(5, unix.DT_REG, "a.yaml")[:direntName+3],
		"reclen too big": func() []byte { d := dirent64(5, unix.DT_REG, "a"); d[direntReclen] = 200; return d }(),
	} {
		if _, err := appendDirents(nil, fd, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
