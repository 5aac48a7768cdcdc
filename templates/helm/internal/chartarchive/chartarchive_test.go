package chartarchive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"testing"
)

func TestIsSubchartArchive(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"charts/a.tgz":                   true,
		"charts/a/charts/b.tgz":          true,
		"charts/_a.tgz":                  false,
		"charts/.a.tgz":                  false,
		"charts/a.tar.gz":                false,
		"templates/charts/a.tgz":         false,
		"charts/a/files/b.tgz":           false,
		"charts/_a/charts/b.tgz":         false,
		"charts//charts/b.tgz":           false,
		"a.tgz":                          false,
		"charts/a/charts/b/charts/c.tgz": true,
	} {
		if got := IsSubchartArchive(name); got != want {
			t.Errorf("IsSubchartArchive(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzArchive: measuring any bytes ends, without a panic, in nil or an
// error, whatever the archive claims about its entries.
func FuzzArchive(f *testing.F) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"c/Chart.yaml", "c/charts/x.tgz", "c/templates/a.yaml"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
		tw.Write([]byte("abc"))
	}
	tw.Close()
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{0x1f, 0x8b, 0x08})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := New(20, 1<<16, 1<<12)
		_ = b.Archive(bytes.NewReader(data), "")
		_ = b.Nested("charts/y.tgz", data)
	})
}
