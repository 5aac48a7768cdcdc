package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote"
)

// verifyCommand is kiln verify: does an env folder come from the source
// commit its lock names? Exit codes follow diff(1): 0 equal, 1 different,
// 2 trouble (it could not verify).
func verifyCommand(stdout, stderr io.Writer, lookup env, version string) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		UsageText: "kiln verify --env E [--against DIR|GIT-URL#REF] [--source-ref REV]",
		Usage:     "render the source commit and images an env's kiln.lock.json names again, and compare with the env folder byte for byte",
		Flags: []cli.Flag{
			configFlag(),
			&cli.StringSliceFlag{Name: "env", Usage: "environment to verify (one)", EnvVars: kilnEnv("env")},
			&cli.StringFlag{Name: "against", Usage: "DIR (holding DIR/<env>, like --out), or GIT-URL#REF / PATH#REF of a manifests repository, such as a pull request's head (default: manifests.repo at manifests.branch)", EnvVars: kilnEnv("against")},
			&cli.StringFlag{Name: "source-ref", Usage: "a revision of the code repository, such as origin/main, that the lock's source commit must be on; a commit off it (a fork's, an unmerged branch's) fails verification", EnvVars: kilnEnv("source-ref")},
			&cli.StringFlag{Name: "cache-dir", Usage: "where remote charts are cached (default: the user cache folder)", EnvVars: kilnEnv("cache-dir")},
			memoryLimitFlag(),
			tokenFlag(),
			outputFlag(),
		},
		Action: func(c *cli.Context) error {
			env, err := oneEnv(c)
			if err != nil {
				return err
			}
			if env == "" {
				return usagef("give the env to verify with --env")
			}
			if c.Args().Present() {
				return usagef("unexpected argument %q; the env to verify is chosen with --env", c.Args().First())
			}
			// renderSetup annotates its errors, annotateUsage the usage
			// mistakes.
			p, _, ropts, err := renderSetup(c, lookup, version)
			if err != nil {
				return &troubleError{err: err}
			}
			ids, err := sopsIdentities(lookup)
			if err != nil {
				annotate(actionsRunner(c, lookup), err)
				return &troubleError{err: err, annotated: true}
			}
			log := prefixed(stderr)
			if c.String("source-ref") == "" && inCI(lookup) {
				fmt.Fprintln(log, "note: no --source-ref: the source commit the lock names is trusted whatever branch it is on (a fork's commit too); give the code repository's protected branch, such as --source-ref origin/main")
			}
			res, err := promote.Verify(c.Context, p, promote.VerifyOptions{
				Env: env, Against: c.String("against"), SOPSIdentities: ids, SourceRef: c.String("source-ref"),
				LookupEnv: lookup, CacheDir: ropts.CacheDir, MemoryLimit: ropts.MemoryLimit, Version: version,
				Token: token(c, lookup), GitEnv: readGitEnv(lookup, userGit(c, lookup)), UserGitConfig: userGit(c, lookup),
				Log: log,
			})
			gh := actionsRunner(c, lookup)
			if err != nil {
				// Annotated as every command's errors are
				// (docs/github-actions.md).
				err = promoteErr(err)
				annotate(gh, err)
				return &troubleError{err: err, annotated: true}
			}
			if c.String("output") == "json" {
				if err := writeJSON(stdout, verifyReport{VerifyResult: res, Errors: []jsonError{}}); err != nil {
					return err
				}
			} else {
				// The folder's file names are whoever pushed there's:
				// quoted, none makes a line of its own.
				for _, f := range res.Files {
					fmt.Fprintf(stdout, "%s %s\n", f.Op, promote.QuotePath(f.Path))
				}
				for _, f := range res.Unverifiable {
					fmt.Fprintf(stdout, "unverifiable %s\n", promote.QuotePath(f))
				}
				printVerify(stderr, res)
			}
			if !res.Equal {
				return silent{errors.New("the env folder is not what its source commit renders")}
			}
			return nil
		},
	}
}

// maxAgeKeyFile bounds SOPS_AGE_KEY_FILE: a key file holds a few lines.
const maxAgeKeyFile = 1 << 20

// sopsIdentities reads the age identities sops reads from SOPS_AGE_KEY
// and SOPS_AGE_KEY_FILE (both, when both are set). None set is not an
// error: encrypted files that differ are then reported as unverifiable.
// No error repeats a key.
func sopsIdentities(lookup env) (sopsyaml.Identities, error) {
	var text strings.Builder
	if v, ok := lookup("SOPS_AGE_KEY"); ok {
		text.WriteString(v + "\n")
	}
	if p, ok := lookup("SOPS_AGE_KEY_FILE"); ok && p != "" {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("SOPS_AGE_KEY_FILE: %w", err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxAgeKeyFile+1))
		if err != nil {
			return nil, fmt.Errorf("SOPS_AGE_KEY_FILE: %w", err)
		}
		if len(data) > maxAgeKeyFile {
			return nil, fmt.Errorf("SOPS_AGE_KEY_FILE %s: larger than %d bytes, not an age key file", p, maxAgeKeyFile)
		}
		text.Write(data)
	}
	if strings.TrimSpace(text.String()) == "" {
		return nil, nil
	}
	ids, err := sopsyaml.ParseIdentities(text.String())
	if err != nil {
		return nil, fmt.Errorf("SOPS_AGE_KEY / SOPS_AGE_KEY_FILE: %w", err)
	}
	return ids, nil
}

func printVerify(w io.Writer, res *promote.VerifyResult) {
	switch {
	case res.OffSourceRef:
		fmt.Fprintf(w, "env %s: the source commit %s that %s's lock names is not on %s: no reviewed source renders this folder, so it was not rendered again\n", res.Env, res.SourceCommit, res.Against, res.SourceRef)
	case res.Equal:
		fmt.Fprintf(w, "env %s: %s is exactly what %s renders with the lock's images\n", res.Env, res.Against, res.SourceCommit)
	default:
		differ := func(n int) string { return map[bool]string{true: "differs", false: "differ"}[n == 1] }
		var what []string
		if n := len(res.Files); n > 0 || len(res.Unverifiable) == 0 {
			what = append(what, words.Count(n, "file")+" "+differ(n))
		}
		if n := len(res.Unverifiable); n > 0 {
			what = append(what, fmt.Sprintf("%s SOPS-encrypted %s and no key given (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE) decrypts %s to compare",
				words.Count(n, "file"), differ(n), map[bool]string{true: "it", false: "them"}[n == 1]))
		}
		fmt.Fprintf(w, "env %s: %s is not what %s renders with the lock's images: %s\n", res.Env, res.Against, res.SourceCommit, strings.Join(what, ", "))
	}
}

// verifyReport is verify's --output json document (docs/schemas/verify.json).
type verifyReport struct {
	*promote.VerifyResult
	Errors []jsonError `json:"errors"`
}
