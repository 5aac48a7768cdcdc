package render

import (
	"testing"

	"github.com/kiln-gitops/kiln/envconfig"
)

// TestInChartCRDs: the files of a chart's crds/ folder (Helm's
// CRDObjects: its own and its subcharts', of a chart at the repository
// root, in an archive, from a repository) are those helm.skipCRDs leaves
// out; a template in a folder named crds, or a subchart named crds, is not.
func TestInChartCRDs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		chart, repo, file string
		want              bool
	}{
		{"charts/karpenter", "", "charts/karpenter/crds/karpenter.sh_nodepools.yaml", true},
		{"charts/karpenter/", "", "charts/karpenter/crds/karpenter.sh_nodepools.yaml", true},
		{".", "", "crds/widgets.yaml", true},
		{"charts/app", "", "charts/app/charts/db/crds/databases.yaml", true},
		{"charts/app", "", "charts/app/crds/nested/more.yaml", true},
		{"charts/app-1.0.0.tgz", "", "charts/app-1.0.0.tgz: app/crds/widgets.yaml", true},
		{"charts/app", "", "charts/app/charts/sub-1.0.0.tgz: sub/crds/widgets.yaml", true},
		{"charts/app-1.0.0.tgz", "", "charts/app-1.0.0.tgz: app/templates/crds.yaml", false},
		{"karpenter", "oci://public.ecr.aws/karpenter", "karpenter/crds/karpenter.sh_nodepools.yaml", true},
		{"charts/app", "", "charts/app/templates/crds/widgets.yaml", false},
		{"charts/app", "", "charts/app/templates/crds.yaml", false},
		{"charts/kube-prometheus-stack", "", "charts/kube-prometheus-stack/charts/crds/templates/a.yaml", false},
		{"charts/app", "", "charts/other/crds/widgets.yaml", false},
	} {
		if got := inChartCRDs(&envconfig.Helm{Chart: tt.chart, Repo: tt.repo}, tt.file); got != tt.want {
			t.Errorf("chart %q: inChartCRDs(%q) = %v, want %v", tt.chart, tt.file, got, tt.want)
		}
	}
}
