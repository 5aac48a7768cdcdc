package initgc

import "runtime/debug"

// percent is the collector's setting (GOGC, 100 by default) from before
// this package turned it off.
var percent = debug.SetGCPercent(-1)

// Done turns the collector back on with the setting it had, so GOGC is
// honoured. Calling it again is harmless.
func Done() {
	debug.SetGCPercent(percent)
}
