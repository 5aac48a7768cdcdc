package shape

import (
	"reflect"
	"strings"
)

// The rules on values, as regular expressions that Go's regexp and JSON
// Schema (ECMA-262) read alike. Each is anchored.
const (
	// DNSLabelPattern is an RFC 1123 label (with DNSLabelMax): namespaces,
	// and app and environment names, which are also folder names.
	DNSLabelPattern = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	DNSLabelMax     = 63
	// DNSSubdomainPattern is an RFC 1123 subdomain (with DNSSubdomainMax):
	// the names of most Kubernetes objects.
	DNSSubdomainPattern = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	DNSSubdomainMax     = 253
	// DurationPattern is what Flux's CRDs allow in interval and timeout:
	// Go's time.ParseDuration alone accepts values (1us, -5m) Flux refuses.
	DurationPattern = `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// VarNamePattern is a variable name of Flux's postBuild substitution,
	// and of an environment variable.
	VarNamePattern = `^[_a-zA-Z][_a-zA-Z0-9]*$`
	// JsonnetIdentPattern is a Jsonnet identifier.
	JsonnetIdentPattern = `^[_a-zA-Z][_a-zA-Z0-9]*$`
	// GitHubRepoPattern is owner/name.
	GitHubRepoPattern = `^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$`
	// KubeVersionPattern is a Kubernetes version such as 1.31.0. Every
	// Kubernetes release is 1.x: "0.5.0" or "2.0" is a typo, which Helm
	// would take and kiln would check against its newest data.
	KubeVersionPattern = `^v?1\.[0-9]+(\.[0-9]+)?([-+][0-9A-Za-z.+-]+)?$`
	// RelPathPattern is a path relative to the repository root: not empty,
	// not starting with / or a drive letter (C:), separated by / and
	// never \.
	RelPathPattern = `^(?:[^/\\A-Za-z]|[A-Za-z](?:[^:\\]|$))[^\\]*$`
	// AgePattern is an age recipient, as age-keygen prints it.
	AgePattern = `^age1[0-9a-z]+$`
	// PGPPattern is a PGP key fingerprint: 40 hex digits, spaces allowed
	// between them as gpg prints them.
	PGPPattern = `^ *(?:[0-9A-Fa-f] *){40}$`
	// DependencyPattern is a dependsOn entry: an app's name (anything
	// without a /), or namespace/name of a Flux Kustomization kiln does
	// not manage (a DNS label, then a DNS subdomain).
	DependencyPattern = `^(?:[^/]+|[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$`
)

// The values of the keys that take one of a few words.
const (
	// APIVersionV1Alpha1 and KindPipeline are what kiln.yaml declares.
	APIVersionV1Alpha1 = "kiln/v1alpha1"
	KindPipeline       = "Pipeline"
	// ModePush commits straight to the manifests branch; ModePR opens a
	// pull request.
	ModePush = "push"
	ModePR   = "pr"
)

var (
	// APIVersions and Kinds are what kiln.yaml may declare.
	APIVersions = []string{APIVersionV1Alpha1}
	Kinds       = []string{KindPipeline}
	// Modes are the promotion modes.
	Modes = []string{ModePush, ModePR}
	// SourceKinds are the Flux sources a Kustomization may read.
	SourceKinds = []string{"GitRepository", "OCIRepository", "Bucket"}
	// JsonnetReserved are the external variables and top-level arguments
	// kiln passes itself.
	JsonnetReserved = []string{"env", "vars", "images"}
)

// Patterned is a string type whose values match a regular expression.
type Patterned interface{ Pattern() string }

// Bounded is a string type with a maximum length in bytes.
type Bounded interface{ MaxLength() int }

// Enumerated is a string type with a fixed set of values.
type Enumerated interface{ Enum() []string }

// Excluding is a string type some of whose values are taken.
type Excluding interface{ Excluded() []string }

// PathOrMapping is a mapping that may also be written as a path alone.
type PathOrMapping interface{ PathForm() }

// Scalar is any YAML scalar but null: a string, a number or a boolean,
// taken as the text written.
type Scalar string

// DNSLabel is an RFC 1123 label: lowercase letters, digits and "-",
// starting and ending with a letter or digit, at most 63 characters.
type DNSLabel string

// Pattern implements Patterned.
func (DNSLabel) Pattern() string { return DNSLabelPattern }

// MaxLength implements Bounded.
func (DNSLabel) MaxLength() int { return DNSLabelMax }

// DNSSubdomain is an RFC 1123 subdomain: lowercase letters, digits, "-"
// and ".", at most 253 characters.
type DNSSubdomain string

// Pattern implements Patterned.
func (DNSSubdomain) Pattern() string { return DNSSubdomainPattern }

// MaxLength implements Bounded.
func (DNSSubdomain) MaxLength() int { return DNSSubdomainMax }

// Duration is a positive Flux duration such as 10m, 1h30m or 90s.
type Duration string

// Pattern implements Patterned.
func (Duration) Pattern() string { return DurationPattern }

// VarName is a variable name: letters, digits and _, not starting with a digit.
type VarName string

// Pattern implements Patterned.
func (VarName) Pattern() string { return VarNamePattern }

// JsonnetIdent is a Jsonnet identifier other than kiln's own env, vars and images.
type JsonnetIdent string

// Pattern implements Patterned.
func (JsonnetIdent) Pattern() string { return JsonnetIdentPattern }

// Excluded implements Excluding.
func (JsonnetIdent) Excluded() []string { return JsonnetReserved }

// GitHubRepo is a GitHub repository as owner/name.
type GitHubRepo string

// Pattern implements Patterned.
func (GitHubRepo) Pattern() string { return GitHubRepoPattern }

// KubeVersion is a Kubernetes version, such as "1.31.0" (quoted).
type KubeVersion string

// Pattern implements Patterned.
func (KubeVersion) Pattern() string { return KubeVersionPattern }

// RelPath is a path relative to the repository root (the folder of
// kiln.yaml), separated by /; {env} is replaced by the environment's name.
type RelPath string

// Pattern implements Patterned.
func (RelPath) Pattern() string { return RelPathPattern }

// AgeRecipient is an age public key, starting with age1.
type AgeRecipient string

// Pattern implements Patterned.
func (AgeRecipient) Pattern() string { return AgePattern }

// PGPFingerprint is the 40 hex digits of a PGP key's fingerprint.
type PGPFingerprint string

// Pattern implements Patterned.
func (PGPFingerprint) Pattern() string { return PGPPattern }

// Dependency is the name of an app of kiln.yaml, or namespace/name of a
// Flux Kustomization kiln does not manage.
type Dependency string

// Pattern implements Patterned.
func (Dependency) Pattern() string { return DependencyPattern }

// APIVersion is kiln.yaml's apiVersion.
type APIVersion string

// Enum implements Enumerated.
func (APIVersion) Enum() []string { return APIVersions }

// Kind is kiln.yaml's kind.
type Kind string

// Enum implements Enumerated.
func (Kind) Enum() []string { return Kinds }

// Mode is how promote delivers an environment: pr (the default) opens a
// pull request, push commits straight to the manifests branch.
type Mode string

// Enum implements Enumerated.
func (Mode) Enum() []string { return Modes }

// SourceKind is the kind of a Flux source.
type SourceKind string

// Enum implements Enumerated.
func (SourceKind) Enum() []string { return SourceKinds }

// Keys returns the keys of the mapping that T describes, in field order:
// the names in the yaml tags of T's fields.
func Keys[T any]() []string {
	t := reflect.TypeFor[T]()
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}
