package validate

import (
	"strconv"
	"strings"
	"testing"
)

// fieldlessCRD has object nodes that declare no fields (an empty Go
// struct to controller-gen), beside ones that do.
const fieldlessCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: probes.example.com
spec:
  group: example.com
  names: {kind: Probe, plural: probes, singular: probe, listKind: ProbeList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              empty: {type: object}
              list: {type: array, items: {type: object}}
              atomic: {type: object, x-kubernetes-map-type: atomic}
              typed: {type: object, properties: {a: {type: string}}}
              nested: {type: object, properties: {inner: {type: object}}}
              embedded:
                type: object
                x-kubernetes-embedded-resource: true
                properties: {data: {type: object}}
              schemaless: {type: object, additionalProperties: true}
          status: {type: object}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: bares.example.com
spec:
  group: example.com
  names: {kind: Bare, plural: bares, singular: bare, listKind: BareList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object}
`

// TestFieldlessObjectFields: a field inside an object whose schema
// declares no fields is taken, as server-side apply takes it (the apply
// types such an object as a map of anything, and pruning then drops the
// field), and reported as dropped; so is a field of an object inside a
// value of `additionalProperties: true`; one beside declared fields, at the
// root or in an embedded resource is refused, as the apply refuses it
// ("field not declared in schema"). Each verdict is a real
// kube-apiserver 1.37's, applied as Flux applies (internal/apiservercheck).
func TestFieldlessObjectFields(t *testing.T) {
	t.Parallel()
	env, err := schemas().Env("1.37.0", parse(t, "crds.yaml", fieldlessCRD))
	if err != nil {
		t.Fatal(err)
	}
	head := "apiVersion: example.com/v1\nkind: Probe\nmetadata: {name: p, namespace: default}\n"
	for _, tc := range []struct {
		name, doc string
		dropped   []string // the fields reported dropped, with their line
		refused   string   // "" when taken
	}{
		{"empty", head + "spec:\n  empty: {foo: {bar: [1]}}\n", []string{"spec.empty.foo:5"}, ""},
		{"list items", head + "spec:\n  list:\n  - {a: 1}\n  - {b: x}\n", []string{"spec.list[0].a:6", "spec.list[1].b:7"}, ""},
		{"atomic", head + "spec:\n  atomic: {foo: 1}\n", []string{"spec.atomic.foo:5"}, ""},
		{"nested", head + "spec:\n  nested:\n    inner: {x: y}\n", []string{"spec.nested.inner.x:6"}, ""},
		{"embedded data", head + "spec:\n  embedded: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {k: v}}\n", []string{"spec.embedded.data.k:5"}, ""},
		{"schemaless values", head + "spec:\n  schemaless:\n    a: x\n    b: {c: 1}\n    d: [1, {e: 2}]\n", []string{"spec.schemaless.b.c:7", "spec.schemaless.d[1].e:8"}, ""},
		{"status", head + "spec: {}\nstatus: {foo: {bar: 1}}\n", nil, ""},
		{"bare spec", "apiVersion: example.com/v1\nkind: Bare\nmetadata: {name: b, namespace: default}\nspec:\n  image: nginx\n  replicas: 3\n", []string{"spec.image:5", "spec.replicas:6"}, ""},
		{"beside declared", head + "spec:\n  typed: {a: x, foo: 1}\n", nil, `unknown field "spec.typed.foo"`},
		{"beside a fieldless one", head + "spec:\n  nested: {inner: {}, other: 1}\n", nil, `unknown field "spec.nested.other"`},
		{"root", head + "spec: {}\nextra: 1\n", nil, `unknown field "extra"`},
		{"embedded", head + "spec:\n  embedded: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, foo: 1}\n", nil, `unknown field "spec.embedded.foo"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := parse(t, tc.name+".yaml", tc.doc)
			err := env.Objects("app", objs)
			switch {
			case tc.refused == "" && err != nil:
				t.Errorf("refused:\n%v", err)
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Errorf("got %v, want %q", err, tc.refused)
			}
			var got []string
			for _, d := range env.Dropped(objs[0]) {
				got = append(got, d.Path+":"+strconv.Itoa(d.Line))
				if d.Gate != "" || !strings.Contains(d.Msg, "is dropped by the API server") || d.Hint == "" {
					t.Errorf("dropped %+v", d)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.dropped, " ") {
				t.Errorf("dropped %v, want %v", got, tc.dropped)
			}
		})
	}
}

// TestFieldlessRealEnvoyGateway: Envoy Gateway's ClientTrafficPolicy
// turns HTTP/3 on with an empty object (its documentation's http3.yaml);
// a field written there is dropped by the API server, which takes the
// object, where kiln refused it as an unknown field.
func TestFieldlessRealEnvoyGateway(t *testing.T) {
	t.Parallel()
	env := realEnv(t, readReal(t, "envoy-gateway"))
	path, doc := realDoc(t, "envoy-gateway", "http3.yaml", "  http3: {}\n", "  http3: {allowRetries: true}\n")
	objs := parse(t, path, doc)
	if err := env.Objects("envoy-gateway", objs); err != nil {
		t.Fatalf("refused:\n%v", err)
	}
	d := env.Dropped(objs[0])
	if len(d) != 1 || d[0].Path != "spec.http3.allowRetries" || d[0].Line != 6 {
		t.Fatalf("dropped %+v", d)
	}
	_, doc = realDoc(t, "envoy-gateway", "http3.yaml", "  http3: {}\n", "  http4: {}\n")
	if err := env.Objects("envoy-gateway", parse(t, path, doc)); err == nil || !strings.Contains(err.Error(), `unknown field "spec.http4"`) {
		t.Fatalf("got %v", err)
	}
}

// TestFieldlessOnlyWhereFieldsGo: the root's `metadata: {type: object}`,
// which controller-gen writes in every CRD, makes no schema fieldless,
// so that their objects are not walked for nothing; a nested one does.
func TestFieldlessOnlyWhereFieldsGo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		source, kind string
		want         bool
	}{
		{"gateway-api", "HTTPRoute", false},
		{"kube-prometheus", "PrometheusRule", false},
		{"envoy-gateway", "ClientTrafficPolicy", true},
	} {
		env := realEnv(t, readReal(t, tc.source))
		var found bool
		for gk, r := range env.crds {
			if gk.kind != tc.kind {
				continue
			}
			c := r.get()
			if c.err != nil {
				t.Fatal(c.err)
			}
			for _, v := range c.versions {
				if v.structural != nil {
					found = true
					if v.fieldless != tc.want {
						t.Errorf("%s %s: fieldless %v, want %v", tc.source, tc.kind, v.fieldless, tc.want)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no %s CRD", tc.source, tc.kind)
		}
	}
}
