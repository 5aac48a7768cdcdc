// Package spawn starts sandbox worker processes, for package sandbox's
// pool, and can start the first one of a process early: Prestart, called
// by `kiln render` while kiln's own packages are still initializing, so
// that the worker's start-up (a second initialization of everything kiln
// links, about 25 ms of CPU) overlaps kiln's instead of following it. The
// pool adopts that worker with Take when its first render needs one; a
// worker nobody took is ended by Discard.
//
// Both ways of starting a worker go through Start, so a prestarted worker
// runs the same program with the same arguments and environment as one
// the pool starts itself, and Take hands it over only if that is still
// so. The worker's memory cap is not part of its start: the pool sends it
// as the first message after the worker's hello, and the worker applies it
// before it reads any request (package sandbox, docs/security.md).
//
// The package imports only the standard library, and not os/exec: Go
// initializes, among a program's packages whose imports are initialized,
// the first in import-path order, so a package importing little
// initializes before the large ones kiln links (k8s.io/..., helm.sh/...),
// and Prestart can run early; but os/exec links path/filepath, which
// comes after most of them (see Proc).
package spawn
