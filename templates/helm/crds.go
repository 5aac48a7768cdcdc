package helm

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/kiln-gitops/kiln/internal/deps"
	"github.com/kiln-gitops/kiln/templates"
)

// CRDFile is a file of a chart's crds/ folder, or of one of its subchart
// folders'.
type CRDFile struct {
	// Name is the file's path inside the chart ("crds/x.yaml",
	// "charts/sub/crds/y.yaml").
	Name string
	Data []byte
}

// CRDFiles returns the files of req's local chart that helm would install
// as CustomResourceDefinitions if every subchart were enabled: those with
// a manifest extension under crds/ of the chart or of a subchart folder in
// its charts/ (subchart archives are not opened). It reads the chart as
// Render does, under the same bounds, and renders nothing, so that a
// caller can start on the CRDs (compiling their schemas) while the chart
// renders elsewhere. A remote chart has none here, nor has a chart that
// cannot be read: Render reports why.
//
// The files are not Render's: they are read again, and a subchart that
// its condition disables still has its CRDs here. Only what Render
// returns is the chart's output.
func (e *Engine) CRDFiles(ctx context.Context, req *templates.Request) []CRDFile {
	if req.ChartRepo != "" || ctx.Err() != nil {
		return nil
	}
	rec := deps.New(req.Root) // observations nobody replays
	rel := path.Clean(req.Path)
	real, err := rec.Resolve(req.Root, req.Path)
	if err != nil {
		return nil
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil
	}
	var bf []*loader.BufferedFile
	if fi.IsDir() {
		bf, err = readChartDir(rec, req.Root, real, rel, e.newBudget())
	} else {
		bf, err = readChartArchive(nil, real, rel, e.newBudget())
	}
	if err != nil {
		return nil
	}
	var files []CRDFile
	for _, f := range bf {
		if crdFile(f.Name) {
			files = append(files, CRDFile{Name: f.Name, Data: f.Data})
		}
	}
	return files
}

// crdFile reports whether name, a path inside a chart, is where helm's
// Chart.CRDObjects finds CRDs: crds/ of the chart, or of a subchart in
// charts/<sub>/, at any depth, with a manifest extension.
func crdFile(name string) bool {
	for {
		if rest, ok := strings.CutPrefix(name, "crds/"); ok && rest != "" {
			ext := strings.ToLower(filepath.Ext(name))
			return ext == ".yaml" || ext == ".yml" || ext == ".json"
		}
		rest, ok := strings.CutPrefix(name, "charts/")
		if !ok {
			return false
		}
		_, name, ok = strings.Cut(rest, "/")
		if !ok {
			return false
		}
	}
}
