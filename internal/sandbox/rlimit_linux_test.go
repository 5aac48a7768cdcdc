package sandbox

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"testing"
)

// TestDataUsed: dataUsed reads what RLIMIT_DATA caps, the VmData of
// /proc/self/status, give or take the main thread's stack (VmStk), and
// reads it again each time, not once.
func TestDataUsed(t *testing.T) {
	status := func(field string) int64 {
		t.Helper()
		data, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		_, rest, ok := bytes.Cut(data, []byte("\n"+field+":"))
		if !ok {
			t.Fatalf("no %s in /proc/self/status", field)
		}
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		kib, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(line), []byte(" kB"))), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return kib << 10
	}
	near := func(what string) {
		t.Helper()
		// Other tests' goroutines may map memory between the reads.
		const slack = 64 << 20
		got, data, stack := dataUsed(), status("VmData"), status("VmStk")
		if got < data-slack || got > data+stack+slack {
			t.Errorf("%s: dataUsed %d, VmData %d, VmStk %d", what, got, data, stack)
		}
	}
	near("first read")
	// A private writable mapping counts in VmData as soon as it exists.
	before := dataUsed()
	m, err := syscall.Mmap(-1, 0, 256<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	near("after mapping 256 MiB")
	if after := dataUsed(); after < before+128<<20 {
		t.Errorf("dataUsed %d after mapping 256 MiB, %d before: read once, not each time?", after, before)
	}
}
