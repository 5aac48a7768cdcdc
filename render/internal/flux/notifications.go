package flux

import (
	"fmt"
	"sort"
	"strings"

	notifyv1 "github.com/fluxcd/notification-controller/api/v1"
	notifyv1beta3 "github.com/fluxcd/notification-controller/api/v1beta3"
	"github.com/fluxcd/pkg/apis/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Notifications describes flux/notifications.yaml of one environment.
type Notifications struct {
	// Env is the environment; it is in every object's name, so that envs
	// sharing a cluster (flux.name "{app}-{env}") do not collide.
	Env string
	// Namespace is flux.namespace: where the Kustomizations live.
	Namespace string
	// SecretRef names the Secret with the GitHub token.
	SecretRef string
	// CommitStatus is the manifests repository (owner/name) that gets the
	// commit statuses; "" for none.
	CommitStatus string
	// Dispatch is the code repository (owner/name) that gets
	// repository_dispatch events; "" for none.
	Dispatch string
	// NameTemplate is flux.name, with {app} and {env}.
	NameTemplate string
	// Apps are the env's apps; each has a Kustomization named by NameTemplate.
	Apps []string
}

// CommitStatusName names the github Provider and its Alert.
func CommitStatusName(env string) string { return "kiln-" + env + "-commit-status" }

// DispatchName names the githubdispatch Provider and its Alert.
func DispatchName(env string) string { return "kiln-" + env + "-dispatch" }

// CommitStatusExpr returns the CEL expression that makes the github
// Provider post the context kiln/<env>/<app>. notification-controller gives
// it the event, whose involvedObject is the app's Kustomization; the app is
// cut out of the Kustomization's name, which is nameTemplate with {env}
// replaced, so no label or metadata lookup is needed. The env is a literal:
// each env has its own Provider.
func CommitStatusExpr(nameTemplate, env string) string {
	tmpl := strings.ReplaceAll(nameTemplate, "{env}", env)
	prefix, suffix, ok := strings.Cut(tmpl, "{app}")
	if !ok {
		prefix, suffix = "", ""
	}
	const name = "event.involvedObject.name"
	app := name
	switch k := strings.Count(tmpl, "{app}"); {
	case k > 1:
		// flux.name "{app}-{app}": the name is the template's other
		// characters and k copies of the app, so the app's length is
		// what is left of the name, divided by k.
		fixed := len(tmpl) - k*len("{app}")
		app = fmt.Sprintf("%s.substring(%d, %d + (size(%s) - %d) / %d)", name, len(prefix), len(prefix), name, fixed, k)
	case prefix == "" && suffix == "":
	case suffix == "":
		app = fmt.Sprintf("%s.substring(%d)", name, len(prefix))
	default:
		app = fmt.Sprintf("%s.substring(%d, size(%s) - %d)", name, len(prefix), name, len(suffix))
	}
	return fmt.Sprintf("\"kiln/%s/\" + %s", env, app)
}

// BuildNotifications returns the Providers and Alerts, in file order: the
// github Provider and its Alert, then the githubdispatch Provider and its
// Alert, each pair present when configured.
func BuildNotifications(n Notifications) []any {
	labels := func() map[string]string {
		return map[string]string{"app.kubernetes.io/managed-by": "kiln", "kiln/env": n.Env}
	}
	var sources []notifyv1.CrossNamespaceObjectReference
	for _, app := range n.Apps {
		name := strings.NewReplacer("{app}", app, "{env}", n.Env).Replace(n.NameTemplate)
		sources = append(sources, notifyv1.CrossNamespaceObjectReference{Kind: "Kustomization", Name: name})
	}
	sort.Slice(sources, func(i, j int) bool { return sources[i].Name < sources[j].Name })
	pair := func(name, typ, repo, expr string) []any {
		p := &notifyv1beta3.Provider{
			TypeMeta:   metav1.TypeMeta{APIVersion: notifyv1beta3.GroupVersion.String(), Kind: notifyv1beta3.ProviderKind},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: n.Namespace, Labels: labels()},
			Spec: notifyv1beta3.ProviderSpec{
				Type:             typ,
				Address:          "https://github.com/" + repo,
				SecretRef:        &meta.LocalObjectReference{Name: n.SecretRef},
				CommitStatusExpr: expr,
			},
		}
		a := &notifyv1beta3.Alert{
			TypeMeta:   metav1.TypeMeta{APIVersion: notifyv1beta3.GroupVersion.String(), Kind: notifyv1beta3.AlertKind},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: n.Namespace, Labels: labels()},
			Spec: notifyv1beta3.AlertSpec{
				ProviderRef: meta.LocalObjectReference{Name: name},
				// info lets both outcomes through: success and failure
				// statuses, healthy and failed rollouts.
				EventSeverity: "info",
				EventSources:  append([]notifyv1.CrossNamespaceObjectReference(nil), sources...),
				EventMetadata: map[string]string{"env": n.Env},
			},
		}
		return []any{p, a}
	}
	var out []any
	if n.CommitStatus != "" {
		out = append(out, pair(CommitStatusName(n.Env), notifyv1beta3.GitHubProvider, n.CommitStatus, CommitStatusExpr(n.NameTemplate, n.Env))...)
	}
	if n.Dispatch != "" {
		out = append(out, pair(DispatchName(n.Env), notifyv1beta3.GitHubDispatchProvider, n.Dispatch, "")...)
	}
	return out
}

// MarshalAll serialises objects as one YAML stream, like Marshal each.
func MarshalAll(objs []any) ([]byte, error) {
	var out []byte
	for i, o := range objs {
		data, err := Marshal(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, data...)
	}
	return out, nil
}
