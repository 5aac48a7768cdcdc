package limits_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// TestReadAll: up to max bytes are read whole, more are refused naming the
// input, whether the reader is a regular file (its size read first, so
// that too big a file is refused before a byte is read), a file read from
// an offset, a stream, or a FIFO, whose size says nothing.
func TestReadAll(t *testing.T) {
	t.Parallel()
	const max = 4096
	file := func(size int64, offset int64) func(t *testing.T) io.Reader {
		return func(t *testing.T) io.Reader {
			p := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(p, bytes.Repeat([]byte("x"), int(size)), 0o644); err != nil {
				t.Fatal(err)
			}
			f := open(t, p)
			if _, err := f.Seek(offset, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	sparse := func(size int64) func(t *testing.T) io.Reader {
		return func(t *testing.T) io.Reader {
			p := filepath.Join(t.TempDir(), "sparse")
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, size); err != nil {
				t.Skipf("no sparse file here: %v", err)
			}
			return open(t, p)
		}
	}
	stream := func(size int) func(t *testing.T) io.Reader {
		// MultiReader hides the *strings.Reader: a reader of unknown size.
		return func(t *testing.T) io.Reader { return io.MultiReader(strings.NewReader(strings.Repeat("x", size))) }
	}
	fifo := func(size int) func(t *testing.T) io.Reader {
		return func(t *testing.T) io.Reader {
			p := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("no FIFO here: %v", err)
			}
			go func() {
				w, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				defer w.Close()
				w.Write(bytes.Repeat([]byte("x"), size))
			}()
			return open(t, p)
		}
	}
	for _, tc := range []struct {
		name string
		r    func(t *testing.T) io.Reader
		want int // bytes read; -1: refused
		// unread: refused before a byte is read (the file's offset stays)
		unread bool
	}{
		{"empty file", file(0, 0), 0, false},
		{"file under max", file(100, 0), 100, false},
		{"file at max", file(max, 0), max, false},
		{"file over max", file(max+1, 0), -1, true},
		{"sparse file far over max", sparse(1 << 40), -1, true},
		{"file over max read from an offset under it", file(max+10, 10), max, false},
		{"file read from past its end", file(10, 20), 0, false},
		{"stream at max", stream(max), max, false},
		{"stream over max", stream(max + 1), -1, false},
		{"FIFO at max", fifo(max), max, false},
		{"FIFO over max", fifo(max + 1), -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r(t)
			data, err := limits.ReadAll(r, "in.yaml", max)
			if tc.want < 0 {
				var le *limits.Error
				if !errors.As(err, &le) || !strings.Contains(err.Error(), "in.yaml") {
					t.Fatalf("read %d bytes, err %v: want the input refused by name", len(data), err)
				}
				if f, ok := r.(*os.File); ok && tc.unread {
					if off, _ := f.Seek(0, io.SeekCurrent); off != 0 {
						t.Errorf("%d bytes read before the refusal, want none", off)
					}
				}
				return
			}
			if err != nil || len(data) != tc.want || strings.Trim(string(data), "x") != "" {
				t.Fatalf("read %d bytes, err %v: want %d", len(data), err, tc.want)
			}
		})
	}
}

func open(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestReason: every way a read fails says why, without the path (an
// --images file or a patch file that does not exist once read "cannot
// read the images file" and nothing more), and an error of unknown text
// says nothing.
func TestReason(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, missing := limits.ReadFile(filepath.Join(dir, "nope.json"))
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	_, tooBig := limits.ReadFileMax(big, "big", 10)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"missing", missing, ": it does not exist"},
		{"denied", &os.PathError{Op: "open", Path: "/runner/work/x", Err: syscall.EACCES}, ": permission denied"},
		{"limit", tooBig, ": " + limits.Describe(tooBig)},
		{"other", errors.New("holds a value"), ""},
	} {
		got := limits.Reason(tc.err)
		if got != tc.want {
			t.Errorf("%s: Reason = %q, want %q", tc.name, got, tc.want)
		}
		if strings.Contains(got, dir) || strings.Contains(got, "/runner") {
			t.Errorf("%s: Reason %q names the path", tc.name, got)
		}
	}
}
