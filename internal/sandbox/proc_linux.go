package sandbox

import "syscall"

// sysProcAttr kills a worker when kiln dies, even in the middle of a
// render. The worker also ends when its standard input closes, which
// covers every platform; Pdeathsig is Linux's faster second line.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
