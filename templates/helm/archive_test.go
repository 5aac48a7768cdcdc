package helm

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/kiln-gitops/kiln/templates"
)

// entry is one file of a generated archive.
type entry struct {
	name string
	data []byte
}

// helloEntries is the hello chart, as entries of a chart folder.
func helloEntries() []entry {
	return []entry{
		{"Chart.yaml", []byte("apiVersion: v2\nname: hello\nversion: 0.1.0\n")},
		{"templates/cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello\n")},
	}
}

// tgz packs entries below folder dir, as helm package does.
func tgz(t *testing.T, dir string, entries ...entry) []byte {
	t.Helper()
	raw := make([]rawEntry, len(entries))
	for i, e := range entries {
		raw[i] = rawEntry{hd: tar.Header{Name: dir + "/" + e.name, Typeflag: tar.TypeReg}, data: e.data}
	}
	return rawTgz(t, raw...)
}

// empties is n empty files named <prefix><i>.
func empties(prefix string, n int) []entry {
	out := make([]entry, n)
	for i := range out {
		out[i] = entry{name: fmt.Sprintf("%s%d", prefix, i)}
	}
	return out
}

// TestChartBounds: a chart (folder or archive) with too many files, or
// subchart archives unpacking beyond the size bound, is refused with an
// error naming the chart and the archive inside it, before helm's loader
// unpacks it. The bounds are lowered so that each case is a few KiB.
func TestChartBounds(t *testing.T) {
	t.Parallel()
	const files, size = 50, 64 << 10
	sub := func(n int) []byte {
		return tgz(t, "sub", append([]entry{{"Chart.yaml", []byte("apiVersion: v2\nname: sub\nversion: 0.1.0\n")}}, empties("f", n)...)...)
	}
	zeros := make([]byte, 100<<10)
	tests := []struct {
		name string
		// archive is written as chart.tgz; folder's entries below chart/.
		archive []byte
		folder  []entry
		want    string
	}{
		{name: "archive under the bounds", archive: tgz(t, "hello", append(helloEntries(), empties("files/f", files-2)...)...)},
		{name: "archive with too many entries", archive: tgz(t, "hello", append(helloEntries(), empties("files/f", files)...)...),
			want: "chart.tgz: app hi: the number of files in the chart (archive entries and subcharts included) exceeds kiln's limit of 50"},
		{name: "entries of a subchart archive count", archive: tgz(t, "hello", append(helloEntries(), entry{"charts/sub.tgz", sub(files)})...),
			want: "chart.tgz: app hi: charts/sub.tgz: the number of files in the chart (archive entries and subcharts included) exceeds kiln's limit of 50"},
		{name: "archive inside a subchart archive", archive: tgz(t, "hello", append(helloEntries(), entry{"charts/sub.tgz", tgz(t, "sub", entry{"Chart.yaml", []byte("apiVersion: v2\nname: sub\nversion: 0.1.0\n")}, entry{"charts/deeper.tgz", sub(files)})})...),
			want: "chart.tgz: app hi: charts/sub.tgz: charts/deeper.tgz: the number of files"},
		{name: "subchart archive unpacking beyond the size", archive: tgz(t, "hello", append(helloEntries(), entry{"charts/sub.tgz", tgz(t, "sub", entry{"Chart.yaml", []byte("apiVersion: v2\nname: sub\nversion: 0.1.0\n")}, entry{"big", zeros})})...),
			want: "chart.tgz: app hi: charts/sub.tgz: the unpacked size of the chart (subcharts and nested archives included) exceeds kiln's limit of 64 KiB"},
		{name: "archive unpacking beyond the size", archive: tgz(t, "hello", append(helloEntries(), entry{"files/big", zeros})...),
			want: "chart.tgz: app hi: the unpacked size of the chart (subcharts and nested archives included) exceeds kiln's limit of 64 KiB"},
		{name: "folder under the bounds", folder: append(helloEntries(), empties("files/f", files-2)...)},
		{name: "folder with too many files", folder: append(helloEntries(), empties("files/f", files-1)...),
			want: "chart: app hi: the number of files in the chart (archive entries and subcharts included) exceeds kiln's limit of 50"},
		{name: "subchart archive in a folder", folder: append(helloEntries(), entry{"charts/sub.tgz", sub(files)}),
			want: "chart: app hi: charts/sub.tgz: the number of files in the chart"},
		{name: "folder beyond the size", folder: append(helloEntries(), entry{"files/big", zeros}),
			want: "chart: app hi: the unpacked size of the chart (subcharts and nested archives included) exceeds kiln's limit of 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			chart := "chart"
			if tt.archive != nil {
				chart = "chart.tgz"
				if err := os.WriteFile(filepath.Join(root, chart), tt.archive, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, e := range tt.folder {
				p := filepath.Join(root, chart, filepath.FromSlash(e.name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, e.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			e := New(Options{})
			e.bounds.chartFiles, e.bounds.chartSize = files, size
			_, err := e.Render(context.Background(), &templates.Request{Root: root, App: "hi", Namespace: "ns", Path: chart})
			checkLimitErr(t, err, tt.want)
		})
	}
}

// TestOCIChartBounds: a chart pulled from a registry (the OCI layer is the
// chart's .tgz) is measured like a local one, and the error names it.
func TestOCIChartBounds(t *testing.T) {
	t.Parallel()
	const files = 50
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	e := New(Options{CacheDir: t.TempDir(), PlainHTTP: true})
	e.bounds.chartFiles = files
	client, err := e.registryClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	archive := tgz(t, "hello", append(helloEntries(), empties("files/f", files)...)...)
	if _, err := client.Push(archive, host+"/charts/hello:0.1.0"); err != nil {
		t.Fatal(err)
	}
	_, err = e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: "oci://" + host + "/charts", ChartVersion: "0.1.0"})
	want := "oci://" + host + "/charts/hello@0.1.0: app hi: the number of files in the chart (archive entries and subcharts included) exceeds kiln's limit of 50"
	checkLimitErr(t, err, want)
}

// TestChartFolderSymlinkBomb: folders that each link twice to the next
// (files/d0/a and files/d0/b to d1, and so on) make the walk of a chart
// folder double at each level without a file to count against the chart's
// bound: 22 levels of a few bytes each kept kiln walking until --timeout,
// and a program rendering in process past it. The walk counts every entry
// it lists, each time a symlink leads to it, as a yaml app's walk does.
func TestChartFolderSymlinkBomb(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	const levels = 12
	for i := 0; i <= levels; i++ {
		if err := os.MkdirAll(filepath.Join(root, "c", "files", fmt.Sprintf("d%d", i)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < levels; i++ {
		for _, name := range []string{"a", "b"} {
			symlink(t, fmt.Sprintf("../d%d", i+1), filepath.Join(root, "c", "files", fmt.Sprintf("d%d", i), name))
		}
	}
	e := New(Options{})
	if e.bounds.chartEntries != chartEntries {
		t.Fatalf("entry bound %d, want chartEntries (%d)", e.bounds.chartEntries, chartEntries)
	}
	e.bounds.chartEntries = 1000
	_, err := e.Render(context.Background(), &templates.Request{Root: root, App: "hi", Namespace: "ns", Path: "c"})
	checkLimitErr(t, err, "c: app hi: the entries of the chart folder, each counted every time a symlink leads to it, exceeds kiln's limit of 1000\n"+
		"  hint: a symlink to a folder the walk reaches anyway makes it walk that folder again")
}
