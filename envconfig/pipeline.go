package envconfig

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/envconfig/internal/shape"
	"github.com/kiln-gitops/kiln/internal/diag"
)

// The keys valid at each level of kiln.yaml, in the order hints list them:
// the fields of shape's types, from which the JSON Schema is generated too.
var (
	pipelineKeys     = shape.Keys[shape.Pipeline]()
	environmentKeys  = shape.Keys[shape.Environment]()
	manifestsKeys    = shape.Keys[shape.Manifests]()
	fluxKeys         = shape.Keys[shape.Flux]()
	decryptionKeys   = shape.Keys[shape.Decryption]()
	bootstrapKeys    = shape.Keys[shape.Bootstrap]()
	secretRefKeys    = shape.Keys[shape.SecretRef]()
	sourceRefKeys    = shape.Keys[shape.SourceRef]()
	notificationKeys = shape.Keys[shape.Notifications]()
	appKeys          = shape.Keys[shape.App]()
	helmKeys         = shape.Keys[shape.Helm]()
	helmOverrideKeys = shape.Keys[shape.HelmOverride]()
	jsonnetKeys      = shape.Keys[shape.Jsonnet]()
	jsonnetOvKeys    = shape.Keys[shape.JsonnetOverride]()
	appFluxKeys      = shape.Keys[shape.AppFlux]()
	healthCheckKeys  = shape.Keys[shape.HealthCheck]()
	healthExprKeys   = shape.Keys[shape.HealthCheckExpr]()
	validationKeys   = shape.Keys[shape.Validation]()
	sourceKinds      = shape.SourceKinds
)

// displayName is how errors name kiln.yaml: relative to the repository
// root, which is its folder.
func displayName(file string) string {
	if file == "" {
		return "kiln.yaml"
	}
	file = strings.ReplaceAll(file, `\`, "/")
	return file[strings.LastIndex(file, "/")+1:]
}

func (d *decoder) pipeline(n *yaml.Node) *Pipeline {
	p := &Pipeline{
		KubeVersion: DefaultKubeVersion,
		Manifests:   Manifests{Branch: "main", Path: "clusters/{env}"},
		Flux: Flux{Name: "{app}", Namespace: "flux-system", SourceRef: SourceRef{Kind: "GitRepository", Name: "flux-system"},
			Interval: "10m", Timeout: "5m", Prune: true, DecryptionSecret: "sops-age"},
	}
	f, ok := d.fields(n, "", pipelineKeys)
	if !ok {
		return p
	}
	top := deref(n)
	const startHint = "start kiln.yaml with apiVersion: " + APIVersion + " and kind: " + Kind
	if v, present := f["apiVersion"]; !present {
		d.errAt(top, "missing apiVersion", startHint)
	} else if s, ok := d.str(v, "apiVersion"); ok && s != APIVersion {
		d.errAt(v, fmt.Sprintf("apiVersion %q is not supported (want %s)", s, APIVersion), "set apiVersion: "+APIVersion)
	}
	if v, present := f["kind"]; !present {
		d.errAt(top, "missing kind", startHint)
	} else if s, ok := d.str(v, "kind"); ok && s != Kind {
		d.errAt(v, fmt.Sprintf("kind %q is not supported (want %s)", s, Kind), "set kind: "+Kind)
	}
	if v, present := f["kubeVersion"]; present {
		if s, ok := d.str(v, "kubeVersion"); ok {
			if kubeVersionRE.MatchString(s) {
				p.KubeVersion, p.KubeVersionLine = s, v.Line
			} else {
				d.errAt(v, fmt.Sprintf("kubeVersion %q is not a Kubernetes version", s), "write the cluster's version in quotes, such as \"1.31.0\" (every Kubernetes release is 1.x)")
			}
		}
	}
	if v, present := f["validation"]; present && !isNull(v) {
		p.Validation = d.validation(v)
	}
	p.Environments = d.environments(f["environments"], top)
	if v, present := f["manifests"]; present {
		d.manifests(v, &p.Manifests, p.Environments)
	}
	if v, present := f["flux"]; present {
		d.flux(v, &p.Flux)
	}
	if v, present := f["notifications"]; present && !isNull(v) {
		p.Notifications = d.notifications(v, p.Manifests.GitHub)
	}
	p.Apps = d.apps(f["apps"], top)
	d.gateSource(p)
	d.dispatchEventTypes(p)
	d.bootstrapNames(p)
	return p
}

// labelValueMax is the longest label value the API server accepts
// (apimachinery's validation.LabelValueMaxLength).
const labelValueMax = 63

// bootstrapNames refuses a flux.bootstrap.name that is too long once
// {env} is replaced by an env's name. kustomize-controller puts a
// Kustomization's name in a label on every object it applies, so no
// Kustomization with a longer name applies anything: kiln's dependsOn on it
// would hold every app of the env back for good.
func (d *decoder) bootstrapNames(p *Pipeline) {
	b := p.Flux.Bootstrap
	if b == nil {
		return
	}
	for _, e := range p.Environments {
		_, name, _ := p.BootstrapKustomization(e.Name)
		if len(name) <= labelValueMax {
			continue
		}
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: b.Line,
			Msg: fmt.Sprintf("in environment %s, flux.bootstrap.name is %q, %d characters; kustomize-controller labels every object a Kustomization applies with its name, and a label value has at most %d, so no Kustomization of that name can apply the env's flux/ folder",
				e.Name, name, len(name), labelValueMax),
			Hint: "name the Kustomization that applies the env's flux/ folder, as flux get kustomizations -A lists it"})
		return
	}
}

// helmReleaseNameMax is Helm's limit on a release name
// (chartutil.ValidateReleaseName): helm template refuses a longer one, and
// kiln names a helm app's release after the app.
const helmReleaseNameMax = 53

// maxEventType is GitHub's limit on a repository_dispatch event_type: a
// longer one is refused with 422, so notification-controller's dispatch
// for that Kustomization fails on every event.
const maxEventType = 100

// dispatchEventTypes refuses an app whose repository_dispatch event type
// would be longer than GitHub accepts. notification-controller's
// githubdispatch Provider sends "<kind>/<name>.<namespace>" of the object
// the event is about, here the app's Kustomization, in every environment.
func (d *decoder) dispatchEventTypes(p *Pipeline) {
	if p.Notifications == nil || p.Notifications.Dispatch == "" {
		return
	}
	for _, a := range p.Apps {
		for _, e := range p.Environments {
			et := DispatchEventType(p.FluxName(a.Name, e.Name), p.Flux.Namespace)
			if len(et) <= maxEventType {
				continue
			}
			d.errs = append(d.errs, &diag.Error{File: d.file, Line: a.Line, App: a.Name,
				Msg: fmt.Sprintf("in environment %s, the repository_dispatch event type %q that notifications.dispatch (line %d) sends for the app's Kustomization has %d characters; GitHub refuses more than %d",
					e.Name, et, d.dispatchLine, len(et), maxEventType),
				Hint: "shorten the app name, flux.name or flux.namespace in kiln.yaml"})
			break
		}
	}
}

// DispatchEventType is the event_type of the repository_dispatch that
// notification-controller's githubdispatch Provider sends for an event
// about the Flux Kustomization name in namespace (internal/notifier of
// fluxcd/notification-controller: "<kind>/<name>.<namespace>").
func DispatchEventType(name, namespace string) string {
	return "Kustomization/" + name + "." + namespace
}

// validation reads validation: {crds: [paths], namespaces: [names]}:
// files of CustomResourceDefinitions installed by other means, against
// which custom resources are checked, and namespaces made by other means.
func (d *decoder) validation(n *yaml.Node) Validation {
	var out Validation
	f, ok := d.fields(n, "validation", validationKeys)
	if !ok {
		return out
	}
	paths, nodes := d.strList(f["crds"], "validation.crds")
	for i, p := range paths {
		if d.relPath(nodes[i], fmt.Sprintf("validation.crds[%d]", i), p) {
			out.CRDs = append(out.CRDs, FileRef{Path: p, Line: line(nodes[i])})
		}
	}
	names, nodes := d.strList(f["namespaces"], "validation.namespaces")
	for i, ns := range names {
		if d.dnsLabel(nodes[i], fmt.Sprintf("validation.namespaces[%d]", i), ns) {
			out.Namespaces = append(out.Namespaces, ns)
		}
	}
	return out
}

// gateSource refuses a promoteFrom that can never pass its gate: the gate
// reads commit statuses on the manifests commit, and notification-controller
// posts them on the revision Flux reports for the source. A GitRepository's
// revision is that commit. An OCIRepository's is its artifact's digest
// unless the artifact records the commit it was pushed from (the
// org.opencontainers.image.revision annotation, which Flux reports as the
// origin revision, and the user states with originRevision: true). A
// Bucket's is always a digest. GitHub refuses a status on a digest.
func (d *decoder) gateSource(p *Pipeline) {
	src := p.Flux.SourceRef
	at := func() *yaml.Node { return &yaml.Node{Line: d.originLine} }
	if src.OriginRevision && src.Kind != "OCIRepository" {
		d.errAt(at(), fmt.Sprintf("flux.sourceRef.originRevision is for an OCIRepository, not a %s", src.Kind),
			"remove originRevision: a GitRepository's revision is the commit already, and a Bucket has no origin revision")
	}
	d.gateStatuses(p)
	if src.Kind == "GitRepository" || (src.Kind == "OCIRepository" && src.OriginRevision) {
		return
	}
	for _, e := range p.Environments {
		if e.PromoteFrom == "" {
			continue
		}
		msg := fmt.Sprintf("environment %q promotes from %q, but flux.sourceRef.kind is %s: Flux reports its revision as a digest, "+
			"GitHub refuses a commit status on it, and the promotion gate would never open", e.Name, e.PromoteFrom, src.Kind)
		hint := "use a GitRepository for the manifests repository"
		if src.Kind == "OCIRepository" {
			hint = "push the artifact with the manifests commit (flux push artifact --revision=\"<branch>@sha1:<commit>\") " +
				"and set flux.sourceRef.originRevision: true, or use a GitRepository"
		}
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: e.Line, Msg: msg, Hint: hint})
	}
}

// gateStatuses refuses a promoteFrom when nothing posts the statuses its
// gate reads: kiln promote --from waits for a kiln/<from>/<app> commit
// status per app, and only the github Provider of notifications.commitStatus
// (flux/notifications.yaml) makes notification-controller post them. Without
// it every promotion would wait in vain, so this is refused where a Flux
// user writes it, like a dependsOn on an app that does not exist, rather
// than found out by the first promotion. The line is the promoteFrom's.
func (d *decoder) gateStatuses(p *Pipeline) {
	nt := p.Notifications
	if nt != nil && nt.CommitStatus {
		return
	}
	for _, e := range p.Environments {
		at, valid := d.promoteFromLines[e.Name]
		if e.PromoteFrom == "" || !valid {
			continue
		}
		msg := fmt.Sprintf("environment %q promotes from %q, but there is no notifications: block, so Flux posts no kiln/%s/<app> commit statuses "+
			"and the promotion gate would never open", e.Name, e.PromoteFrom, e.PromoteFrom)
		hint := "add notifications: {secretRef: github-token, commitStatus: true} (a Secret in the Flux namespace with a token that may write commit statuses " +
			"on the manifests repository), or remove promoteFrom and promote each environment with kiln promote --env"
		if nt != nil {
			msg = fmt.Sprintf("environment %q promotes from %q, but notifications.commitStatus (line %d) is not true, so Flux posts no kiln/%s/<app> commit statuses "+
				"and the promotion gate would never open", e.Name, e.PromoteFrom, nt.Line, e.PromoteFrom)
			hint = "set notifications.commitStatus: true, or remove promoteFrom and promote each environment with kiln promote --env"
		}
		d.errs = append(d.errs, &diag.Error{File: d.file, Line: at, Msg: msg, Hint: hint})
	}
}

func (d *decoder) environments(n, top *yaml.Node) []Environment {
	items, ok := d.list(n, "environments")
	if ok && len(items) == 0 {
		at := n
		if at == nil {
			at = top
		}
		d.errAt(at, "no environments", "list at least one under environments:, such as - name: dev")
		return nil
	}
	var envs []Environment
	seen := map[string]int{}
	for i, it := range items {
		key := fmt.Sprintf("environments[%d]", i)
		f, ok := d.fields(it, key, environmentKeys)
		if !ok {
			continue
		}
		e := Environment{Mode: ModePR, Line: line(deref(it))}
		valid := true
		if v, present := f["name"]; !present {
			d.errAt(it, key+": missing name", "name the environment, such as name: dev")
			valid = false
		} else if s, ok := d.str(v, key+".name"); !ok || !d.dnsLabel(v, "environment name", s) {
			valid = false
		} else if first, dup := seen[s]; dup {
			d.errAt(v, fmt.Sprintf("environment %q is defined twice (first at line %d)", s, first), "give each environment its own name")
			valid = false
		} else {
			e.Name = s
			seen[s] = line(v)
		}
		if v, present := f["mode"]; present {
			if s, ok := d.str(v, key+".mode"); ok {
				if s == ModePush || s == ModePR {
					e.Mode = s
				} else {
					msg := fmt.Sprintf("mode %q is not a promotion mode", s)
					if c := diag.Closest(s, []string{ModePush, ModePR}); c != "" {
						msg += fmt.Sprintf(" (did you mean %q?)", c)
					}
					d.errAt(v, msg, "use mode: pr (open a pull request, the default) or mode: push (commit straight to the branch)")
				}
			}
		}
		if v, present := f["promoteFrom"]; present {
			if s, ok := d.str(v, key+".promoteFrom"); ok {
				valid := d.promoteFrom(v, s, e.Name, envs, items[i+1:])
				e.PromoteFrom = s
				if !valid {
					// Already an error; the gate's own checks would only repeat it.
				} else if d.promoteFromLines == nil {
					d.promoteFromLines = map[string]int{e.Name: line(deref(v))}
				} else {
					d.promoteFromLines[e.Name] = line(deref(v))
				}
			}
		}
		e.Config = "envs/" + e.Name + ".yaml"
		if v, present := f["config"]; present {
			if s, ok := d.str(v, key+".config"); ok && d.relPath(v, key+".config", s) {
				e.Config = strings.ReplaceAll(s, "{env}", e.Name)
			}
		}
		if valid {
			envs = append(envs, e)
		}
	}
	return envs
}

// promoteFrom checks that from names an environment listed before this one.
func (d *decoder) promoteFrom(n *yaml.Node, from, self string, earlier []Environment, later []*yaml.Node) bool {
	var names []string
	for _, e := range earlier {
		if e.Name == from {
			return true
		}
		names = append(names, e.Name)
	}
	hint := "promoteFrom names an environment listed before this one"
	if len(names) > 0 {
		hint += ": " + strings.Join(names, ", ")
	}
	if from == self {
		d.errAt(n, fmt.Sprintf("environment %q promotes from itself", self), hint)
		return false
	}
	for _, it := range later {
		if m := deref(it); m != nil && m.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == "name" && deref(m.Content[i+1]) != nil && deref(m.Content[i+1]).Value == from {
					d.errAt(n, fmt.Sprintf("promoteFrom %q names a later environment", from),
						"environments are listed in promotion order: move "+from+" before "+self)
					return false
				}
			}
		}
	}
	msg := fmt.Sprintf("promoteFrom %q: no such environment", from)
	if c := diag.Closest(from, names); c != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", c)
	}
	d.errAt(n, msg, hint)
	return false
}

func (d *decoder) manifests(n *yaml.Node, m *Manifests, envs []Environment) {
	f, ok := d.fields(n, "manifests", manifestsKeys)
	if !ok {
		return
	}
	if v, present := f["repo"]; present {
		if s, ok := d.str(v, "manifests.repo"); ok {
			if s == "" {
				d.errAt(v, "manifests.repo is empty", "give a git URL or a local path, or remove the key")
			}
			m.Repo = s
		}
	}
	if v, present := f["github"]; present {
		if s, ok := d.str(v, "manifests.github"); ok && d.githubRepo(v, "manifests.github", s) {
			m.GitHub = s
		}
	} else {
		m.GitHub = inferGitHub(m.Repo)
	}
	if v, present := f["branch"]; present {
		if s, ok := d.str(v, "manifests.branch"); ok {
			if why := branchProblem(s); why != "" {
				d.errAt(v, fmt.Sprintf("manifests.branch %q is not a git branch name: %s", s, why), "write a branch name git accepts (git check-ref-format --branch), such as main")
			} else if s == "kiln" || strings.HasPrefix(s, "kiln/") {
				// kiln/<env> is the branch of env's pull request, which
				// kiln rebuilds and force-pushes: as the branch Flux
				// reads, a pr env's change would land there unreviewed.
				d.errAt(v, fmt.Sprintf("manifests.branch %q is among the branches kiln owns: kiln/<env> is the branch of each env's pull request, rebuilt and force-pushed on every promotion", s),
					"name the branch Flux reads something else, such as main")
			} else {
				m.Branch = s
			}
		}
	}
	if v, present := f["path"]; present {
		if s, ok := d.str(v, "manifests.path"); ok && d.relPath(v, "manifests.path", s) {
			m.Path = s
			if len(envs) > 1 && !strings.Contains(s, "{env}") {
				d.errAt(v, fmt.Sprintf("manifests.path %q is the same for every environment", s),
					"include {env} so that environments write separate folders, such as clusters/{env}")
			} else {
				d.envDirs(v, s, envs)
			}
		}
	}
}

// envDirs checks manifests.path once {env} is replaced by each env's name:
// promote replaces that folder whole, so it must be a folder of its own,
// and Flux reads it from its source's artifact, so it must be in there.
func (d *decoder) envDirs(n *yaml.Node, pattern string, envs []Environment) {
	dirs := map[string]string{} // folder → env
	for _, e := range envs {
		dir, err := ManifestsDir(pattern, e.Name)
		if err != nil {
			d.errAt(n, err.Error(), "give each environment a folder of its own inside the repository, such as clusters/{env}")
			return
		}
		// Flux's artifact would hold no env folder: every Kustomization
		// would fail with "kustomization path not found".
		if folder, rule := sourceIgnored(dir); folder != "" {
			d.errAt(n, fmt.Sprintf("manifests.path %q gives env %s the folder %s, and Flux's source-controller leaves every folder named %s out of the artifact by default, "+
				"with all it holds (its ignore rule %s matches at any depth): no Kustomization of the env would find its path", pattern, e.Name, dir, folder, rule),
				"choose a path with no such folder in it, such as clusters/{env}")
			return
		}
		for other, oe := range dirs {
			if dir == other || strings.HasPrefix(dir, other+"/") || strings.HasPrefix(other, dir+"/") {
				d.errAt(n, fmt.Sprintf("manifests.path %q gives envs %s and %s overlapping folders (%s, %s)", pattern, oe, e.Name, other, dir),
					"give each environment a folder of its own, such as clusters/{env}")
			}
		}
		dirs[dir] = e.Name
	}
}

// ManifestsDir returns the folder of env in the manifests repository:
// pattern (manifests.path) with {env} replaced, cleaned. Promote replaces
// that folder whole, so it must stay inside the repository and must not be
// the repository itself or git's own folder: no "..", not absolute, not
// the root, nothing inside .git.
func ManifestsDir(pattern, env string) (string, error) {
	p := strings.ReplaceAll(pattern, "{env}", env)
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("manifests.path %q for env %s %s", pattern, env, why)
	}
	switch {
	case strings.Contains(p, `\`):
		return bad("uses \\")
	case strings.HasPrefix(p, "/") || windowsAbsRE.MatchString(p):
		return bad("is absolute")
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "..":
			return bad("leaves its folder with \"..\"")
		case strings.EqualFold(seg, ".git"):
			// Any case: on a case-insensitive file system (macOS,
			// Windows) .GIT is the clone's .git, which promote would
			// replace a folder of.
			return bad("points into .git")
		}
	}
	clean := path.Clean(p)
	if clean == "." || clean == "" {
		return bad("is the repository's root")
	}
	return clean, nil
}

func (d *decoder) flux(n *yaml.Node, fl *Flux) {
	f, ok := d.fields(n, "flux", fluxKeys)
	if !ok {
		return
	}
	if v, present := f["name"]; present {
		if s, ok := d.str(v, "flux.name"); ok && d.placeholders(v, "flux.name", s, "{app}", "{env}") {
			if !strings.Contains(s, "{app}") {
				d.errAt(v, fmt.Sprintf("flux.name %q does not contain {app}", s), "every app needs its own Kustomization: use {app} or {app}-{env}")
			} else if sample := strings.NewReplacer("{app}", "a", "{env}", "e").Replace(s); d.dnsSubdomain(v, "flux.name", sample) {
				fl.Name, fl.NameLine = s, line(v)
			}
		}
	}
	if v, present := f["namespace"]; present {
		if s, ok := d.str(v, "flux.namespace"); ok && d.dnsLabel(v, "flux.namespace", s) {
			fl.Namespace, fl.NamespaceLine = s, line(v)
		}
	}
	if v, present := f["sourceRef"]; present {
		fl.SourceRefLine = line(v)
		sf, ok := d.fields(v, "flux.sourceRef", sourceRefKeys)
		if ok {
			if v, present := sf["kind"]; present {
				if s, ok := d.str(v, "flux.sourceRef.kind"); ok {
					if slices.Contains(sourceKinds, s) {
						fl.SourceRef.Kind = s
					} else {
						msg := fmt.Sprintf("flux.sourceRef.kind %q is not a Flux source kind", s)
						if c := diag.Closest(s, sourceKinds); c != "" {
							msg += fmt.Sprintf(" (did you mean %q?)", c)
						}
						d.errAt(v, msg, "use one of "+strings.Join(sourceKinds, ", "))
					}
				}
			}
			if v, present := sf["name"]; present {
				if s, ok := d.str(v, "flux.sourceRef.name"); ok && d.dnsSubdomain(v, "flux.sourceRef.name", s) {
					fl.SourceRef.Name = s
				}
			}
			if v, present := sf["namespace"]; present {
				if s, ok := d.str(v, "flux.sourceRef.namespace"); ok && d.dnsLabel(v, "flux.sourceRef.namespace", s) {
					fl.SourceRef.Namespace = s
				}
			}
			if v, present := sf["originRevision"]; present {
				if b, ok := d.boolean(v, "flux.sourceRef.originRevision"); ok {
					fl.SourceRef.OriginRevision = b
					d.originLine = line(v)
				}
			}
		}
	}
	if v, present := f["interval"]; present {
		if s, ok := d.duration(v, "flux.interval"); ok {
			fl.Interval = s
		}
	}
	if v, present := f["timeout"]; present {
		if s, ok := d.duration(v, "flux.timeout"); ok {
			fl.Timeout = s
		}
	}
	if v, present := f["prune"]; present {
		if b, ok := d.boolean(v, "flux.prune"); ok {
			fl.Prune = b
		}
	}
	if v, present := f["wait"]; present {
		if b, ok := d.boolean(v, "flux.wait"); ok {
			fl.Wait = b
		}
	}
	if v, present := f["decryption"]; present {
		if name := d.decryption(v); name != "" {
			fl.DecryptionSecret = name
		}
	}
	if v, present := f["bootstrap"]; present {
		fl.Bootstrap = d.bootstrap(v, fl.Namespace)
	}
}

// bootstrap reads flux.bootstrap: {name, namespace}, the Kustomization
// that applies each env's flux/ folder, its namespace fluxNS when not
// given; nil when invalid. The name is required: a Kustomization that
// depends on one that does not exist is never reconciled, so kiln does
// not guess it.
func (d *decoder) bootstrap(n *yaml.Node, fluxNS string) *Bootstrap {
	f, ok := d.fields(n, "flux.bootstrap", bootstrapKeys)
	if !ok {
		return nil
	}
	b := &Bootstrap{Namespace: fluxNS, Line: line(deref(n))}
	name := d.reqStr(f, n, "name", "flux.bootstrap",
		"name the Kustomization that applies the env's flux/ folder, as flux get kustomizations -A lists it (flux bootstrap names it after its namespace: name: "+fluxNS+")")
	valid := name != "" && d.placeholders(f["name"], "flux.bootstrap.name", name, "{env}") &&
		d.dnsSubdomain(f["name"], "flux.bootstrap.name", strings.ReplaceAll(name, "{env}", "e"))
	if v, present := f["namespace"]; present {
		s, ok := d.str(v, "flux.bootstrap.namespace")
		if !ok || !d.dnsLabel(v, "flux.bootstrap.namespace", s) {
			valid = false
		}
		b.Namespace = s
	}
	if !valid {
		return nil
	}
	b.Name = name
	return b
}

// decryption reads flux.decryption: {secretRef: {name: …}}, the Secret
// holding the SOPS private keys, and returns the name ("" when invalid).
func (d *decoder) decryption(n *yaml.Node) string {
	f, ok := d.fields(n, "flux.decryption", decryptionKeys)
	if !ok {
		return ""
	}
	v, present := f["secretRef"]
	if !present {
		d.errAt(n, "flux.decryption: missing secretRef", "name the Secret in the Flux namespace that holds the age key, such as secretRef: {name: sops-age}")
		return ""
	}
	sf, ok := d.fields(v, "flux.decryption.secretRef", secretRefKeys)
	if !ok {
		return ""
	}
	name := d.reqStr(sf, v, "name", "flux.decryption.secretRef", "name the Secret, such as name: sops-age")
	if name == "" || !d.dnsSubdomain(sf["name"], "flux.decryption.secretRef.name", name) {
		return ""
	}
	return name
}

func (d *decoder) notifications(n *yaml.Node, github string) *Notifications {
	f, ok := d.fields(n, "notifications", notificationKeys)
	if !ok {
		return nil
	}
	nt := &Notifications{Line: line(deref(n))}
	if v, present := f["secretRef"]; !present {
		d.errAt(n, "notifications: missing secretRef", "name the Secret in the Flux namespace that holds the GitHub token, such as secretRef: github-token")
	} else if s, ok := d.str(v, "notifications.secretRef"); ok && d.dnsSubdomain(v, "notifications.secretRef", s) {
		nt.SecretRef = s
	}
	csValid := true
	if v, present := f["commitStatus"]; present {
		b, ok := d.boolean(v, "notifications.commitStatus")
		csValid = ok
		nt.CommitStatus = b
		if b && github == "" {
			d.errAt(v, "notifications.commitStatus needs the manifests repository on GitHub",
				"set manifests.github: owner/name (it is inferred only from a github.com manifests.repo)")
		}
	}
	_, hasDispatch := f["dispatch"]
	if v, present := f["dispatch"]; present {
		if s, ok := d.str(v, "notifications.dispatch"); ok && d.githubRepo(v, "notifications.dispatch", s) {
			nt.Dispatch, d.dispatchLine = s, line(deref(v))
		}
	}
	if !hasDispatch && csValid && !nt.CommitStatus {
		d.errAt(n, "notifications: nothing to notify", "set commitStatus: true, dispatch: owner/name, or both; or remove notifications")
	}
	return nt
}

func (d *decoder) apps(n, top *yaml.Node) []App {
	items, ok := d.list(n, "apps")
	if ok && len(items) == 0 {
		at := n
		if at == nil {
			at = top
		}
		d.errAt(at, "no apps", "list the apps to render under apps:, each with a name, a namespace and one engine (helm, kustomize, jsonnet or yaml)")
		return nil
	}
	var apps []App
	seen := map[string]int{}
	for i, it := range items {
		a, ok := d.app(it, i)
		if !ok {
			continue
		}
		if first, dup := seen[a.Name]; dup {
			d.errAt(deref(it), fmt.Sprintf("app %q is defined twice (first at line %d)", a.Name, first), "give each app its own name")
			continue
		}
		seen[a.Name] = a.Line
		apps = append(apps, a)
	}
	return apps
}

// app reads one apps entry. ok is false when the entry is unusable (no
// valid name); other problems are recorded and the app still returned, so
// that later checks (duplicates) can see it.
func (d *decoder) app(n *yaml.Node, i int) (App, bool) {
	key := fmt.Sprintf("apps[%d]", i)
	// Name the app in errors about its other keys, even those read first.
	d.appName = peekName(n)
	defer func() { d.appName = "" }()
	f, ok := d.fields(n, key, appKeys)
	if !ok {
		return App{}, false
	}
	a := App{Line: line(deref(n))}
	valid := true
	if v, present := f["name"]; !present {
		d.errAt(n, key+": missing name", "name the app, such as name: vote")
		valid = false
	} else if s, ok := d.str(v, key+".name"); !ok || !d.dnsLabel(v, "app name", s) {
		valid = false
	} else {
		a.Name = s
	}
	if v, present := f["namespace"]; !present {
		d.errAt(n, "missing namespace", "give the app's namespace, such as namespace: "+orDefault(a.Name, "default"))
	} else if s, ok := d.str(v, "namespace"); ok && d.dnsLabel(v, "namespace", s) {
		a.Namespace = s
	}
	var present []string
	for _, e := range engines {
		if _, ok := f[e]; ok {
			present = append(present, e)
		}
	}
	switch len(present) {
	case 0:
		d.errAt(n, "no engine", "give the app exactly one of helm, kustomize, jsonnet or yaml")
	case 1:
		a.Engine = present[0]
		switch a.Engine {
		case EngineHelm:
			a.Helm = d.helm(f[EngineHelm], true)
			if len(a.Name) > helmReleaseNameMax {
				// Helm refuses the release, and kiln names it after the
				// app: say so here, at the name, rather than as a chart
				// error with no line when the env renders.
				d.errAt(f["name"], fmt.Sprintf("app name %q has %d characters: a helm app's name is its Helm release name, which Helm limits to %d", a.Name, len(a.Name), helmReleaseNameMax),
					fmt.Sprintf("shorten the app name to %d characters or fewer", helmReleaseNameMax))
				valid = false
			}
		case EngineKustomize:
			a.Kustomize, _ = d.folder(f[EngineKustomize], EngineKustomize)
			a.PathAt = d.at(f[EngineKustomize])
		case EngineJsonnet:
			a.Jsonnet = d.jsonnet(f[EngineJsonnet], true)
		case EngineYAML:
			a.YAML, _ = d.folder(f[EngineYAML], EngineYAML)
			a.PathAt = d.at(f[EngineYAML])
		}
	default:
		d.errAt(f[present[1]], fmt.Sprintf("more than one engine (%s)", strings.Join(present, " and ")),
			"an app renders with exactly one of helm, kustomize, jsonnet or yaml: split it into two apps, or remove all but one")
	}
	if v, present := f["dependsOn"]; present {
		a.DependsOn = d.dependsOn(v)
	}
	if v, present := f["flux"]; present {
		a.Flux = d.appFlux(v)
	}
	return a, valid
}

// peekName returns the name of the app entry n if it is a valid one, else "".
func peekName(n *yaml.Node) string {
	m := deref(n)
	if m == nil || m.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if v := deref(m.Content[i+1]); m.Content[i].Value == "name" && v != nil && v.Kind == yaml.ScalarNode &&
			len(v.Value) <= 63 && dnsLabelRE.MatchString(v.Value) {
			return v.Value
		}
	}
	return ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// folder reads a kustomize or yaml folder path.
func (d *decoder) folder(n *yaml.Node, key string) (string, bool) {
	s, ok := d.str(n, key)
	if !ok || !d.relPath(n, key, s) {
		return "", false
	}
	return s, true
}

// helm reads a helm mapping. full is true in kiln.yaml, where chart is
// required; env overrides may set any subset of the keys.
func (d *decoder) helm(n *yaml.Node, full bool) *Helm {
	h := &Helm{}
	keys := helmKeys
	if !full {
		keys = helmOverrideKeys
	}
	f, ok := d.fields(n, "helm", keys)
	if !ok {
		return h
	}
	if v, present := f["repo"]; present {
		if s, ok := d.str(v, "helm.repo"); ok {
			// Kept even when invalid, so that the checks below do not
			// add a second, misleading error.
			h.Repo = s
			d.chartRepo(v, "helm.repo", s)
		}
	}
	if v, present := f["version"]; present {
		if s, ok := d.str(v, "helm.version"); ok {
			if s == "" {
				d.errAt(v, "helm.version is empty", "give the chart version, such as version: 17.3.14")
			}
			h.Version = s
		}
	}
	if v, present := f["chart"]; present {
		if s, ok := d.str(v, "helm.chart"); ok {
			h.Chart, h.ChartAt = s, d.at(v)
			d.chart(v, s, h.Repo)
		}
	} else if full {
		d.errAt(n, "helm: missing chart", "give a chart folder or .tgz in this repository (chart: charts/redis), or a chart name with helm.repo")
	}
	if full {
		d.checkHelm(deref(n), h)
	}
	if v, present := f["skipCRDs"]; present {
		var ok bool
		if h.SkipCRDs, ok = d.boolean(v, "helm.skipCRDs"); ok {
			h.SkipCRDsAt = d.at(v)
		}
	}
	if v, present := f["values"]; present {
		if m := deref(v); m != nil && m.Kind == yaml.MappingNode {
			// A HelmRelease's spec.values is such a mapping; here the
			// generic hint (write a list) would lead to a list of
			// mappings, which is no more a list of files.
			app := d.appName
			if app == "" {
				app = "<app>"
			}
			hint := fmt.Sprintf("helm.values lists values files (values: [values.yaml]); put the values in such a file, or under apps.%s.values in an env file (envs/<env>.yaml), which merges them last", app)
			d.errAt(v, "helm.values: expected a list of values files, got a mapping (inline values, as a HelmRelease's spec.values)", hint)
			return h
		}
		files, nodes := d.strList(v, "helm.values")
		h.Values = []string{}
		for i, s := range files {
			if d.relPath(nodes[i], "helm.values", s) {
				h.Values = append(h.Values, s)
				h.ValuesAt = append(h.ValuesAt, d.at(nodes[i]))
			}
		}
	}
	return h
}

// chart checks helm.chart against helm.repo.
func (d *decoder) chart(n *yaml.Node, chart, repo string) {
	switch {
	case strings.Contains(chart, "://"):
		d.errAt(n, fmt.Sprintf("helm.chart %q is a URL", chart),
			"put the repository in helm.repo (https://… or oci://registry/path) and the chart's name in helm.chart")
	case repo != "" && (chart == "" || strings.Contains(chart, "/")):
		d.errAt(n, fmt.Sprintf("helm.chart %q is not a chart name", chart),
			"with helm.repo, helm.chart is the chart's name in that repository, such as redis")
	case repo == "":
		d.relPath(n, "helm.chart", chart)
	}
}

// checkHelm checks the rules that span keys of a complete helm mapping.
func (d *decoder) checkHelm(n *yaml.Node, h *Helm) {
	if h.Repo != "" && h.Version == "" {
		d.errAt(n, "helm: a chart from helm.repo needs helm.version",
			"pin the chart version (version: 17.3.14) so that renders are reproducible")
	}
	if h.Repo == "" && h.Version != "" {
		d.errAt(n, "helm: helm.version is only for a chart from helm.repo",
			"remove version: a chart in this repository renders as it is")
	}
}

// jsonnet reads a file path or a {file, jpath} mapping.
func (d *decoder) jsonnet(n *yaml.Node, full bool) *Jsonnet {
	j := &Jsonnet{}
	if s := deref(n); s != nil && s.Kind == yaml.ScalarNode && s.ShortTag() != "!!null" {
		if d.relPath(n, "jsonnet", s.Value) {
			j.File, j.FileAt = s.Value, d.at(n)
		}
		return j
	}
	if s := deref(n); s == nil || s.Kind != yaml.MappingNode {
		d.errAt(n, "jsonnet: expected a file path or a mapping {file, jpath}, got "+describe(n),
			"write jsonnet: path/main.jsonnet, or jsonnet: {file: path/main.jsonnet, jpath: [lib]}")
		return j
	}
	keys := jsonnetKeys
	if !full {
		keys = jsonnetOvKeys
	}
	f, _ := d.fields(n, "jsonnet", keys)
	if v, present := f["file"]; present {
		if s, ok := d.str(v, "jsonnet.file"); ok && d.relPath(v, "jsonnet.file", s) {
			j.File, j.FileAt = s, d.at(v)
		}
	} else if full {
		d.errAt(n, "jsonnet: missing file", "give the .jsonnet file to evaluate, such as file: apps/result/main.jsonnet")
	}
	if v, present := f["jpath"]; present {
		paths, nodes := d.strList(v, "jsonnet.jpath")
		j.JPath = []string{}
		for i, s := range paths {
			if d.relPath(nodes[i], "jsonnet.jpath", s) {
				j.JPath = append(j.JPath, s)
			}
		}
	}
	j.ExtVars = d.jsonnetArgs(f, "extVars")
	j.TLAs = d.jsonnetArgs(f, "tlas")
	return j
}

// jsonnetReserved are the external variables and top-level arguments kiln
// passes itself.
var jsonnetReserved = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range shape.JsonnetReserved {
		m[k] = true
	}
	return m
}()

// jsonnetArgs reads jsonnet.extVars or jsonnet.tlas: a mapping from
// Jsonnet identifiers to values of any type.
func (d *decoder) jsonnetArgs(f map[string]*yaml.Node, key string) map[string]any {
	v, present := f[key]
	if !present || isNull(v) {
		return nil
	}
	if m := deref(v); m == nil || m.Kind != yaml.MappingNode {
		d.wrongType(v, "jsonnet."+key, "a mapping")
		return nil
	}
	out := map[string]any{}
	for _, p := range d.entries(v, "jsonnet."+key) {
		name := p.key.Value
		switch {
		case !jsonnetIdentRE().MatchString(name):
			d.errAt(p.key, fmt.Sprintf("jsonnet.%s: %q is not a Jsonnet identifier", key, name),
				"use letters, digits and _, not starting with a digit, so the jsonnet can read it as std.extVar('name') or a parameter")
			continue
		case jsonnetReserved[name]:
			d.errAt(p.key, fmt.Sprintf("jsonnet.%s: %s is one of kiln's own (env, vars, images)", key, name),
				"choose another name; kiln passes env, vars and images itself")
			continue
		}
		var x any
		c := datesAsWritten(p.val, map[*yaml.Node]*yaml.Node{})
		if err := decodeLinear(c, &x); err != nil {
			d.decodeError(p.val, c, err, fmt.Sprintf("jsonnet.%s.%s", key, name), "write a YAML value that has a JSON form, each key once")
			continue
		}
		if f := nonFinite(p.val); f != nil {
			// The engine passes the value as JSON, which has no such
			// number: its error named neither file nor line.
			d.errAt(f, fmt.Sprintf("jsonnet.%s.%s: an infinite or NaN number (.inf, .nan), which has no JSON form", key, name),
				"quote it to pass a string, or give a finite number")
			continue
		}
		out[name] = normalize(x)
	}
	return out
}

// datesAsWritten returns a copy of n in which every untagged scalar that
// yaml.v3 reads as a timestamp is a string, as written: yaml.v3 decodes
// `day: 2024-01-01` into a time.Time, whose JSON is "2024-01-01T00:00:00Z",
// so the jsonnet got another value than kiln.yaml holds (YAML 1.2, which
// kiln reads, has no timestamps; Helm values keep them as written too, see
// yaml11). An explicit !!timestamp keeps its meaning. Anchors and aliases
// are copied as such; copies holds the copy of each node seen, and n is
// left alone (an alias may point outside the value).
func datesAsWritten(n *yaml.Node, copies map[*yaml.Node]*yaml.Node) *yaml.Node {
	return copyScalars(n, copies, func(c *yaml.Node) {
		if c.Tag == "!!timestamp" && c.Style&yaml.TaggedStyle == 0 {
			c.Tag = "!!str"
		}
	})
}

// jsonnetIdentRE matches a Jsonnet identifier.
var jsonnetIdentRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(shape.JsonnetIdentPattern) })

// dependsOn reads a dependsOn list: "name" is an app of the pipeline,
// "namespace/name" a Kustomization kiln does not manage. Whether the apps
// exist, and cycles, are the graph stage's to check.
func (d *decoder) dependsOn(n *yaml.Node) []Dependency {
	names, nodes := d.strList(n, "dependsOn")
	out := []Dependency{}
	seen := map[string]int{}
	for i, s := range names {
		v := nodes[i]
		if first, dup := seen[s]; dup {
			d.errAt(v, fmt.Sprintf("dependsOn %q is listed twice (first at line %d)", s, first), "remove one of them")
			continue
		}
		seen[s] = v.Line
		dep := Dependency{Name: s, File: d.file, Line: v.Line}
		switch parts := strings.Split(s, "/"); len(parts) {
		case 1:
			if s == "" {
				d.errAt(v, "dependsOn: empty name", "name an app of kiln.yaml, or namespace/name of a Flux Kustomization")
				continue
			}
		case 2:
			if !d.dnsLabel(v, "dependsOn namespace", parts[0]) || !d.dnsSubdomain(v, "dependsOn name", parts[1]) {
				continue
			}
			dep = Dependency{Name: parts[1], Namespace: parts[0], External: true, File: d.file, Line: v.Line}
		default:
			d.errAt(v, fmt.Sprintf("dependsOn %q has more than one /", s), "name an app of kiln.yaml, or namespace/name of a Flux Kustomization")
			continue
		}
		out = append(out, dep)
	}
	return out
}

func (d *decoder) appFlux(n *yaml.Node) AppFlux {
	var af AppFlux
	f, ok := d.fields(n, "flux", appFluxKeys)
	if !ok {
		return af
	}
	if v, present := f["interval"]; present {
		af.Interval, _ = d.duration(v, "flux.interval")
	}
	if v, present := f["timeout"]; present {
		af.Timeout, _ = d.duration(v, "flux.timeout")
	}
	if v, present := f["wait"]; present {
		if b, ok := d.boolean(v, "flux.wait"); ok {
			af.Wait = &b
		}
	}
	if v, present := f["decryption"]; present {
		af.DecryptionSecret = d.decryption(v)
	}
	if v, present := f["healthChecks"]; present {
		items, _ := d.list(v, "flux.healthChecks")
		af.HealthChecks = []HealthCheck{}
		for i, it := range items {
			key := fmt.Sprintf("flux.healthChecks[%d]", i)
			hf, ok := d.fields(it, key, healthCheckKeys)
			if !ok {
				continue
			}
			hc := HealthCheck{
				APIVersion: d.optStr(hf, "apiVersion", key),
				Kind:       d.reqStr(hf, it, "kind", key, "give the object's kind, such as kind: Deployment"),
				Name:       d.reqStr(hf, it, "name", key, "give the object's name"),
				Namespace:  d.optStr(hf, "namespace", key),
				File:       d.file,
				Line:       line(deref(it)),
			}
			// A check naming an object no API server would accept
			// waits for it until the Kustomization times out, every
			// time: refuse it here, at its line.
			// (Values that are no text, and an empty name, are
			// reported already.)
			if v := hf["namespace"]; isText(v) {
				d.dnsLabel(v, key+".namespace", hc.Namespace)
			}
			if v := hf["name"]; isText(v) && hc.Name != "" {
				d.objectName(v, key+".name", hc.Name)
			}
			if v := hf["apiVersion"]; isText(v) && hc.APIVersion != "" {
				d.apiVersion(v, key+".apiVersion", hc.APIVersion)
			}
			af.HealthChecks = append(af.HealthChecks, hc)
		}
	}
	if v, present := f["healthCheckExprs"]; present {
		items, _ := d.list(v, "flux.healthCheckExprs")
		af.HealthCheckExprs = []HealthCheckExpr{}
		// kustomize-controller uses the first expression of each group
		// and kind and ignores the others (fluxcd/pkg runtime/cel
		// PollerWithCustomHealthChecks): a second one would never run.
		firstOf := map[string]int{} // group/kind -> index
		for i, it := range items {
			key := fmt.Sprintf("flux.healthCheckExprs[%d]", i)
			hf, ok := d.fields(it, key, healthExprKeys)
			if !ok {
				continue
			}
			he := HealthCheckExpr{
				APIVersion: d.reqStr(hf, it, "apiVersion", key, "give the custom resource's apiVersion, such as apiVersion: example.com/v1"),
				Kind:       d.reqStr(hf, it, "kind", key, "give the custom resource's kind"),
				Current:    d.reqStr(hf, it, "current", key, "give a CEL expression that is true when the object is ready, such as current: status.phase == 'Ready'"),
				InProgress: d.optStr(hf, "inProgress", key),
				Failed:     d.optStr(hf, "failed", key),
				File:       d.file,
				Line:       line(deref(it)),
			}
			if v := hf["apiVersion"]; isText(v) && he.APIVersion != "" && d.apiVersion(v, key+".apiVersion", he.APIVersion) && he.Kind != "" {
				group, _, _ := strings.Cut(he.APIVersion, "/")
				if !strings.Contains(he.APIVersion, "/") {
					group = ""
				}
				gk := group + "/" + he.Kind
				if gk == "batch/Job" {
					// kustomize-controller puts its own Job status
					// reader (fluxcd/pkg runtime/statusreaders) ahead of
					// the expressions' in the poller, and kstatus takes
					// the first reader of a kind: the expression never
					// runs, while kiln would still make every Job of the
					// app a health check that waits for completion.
					d.errAt(deref(it), fmt.Sprintf("%s (%s %s): kustomize-controller judges every Job with its own status reader, ahead of any expression (ready once Complete, failed once Failed), so this one would never run",
						key, he.APIVersion, he.Kind),
						"remove it; to hold the app's health on its Jobs completing, list them in flux.healthChecks or set flux.wait: true")
				} else if j, dup := firstOf[gk]; dup {
					d.errAt(deref(it), fmt.Sprintf("%s (%s %s) has the group and kind of flux.healthCheckExprs[%d]; kustomize-controller uses only the first expression for a group and kind, so this one would never run",
						key, he.APIVersion, he.Kind, j), "keep one expression for each kind, combining the conditions in it")
				} else {
					firstOf[gk] = i
				}
			}
			for _, k := range []string{"current", "inProgress", "failed"} {
				if v, ok := hf[k]; ok {
					d.celExpr(v, key+"."+k)
				}
			}
			af.HealthCheckExprs = append(af.HealthCheckExprs, he)
		}
	}
	return af
}

// isText reports whether n is a value str reads without an error.
func isText(n *yaml.Node) bool {
	s := deref(n)
	return s != nil && s.Kind == yaml.ScalarNode && s.ShortTag() != "!!null"
}

// optStr reads an optional string field.
func (d *decoder) optStr(f map[string]*yaml.Node, k, parent string) string {
	v, present := f[k]
	if !present {
		return ""
	}
	s, _ := d.str(v, parent+"."+k)
	return s
}

// reqStr reads a required, non-empty string field of the mapping n.
func (d *decoder) reqStr(f map[string]*yaml.Node, n *yaml.Node, k, parent, hint string) string {
	v, present := f[k]
	if !present {
		d.errAt(deref(n), fmt.Sprintf("%s: missing %s", parent, k), hint)
		return ""
	}
	s, ok := d.str(v, parent+"."+k)
	if ok && s == "" {
		d.errAt(v, fmt.Sprintf("%s.%s is empty", parent, k), hint)
	}
	return s
}
