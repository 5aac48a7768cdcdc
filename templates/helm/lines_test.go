package helm

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// TestTemplateLines: an object of a chart's template has the template's
// lines, so that an error names the line of the field in the template
// (podinfo's chart, testdata/charts): a key written as it is at its line,
// also in a list of items told apart by their names; a key an include or a
// toYaml printed at the line of the key above it that the template writes,
// where the action stands. Without them an error named the file only.
func TestTemplateLines(t *testing.T) {
	t.Parallel()
	res, err := New(Options{}).Render(context.Background(), &templates.Request{
		Root: filepath.Join("..", "..", "testdata", "charts"), App: "podinfo", Namespace: "web", Path: "podinfo", KubeVersion: "1.31.0"})
	if err != nil {
		t.Fatal(err)
	}
	const file = "podinfo/templates/deployment.yaml"
	var dep *templates.Object
	for i, o := range res.Objects {
		if o.Node.GetKind() == "Deployment" {
			dep = &res.Objects[i]
		}
	}
	if dep == nil || dep.File != file || dep.Line != 1 {
		t.Fatalf("Deployment not at %s:1: %+v", file, dep)
	}
	for path, want := range map[string]int{
		"spec.replicas": 10,
		"spec.template.spec.terminationGracePeriodSeconds":                       30,
		"spec.template.spec.containers.podinfo.ports.http.containerPort":         126,
		"spec.template.spec.containers.podinfo.ports.http-metrics.containerPort": 141,
		"spec.template.spec.containers.podinfo.ports.grpc.containerPort":         146,
		"metadata.labels.app.kubernetes.io/name":                                 6,   // include "podinfo.labels", below labels:
		"spec.template.spec.containers.podinfo.resources.requests.cpu":           201, // toYaml .Values.resources, below resources:
	} {
		n := keyAt(dep.Node.YNode(), path)
		if n == nil {
			t.Errorf("%s: no such field", path)
			continue
		}
		if got := dep.LineOf(n); got != want {
			t.Errorf("%s at line %d, want %d", path, got, want)
		}
	}
}

// keyAt returns the key node of the field at path in n: keys joined by
// dots (a key may hold dots: the longest that is a key wins), list items
// by their name.
func keyAt(n *kyaml.Node, path string) *kyaml.Node {
	var key *kyaml.Node
	for path != "" {
		found := false
		switch n.Kind {
		case kyaml.MappingNode:
			for i := 0; i+1 < len(n.Content) && !found; i += 2 {
				k := n.Content[i].Value
				if path == k || strings.HasPrefix(path, k+".") {
					key, n, path, found = n.Content[i], n.Content[i+1], strings.TrimPrefix(strings.TrimPrefix(path, k), "."), true
				}
			}
		case kyaml.SequenceNode:
			for _, item := range n.Content {
				if name := objects.ItemName(item); name != "" && (path == name || strings.HasPrefix(path, name+".")) && !found {
					key, n, path, found = item, item, strings.TrimPrefix(strings.TrimPrefix(path, name), "."), true
				}
			}
		}
		if !found {
			return nil
		}
	}
	return key
}

// TestTemplateLinesByValue: items a template writes one after the other
// without a literal name share their keys' paths (argo-workflows'
// controller ports); the one whose value the template writes as it is,
// as the output has it, is found by it, and the other, whose value an
// action prints, is at the list's key.
func TestTemplateLinesByValue(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(root, "c", "values.yaml"), "portName: metrics\nport: 9090\n")
	writeFile(t, filepath.Join(root, "c", "templates", "deploy.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: x
          ports:
            - name: {{ .Values.portName }}
              containerPort: {{ .Values.port }}
            - containerPort: 6060
`)
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "web", Namespace: "shop", Path: "c", KubeVersion: "1.31.0"})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Objects[0]
	ports := keyAt(o.Node.YNode(), "spec.template.spec.containers.c")
	if ports == nil {
		t.Fatal("no container c")
	}
	_, list := ports.Content[4], ports.Content[5]
	for i, want := range []int{13, 16} {
		item := list.Content[i]
		if got := o.LineOf(item.Content[len(item.Content)-2]); got != want {
			t.Errorf("ports[%d].containerPort at line %d, want %d", i, got, want)
		}
	}
}

// TestTemplateLinesBounded: a template over maxMappedTemplate (a chart's
// templated CRD of megabytes, as argo-cd's) is not mapped: the render does
// not pay for reading it line by line (a third of rendering argo-helm's
// charts). Its one object is named at the line where the template writes
// its apiVersion (kueue's templated CRDs were named by the file alone); of
// a large template of several objects, one whose kind and name the
// template writes literally is named at its apiVersion line, one whose
// name an action prints keeps no line.
func TestTemplateLinesBounded(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "c", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n"
	small := cm + "  a: b\n"
	big := cm + strings.Repeat("  # padding of a large template\n", maxMappedTemplate/32+1) + "  a: b\n"
	writeFile(t, filepath.Join(root, "c", "templates", "small.yaml"), small)
	writeFile(t, filepath.Join(root, "c", "templates", "big.yaml"), "{{- if true }}\n# A CRD, say.\n"+strings.Replace(big, "{{ .Release.Name }}", "big", 1)+"{{- end }}\n")
	writeFile(t, filepath.Join(root, "c", "templates", "two.yaml"), strings.Replace(big, "{{ .Release.Name }}", "two-a", 1)+"---\n"+strings.Replace(cm, "{{ .Release.Name }}", "two-b", 1)+"  a: b\n---\n"+strings.Replace(cm, "{{ .Release.Name }}", "{{ .Release.Name }}-c", 1)+"  a: b\n")
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "web", Namespace: "shop", Path: "c", KubeVersion: "1.31.0"})
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	for _, o := range res.Objects {
		lines[o.File+" "+o.Node.GetName()] = o.Line
	}
	if want := map[string]int{"c/templates/small.yaml web": 1, "c/templates/big.yaml big": 3, "c/templates/two.yaml two-a": 1, "c/templates/two.yaml two-b": 4105, "c/templates/two.yaml web-c": 0}; !maps.Equal(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
}

// TestBigTemplateObjectsNamed: envoy-gateway's gateway-crds-helm prints
// the Gateway API bundle from one template of 1.17 MB: ten CRDs, a
// ValidatingAdmissionPolicy and its binding. Each object is named at the
// line of its apiVersion; they were named by the file alone, so that an
// error, or "also produced by app gateway-crds at" when envoy-gateway's own
// crds subchart printed the policy too, left a user to search 20,000
// lines. The template is the policy and its binding
// (testdata/gateway-crds-helm), padded back over maxMappedTemplate where
// the CRDs stood.
func TestBigTemplateObjectsNamed(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	src := filepath.Join("testdata", "gateway-crds-helm")
	for _, f := range []string{"Chart.yaml", "values.yaml"} {
		writeFile(t, filepath.Join(root, "c", f), readFile(t, filepath.Join(src, f)))
	}
	text := readFile(t, filepath.Join(src, "templates", "standard-gatewayapi-crds.yaml"))
	head, tail, ok := strings.Cut(text, "---\n")
	if !ok {
		t.Fatal("no document separator in the excerpt")
	}
	padding := strings.Repeat("    # a CRD's schema, standing in for the ten CRDs of the bundle\n", maxMappedTemplate/64+1)
	text = head + "---\n" + padding + "---\n" + tail
	writeFile(t, filepath.Join(root, "c", "templates", "standard-gatewayapi-crds.yaml"), text)
	want := map[string]int{}
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "kind: ") {
			want[strings.TrimPrefix(l, "kind: ")] = i // the line above, counted from 1
		}
	}
	res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "gateway-crds", Namespace: "envoy-gateway-system", Path: "c", KubeVersion: "1.33.0",
		Values: map[string]any{"crds": map[string]any{"gatewayAPI": map[string]any{"enabled": true, "channel": "standard"}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, o := range res.Objects {
		got[o.Node.GetKind()] = o.Line
	}
	if len(want) != 2 || !maps.Equal(got, want) {
		t.Errorf("lines %v, want %v", got, want)
	}
}

// TestPickDocumentByName: of several documents of one kind in one
// template, an object's lines come from the one whose metadata.name
// prints its name, the most literal of those that match. The template is
// the head of each ClusterRole of argo-workflows' controller/
// workflow-aggregate-roles.yaml (github.com/argoproj/argo-helm, commit
// 86b3951720, Apache-2.0), and a Service pair as alertmanager's
// services.yaml writes it (testdata/errors/helm-several-services-one-template).
func TestPickDocumentByName(t *testing.T) {
	t.Parallel()
	roles := `{{- if .Values.createAggregateRoles }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ template "argo-workflows.fullname" . }}-view
  labels:
    {{- include "argo-workflows.labels" (dict "context" . "component" .Values.controller.name "name" .Values.controller.name) | nindent 4 }}
    rbac.authorization.k8s.io/aggregate-to-view: "true"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ template "argo-workflows.fullname" . }}-edit
  labels:
    {{- include "argo-workflows.labels" (dict "context" . "component" .Values.server.name "name" .Values.server.name) | nindent 4 }}
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  labels:
    name: admin
  name: "{{ template "argo-workflows.fullname" . }}-admin"
{{- end }}
`
	services := "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"alertmanager.fullname\" . }}\n---\n" +
		"apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"alertmanager.fullname\" . }}-headless\n"
	for _, tc := range []struct {
		text, kind, name string
		first            int // 0: no document
	}{
		{roles, "ClusterRole", "argo-workflows-view", 1},
		{roles, "ClusterRole", "release-argo-workflows-edit", 10},
		{roles, "ClusterRole", "argo-workflows-admin", 18},
		{roles, "ClusterRole", "argo-workflows-viewer", 0},
		{services, "Service", "alertmanager", 1},
		{services, "Service", "alertmanager-headless", 6},
		{services, "ConfigMap", "alertmanager", 0},
	} {
		d, ok := pick(templateDocs(tc.text, tc.kind), tc.name)
		if got := map[bool]int{true: d.first}[ok]; got != tc.first {
			t.Errorf("%s %s: document at line %d (%v), want %d", tc.kind, tc.name, d.first, ok, tc.first)
		}
	}
}
