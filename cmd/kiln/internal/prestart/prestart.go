// Package prestart starts `kiln render`'s first sandbox worker as soon as
// kiln's process starts, while the rest of kiln's packages initialize.
//
// A cold render of one small chart is a chain: kiln initializes (about 15
// ms), reads kiln.yaml, starts a sandbox worker, which initializes the
// same packages again before it can render. Started from this package's
// init, the worker initializes at the same time as kiln instead of after
// it (docs/speed.md). Go initializes packages in import-path order among
// those whose imports are done, and this package imports only the
// standard library and packages spawn and cachedir, so it runs before the
// large packages kiln links: not os/exec or path/filepath, which Go
// initializes late (internal/depcheck's TestPrestartEarly).
//
// It does so only when the render cache is cold (Wanted), the one case
// where a render surely evaluates its Helm and Jsonnet apps. Only kiln's
// main imports it, so that no other program that links kiln's packages
// starts workers it did not ask for. The worker is the one the render's
// sandbox pool would start (spawn.Start, with the same program and
// environment); the pool takes it over (spawn.Take) and sends it the
// memory limit before any request. When the render needs no worker (it
// has no Helm or Jsonnet app, or the command fails first) it is killed and
// reaped (spawn.Discard).
package prestart

import (
	"os"
	"strconv"
	"strings"

	"github.com/kiln-gitops/kiln/internal/cachedir"
	"github.com/kiln-gitops/kiln/internal/sandbox/spawn"
)

func init() {
	if Wanted(os.Args, os.LookupEnv, exists) {
		spawn.Prestart()
	}
}

// Wanted says whether a kiln started with args and an environment read
// by lookup is about to need a sandbox worker, so that one is worth
// starting now: the command is render, without help asked, this process
// is no sandbox worker itself, and the render cache is cold (absent, or
// --no-cache), so every Helm and Jsonnet app will be evaluated.
//
// With a render cache, most renders evaluate nothing (an unchanged repo
// renders from the cache alone), and a worker started for nothing costs
// such a render CPU beside its own work (docs/speed.md): kiln then
// starts a worker when a render needs one, as before.
func Wanted(args []string, lookup func(string) (string, bool), exists func(string) bool) bool {
	if _, worker := lookup(spawn.EnvWorker); worker {
		return false
	}
	if len(args) < 2 || args[1] != "render" {
		return false
	}
	dir, _ := lookup("KILN_CACHE_DIR")
	noCache := false
	if v, ok := lookup("KILN_NO_CACHE"); ok {
		noCache, _ = strconv.ParseBool(v)
	}
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		name, value, hasValue := strings.Cut(rest[i], "=")
		switch strings.TrimLeft(name, "-") {
		case "h", "help", "generate-bash-completion":
			return false
		case "no-cache":
			noCache = true
			if hasValue {
				noCache, _ = strconv.ParseBool(value)
			}
		case "cache-dir":
			if !hasValue && i+1 < len(rest) {
				i++
				value = rest[i]
			}
			dir = value
		}
		if rest[i] == "--" {
			break
		}
	}
	if noCache {
		return true
	}
	if dir == "" {
		var err error
		if dir, err = cachedir.Default(); err != nil {
			return true // no cache: render said so and renders afresh
		}
	}
	return !exists(cachedir.Renders(dir))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Discard kills and reaps the worker init started, unless a render took
// it.
func Discard() {
	if p := spawn.Discard(); p != nil {
		p.Stop()
	}
}
