package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/ghactions"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote"
	"github.com/kiln-gitops/kiln/render"
)

// diffCommand is kiln diff, in colour when rawStdout, the process's own
// stdout, is a terminal. stdout is the masking writer newApp puts in
// front of it, which never is one: asked, it kept every terminal
// uncoloured and sent it the other side's escape sequences as they are.
func diffCommand(stdout, stderr io.Writer, lookup env, version string, rawStdout io.Writer) *cli.Command {
	return diffCommandTerm(stdout, stderr, lookup, version, func(io.Writer) bool { return isTerminal(rawStdout) })
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

// diffReport is kiln diff's --output json document (docs/schemas/diff.json).
type diffReport struct {
	// Changed is true when any env differs.
	Changed bool                  `json:"changed"`
	Envs    []*promote.DiffResult `json:"envs"`
	// Warnings are what the diff printed as warning: lines.
	Warnings []jsonError `json:"warnings"`
	Errors   []jsonError `json:"errors"`
}

// diffCommandTerm is diffCommand with the terminal test injected.
func diffCommandTerm(stdout, stderr io.Writer, lookup env, version string, term func(io.Writer) bool) *cli.Command {
	flags := append(renderFlags(),
		&cli.StringFlag{Name: "against", Usage: "DIR (holding DIR/<env>, like --out), or GIT-URL[#REF] / PATH#REF of a manifests repository (default: manifests.repo at manifests.branch)", EnvVars: kilnEnv("against")},
		&cli.StringFlag{Name: "against-env", Usage: "another env of kiln.yaml: render both now and compare them object by object, namespaces and Flux names aligned (docs/promote.md)", EnvVars: kilnEnv("against-env")},
		&cli.BoolFlag{Name: "exit-code", Usage: "exit like diff(1): 0 no differences, 1 differences, 2 trouble", EnvVars: kilnEnv("exit-code")},
		tokenFlag(),
		appFlag(),
	)
	return &cli.Command{
		Name:      "diff",
		Usage:     "render envs and show what changes against the manifests repository (or --against)",
		UsageText: "kiln diff [--env E ...|--all] [--against DIR|GIT-URL[#REF]] [--exit-code]\n   kiln diff --env E --against-env F [--exit-code]",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			err := runDiff(c, stdout, stderr, lookup, version, term)
			if err != nil && c.Bool("exit-code") && !errors.Is(err, errDifferences) {
				return &troubleError{err: err}
			}
			return err
		},
	}
}

func runDiff(c *cli.Context, stdout, stderr io.Writer, lookup env, version string, term func(io.Writer) bool) error {
	p, envs, ropts, err := renderSetup(c, lookup, version)
	if err != nil {
		return err
	}
	againstEnv := strings.TrimSpace(c.String("against-env"))
	if againstEnv != "" {
		if err := checkAgainstEnv(c, p, envs, againstEnv); err != nil {
			return err
		}
	}
	if len(envs) == 0 {
		for _, e := range p.Environments {
			envs = append(envs, e.Name)
		}
	}
	// Each env renders with a Renderer of its own, and the images are
	// judged after them all: one reading of the --images files for every
	// one of them, as one render has.
	if ropts.Images, err = render.ReadImages(ropts.Images); err != nil {
		return usageFromRender(err)
	}
	// Several envs are judged together, as render --all judges them,
	// though each renders apart (judgeImages).
	ropts.JudgeImagesLater = len(envs) > 1 && againstEnv == ""
	rep := diffReport{Envs: []*promote.DiffResult{}}
	var errs []error
	session := &promote.DiffSession{}
	defer session.Close()
	var warned seenWarnings
	for _, e := range envs {
		res, err := promote.Diff(c.Context, p, promote.DiffOptions{
			Env:        e,
			Against:    c.String("against"),
			AgainstEnv: againstEnv,
			Render:     ropts,
			Token:      token(c, lookup),
			GitEnv:     readGitEnv(lookup, userGit(c, lookup)),
			Log:        prefixed(stderr),
			Session:    session,
			OnWarning:  warned.add,
			// Outside CI and without a token, the user's git.
			UserGitConfig: userGit(c, lookup),
		})
		if err != nil {
			// Against another env, either env's render may fail: each
			// error names its own env.
			for _, err := range diag.Flatten(err) {
				err = promoteErr(err)
				var ee *envError
				if !errors.As(err, &ee) {
					err = &envError{env: e, err: err}
				}
				errs = append(errs, err)
			}
			continue
		}
		rep.Envs = append(rep.Envs, res)
		rep.Changed = rep.Changed || res.Changed
	}
	if ropts.JudgeImagesLater && len(errs) == 0 {
		if err := judgeImages(ropts, &rep, prefixed(stderr), &warned); err != nil {
			errs = append(errs, err)
		}
	}
	err = errors.Join(errs...)
	// As render annotates: each error of an env on its own, under that
	// env's title (an env's error joins all of its apps').
	gh := actionsRunner(c, lookup)
	warned.annotate(gh)
	annotate(gh, err)
	if aerr := reportDiffActions(c, lookup, rep); aerr != nil {
		err = errors.Join(err, aerr)
	}
	if c.String("output") == "json" {
		rep.Errors = jsonErrors(err)
		rep.Warnings = warned.json()
		if jerr := jsonDocument(stdout, rep, err); jerr != nil {
			return jerr
		}
	} else {
		noColor, set := lookup("NO_COLOR")
		color := term(stdout) && !(set && noColor != "")
		if color {
			// From now on colour sequences on stdout are kiln's: the
			// coloured diff shows the other side's in caret notation.
			// Not turned off again: the masking writer may write its
			// last line out after this command returns.
			sinksOf(c.App).colors.Store(true)
		}
		for _, res := range rep.Envs {
			prefix := ""
			if len(envs) > 1 {
				prefix = res.Env + "/"
			}
			if _, werr := io.WriteString(stdout, res.UnifiedIn(prefix, color)); werr != nil {
				return werr
			}
			printDiffSummary(stderr, res)
		}
		if err != nil {
			return err
		}
	}
	if rep.Changed && c.Bool("exit-code") {
		return errDifferences
	}
	return nil
}

// judgeImages warns once of each given image that no app of rep's envs
// uses, as render warns with the last env of a run; under --strict that
// env fails as render's would, and its diff is left out. Nothing is said
// when an env failed: the run fails already, and any image may be its.
func judgeImages(ropts render.Options, rep *diffReport, log io.Writer, warned *seenWarnings) error {
	envs := make([]string, len(rep.Envs))
	used := make([]map[string]bool, len(rep.Envs))
	for i, res := range rep.Envs {
		envs[i], used[i] = res.Env, res.UsedImages()
	}
	warns, err := render.UnusedImages(ropts, envs, used)
	if err != nil {
		return usageFromRender(err)
	}
	if len(warns) == 0 {
		return nil
	}
	errs := make([]error, len(warns))
	for i, w := range warns {
		errs[i] = w.AsError()
		if !ropts.Strict {
			// Under Strict they are the last env's errors, said as such.
			fmt.Fprintf(log, "warning: %s\n", w.String())
			warned.add(rep.Envs[len(rep.Envs)-1].Env, w)
		}
	}
	if !ropts.Strict {
		return nil
	}
	last := rep.Envs[len(rep.Envs)-1]
	rep.Envs = rep.Envs[:len(rep.Envs)-1]
	rep.Changed = false
	for _, res := range rep.Envs {
		rep.Changed = rep.Changed || res.Changed
	}
	return &envError{env: last.Env, err: diag.Join(errs...)}
}

// checkAgainstEnv refuses --against-env with what it cannot go with: it
// compares one env (--env, once) with another env of kiln.yaml, and
// replaces --against.
func checkAgainstEnv(c *cli.Context, p *envconfig.Pipeline, envs []string, againstEnv string) error {
	if c.String("against") != "" {
		return usagef("give %s or %s, not both", flagRef(c, "against"), flagRef(c, "against-env"))
	}
	switch len(envs) {
	case 0:
		return usagef("--against-env compares one env with another; give one --env")
	case 1:
	default:
		return usagef("--against-env compares one env with another; give one --env, not %d", len(envs))
	}
	if err := checkEnvs(p, againstEnv); err != nil {
		return err
	}
	if envs[0] == againstEnv {
		return usagef("--against-env %s is --env itself; give another env", againstEnv)
	}
	return nil
}

// reportDiffActions, inside GitHub Actions, sets the step outputs changed
// and out-dir and puts each env's diff into the job summary (the preview
// workflow shows it on pull requests to the code repository).
func reportDiffActions(c *cli.Context, lookup env, rep diffReport) error {
	gh := actionsRunner(c, lookup)
	if !gh.Enabled() {
		return nil
	}
	var summary strings.Builder
	for _, res := range rep.Envs {
		summary.WriteString("## kiln diff: env " + res.Env)
		if res.AgainstEnv != "" {
			summary.WriteString(" against env " + res.AgainstEnv)
		}
		summary.WriteString("\n\n")
		if res.Changed {
			summary.WriteString(ghactions.CodeBlock("diff", res.Unified(false)))
		} else {
			summary.WriteString("No changes.\n")
		}
	}
	setOutput(c, "changed", strconv.FormatBool(rep.Changed))
	return gh.Summary(summary.String())
}

func printDiffSummary(w io.Writer, res *promote.DiffResult) {
	if !res.Changed {
		fmt.Fprintf(w, "env %s: no differences against %s\n", res.Env, res.Against)
		return
	}
	// Against another env, the changes are objects; else files.
	unit := "file"
	if res.AgainstEnv != "" {
		unit = "object"
	}
	fmt.Fprintf(w, "env %s: %s %s from %s\n", res.Env, words.Count(len(res.Changes), unit), map[bool]string{true: "differs", false: "differ"}[len(res.Changes) == 1], res.Against)
	writeAppChanges(w, res.Apps)
}

// writeAppChanges writes a line for each app of apps, by name, with its
// objects added, changed and removed: what diff and promote print.
func writeAppChanges(w io.Writer, apps map[string]promote.AppChanges) {
	names := make([]string, 0, len(apps))
	for a := range apps {
		names = append(names, promote.QuotePath(a))
	}
	width := nameColumn(names)
	for _, a := range slices.Sorted(maps.Keys(apps)) {
		s := apps[a]
		fmt.Fprintf(w, "  %-*s +%d ~%d -%d objects\n", width, promote.QuotePath(a), s.Added, s.Changed, s.Removed)
	}
}

// nameColumn is the width of a column of app names: 12, or the longest
// name's, so that the columns after it line up.
func nameColumn(names []string) int {
	width := 12
	for _, n := range names {
		width = max(width, utf8.RuneCountInString(n))
	}
	return width
}
