package main

import (
	"errors"
	"fmt"
	"github.com/kiln-gitops/kiln/internal/ghactions"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/promote"
)

func diffCommand(stdout, stderr io.Writer, lookup env, version string) *cli.Command {
	return diffCommandTerm(stdout, stderr, lookup, version, isTerminal)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// diffCommandTerm is diffCommand with the terminal test injected.
func diffCommandTerm(stdout, stderr io.Writer, lookup env, version string, term func(io.Writer) bool) *cli.Command {
	flags := append(singleEnvFlags("environment to compare"),
		&cli.StringFlag{Name: "against", Usage: "DIR (holding DIR/<env>, like --out), or GIT-URL[#REF] / PATH#REF of a manifests repository (default: manifests.repo at manifests.branch)", EnvVars: kilnEnv("against")},
		&cli.BoolFlag{Name: "exit-code", Usage: "exit with 1 when there are differences, like git diff --exit-code", EnvVars: kilnEnv("exit-code")},
		tokenFlag(),
	)
	return &cli.Command{
		Name:  "diff",
		Usage: "render an env and show what changes against the manifests repository (or --against)",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if c.String("env") == "" {
				return usagef("give the env to compare with --env")
			}
			p, _, ropts, err := renderSetup(c, lookup, version)
			if err != nil {
				return err
			}
			res, err := promote.Diff(c.Context, p, promote.DiffOptions{
				Env:     c.String("env"),
				Against: c.String("against"),
				Render:  ropts,
				Token:   token(c, lookup),
				GitEnv:  gitEnv(lookup),
				Log:     prefixed(stderr),
			})
			if err != nil {
				err = promoteErr(err)
				actionsRunner(c, lookup).Error(err)
				return err
			}
			if err := reportDiffActions(c, lookup, res); err != nil {
				return err
			}
			if c.String("output") == "json" {
				if err := writeJSON(stdout, res); err != nil {
					return err
				}
			} else {
				noColor, set := lookup("NO_COLOR")
				color := term(stdout) && !(set && noColor != "")
				if _, err := io.WriteString(stdout, res.Unified(color)); err != nil {
					return err
				}
				printDiffSummary(stderr, res)
			}
			if res.Changed && c.Bool("exit-code") {
				return silent{errors.New("there are differences")}
			}
			return nil
		},
	}
}

// reportDiffActions, inside GitHub Actions, sets the step outputs changed
// and out-dir and puts the diff into the job summary (the preview workflow
// shows it on pull requests to the code repository).
func reportDiffActions(c *cli.Context, lookup env, res *promote.DiffResult) error {
	gh := actionsRunner(c, lookup)
	if !gh.Enabled() {
		return nil
	}
	summary := "## kiln diff: env " + c.String("env") + "\n\nNo changes.\n"
	if res.Changed {
		summary = "## kiln diff: env " + c.String("env") + "\n\n" + ghactions.CodeBlock("diff", res.Unified(false))
	}
	return errors.Join(
		gh.SetOutput("changed", strconv.FormatBool(res.Changed)),
		gh.SetOutput("out-dir", ""),
		gh.Summary(summary))
}

func printDiffSummary(w io.Writer, res *promote.DiffResult) {
	if !res.Changed {
		fmt.Fprintf(w, "env %s: no differences against %s\n", res.Env, res.Against)
		return
	}
	fmt.Fprintf(w, "env %s: %d files differ from %s\n", res.Env, len(res.Changes), res.Against)
	apps := make([]string, 0, len(res.Apps))
	for a := range res.Apps {
		apps = append(apps, a)
	}
	sort.Strings(apps)
	for _, a := range apps {
		s := res.Apps[a]
		fmt.Fprintf(w, "  %-12s +%d ~%d -%d objects\n", a, s.Added, s.Changed, s.Removed)
	}
}
