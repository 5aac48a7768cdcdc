package helm

import (
	"fmt"
	"strings"

	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/stdlog"
	"github.com/kiln-gitops/kiln/templates/internal/warnlist"
)

// captureLog runs f with the standard logger's output collected
// (stdlog.Lines), and returns Helm's warnings among the lines as kiln's:
// Helm's chartutil reports what it ignores while merging values (a table
// given a scalar, a dependency condition that is no bool) through that
// logger. It writes nothing: a line that is not Helm's (another
// goroutine's, logging meanwhile) is dropped, as a sandbox worker drops
// its stderr, since printing it would pass it by kiln's redacting writers
// (internal/depcheck).
func captureLog(f func() error) ([]templates.Warning, error) {
	// Bounded as it is logged (warnlist): a values file can make Helm
	// warn once per key. Helm walks the values' maps in Go's random
	// order; the list's order is the messages'. Values are merged more
	// than once (each subchart, the import-values pass): helm prints each
	// time, kiln once.
	var l warnlist.List
	err := stdlog.Lines(f, func(line string) {
		if wn, ok := helmWarning(line); ok {
			l.Add(wn)
		}
	})
	return l.Warnings(), err
}

// helmWarning turns one of chartutil's log lines into a warning. The
// value that two of them quote (a chart default, which may be a
// password in a private chart) is left out: warnings never hold values.
func helmWarning(line string) (templates.Warning, bool) {
	const (
		notTable  = "warning: cannot overwrite table with non table for "
		dstTable  = "warning: destination for "
		dstTable2 = " is a table. Ignoring non-table value"
	)
	switch {
	case strings.HasPrefix(line, notTable):
		key, _, _ := strings.Cut(strings.TrimPrefix(line, notTable), " ")
		return templates.Warning{
			Msg:  fmt.Sprintf("values: %s is a table in the chart's defaults but not in the values given, so the chart's table is dropped (helm template warns: cannot overwrite table with non table for %s)", key, key),
			Hint: fmt.Sprintf("give %s as a mapping; to drop the chart's default on purpose, set it to null", key),
		}, true
	case strings.HasPrefix(line, dstTable) && strings.Contains(line, dstTable2):
		key, _, _ := strings.Cut(strings.TrimPrefix(line, dstTable), dstTable2)
		return templates.Warning{
			Msg:  fmt.Sprintf("values: %s is a table in the values given but not in the chart's defaults, so the chart's value is ignored (helm template warns: destination for %s is a table)", key, key),
			Hint: fmt.Sprintf("check that the chart reads %s as a mapping", key),
		}, true
	case strings.HasPrefix(line, "warning: "), strings.HasPrefix(line, "Warning: "):
		return templates.Warning{Msg: "helm: " + strings.TrimSpace(line[len("warning: "):]), Hint: "helm template prints the same warning for these values"}, true
	case strings.HasPrefix(line, "Conflict: "), strings.HasPrefix(line, "key ") && strings.HasSuffix(line, " is table. Skipping"):
		// Merging global values: helm prints these without a prefix.
		return templates.Warning{Msg: "helm: " + line, Hint: "helm template prints the same warning for these values"}, true
	}
	return templates.Warning{}, false
}
