package chartarchive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kiln-gitops/kiln/internal/limits"
)

// Budget is what is left of the bounds on one chart's files and unpacked
// bytes, shared by the chart, its subcharts and every archive nested in it.
// A Budget is for one chart load, by one goroutine.
type Budget struct {
	files int
	size  int64
	// maxFiles and maxSize are the bounds, for messages.
	maxFiles int
	maxSize  int64
	// maxNested is the most bytes held of one nested archive while it is
	// measured: Helm's per-file bound.
	maxNested int64
}

// New returns the budget of one chart: at most files files and size
// unpacked bytes (limits.ChartFiles and limits.ChartSize); a nested
// archive larger than maxNested bytes (Helm's per-file bound,
// loader.MaxDecompressedFileSize) is left to Helm's loader to refuse.
func New(files int, size, maxNested int64) *Budget {
	return &Budget{files: files, size: size, maxFiles: files, maxSize: size, maxNested: maxNested}
}

func (b *Budget) tooManyFiles(input string) error {
	return &limits.Error{Input: input, What: "the number of files in the chart (archive entries and subcharts included)", Limit: fmt.Sprint(b.maxFiles)}
}

func (b *Budget) tooLarge(input string) error {
	return &limits.Error{Input: input, What: "the unpacked size of the chart (subcharts and nested archives included)", Limit: limits.Bytes(b.maxSize)}
}

// File counts one file of size bytes read from a chart folder; input names
// it in the error.
func (b *Budget) File(input string, size int64) error {
	b.files--
	if b.files < 0 {
		return b.tooManyFiles(input)
	}
	b.size -= size
	if b.size < 0 {
		return b.tooLarge(input)
	}
	return nil
}

// Nested measures data, the file name of a chart folder (already counted
// with File), if it is a subchart archive Helm's loader would unpack.
func (b *Budget) Nested(name string, data []byte) error {
	if !IsSubchartArchive(name) {
		return nil
	}
	return b.Archive(bytes.NewReader(data), name)
}

// Archive measures the gzipped tar stream r and the subchart
// archives inside it, without keeping any of it: only a nested archive is
// held, up to helm's 5 MiB per file, while it is measured. It reports only
// limit errors; an archive helm cannot read is left to helm's loader,
// whose messages say what is wrong with it. input names a nested archive
// in errors ("charts/a.tgz", "charts/a.tgz: charts/b.tgz"); "" for the
// chart's own archive, which the caller names.
func (b *Budget) Archive(r io.Reader, input string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil
	}
	defer zr.Close()
	cr := &budgetReader{r: zr, b: b}
	tr := tar.NewReader(cr)
	for {
		hd, err := tr.Next()
		if errors.Is(err, errBudget) {
			return b.tooLarge(input)
		}
		if err != nil {
			return nil // io.EOF, or a broken archive for helm to report
		}
		b.files--
		if b.files < 0 {
			return b.tooManyFiles(input)
		}
		// Helm drops the chart's folder, the first segment of every name.
		name := strings.ReplaceAll(hd.Name, "\\", "/")
		if i := strings.IndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		if hd.Typeflag != tar.TypeReg || !IsSubchartArchive(name) {
			continue // tr.Next reads past the data, through cr
		}
		data, err := io.ReadAll(io.LimitReader(tr, b.maxNested+1))
		if errors.Is(err, errBudget) {
			return b.tooLarge(input)
		}
		if err != nil || int64(len(data)) > b.maxNested {
			return nil // Helm's loader refuses it
		}
		inner := name
		if input != "" {
			inner = input + ": " + name
		}
		if err := b.Archive(bytes.NewReader(data), inner); err != nil {
			return err
		}
	}
}

// IsSubchartArchive reports whether name, relative to a chart, is an
// archive helm's loader unpacks as a subchart: charts/<name>.tgz, also
// below subchart folders (charts/a/charts/b.tgz), but not a name helm
// skips (starting with "_" or ".").
func IsSubchartArchive(name string) bool {
	parts := strings.Split(name, "/")
	if len(parts)%2 != 0 || !strings.HasSuffix(name, ".tgz") {
		return false
	}
	for i := 0; i < len(parts); i += 2 {
		if parts[i] != "charts" || parts[i+1] == "" || strings.IndexAny(parts[i+1], "_.") == 0 {
			return false
		}
	}
	return true
}

// errBudget is budgetReader's error when the unpacked bytes run out.
var errBudget = errors.New("chart unpacked size budget exhausted")

// budgetReader counts the bytes read through it against b.size.
type budgetReader struct {
	r io.Reader
	b *Budget
}

func (c *budgetReader) Read(p []byte) (int, error) {
	if c.b.size < 0 {
		return 0, errBudget
	}
	if int64(len(p)) > c.b.size+1 {
		p = p[:c.b.size+1]
	}
	n, err := c.r.Read(p)
	c.b.size -= int64(n)
	if c.b.size < 0 {
		return n, errBudget
	}
	return n, err
}
