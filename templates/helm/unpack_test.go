package helm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/templates/helm/internal/chartarchive"
)

// rawTgz packs headers as they are (names, types and sizes unchecked), each
// followed by its data.
func rawTgz(t testing.TB, entries ...rawEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hd := e.hd
		if hd.Mode == 0 && hd.Typeflag != tar.TypeXGlobalHeader {
			hd.Mode = 0o644
		}
		if hd.Typeflag == tar.TypeReg || hd.Typeflag == 0 {
			hd.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(&hd); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type rawEntry struct {
	hd   tar.Header
	data []byte
}

func reg(name, data string) rawEntry {
	return rawEntry{hd: tar.Header{Name: name, Typeflag: tar.TypeReg}, data: []byte(data)}
}

// unpackCases are archives helm's loader reads or refuses in each of its
// ways, and the ways kiln's bounds refuse.
func unpackCases(t testing.TB) map[string][]byte {
	chartYAML := "apiVersion: v2\nname: hello\nversion: 0.1.0\n"
	hello := []rawEntry{reg("hello/Chart.yaml", chartYAML), reg("hello/templates/cm.yaml", "kind: ConfigMap\n")}
	with := func(es ...rawEntry) []byte { return rawTgz(t, append(append([]rawEntry{}, hello...), es...)...) }
	sub := rawTgz(t, reg("sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"), reg("sub/big", string(make([]byte, 20<<10))))
	many := make([]rawEntry, 0, 40)
	for i := range 40 {
		many = append(many, reg(fmt.Sprintf("hello/files/f%d", i), ""))
	}
	noise := make([]byte, 30<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	valid := with()
	cases := map[string][]byte{
		"valid": valid,
		"folders, a byte order mark, a global header": rawTgz(t,
			rawEntry{hd: tar.Header{Name: "hello/", Typeflag: tar.TypeDir, Mode: 0o755}},
			rawEntry{hd: tar.Header{Name: "pax_global_header", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "x"}}},
			reg("hello/Chart.yaml", "\xEF\xBB\xBF"+chartYAML)),
		"windows names":            rawTgz(t, reg(`hello\Chart.yaml`, chartYAML), reg(`hello\templates\cm.yaml`, "kind: ConfigMap\n")),
		"symlink":                  with(rawEntry{hd: tar.Header{Name: "hello/templates/link", Typeflag: tar.TypeSymlink, Linkname: "../../../etc/passwd"}}),
		"hard link":                with(rawEntry{hd: tar.Header{Name: "hello/templates/hard", Typeflag: tar.TypeLink, Linkname: "hello/Chart.yaml"}}),
		"absolute path":            with(reg("hello//etc/passwd", "x")),
		"parent folder":            with(reg("hello/../../etc/passwd", "x")),
		"windows parent folder":    with(reg(`hello\..\..\x`, "x")),
		"the chart folder a file":  with(reg("hello", "x")),
		"drive letter":             with(reg("hello/c:/x", "x")),
		"Chart.yaml at the top":    with(reg("Chart.yaml/x", "x")),
		"Chart.yaml as a file":     rawTgz(t, reg("Chart.yaml", chartYAML)),
		"Chart.yaml, absolute":     with(reg("Chart.yaml//x", "x")),
		"Chart.yaml, parent":       with(reg("Chart.yaml/../../x", "x")),
		"Chart.yaml, drive":        with(reg("Chart.yaml/c:/x", "x")),
		"file over helm's 5 MiB":   with(reg("hello/big", string(make([]byte, loader.MaxDecompressedFileSize+1)))),
		"subchart archive":         with(reg("hello/charts/sub.tgz", string(sub))),
		"many files":               with(many...),
		"large incompressible":     with(reg("hello/noise", string(noise))),
		"path error then a bomb":   with(append([]rawEntry{reg("hello/../x", "x")}, many...)...),
		"bomb then a path error":   with(append(append([]rawEntry{}, many...), reg("hello/../x", "x"))...),
		"no files":                 rawTgz(t),
		"only folders":             rawTgz(t, rawEntry{hd: tar.Header{Name: "hello/", Typeflag: tar.TypeDir}}),
		"not gzip":                 []byte(chartYAML),
		"empty":                    {},
		"truncated":                valid[:len(valid)/2],
		"gzipped, not tar":         gzipped(t, []byte(chartYAML)),
		"nested archive too large": with(reg("hello/charts/sub.tgz", string(make([]byte, loader.MaxDecompressedFileSize+1))), reg("hello/charts/late.tgz", string(sub))),
		"nested archive not gzip":  with(reg("hello/charts/sub.tgz", "x"), reg("hello/charts/late.tgz", string(sub))),
	}
	cut := cases["large incompressible"]
	cases["truncated in a file"] = cut[:len(cut)-8<<10]
	return cases
}

func gzipped(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// twoPass is how a chart archive was read before unpackArchive: measured
// whole by the budget, then unpacked by helm's loader.
func twoPass(data []byte, budget *chartarchive.Budget) ([]*loader.BufferedFile, error, error) {
	if err := budget.Archive(bytes.NewReader(data), ""); err != nil {
		return nil, err, nil
	}
	files, err := loader.LoadArchiveFiles(bytes.NewReader(data))
	return files, nil, err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestUnpackArchiveIsHelms: reading a chart archive once gives what
// measuring it and then helm's loader.LoadArchiveFiles gave, files, limit
// error or helm's error, under kiln's bounds and under bounds that the
// cases exceed.
func TestUnpackArchiveIsHelms(t *testing.T) {
	t.Parallel()
	budgets := map[string]func() *chartarchive.Budget{
		"kiln's bounds": func() *chartarchive.Budget {
			return chartarchive.New(limits.ChartFiles, limits.ChartSize, loader.MaxDecompressedFileSize)
		},
		"20 files": func() *chartarchive.Budget {
			return chartarchive.New(20, limits.ChartSize, loader.MaxDecompressedFileSize)
		},
		"16 KiB": func() *chartarchive.Budget {
			return chartarchive.New(limits.ChartFiles, 16<<10, loader.MaxDecompressedFileSize)
		},
	}
	limitErrs := 0
	for name, data := range unpackCases(t) {
		for bname, budget := range budgets {
			wantFiles, wantLimit, wantErr := twoPass(data, budget())
			files, limit, err := unpackArchive(bytes.NewReader(data), budget())
			if errString(limit) != errString(wantLimit) || errString(err) != errString(wantErr) {
				t.Errorf("%s, %s: got limit %v, error %v\nwant limit %v, error %v", name, bname, limit, err, wantLimit, wantErr)
			}
			if !reflect.DeepEqual(files, wantFiles) {
				t.Errorf("%s, %s: got %d files, want %d as helm's loader reads them", name, bname, len(files), len(wantFiles))
			}
			if limit != nil {
				limitErrs++
				if !errors.Is(limit, limits.ErrLimit) {
					t.Errorf("%s, %s: limit %v is not an ErrLimit", name, bname, limit)
				}
			}
		}
	}
	if limitErrs < 6 {
		t.Errorf("only %d cases hit a bound: the cases no longer test them", limitErrs)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestArchiveBudgetBoundsTheOnePass: the budget applies while the archive
// is unpacked, not to what was unpacked: an archive whose first entries are
// fine and that then unpacks beyond the bounds (in bytes, in entries) is
// refused before the rest of it is read.
func TestArchiveBudgetBoundsTheOnePass(t *testing.T) {
	t.Parallel()
	noise := make([]byte, 4<<20) // under helm's own 5 MiB per file
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	entries := []rawEntry{reg("hello/Chart.yaml", "apiVersion: v2\nname: hello\nversion: 0.1.0\n")}
	for i := range 20000 {
		entries = append(entries, reg(fmt.Sprintf("hello/files/%d", i), ""))
	}
	for name, data := range map[string][]byte{
		"bytes":   rawTgz(t, reg("hello/Chart.yaml", "apiVersion: v2\nname: hello\nversion: 0.1.0\n"), reg("hello/noise", string(noise))),
		"entries": rawTgz(t, entries...),
	} {
		in := &countingReader{r: bytes.NewReader(data)}
		_, limit, err := unpackArchive(in, chartarchive.New(50, 64<<10, loader.MaxDecompressedFileSize))
		if !errors.Is(limit, limits.ErrLimit) || err != nil {
			t.Errorf("%s: got limit %v, error %v; want a limit error", name, limit, err)
		}
		if in.n > len(data)/8 {
			t.Errorf("%s: read %d of the archive's %d bytes before refusing it", name, in.n, len(data))
		}
	}
}

// FuzzUnpackArchive: for any bytes, reading an archive once gives what
// measuring it and then helm's loader gave.
func FuzzUnpackArchive(f *testing.F) {
	for _, data := range unpackCases(f) {
		if len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		budget := func() *chartarchive.Budget { return chartarchive.New(20, 16<<10, 4<<10) }
		wantFiles, wantLimit, wantErr := twoPass(data, budget())
		files, limit, err := unpackArchive(bytes.NewReader(data), budget())
		if errString(limit) != errString(wantLimit) || errString(err) != errString(wantErr) || !reflect.DeepEqual(files, wantFiles) {
			t.Fatalf("got limit %v, error %v, %d files\nwant limit %v, error %v, %d files", limit, err, len(files), wantLimit, wantErr, len(wantFiles))
		}
	})
}

// BenchmarkReadChartArchive reads kube-prometheus-stack's archive as a
// render does: measured, unpacked and hashed.
func BenchmarkReadChartArchive(b *testing.B) {
	p, err := filepath.Abs("../../testdata/charts/kube-prometheus-stack/kube-prometheus-stack-88.5.3.tgz")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := deps.New(filepath.Dir(p))
		if _, err := readChartArchive(rec, p, "kube-prometheus-stack.tgz", chartarchive.New(limits.ChartFiles, limits.ChartSize, loader.MaxDecompressedFileSize), nil); err != nil {
			b.Fatal(err)
		}
	}
}
