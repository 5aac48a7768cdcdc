//go:build !linux

package spawn

import "syscall"

// sysProcAttr: elsewhere, a worker ends when its standard input closes.
func sysProcAttr() *syscall.SysProcAttr { return nil }
