package helm

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/internal/stdlog"
)

// captureLog runs f with the standard logger's output collected
// (stdlog.Capture), and returns Helm's warnings among the lines as kiln's:
// Helm's chartutil reports what it ignores while merging values (a table
// given a scalar, a dependency condition that is no bool) through that
// logger. It writes nothing: a line that is not Helm's (another
// goroutine's, logging meanwhile) is dropped, as a sandbox worker drops
// its stderr, since printing it would pass it by kiln's redacting writers
// (internal/depcheck).
func captureLog(f func() error) ([]templates.Warning, error) {
	logged, err := stdlog.Capture(f)

	var out []templates.Warning
	seen := map[string]bool{}
	for line := range strings.Lines(logged) {
		line = strings.TrimSuffix(line, "\n")
		wn, ok := helmWarning(line)
		if !ok {
			continue
		}
		// Values are merged more than once (each subchart, the
		// import-values pass): helm prints each time, kiln once.
		if !seen[wn.Msg] {
			seen[wn.Msg] = true
			out = append(out, wn)
		}
	}
	// Helm walks the values' maps in Go's random order: kiln's order is
	// the messages'.
	sort.Slice(out, func(i, j int) bool { return out[i].Msg < out[j].Msg })
	return out, err
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
