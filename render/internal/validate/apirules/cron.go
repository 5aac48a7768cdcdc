package apirules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronField is one field of a five-field schedule: its bounds and, for
// months and weekdays, the names it also takes.
type cronField struct {
	min, max int
	names    map[string]int
}

var cronFields = [5]cronField{
	{0, 59, nil}, // minute
	{0, 23, nil}, // hour
	{1, 31, nil}, // day of month
	{1, 12, map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}},
	{0, 6, map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}},
}

// cronError says why kube-apiserver's schedule parser (robfig/cron v3's
// ParseStandard, which the CronJob validation calls) refuses schedule,
// "" when it accepts it, with that parser's messages. The grammar is
// small and fixed, and kiln cannot depend on the parser's module, so it
// is re-stated here: five whitespace-separated fields, each a
// comma-separated list of "*" or "?", N, N-M, any of them with "/step"
// (N/step runs to the field's maximum), names for months and weekdays;
// or one of the descriptors @yearly, @annually, @monthly, @weekly,
// @daily, @midnight, @hourly, "@every <Go duration>".
//
// A TZ= or CRON_TZ= prefix is skipped: the CronJob validation refuses any
// schedule naming TZ with its own message, and the parser would load the
// zone from the machine's time zone database, which is not the cluster's.
func cronError(schedule string) string {
	if schedule == "" {
		return "empty spec string"
	}
	spec := schedule
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		i := strings.IndexByte(spec, ' ')
		if i < 0 {
			return "invalid location descriptor: " + spec
		}
		spec = strings.TrimSpace(spec[i:])
	}
	if strings.HasPrefix(spec, "@") {
		switch spec {
		case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
			return ""
		}
		if d, ok := strings.CutPrefix(spec, "@every "); ok {
			if _, err := time.ParseDuration(d); err != nil {
				return fmt.Sprintf("failed to parse duration %s: %s", spec, err)
			}
			return ""
		}
		return "unrecognized descriptor: " + spec
	}
	fields := strings.Fields(spec)
	if len(fields) != len(cronFields) {
		return fmt.Sprintf("expected exactly %d fields, found %d: %s", len(cronFields), len(fields), fields)
	}
	for i, f := range fields {
		// Empty items between commas are skipped, as the parser skips them.
		for _, item := range strings.FieldsFunc(f, func(r rune) bool { return r == ',' }) {
			if msg := cronFields[i].check(item); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// check checks one item of a field: a value or range with an optional step.
func (f cronField) check(item string) string {
	rangePart, stepPart, hasStep := strings.Cut(item, "/")
	var start, end int
	bounds := strings.Split(rangePart, "-")
	if bounds[0] == "*" || bounds[0] == "?" {
		start, end = f.min, f.max
	} else {
		var msg string
		if start, msg = f.value(bounds[0]); msg != "" {
			return msg
		}
		switch len(bounds) {
		case 1:
			end = start
		case 2:
			if end, msg = f.value(bounds[1]); msg != "" {
				return msg
			}
		default:
			return "too many hyphens: " + item
		}
	}
	step := 1
	if strings.Contains(stepPart, "/") {
		return "too many slashes: " + item
	}
	if hasStep {
		var msg string
		if step, msg = cronNumber(stepPart); msg != "" {
			return msg
		}
		if len(bounds) == 1 {
			end = f.max
		}
	}
	switch {
	case start < f.min:
		return fmt.Sprintf("beginning of range (%d) below minimum (%d): %s", start, f.min, item)
	case end > f.max:
		return fmt.Sprintf("end of range (%d) above maximum (%d): %s", end, f.max, item)
	case start > end:
		return fmt.Sprintf("beginning of range (%d) beyond end of range (%d): %s", start, end, item)
	case step == 0:
		return "step of range should be a positive number: " + item
	}
	return ""
}

// value reads a number or, where the field has them, a name.
func (f cronField) value(s string) (int, string) {
	if n, ok := f.names[strings.ToLower(s)]; ok {
		return n, ""
	}
	return cronNumber(s)
}

func cronNumber(s string) (int, string) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Sprintf("failed to parse int from %s: %s", s, err)
	}
	if n < 0 {
		return 0, fmt.Sprintf("negative number (%d) not allowed: %s", n, s)
	}
	return n, ""
}
