package render

import (
	"fmt"
	"sort"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/templates"
)

// substituteAnnotation set to "disabled" is how a Flux user marks an
// object whose ${...} are meant literally: kustomize-controller's
// postBuild skips it, and so does unsubstituted.
const substituteAnnotation = "kustomize.toolkit.fluxcd.io/substitute"

// unsubstituted warns, once per variable and app, about "${NAME}" left in
// the output of an app whose engine does not substitute vars (every
// engine but yaml), when NAME is one of the env's vars. A Flux user moving
// a Kustomization with postBuild substitution (or a HelmRelease whose
// values it substituted) into kiln expects the value there; kiln's
// Kustomizations have no postBuild, so the cluster would get the literal
// text. Only names of the env's vars count: a shell script's ${HOME} in
// a ConfigMap is none of kiln's business. Warnings name the variable,
// never its value.
func unsubstituted(vars map[string]string, run *appRun) []diag.Warning {
	if len(vars) == 0 || run.app.Engine == envconfig.EngineYAML {
		return nil
	}
	type first struct {
		o     templates.Object
		count int
	}
	found := map[string]*first{}
	for _, o := range run.objs {
		if o.Node == nil || o.Raw != nil || o.Node.GetAnnotations()[substituteAnnotation] == "disabled" {
			continue
		}
		walkScalars(o.Node.YNode(), 0, func(s string) {
			for _, name := range varRefs(s) {
				if _, ok := vars[name]; !ok {
					continue
				}
				if f := found[name]; f != nil {
					f.count++
				} else {
					found[name] = &first{o: o, count: 1}
				}
			}
		})
	}
	names := make([]string, 0, len(found))
	for name := range found {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]diag.Warning, 0, len(names))
	for _, name := range names {
		f := found[name]
		more := ""
		if f.count > 1 {
			more = fmt.Sprintf(" (%d %s in the app's output)", f.count, words.Noun(f.count, "place"))
		}
		out = append(out, diag.Warning{File: f.o.File, Line: f.o.Line, App: run.app.Name, Object: objRef(f.o),
			Msg: fmt.Sprintf("${%s} is left as it is%s: kiln substitutes vars in yaml apps only, and Flux does not substitute kiln's output (its Kustomizations have no postBuild), so the cluster gets the literal text although env var %s is set",
				name, more, name),
			Hint: fmt.Sprintf("give the value through the %s engine (%s), or annotate the object %s: disabled if the text is meant literally",
				run.app.Engine, engineWay(run.app.Engine), substituteAnnotation)})
	}
	return out
}

// engineWay says how an engine takes a value from the env.
func engineWay(engine string) string {
	switch engine {
	case envconfig.EngineHelm:
		return "a value in the env file's values:"
	case envconfig.EngineJsonnet:
		return "the ext var vars, which holds the env's vars"
	}
	return "a patch in the env file, or a replacement in the overlay"
}

// maxWalkDepth bounds walkScalars: objects the engines return are bounded
// already, this only keeps a pathological one from using the stack.
const maxWalkDepth = 1000

// walkScalars calls f with every scalar below n, mapping keys included.
func walkScalars(n *kyaml.Node, depth int, f func(string)) {
	if n == nil || depth > maxWalkDepth {
		return
	}
	if n.Kind == kyaml.ScalarNode {
		f(n.Value)
		return
	}
	for _, c := range n.Content {
		walkScalars(c, depth+1, f)
	}
}

// varRefs returns the names of the ${NAME...} expressions in s, as Flux's
// envsubst reads them: "$${" is an escaped literal, and "${#NAME}" is
// NAME's length.
func varRefs(s string) []string {
	var out []string
	for i := 0; ; {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			return out
		}
		j += i
		i = j + 2
		if j > 0 && s[j-1] == '$' {
			// "$${": an escape, unless its "$" is itself escaped ("$$${").
			k := j - 1
			for k > 0 && s[k-1] == '$' {
				k--
			}
			if (j-k)%2 == 1 {
				continue
			}
		}
		start := i
		if start < len(s) && s[start] == '#' {
			start++
		}
		end := start
		for end < len(s) && (s[end] == '_' || 'a' <= s[end] && s[end] <= 'z' || 'A' <= s[end] && s[end] <= 'Z' || end > start && '0' <= s[end] && s[end] <= '9') {
			end++
		}
		if end > start {
			out = append(out, s[start:end])
		}
	}
}
