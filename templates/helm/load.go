package helm

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/ignore"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/deps"
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
	// changed says the chart changed while it was read (loadedChart).
	changed bool
	// layout is where helm's names of subcharts are among the chart's
	// files (chartLayout); local charts only. Read when a name of a
	// subchart's file is first mapped: it parses every Chart.yaml again
	// and unpacks subchart archives again, which a chart without
	// subcharts never needs.
	layout func() *chartLayout
}

// chartLayout maps helm's names of a chart's subcharts to the chart's
// files. A subchart archive's files are named as if the archive were
// a folder: "charts/sub-1.0.0.tgz/templates/x.yaml", which file then
// shows as the archive and the entry inside it.
type chartLayout struct {
	// folders maps subchart folders as helm names them to the folders
	// (subchartFolders), relative to the chart.
	folders map[string]string
	// archives maps each archive among the chart's files, relative to
	// the chart ("charts/sub-1.0.0.tgz", "charts/sub-1.0.0.tgz/charts/
	// deeper-2.0.0.tgz"), and "" when the chart is one, to the folder
	// its entries start with ("sub"), which helm drops.
	archives map[string]string
}

// newLayout is the layout of a chart's files; top is the folder the
// chart's own archive's entries start with, "" for a chart folder.
func newLayout(files []*loader.BufferedFile, top string) *chartLayout {
	l := &chartLayout{archives: map[string]string{}}
	if top != "" {
		l.archives[""] = top
	}
	var all []*loader.BufferedFile
	var expand func(files []*loader.BufferedFile, prefix string)
	expand = func(files []*loader.BufferedFile, prefix string) {
		for _, f := range files {
			all = append(all, &loader.BufferedFile{Name: prefix + f.Name, Data: f.Data})
			if !chartarchive.IsSubchartArchive(f.Name) {
				continue
			}
			// The load measured every archive against the chart's
			// bounds already: what is unpacked here was unpacked then.
			var top string
			inner, limit, err := unpackArchiveTop(bytes.NewReader(f.Data), chartarchive.New(math.MaxInt32, 1<<62, loader.MaxDecompressedFileSize), &top)
			if limit != nil || err != nil || top == "" {
				continue
			}
			l.archives[prefix+f.Name] = top
			expand(inner, prefix+f.Name+"/")
		}
	}
	expand(files, "")
	l.folders = subchartFolders(all)
	return l
}

// data is the content of the chart's file at rel, a repository-relative
// path of a local chart's file, or nil.
func (s *chartSource) data(rel string) []byte {
	if s.dir == "" {
		return nil
	}
	name, ok := strings.CutPrefix(rel, s.dir+"/")
	if !ok {
		return nil
	}
	for _, f := range s.files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

// file maps a template name as helm prints it after "# Source:"
// ("<chart>/templates/x.yaml", "<chart>/charts/<sub>/templates/y.yaml") to
// the repository-relative file. Helm names subcharts by chart name, which
// need not be their folder's name under charts/: subchart folders are
// mapped back by the names in their Chart.yaml. A file inside an archive
// is named by the archive and the archive's entry
// ("charts/app/charts/sub-1.0.0.tgz: sub/templates/x.yaml"), as the
// chart's own archive's are ("app-0.1.0.tgz: app/templates/x.yaml"), one
// archive after the other when one holds another. Remote charts keep
// helm's name.
func (s *chartSource) file(source string) string {
	return s.show(s.path(source))
}

// path is file before show: a file inside an archive is named as if the
// archive were a folder. Helm's messages are read in these names, which
// hold no ": ".
func (s *chartSource) path(source string) string {
	if s.dir == "" {
		return source
	}
	i := strings.IndexByte(source, '/')
	if i < 0 {
		return s.dir
	}
	rel := source[i+1:]
	if !strings.HasPrefix(rel, "charts/") || s.layout == nil {
		return path.Join(s.dir, rel)
	}
	// The longest chain of subchart names that is a folder's wins.
	folders := s.layout().folders
	best := ""
	for names := range folders {
		if strings.HasPrefix(rel, names+"/") && len(names) > len(best) {
			best = names
		}
	}
	if best != "" {
		rel = folders[best] + rel[len(best):]
	}
	return path.Join(s.dir, rel)
}

// show names the files inside archives in text (a path of path, or a
// message holding such paths) by the archive and the archive's entry:
// "charts/app/charts/sub-1.0.0.tgz/templates/x.yaml" becomes
// "charts/app/charts/sub-1.0.0.tgz: sub/templates/x.yaml". Showing a
// shown text changes nothing.
func (s *chartSource) show(text string) string {
	if s.dir == "" || s.layout == nil || !strings.Contains(text, s.dir+"/") ||
		!strings.Contains(text, ".tgz/") && !strings.Contains(text, ".tar.gz/") {
		// No file of an archive: the layout is not needed.
		return text
	}
	archives := s.layout().archives
	if len(archives) == 0 {
		return text
	}
	// The innermost archive first: its path holds the outer one's, which
	// is shown after it.
	keys := slices.SortedFunc(maps.Keys(archives), func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })
	for _, k := range keys {
		at := path.Join(s.dir, k)
		text = strings.ReplaceAll(text, at+"/", at+": "+archives[k]+"/")
	}
	return text
}

// subchartFolders maps each subchart folder of a chart's files, as helm
// names it ("charts/s/charts/t", by chart names), to the folder
// ("charts/s-folder/charts/t"), where the two differ. A subchart that a
// dependency gives an alias is named by the alias (helm's
// getAliasDependency), once per dependency that uses it: charts/db may be
// charts/replica too.
func subchartFolders(files []*loader.BufferedFile) map[string]string {
	type meta struct {
		Name         string              `json:"name"`
		Version      string              `json:"version"`
		Dependencies []*chart.Dependency `json:"dependencies"`
	}
	charts := map[string]meta{}              // folder ("" for the chart itself) -> its Chart.yaml
	reqs := map[string][]*chart.Dependency{} // folder -> its requirements.yaml's dependencies
	for _, f := range files {
		var dir string
		switch {
		case f.Name == "Chart.yaml" || f.Name == "requirements.yaml":
		case strings.HasPrefix(f.Name, "charts/") && (strings.HasSuffix(f.Name, "/Chart.yaml") || strings.HasSuffix(f.Name, "/requirements.yaml")):
			dir = path.Dir(f.Name)
		default:
			continue
		}
		var m meta
		if yaml.Unmarshal(f.Data, &m) != nil {
			continue
		}
		if path.Base(f.Name) == "requirements.yaml" {
			// helm's loader reads it over Chart.yaml's metadata.
			if m.Dependencies != nil {
				reqs[dir] = m.Dependencies
			}
			continue
		}
		charts[dir] = m
	}
	for dir, d := range reqs {
		if m, ok := charts[dir]; ok {
			m.Dependencies = d
			charts[dir] = m
		}
	}
	// names gives the names helm calls the subchart in folder dir by.
	names := func(dir string) []string {
		m := charts[dir]
		if m.Name == "" || strings.Contains(m.Name, "/") {
			return nil
		}
		parent := path.Dir(path.Dir(dir)) // "c/charts/db" -> "c"
		if parent == "." {
			parent = ""
		}
		var out []string
		listed := false
		for _, d := range charts[parent].Dependencies {
			if d == nil || d.Name != m.Name || !chartutil.IsCompatibleRange(d.Version, m.Version) {
				continue
			}
			listed = true
			n := m.Name
			if d.Alias != "" {
				n = d.Alias
			}
			if !strings.Contains(n, "/") {
				out = append(out, n)
			}
		}
		if !listed {
			// Not a dependency Chart.yaml lists: helm keeps it as it is.
			out = append(out, m.Name)
		}
		return out
	}
	dirs := make([]string, 0, len(charts))
	for dir := range charts {
		if dir != "" {
			dirs = append(dirs, dir)
		}
	}
	sort.Strings(dirs)
	out := map[string]string{}
	for _, dir := range dirs {
		// Each "charts/<folder>" step of dir, by each name its chart has.
		parts := strings.Split(dir, "/")
		if len(parts)%2 != 0 {
			continue
		}
		byName := []string{""}
		for j := 0; j+1 < len(parts) && len(byName) > 0; j += 2 {
			step := strings.Join(parts[:j+2], "/")
			stepNames := names(step)
			if m := charts[step]; j+2 < len(parts) && m.Dependencies == nil && m.Name != "" && !strings.Contains(m.Name, "/") {
				// A chart whose Chart.yaml lists no dependencies keeps
				// its subcharts as the loader parented them: helm's
				// alias is a copy (getAliasDependency) that
				// processDependencyEnabled leaves before it reparents
				// them, so they are named under the chart's own name
				// (p/charts/inner/charts/deep for a dependency inner
				// with alias inali), whatever the alias.
				stepNames = []string{m.Name}
			}
			var next []string
			if parts[j] == "charts" {
				for _, p := range byName {
					for _, n := range stepNames {
						next = append(next, path.Join(p, "charts", n))
					}
				}
			}
			byName = next
		}
		for _, n := range byName {
			// Two folders a name could stand for: helm takes either; the
			// first folder stays, so that the mapping does not vary.
			if _, taken := out[n]; n != dir && !taken {
				out[n] = dir
			}
		}
	}
	return out
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

// depsFile is the file that lists the chart's dependencies: Chart.yaml,
// or requirements.yaml where the chart has one (an apiVersion v1 chart's;
// helm's loader reads it over Chart.yaml's list).
func (s *chartSource) depsFile() string {
	f := s.chartYAML()
	if f == s.dir {
		return f // an archive, or a remote chart
	}
	for _, bf := range s.files {
		var req struct {
			Dependencies []any `json:"dependencies"`
		}
		if bf.Name == "requirements.yaml" && yaml.Unmarshal(bf.Data, &req) == nil && req.Dependencies != nil {
			return path.Join(s.dir, "requirements.yaml")
		}
	}
	return f
}

// chartEntries bounds the folder entries the walk of one chart folder
// lists, each counted every time a symlink leads to it. Folders reached
// through several symlinks are walked again each time, so a few links
// (d0/a and d0/b to d1, d1/a and d1/b to d2, …) make the walk exponential
// without a file for the chart's file bound to count: 22 levels kept a
// render walking until --timeout. The yaml engine's walk has the same bound.
const chartEntries = 100_000

// newBudget is the budget of one chart load: the files and unpacked bytes
// of the chart, its subcharts and nested archives, measured before helm's
// loader sees them (see chartarchive).
func (e *Engine) newBudget() *chartarchive.Budget {
	return chartarchive.New(e.bounds.chartFiles, e.bounds.chartSize, loader.MaxDecompressedFileSize)
}

// chart returns the files of req's chart, local or remote. rec records
// what a local chart's load observed (a remote chart is not on the disk:
// its render is never cached).
func (e *Engine) chart(ctx context.Context, req *templates.Request, rec *deps.Recorder) (*chartSource, error) {
	if req.ChartRepo != "" {
		return e.remoteChart(ctx, req)
	}
	return e.localChart(req, rec)
}

// loadedChart is a local chart's files and the observations made reading
// them, which every render of the chart replays into its own Recorder: the
// chart is read once per Engine, its observations hold for each render.
type loadedChart struct {
	files []*loader.BufferedFile
	deps  []templates.Dep
	// changed says an observation gave two answers while the chart was
	// read: the files may be a mix of old and new, and no render of them
	// may be cached.
	changed bool
	// layout is the chart's layout (chartLayout), made once for every
	// render of the chart; nil for a remote chart.
	layout func() *chartLayout
}

// localChart loads a chart folder or .tgz inside the repository.
func (e *Engine) localChart(req *templates.Request, rec *deps.Recorder) (*chartSource, error) {
	rel := path.Clean(req.Path)
	real, err := rec.Resolve(req.Root, req.Path)
	if err != nil {
		var oe *rootfs.OutsideError
		if errors.As(err, &oe) {
			return nil, &diag.Error{File: rel, Msg: "chart " + oe.Error(), Hint: "charts must be inside the repository; fix helm.chart (in kiln.yaml, or in the env file that sets it)", Err: err}
		}
		return nil, &diag.Error{File: rel, Msg: "resolving chart path: " + err.Error(), Err: err}
	}
	fi, err := os.Stat(real)
	rec.Stat(real, fi, err)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &diag.Error{File: rel, Msg: "chart not found", Hint: "helm.chart is a chart folder or .tgz relative to the repository root; set helm.repo for a chart from a chart repository", Err: err}
		}
		return nil, &diag.Error{File: rel, Msg: "reading chart: " + err.Error(), Err: err}
	}
	loaded, err := e.files.do(real, func() (loadedChart, error) {
		budget := e.newBudget()
		load := deps.New(req.Root)
		var files []*loader.BufferedFile
		var err error
		var top string
		if fi.IsDir() {
			files, err = readChartDir(load, req.Root, real, rel, budget, e.bounds.chartEntries)
		} else {
			files, err = readChartArchive(load, real, rel, budget, &top)
		}
		if err != nil {
			return loadedChart{}, err
		}
		ds, ok := load.Deps()
		return loadedChart{files: files, deps: ds, changed: !ok, layout: sync.OnceValue(func() *chartLayout { return newLayout(files, top) })}, nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range loaded.deps {
		rec.Record(d.Kind, d.Path, d.Sum)
	}
	return &chartSource{files: loaded.files, input: rel, dir: rel, changed: loaded.changed, layout: loaded.layout}, nil
}

// readChartDir reads a chart folder like helm's loader.LoadDir (honouring
// .helmignore, following symlinks, trimming a UTF-8 BOM) but checks that every
// file, symlinks resolved, stays inside root. rel is the folder's
// repository-relative path, for messages. Its files, and the subchart
// archives among them, are measured against budget; the entries it lists
// against maxEntries (chartEntries).
//
// rec records what the output depends on: whether there is a .helmignore
// and its content, every folder's listing (a template added counts, an
// ignored one too), where each symlink leads and what is there, and every
// file's content.
func readChartDir(rec *deps.Recorder, root, dir, rel string, budget *chartarchive.Budget, maxEntries int) ([]*loader.BufferedFile, error) {
	rules := ignore.Empty()
	ifile := filepath.Join(dir, ignore.HelmIgnore)
	if real, err := rec.Resolve(root, ifile); err != nil {
		return nil, containError(path.Join(rel, ignore.HelmIgnore), err)
	} else if fi, err := os.Stat(real); err == nil {
		rec.Stat(real, fi, err)
		data, err := limits.ReadFile(real)
		if err != nil {
			return nil, &diag.Error{File: path.Join(rel, ignore.HelmIgnore), Msg: "reading .helmignore: " + err.Error(), Err: err}
		}
		rec.File(real, data)
		r, err := ignore.Parse(bytes.NewReader(data))
		if err != nil {
			return nil, &diag.Error{File: path.Join(rel, ignore.HelmIgnore), Msg: "invalid .helmignore: " + err.Error(), Err: err}
		}
		rules = r
	} else {
		// Absent, or not readable: helm's loader reads none then either.
		rec.Stat(real, fi, err)
	}
	rules.AddDefaults()

	var files []*loader.BufferedFile
	entriesBound := maxEntries
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
		rec.Dir(realDir, entries)
		if maxEntries -= len(entries); maxEntries < 0 {
			le := &limits.Error{What: "the entries of the chart folder, each counted every time a symlink leads to it,", Limit: fmt.Sprint(entriesBound)}
			return &diag.Error{File: rel, Msg: le.Describe(), Err: le,
				Hint: "a symlink to a folder the walk reaches anyway makes it walk that folder again, and each such link doubles the walk; remove such links"}
		}
		for _, de := range entries {
			n := path.Join(name, de.Name())
			p := filepath.Join(realDir, de.Name())
			link := de.Type()&fs.ModeSymlink != 0
			if link {
				real, err := rec.Resolve(root, p)
				if err != nil {
					return containError(path.Join(rel, n), err)
				}
				p = real
			}
			fi, err := os.Stat(p)
			if link {
				// The listing says what every other entry is.
				rec.Stat(p, fi, err)
			}
			if link && errors.Is(err, fs.ErrNotExist) {
				// os.Stat's text names the link's own absolute path, which
				// exists, as missing.
				return &diag.Error{File: path.Join(rel, n), Msg: "chart file is a symlink to a file that does not exist", Err: err,
					Hint: "remove the link, or put the file it points to into the chart (helm fails on it too, .helmignore or not)"}
			}
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
			rec.File(p, data)
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
// against budget as helm's loader unpacks it (unpackArchive). rec records
// the archive's content (nil for a downloaded one), hashed from the same
// read.
func readChartArchive(rec *deps.Recorder, p, rel string, budget *chartarchive.Budget, top *string) ([]*loader.BufferedFile, error) {
	f, err := limits.Open(p)
	if err != nil {
		return nil, &diag.Error{File: rel, Msg: "reading chart archive: " + err.Error(), Err: err}
	}
	defer f.Close()
	var in io.Reader = f
	h := sha256.New()
	if rec != nil {
		in = io.TeeReader(f, h)
	}
	files, limit, err := unpackArchiveTop(in, budget, top)
	if limit != nil {
		return nil, &diag.Error{File: rel, Msg: limit.Error(), Hint: limits.Hint, Err: limit}
	}
	if err != nil {
		de := &diag.Error{File: rel, Msg: "reading chart archive: " + err.Error(), Hint: "a chart file must be a .tgz made by helm package", Err: err}
		if st, serr := f.Stat(); serr == nil && st.Size() <= 4096 {
			// Small enough to be no chart: read again to say what it is.
			if head, rerr := os.ReadFile(p); rerr == nil {
				if what, hint := notAnArchive(head); what != "" {
					de.Msg, de.Hint = "reading chart archive: it is "+what+" ("+err.Error()+")", hint
				}
			}
		}
		return nil, de
	}
	if rec != nil {
		// Hashed as deps.FileSum would: the bytes past the end of the tar
		// stream too, which the loader leaves unread.
		if _, err := io.Copy(h, f); err != nil {
			return nil, &diag.Error{File: rel, Msg: "reading chart archive: " + err.Error(), Err: err}
		}
		rec.Record(deps.File, p, "sha256:"+hex.EncodeToString(h.Sum(nil)))
	}
	return files, nil
}

// unpackArchive returns the files of a chart archive as helm's
// loader.LoadArchiveFiles (v3.22.0) does, refusing what it refuses in its
// words, but reads the archive once, through budget
// (chartarchive.Budget.Unpack): measuring it first and then unpacking it
// gunzipped a large chart twice, ~5 % of kube-prometheus-stack's render.
// A limit error is returned as limit, before any of helm's.
// TestUnpackArchiveIsHelms and FuzzUnpackArchive hold it to helm's
// function, files and errors.
func unpackArchive(in io.Reader, budget *chartarchive.Budget) (files []*loader.BufferedFile, limit, err error) {
	return unpackArchiveTop(in, budget, nil)
}

// unpackArchiveTop is unpackArchive that also sets *top, when top is not
// nil, to the folder the archive's first chart file starts with, which
// helm drops: what a user lists the archive's entries under.
func unpackArchiveTop(in io.Reader, budget *chartarchive.Budget, top *string) (files []*loader.BufferedFile, limit, err error) {
	files = []*loader.BufferedFile{}
	left := loader.MaxDecompressedChartSize // shared by all the chart's files
	tooBig := func() error {
		return fmt.Errorf("decompressed chart is larger than the maximum file size %d", loader.MaxDecompressedChartSize)
	}
	limit, err = budget.Unpack(in, func(hd *tar.Header, data io.Reader) error {
		if hd.FileInfo().IsDir() || hd.Typeflag == tar.TypeXGlobalHeader || hd.Typeflag == tar.TypeXHeader {
			return nil // no chart file: a folder, or pax metadata
		}
		name, err := archiveChartPath(hd.Name)
		if err != nil {
			return err
		}
		if top != nil && *top == "" {
			if i := strings.IndexAny(hd.Name, `/\`); i > 0 {
				*top = hd.Name[:i]
			}
		}
		if hd.Size > left {
			return tooBig()
		}
		if hd.Size > loader.MaxDecompressedFileSize {
			return fmt.Errorf("decompressed chart file %q is larger than the maximum file size %d", hd.Name, loader.MaxDecompressedFileSize)
		}
		// hd.Size is at most 5 MiB here: the buffer is made once, with the
		// room ReadFrom wants free to see the end.
		b := bytes.NewBuffer(make([]byte, 0, hd.Size+bytes.MinRead))
		n, err := b.ReadFrom(io.LimitReader(data, left))
		if err != nil {
			return err
		}
		left -= n
		// Fewer bytes than the header says: the limit cut the file short,
		// so this file (the last one, maybe) is what passes it.
		if n < hd.Size || left <= 0 {
			return tooBig()
		}
		files = append(files, &loader.BufferedFile{Name: name, Data: bytes.TrimPrefix(b.Bytes(), []byte{0xEF, 0xBB, 0xBF})})
		return nil
	})
	if limit != nil || err != nil {
		return nil, limit, err
	}
	if len(files) == 0 {
		return nil, nil, errors.New("no files in chart archive")
	}
	return files, nil, nil
}

// archiveChartPath turns an archive entry's name, which starts with the
// chart's own folder, into the path of a chart file, as helm's loader
// does: "\\" separates the parts if the name has one (an archive made on
// Windows), and a name that leaves the chart, is absolute or names a
// drive is refused, as is a Chart.yaml outside the chart's folder.
func archiveChartPath(entry string) (string, error) {
	sep := "/"
	if strings.ContainsRune(entry, '\\') {
		sep = `\`
	}
	top, rest, _ := strings.Cut(entry, sep)
	name := strings.ReplaceAll(rest, sep, "/")
	if path.IsAbs(name) {
		return "", errors.New("chart illegally contains absolute paths")
	}
	switch name = path.Clean(name); {
	case name == ".":
		// Nothing below the top folder: the entry was not under it.
		return "", fmt.Errorf("chart illegally contains content outside the base directory: %q", entry)
	case strings.HasPrefix(name, ".."):
		return "", errors.New("chart illegally references parent directory")
	case isDrivePath(name):
		return "", errors.New("chart contains illegally named files")
	case top == "Chart.yaml":
		return "", errors.New("chart yaml not in base directory")
	}
	return name, nil
}

// isDrivePath reports whether p starts like "c:/", which mixed UNIX and
// Windows separators can bring past the other checks (helm matches
// ^[a-zA-Z]:/; a regexp would be compiled at every start-up).
func isDrivePath(p string) bool {
	return len(p) >= 3 && p[1] == ':' && p[2] == '/' && ('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z')
}
