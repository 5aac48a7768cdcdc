package testenv

import (
	"testing"
	"time"
)

// ReportCPU reports, as cpu-ms/op, the CPU time this process used since
// start (a ProcessCPU reading) per iteration of b: on a shared machine a
// benchmark's wall time moves with the other load, its own CPU far less.
// Sandbox workers are other processes and not counted. Where ProcessCPU
// measures nothing it reports nothing.
func ReportCPU(b *testing.B, start time.Duration) {
	if start == 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(ProcessCPU()-start)/float64(b.N)/float64(time.Millisecond), "cpu-ms/op")
}
