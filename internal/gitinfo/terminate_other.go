//go:build !unix

package gitinfo

import "os/exec"

// Windows has no SIGTERM to send a console program: kill it, as
// exec.CommandContext would.
func terminate(cmd *exec.Cmd) error { return cmd.Process.Kill() }
