package flux

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	swapi "github.com/fluxcd/source-watcher/api/v2/v1beta1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// HelmChartLayer is the media type of a Helm chart's content layer in an
// OCI artifact: what an OCIRepository must select for helm-controller.
const HelmChartLayer = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

// HelmRelease describes the Flux HelmRelease equivalent to a kiln helm app:
// what a reviewer reads in high-level/<app>/helmrelease.yaml.
type HelmRelease struct {
	// Name is the HelmRelease's name and the Helm release name: the app.
	Name string
	// Namespace is the app's namespace: the HelmRelease lives there, so the
	// release lands there too (Helm's release namespace).
	Namespace string
	// App and Env are recorded in labels.
	App, Env string
	// Interval and Timeout are Go durations; Timeout may be empty.
	Interval, Timeout string
	// Chart is a folder in the repository when Repo is empty, else the
	// chart's name in Repo.
	Chart string
	// Repo is an http(s):// chart repository or an oci:// prefix.
	Repo string
	// Version is the chart version or constraint (remote charts).
	Version string
	// GitSource is the Flux source a chart folder is read from.
	GitSource Ref
	// DependsOn are other HelmReleases; a Namespace equal to the
	// HelmRelease's own is left out.
	DependsOn []Ref
	// Values are the user-supplied values (values files merged, then the
	// env's values), not the chart's defaults.
	Values map[string]any
	// SkipCRDs is helm.skipCRDs: kiln left the chart's crds/ files out, and
	// helm-controller installs them unless install.crds is Skip (its
	// default is Create; an upgrade skips them already). Without it the
	// HelmRelease would install CRDs the app's output does not hold, a
	// second owner beside the app that renders them.
	SkipCRDs bool
}

// exactVersion matches a single semver version, which an OCIRepository
// takes as a tag; anything else is a constraint (ref.semver).
var exactVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// BuildHelmRelease returns the HelmRelease and, for a remote chart, the
// source it reads the chart from (a *sourcev1.HelmRepository or a
// *sourcev1.OCIRepository named like the release, in its namespace). For a
// chart folder source is nil when GitSource is a GitRepository or Bucket,
// which the HelmRelease reads directly, and a *swapi.ArtifactGenerator
// named like the release when it is an OCIRepository.
func BuildHelmRelease(h HelmRelease) (hr *helmv2.HelmRelease, source any, err error) {
	interval, err := time.ParseDuration(h.Interval)
	if err != nil {
		return nil, nil, fmt.Errorf("flux interval %q: %w", h.Interval, err)
	}
	labels := map[string]string{
		"app.kubernetes.io/managed-by": "kiln",
		"kiln/app":                     h.App,
		"kiln/env":                     h.Env,
	}
	om := metav1.ObjectMeta{Name: h.Name, Namespace: h.Namespace, Labels: labels}
	hr = &helmv2.HelmRelease{
		TypeMeta:   metav1.TypeMeta{APIVersion: helmv2.GroupVersion.String(), Kind: helmv2.HelmReleaseKind},
		ObjectMeta: om,
		Spec: helmv2.HelmReleaseSpec{
			Interval:    metav1.Duration{Duration: interval},
			ReleaseName: h.Name,
		},
	}
	if h.Timeout != "" {
		t, err := time.ParseDuration(h.Timeout)
		if err != nil {
			return nil, nil, fmt.Errorf("flux timeout %q: %w", h.Timeout, err)
		}
		hr.Spec.Timeout = &metav1.Duration{Duration: t}
	}
	srcMeta := metav1.ObjectMeta{Name: h.Name, Namespace: h.Namespace, Labels: labels}
	switch {
	case h.Repo == "" && h.GitSource.Kind == sourcev1.OCIRepositoryKind:
		// HelmChart templates read folders from GitRepository, Bucket
		// and HelmRepository sources only (the CRD's enum); chartRef
		// takes an OCIRepository only when its artifact is the chart
		// itself. A folder of an OCI artifact becomes a chart through
		// source-watcher's ArtifactGenerator (Flux 2.7+), whose
		// ExternalArtifact chartRef takes.
		hr.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: "ExternalArtifact", Name: h.Name}
		source = artifactGenerator(h, srcMeta)
	case h.Repo == "":
		ns := h.GitSource.Namespace
		if ns == h.Namespace {
			ns = ""
		}
		hr.Spec.Chart = &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
			// Without a trailing slash, as the ArtifactGenerator writes
			// the folder: a HelmRelease read back from either is made
			// again the same.
			Chart:     "./" + strings.TrimRight(strings.TrimPrefix(h.Chart, "./"), "/"),
			SourceRef: helmv2.CrossNamespaceObjectReference{Kind: h.GitSource.Kind, Name: h.GitSource.Name, Namespace: ns},
			// A chart folder changes with the repository's revision, not
			// with Chart.yaml's version.
			ReconcileStrategy: "Revision",
		}}
	case strings.HasPrefix(h.Repo, "oci://"):
		ref := &sourcev1.OCIRepositoryRef{SemVer: h.Version}
		if exactVersion.MatchString(h.Version) {
			// An OCI tag holds no "+": helm pushes a version's build
			// metadata after a "_" (1.2.3+up4 as 1.2.3_up4), kiln pulls
			// that tag, and an OCIRepository asking for 1.2.3+up4 would
			// fetch nothing.
			ref = &sourcev1.OCIRepositoryRef{Tag: strings.ReplaceAll(h.Version, "+", "_")}
		}
		source = &sourcev1.OCIRepository{
			TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.OCIRepositoryKind},
			ObjectMeta: srcMeta,
			Spec: sourcev1.OCIRepositorySpec{
				URL:           strings.TrimSuffix(h.Repo, "/") + "/" + h.Chart,
				Reference:     ref,
				LayerSelector: &sourcev1.OCILayerSelector{MediaType: HelmChartLayer, Operation: sourcev1.OCILayerCopy},
				Interval:      metav1.Duration{Duration: interval},
			},
		}
		hr.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: h.Name}
	default:
		source = &sourcev1.HelmRepository{
			TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.HelmRepositoryKind},
			ObjectMeta: srcMeta,
			Spec: sourcev1.HelmRepositorySpec{
				URL:      h.Repo,
				Interval: metav1.Duration{Duration: interval},
			},
		}
		hr.Spec.Chart = &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
			Chart:     h.Chart,
			Version:   h.Version,
			SourceRef: helmv2.CrossNamespaceObjectReference{Kind: sourcev1.HelmRepositoryKind, Name: h.Name},
		}}
	}
	hr.Spec.DependsOn = dependencies(h.DependsOn, h.Namespace)
	if h.SkipCRDs {
		hr.Spec.Install = &helmv2.Install{CRDs: helmv2.Skip}
	}
	if len(h.Values) > 0 {
		raw, err := json.Marshal(h.Values)
		if err != nil {
			return nil, nil, fmt.Errorf("helm values: %w", err)
		}
		hr.Spec.Values = &apiextensionsv1.JSON{Raw: raw}
	}
	return hr, source, nil
}

// artifactGenerator returns the ArtifactGenerator that copies the chart
// folder out of h.GitSource into an ExternalArtifact named like the
// release, in the release's namespace.
func artifactGenerator(h HelmRelease, meta metav1.ObjectMeta) *swapi.ArtifactGenerator {
	src := swapi.SourceReference{Alias: "source", Kind: h.GitSource.Kind, Name: h.GitSource.Name}
	if h.GitSource.Namespace != h.Namespace {
		src.Namespace = h.GitSource.Namespace
	}
	chart := strings.Trim(strings.TrimPrefix(h.Chart, "./"), "/")
	return &swapi.ArtifactGenerator{
		TypeMeta:   metav1.TypeMeta{APIVersion: swapi.GroupVersion.String(), Kind: swapi.ArtifactGeneratorKind},
		ObjectMeta: meta,
		Spec: swapi.ArtifactGeneratorSpec{
			Sources: []swapi.SourceReference{src},
			OutputArtifacts: []swapi.OutputArtifact{{
				Name:           h.Name,
				OriginRevision: "@source",
				Copy:           []swapi.CopyOperation{{From: "@source/" + chart + "/**", To: "@artifact/"}},
			}},
		},
	}
}

// ReadHelmRelease reads back the HelmRelease that BuildHelmRelease built,
// as Marshal wrote it (hr), with its source (src, nil when it has none):
// BuildHelmRelease of the result builds them again. Other Flux objects,
// or a HelmRelease of a shape BuildHelmRelease never builds, are errors.
func ReadHelmRelease(hr, src []byte) (HelmRelease, error) {
	var r helmv2.HelmRelease
	if err := readObject(hr, helmv2.GroupVersion.String(), helmv2.HelmReleaseKind, &r); err != nil {
		return HelmRelease{}, err
	}
	h := HelmRelease{
		Name: r.Name, Namespace: r.Namespace, App: r.Labels["kiln/app"], Env: r.Labels["kiln/env"],
		Interval: r.Spec.Interval.Duration.String(),
	}
	if r.Spec.Timeout != nil {
		h.Timeout = r.Spec.Timeout.Duration.String()
	}
	for _, d := range r.Spec.DependsOn {
		h.DependsOn = append(h.DependsOn, Ref{Name: d.Name, Namespace: cmp.Or(d.Namespace, r.Namespace)})
	}
	switch {
	case r.Spec.Install == nil:
	case reflect.DeepEqual(*r.Spec.Install, helmv2.Install{CRDs: helmv2.Skip}):
		h.SkipCRDs = true
	default:
		// Built again, any other install setting would be lost.
		return HelmRelease{}, fmt.Errorf("the HelmRelease's install settings are none kiln writes")
	}
	if r.Spec.Values != nil {
		if err := json.Unmarshal(r.Spec.Values.Raw, &h.Values); err != nil {
			return HelmRelease{}, fmt.Errorf("reading the HelmRelease's values: %w", err)
		}
	}
	chart, chartRef := r.Spec.Chart, r.Spec.ChartRef
	switch {
	case chartRef != nil && chartRef.Kind == "ExternalArtifact":
		var g swapi.ArtifactGenerator
		if err := readObject(src, swapi.GroupVersion.String(), swapi.ArtifactGeneratorKind, &g); err != nil {
			return HelmRelease{}, err
		}
		if len(g.Spec.Sources) != 1 || len(g.Spec.OutputArtifacts) != 1 || len(g.Spec.OutputArtifacts[0].Copy) != 1 {
			return HelmRelease{}, fmt.Errorf("the ArtifactGenerator does not copy one chart folder of one source")
		}
		s, from := g.Spec.Sources[0], g.Spec.OutputArtifacts[0].Copy[0].From
		folder, prefixed := strings.CutPrefix(from, "@source/")
		folder, suffixed := strings.CutSuffix(folder, "/**")
		if !prefixed || !suffixed {
			return HelmRelease{}, fmt.Errorf("the ArtifactGenerator copies %q, not a chart folder", from)
		}
		h.Chart = folder
		h.GitSource = Ref{Kind: s.Kind, Name: s.Name, Namespace: cmp.Or(s.Namespace, r.Namespace)}
	case chartRef != nil && chartRef.Kind == sourcev1.OCIRepositoryKind:
		var o sourcev1.OCIRepository
		if err := readObject(src, sourcev1.GroupVersion.String(), sourcev1.OCIRepositoryKind, &o); err != nil {
			return HelmRelease{}, err
		}
		// BuildHelmRelease joins the two with a slash; any split at one
		// joins back to the same URL.
		i := strings.LastIndex(o.Spec.URL, "/")
		if i < 0 || o.Spec.Reference == nil {
			return HelmRelease{}, fmt.Errorf("the OCIRepository names no chart of a repository (url %q and a tag or semver)", o.Spec.URL)
		}
		h.Repo, h.Chart = o.Spec.URL[:i], o.Spec.URL[i+1:]
		// A tag is an exact version, which holds no "_" but the one that
		// stands for its "+".
		h.Version = cmp.Or(strings.ReplaceAll(o.Spec.Reference.Tag, "_", "+"), o.Spec.Reference.SemVer)
	case chart != nil && chart.Spec.SourceRef.Kind == sourcev1.HelmRepositoryKind:
		var o sourcev1.HelmRepository
		if err := readObject(src, sourcev1.GroupVersion.String(), sourcev1.HelmRepositoryKind, &o); err != nil {
			return HelmRelease{}, err
		}
		h.Chart, h.Repo, h.Version = chart.Spec.Chart, o.Spec.URL, chart.Spec.Version
	case chart != nil && chartRef == nil:
		if src != nil {
			return HelmRelease{}, fmt.Errorf("a source the HelmRelease's chart folder is not read from")
		}
		ref := chart.Spec.SourceRef
		h.Chart = chart.Spec.Chart
		h.GitSource = Ref{Kind: ref.Kind, Name: ref.Name, Namespace: cmp.Or(ref.Namespace, r.Namespace)}
	default:
		return HelmRelease{}, fmt.Errorf("the HelmRelease's chart is none kiln writes")
	}
	return h, nil
}

// readObject decodes data, one object of apiVersion and kind, strictly
// into obj: a field the Flux type does not know would be lost if the
// object were built again from it.
func readObject(data []byte, apiVersion, kind string, obj any) error {
	if data == nil {
		return fmt.Errorf("no %s", kind)
	}
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return fmt.Errorf("reading the %s: %w", kind, err)
	}
	if tm.APIVersion != apiVersion || tm.Kind != kind {
		return fmt.Errorf("a %s %s where a %s %s was expected", tm.APIVersion, tm.Kind, apiVersion, kind)
	}
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		return fmt.Errorf("reading the %s: %w", kind, err)
	}
	return nil
}
