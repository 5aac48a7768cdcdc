// Package depcheck holds a test that enforces kiln's import rules: imports
// flow one way (cmd/kiln → promote → render → templates, envconfig), only
// cmd/kiln imports urfave/cli, only promote imports go-github, and only the
// git wrappers run programs; and that the kiln binary does not link what
// only a cluster client needs (start-up cost). It has no code of its own.
package depcheck
