package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/envconfig/scaffold"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
)

// initReport is kiln init's --output json document (docs/schemas/init.json).
type initReport struct {
	// File is the kiln.yaml written ("" when none was).
	File string `json:"file"`
	*scaffold.Result
	Errors []jsonError `json:"errors"`
}

// initCommand is kiln init: a kiln.yaml for what the repository holds.
func initCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "write a kiln.yaml naming the Helm charts, kustomizations, Jsonnet entry points and YAML folders found here",
		UsageText: "kiln init [--config FILE] [--force]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Value: "kiln.yaml", Usage: "the file to write; the apps are looked for in its folder and below", EnvVars: kilnEnv("config")},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing file", EnvVars: kilnEnv("force")},
			outputFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unexpected argument %q; kiln init looks in the folder of --config (the current one by default)", c.Args().First())
			}
			file := c.String("config")
			res, err := runInit(c.Context, file, c.Bool("force"))
			if c.String("output") == "json" {
				rep := initReport{Result: res, Errors: jsonErrors(err)}
				if err == nil {
					rep.File = file
				}
				if res == nil {
					rep.Result = &scaffold.Result{Envs: []string{}, Apps: []scaffold.App{}, Notes: []scaffold.Note{}}
				}
				return jsonDocument(stdout, rep, err)
			}
			if err != nil {
				return err
			}
			printInit(stdout, stderr, file, res)
			return nil
		},
	}
}

func runInit(ctx context.Context, file string, force bool) (*scaffold.Result, error) {
	if err := notInGitDir("--config", file, "kiln.yaml"); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		// A wrong --config, as a --config naming no file is on the
		// other commands; init looks through this folder, and makes none.
		return nil, &usageError{err: &diag.Error{File: filepath.Dir(file), Msg: "--config " + file + ": its folder does not exist or is not a folder",
			Hint: "give --config a file in an existing folder, the repository's root"}}
	}
	if fi, err := os.Lstat(file); err == nil && fi.IsDir() {
		// --force cannot replace a folder: saying "pass --force" sent the
		// user to a rename error.
		return nil, &usageError{err: &diag.Error{File: file, Msg: "is a folder; --config names the file kiln init writes",
			Hint: "give --config a file name, such as " + filepath.Join(file, "kiln.yaml")}}
	} else if err == nil && !force {
		return nil, &usageError{err: &diag.Error{File: file, Msg: "already exists; kiln init does not overwrite it",
			Hint: "pass --force to replace it, or --config FILE to write another file"}}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &diag.Error{File: file, Msg: "cannot check the file: " + err.Error(), Err: err}
	}
	res, err := scaffold.Scan(ctx, root)
	if err != nil && ctx.Err() != nil {
		return nil, err // the interrupt, as main reports it
	}
	if err != nil {
		return nil, &diag.Error{File: filepath.Dir(file), Msg: "cannot look through the folder: " + err.Error(), Err: err}
	}
	if err := writeInit(file, res.YAML(), force); err != nil {
		var pe *fs.PathError
		if !force && errors.As(err, &pe) && errors.Is(err, fs.ErrExist) {
			// Created since the check above: still never overwritten.
			return nil, &usageError{err: &diag.Error{File: file, Msg: "already exists; kiln init does not overwrite it",
				Hint: "pass --force to replace it, or --config FILE to write another file"}}
		}
		return nil, &diag.Error{File: file, Msg: "cannot write: " + err.Error(), Err: err}
	}
	return res, nil
}

// writeInit writes data to file without ever writing through what is
// already there. Without force the file must not exist when it is created
// (O_EXCL, which also refuses a symlink, dangling or not). With force the
// bytes go to a new file that is renamed over the old name: a kiln.yaml
// that is a symlink is replaced by a file, and the file it pointed at
// (perhaps outside the repository) is left alone.
func writeInit(file string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(file)
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".kiln-init-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; left only on failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// printInit lists what was found on stdout, and what was left out, with
// the reason, on stderr. Paths are quoted as git quotes them (QuotePath):
// they are the repository's folder names, and a line break in one would
// start a line that reads as another app or note.
func printInit(stdout, stderr io.Writer, file string, res *scaffold.Result) {
	fmt.Fprintf(stdout, "wrote %s: %s, %s\n", diag.QuotePath(file), words.Count(len(res.Apps), "app"), words.Count(len(res.Envs), "environment"))
	names := make([]string, len(res.Apps))
	for i, a := range res.Apps {
		names[i] = a.Name
	}
	width := max(20, nameColumn(names))
	for _, a := range res.Apps {
		fmt.Fprintf(stdout, "  %-*s %-9s %s\n", width, a.Name, a.Engine, diag.QuotePath(a.Path))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(stderr, "note: %s: %s\n", diag.QuotePath(n.Path), n.Message)
	}
	if len(res.Apps) == 0 {
		// kiln validate refuses a kiln.yaml without apps: "check it,
		// then run kiln validate" sent the user (open-telemetry/opentelemetry-demo,
		// whose Kubernetes manifests moved to another repository) to
		// an error about a line of the file init had just written.
		fmt.Fprintf(stdout, "next: init found no app (docs/init.md says what it looks for): list yours under apps: in %s, then run kiln validate\n", diag.QuotePath(file))
		return
	}
	fmt.Fprintf(stdout, "next: check it, then run kiln validate\n")
}
