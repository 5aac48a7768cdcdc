package main

import (
	"sync"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/ghactions"
)

// seenWarnings holds the warnings diff and promote print (through
// promote's OnWarning), so that inside GitHub Actions they become
// ::warning annotations as render's do: a diff's "Flux deletes this
// PersistentVolumeClaim" or "field is immutable" is what a reviewer of
// the pull request must not miss, and the step's log is where nobody
// looks when the step passes.
type seenWarnings struct {
	mu   sync.Mutex
	list []envWarning
}

type envWarning struct {
	env string
	w   diag.Warning
}

func (s *seenWarnings) add(env string, w diag.Warning) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, envWarning{env, w})
}

// json is the warnings as --output json lists them, each with its env.
func (s *seenWarnings) json() []jsonError {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []jsonError{}
	for _, ew := range s.list {
		out = append(out, jsonWarnings(ew.env, []diag.Warning{ew.w})...)
	}
	return out
}

// annotate writes each warning, under its env's title, through gh (nil
// outside GitHub Actions). The caller flushes gh (annotate in app.go).
func (s *seenWarnings) annotate(gh *ghactions.Runner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ew := range s.list {
		gh.ForEnv(ew.env).Warning(ew.w)
	}
}
