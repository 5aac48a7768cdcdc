//go:build !linux

package program

import "os"

// running is the program this process runs, by its path.
func running() (string, error) { return os.Executable() }
