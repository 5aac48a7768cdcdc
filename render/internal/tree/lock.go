package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// errNoExchange says the system cannot swap two folders atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// LockedError is an output root another kiln process is writing.
type LockedError struct {
	// Path is the lock file.
	Path string
	// Holder describes the process holding it: pid, host, start time, as
	// far as the lock file says.
	Holder string
	// Reading says the run refused only reads the folder (ReadOutput:
	// kiln promote --rendered), so another --out is no way out for it.
	Reading bool
	// Readers says the folder is held by readers (kiln promote
	// --rendered), not by a writer: Holder is then "".
	Readers bool
}

func (e *LockedError) Error() string {
	msg := "another kiln process (" + e.Holder + ") is writing this output folder"
	hint := "wait for it to finish, or give this run another --out"
	switch {
	case e.Readers:
		msg = "a kiln promote --rendered (or another process sharing this lock) is reading this output folder, so it cannot be written now"
	case e.Reading:
		msg += ", so its trees would be read half written"
		hint = "wait for that kiln render to finish, then run this again"
	}
	return (&diag.Error{File: e.Path, Msg: msg, Hint: hint}).Error()
}

// notALockFile is the error for an output lock path that holds something
// other than a file: kiln never writes through it nor waits on it.
func notALockFile(path string, mode fs.FileMode) error {
	what := "not a regular file"
	if mode&fs.ModeSymlink != 0 {
		what = "a symlink"
	}
	return &diag.Error{File: path, Msg: "kiln's lock of the output folder is " + what + ", so kiln will neither write through it nor wait on it",
		Hint: "remove " + path + " (kiln creates it as a file while it runs, and removes it at the end), or choose another --out"}
}

// holder is what a lock file records about the process holding it.
type holder struct {
	pid   int
	host  string
	start string
}

func self() holder {
	host, _ := os.Hostname()
	return holder{pid: os.Getpid(), host: host, start: time.Now().UTC().Format(time.RFC3339)}
}

func (h holder) encode() []byte {
	return []byte(fmt.Sprintf("pid=%d\nhost=%s\nstart=%s\n", h.pid, h.host, h.start))
}

func parseHolder(data []byte) (holder, bool) {
	var h holder
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "pid":
			h.pid, _ = strconv.Atoi(v)
		case "host":
			h.host = v
		case "start":
			h.start = v
		}
	}
	return h, h.pid > 0
}

func (h holder) String() string {
	if h.pid <= 0 {
		return "unknown process"
	}
	s := "pid " + strconv.Itoa(h.pid)
	if h.host != "" {
		s += " on " + h.host
	}
	if h.start != "" {
		s += ", started " + h.start
	}
	return s
}
