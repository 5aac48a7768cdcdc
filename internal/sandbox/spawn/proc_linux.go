package spawn

import "syscall"

// sysProcAttr kills a worker when kiln dies, even in the middle of a
// render. The worker also ends when its standard input closes, which
// covers every platform; Pdeathsig is Linux's faster second line. It
// fires when the thread that started the worker ends, not only the
// process (golang/go#27505); Go ends a thread only when a goroutine
// locked to it returns, and nothing kiln links outside the standard
// library calls runtime.LockOSThread. Prestart runs during package
// initialization, on the main thread (the runtime locks initialization
// to it), which lives as long as the process.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
