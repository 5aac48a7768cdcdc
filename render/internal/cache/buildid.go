package cache

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"runtime/debug"
	"sync"
)

// BuildID names the build of the running kiln: its Go build ID, which the
// linker derives from every package and flag that went into the binary, so
// that two builds that could render differently never share entries. A
// version string would not do: every developer build says "dev".
//
// On ELF systems it is read from the executable's .note.go.buildid. Where
// that fails, a build from a clean, tagged module (as `go install
// ...@v1.2.3` makes) is named by its module version; anything else gets an
// error, and kiln renders without the cache rather than guess.
var BuildID = sync.OnceValues(func() (string, error) {
	// /proc/self/exe first: the file this process runs, even when the file
	// at its path was replaced since it started (a `make install` during a
	// render), which would name another build.
	for _, exe := range executables() {
		if id, err := elfBuildID(exe); err == nil {
			return "go-buildid:" + id, nil
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		dirty := false
		for _, s := range bi.Settings {
			if s.Key == "vcs.modified" && s.Value == "true" {
				dirty = true
			}
		}
		if !dirty {
			return "module:" + bi.Main.Path + "@" + bi.Main.Version + " " + bi.GoVersion, nil
		}
	}
	return "", errors.New("cannot tell which build of kiln this is")
})

// executables are the paths at which the running program may be read.
func executables() []string {
	paths := []string{"/proc/self/exe"}
	if exe, err := os.Executable(); err == nil {
		paths = append(paths, exe)
	}
	return paths
}

// elfBuildID reads the Go build ID note: a 4-byte name size, a 4-byte
// description size, a 4-byte type (4), the name "Go\x00\x00" and the ID.
func elfBuildID(exe string) (string, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := f.Section(".note.go.buildid")
	if s == nil {
		return "", errors.New("no Go build ID note")
	}
	data, err := s.Data()
	if err != nil {
		return "", err
	}
	if len(data) < 16 {
		return "", errors.New("short Go build ID note")
	}
	order := f.ByteOrder
	nameSize, descSize := order.Uint32(data[0:4]), order.Uint32(data[4:8])
	if nameSize != 4 || !bytes.Equal(data[12:16], []byte("Go\x00\x00")) || uint64(16)+uint64(descSize) > uint64(len(data)) || descSize == 0 {
		return "", errors.New("malformed Go build ID note")
	}
	return string(data[16 : 16+descSize]), nil
}
