package scaffold

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SchemaURL is kiln.yaml's JSON Schema, as the examples name it on their
// first line (a test keeps the two the same).
const SchemaURL = "https://raw.githubusercontent.com/kiln-gitops/kiln/main/docs/schemas/kiln.schema.json"

// YAML is the kiln.yaml for r. It starts with the yaml-language-server
// line that gives editors kiln.yaml's JSON Schema. The same result gives
// the same bytes.
func (r *Result) YAML() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", SchemaURL)
	b.WriteString(`# Written by kiln init from the charts, kustomizations, Jsonnet files and
# YAML folders it found. Check the names, namespaces and environments, then
# run kiln validate. The format: docs/init.md and the README.
apiVersion: kiln/v1alpha1
kind: Pipeline

environments:                 # in promotion order; envs/<name>.yaml holds each one's settings
`)
	for _, e := range r.Envs {
		fmt.Fprintf(&b, "  - name: %s\n", scalar(e))
		if f, ok := r.EnvFiles[e]; ok {
			fmt.Fprintf(&b, "    config: %s\n", scalar(f))
		}
	}
	b.WriteString(`
# Where kiln promote writes (render, diff and validate do not need it):
# manifests:
#   repo: https://github.com/OWNER/MANIFESTS.git
#   branch: main
#   path: "clusters/{env}"

apps:
`)
	if len(r.Apps) == 0 {
		b.WriteString("  []   # nothing found: add apps with a name, a namespace and one of helm, kustomize, jsonnet or yaml\n")
	}
	for _, a := range r.Apps {
		fmt.Fprintf(&b, "  - name: %s\n    namespace: %s\n", scalar(a.Name), scalar(a.Namespace))
		switch a.Engine {
		case Helm:
			fmt.Fprintf(&b, "    helm:\n      chart: %s\n", scalar(a.Path))
			if a.SkipCRDs {
				b.WriteString("      skipCRDs: true   # its crds/ are another app's CRDs\n")
			}
		case Kustomize:
			fmt.Fprintf(&b, "    kustomize: %s\n", scalar(a.Path))
		case Jsonnet:
			if len(a.JPath) == 0 {
				fmt.Fprintf(&b, "    jsonnet: %s\n", scalar(a.Path))
				break
			}
			fmt.Fprintf(&b, "    jsonnet:\n      file: %s\n      jpath:\n", scalar(a.Path))
			for _, jp := range a.JPath {
				fmt.Fprintf(&b, "        - %s\n", scalar(jp))
			}
		case YAML:
			fmt.Fprintf(&b, "    yaml: %s\n", scalar(a.Path))
		}
		if len(a.DependsOn) > 0 {
			deps := make([]string, len(a.DependsOn))
			for i, d := range a.DependsOn {
				deps[i] = scalar(d)
			}
			fmt.Fprintf(&b, "    dependsOn: [%s]\n", strings.Join(deps, ", "))
		}
		if f := a.Flux; f != nil {
			b.WriteString("    flux:\n")
			if f.Interval != "" {
				fmt.Fprintf(&b, "      interval: %s\n", scalar(f.Interval))
			}
			if f.Timeout != "" {
				fmt.Fprintf(&b, "      timeout: %s\n", scalar(f.Timeout))
			}
			if f.Wait != nil {
				fmt.Fprintf(&b, "      wait: %t\n", *f.Wait)
			}
		}
	}
	return []byte(b.String())
}

// scalar is s as a YAML scalar on one line: plain when YAML reads it back
// as the same string, quoted otherwise. Never a block scalar (yaml.v3's
// choice for a string with a line break, a folder's name may hold one):
// its lines would sit at the key's own indentation, which makes the
// kiln.yaml invalid.
func scalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil || strings.Contains(strings.TrimSuffix(string(out), "\n"), "\n") {
		out, err = yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: s})
	}
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(string(out), "\n")
}
