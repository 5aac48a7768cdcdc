package helm

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
)

// kiln renders a chart with helm's own libraries, in the steps helm's
// install action takes in client-only dry-run mode, the mode `helm template`
// sets up (cmd/helm/template.go). It does not call pkg/action: that package
// links and initializes what only a cluster client needs (kube,
// kubectl, cli-runtime, the release storage drivers with their SQL
// libraries, the lint rules), and every kiln process and sandbox worker
// would pay for it at start-up. Each step below names the helm v3.22.0
// function it matches; a helm upgrade must re-read them.

// rendered is what `helm template --include-crds --skip-tests` prints for
// a chart, as the chunks that follow its "---\n# Source: <name>" lines.
type rendered struct {
	// manifest holds the chart's CRD files (crds/ of the chart and of each
	// enabled subchart, verbatim) and then its rendered templates, one
	// document each, in helm's install order.
	manifest []chunk
	// hooks holds the rendered hooks that are not test hooks, in helm's
	// order; helm template prints them after the manifest. Those that do
	// not run on an install or upgrade (runsOnApply) become no objects.
	hooks []chunk
	// size is what helm's release would hold: the manifest's text and every
	// hook's, test hooks included. Output bounds are measured on it.
	size int
	// skipped are the objects helm leaves out as hooks of an unknown event.
	skipped []skippedHook
}

// installOptions are the settings of one client-only install.
type installOptions struct {
	releaseName string
	namespace   string
	// kubeVersion replaces helm's default (--kube-version); nil keeps it.
	kubeVersion *chartutil.KubeVersion
	// apiVersions are added to .Capabilities.APIVersions (--api-versions):
	// the custom resources the cluster serves (Request.APIVersions).
	apiVersions []string
	// crdTexts holds the CRD files' texts as the manifest prints them,
	// made once for preParse and the manifest.
	crdTexts crdTexts
	// skipCRDs leaves the CRD files out (Request.SkipCRDs).
	skipCRDs bool
}

// clientOnlyInstall renders chrt with vals, the user's values (chart
// defaults not yet merged), as action.Install.RunWithContext does with
// DryRun, ClientOnly, IncludeCRDs and EnableDNS off. It processes chrt's
// dependencies in place. Its errors are helm's, word for word, so that
// renderError reads them as before.
func clientOnlyInstall(chrt *chart.Chart, vals map[string]any, o installOptions) (*rendered, error) {
	// Install.availableName: the name is checked; a dry run looks no further.
	if err := chartutil.ValidateReleaseName(o.releaseName); err != nil {
		return nil, fmt.Errorf("release name %q: %w", o.releaseName, err)
	}
	// Install.RunWithContext: conditions, tags and import-values.
	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return nil, err
	}
	// Install.RunWithContext, ClientOnly: helm's default capabilities, the
	// --kube-version if given, and the API versions a cluster of that
	// version serves, as its discovery would list them
	// (capabilities.go; helm template's --api-versions).
	caps := chartutil.DefaultCapabilities.Copy()
	if o.kubeVersion != nil {
		caps.KubeVersion = *o.kubeVersion
		caps.APIVersions = apiVersionsFor(o.kubeVersion)
	}
	caps.APIVersions = withAPIVersions(caps.APIVersions, o.apiVersions)
	// Install.RunWithContext: an install (not --is-upgrade), revision 1;
	// the values are checked against values.schema.json (schema.go).
	opts := chartutil.ReleaseOptions{Name: o.releaseName, Namespace: o.namespace, Revision: 1, IsInstall: true}
	top, err := renderValues(chrt, vals, opts, caps)
	if err != nil {
		return nil, err
	}
	return renderResources(chrt, top, caps, o.crdTexts, o.skipCRDs)
}

// renderResources matches Configuration.renderResources for `helm
// template`: no output dir, no post-renderer, CRDs included unless
// skipCRDs, the engine without a cluster client (lookup finds nothing)
// and without DNS.
func renderResources(chrt *chart.Chart, top chartutil.Values, caps *chartutil.Capabilities, texts crdTexts, skipCRDs bool) (*rendered, error) {
	if c := chrt.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c, caps.KubeVersion.String())
	}
	files, err := engine.Engine{EnableDNS: false}.Render(chrt, top)
	if err != nil {
		return nil, err
	}
	// NOTES.txt of the chart and of every subchart is neither a manifest
	// nor a hook; helm keeps it apart, and helm template does not print it.
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	rel := &rendered{skipped: unknownHooks(files)}
	add := func(source, body string) {
		rel.manifest = append(rel.manifest, chunk{source: source, body: body})
		rel.size += len("---\n# Source: \n") + len(source) + len(body)
	}
	if !skipCRDs {
		for _, c := range chrt.CRDObjects() {
			add(c.Filename, texts.text(c.File))
		}
	}
	for _, m := range manifests {
		add(m.Name, m.Content+"\n")
	}
	for _, h := range hooks {
		rel.size += len(h.Manifest)
		if isTestHook(h) {
			continue // --skip-tests (cmd/helm/template.go)
		}
		// SortManifests trimmed the document; helm template prints it with
		// a line break after it, as it prints the manifests above, and a
		// final `|` block scalar keeps that line break in its value.
		rel.hooks = append(rel.hooks, chunk{source: h.Path, body: h.Manifest + "\n", events: h.Events})
	}
	return rel, nil
}

// skippedHook is an object whose helm.sh/hook annotation names an event
// Helm does not know (Helm 2's crd-install, a typo such as pre-instal):
// helm's SortManifests leaves it out of the release, and helm template out
// of its output, logging only "info: skipping unknown hook". kiln leaves it
// out too, but says so by name: the object is lost without a trace
// otherwise.
type skippedHook struct {
	source, kind, name, hook string
}

// hookEvents are the events helm's SortManifests knows (releaseutil's
// unexported events map), in lower case.
var hookEvents = map[string]bool{
	release.HookPreInstall.String(): true, release.HookPostInstall.String(): true,
	release.HookPreDelete.String(): true, release.HookPostDelete.String(): true,
	release.HookPreUpgrade.String(): true, release.HookPostUpgrade.String(): true,
	release.HookPreRollback.String(): true, release.HookPostRollback.String(): true,
	release.HookTest.String(): true, "test-success": true,
}

// unknownHooks finds the objects SortManifests skipped as unknown hooks,
// in its order (files by name, then documents in order), reading each
// document as it does. Only documents that mention the annotation are
// parsed, so that charts without hooks pay nothing.
func unknownHooks(files map[string]string) []skippedHook {
	var names []string
	for name, content := range files {
		if strings.Contains(content, release.HookAnnotation) && !strings.HasPrefix(path.Base(name), "_") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []skippedHook
	for _, name := range names {
		entries := releaseutil.SplitManifests(files[name])
		keys := make([]string, 0, len(entries))
		for k := range entries {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		for _, k := range keys {
			m := entries[k]
			if !strings.Contains(m, release.HookAnnotation) {
				continue
			}
			var head releaseutil.SimpleHead
			if yaml.Unmarshal([]byte(m), &head) != nil || head.Metadata == nil {
				continue // SortManifests failed on it, or it has no annotations
			}
			hook, ok := head.Metadata.Annotations[release.HookAnnotation]
			if !ok {
				continue
			}
			for _, e := range strings.Split(hook, ",") {
				if !hookEvents[strings.ToLower(strings.TrimSpace(e))] {
					out = append(out, skippedHook{source: name, kind: head.Kind, name: head.Metadata.Name, hook: hook})
					break
				}
			}
		}
	}
	return out
}

// appliedEvents are the hook events Flux's applying of the tree stands
// for: Helm runs a hook of any of them when it installs or upgrades.
var appliedEvents = map[release.HookEvent]bool{
	release.HookPreInstall: true, release.HookPostInstall: true,
	release.HookPreUpgrade: true, release.HookPostUpgrade: true,
}

// runsOnApply reports whether a hook of events runs when Helm installs or
// upgrades. One that runs only when the release is deleted or rolled back
// (pre-delete, post-delete, pre-rollback, post-rollback) is no object of
// the tree: Flux would apply it with everything else, so a chart's
// uninstall clean-up (kyverno's Job that scales it to zero, a Job that
// deletes the chart's webhooks or custom resources) would run at every
// install, and never at a deletion, which Flux does by pruning.
func runsOnApply(events []release.HookEvent) bool {
	for _, e := range events {
		if appliedEvents[e] {
			return true
		}
	}
	return false
}

// isTestHook is cmd/helm/template.go's test for --skip-tests.
func isTestHook(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}
