//go:build !unix

package testenv

import "time"

// ProcessCPU is not measured here; ReportCPU then reports nothing.
func ProcessCPU() time.Duration { return 0 }
