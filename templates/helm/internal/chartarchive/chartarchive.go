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
	limit, _ := b.walk(r, input, nil)
	return limit
}

// Unpack reads the chart's own gzipped tar stream r once, measuring it as
// Archive does, and hands each entry to each, which reads what it keeps of
// data: helm's loader loop, so that the chart is gunzipped once, with the
// budget between gunzip and untar. A limit error is reported as limit and
// wins over any other error, wherever it comes in the archive, as when
// Archive measured the whole archive before the loader read it: once each
// fails, the rest of the archive is read only to be measured. err is the
// first error of the stream (gzip, tar) or of each, for helm's messages.
func (b *Budget) Unpack(r io.Reader, each func(hd *tar.Header, data io.Reader) error) (limit, err error) {
	return b.walk(r, "", each)
}

// walk is Archive, and Unpack when each is not nil.
func (b *Budget) walk(r io.Reader, input string, each func(*tar.Header, io.Reader) error) (limit, failed error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	cr := &budgetReader{r: zr, b: b, measuring: true}
	tr := tar.NewReader(cr)
	for {
		hd, err := tr.Next()
		if cr.measuring && errors.Is(err, errBudget) {
			return b.tooLarge(input), nil
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			if failed == nil {
				failed = err // a broken archive, for helm to report
			}
			return nil, failed
		}
		if cr.measuring {
			b.files--
			if b.files < 0 {
				return b.tooManyFiles(input), nil
			}
		}
		var data io.Reader = tr // tr.Next reads past what each leaves, through cr
		if cr.measuring && hd.Typeflag == tar.TypeReg {
			// Helm drops the chart's folder, the first segment of every name.
			name := strings.ReplaceAll(hd.Name, "\\", "/")
			if i := strings.IndexByte(name, '/'); i >= 0 {
				name = name[i+1:]
			}
			if IsSubchartArchive(name) {
				held, err := io.ReadAll(io.LimitReader(tr, b.maxNested+1))
				if errors.Is(err, errBudget) {
					return b.tooLarge(input), nil
				}
				if err != nil || int64(len(held)) > b.maxNested {
					// Helm's loader refuses it: measuring ends here, as
					// Archive did, and the loader goes on alone.
					cr.measuring = false
				} else {
					inner := name
					if input != "" {
						inner = input + ": " + name
					}
					if err := b.Archive(bytes.NewReader(held), inner); err != nil {
						return err, nil
					}
				}
				data = io.MultiReader(bytes.NewReader(held), tr)
			}
		}
		if each == nil {
			if !cr.measuring {
				return nil, nil
			}
			continue
		}
		if failed != nil {
			if !cr.measuring {
				return nil, failed
			}
			continue
		}
		if err := each(hd, data); err != nil {
			if cr.measuring && errors.Is(err, errBudget) {
				return b.tooLarge(input), nil
			}
			failed = err
			if !cr.measuring {
				return nil, failed
			}
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

// budgetReader counts the bytes read through it against b.size, until
// measuring is turned off.
type budgetReader struct {
	r io.Reader
	b *Budget
	// measuring is false once the measure has ended without a limit error
	// (see walk): the bytes after are helm's loader's alone to bound.
	measuring bool
}

func (c *budgetReader) Read(p []byte) (int, error) {
	if !c.measuring {
		return c.r.Read(p)
	}
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
