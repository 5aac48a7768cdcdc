package program

import "os"

// selfExe names the file this process runs, whatever replaced or removed
// the file at the path it was started from since: `make install` during
// a render would otherwise give its later workers the new build's code,
// whose results the render cache would keep under this build's ID.
const selfExe = "/proc/self/exe"

// running is the program this process runs: /proc/self/exe when /proc is
// there (a container without it gets the path).
func running() (string, error) {
	if _, err := os.Stat(selfExe); err == nil {
		return selfExe, nil
	}
	return os.Executable()
}
