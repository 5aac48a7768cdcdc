package helm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/helm/internal/chartarchive"
)

// chartSource is a chart's files and where they came from.
type chartSource struct {
	files []*loader.BufferedFile
	// input names the chart in Result.Inputs: its repository-relative path,
	// or "<repo>/<chart>@<version>" / "oci://<ref>@<version>" when remote.
	input string
	// dir is the chart's repository-relative path; "" for a remote chart.
	dir string
}

// file maps a template name as helm prints it after "# Source:"
// ("<chart>/templates/x.yaml", "<chart>/charts/<sub>/templates/y.yaml") to
// the repository-relative file. Helm names subcharts by chart name, which is
// also their folder name under charts/ unless the folder was renamed or the
// subchart is a .tgz; then the path is approximate. Remote charts keep
// helm's name.
func (s *chartSource) file(source string) string {
	if s.dir == "" {
		return source
	}
	if i := strings.IndexByte(source, '/'); i >= 0 {
		return path.Join(s.dir, source[i+1:])
	}
	return s.dir
}

// errFile is the file to blame for a chart-wide problem.
func (s *chartSource) errFile() string { return s.dir }

// chartYAML is the chart's Chart.yaml, for dependency problems.
func (s *chartSource) chartYAML() string {
	if s.dir == "" || strings.HasSuffix(s.dir, ".tgz") || strings.HasSuffix(s.dir, ".tar.gz") {
		return s.dir
	}
	return path.Join(s.dir, "Chart.yaml")
}

// newBudget is the budget of one chart load: the files and unpacked bytes
// of the chart, its subcharts and nested archives, measured before helm's
// loader sees them (see chartarchive).
func (e *Engine) newBudget() *chartarchive.Budget {
	return chartarchive.New(e.bounds.chartFiles, e.bounds.chartSize, loader.MaxDecompressedFileSize)
}

// chart returns the files of req's chart, local or remote.
func (e *Engine) chart(ctx context.Context, req *templates.Request) (*chartSource, error) {
	if req.ChartRepo != "" {
		return e.remoteChart(ctx, req)
	}
	return e.localChart(req)
}

// localChart loads a chart folder or .tgz inside the repository.
func (e *Engine) localChart(req *templates.Request) (*chartSource, error) {
	rel := path.Clean(req.Path)
	real, err := rootfs.Resolve(req.Root, req.Path)
	if err != nil {
		var oe *rootfs.OutsideError
		if errors.As(err, &oe) {
			return nil, &diag.Error{File: rel, Msg: "chart " + oe.Error(), Hint: "charts must be inside the repository; fix helm.chart in kiln.yaml", Err: err}
		}
		return nil, &diag.Error{File: rel, Msg: "resolving chart path: " + err.Error(), Err: err}
	}
	fi, err := os.Stat(real)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &diag.Error{File: rel, Msg: "chart not found", Hint: "helm.chart is a chart folder or .tgz relative to the repository root; set helm.repo for a chart from a chart repository", Err: err}
		}
		return nil, &diag.Error{File: rel, Msg: "reading chart: " + err.Error(), Err: err}
	}
	files, err := e.files.do(real, func() ([]*loader.BufferedFile, error) {
		budget := e.newBudget()
		if fi.IsDir() {
			return readChartDir(req.Root, real, rel, budget)
		}
		return readChartArchive(real, rel, budget)
	})
	if err != nil {
		return nil, err
	}
	return &chartSource{files: files, input: rel, dir: rel}, nil
}

// readChartDir reads a chart folder like helm's loader.LoadDir (honouring
// .helmignore, following symlinks, trimming a UTF-8 BOM) but checks that every
// file, symlinks resolved, stays inside root. rel is the folder's
// repository-relative path, for messages. Its files, and the subchart
// archives among them, are measured against budget.
func readChartDir(root, dir, rel string, budget *chartarchive.Budget) ([]*loader.BufferedFile, error) {
	rules := ignore.Empty()
	ifile := filepath.Join(dir, ignore.HelmIgnore)
	if real, err := rootfs.Resolve(root, ifile); err != nil {
		return nil, containError(path.Join(rel, ignore.HelmIgnore), err)
	} else if _, err := os.Stat(real); err == nil {
		r, err := ignore.ParseFile(real)
		if err != nil {
			return nil, &diag.Error{File: path.Join(rel, ignore.HelmIgnore), Msg: "invalid .helmignore: " + err.Error(), Err: err}
		}
		rules = r
	}
	rules.AddDefaults()

	var files []*loader.BufferedFile
	// onPath holds the real folders being walked, to stop symlink loops.
	onPath := map[string]bool{}
	var walk func(realDir, name string) error
	walk = func(realDir, name string) error {
		if onPath[realDir] {
			return &diag.Error{File: path.Join(rel, name), Msg: "chart folder contains a symlink loop", Hint: "remove the symlink that points back to its own folder"}
		}
		onPath[realDir] = true
		defer delete(onPath, realDir)
		entries, err := os.ReadDir(realDir)
		if err != nil {
			return &diag.Error{File: path.Join(rel, name), Msg: "reading chart folder: " + err.Error(), Err: err}
		}
		for _, de := range entries {
			n := path.Join(name, de.Name())
			p := filepath.Join(realDir, de.Name())
			if de.Type()&fs.ModeSymlink != 0 {
				real, err := rootfs.Resolve(root, p)
				if err != nil {
					return containError(path.Join(rel, n), err)
				}
				p = real
			}
			fi, err := os.Stat(p)
			if err != nil {
				return &diag.Error{File: path.Join(rel, n), Msg: "reading chart file: " + err.Error(), Err: err}
			}
			if rules.Ignore(n, fi) {
				continue
			}
			if fi.IsDir() {
				if err := walk(p, n); err != nil {
					return err
				}
				continue
			}
			if !fi.Mode().IsRegular() {
				return &diag.Error{File: path.Join(rel, n), Msg: "chart contains an irregular file (device, socket or pipe)", Hint: "remove it or list it in the chart's .helmignore"}
			}
			if err := budget.File(path.Join(rel, n), fi.Size()); err != nil {
				return &diag.Error{File: rel, Msg: limits.Describe(err), Hint: limits.Hint, Err: err}
			}
			if fi.Size() > loader.MaxDecompressedFileSize {
				return &diag.Error{File: path.Join(rel, n), Msg: fmt.Sprintf("chart file is larger than helm's limit of %d bytes", loader.MaxDecompressedFileSize), Hint: "remove it or list it in the chart's .helmignore"}
			}
			data, err := limits.ReadFile(p)
			if err != nil {
				return &diag.Error{File: path.Join(rel, n), Msg: "reading chart file: " + err.Error(), Err: err}
			}
			files = append(files, &loader.BufferedFile{Name: n, Data: bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})})
		}
		return nil
	}
	if err := walk(dir, ""); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := budget.Nested(f.Name, f.Data); err != nil {
			return nil, &diag.Error{File: rel, Msg: err.Error(), Hint: limits.Hint, Err: err}
		}
	}
	return files, nil
}

func containError(name string, err error) error {
	var oe *rootfs.OutsideError
	if errors.As(err, &oe) {
		return &diag.Error{File: name, Msg: "chart file " + oe.Error(), Hint: "a chart may only use files inside the repository; copy the file into the chart instead of linking to it", Err: err}
	}
	return &diag.Error{File: name, Msg: "resolving chart file: " + err.Error(), Err: err}
}

// readChartArchive reads a packaged chart (.tgz), local or downloaded. rel
// names it in messages. The archive, and those inside it, are measured
// against budget before helm's loader unpacks anything.
func readChartArchive(p, rel string, budget *chartarchive.Budget) ([]*loader.BufferedFile, error) {
	f, err := limits.Open(p)
	if err != nil {
		return nil, &diag.Error{File: rel, Msg: "reading chart archive: " + err.Error(), Err: err}
	}
	defer f.Close()
	if err := budget.Archive(f, ""); err != nil {
		return nil, &diag.Error{File: rel, Msg: err.Error(), Hint: limits.Hint, Err: err}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, &diag.Error{File: rel, Msg: "reading chart archive: " + err.Error(), Err: err}
	}
	files, err := loader.LoadArchiveFiles(f)
	if err != nil {
		return nil, &diag.Error{File: rel, Msg: "reading chart archive: " + err.Error(), Hint: "a chart file must be a .tgz made by helm package", Err: err}
	}
	return files, nil
}
