package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote"
)

// singleEnvFlags are render's flags without --all, for promote, which
// works on one env at a time. --env stays a list flag, as on every other
// command, so that a second --env (or KILN_ENV=dev,prod) is refused rather
// than silently replacing the first.
func singleEnvFlags(envUsage string) []cli.Flag {
	var flags []cli.Flag
	for _, f := range renderFlags() {
		switch f.Names()[0] {
		case "all":
			continue
		case "env":
			f = &cli.StringSliceFlag{Name: "env", Usage: envUsage, EnvVars: kilnEnv("env")}
		}
		flags = append(flags, f)
	}
	return flags
}

// oneEnv returns the single --env given, "" for none, and a usage error
// for several.
func oneEnv(c *cli.Context) (string, error) {
	envs := envNames(c)
	switch len(envs) {
	case 0:
		return "", nil
	case 1:
		return envs[0], nil
	}
	return "", usagef("%s works on one env at a time, not %s; run it once per env", c.Command.Name, strings.Join(envs, ", "))
}

func tokenFlag() cli.Flag {
	return &cli.StringFlag{Name: "token", Usage: "GitHub token for git over HTTPS and the API (never printed)",
		EnvVars: append(kilnEnv("token"), "GITHUB_TOKEN")}
}

// token returns --token, or KILN_TOKEN / GITHUB_TOKEN from lookup (urfave
// reads EnvVars from the process; tests pass their own lookup).
func token(c *cli.Context, lookup env) string {
	if t := c.String("token"); t != "" {
		return t
	}
	for _, k := range []string{"KILN_TOKEN", "GITHUB_TOKEN"} {
		if v, ok := lookup(k); ok && v != "" {
			return v
		}
	}
	return ""
}

// gitPassThrough are the variables git and ssh need from the process
// environment: where programs are, ssh agents and keys, proxies, CAs, and
// commit dates for reproducible commits. Everything else (git config and
// trace variables above all) is left out.
var gitPassThrough = []string{
	"PATH", "HOME", "USER", "TMPDIR", "SSH_AUTH_SOCK", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE",
}

func gitEnv(lookup env) []string {
	var out []string
	for _, k := range gitPassThrough {
		if v, ok := lookup(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// userGitPassThrough are the variables, besides gitPassThrough, that the
// user's git configuration and credential helpers read: where the
// configuration is, askpass programs, and what the common helpers need
// (libsecret's session bus, gpg and pass for Git Credential Manager's
// stores, gh's config folder).
var userGitPassThrough = []string{
	"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
	"XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "GIT_ASKPASS", "SSH_ASKPASS",
	"SSH_ASKPASS_REQUIRE", "GNUPGHOME", "GPG_TTY", "PASSWORD_STORE_DIR", "GH_CONFIG_DIR", "GH_HOST",
	"GCM_CREDENTIAL_STORE", "GCM_PLAINTEXT_STORE_PATH", "GCM_INTERACTIVE",
}

// readGitEnv is the environment git reads a manifests repository with:
// with userGit, the user's own git configuration comes along (the
// variables above and GIT_CONFIG_COUNT's entries), else only
// gitPassThrough.
func readGitEnv(lookup env, userGit bool) []string {
	out := gitEnv(lookup)
	if !userGit {
		return out
	}
	for _, k := range userGitPassThrough {
		if v, ok := lookup(k); ok {
			out = append(out, k+"="+v)
		}
	}
	if n, ok := lookup("GIT_CONFIG_COUNT"); ok {
		out = append(out, "GIT_CONFIG_COUNT="+n)
		count, _ := strconv.Atoi(n)
		for i := range count {
			for _, k := range []string{"GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"} {
				if v, ok := lookup(k + strconv.Itoa(i)); ok {
					out = append(out, k+strconv.Itoa(i)+"="+v)
				}
			}
		}
	}
	return out
}

// userGit reports whether git may read a manifests repository with the
// user's own configuration (url.insteadOf, credential helpers, ssh
// settings), as the user's git would: only on a person's machine, that is
// with no token given and not in CI. In CI, or with a token, git runs
// isolated, so that no runner setting can change what is read or send the
// token elsewhere (docs/promote.md).
func userGit(c *cli.Context, lookup env) bool {
	return token(c, lookup) == "" && !inCI(lookup)
}

// inCI reports whether kiln runs in CI: GITHUB_ACTIONS=true, or CI set to
// anything but "", "0" or "false" (GitHub Actions, GitLab, CircleCI,
// Buildkite, Jenkins' plugins and most others set CI=true).
func inCI(lookup env) bool {
	if v, _ := lookup("GITHUB_ACTIONS"); v == "true" {
		return true
	}
	v, _ := lookup("CI")
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

func promoteCommand(stdout, stderr io.Writer, lookup env, version string) *cli.Command {
	flags := append(singleEnvFlags("environment to promote"),
		&cli.StringFlag{Name: "from", Usage: "promote --to with this env's images, once it is healthy", EnvVars: kilnEnv("from")},
		&cli.StringFlag{Name: "to", Usage: "the env to promote --from into", EnvVars: kilnEnv("to")},
		&cli.StringSliceFlag{Name: "rendered", Usage: "take the tree from DIR/<env> (as kiln render --out DIR wrote it) instead of rendering; repeat it for the folders of kiln render --shard, which are merged", EnvVars: kilnEnv("rendered")},
		&cli.BoolFlag{Name: "dry-run", Usage: "do everything but push and open the pull request; print its body", EnvVars: kilnEnv("dry-run")},
		&cli.DurationFlag{Name: "wait", Usage: "with --from: poll the previous env's health this long at most, GitHub's retries included (such as 10m)", EnvVars: kilnEnv("wait")},
		tokenFlag(),
		&cli.StringFlag{Name: "github-api", Usage: "GitHub REST API URL, for GitHub Enterprise (https://HOST/api/v3/)", EnvVars: kilnEnv("github-api")},
		&cli.BoolFlag{Name: "allow-mass-delete", Usage: "allow removing every app of the env, or more than half of its objects", EnvVars: kilnEnv("allow-mass-delete")},
		&cli.BoolFlag{Name: "allow-dirty", Usage: "promote a render of a working tree with uncommitted changes (kiln.lock.json: source.dirty)", EnvVars: kilnEnv("allow-dirty")},
		&cli.BoolFlag{Name: "replace-foreign-commits", Usage: "pr mode: replace kiln/<env> although it holds commits kiln did not make (a reviewer's)", EnvVars: kilnEnv("replace-foreign-commits")},
		&cli.BoolFlag{Name: "allow-older-source", Usage: "replace an env rendered from a newer source commit (a rollback on purpose)", EnvVars: kilnEnv("allow-older-source")},
		&cli.BoolFlag{Name: "allow-other-repo", Usage: "replace an env rendered from another code repository (the env moved to this one on purpose)", EnvVars: kilnEnv("allow-other-repo")},
	)
	return &cli.Command{
		Name:      "promote",
		UsageText: "kiln promote --env E | --from E --to E [--rendered DIR ... | render's flags] [--dry-run] [--wait D]\n   [--token T] [--github-api URL] [--allow-mass-delete]",
		Usage:     "put an env's render into the manifests repository, as a pull request or a push",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			env, err := oneEnv(c)
			if err != nil {
				return err
			}
			from, to := c.String("from"), c.String("to")
			switch {
			case env != "" && (from != "" || to != ""):
				return usagef("give --env, or --from and --to, not both")
			case env == "" && from == "" && to == "":
				return usagef("give --env E, or --from E --to E")
			case env == "" && (from == "" || to == ""):
				return usagef("--from and --to go together: give both, as in --from dev --to staging")
			case from != "" && len(c.StringSlice("rendered")) > 0:
				return usagef("--rendered cannot be used with --from: the env is rendered with the images of --from")
			case from != "" && (len(c.StringSlice("image")) > 0 || len(c.StringSlice("images")) > 0):
				return usagef("--image and --images cannot be used with --from: the images come from the kiln.lock.json of --from")
			case len(c.StringSlice("rendered")) > 0 && (cliGiven(c, lookup, "image") || cliGiven(c, lookup, "images")):
				// The tree is rendered already, with its images in it: an
				// --image here would be dropped without a word.
				return usagef("--image and --images cannot be used with --rendered: the tree under --rendered has its images already; give them to kiln render, or leave out --rendered")
			case from == "" && cliGiven(c, lookup, "wait"):
				return usagef("--wait goes with --from: it polls the health of the env promoted from")
			}
			p, _, ropts, err := renderSetup(c, lookup, version)
			if err != nil {
				return err
			}
			if err := checkEnvs(p, from, to); err != nil {
				return err
			}
			if err := checkFromTo(p, from, to); err != nil {
				return err
			}
			var warned seenWarnings
			opts := promote.Options{
				Env: env, From: from, To: to,
				Rendered:              first(c.StringSlice("rendered")),
				RenderedShards:        rest(c.StringSlice("rendered")),
				Render:                ropts,
				DryRun:                c.Bool("dry-run"),
				Wait:                  c.Duration("wait"),
				Token:                 token(c, lookup),
				GitHubAPI:             c.String("github-api"),
				AllowMassDelete:       c.Bool("allow-mass-delete"),
				AllowDirty:            c.Bool("allow-dirty"),
				AllowOlderSource:      c.Bool("allow-older-source"),
				AllowOtherRepo:        c.Bool("allow-other-repo"),
				ReplaceForeignCommits: c.Bool("replace-foreign-commits"),
				Log:                   prefixed(stderr),
				OnWarning:             warned.add,
				GitEnv:                gitEnv(lookup),
			}
			res, err := promote.Promote(c.Context, p, opts)
			err = promoteErr(err)
			return errors.Join(printPromote(c, stdout, stderr, res, err), reportPromoteActions(c, lookup, res, err, &warned))
		},
	}
}

// reportPromoteActions, inside GitHub Actions, annotates warnings and
// errors, sets the step outputs changed, pr-url and pr-number (runApp
// writes them, or their values for a failure when res is nil), and puts
// the PR body (app table, graph, diffs) into the job summary. It returns only errors of writing
// the summary; err itself is already reported.
func reportPromoteActions(c *cli.Context, lookup env, res *promote.Result, err error, warned *seenWarnings) error {
	gh := actionsRunner(c, lookup)
	if !gh.Enabled() {
		return nil
	}
	warned.annotate(gh)
	annotate(gh, err)
	if res == nil {
		return nil
	}
	// A change counts once it is on the remote: a refused push or a
	// guard's refusal leaves res.Commit empty.
	setOutput(c, "changed", strconv.FormatBool(res.Changed && !res.DryRun && res.Commit != ""))
	setOutput(c, "pr-url", res.PRURL)
	if res.PRNumber != 0 {
		setOutput(c, "pr-number", strconv.Itoa(res.PRNumber))
	}
	return gh.Summary(res.Body)
}

// promoteErr maps promote's error types to the CLI's exit codes, each
// error err joins on its own: errors.As would map the first and drop the
// rest (verify joins its render's error with a failure to set the step's
// outputs).
func promoteErr(err error) error {
	if leaves := diag.Flatten(err); len(leaves) > 1 {
		for i, e := range leaves {
			leaves[i] = promoteErr(e)
		}
		return errors.Join(leaves...)
	}
	err = usageFromRender(err)
	if errors.Is(err, promote.ErrAmbiguousRef) || errors.Is(err, promote.ErrMalformedRef) || errors.Is(err, promote.ErrNoFolder) {
		// A #REF that abbreviates several commits, or names none (an
		// option, a revision expression), or a folder that is not
		// there: the command line must say which.
		return &usageError{err: err}
	}
	var re *promote.RenderError
	if errors.As(err, &re) {
		return &envError{env: re.Env, err: re.Err}
	}
	var ge *promote.GateError
	if errors.As(err, &ge) {
		return &gateError{err: err}
	}
	return err
}

// promoteReport is promote's --output json document
// (docs/schemas/promote.json); the GitHub Action turns its fields into
// step outputs.
type promoteReport struct {
	*promote.Result
	Body   string      `json:"body,omitempty"`
	Errors []jsonError `json:"errors"`
}

func printPromote(c *cli.Context, stdout, stderr io.Writer, res *promote.Result, err error) error {
	if c.String("output") == "json" {
		rep := promoteReport{Result: res, Errors: jsonErrors(err)}
		if res == nil {
			rep.Result = &promote.Result{Apps: map[string]promote.AppChanges{}}
		}
		if rep.Files == nil {
			rep.Files = []promote.FileChange{}
		}
		if res != nil && res.DryRun {
			rep.Body = res.Body
		}
		return jsonDocument(stdout, rep, err)
	}
	if res == nil {
		return err
	}
	if res.DryRun && res.Body != "" {
		fmt.Fprint(stdout, res.Body)
		if !strings.HasSuffix(res.Body, "\n") {
			fmt.Fprintln(stdout)
		}
	}
	if err != nil {
		return err
	}
	out := stdout
	if res.DryRun {
		out = stderr // stdout holds the body alone
	}
	verb := ""
	switch {
	case !res.Changed:
		verb = "nothing to promote"
		if res.ClosedPR != 0 {
			verb += fmt.Sprintf("; closed pull request #%d", res.ClosedPR)
		}
	case res.DryRun:
		verb = fmt.Sprintf("would commit %s to %s (dry run)", words.Count(len(res.Files), "changed file"), res.Branch)
	case res.PRNumber != 0:
		verb = fmt.Sprintf("pull request #%d %s", res.PRNumber, res.PRURL)
	default:
		verb = fmt.Sprintf("pushed %s at %s", res.Branch, res.Commit)
	}
	fmt.Fprintf(out, "env %s: %s\n", res.Env, verb)
	writeAppChanges(stderr, res.Apps)
	return nil
}

// prefixed writes promote's progress lines to stderr as "kiln: ...". A
// warning ("warning: …"), a note ("note: …", as kiln init prints them)
// and the indented lines that continue a line (a
// warning's "  hint: …") are written as they are, as render writes its
// warnings and report its errors' hints: "kiln: warning:" and
// "kiln:   hint:" read as another kind of line than render's, and a
// script that looks for "^warning: " found none of diff's or promote's.
// The package writes each warning with its hint in one Write.
func prefixed(w io.Writer) io.Writer { return &prefixWriter{w: w, start: true} }

type prefixWriter struct {
	w     io.Writer
	start bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	// Byte by byte: a name in a line may not be UTF-8, and its bytes go
	// on as they are (the sink shows them in caret notation).
	var buf bytes.Buffer
	for i, c := range b {
		if p.start {
			if !bytes.HasPrefix(b[i:], []byte("warning: ")) && !bytes.HasPrefix(b[i:], []byte("note: ")) && c != ' ' && c != '\t' {
				buf.WriteString("kiln: ")
			}
			p.start = false
		}
		buf.WriteByte(c)
		if c == '\n' {
			p.start = true
		}
	}
	if _, err := p.w.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// first and rest split a list flag: --rendered's first folder, and the
// other shards.
func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

func rest(l []string) []string {
	if len(l) < 2 {
		return nil
	}
	return l[1:]
}

// checkFromTo refuses, as usage mistakes (exit 2), --from and --to that
// kiln.yaml's promotion order rules out (promote.CheckOrder). promote
// checks the same, but it cannot tell a wrong command line from a failed
// promotion, and a script should not retry either.
func checkFromTo(p *envconfig.Pipeline, from, to string) error {
	if from == "" {
		return nil
	}
	if err := promote.CheckOrder(p, from, to); err != nil {
		return &usageError{err: err}
	}
	return nil
}

// cliGiven reports whether flag name was given on the command line rather
// than only by its KILN_ variable (a list flag: has values from it): a job
// may set KILN_IMAGE or KILN_WAIT for every step, the render and the
// promote --rendered after it alike, or promote --env and --from alike.
// The flags that only go with others are refused when given, not when a
// job's environment names them.
func cliGiven(c *cli.Context, lookup env, name string) bool {
	if !c.IsSet(name) || (name == "image" || name == "images") && len(c.StringSlice(name)) == 0 {
		return false
	}
	envName := kilnEnv(name)[0]
	if name == "images" {
		envName = "KILN_IMAGES_FILE"
	}
	v, ok := lookup(envName)
	return !ok || v == ""
}
