//go:build !linux

package sandbox

// hardCap says whether capMemory's cap is enforced by the kernel: only
// Linux enforces RLIMIT_DATA on the memory Go maps; elsewhere the worker
// has debug.SetMemoryLimit's soft limit only.
const hardCap = false

func capMemory(int64) error { return nil }

func dataUsed() int64 { return 0 }
