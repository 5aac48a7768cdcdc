package kustomize

import (
	"slices"
	"strings"

	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/stdlog"
	"github.com/kiln-gitops/kiln/templates/internal/warnlist"
)

// krusty reports two things about a kustomization's (deprecated) vars
// through the standard logger, which writes to kiln's stderr, past its
// redaction, its warnings and --output json:
//
//   - api/internal/accumulator/resaccumulator.go: "well-defined vars that
//     were never replaced: A,B".
//   - api/filters/refvar/expand.go: "MakePrimitiveReplacer: bad
//     replacement type=%T val=%v", when a var's fieldref points at a map
//     or a list: it prints that value whole, a Secret's data included.
//
// So a build whose tree declares vars runs alone (exclusive: no other
// kustomize build logs meanwhile) with the logger captured, and those
// lines become warnings without values. Its other lines are dropped: kiln
// cannot tell that they hold no value (stdlog.Lines also collects what
// other goroutines log meanwhile).
func captureLog(kfile string, f func() error) ([]templates.Warning, error) {
	var l warnlist.List // bounded as it is logged, sorted by message
	err := stdlog.Lines(f, func(line string) {
		if wn, ok := varsWarning(kfile, strings.TrimSpace(line)); ok {
			l.Add(wn)
		}
	})
	return l.Warnings(), err
}

// varsWarning turns one of krusty's log lines about vars into a warning
// about kfile, the top kustomization (krusty does not say which one
// declares the var).
func varsWarning(kfile, line string) (templates.Warning, bool) {
	const (
		unused  = "well-defined vars that were never replaced: "
		badType = "MakePrimitiveReplacer: bad replacement "
	)
	switch {
	case strings.HasPrefix(line, unused):
		// krusty lists them in Go's map order, another each build: sorted,
		// the same kustomization warns the same words every run.
		names := strings.Split(strings.TrimPrefix(line, unused), ",")
		slices.Sort(names)
		return templates.Warning{
			File: kfile,
			Msg:  "vars never replaced: " + strings.Join(names, ", ") + " (kustomize build warns the same)",
			Hint: "kustomize replaces $(NAME) only in the fields its varReference configuration lists: use the var in such a field, or remove it; vars are deprecated, replacements do the same",
		}, true
	case strings.HasPrefix(line, badType):
		return templates.Warning{
			File: kfile,
			Msg:  "a var's value is a map or a list, not a string, number or bool, so kustomize leaves its $(NAME) as written (kiln does not show the value: it may hold a secret)",
			Hint: "point the var's fieldref.fieldpath at a scalar field",
		}, true
	}
	return templates.Warning{}, false
}
