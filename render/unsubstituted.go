package render

import (
	"fmt"
	"iter"
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
//
// An escaped "$${NAME}", whatever NAME is, is warned about once per app
// too: it is Flux's way to write a literal "${NAME}" in an object
// postBuild substitutes (a script's "$${HOME}"), and without postBuild
// the cluster gets the "$${HOME}" itself, which a shell reads as its
// process id and "{HOME}". That warning names no NAME: it is text of the
// output, which a value (a Secret's) may hold; only the env's own var
// names are ever quoted. A chart's output is left out of it: Flux hands
// a chart to helm-controller, whose output no postBuild ever
// substituted, so a "$${" there is the chart's own text, meant as
// written, and the user cannot annotate it.
func unsubstituted(vars map[string]string, run *appRun) []diag.Warning {
	if run.app.Engine == envconfig.EngineYAML {
		return nil
	}
	type first struct {
		o     templates.Object
		count int
	}
	found := map[string]*first{}
	var escaped *first
	for _, o := range run.objs {
		if o.Node == nil || o.Raw != nil || o.Node.GetAnnotations()[substituteAnnotation] == "disabled" || o.Node.GetLabels()[substituteAnnotation] == "disabled" {
			continue
		}
		walkScalars(o.Node.YNode(), 0, func(s string) {
			if !strings.Contains(s, "${") {
				return
			}
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
			if n := escapes(s); n > 0 && run.app.Engine != envconfig.EngineHelm {
				if escaped == nil {
					escaped = &first{o: o}
				}
				escaped.count += n
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
	if f := escaped; f != nil {
		more := ""
		if f.count > 1 {
			more = fmt.Sprintf(" (%d in the app's output)", f.count)
		}
		out = append(out, diag.Warning{File: f.o.File, Line: f.o.Line, App: run.app.Name, Object: objRef(f.o),
			Msg:  fmt.Sprintf("an escaped placeholder, $${NAME}, is left as it is%s: Flux's postBuild writes ${NAME} for it, but kiln substitutes in yaml apps only and its Kustomizations have no postBuild, so the cluster gets the $${NAME} as written", more),
			Hint: fmt.Sprintf("write ${NAME} where a literal ${NAME} is meant (nothing substitutes this app's output), or annotate the object %s: disabled if $${NAME} is meant literally", substituteAnnotation)})
	}
	return out
}

// escapes counts the escaped placeholders of s: "${" and a name after an
// odd run of "$" ("$${NAME}", "$$$${NAME}"), which Flux's envsubst would
// write with half the "$"s.
func escapes(s string) int {
	n := 0
	for i, escaped := range dollarBraces(s) {
		if escaped && i < len(s) && nameStart(s[i]) {
			n++
		}
	}
	return n
}

// dollarBraces yields each "${" of s as the index just past it and
// whether it is escaped: Flux's envsubst reads "$$" as a literal "$", so
// a "${" after an odd run of "$" is literal text.
func dollarBraces(s string) iter.Seq2[int, bool] {
	return func(yield func(int, bool) bool) {
		for i := 0; ; {
			j := strings.Index(s[i:], "${")
			if j < 0 {
				return
			}
			j += i
			i = j + 2
			k := j
			for k > 0 && s[k-1] == '$' {
				k--
			}
			if !yield(i, (j-k)%2 == 1) {
				return
			}
		}
	}
}

func nameStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

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
	for i, escaped := range dollarBraces(s) {
		if escaped {
			continue
		}
		start := i
		if start < len(s) && s[start] == '#' {
			start++
		}
		end := start
		for end < len(s) && (nameStart(s[end]) || end > start && '0' <= s[end] && s[end] <= '9') {
			end++
		}
		if end > start {
			out = append(out, s[start:end])
		}
	}
	return out
}
