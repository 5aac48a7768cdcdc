package envconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig/internal/shape"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/rootfs"
)

// APIVersion and Kind are what kiln.yaml must declare.
const (
	APIVersion = shape.APIVersionV1Alpha1
	Kind       = shape.KindPipeline
)

// DefaultKubeVersion is what Helm's .Capabilities.KubeVersion reports when
// kiln.yaml sets no kubeVersion: the Kubernetes minor of the client
// libraries kiln is built with (k8s.io/client-go v0.N → 1.N.0), the newest
// API kiln's strict validation knows. It is a constant rather than read at
// run time so that renders stay identical until it is bumped on purpose;
// TestDefaultKubeVersionMatchesGoMod fails when go.mod moves on without it.
const DefaultKubeVersion = "1.37.0"

// Engine names, the keys of an app that choose how it renders.
const (
	EngineHelm      = "helm"
	EngineKustomize = "kustomize"
	EngineJsonnet   = "jsonnet"
	EngineYAML      = "yaml"
)

// engines lists the engine keys in the order messages name them.
var engines = []string{EngineHelm, EngineKustomize, EngineJsonnet, EngineYAML}

// Environment modes.
const (
	ModePush = shape.ModePush
	ModePR   = shape.ModePR
)

// Pipeline is a parsed, validated kiln.yaml with defaults applied.
type Pipeline struct {
	// File is the path of kiln.yaml as given.
	File string
	// Digest is "sha256:<hex>" of the bytes Parse read: what the render
	// cache keys an env's output on, since every setting comes from them.
	Digest string
	// Root is the absolute, symlink-free folder that holds kiln.yaml: the
	// repository root every path is relative to.
	Root string
	// Environments in promotion order.
	Environments []Environment
	// KubeVersion is what Helm's .Capabilities.KubeVersion says.
	KubeVersion string
	// KubeVersionLine is the line of kubeVersion in kiln.yaml, 0 when
	// it is left out (DefaultKubeVersion).
	KubeVersionLine int
	// Validation lists what validation checks against beyond the env.
	Validation Validation
	// Manifests says where promote writes.
	Manifests Manifests
	// Flux holds the defaults of every emitted Kustomization.
	Flux Flux
	// Notifications configures flux/notifications.yaml; nil when absent.
	Notifications *Notifications
	// Apps in file order.
	Apps []App
}

// Validation is kiln.yaml's validation: section.
type Validation struct {
	// CRDs are repository-relative files of CustomResourceDefinitions
	// installed by other means (cert-manager, the Prometheus operator…):
	// custom resources of their kinds are checked against them, and they
	// tell which of those kinds are cluster-scoped.
	CRDs []FileRef
	// Namespaces exist in every cluster without an app creating them
	// (made by Terraform, a bootstrap, a Kustomization kiln does not
	// manage): an app putting objects into one needs no Namespace object
	// in the env.
	Namespaces []string
}

// FileRef is a repository-relative path and the line of kiln.yaml that names it.
type FileRef struct {
	Path string
	Line int
}

// Environment is one entry of environments.
type Environment struct {
	// Name is a DNS label, unique in the pipeline.
	Name string
	// Mode is ModePush or ModePR (the default).
	Mode string
	// PromoteFrom names an earlier environment, or is empty.
	PromoteFrom string
	// Config is the repository-relative path of the environment's file,
	// by default envs/<name>.yaml.
	Config string
	// Line is the line of the entry in kiln.yaml.
	Line int
}

// Manifests is the manifests repository promote writes to.
type Manifests struct {
	// Repo is a git URL or local path; empty when not set (render and
	// diff do not need it, promote does).
	Repo string
	// GitHub is owner/name where pull requests go, inferred from a
	// github.com Repo when not set.
	GitHub string
	// Branch is the target branch, default "main".
	Branch string
	// Path is the folder of one environment in the repository, default
	// "clusters/{env}"; Resolved.ManifestsPath has {env} replaced.
	Path string
}

// Flux holds the defaults of every emitted Flux Kustomization.
type Flux struct {
	// Name of each Kustomization, with {app} and {env} placeholders;
	// default "{app}".
	Name string
	// Namespace of the Kustomizations, default "flux-system".
	Namespace string
	// SourceRef is the Flux source holding the manifests repository.
	SourceRef SourceRef
	// Interval and Timeout are Flux durations, default "10m" and "5m".
	Interval, Timeout string
	// Prune (default true) lets Flux delete objects removed from the output.
	Prune bool
	// Wait (default false) sets spec.wait instead of explicit healthChecks.
	Wait bool
	// DecryptionSecret (flux.decryption.secretRef.name, default "sops-age")
	// names the Secret with the SOPS private keys that the Kustomization
	// of an app with SOPS-encrypted output decrypts with.
	DecryptionSecret string
	// Bootstrap is the Kustomization that applies each env's flux/
	// folder, which every app's Kustomization then depends on
	// (flux.bootstrap); nil when not set.
	Bootstrap *Bootstrap
	// NameLine, NamespaceLine and SourceRefLine are the lines of
	// flux.name, flux.namespace and flux.sourceRef in kiln.yaml, 0 when
	// left out.
	NameLine, NamespaceLine, SourceRefLine int
}

// Bootstrap names the Flux Kustomization that applies an env's flux/
// folder. kustomize-controller reconciles a Kustomization that depends on
// it only once it is Ready and, reading the same source, has applied the
// source's current revision: so an app's Kustomization applies a commit
// only after the bootstrap has applied that commit's flux/<app>.yaml, its
// own new spec.
type Bootstrap struct {
	// Name may hold {env}; BootstrapKustomization replaces it.
	Name string
	// Namespace is flux.namespace when flux.bootstrap.namespace is not
	// set.
	Namespace string
	// Line is the line of flux.bootstrap in kiln.yaml.
	Line int
}

// SourceRef names a Flux source: default GitRepository flux-system.
type SourceRef struct {
	// Kind is GitRepository, OCIRepository or Bucket.
	Kind string
	// Name of the source.
	Name string
	// Namespace of the source; empty means the Kustomization's.
	Namespace string
	// OriginRevision states that the OCIRepository's artifacts record the
	// manifests commit they were pushed from, which Flux then reports (and
	// notification-controller posts statuses on) instead of the digest;
	// without it an OCIRepository or Bucket cannot gate a promoteFrom.
	OriginRevision bool
}

// Notifications configures the Flux Provider and Alert objects that report
// health back to GitHub.
type Notifications struct {
	// SecretRef names the Secret (in the Flux namespace) holding the token.
	SecretRef string
	// CommitStatus emits a github Provider posting kiln/<env>/<app> statuses
	// on the manifests repository.
	CommitStatus bool
	// Dispatch is an owner/name repository that gets repository_dispatch
	// events (a githubdispatch Provider); empty for none.
	Dispatch string
	// Line is the first line of the notifications mapping.
	Line int
}

// App is one entry of apps.
type App struct {
	// Name is a DNS label, unique in the pipeline: Helm's release name and
	// the output folder's name.
	Name string
	// Namespace is the app's namespace (Helm's release namespace).
	Namespace string
	// Engine is EngineHelm, EngineKustomize, EngineJsonnet or EngineYAML;
	// the matching field below is set and the others are empty.
	Engine string
	// Helm is the chart to render.
	Helm *Helm
	// Kustomize is the folder of a kustomization.
	Kustomize string
	// Jsonnet is the file to evaluate.
	Jsonnet *Jsonnet
	// YAML is a folder of plain YAML with ${VAR} placeholders.
	YAML string
	// PathAt says where Kustomize or YAML is written.
	PathAt At
	// DependsOn lists the apps (or external Kustomizations) to deploy first.
	DependsOn []Dependency
	// Flux overrides the pipeline's Flux defaults for this app.
	Flux AppFlux
	// Line is the line of the app's entry.
	Line int
}

// Helm is a chart: a folder or .tgz in the repository, or a chart name in
// Repo.
type Helm struct {
	// Chart is a repository path when Repo is empty, else the chart's name.
	Chart string
	// Repo is an http(s):// chart repository or an oci:// prefix.
	Repo string
	// Version is the chart version (constraint); required with Repo.
	Version string
	// Values are values files, merged in order over the chart's defaults.
	Values []string
	// SkipCRDs leaves out the chart's crds/ files, as helm install
	// --skip-crds and a HelmRelease's install.crds: Skip do: charts such
	// as karpenter's ship their CRDs twice, in crds/ and in a chart of
	// their own that another app renders.
	SkipCRDs bool
	// ChartAt and ValuesAt say where Chart and each of Values are
	// written; SkipCRDsAt where SkipCRDs is (Line 0 when it is not: an
	// env's override then leaves kiln.yaml's).
	ChartAt    At
	ValuesAt   []At
	SkipCRDsAt At
}

// Jsonnet is a Jsonnet entry file and its import search path.
type Jsonnet struct {
	// File is the .jsonnet file.
	File string
	// FileAt says where File is written.
	FileAt At
	// JPath lists import folders, like jsonnet -J.
	JPath []string
	// ExtVars and TLAs are extra external variables and top-level
	// arguments, besides kiln's env, vars and images: a string value is
	// passed as a string (jsonnet --ext-str, --tla-str), any other value
	// as its JSON (--ext-code, --tla-code). nil when not given.
	ExtVars, TLAs map[string]any
}

// At says where a value is written (kiln.yaml, or the env file whose
// override sets it), for errors about what it names: a path of the
// repository that leads outside it or is missing is the entry's mistake,
// where the engine that reads the path knows only the path.
type At struct {
	File string
	Line int
	// Field is the value's key path in File, such as
	// apps[0].helm.values[1].
	Field string
}

// Dependency is one dependsOn entry.
type Dependency struct {
	// Name of the app, or of the external Kustomization.
	Name string
	// Namespace of an external Kustomization.
	Namespace string
	// External is true for "namespace/name": a Kustomization kiln does
	// not manage. Plain names refer to apps of the pipeline.
	External bool
	// File and Line say where the entry is written (kiln.yaml, or the env
	// file whose override replaces the app's dependsOn), for errors of the
	// graph stage.
	File string
	Line int
}

// AppFlux overrides the Flux defaults for one app. Empty fields keep the
// pipeline's.
type AppFlux struct {
	Interval, Timeout string
	// Wait overrides Flux.Wait when set.
	Wait *bool
	// HealthChecks are added to the ones kiln derives from workloads.
	HealthChecks []HealthCheck
	// HealthCheckExprs are Flux CEL health checks for custom resources.
	HealthCheckExprs []HealthCheckExpr
	// DecryptionSecret overrides Flux.DecryptionSecret when not "".
	DecryptionSecret string
}

// HealthCheck is a Flux healthChecks entry.
type HealthCheck struct {
	APIVersion, Kind, Name, Namespace string
	// File and Line say where the entry is written (kiln.yaml or an env
	// file), for errors about it.
	File string
	Line int
}

// HealthCheckExpr is a Flux healthCheckExprs entry (CEL expressions).
type HealthCheckExpr struct {
	APIVersion, Kind, Current, InProgress, Failed string
	// File and Line say where the entry is written (kiln.yaml or an env
	// file), for errors about it.
	File string
	Line int
}

// ErrUnreadable is in the chain of Load's error when the file at path
// cannot be read at all (absent, a folder, a device, too large, no
// permission), as opposed to a file that reads but is not a valid
// pipeline: a command line calls the one a wrong --config, a usage
// mistake, and the other a failure.
var ErrUnreadable = errors.New("the pipeline file cannot be read")

// Load reads and validates the kiln.yaml at path. Pipeline.Root is the
// folder that holds it, made absolute with symlinks resolved.
func Load(path string) (*Pipeline, error) {
	data, err := limits.ReadFile(path)
	if err != nil {
		e := &diag.Error{File: path, Msg: "cannot read the pipeline file" + limits.Reason(err), Err: fmt.Errorf("%w: %w", ErrUnreadable, err),
			Hint: "check the path and its permissions"}
		if errors.Is(err, fs.ErrNotExist) {
			e.Msg = "no such file"
			e.Hint = "run kiln in the repository root, next to kiln.yaml, or pass --config FILE"
		}
		return nil, e
	}
	root, err := filepath.Abs(filepath.Dir(path))
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, &diag.Error{File: path, Msg: "cannot resolve the folder of the pipeline file: " + rootfs.Why(err), Err: err}
	}
	return Parse(data, path, root)
}

// Parse validates kiln.yaml from data. file is the path as given, root the
// absolute, symlink-free repository root; Parse touches no file system.
// Errors name the file relative to root, that is by its base name, like
// every other file kiln reports.
func Parse(data []byte, file, root string) (*Pipeline, error) {
	d := &decoder{file: displayName(file)}
	root0, err := parseDoc(data, d.file)
	if err != nil {
		return nil, err
	}
	if root0 == nil {
		return nil, &diag.Error{File: d.file, Line: 1, Msg: "the pipeline file is empty",
			Hint: "start it with apiVersion: " + APIVersion + " and kind: " + Kind}
	}
	d.index(root0)
	p := d.pipeline(root0)
	if err := d.err(); err != nil {
		return nil, err
	}
	p.File, p.Root, p.Digest = file, root, digestOf(data)
	return p, nil
}

// Env returns the environment called name, or an error listing them.
func (p *Pipeline) Env(name string) (*Environment, error) {
	names := make([]string, 0, len(p.Environments))
	for i := range p.Environments {
		if p.Environments[i].Name == name {
			e := p.Environments[i]
			return &e, nil
		}
		names = append(names, p.Environments[i].Name)
	}
	msg := fmt.Sprintf("environment %q: no such environment", name)
	if c := diag.Closest(name, names); c != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", c)
	}
	return nil, &diag.Error{File: displayName(p.File), Msg: msg,
		Hint: "the environments in kiln.yaml are " + strings.Join(names, ", ")}
}

// FluxName returns the name of app's Kustomization in env: Flux.Name with
// {app} and {env} replaced.
//
// It is asked for every app of every env, more than once: one pass over
// the name, as strings.NewReplacer("{app}", app, "{env}", env) would make,
// without building a replacer each time.
func (p *Pipeline) FluxName(app, env string) string {
	name := p.Flux.Name
	var b strings.Builder
	b.Grow(len(name) + len(app) + len(env))
	for {
		i := strings.IndexByte(name, '{')
		if i < 0 {
			b.WriteString(name)
			return b.String()
		}
		b.WriteString(name[:i])
		name = name[i:]
		switch {
		case strings.HasPrefix(name, "{app}"):
			b.WriteString(app)
			name = name[len("{app}"):]
		case strings.HasPrefix(name, "{env}"):
			b.WriteString(env)
			name = name[len("{env}"):]
		default:
			b.WriteByte('{')
			name = name[1:]
		}
	}
}

// BootstrapKustomization returns the namespace and name of the
// Kustomization that applies env's flux/ folder, {env} replaced, and
// false when flux.bootstrap is not set.
func (p *Pipeline) BootstrapKustomization(env string) (namespace, name string, ok bool) {
	b := p.Flux.Bootstrap
	if b == nil {
		return "", "", false
	}
	return b.Namespace, strings.ReplaceAll(b.Name, "{env}", env), true
}

// App returns the app called name, or nil.
func (p *Pipeline) App(name string) *App {
	for i := range p.Apps {
		if p.Apps[i].Name == name {
			return &p.Apps[i]
		}
	}
	return nil
}

// digestOf is the Digest of a configuration file's bytes.
func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
