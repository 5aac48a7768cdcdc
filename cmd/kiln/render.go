package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/ghactions"
	"github.com/kiln-gitops/kiln/internal/gitinfo"
	"github.com/kiln-gitops/kiln/render"
)

// kilnEnv returns the KILN_<FLAG> variable of a flag name.
func kilnEnv(flag string) []string {
	return []string{"KILN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Value: "kiln.yaml", Usage: "the pipeline file; its folder is the repository root", EnvVars: kilnEnv("config")}
}

func outputFlag() cli.Flag {
	return &cli.StringFlag{Name: "output", Value: "text", Usage: "text, or json for one machine-readable document on stdout", EnvVars: kilnEnv("output")}
}

// renderFlags are shared by render, validate (and later diff and promote).
func renderFlags() []cli.Flag {
	return []cli.Flag{
		configFlag(),
		&cli.StringSliceFlag{Name: "env", Usage: "environment to render (repeatable)", EnvVars: kilnEnv("env")},
		&cli.BoolFlag{Name: "all", Usage: "render every environment (the default when no --env is given)", EnvVars: kilnEnv("all")},
		// KILN_IMAGES is the list of references itself (SPEC §1), so the
		// file flag reads KILN_IMAGES_FILE instead.
		&cli.StringSliceFlag{Name: "images", Usage: "JSON file of image references: a list, or an object from repository to tag or reference", EnvVars: kilnEnv("images-file")},
		&cli.StringSliceFlag{Name: "image", Usage: "image reference built by CI, repository:tag or repository@digest (repeatable)", EnvVars: kilnEnv("image")},
		&cli.BoolFlag{Name: "strict", Usage: "treat warnings as errors", EnvVars: kilnEnv("strict")},
		&cli.StringFlag{Name: "cache-dir", Usage: "where remote charts are cached (default: the user cache folder)", EnvVars: kilnEnv("cache-dir")},
		outputFlag(),
	}
}

// renderSetup turns flags into a loaded pipeline, the envs to render and
// render options.
func renderSetup(c *cli.Context, lookup env, version string) (*envconfig.Pipeline, []string, render.Options, error) {
	opts := render.DefaultOptions()
	envs := c.StringSlice("env")
	if len(envs) > 0 && c.Bool("all") {
		return nil, nil, opts, usagef("give --env or --all, not both")
	}
	if o := c.String("output"); o != "text" && o != "json" {
		return nil, nil, opts, usagef("--output must be text or json, not %q", o)
	}
	if c.Args().Present() {
		return nil, nil, opts, usagef("unexpected argument %q; environments are chosen with --env", c.Args().First())
	}
	p, err := envconfig.Load(c.String("config"))
	if err != nil {
		// kiln.yaml and env file errors, annotated on their lines in
		// GitHub Actions; report() prints them as text as well.
		actionsRunner(c, lookup).Error(err)
		return nil, nil, opts, err
	}
	list, _ := lookup("KILN_IMAGES")
	opts.Images = render.Images{Files: c.StringSlice("images"), Refs: c.StringSlice("image"), List: list}
	opts.Strict = c.Bool("strict")
	opts.Version = version
	opts.LookupEnv = lookup
	if gh := actionsRunner(c, lookup); gh.Enabled() {
		opts.OnSecrets = gh.Mask // before any line that could hold a value
	}
	if d := c.String("cache-dir"); d != "" {
		opts.CacheDir = d
	}
	info := gitinfo.Read(c.Context, p.Root)
	opts.Source = render.Source{Repo: info.Repo, Commit: info.Commit}
	return p, envs, opts, nil
}

func renderCommand(stdout, stderr io.Writer, lookup env, version string) *cli.Command {
	flags := append(renderFlags(),
		&cli.StringFlag{Name: "out", Value: "rendered", Usage: "output folder; each env goes to <out>/<env>", EnvVars: kilnEnv("out")},
		&cli.BoolFlag{Name: "force", Usage: "replace <out>/<env> even if kiln did not write it (it has no kiln.lock.json)", EnvVars: kilnEnv("force")})
	return &cli.Command{
		Name:  "render",
		Usage: "render environments into hydrated manifests under --out",
		Flags: flags,
		Action: func(c *cli.Context) error {
			p, envs, opts, err := renderSetup(c, lookup, version)
			if err != nil {
				return err
			}
			r, err := render.New(p, opts)
			if err != nil {
				return err
			}
			results, err := r.Render(c.Context, envs)
			if err != nil {
				return err
			}
			out := c.String("out")
			if err := write(c.Context, r, out, render.WriteOptions{Force: c.Bool("force")}, results); err != nil {
				return err
			}
			var errs []error
			for _, er := range results {
				if er.Err != nil {
					errs = append(errs, &envError{env: er.Env, err: er.Err})
				}
			}
			return finish(c, stdout, stderr, lookup, results, out, "rendered", errors.Join(errs...))
		},
	}
}

// write puts every env that rendered into out, together: all are staged
// first and swapped in at the end, so an interrupt or a failure before the
// swaps leaves every earlier tree as it was. An env whose tree cannot be
// staged gets the error; the others are still written. What writing
// noticed (an interrupted run's leftovers, an earlier tree left behind)
// becomes a warning of the first env.
func write(ctx context.Context, r *render.Renderer, out string, opts render.WriteOptions, results []*render.EnvResult) error {
	var ok []*render.EnvResult
	for _, er := range results {
		if er.Err == nil {
			ok = append(ok, er)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	w, err := r.OpenOutput(out, opts)
	if err != nil {
		return err
	}
	for _, er := range ok {
		if err := w.Stage(ctx, er); err != nil {
			if ctx.Err() != nil {
				return errors.Join(err, w.Close())
			}
			er.Err, er.Files = err, nil
		}
	}
	err = w.Commit(ctx)
	ok[0].Warnings = append(ok[0].Warnings, w.Warnings()...)
	return errors.Join(err, w.Close())
}

func validateCommand(stdout, stderr io.Writer, lookup env, version string) *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "render twice and check everything, writing nothing",
		Flags: renderFlags(),
		Action: func(c *cli.Context) error {
			p, envs, opts, err := renderSetup(c, lookup, version)
			if err != nil {
				return err
			}
			r, err := render.New(p, opts)
			if err != nil {
				return err
			}
			results, err := r.Validate(c.Context, envs)
			if err != nil {
				return err
			}
			var errs []error
			for _, er := range results {
				if er.Err != nil {
					errs = append(errs, &envError{env: er.Env, err: er.Err})
				}
			}
			return finish(c, stdout, stderr, lookup, results, "", "valid", errors.Join(errs...))
		},
	}
}

// envReport is one env in --output json.
type envReport struct {
	Env      string              `json:"env"`
	OK       bool                `json:"ok"`
	Out      string              `json:"out,omitempty"`
	Apps     []render.AppSummary `json:"apps"`
	Objects  int                 `json:"objects"`
	Files    int                 `json:"files"`
	Warnings []string            `json:"warnings"`
	Errors   []string            `json:"errors"`
}

// finish prints warnings and summaries. Text goes to stderr (progress);
// --output json puts one document on stdout. In GitHub Actions it also
// annotates errors and warnings, writes the job summary and sets the step
// outputs (see docs/github-actions.md); secret values were masked already,
// through render.Options.OnSecrets, as soon as each env read them.
func finish(c *cli.Context, stdout, stderr io.Writer, lookup env, results []*render.EnvResult, out, verb string, err error) error {
	gh := actionsRunner(c, lookup)
	var reports []envReport
	for _, er := range results {
		rep := envReport{Env: er.Env, OK: er.Err == nil, Apps: er.Apps, Warnings: []string{}, Errors: []string{}}
		if rep.Apps == nil {
			rep.Apps = []render.AppSummary{}
		}
		for _, a := range er.Apps {
			rep.Objects += a.Objects
		}
		rep.Files = len(er.Files)
		if out != "" && er.Err == nil {
			rep.Out = filepath.Join(out, er.Env)
		}
		for _, w := range er.Warnings {
			rep.Warnings = append(rep.Warnings, w.String())
		}
		if er.Err != nil {
			for _, e := range diag.Flatten(er.Err) {
				rep.Errors = append(rep.Errors, e.Error())
			}
		}
		reports = append(reports, rep)
	}
	if gh.Enabled() {
		if gerr := reportActions(gh, c.Command.Name, results, reports, out, c.Bool("strict")); gerr != nil {
			err = errors.Join(err, gerr)
		}
	}
	if c.String("output") == "json" {
		if jerr := writeJSON(stdout, map[string]any{"envs": reports}); jerr != nil {
			return jerr
		}
		if err != nil {
			return silent{err}
		}
		return nil
	}
	for _, rep := range reports {
		for _, w := range rep.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if !rep.OK {
			continue
		}
		where := ""
		if rep.Out != "" {
			where = " → " + rep.Out
		}
		fmt.Fprintf(stderr, "%s env %s%s: %d apps, %d objects, %d files\n", verb, rep.Env, where, len(rep.Apps), rep.Objects, rep.Files)
		for _, a := range rep.Apps {
			fmt.Fprintf(stderr, "  %-12s %-9s %3d objects\n", a.Name, a.Engine, a.Objects)
		}
	}
	return err
}

// actionsRunner returns the GitHub Actions reporter (nil outside Actions).
// Workflow commands go to stderr, which the runner reads like stdout;
// stdout stays for data.
func actionsRunner(c *cli.Context, lookup env) *ghactions.Runner {
	root, err := filepath.Abs(filepath.Dir(c.String("config")))
	if err != nil {
		root = filepath.Dir(c.String("config"))
	}
	return ghactions.FromEnv(lookup, c.App.ErrWriter).WithRoot(root)
}

// reportActions annotates each env's errors and warnings, appends the job
// summary and sets the step outputs changed (render and validate never
// change the manifests repository: false) and out-dir (render: the absolute
// --out folder; validate: empty). Under --strict the warnings are among
// the errors already, so they are annotated once, as errors.
func reportActions(gh *ghactions.Runner, command string, results []*render.EnvResult, reports []envReport, out string, strict bool) error {
	sums := make([]ghactions.EnvSummary, len(results))
	for i, er := range results {
		env := gh.ForEnv(er.Env)
		env.Error(er.Err)
		for _, w := range er.Warnings {
			if !strict {
				env.Warning(w)
			}
		}
		s := ghactions.EnvSummary{Env: er.Env, Out: reports[i].Out, Files: reports[i].Files, Warnings: er.Warnings, Err: er.Err}
		for _, a := range er.Apps {
			s.Apps = append(s.Apps, ghactions.AppRow{Name: a.Name, Engine: a.Engine, Objects: a.Objects, Files: a.Files})
		}
		sums[i] = s
	}
	outDir := ""
	if out != "" {
		abs, err := filepath.Abs(out)
		if err != nil {
			return fmt.Errorf("resolving --out: %w", err)
		}
		outDir = abs
	}
	return errors.Join(
		gh.Summary(ghactions.SummaryMarkdown(command, sums)),
		gh.SetOutput("changed", "false"),
		gh.SetOutput("out-dir", outDir),
	)
}

// silent is an error already reported (in the JSON document); main prints
// nothing more but still exits non-zero.
type silent struct{ err error }

func (s silent) Error() string { return s.err.Error() }
func (s silent) Unwrap() error { return s.err }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
