package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/render"
)

// graphCommand prints the app graph of one or more envs; it renders
// nothing.
func graphCommand(stdout, stderr io.Writer, lookup env, version string) *cli.Command {
	return &cli.Command{
		Name:      "graph",
		Usage:     "print the apps of environments, their dependsOn and deploy waves",
		UsageText: "kiln graph [--env E ...] [--format text|mermaid|dot|json]",
		Flags: []cli.Flag{
			configFlag(),
			&cli.StringSliceFlag{Name: "env", Usage: "environment, repeatable (default: the first of kiln.yaml); mermaid and dot take one", EnvVars: kilnEnv("env")},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, mermaid, dot or json", EnvVars: kilnEnv("format")},
			outputFlag(),
			// graph renders nothing, so render's --app text (the other
			// apps kept from the earlier render) would mislead here.
			&cli.StringSliceFlag{Name: "app", Usage: "show only this app (repeatable), with its edges to the others; the waves keep their numbers", EnvVars: kilnEnv("app")},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unexpected argument %q; environments are chosen with --env", c.Args().First())
			}
			if err := checkOutput(c); err != nil {
				return err
			}
			format := c.String("format")
			if format == "" { // KILN_FORMAT set but empty
				format = "text"
			}
			switch format {
			case "text", "mermaid", "dot", "json":
			default:
				return usagef("--format must be text, mermaid, dot or json, not %q", format)
			}
			if c.String("output") == "json" {
				if c.IsSet("format") && format != "json" && format != "text" {
					return usagef("--output json and --format %s conflict; give one of them", format)
				}
				format = "json"
			}
			envs := envNames(c)
			if len(envs) > 1 && (format == "mermaid" || format == "dot") {
				return usagef("--format %s draws one env; give one --env, not %d", format, len(envs))
			}
			p, err := loadPipeline(c)
			if err != nil {
				// As renderSetup does for the other commands.
				annotate(actionsRunner(c, lookup), err)
				return err
			}
			if err := checkEnvs(p, envs...); err != nil {
				return err
			}
			if len(envs) == 0 && len(p.Environments) > 0 {
				envs = []string{p.Environments[0].Name}
			}
			apps, err := appsOf(c, p)
			if err != nil {
				return err
			}
			opts := render.DefaultOptions()
			opts.Version = version
			// For the warning render gives of an app the env disables.
			opts.Apps = apps
			r, err := render.New(p, opts)
			if err != nil {
				return err
			}
			defer r.Close()
			var graphs []*render.AppGraph
			var errs []error
			for _, e := range envs {
				g, err := r.Graph(e)
				if err != nil {
					errs = append(errs, &envError{env: e, err: err})
					continue
				}
				if len(apps) > 0 {
					g = g.Only(apps)
				}
				graphs = append(graphs, g)
			}
			// On stderr in every format, as render's text: the graph
			// on stdout stays what its schema says.
			for _, g := range graphs {
				for _, w := range g.Warnings() {
					fmt.Fprintf(stderr, "warning: %s\n", w.String())
				}
			}
			err = errors.Join(errs...)
			gh := actionsRunner(c, lookup)
			if err != nil {
				annotate(gh, err)
			}
			if format == "json" {
				return jsonDocument(stdout, graphReport{Envs: orEmpty(graphs), Errors: jsonErrors(err)}, err)
			}
			for i, g := range graphs {
				if i > 0 {
					fmt.Fprintln(stdout)
				}
				out, ferr := g.Format(format, nil)
				if ferr != nil {
					return ferr
				}
				if _, werr := fmt.Fprint(stdout, out); werr != nil {
					return werr
				}
			}
			return err
		},
	}
}

// graphReport is kiln graph's JSON document (docs/schemas/graph.json).
type graphReport struct {
	Envs   []*render.AppGraph `json:"envs"`
	Errors []jsonError        `json:"errors"`
}
