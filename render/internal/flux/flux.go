// Package flux writes the Flux objects kiln emits for an environment: one
// kustomize.toolkit.fluxcd.io/v1 Kustomization per app (Build), the
// notification Providers and Alerts of flux/notifications.yaml
// (BuildNotifications), and the HelmRelease and chart source of a helm
// app's high-level/ folder (BuildHelmRelease), which it also reads back
// (ReadHelmRelease) for an app kept from an earlier render.
//
// Objects are built with Flux's own API types, so a field kiln sets is a
// field kustomize-controller knows, and serialised without status or
// creationTimestamp, so the output is stable. Which objects an app has and
// which apps it depends on are decided by package render.
package flux

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/kiln-gitops/kiln/internal/diag"

	"k8s.io/apimachinery/pkg/runtime/schema"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/apis/kustomize"
	"github.com/fluxcd/pkg/apis/meta"
	yamlv2 "go.yaml.in/yaml/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Ref names an object: a dependency or a health check target.
type Ref struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	// NeverReady, on an object of the app, says that Flux's health check
	// of it would never pass; such an object is not made a health check of
	// its own (ObjectRef sets it).
	NeverReady bool
	// NotApplied, on an object of the app, says that kustomize-controller
	// does not apply it; it is no health check, not even of an expression
	// for its kind (ObjectRef sets it).
	NotApplied bool
}

// ObjectRef returns the Ref of one of the app's objects.
func ObjectRef(n *kyaml.RNode) Ref {
	r := Ref{APIVersion: n.GetApiVersion(), Kind: n.GetKind(), Name: n.GetName(), Namespace: n.GetNamespace()}
	r.NeverReady = neverReady(n, schema.FromAPIVersionAndKind(r.APIVersion, r.Kind).Group)
	r.NotApplied = NotApplied(n)
	return r
}

// NotApplied reports whether kustomize-controller leaves n out of what it
// applies (and what its finalizer deletes): a label or annotation kustomize.toolkit.fluxcd.io/reconcile:
// disabled or kustomize.toolkit.fluxcd.io/ssa: Ignore (any case) puts it
// in the apply's exclusion selector (fluxcd/pkg/ssa shouldSkipApply, the
// desired object's metadata alone), so Flux never creates it, and a
// health check of it would wait for an object Flux does not manage.
func NotApplied(n *kyaml.RNode) bool {
	excluded := map[string]string{
		kustomizev1.GroupVersion.Group + "/reconcile": kustomizev1.DisabledValue,
		kustomizev1.GroupVersion.Group + "/ssa":       kustomizev1.IgnoreValue,
	}
	for _, m := range []map[string]string{n.GetLabels(), n.GetAnnotations()} {
		for k, v := range excluded {
			if m[k] != "" && strings.EqualFold(m[k], v) {
				return true
			}
		}
	}
	return false
}

// PruneDisabled reports whether kustomize-controller's garbage collection
// leaves n in the cluster when the Kustomization that applied it drops it
// or is deleted: a label or annotation kustomize.toolkit.fluxcd.io/prune:
// disabled (any case; fluxcd/pkg ssa DeleteOptions.Exclusions, matched by
// AnyInMetadata), or an object Flux does not apply at all (NotApplied),
// which the same exclusions leave alone.
func PruneDisabled(n *kyaml.RNode) bool {
	key := kustomizev1.GroupVersion.Group + "/prune"
	for _, m := range []map[string]string{n.GetLabels(), n.GetAnnotations()} {
		if m[key] != "" && strings.EqualFold(m[key], kustomizev1.DisabledValue) {
			return true
		}
	}
	return NotApplied(n)
}

// neverReady reports whether kstatus, which kustomize-controller's health
// checks use (fluxcd/cli-utils pkg/kstatus/status/core.go), would never
// report the workload n as current.
//
//   - A paused Deployment: the deployment controller creates no
//     ReplicaSet for it and marks it Progressing Unknown
//     (DeploymentPaused), and kstatus waits for its replicas and for
//     Progressing with reason NewReplicaSetAvailable.
//   - A DaemonSet with updateStrategy OnDelete: after a change to its
//     template its pods are replaced only when someone deletes them, and
//     kstatus waits until every node runs the new template. kstatus
//     itself calls a StatefulSet with OnDelete current for this reason.
//   - A suspended Job (spec.suspend: true): the job controller starts no
//     pod and sets no startTime, and kstatus calls it InProgress ("Job not
//     started") until it has a Complete or Failed condition.
func neverReady(n *kyaml.RNode, group string) bool {
	isTrue := func(path ...string) bool {
		v, err := n.Pipe(kyaml.Lookup(path...))
		return err == nil && v != nil &&
			v.YNode().Kind == kyaml.ScalarNode && v.YNode().ShortTag() == kyaml.NodeTagBool && strings.EqualFold(v.YNode().Value, "true")
	}
	if group == "batch" && n.GetKind() == "Job" {
		// A Job created suspended is never started: the job controller
		// sets no status.startTime, and kstatus (jobConditions) reports
		// it InProgress ("Job not started") until it completes.
		return isTrue("spec", "suspend")
	}
	if group != "apps" {
		return false
	}
	switch n.GetKind() {
	case "Deployment":
		if isTrue("spec", "paused") {
			return true
		}
	case "DaemonSet":
		if v, err := n.Pipe(kyaml.Lookup("spec", "updateStrategy", "type")); err == nil && v != nil &&
			v.YNode().Kind == kyaml.ScalarNode && v.YNode().Value == "OnDelete" {
			return true
		}
	}
	return false
}

// HealthCheck is a health check written in kiln.yaml or an env file, and
// where (File "" is kiln.yaml, Line 0 unknown).
type HealthCheck struct {
	Ref
	File string
	Line int
}

// Expr is a custom health check (Flux healthCheckExprs), and where it is
// written (File "" is kiln.yaml, Line 0 unknown).
type Expr struct {
	APIVersion, Kind, Current, InProgress, Failed string
	File                                          string
	Line                                          int
}

// Kustomization describes the Flux Kustomization of one app.
type Kustomization struct {
	// Name and Namespace of the Kustomization object.
	Name, Namespace string
	// App is the kiln app, recorded in a label.
	App string
	// Env is the environment, recorded in a label.
	Env string
	// Path is the app's folder in the manifests repository, "./…".
	Path string
	// SourceRef is the Flux source that holds the manifests repository.
	SourceRef Ref
	// Interval, Timeout are Go durations ("10m").
	Interval, Timeout string
	Prune, Wait       bool
	// DependsOn are the Kustomizations this one waits for.
	DependsOn []Ref
	// Objects are the app's objects; workloads among them become health checks.
	Objects []Ref
	// HealthChecks are extra health checks from kiln.yaml or the env file.
	HealthChecks []HealthCheck
	// ClusterScoped reports whether objects of apiVersion and kind have no
	// namespace; nil: none is known to. A health check of such a kind
	// needs only its apiVersion to name an object the app does not apply.
	ClusterScoped func(apiVersion, kind string) bool
	// HealthCheckExprs are custom health checks from kiln.yaml.
	HealthCheckExprs []Expr
	// DecryptionSecret, when set, names the Secret (in the Kustomization's
	// namespace) holding the SOPS private keys: the app's output holds
	// SOPS-encrypted documents that Flux must decrypt before applying.
	DecryptionSecret string
}

// healthKinds are the kinds whose readiness Flux's health checks understand
// without custom expressions and that a Flux user expects to be gated on.
var healthKinds = map[string]bool{
	"apps/Deployment":                           true,
	"apps/StatefulSet":                          true,
	"apps/DaemonSet":                            true,
	"helm.toolkit.fluxcd.io/HelmRelease":        true,
	"kustomize.toolkit.fluxcd.io/Kustomization": true,
}

// HealthChecked reports whether an object of this apiVersion and kind
// becomes a health check.
func HealthChecked(apiVersion, kind string) bool {
	return healthKinds[schema.FromAPIVersionAndKind(apiVersion, kind).Group+"/"+kind]
}

// Build returns the Kustomization object.
func Build(k Kustomization) (*kustomizev1.Kustomization, error) {
	interval, err := time.ParseDuration(k.Interval)
	if err != nil {
		return nil, fmt.Errorf("flux interval %q: %w", k.Interval, err)
	}
	obj := &kustomizev1.Kustomization{
		TypeMeta: metav1.TypeMeta{APIVersion: kustomizev1.GroupVersion.String(), Kind: kustomizev1.KustomizationKind},
		ObjectMeta: metav1.ObjectMeta{
			Name:      k.Name,
			Namespace: k.Namespace,
			Labels: map[string]string{
				"app.kubernetes.io/managed-by": "kiln",
				"kiln/app":                     k.App,
				"kiln/env":                     k.Env,
			},
		},
		Spec: kustomizev1.KustomizationSpec{
			Interval: metav1.Duration{Duration: interval},
			Path:     k.Path,
			Prune:    k.Prune,
			Wait:     k.Wait,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{
				Kind: k.SourceRef.Kind, Name: k.SourceRef.Name, Namespace: k.SourceRef.Namespace,
			},
		},
	}
	if k.Timeout != "" {
		t, err := time.ParseDuration(k.Timeout)
		if err != nil {
			return nil, fmt.Errorf("flux timeout %q: %w", k.Timeout, err)
		}
		obj.Spec.Timeout = &metav1.Duration{Duration: t}
	}
	obj.Spec.DependsOn = dependencies(k.DependsOn, k.Namespace)
	if k.DecryptionSecret != "" {
		obj.Spec.Decryption = &kustomizev1.Decryption{
			Provider:  "sops", // the only provider kustomize-controller has (its enum)
			SecretRef: &meta.LocalObjectReference{Name: k.DecryptionSecret},
		}
	}
	// Every wrong entry at once: each is a line of kiln.yaml to fix.
	var waitErr error
	var refused map[int]bool
	if k.Wait {
		refused, waitErr = ignoredUnderWait(k.Objects, k.HealthChecks)
	}
	checks, checksErr := completeHealthChecks(k.Objects, k.HealthChecks, k.ClusterScoped, refused)
	exprChecks, exprErr := exprTargets(k.Objects, k.HealthCheckExprs)
	if err := diag.Join(waitErr, checksErr, exprErr); err != nil {
		return nil, err
	}
	if !k.Wait {
		var hc []meta.NamespacedObjectKindReference
		seen := map[string]bool{}
		add := func(r Ref) {
			// By group, not version: the API server serves one object
			// at every version of its group, and Flux would wait on
			// it once per entry. The first entry is kept, so an object
			// of the app is checked at the version it is rendered in.
			g := r.APIVersion
			if gv, err := schema.ParseGroupVersion(r.APIVersion); err == nil {
				g = gv.Group
			}
			key := g + "\x00" + r.Kind + "\x00" + r.Namespace + "\x00" + r.Name
			if seen[key] {
				return
			}
			seen[key] = true
			hc = append(hc, meta.NamespacedObjectKindReference{APIVersion: r.APIVersion, Kind: r.Kind, Name: r.Name, Namespace: r.Namespace})
		}
		for _, o := range k.Objects {
			if HealthChecked(o.APIVersion, o.Kind) && !o.NeverReady && !o.NotApplied {
				add(o)
			}
		}
		for _, o := range checks {
			add(o)
		}
		for _, o := range exprChecks {
			add(o)
		}
		sort.Slice(hc, func(i, j int) bool {
			a, b := hc[i], hc[j]
			if a.Kind != b.Kind {
				return a.Kind < b.Kind
			}
			if a.Namespace != b.Namespace {
				return a.Namespace < b.Namespace
			}
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			return a.APIVersion < b.APIVersion
		})
		obj.Spec.HealthChecks = hc
	}
	for _, e := range k.HealthCheckExprs {
		obj.Spec.HealthCheckExprs = append(obj.Spec.HealthCheckExprs, kustomize.CustomHealthCheck{
			APIVersion: e.APIVersion, Kind: e.Kind,
			HealthCheckExpressions: kustomize.HealthCheckExpressions{Current: e.Current, InProgress: e.InProgress, Failed: e.Failed},
		})
	}
	return obj, nil
}

// ignoredUnderWait refuses a health check of an object the app does not
// apply when wait is on: kustomize-controller then checks every object it
// applies and ignores spec.healthChecks (KustomizationSpec.Wait), so the
// check, and the gate it was written for, would silently go. A check of
// one of the app's own objects is covered by wait and is fine.
func ignoredUnderWait(objects []Ref, checks []HealthCheck) (refused map[int]bool, err error) {
	var errs []error
	refused = map[int]bool{}
	for i, c := range checks {
		own := false
		for _, o := range objects {
			// Of the object's group in any version, as Flux keeps only a
			// check's group and kind (sameGroup).
			if o.Kind == c.Kind && o.Name == c.Name && !o.NotApplied &&
				(c.APIVersion == "" || sameGroup(c.APIVersion, o.APIVersion)) &&
				(c.Namespace == "" || c.Namespace == o.Namespace) {
				own = true
				break
			}
		}
		if own {
			continue
		}
		file := c.File
		if file == "" {
			file = "kiln.yaml"
		}
		refused[i] = true
		errs = append(errs, &diag.Error{File: file, Line: c.Line,
			Msg: fmt.Sprintf("flux.healthChecks[%d] (%s %s) names an object the app does not apply, and with wait: true Flux ignores healthChecks "+
				"(it checks the app's own objects instead), so nothing would check it", i, c.Kind, c.Name),
			Hint: "set wait: false for this app to check it (kiln then lists the app's workloads itself), or remove the entry"})
	}
	return refused, diag.Join(errs...)
}

// sameGroup reports whether two apiVersions are of one API group: Flux
// keeps a health check's group and kind, not its version
// (inventory.ReferenceToObjMetadataSet), so apps/v1beta1 names the app's
// apps/v1 Deployment.
func sameGroup(a, b string) bool {
	ga, errA := schema.ParseGroupVersion(a)
	gb, errB := schema.ParseGroupVersion(b)
	return errA == nil && errB == nil && ga.Group == gb.Group
}

// completeHealthChecks fills in the apiVersion and namespace of health
// checks written without them, from the app's object of that kind and
// name. kustomize-controller would default a missing apiVersion to apps/v1
// and leave the namespace empty, so such a check would wait for an object
// that does not exist and never pass. A check that names both, or the
// apiVersion of a kind clusterScoped says has no namespace, is kept as
// written: it may watch an object another app or tool applies.
func completeHealthChecks(objects []Ref, checks []HealthCheck, clusterScoped func(apiVersion, kind string) bool, skip map[int]bool) ([]Ref, error) {
	out := make([]Ref, 0, len(checks))
	var errs []error
	for i, c := range checks {
		if skip[i] {
			continue // refused already, with the way out that fits
		}
		hc := c.Ref
		if hc.APIVersion != "" && (hc.Namespace != "" || (clusterScoped != nil && clusterScoped(hc.APIVersion, hc.Kind))) {
			out = append(out, hc)
			continue
		}
		var found []Ref
		for _, o := range objects {
			if o.Kind == hc.Kind && o.Name == hc.Name &&
				(hc.APIVersion == "" || sameGroup(hc.APIVersion, o.APIVersion)) &&
				(hc.Namespace == "" || hc.Namespace == o.Namespace) {
				found = append(found, o)
			}
		}
		where := fmt.Sprintf("flux.healthChecks[%d] (%s %s)", i, hc.Kind, hc.Name)
		file := c.File
		if file == "" {
			file = "kiln.yaml"
		}
		switch len(found) {
		case 1:
			out = append(out, found[0])
		case 0:
			errs = append(errs, &diag.Error{File: file, Line: c.Line,
				Msg:  where + " matches no object of the app, so Flux could not know its apiVersion and namespace and the check would never pass",
				Hint: "check the kind and name against the app's rendered objects, or give apiVersion and namespace for an object the app does not apply (apiVersion alone for a cluster-scoped kind of Kubernetes)"})
		default:
			var alts []string
			for _, o := range found {
				alts = append(alts, o.APIVersion+" in namespace "+orNone(o.Namespace))
			}
			errs = append(errs, &diag.Error{File: file, Line: c.Line,
				Msg:  where + " matches " + fmt.Sprint(len(found)) + " objects of the app (" + strings.Join(alts, "; ") + ")",
				Hint: "give apiVersion and namespace to say which one"})
		}
	}
	if err := diag.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// exprTargets returns the app's objects that healthCheckExprs apply to.
// kustomize-controller evaluates the expressions only on objects it
// already health-checks (all of them with wait, else spec.healthChecks),
// so without these a failing custom resource would not block the gate.
// An expression for a kind the app has none of is an error: it would
// check nothing. An expression applies to its group and kind in every
// version, as kustomize-controller's status readers are chosen by group
// and kind (kstatus's StatusReader.Supports).
func exprTargets(objects []Ref, exprs []Expr) ([]Ref, error) {
	var out []Ref
	var errs []error
	for i, e := range exprs {
		n := 0
		gk := schema.FromAPIVersionAndKind(e.APIVersion, e.Kind).GroupKind()
		for _, o := range objects {
			if schema.FromAPIVersionAndKind(o.APIVersion, o.Kind).GroupKind() == gk && !o.NotApplied {
				out = append(out, o)
				n++
			}
		}
		if n == 0 {
			file := e.File
			if file == "" {
				file = "kiln.yaml"
			}
			errs = append(errs, &diag.Error{File: file, Line: e.Line,
				Msg:  fmt.Sprintf("flux.healthCheckExprs[%d] (%s %s) matches no object of the app, so it would check nothing", i, e.APIVersion, e.Kind),
				Hint: "check apiVersion and kind against the app's rendered custom resources, or remove the expression"})
		}
	}
	if err := diag.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func orNone(ns string) string {
	if ns == "" {
		return "(none)"
	}
	return ns
}

// dependencies turns refs into Flux dependsOn entries, sorted by name then
// namespace; a dependency in the object's own namespace leaves the
// namespace out, as Flux users write it.
func dependencies(refs []Ref, ownNamespace string) []meta.DependencyReference {
	var out []meta.DependencyReference
	for _, d := range refs {
		ns := d.Namespace
		if ns == ownNamespace {
			ns = ""
		}
		out = append(out, meta.DependencyReference{Name: d.Name, Namespace: ns})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Namespace < out[j].Namespace
	})
	return out
}

// Marshal serialises a Flux object as YAML without its status and without
// metadata.creationTimestamp, which the API types always emit.
//
// The bytes are those of sigs.k8s.io/yaml's Marshal, then Unmarshal into a
// map, then Marshal of the map (what kiln did first, and what its goldens
// hold), reached with one JSON encoding and one yaml.v2 emit instead of
// three JSON↔YAML conversions: a tenth of a fleet render's CPU went there.
// sigs.k8s.io/yaml emits through the same go.yaml.in/yaml/v2; numbers take
// the form that round trip gives them (see yamlNumbers).
func Marshal(obj any) ([]byte, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("serialising flux object: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("serialising flux object: %w", err)
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	if err := yamlNumbers(m); err != nil {
		return nil, fmt.Errorf("serialising flux object: %w", err)
	}
	out, err := yamlv2.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("serialising flux object: %w", err)
	}
	return out, nil
}

// yamlNumbers replaces, in place, each float64 that encoding/json decoded
// with the value sigs.k8s.io/yaml's JSONToYAML would emit: the number's JSON
// text resolved by yaml.v2, so 3 stays 3 and not 3.0, 1000000 not 1e+06.
// Integers below 2^53 are exact in a float64 and are their own JSON text;
// the rare others go through yaml.v2 itself.
func yamlNumbers(v any) error {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if f, ok := e.(float64); ok {
				n, err := yamlNumber(f)
				if err != nil {
					return err
				}
				v[k] = n
			} else if err := yamlNumbers(e); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if f, ok := e.(float64); ok {
				n, err := yamlNumber(f)
				if err != nil {
					return err
				}
				v[i] = n
			} else if err := yamlNumbers(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func yamlNumber(f float64) (any, error) {
	const exact = 1 << 53
	if f == math.Trunc(f) && f > -exact && f < exact {
		return int64(f), nil
	}
	text, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	var n any
	err = yamlv2.Unmarshal(text, &n)
	return n, err
}
