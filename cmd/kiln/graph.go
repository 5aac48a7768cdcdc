package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/render"
)

// graphCommand prints an env's app graph; it renders nothing.
func graphCommand(stdout, _ io.Writer, _ env, version string) *cli.Command {
	return &cli.Command{
		Name:      "graph",
		Usage:     "print the apps of an environment, their dependsOn and deploy waves",
		UsageText: "kiln graph [--env E] [--format text|mermaid|dot|json]",
		Flags: []cli.Flag{
			configFlag(),
			&cli.StringFlag{Name: "env", Usage: "environment (default: the first of kiln.yaml)", EnvVars: kilnEnv("env")},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, mermaid, dot or json", EnvVars: kilnEnv("format")},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unexpected argument %q; the environment is chosen with --env", c.Args().First())
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
			p, err := envconfig.Load(c.String("config"))
			if err != nil {
				return err
			}
			opts := render.DefaultOptions()
			opts.Version = version
			r, err := render.New(p, opts)
			if err != nil {
				return err
			}
			e := c.String("env")
			if e == "" && len(p.Environments) > 0 {
				e = p.Environments[0].Name
			}
			g, err := r.Graph(e)
			if err != nil {
				return &envError{env: e, err: err}
			}
			out, err := g.Format(format, nil)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(stdout, out)
			return err
		},
	}
}
