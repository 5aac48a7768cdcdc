package envconfig

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/envconfig/internal/shape"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/redact"
)

var (
	dnsLabelRE     = regexp.MustCompile(shape.DNSLabelPattern)
	dnsSubdomainRE = regexp.MustCompile(shape.DNSSubdomainPattern)
	// fluxDurationRE is the pattern Flux's CRDs put on interval and timeout:
	// time.ParseDuration alone accepts values (1us, -5m) Flux rejects.
	fluxDurationRE = regexp.MustCompile(shape.DurationPattern)
	placeholderRE  = regexp.MustCompile(`\{[^{}]*\}`)
	// varNameRE is the variable name syntax of Flux postBuild substitution.
	varNameRE     = regexp.MustCompile(shape.VarNamePattern)
	githubRepoRE  = regexp.MustCompile(shape.GitHubRepoPattern)
	kubeVersionRE = regexp.MustCompile(shape.KubeVersionPattern)
	windowsAbsRE  = regexp.MustCompile(`^[A-Za-z]:`)
)

// quotableEnvName reports whether an environment variable's name, as
// secretVars gives it, may be quoted in a message. Users paste the secret
// itself where the name goes; one that is no variable name at all is
// refused by ParseEnvFile without quoting it, but a password of letters,
// digits and _ is a valid name. So only names of the conventional shape
// are quoted: upper case (A-Z, 0-9, _), starting with a letter, at most
// 64 characters, each _-separated word at most 16 characters, and digits
// inside a word longer than 3 only as its end (OAUTH2, SHA256; K8S, B2B
// are short), which random tokens (XK9PLM2QZ7) rarely are. A false "no"
// costs a message that names the place instead of the name; a false
// "yes" prints a secret.
func quotableEnvName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, w := range strings.Split(s, "_") {
		if len(w) > 16 {
			return false
		}
		digits := false
		for i := 0; i < len(w); i++ {
			switch c := w[i]; {
			case '0' <= c && c <= '9':
				digits = true
			case 'A' <= c && c <= 'Z':
				if digits && len(w) > 3 {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

const dnsLabelHint = "use lowercase letters, digits and \"-\", starting and ending with a letter or digit, at most 63 characters"

// dnsLabel checks that s is an RFC 1123 label: the rule for namespaces,
// and kiln's rule for app and environment names, which also keeps them
// safe as folder names (no "/", "..", or upper case that collides on
// case-insensitive file systems).
func (d *decoder) dnsLabel(n *yaml.Node, what, s string) bool {
	if len(s) <= shape.DNSLabelMax && dnsLabelRE.MatchString(s) {
		return true
	}
	d.errAt(n, fmt.Sprintf("%s %q is not a valid name", what, s), dnsLabelHint)
	return false
}

// dnsSubdomain checks that s is an RFC 1123 subdomain, the rule for most
// Kubernetes object names.
func (d *decoder) dnsSubdomain(n *yaml.Node, what, s string) bool {
	if len(s) <= shape.DNSSubdomainMax && dnsSubdomainRE.MatchString(s) {
		return true
	}
	d.errAt(n, fmt.Sprintf("%s %q is not a valid Kubernetes name", what, s),
		"use lowercase letters, digits, \"-\" and \".\", starting and ending with a letter or digit")
	return false
}

// objectName checks the name of an object a health check waits for. Names
// of most kinds are DNS subdomains, but some (RBAC's "system:aggregate-to-
// edit") only need to be usable in a URL path: that is the rule here, the
// one every kind keeps (apimachinery's IsValidPathSegmentName, at most 253
// characters).
func (d *decoder) objectName(n *yaml.Node, what, s string) bool {
	if len(s) <= shape.DNSSubdomainMax && s != "." && s != ".." && !strings.ContainsAny(s, "/%") {
		return true
	}
	d.errAt(n, fmt.Sprintf("%s %q is not a name any Kubernetes object can have", what, s),
		"use the object's name as kubectl get shows it (no \"/\" or \"%\", not \".\" or \"..\", at most 253 characters)")
	return false
}

// apiVersion checks a Kubernetes apiVersion: a version (v1), or a group and
// a version (apps/v1).
func (d *decoder) apiVersion(n *yaml.Node, what, s string) bool {
	group, version, grouped := strings.Cut(s, "/")
	if !grouped {
		group, version = "", s
	}
	if dnsLabelRE.MatchString(version) && len(version) <= shape.DNSLabelMax &&
		(!grouped || (len(group) <= shape.DNSSubdomainMax && dnsSubdomainRE.MatchString(group))) {
		return true
	}
	d.errAt(n, fmt.Sprintf("%s %q is not a Kubernetes apiVersion", what, s),
		"write a version (v1) or group/version (apps/v1), as the object's apiVersion: says")
	return false
}

// relPath checks a path inside the repository: not empty, relative,
// slash-separated, and using no placeholder but {env}. Whether it stays
// inside the repository is checked by the engines, after symlinks are
// resolved.
func (d *decoder) relPath(n *yaml.Node, key, p string) bool {
	switch {
	case p == "":
		d.errAt(n, key+": empty path", "give a path relative to the repository root (the folder of kiln.yaml)")
		return false
	case strings.Contains(p, `\`):
		d.errAt(n, fmt.Sprintf("%s: path %q uses \\", key, p), "separate folders with /, on every operating system")
		return false
	case strings.HasPrefix(p, "/") || windowsAbsRE.MatchString(p):
		d.errAt(n, fmt.Sprintf("%s: absolute path %q", key, p), "write the path relative to the repository root (the folder of kiln.yaml)")
		return false
	}
	return d.placeholders(n, key, p, "{env}")
}

// placeholders reports any {…} in s that is not one of allowed.
func (d *decoder) placeholders(n *yaml.Node, key, s string, allowed ...string) bool {
	ok := true
	for _, ph := range placeholderRE.FindAllString(s, -1) {
		if slices.Contains(allowed, ph) {
			continue
		}
		msg := fmt.Sprintf("%s: unknown placeholder %s", key, ph)
		if c := diag.Closest(ph, allowed); c != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", c)
		}
		d.errAt(n, msg, "the placeholders here are "+strings.Join(allowed, ", "))
		ok = false
	}
	return ok
}

// duration checks an interval or timeout the way Flux will.
func (d *decoder) duration(n *yaml.Node, key string) (string, bool) {
	s, ok := d.str(n, key)
	if !ok {
		return "", false
	}
	dur, err := time.ParseDuration(s)
	if err != nil || !fluxDurationRE.MatchString(s) || dur <= 0 {
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: line(n), App: d.appName, Field: d.fieldOf(n),
			Msg:  fmt.Sprintf("%s: invalid duration %q", key, s),
			Hint: "write a positive duration of numbers with units h, m, s or ms, such as 10m, 1h30m or 90s",
			Err:  err})
		return "", false
	}
	// kiln writes the duration as Go prints it (metav1.Duration): one
	// below a millisecond (0.5ms) comes out in µs or ns, which the CRD's
	// pattern refuses, so Flux would refuse the Kustomization.
	if w := dur.String(); !fluxDurationRE.MatchString(w) {
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: line(n), App: d.appName, Field: d.fieldOf(n),
			Msg:  fmt.Sprintf("%s: duration %q is below a millisecond: kiln would write it as %s, a unit Flux refuses", key, s, w),
			Hint: "write 1ms or more, such as 10m, 1h30m or 90s"})
		return "", false
	}
	return s, true
}

// celExpr checks that the health check expression at n parses as
// kustomize-controller parses it (fluxcd/pkg runtime/cel NewStatusEvaluator:
// parsed, not compiled, in this environment). One that does not parse
// fails every health check of the Kustomization, its commit status and the
// promotion gate.
func (d *decoder) celExpr(n *yaml.Node, key string) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" {
		return // str and reqStr report it
	}
	env, err := cel.NewEnv(cel.HomogeneousAggregateLiterals(), cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true), cel.CrossTypeNumericComparisons(true), cel.OptionalTypes(),
		ext.Strings(), ext.Sets(), ext.Encoders())
	if err != nil {
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: line(n), App: d.appName, Field: d.fieldOf(n),
			Msg: key + ": cannot check the CEL expression", Err: fmt.Errorf("creating the CEL environment: %w", err)})
		return
	}
	if _, iss := env.Parse(n.Value); iss != nil && iss.Err() != nil {
		// The first problem, on one line: cel-go's own text adds the
		// expression and a caret below it.
		msg := iss.Err().Error()
		if es := iss.Errors(); len(es) > 0 {
			loc := es[0].Location
			msg = fmt.Sprintf("column %d: %s", loc.Column()+1, es[0].Message)
			if loc.Line() > 1 {
				msg = fmt.Sprintf("line %d, %s", loc.Line(), msg)
			}
		}
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: line(n), App: d.appName, Field: d.fieldOf(n),
			Msg:  fmt.Sprintf("%s: the CEL expression does not parse: %s", key, msg),
			Hint: "fix the expression (CEL, as Flux's healthCheckExprs take it), such as status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')",
			Err:  iss.Err()})
	}
}

// chartRepo checks a Helm repository URL: http(s):// or oci:// with a host.
func (d *decoder) chartRepo(n *yaml.Node, key, s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "oci") {
		d.errAt(n, fmt.Sprintf("%s: %q is not a chart repository URL", key, redact.PublicURL(s)),
			"use an http(s):// chart repository URL or an oci://registry/path reference")
		return false
	}
	return true
}

// githubRepo checks an owner/name GitHub repository.
func (d *decoder) githubRepo(n *yaml.Node, key, s string) bool {
	if githubRepoRE.MatchString(s) {
		return true
	}
	d.errAt(n, fmt.Sprintf("%s: %q is not a GitHub repository", key, s), "write owner/name, such as acme/manifests")
	return false
}

// inferGitHub returns owner/name for a github.com git URL in https, ssh or
// scp-like form, or "" for anything else.
func inferGitHub(repo string) string {
	var p string
	if rest, ok := strings.CutPrefix(repo, "git@github.com:"); ok {
		p = rest
	} else if u, err := url.Parse(repo); err == nil && (u.Scheme == "https" || u.Scheme == "ssh" || u.Scheme == "http") &&
		(strings.EqualFold(u.Hostname(), "github.com") || strings.EqualFold(u.Hostname(), "www.github.com")) {
		p = strings.TrimPrefix(u.Path, "/")
	} else {
		return ""
	}
	p = strings.TrimSuffix(strings.TrimSuffix(p, "/"), ".git")
	if !githubRepoRE.MatchString(p) {
		return ""
	}
	return p
}
