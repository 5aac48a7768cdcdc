package validate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	kjson "sigs.k8s.io/json"

	"github.com/kiln-gitops/kiln/internal/diag"
	"sigs.k8s.io/yaml"
)

// TestCELReachedRulesOnly: the CEL rules an object reaches, compiled on
// their own, find for it what all the rules of its CRD version find, the
// API server's validator (cel.NewValidator of the whole schema): for
// objects that break a rule and objects that pass, at the root, in nested
// objects, in list items and in maps. Objects that reach no rule compile
// none.
func TestCELReachedRulesOnly(t *testing.T) {
	t.Parallel()
	crds := append(readObjects(t, "testdata/widget-crd.yaml"), readObjects(t, "../../../testdata/manifests/gateway-api/gatewayclasses-crd.yaml")...)
	// Kong's KongPlugin CRD (real) has rules on its root only.
	crds = append(crds, readObjects(t, "../../../testdata/manifests/kong/kongplugins-crd.yaml")...)
	env := testEnv(t, crds...)
	const (
		ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n" +
			"spec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}%s}\n"
		hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: podinfo, namespace: apps}\n" +
			"spec: {interval: 10m, chart: {spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}}%s}\n"
		gc = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gc}\nspec: {controllerName: example.com/gc%s}\n"
		kp = "apiVersion: configuration.konghq.com/v1\nkind: KongPlugin\nmetadata: {name: rate-limit, namespace: web}\nplugin: rate-limiting\n%s"
	)
	for _, tc := range []struct {
		name, doc string
		none      bool // reaches no rule
		refused   bool // a rule refuses it
	}{
		{"Kustomization", fmt.Sprintf(ks, ""), true, false},
		{"Kustomization kubeConfig", fmt.Sprintf(ks, ", kubeConfig: {secretRef: {name: k}}"), false, false},
		{"Kustomization empty kubeConfig", fmt.Sprintf(ks, ", kubeConfig: {}"), false, true},
		{"Kustomization both refs", fmt.Sprintf(ks, ", kubeConfig: {secretRef: {name: k}, configMapRef: {name: k}}"), false, true},
		{"HelmRelease", fmt.Sprintf(hr, ""), false, false},
		{"HelmRelease chart and chartRef", fmt.Sprintf(hr, ", chartRef: {kind: OCIRepository, name: r}"), false, true},
		{"HelmRelease install strategy", fmt.Sprintf(hr, ", install: {strategy: {name: RetryOnFailure, retryInterval: 1m}}"), false, false},
		{"HelmRelease install strategy refused", fmt.Sprintf(hr, ", install: {strategy: {name: RemediateOnFailure, retryInterval: 1m}}"), false, true},
		{"HelmRelease two rules refused", fmt.Sprintf(hr, ", chartRef: {kind: OCIRepository, name: r}, upgrade: {strategy: {name: RemediateOnFailure, retryInterval: 1m}}, kubeConfig: {}"), false, true},
		{"widget", widget, false, false},
		{"widget refused", strings.Replace(widget, "minReplicas: 1", "minReplicas: 5", 1), false, true},
		{"widget without spec", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", true, false},
		{"GatewayClass", fmt.Sprintf(gc, ""), false, false},
		// The root is reached by every object: its path is "", which
		// once read as "no rule reached", and a KongPlugin with both
		// config and configFrom passed, where the API server refuses it.
		{"KongPlugin", fmt.Sprintf(kp, "config: {minute: 5}\n"), false, false},
		{"KongPlugin config and configFrom", fmt.Sprintf(kp, "config: {minute: 5}\nconfigFrom: {secretKeyRef: {name: rl, key: config}}\n"), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := parse(t, "c.yaml", tc.doc)[0]
			gv, err := schema.ParseGroupVersion(o.Node.GetApiVersion())
			if err != nil {
				t.Fatal(err)
			}
			c := env.lookup(gv.Group, o.Node.GetKind())
			if c == nil {
				t.Fatal("no CRD")
			}
			v := c.versions[gv.Version]
			ch := v.checkers()
			whole := cel.NewValidator(v.structural, true, celconfig.PerCallLimit)
			obj := celInput(t, tc.doc, v)
			wholeErrs, _ := whole.Validate(context.Background(), nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
			reached := ch.cel.validate(context.Background(), v.structural, celInput(t, tc.doc, v))
			if got, want := errorTexts(reached), errorTexts(wholeErrs); !slices.Equal(got, want) {
				t.Fatalf("the reached rules found\n%s\nall the rules\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if (len(wholeErrs) > 0) != tc.refused {
				t.Fatalf("refused: %v, want %v: %v", len(wholeErrs) > 0, tc.refused, wholeErrs)
			}
			if none := ch.cel.validator(celInput(t, tc.doc, v)) == nil; none != tc.none {
				t.Fatalf("compiled no rule: %v, want %v", none, tc.none)
			}
		})
	}
}

// TestRootRuleNamed: an error of a rule on the CRD's root (Kong's real
// KongPlugin CRD) is about the object, at its first line: the API server's
// "<nil>" is no field.
func TestRootRuleNamed(t *testing.T) {
	t.Parallel()
	env := testEnv(t, readObjects(t, "../../../testdata/manifests/kong/kongplugins-crd.yaml")...)
	const doc = "apiVersion: configuration.konghq.com/v1\nkind: KongPlugin\nmetadata: {name: rate-limit, namespace: web}\nplugin: rate-limiting\n" +
		"config: {minute: 5}\nconfigFrom: {secretKeyRef: {name: rl, key: config}}\n"
	err := env.Objects("web", parse(t, "plugin.yaml", doc))
	const want = "plugin.yaml:1: app web: KongPlugin/web/rate-limit: Invalid value: Using both config and configFrom fields is not allowed."
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
}

// celInput is the object of doc as crdVersion.validate gives it to the
// CEL rules: pruned and defaulted.
func celInput(t *testing.T, doc string, v *crdVersion) map[string]any {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &obj); err != nil {
		t.Fatal(err)
	}
	if v.status {
		delete(obj, "status")
	}
	pruning.PruneWithOptions(obj, v.structural, true, structuralschema.UnknownFieldPathOptions{})
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, v.structural)
	structuraldefaulting.Default(obj, v.structural)
	return obj
}

func errorTexts(errs fieldpath.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	slices.Sort(out)
	return out
}

// TestCELSkippedAsTheAPIServerDoes: the API server runs no CEL rule on an
// object the schema already refuses for a missing required field, a
// value the enum does not allow, a wrong type, or too long a value or list
// (hasBlockingErr in apiextensions-apiserver): the rules assume the
// schema holds, and would only fail again with errors that repeat it. A
// rule still runs beside other schema errors (a pattern).
func TestCELSkippedAsTheAPIServerDoes(t *testing.T) {
	t.Parallel()
	env := testEnv(t, readObjects(t, "testdata/widget-crd.yaml")...)
	const rule = "minReplicas must not exceed maxReplicas"
	broken := strings.Replace(widget, "maxReplicas: 3", "maxReplicas: 0", 1) // the rule fails
	for _, tc := range []struct {
		name, from, to string
		rule           bool // the rule's error is reported
	}{
		{"rule alone", "", "", true},
		{"beside a pattern", "url: https://example.com", "url: ftp://example.com", true},
		{"missing required field", "  url: https://example.com\n", "", false},
		{"value not in the enum", "size: small", "size: medium", false},
		{"wrong type", "email: a@example.com", "email: 7", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(broken, tc.from, tc.to, 1)
			err := env.Objects("demo", parse(t, "w.yaml", doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if got := strings.Contains(err.Error(), rule); got != tc.rule {
				t.Errorf("rule reported: %v, want %v; errors:\n%v", got, tc.rule, err)
			}
			if !tc.rule && len(diag.Flatten(err)) != 1 {
				t.Errorf("want only the schema's error, got:\n%v", err)
			}
		})
	}
}
