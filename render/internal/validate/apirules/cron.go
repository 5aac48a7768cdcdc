package apirules

import (
	"strings"

	"github.com/robfig/cron/v3"
)

// cronError says why kube-apiserver's schedule parser refuses schedule, ""
// when it accepts it: the CronJob validation calls robfig/cron v3's
// ParseStandard, and so does kiln, for the same verdicts and messages.
//
// TZ= and CRON_TZ= prefixes are taken off first: the CronJob validation
// refuses any schedule naming TZ with its own message, and the parser
// would load the zone from this machine's time zone database, which is
// not the cluster's.
func cronError(schedule string) (msg string) {
	spec := schedule
	// Every prefix: the parser takes off one and panics on a second with
	// no blank after it ("CRON_TZ=x TZ=y").
	for strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		i := strings.IndexByte(spec, ' ')
		if i < 0 {
			return "invalid location descriptor: " + spec
		}
		spec = strings.TrimSpace(spec[i:])
	}
	// A schedule is user input: should the parser panic on one still,
	// it is refused, not kiln ended.
	defer func() {
		if recover() != nil {
			msg = "the schedule parser cannot read it"
		}
	}()
	if _, err := cron.ParseStandard(spec); err != nil {
		return err.Error()
	}
	return ""
}
