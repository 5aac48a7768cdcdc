package sandbox

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"sync"
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

// dataUsed is about what RLIMIT_DATA measures, the process's private
// writable memory (VmData), in bytes: the data field of /proc/self/statm,
// which adds the main thread's stack (kilobytes) to it. watchMemory reads
// it every millisecond of a render, so the file stays open: a read of it
// costs a tenth of generating /proc/self/status, which the tick read
// before, 25 µs of the worker's CPU each time.
func dataUsed() int64 {
	statm.once.Do(func() { statm.f, _ = os.Open("/proc/self/statm") })
	if statm.f == nil {
		return 0
	}
	statm.mu.Lock()
	defer statm.mu.Unlock()
	n, err := statm.f.ReadAt(statm.buf[:], 0)
	if err != nil && err != io.EOF {
		return 0
	}
	// size resident shared text lib data dt, in pages.
	fields := bytes.Fields(statm.buf[:n])
	if len(fields) < 6 {
		return 0
	}
	pages, err := strconv.ParseInt(string(fields[5]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

var statm struct {
	once sync.Once
	f    *os.File
	mu   sync.Mutex
	buf  [256]byte
}
