package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/objects"
)

func TestVarRefs(t *testing.T) {
	t.Parallel()
	for s, want := range map[string][]string{
		"":                          nil,
		"plain":                     nil,
		"${DOMAIN}":                 {"DOMAIN"},
		"https://${HOST}:${PORT}/x": {"HOST", "PORT"},
		"${NAME:=web} ${TAG:-1.0}":  {"NAME", "TAG"},
		"${#NAME} ${NAME^^}":        {"NAME", "NAME"},
		"$${ESCAPED}":               nil,
		"$$${REAL}":                 {"REAL"},
		"$NOBRACE ${ ${1X} ${":      nil,
		"${_a1}":                    {"_a1"},
	} {
		if got := varRefs(s); !slices.Equal(got, want) {
			t.Errorf("varRefs(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestEscapes(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int{
		"":                                       0,
		"${REAL} $$ $$NAME":                      0,
		"$${HOME}":                               1,
		"echo $${A} $$${B} $$$${C} $${#D} $${1}": 2,
		"$${":                                    0,
	} {
		if got := escapes(s); got != want {
			t.Errorf("escapes(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestUnsubstituted: ${NAME} of an env var left in a kustomize, helm or
// jsonnet app's output is named once per variable, with where it first
// is, and escaped $${NAME}s of any name (Flux would have written
// ${NAME}) are counted in one warning that names none; names the env does not set, objects Flux users mark for no
// substitution (annotated or labelled) and yaml apps (which substitute)
// are not.
func TestUnsubstituted(t *testing.T) {
	t.Parallel()
	const out = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  rules:
    - host: web.${DOMAIN}
    - host: api.${DOMAIN}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: script
data:
  run.sh: echo ${HOME} $${REGION}
  ${REGION}: key
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  pw: ab$${Hunter2Secret}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: literal
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  x: ${DOMAIN} $${HOME}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: labelled
  labels:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  x: ${DOMAIN} $${HOME}
`
	objs, err := objects.Parse([]byte(out), "apps/web/overlay.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DOMAIN": "example.com", "REGION": "eu-secret-value", "UNUSED": "x"}
	for _, engine := range []string{envconfig.EngineKustomize, envconfig.EngineHelm, envconfig.EngineJsonnet, envconfig.EngineYAML} {
		run := &appRun{app: envconfig.ResolvedApp{App: envconfig.App{Name: "web", Engine: engine}}, objs: objs}
		var got []string
		for _, w := range unsubstituted(vars, run) {
			got = append(got, w.String())
			if strings.Contains(w.String(), "example.com") || strings.Contains(w.String(), "eu-secret-value") || strings.Contains(w.String(), "Hunter2") {
				t.Errorf("a warning shows a value: %s", w)
			}
		}
		var want []string
		if engine != envconfig.EngineYAML {
			want = []string{
				"apps/web/overlay.yaml:1: app web: Ingress/shop/web: ${DOMAIN} is left as it is (2 places in the app's output): kiln substitutes vars in yaml apps only, and Flux does not substitute kiln's output (its Kustomizations have no postBuild), so the cluster gets the literal text although env var DOMAIN is set\n" +
					"  hint: give the value through the " + engine + " engine (" + engineWay(engine) + "), or annotate the object kustomize.toolkit.fluxcd.io/substitute: disabled if the text is meant literally",
				"apps/web/overlay.yaml:11: app web: ConfigMap/script: ${REGION} is left as it is: kiln substitutes vars in yaml apps only, and Flux does not substitute kiln's output (its Kustomizations have no postBuild), so the cluster gets the literal text although env var REGION is set\n" +
					"  hint: give the value through the " + engine + " engine (" + engineWay(engine) + "), or annotate the object kustomize.toolkit.fluxcd.io/substitute: disabled if the text is meant literally",
			}
		}
		// A chart's output never went through postBuild in Flux either
		// (helm-controller renders it): its $${ is the chart's own text.
		if engine == envconfig.EngineKustomize || engine == envconfig.EngineJsonnet {
			want = append(want,
				"apps/web/overlay.yaml:11: app web: ConfigMap/script: an escaped placeholder, $${NAME}, is left as it is (2 in the app's output): Flux's postBuild writes ${NAME} for it, but kiln substitutes in yaml apps only and its Kustomizations have no postBuild, so the cluster gets the $${NAME} as written\n"+
					"  hint: write ${NAME} where a literal ${NAME} is meant (nothing substitutes this app's output), or annotate the object kustomize.toolkit.fluxcd.io/substitute: disabled if $${NAME} is meant literally")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: warnings (-want +got):\n%s", engine, diff)
		}
	}
}
