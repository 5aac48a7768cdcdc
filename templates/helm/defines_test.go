package helm

import (
	"os"
	"path/filepath"
	"testing"
)

// TestInDefine: a field of a pod spec a named template writes is placed
// at its line in the define, two containers' ports told apart by the
// items' names, the include found under spec: though it stands at
// spec:'s indentation (its nindent says where it prints). The template
// and define are cut from prometheus-blackbox-exporter's deployment.yaml
// and _helpers.tpl (github.com/prometheus-community/helm-charts, commit
// 7def97c, Apache-2.0), each container cut to its name and port.
func TestInDefine(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ template "prometheus-blackbox-exporter.fullname" . }}
spec:
  template:
    spec:
    {{- include "prometheus-blackbox-exporter.podSpec" . | nindent 6 }}
`,
		"chart/templates/_helpers.tpl": `{{- define "prometheus-blackbox-exporter.podSpec" -}}
containers:
- name: blackbox-exporter
  ports:
  - containerPort: {{ .Values.containerPort }}
    name: http
- name: config-reloader
  ports:
    - containerPort: {{ .Values.configReloader.containerPort }}
      name: reloader-web
{{- end }}
`,
	}
	for name, text := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		field string
		items []string
		line  int // 0: not placed
	}{
		{"spec.template.spec.containers[0].ports[0].containerPort", []string{"blackbox-exporter", "http"}, 5},
		{"spec.template.spec.containers[1].ports[0].containerPort", []string{"config-reloader", "reloader-web"}, 9},
		// Without the names, two containers write the path: the
		// nearest key above it that one line writes.
		{"spec.template.spec.containers[1].ports[0].containerPort", nil, 2},
		{"spec.replicas", nil, 0},
	} {
		p, ok := NewChart(root, "chart").InDefine("chart/templates/deployment.yaml", "Deployment", "blackbox", tc.field, tc.items)
		got := 0
		if ok {
			got = p.Line
			if p.File != "chart/templates/_helpers.tpl" || p.IncludeLine != 8 || p.Define != "prometheus-blackbox-exporter.podSpec" {
				t.Errorf("%s: placed at %+v", tc.field, p)
			}
		}
		if got != tc.line {
			t.Errorf("%s (%v): line %d, want %d", tc.field, tc.items, got, tc.line)
		}
	}
}
