package shape

// The comments of these types and fields are the descriptions editors show:
// write them for the user of kiln.yaml. Tags: yaml names the key (and the
// parser's list of valid keys); jsonschema adds what the Go type cannot say
// (required, nullable where the parser reads null as empty, minItems,
// minLength, uniqueItems, oneof_required/anyof_required groups).

// Pipeline is kiln.yaml: the environments, where the hydrated manifests go,
// the Flux settings and the apps to render.
type Pipeline struct {
	// Must be kiln/v1alpha1.
	APIVersion APIVersion `yaml:"apiVersion" jsonschema:"required"`
	// Must be Pipeline.
	Kind Kind `yaml:"kind" jsonschema:"required"`
	// The environments, in promotion order.
	Environments []Environment `yaml:"environments" jsonschema:"required,minItems=1"`
	// What Helm's .Capabilities.KubeVersion says, such as "1.31.0"; by default the newest Kubernetes kiln knows.
	KubeVersion KubeVersion `yaml:"kubeVersion"`
	// What validation checks custom resources against, beyond the CRDs rendered in the environment, and the namespaces clusters have without kiln.
	Validation *Validation `yaml:"validation" jsonschema:"nullable"`
	// The manifests repository promote writes to.
	Manifests *Manifests `yaml:"manifests" jsonschema:"nullable"`
	// Defaults of every emitted Flux Kustomization.
	Flux *Flux `yaml:"flux" jsonschema:"nullable"`
	// Emit flux/notifications.yaml: Flux reports health back to GitHub.
	Notifications *Notifications `yaml:"notifications" jsonschema:"nullable"`
	// The apps to render, each with a name, a namespace and exactly one engine (helm, kustomize, jsonnet or yaml).
	Apps []App `yaml:"apps" jsonschema:"required,minItems=1"`
}

// Validation lists what custom resources are checked against, and the
// namespaces every cluster has without an app creating them.
type Validation struct {
	// Files of CustomResourceDefinitions installed by other means (cert-manager, the Prometheus operator…), or folders of them: a folder's .yaml, .yml and .json files are read, not its subfolders nor its kustomization file.
	CRDs []RelPath `yaml:"crds" jsonschema:"nullable"`
	// Namespaces made by other means (Terraform, a cluster's bootstrap, a Kustomization kiln does not manage): apps may put objects into them although no app creates them.
	Namespaces []DNSLabel `yaml:"namespaces" jsonschema:"nullable"`
}

// Environment is one environment of the pipeline.
type Environment struct {
	// The environment's name: a DNS label, unique in the pipeline.
	Name DNSLabel `yaml:"name" jsonschema:"required"`
	// pr (the default) opens a pull request; push commits straight to the manifests branch.
	Mode Mode `yaml:"mode"`
	// An environment listed before this one whose healthy release this one takes (kiln promote --from).
	PromoteFrom string `yaml:"promoteFrom"`
	// The environment's file, by default envs/<name>.yaml.
	Config RelPath `yaml:"config"`
}

// Manifests is the manifests repository promote writes to.
type Manifests struct {
	// A git URL or local path.
	Repo string `yaml:"repo" jsonschema:"minLength=1"`
	// owner/name where pull requests go; inferred from a github.com repo.
	GitHub GitHubRepo `yaml:"github"`
	// The branch promote writes to, default main.
	Branch string `yaml:"branch"`
	// The folder of one environment in the repository, default clusters/{env}.
	Path RelPath `yaml:"path"`
}

// Flux holds the defaults of every emitted Flux Kustomization.
type Flux struct {
	// The Kustomization's name, with {app} and {env} placeholders; default {app}.
	Name string `yaml:"name"`
	// The Kustomizations' namespace, default flux-system.
	Namespace DNSLabel `yaml:"namespace"`
	// The Flux source holding the manifests repository, default GitRepository flux-system.
	SourceRef *SourceRef `yaml:"sourceRef" jsonschema:"nullable"`
	// How often Flux reconciles, default 10m.
	Interval Duration `yaml:"interval"`
	// How long Flux waits for health, default 5m.
	Timeout Duration `yaml:"timeout"`
	// Let Flux delete objects removed from the output (default true).
	Prune bool `yaml:"prune"`
	// Set spec.wait instead of explicit healthChecks (default false).
	Wait bool `yaml:"wait"`
	// The Secret with the SOPS private keys, for apps whose output holds SOPS documents.
	Decryption *Decryption `yaml:"decryption"`
	// The Kustomization that applies each environment's flux/ folder; when set, every app's Kustomization depends on it, so that Flux applies an app's new Kustomization before the app's new objects.
	Bootstrap *Bootstrap `yaml:"bootstrap"`
}

// Bootstrap names the Flux Kustomization that applies an environment's
// flux/ folder: the one flux bootstrap makes, or one of your own.
type Bootstrap struct {
	// Its name, which may hold {env}, as flux get kustomizations -A lists it; flux bootstrap names it after its namespace (flux-system).
	Name string `yaml:"name" jsonschema:"required,minLength=1"`
	// Its namespace, default flux.namespace.
	Namespace DNSLabel `yaml:"namespace"`
}

// SourceRef names a Flux source.
type SourceRef struct {
	// GitRepository (the default), OCIRepository or Bucket.
	Kind SourceKind `yaml:"kind"`
	// The source's name, default flux-system.
	Name DNSSubdomain `yaml:"name"`
	// The source's namespace; by default the Kustomization's.
	Namespace DNSLabel `yaml:"namespace"`
	// The OCIRepository's artifacts record the manifests commit they were pushed from, so a promoteFrom gate can read it.
	OriginRevision bool `yaml:"originRevision"`
}

// Decryption names the Secret holding the SOPS private keys.
type Decryption struct {
	// The Secret, in the Flux namespace.
	SecretRef *SecretRef `yaml:"secretRef" jsonschema:"required"`
}

// SecretRef names a Secret.
type SecretRef struct {
	// The Secret's name, such as sops-age.
	Name DNSSubdomain `yaml:"name" jsonschema:"required"`
}

// Notifications configures the Flux Provider and Alert that report health
// back to GitHub: set commitStatus, dispatch, or both.
type Notifications struct {
	// The Secret (in the Flux namespace) holding the token Flux's notifier uses.
	SecretRef DNSSubdomain `yaml:"secretRef" jsonschema:"required"`
	// Post commit statuses kiln/<env>/<app> on the manifests repository.
	CommitStatus bool `yaml:"commitStatus" jsonschema:"anyof_required=commitStatus"`
	// owner/name of a repository that gets repository_dispatch events.
	Dispatch GitHubRepo `yaml:"dispatch" jsonschema:"anyof_required=dispatch"`
}

// App is one app: a name, a namespace and exactly one engine.
type App struct {
	// The app's name: a DNS label, unique in the pipeline (Helm's release name, the output folder).
	Name DNSLabel `yaml:"name" jsonschema:"required"`
	// The app's namespace (Helm's release namespace).
	Namespace DNSLabel `yaml:"namespace" jsonschema:"required"`
	// A Helm chart: a folder or .tgz in this repository, or a chart from helm.repo.
	Helm *Helm `yaml:"helm" jsonschema:"oneof_required=helm"`
	// A Kustomize overlay folder ({env} is replaced by the environment's name).
	Kustomize RelPath `yaml:"kustomize" jsonschema:"oneof_required=kustomize"`
	// A Jsonnet file, or {file, jpath, extVars, tlas}.
	Jsonnet *Jsonnet `yaml:"jsonnet" jsonschema:"oneof_required=jsonnet"`
	// A folder of plain YAML with ${VAR} placeholders.
	YAML RelPath `yaml:"yaml" jsonschema:"oneof_required=yaml"`
	// Apps to deploy first, or namespace/name of Flux Kustomizations kiln does not manage.
	DependsOn []Dependency `yaml:"dependsOn" jsonschema:"nullable,uniqueItems=true"`
	// Flux settings of this app's Kustomization.
	Flux *AppFlux `yaml:"flux" jsonschema:"nullable"`
}

// Helm is a chart to render.
type Helm struct {
	// A chart folder or .tgz in this repository, or the chart's name in helm.repo.
	Chart string `yaml:"chart" jsonschema:"required"`
	// An http(s):// chart repository or an oci://registry/path prefix.
	Repo string `yaml:"repo"`
	// The chart version (required with helm.repo).
	Version string `yaml:"version" jsonschema:"minLength=1"`
	// Values files, merged in order over the chart's defaults.
	Values []RelPath `yaml:"values" jsonschema:"nullable"`
	// Leave out the CRDs of the chart's crds/ folders (and its subcharts'), as helm install --skip-crds does; CRDs its templates print stay.
	SkipCRDs bool `yaml:"skipCRDs"`
}

// HelmOverride changes an app's chart in one environment, key by key.
type HelmOverride struct {
	// A chart folder or .tgz in this repository, or the chart's name in helm.repo.
	Chart string `yaml:"chart"`
	// An http(s):// chart repository or an oci://registry/path prefix.
	Repo string `yaml:"repo"`
	// The chart version (required with helm.repo).
	Version string `yaml:"version" jsonschema:"minLength=1"`
	// Values files, merged in order over the chart's defaults; [] clears them.
	Values []RelPath `yaml:"values" jsonschema:"nullable"`
	// Leave out the CRDs of the chart's crds/ folders (and its subcharts') in this environment, or keep them with false.
	SkipCRDs *bool `yaml:"skipCRDs"`
}

// Jsonnet is a Jsonnet entry file and what it is given.
type Jsonnet struct {
	// The .jsonnet file to evaluate.
	File RelPath `yaml:"file" jsonschema:"required"`
	// Import folders, like jsonnet -J.
	JPath []RelPath `yaml:"jpath" jsonschema:"nullable"`
	// External variables besides kiln's env, vars and images: a string is passed as a string, anything else as its JSON.
	ExtVars JsonnetArgs `yaml:"extVars" jsonschema:"nullable"`
	// Top-level arguments besides kiln's env, vars and images: a string is passed as a string, anything else as its JSON.
	TLAs JsonnetArgs `yaml:"tlas" jsonschema:"nullable"`
}

// PathForm implements PathOrMapping.
func (Jsonnet) PathForm() {}

// JsonnetOverride changes an app's Jsonnet in one environment, key by key.
type JsonnetOverride struct {
	// The .jsonnet file to evaluate.
	File RelPath `yaml:"file"`
	// Import folders, like jsonnet -J.
	JPath []RelPath `yaml:"jpath" jsonschema:"nullable"`
	// External variables besides kiln's env, vars and images: a string is passed as a string, anything else as its JSON.
	ExtVars JsonnetArgs `yaml:"extVars" jsonschema:"nullable"`
	// Top-level arguments besides kiln's env, vars and images: a string is passed as a string, anything else as its JSON.
	TLAs JsonnetArgs `yaml:"tlas" jsonschema:"nullable"`
}

// PathForm implements PathOrMapping.
func (JsonnetOverride) PathForm() {}

// JsonnetArgs maps Jsonnet identifiers to values of any type.
type JsonnetArgs map[JsonnetIdent]any

// AppFlux holds the Flux settings of one app's Kustomization.
type AppFlux struct {
	// How often Flux reconciles this app.
	Interval Duration `yaml:"interval"`
	// How long Flux waits for this app's health.
	Timeout Duration `yaml:"timeout"`
	// Set spec.wait instead of explicit healthChecks.
	Wait bool `yaml:"wait"`
	// Objects Flux checks besides the app's workloads; partial entries are completed from the app's objects.
	HealthChecks []HealthCheck `yaml:"healthChecks" jsonschema:"nullable"`
	// Flux CEL health checks for custom resources.
	HealthCheckExprs []HealthCheckExpr `yaml:"healthCheckExprs" jsonschema:"nullable"`
	// The Secret with the SOPS private keys for this app.
	Decryption *Decryption `yaml:"decryption"`
}

// HealthCheck is an object Flux checks the health of.
type HealthCheck struct {
	// The object's apiVersion; by default found among the app's objects.
	APIVersion string `yaml:"apiVersion"`
	// The object's kind, such as Deployment.
	Kind string `yaml:"kind" jsonschema:"required,minLength=1"`
	// The object's name.
	Name string `yaml:"name" jsonschema:"required,minLength=1"`
	// The object's namespace; by default found among the app's objects.
	Namespace DNSLabel `yaml:"namespace"`
}

// HealthCheckExpr is a Flux CEL health check for a kind of custom resource.
type HealthCheckExpr struct {
	// The custom resource's apiVersion.
	APIVersion string `yaml:"apiVersion" jsonschema:"required,minLength=1"`
	// The custom resource's kind.
	Kind string `yaml:"kind" jsonschema:"required,minLength=1"`
	// A CEL expression that is true when the object is ready.
	Current string `yaml:"current" jsonschema:"required,minLength=1"`
	// A CEL expression that is true while the object is progressing.
	InProgress string `yaml:"inProgress"`
	// A CEL expression that is true when the object has failed.
	Failed string `yaml:"failed"`
}

// EnvFile is one environment's file, envs/<env>.yaml.
type EnvFile struct {
	// ${VAR} values for yaml apps, and jsonnet's vars.
	Vars Vars `yaml:"vars" jsonschema:"nullable"`
	// Variables whose value is read from the process environment at render time: variable name to environment variable name.
	SecretVars SecretVars `yaml:"secretVars" jsonschema:"nullable"`
	// Let secret values land in the output unencrypted.
	AllowPlainSecrets bool `yaml:"allowPlainSecrets"`
	// How Secrets holding secret vars are encrypted.
	SOPS *SOPS `yaml:"sops" jsonschema:"nullable"`
	// Changes to apps in this environment, by app name.
	Apps Overrides `yaml:"apps" jsonschema:"nullable"`
}

// Vars maps variable names to their values.
type Vars map[VarName]Scalar

// SecretVars maps variable names to the environment variables holding their values.
type SecretVars map[VarName]VarName

// Overrides maps app names to their changes in this environment.
type Overrides map[string]*Override

// SOPS lists the recipients Secrets are encrypted to: at least one age or PGP key.
type SOPS struct {
	// age recipients, as age-keygen prints them.
	Age []AgeRecipient `yaml:"age" jsonschema:"nullable,anyof_required=age"`
	// Fingerprints of PGP keys.
	PGP []PGPFingerprint `yaml:"pgp" jsonschema:"nullable,anyof_required=pgp"`
	// The keys whose values are encrypted, as sops --encrypted-regex; default ^(data|stringData)$.
	EncryptedRegex string `yaml:"encryptedRegex" jsonschema:"minLength=1"`
}

// Override changes one app in this environment; keys left out keep what kiln.yaml says.
type Override struct {
	// false leaves the app out of this environment.
	Enabled bool `yaml:"enabled"`
	// The app's namespace in this environment.
	Namespace DNSLabel `yaml:"namespace"`
	// Changes the app's chart key by key, or switches the app to Helm.
	Helm *HelmOverride `yaml:"helm" jsonschema:"nullable"`
	// Switches the app to this Kustomize folder.
	Kustomize RelPath `yaml:"kustomize"`
	// Changes the app's Jsonnet key by key, or switches the app to Jsonnet.
	Jsonnet *JsonnetOverride `yaml:"jsonnet"`
	// Switches the app to this folder of plain YAML.
	YAML RelPath `yaml:"yaml"`
	// Replaces the app's dependsOn.
	DependsOn []Dependency `yaml:"dependsOn" jsonschema:"nullable,uniqueItems=true"`
	// Changes the app's Flux settings key by key.
	Flux *AppFlux `yaml:"flux" jsonschema:"nullable"`
	// Helm values for this environment, merged over the values files.
	Values map[string]any `yaml:"values" jsonschema:"nullable"`
	// Patches of the rendered objects (strategic merge or JSON6902), as Kustomize applies them.
	Patches []Patch `yaml:"patches" jsonschema:"nullable"`
}

// Patch is a strategic merge patch (a mapping) or a JSON6902 patch (a
// list of operations), inline or in a file.
type Patch struct {
	// The objects to patch; required for a JSON6902 patch.
	Target *Selector `yaml:"target" jsonschema:"nullable"`
	// The patch text.
	Patch string `yaml:"patch" jsonschema:"oneof_required=patch"`
	// A repository file holding the patch.
	Path RelPath `yaml:"path" jsonschema:"oneof_required=path"`
}

// Selector selects objects, as a Kustomize patch target does.
type Selector struct {
	Group              string `yaml:"group"`
	Version            string `yaml:"version"`
	Kind               string `yaml:"kind"`
	Name               string `yaml:"name"`
	Namespace          string `yaml:"namespace"`
	LabelSelector      string `yaml:"labelSelector"`
	AnnotationSelector string `yaml:"annotationSelector"`
}
