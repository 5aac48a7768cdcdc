package sandbox

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// hardCap says whether capMemory's cap is enforced by the kernel.
const hardCap = true

// capMemory caps the worker's private writable memory (its heap, stacks
// and data) with RLIMIT_DATA. RLIMIT_AS would also count the address space
// Go reserves but never touches, which has nothing to do with how much
// memory a render uses. Past the cap, an allocation fails and the Go
// runtime ends the worker with "fatal error: out of memory".
func capMemory(limit int64) error {
	limit = raceCap(limit)
	return syscall.Setrlimit(syscall.RLIMIT_DATA, &syscall.Rlimit{Cur: uint64(limit), Max: uint64(limit)})
}

// dataUsed is what RLIMIT_DATA measures: the process's VmData, in bytes.
func dataUsed() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(status, []byte("\nVmData:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kib, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(line), []byte(" kB"))), 10, 64)
	if err != nil {
		return 0
	}
	return kib << 10
}
