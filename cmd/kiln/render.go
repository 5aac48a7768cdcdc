package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/cachedir"
	"github.com/kiln-gitops/kiln/internal/carry"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/ghactions"
	"github.com/kiln-gitops/kiln/internal/gitinfo"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote"
	"github.com/kiln-gitops/kiln/render"
)

// kilnEnv returns the KILN_<FLAG> variable of a flag name.
func kilnEnv(flag string) []string {
	return []string{"KILN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Usage: "the pipeline file; its folder is the repository root (default: kiln.yaml in the current folder or the nearest parent)", EnvVars: kilnEnv("config")}
}

// configFile is --config, or else kiln.yaml in the current folder or the
// nearest folder above it, found the way git finds .git. The error says
// where kiln looked.
func configFile(c *cli.Context) (string, error) {
	if f := c.String("config"); f != "" {
		return f, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding kiln.yaml: %w", err)
	}
	for dir := wd; ; {
		f := filepath.Join(dir, "kiln.yaml")
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			if dir == wd {
				return "kiln.yaml", nil // relative, so messages stay short
			}
			return f, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", &diag.Error{Msg: fmt.Sprintf("no kiln.yaml in %s or any folder above it", wd),
				Hint: "run kiln inside the code repository, or give the pipeline file with --config FILE"}
		}
		dir = parent
	}
}

// loadPipeline reads the pipeline file configFile names. No pipeline file
// found, and a --config that names no readable file (absent, a folder), are
// usage mistakes (exit 2), as an --images path that names nothing is: the
// command line, not the repository, is what to fix. A file that reads but
// is no valid pipeline stays a failure (exit 1).
func loadPipeline(c *cli.Context) (*envconfig.Pipeline, error) {
	f, err := configFile(c)
	if err != nil {
		return nil, &usageError{err: err}
	}
	p, err := envconfig.Load(f)
	if errors.Is(err, envconfig.ErrUnreadable) {
		var de *diag.Error
		if c.String("config") != "" && errors.As(err, &de) {
			// The default hint tells to pass --config, which was.
			de.Hint = "check the " + flagRef(c, "config") + " path: it names the pipeline file, kiln.yaml"
		}
		return nil, &usageError{err: err}
	}
	return p, err
}

// envNames are the --env values (repeated, comma-separated, or KILN_ENV),
// without empty ones: KILN_ENV= means no env given.
func envNames(c *cli.Context) []string { return listFlag(c, "env") }

// listFlag returns the values of a repeatable flag without blanks, leaving
// out empty ones: KILN_ENV or KILN_APP "a,,b" (a workflow building the
// list from inputs) names a and b. A value given twice counts once, in the
// place it is first given: --env dev --env dev renders dev once.
func listFlag(c *cli.Context, flag string) []string {
	var out []string
	for _, e := range c.StringSlice(flag) {
		if e = strings.TrimSpace(e); e != "" && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// checkOutput refuses an --output other than text or json.
func checkOutput(c *cli.Context) error {
	// "" is KILN_OUTPUT set but empty, as a workflow's env: with an
	// unset input leaves it: the default, like KILN_FORMAT in graph.
	if o := c.String("output"); o != "text" && o != "json" && o != "" {
		return usagef("--output must be text or json, not %q", o)
	}
	return nil
}

// usageFromRender makes a malformed --image, --images file or KILN_IMAGES
// a usage error (exit 2).
func usageFromRender(err error) error {
	var ie *render.ImagesError
	if errors.As(err, &ie) {
		return &usageError{err: ie.Err}
	}
	return err
}

// checkEnvs makes an unknown env name a usage error (exit 2), with the
// names kiln.yaml has.
func checkEnvs(p *envconfig.Pipeline, names ...string) error {
	var errs []error
	for _, n := range names {
		if n == "" {
			continue
		}
		if _, err := p.Env(n); err != nil {
			errs = append(errs, err)
		}
	}
	if err := diag.Join(errs...); err != nil {
		return &usageError{err: err}
	}
	return nil
}

func outputFlag() cli.Flag {
	return &cli.StringFlag{Name: "output", Value: "text", Usage: "text, or json for one machine-readable document on stdout", EnvVars: kilnEnv("output")}
}

// defaultTimeout is generous: a render of hundreds of apps takes seconds.
// It exists so that an endless template in a pull request ends the CI job
// with an error instead of holding a runner (and its tokens) for hours.
const defaultTimeout = 10 * time.Minute

// renderContext bounds one render by --timeout.
func renderContext(c *cli.Context) (context.Context, context.CancelFunc) {
	if d := c.Duration("timeout"); d > 0 {
		return context.WithTimeout(c.Context, d)
	}
	return context.WithCancel(c.Context)
}

// timedOut names --timeout in an error the deadline caused.
func timedOut(c *cli.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the render took longer than --timeout %s (KILN_TIMEOUT): %w", c.Duration("timeout"), err)
	}
	return err
}

// memoryLimitFlag is --memory-limit, on every command that renders.
func memoryLimitFlag() cli.Flag {
	return &cli.StringFlag{Name: "memory-limit", Value: "4Gi", Usage: "cap the memory of each Helm, Jsonnet or kustomize evaluation (512Mi, 8Gi); a render past it fails, exit 1", EnvVars: kilnEnv("memory-limit")}
}

// memoryLimit parses --memory-limit as a Kubernetes quantity, as a
// container's memory limit is written. A sandbox worker maps 80-90 MiB
// before it renders anything and refuses a cap below what it uses
// (internal/sandbox), so a smaller limit is refused here, before a render
// starts.
func memoryLimit(s string) (int64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Value() < 128<<20 {
		return 0, usagef("--memory-limit %q: give a size of at least 128Mi, such as 512Mi or 8Gi", s)
	}
	return q.Value(), nil
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
		&cli.DurationFlag{Name: "timeout", Value: defaultTimeout, Usage: "stop a render that takes longer (an endless template); exit 1", EnvVars: kilnEnv("timeout")},
		memoryLimitFlag(),
		&cli.StringFlag{Name: "cache-dir", Usage: "kiln's cache: remote charts, and in DIR/renders the render cache (default: the user cache folder)", EnvVars: kilnEnv("cache-dir")},
		&cli.BoolFlag{Name: "no-cache", Usage: "render every app afresh, neither reading nor writing the render cache", EnvVars: kilnEnv("no-cache")},
		outputFlag(),
	}
}

// appFlag is --app, on render, validate, diff and graph.
func appFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "app", Usage: "render only this app (repeatable); the env's other apps are kept as the earlier render has them", EnvVars: kilnEnv("app")}
}

// appsOf returns --app's names, checked against kiln.yaml: an unknown
// name is a usage error with the closest app name.
func appsOf(c *cli.Context, p *envconfig.Pipeline) ([]string, error) {
	apps := listFlag(c, "app")
	if err := render.CheckApps(p, apps); err != nil {
		return nil, &usageError{msg: "--app: " + err.Error()}
	}
	return apps, nil
}

// renderSetup turns flags into a loaded pipeline, the envs to render and
// render options.
func renderSetup(c *cli.Context, lookup env, version string) (_ *envconfig.Pipeline, _ []string, opts render.Options, err error) {
	defer func() {
		// kiln.yaml's and the env files' errors (on their lines), an
		// unreadable SOPS_AGE_KEY_FILE: annotated in GitHub Actions as a
		// render's errors are, and printed by report() as text as well.
		// annotateUsage annotates the usage mistakes.
		var ue *usageError
		if err != nil && !errors.As(err, &ue) {
			annotate(actionsRunner(c, lookup), err)
		}
	}()
	opts = render.DefaultOptions()
	envs := envNames(c)
	if len(envs) > 0 && c.Bool("all") {
		return nil, nil, opts, usagef("give %s or %s, not both", flagRef(c, "env"), flagRef(c, "all"))
	}
	if err := checkOutput(c); err != nil {
		return nil, nil, opts, err
	}
	// A negative duration would silently mean "no limit" (--timeout) or
	// "do not poll" (--wait): a typo, not a choice.
	for _, name := range []string{"timeout", "wait"} {
		if d := c.Duration(name); d < 0 {
			return nil, nil, opts, usagef("--%s %s is negative; give a duration such as 10m", name, d)
		}
	}
	if c.Args().Present() {
		return nil, nil, opts, usagef("unexpected argument %q; environments are chosen with --env", c.Args().First())
	}
	if err := checkFolders(c); err != nil {
		return nil, nil, opts, err
	}
	p, err := loadPipeline(c)
	if err != nil {
		return nil, nil, opts, err
	}
	if err := checkEnvs(p, envs...); err != nil {
		return nil, nil, opts, err
	}
	if opts.Apps, err = appsOf(c, p); err != nil {
		return nil, nil, opts, err
	}
	list, _ := lookup("KILN_IMAGES")
	opts.Images = render.Images{Files: c.StringSlice("images"), Refs: c.StringSlice("image"), List: list}
	opts.Strict = c.Bool("strict")
	opts.Version = version
	opts.LookupEnv = lookup
	gh := actionsRunner(c, lookup)
	set := sinksOf(c.App).secrets
	opts.OnSecrets = func(rd *redact.Redactor) {
		// Before any line that could hold a value: GitHub's masks first,
		// then kiln's own writers.
		gh.Mask(rd)
		set.Add(rd)
	}
	if d := c.String("cache-dir"); d != "" {
		opts.CacheDir = d
		opts.RenderCache = cachedir.Renders(d)
	}
	if c.Bool("no-cache") {
		opts.RenderCache = ""
	}
	if opts.MemoryLimit, err = memoryLimit(c.String("memory-limit")); err != nil {
		return nil, nil, opts, err
	}
	// kiln's own folders in the checkout do not make it dirty: --out,
	// --rendered, and --cache-dir, which docs/cache.md's actions/cache
	// setup keeps in the checkout (.kiln-cache), where every render
	// fills it. git runs while the apps render: render asks for the
	// result when it makes the first lock.
	gitCtx, stopGit := context.WithCancel(c.Context)
	// The default cache folder too: XDG_CACHE_HOME may lie in the
	// checkout (GitLab runners' usual setup, a devcontainer's), and every
	// render filled it and read as dirty. "" when there is none.
	cacheRoot := c.String("cache-dir")
	if cacheRoot == "" {
		cacheRoot, _ = cachedir.Default()
	}
	if err := checkCacheOut(c, p, cacheRoot); err != nil {
		stopGit()
		return nil, nil, opts, err
	}
	own := append([]string{c.String("out"), cacheRoot}, c.StringSlice("rendered")...)
	git := gitinfo.Start(gitCtx, p.Root, own...)
	backgroundOf(c.App).add(func() { stopGit(); git.Wait() })
	cfgName := "kiln.yaml"
	if f, err := configFile(c); err == nil {
		cfgName = f
	}
	opts.Provenance = func() (render.Source, []diag.Warning) {
		info := git.Wait()
		src := render.Source{Repo: info.Repo, Commit: info.Commit, Dirty: info.Dirty}
		if info.InWorkTree && info.Commit == "" {
			// git init, nothing committed: no commit to name, as outside
			// git, which was said; this was not.
			return src, []diag.Warning{{
				Msg:  fmt.Sprintf("the repository of %s has no commit yet, so kiln.lock.json names no source commit", cfgName),
				Hint: "commit the templates and render again: kiln promote --from and kiln verify need that commit"}}
		}
		if info.InWorkTree {
			return src, nil
		}
		return src, []diag.Warning{{
			Msg:  fmt.Sprintf("the folder of %s is not in a git checkout, so kiln.lock.json names no source commit", cfgName),
			Hint: "render inside a clone of the code repository to record where the manifests come from; kiln promote --from and kiln verify need that commit (a plain folder, such as a release tarball, renders without --strict)"}}
	}
	ids, err := sopsAgeKey(lookup)
	if err != nil {
		return nil, nil, opts, err
	}
	opts.SOPSIdentities = ids
	opts.Now = time.Now
	return p, envs, opts, nil
}

// sopsAgeKey reads the age private keys as sops does: SOPS_AGE_KEY (the
// keys themselves) and SOPS_AGE_KEY_FILE (a file of them), both when set.
// kiln uses them only to keep unchanged SOPS Secrets byte for byte; it
// never prints them.
func sopsAgeKey(lookup env) (string, error) {
	var keys []string
	if k, ok := lookup("SOPS_AGE_KEY"); ok && strings.TrimSpace(k) != "" {
		keys = append(keys, k)
	}
	if f, ok := lookup("SOPS_AGE_KEY_FILE"); ok && f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", &diag.Error{File: f, Msg: "cannot read SOPS_AGE_KEY_FILE: " + rootfs.Why(err), Err: err, Hint: "point SOPS_AGE_KEY_FILE at the age key file, or unset it"}
		}
		keys = append(keys, string(data))
	}
	return strings.Join(keys, "\n"), nil
}

func renderCommand(stdout, stderr io.Writer, lookup env, version string) *cli.Command {
	flags := append(renderFlags(), appFlag(),
		&cli.StringFlag{Name: "shard", Usage: "i/n: render only the apps of shard i of n (by a hash of each app's name); kiln promote --rendered merges the shards' folders", EnvVars: kilnEnv("shard")},
		&cli.StringFlag{Name: "out", Value: "rendered", Usage: "output folder; each env goes to <out>/<env>", EnvVars: kilnEnv("out")},
		&cli.BoolFlag{Name: "force", Usage: "replace <out>/<env> even if kiln did not write it (it has no kiln.lock.json)", EnvVars: kilnEnv("force")},
		&cli.BoolFlag{Name: "allow-other-repo", Usage: "replace <out>/<env> rendered from another code repository (the env moved to this one on purpose)", EnvVars: kilnEnv("allow-other-repo")})
	return &cli.Command{
		Name:      "render",
		UsageText: "kiln render [--env E ...|--all] [--images F] [--image R ...] [--out DIR] [--strict] [--app NAME ...] [--shard i/n]",
		Usage:     "render environments into hydrated manifests under --out",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			p, envs, opts, err := renderSetup(c, lookup, version)
			if err != nil {
				return err
			}
			bar := newProgress(progressOut(sinksOf(c.App).rawStderr, lookup, c.String("output")), "render")
			opts.Progress = bar.callback()
			defer bar.clear()
			if opts.Shard, err = parseShard(c.String("shard")); err != nil {
				return err
			}
			if opts.Shard.Active() && len(opts.Apps) > 0 {
				return usagef("give %s or %s, not both", flagRef(c, "app"), flagRef(c, "shard"))
			}
			out := c.String("out")
			w := &writer{ctx: c.Context, out: out, opts: render.WriteOptions{Force: c.Bool("force"), AllowOtherRepo: c.Bool("allow-other-repo")}}
			opts.EnvDone, opts.BeforeFinish = w.stage, w.wait
			opts.Earlier, opts.EarlierDir = w.earlier, earlierDir(out)
			opts.RenderOnce = true // render's one Render: workers end before its last checks
			r, err := render.New(p, opts)
			if err != nil {
				return usageFromRender(err)
			}
			defer r.Close()
			w.r = r
			ctx, cancel := renderContext(c)
			defer cancel()
			if len(opts.Apps) > 0 {
				// --app reads the earlier trees (w.earlier): the lock
				// first, and a run already writing --out is named now.
				if err := w.open(); err != nil {
					return err
				}
			}
			results, err := r.Render(ctx, envs)
			bar.clear()
			if err != nil {
				if aerr := w.abort(); aerr != nil {
					return errors.Join(timedOut(c, err), aerr)
				}
				return timedOut(c, err)
			}
			if err := w.commit(); err != nil {
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

// writer puts every env that rendered into out, together: each is staged
// as soon as it is rendered (render.Options.EnvDone), so that its tree
// need not stay in memory for the rest of the run, and all are swapped
// in at the end, so an interrupt or a failure before the swaps leaves
// every earlier tree as it was. An env whose tree cannot be staged gets
// the error; the others are still written. What writing noticed (an
// interrupted run's leftovers, an earlier tree left behind) becomes a
// warning of the first env that rendered.
//
// Each env is staged while the next env renders: staging is mostly
// comparing the env's files with the earlier tree, file by file, or
// writing them, which waits on the file system more than it uses a core,
// and it used to hold up the next env's render. One env is staged at a
// time, in order, and reading an earlier tree for --app waits for it. An
// env's files and objects stay in memory until it is staged, and the next
// env's checks and layout, where memory peaks, wait for that
// (render.Options.BeforeFinish): the 1000-app row of `make bench`.
type writer struct {
	ctx  context.Context
	r    *render.Renderer
	out  string
	opts render.WriteOptions

	w     *render.Output // opened for the first env that rendered
	first *render.EnvResult
	err   error // opening the output failed, or ctx ended while staging

	staging chan struct{} // closed when the env staged meanwhile is; nil if none
	panics  carry.Panics  // of the staging goroutine, raised by wait
}

func (w *writer) stage(er *render.EnvResult) {
	w.wait()
	if er.Err != nil || w.err != nil {
		return
	}
	if w.open() != nil {
		return
	}
	if w.first == nil {
		w.first = er
	}
	done := make(chan struct{})
	w.staging = done
	go func() {
		defer close(done)
		defer w.panics.Catch()
		w.stageNow(er)
	}()
}

// open takes the output's lock, once.
func (w *writer) open() error {
	if w.w == nil && w.err == nil {
		w.w, w.err = w.r.OpenOutput(w.out, w.opts)
	}
	return w.err
}

// earlier reads an env's earlier tree from <out>/<env> for --app, which
// keeps the other apps as they are there, holding the output's lock from
// before the read to the write. Read without it, a run that writes the
// tree meanwhile would have its apps replaced by the copies read before
// it (a lost update); held, that run is refused, and an update a killed
// run left is completed before the read.
func (w *writer) earlier(env string) (map[string][]byte, error) {
	w.wait()
	if err := w.open(); err != nil {
		return nil, err
	}
	return render.ReadTree(filepath.Join(w.out, env))
}

// wait waits for the env being staged meanwhile, if any, and raises its
// panic (a kiln bug) here, where runAndReport reports it masked.
func (w *writer) wait() {
	if w.staging != nil {
		<-w.staging
		w.staging = nil
	}
	w.panics.Raise()
}

func (w *writer) stageNow(er *render.EnvResult) {
	if err := w.w.Stage(w.ctx, er); err != nil {
		if w.ctx.Err() != nil {
			w.err = err
			return
		}
		er.Err, er.Files = err, nil
		return
	}
	er.Written()
}

// commit swaps the staged trees into place.
func (w *writer) commit() error {
	w.wait()
	if w.err != nil {
		if aerr := w.abort(); aerr != nil {
			return errors.Join(w.err, aerr)
		}
		return w.err
	}
	if w.w == nil {
		return nil
	}
	err := w.w.Commit(w.ctx)
	if w.first != nil {
		// An --app render opens the output before any env rendered:
		// with none staged, nothing was written and Open's warnings,
		// leftovers recovered, have no env to go with.
		w.first.Warnings = append(w.first.Warnings, w.w.Warnings()...)
	}
	return errors.Join(err, w.w.Close())
}

// abort removes what was staged and releases the output's lock.
func (w *writer) abort() error {
	w.wait()
	if w.w == nil {
		return nil
	}
	return w.w.Close()
}

// earlierIn reads an env's earlier tree from <out>/<env>: with --app, the
// other apps are kept as they are there. Under out's lock, shared, as
// promote --rendered reads: a render writing out meanwhile is refused,
// naming it, rather than its tree judged half written.
func earlierIn(out string) func(env string) (map[string][]byte, error) {
	return func(env string) (map[string][]byte, error) {
		return render.ReadOutput(out, env)
	}
}

// earlierDir names <out>/<env> as given, for errors about the files of
// the apps --app keeps from there.
func earlierDir(out string) func(env string) string {
	return func(env string) string { return filepath.Join(out, env) }
}

func validateCommand(stdout, stderr io.Writer, lookup env, version string) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		UsageText: "kiln validate [--env E ...|--all] [--images F] [--image R ...] [--strict] [--app NAME ...]",
		Usage:     "render twice and check everything, writing nothing",
		Flags: append(renderFlags(), appFlag(),
			&cli.StringFlag{Name: "out", Value: "rendered", Usage: "with --app: the render folder whose <out>/<env> holds the other apps", EnvVars: kilnEnv("out")}),
		Action: func(c *cli.Context) error {
			p, envs, opts, err := renderSetup(c, lookup, version)
			if err != nil {
				return err
			}
			opts.Earlier, opts.EarlierDir = earlierIn(c.String("out")), earlierDir(c.String("out"))
			opts.Preview = true
			bar := newProgress(progressOut(sinksOf(c.App).rawStderr, lookup, c.String("output")), "validate")
			opts.Progress = bar.callback()
			defer bar.clear()
			r, err := render.New(p, opts)
			if err != nil {
				return usageFromRender(err)
			}
			defer r.Close()
			ctx, cancel := renderContext(c)
			defer cancel()
			results, err := r.Validate(ctx, envs)
			bar.clear()
			if err != nil {
				return timedOut(c, err)
			}
			var errs []error
			for _, er := range results {
				// What kiln promote would refuse before it renders.
				if perr := promote.Check(p, er.Env); perr != nil {
					er.Err, er.Files = diag.Join(er.Err, perr), nil
				}
				if er.Err != nil {
					errs = append(errs, &envError{env: er.Env, err: er.Err})
				}
			}
			return finish(c, stdout, stderr, lookup, results, "", "valid", errors.Join(errs...))
		},
	}
}

// envReport is one env in render's and validate's --output json
// (docs/schemas/render.json, validate.json).
type envReport struct {
	Env     string      `json:"env"`
	OK      bool        `json:"ok"`
	Out     string      `json:"out,omitempty"`
	Apps    []appReport `json:"apps"`
	Objects int         `json:"objects"`
	// Files are the paths of the env's tree, relative to <out>/<env>.
	Files    []string    `json:"files"`
	Warnings []jsonError `json:"warnings"`
	Errors   []jsonError `json:"errors"`
}

// appReport is one app of an envReport.
type appReport struct {
	Name    string `json:"name"`
	Engine  string `json:"engine"`
	Objects int    `json:"objects"`
	Files   int    `json:"files"`
	// Kept is true for apps --app did not name: kept from the earlier render.
	Kept bool `json:"kept,omitempty"`
	// Cached is true when the app's engine result came from the render
	// cache (docs/cache.md).
	Cached bool `json:"cached,omitempty"`
}

// renderReport is render's and validate's --output json document.
type renderReport struct {
	Envs   []envReport `json:"envs"`
	Errors []jsonError `json:"errors"`
}

// finish prints warnings and summaries. Text goes to stderr (progress);
// --output json puts one document on stdout. In GitHub Actions it also
// annotates errors and warnings, writes the job summary and sets the step
// outputs (see docs/github-actions.md). Secret values are masked by the
// app's sinks, which learnt them through render.Options.OnSecrets as soon
// as each env read them.
func finish(c *cli.Context, stdout, stderr io.Writer, lookup env, results []*render.EnvResult, out, verb string, err error) error {
	gh := actionsRunner(c, lookup)
	var reports []envReport
	for _, er := range results {
		rep := envReport{Env: er.Env, OK: er.Err == nil, Apps: []appReport{}, Files: []string{},
			Warnings: jsonWarnings("", er.Warnings), Errors: []jsonError{}}
		for _, a := range er.Apps {
			rep.Apps = append(rep.Apps, appReport{Name: a.Name, Engine: a.Engine, Objects: a.Objects, Files: a.Files, Kept: a.Kept, Cached: a.Cached})
			rep.Objects += a.Objects
		}
		for p := range er.Files {
			rep.Files = append(rep.Files, p)
		}
		sort.Strings(rep.Files)
		if out != "" && er.Err == nil {
			rep.Out = filepath.Join(out, er.Env)
		}
		if er.Err != nil {
			rep.Errors = jsonErrors(er.Err)
		}
		reports = append(reports, rep)
	}
	if gh.Enabled() {
		if gerr := reportActions(c, gh, results, reports, out); gerr != nil {
			err = errors.Join(err, gerr)
		}
	}
	if c.String("output") == "json" {
		// Env errors are in each env's list; the top level has the rest.
		var other []error
		for _, e := range diag.Flatten(err) {
			var ee *envError
			if !errors.As(e, &ee) {
				other = append(other, e)
			}
		}
		return jsonDocument(stdout, renderReport{Envs: orEmpty(reports), Errors: jsonErrors(errors.Join(other...))}, err)
	}
	// The summary goes to stderr in one write: a write a line was 300
	// system calls for a 100-app fleet's three envs (and as many wake-ups
	// of whatever reads the pipe). The app's sink masks the block whole,
	// as it masks a line.
	var text bytes.Buffer
	defer func() { _, _ = stderr.Write(text.Bytes()) }()
	for i, rep := range reports {
		for _, w := range results[i].Warnings {
			fmt.Fprintf(&text, "warning: %s\n", w.String())
		}
		if !rep.OK {
			continue
		}
		where := ""
		if rep.Out != "" {
			where = " → " + rep.Out
		}
		fmt.Fprintf(&text, "%s env %s%s: %s, %s, %s\n", verb, rep.Env, where,
			words.Count(len(rep.Apps), "app"), words.Count(rep.Objects, "object"), words.Count(len(rep.Files), "file"))
		names := make([]string, len(rep.Apps))
		for i, a := range rep.Apps {
			names[i] = a.Name
		}
		width := nameColumn(names)
		for _, a := range rep.Apps {
			kept := ""
			switch {
			case a.Kept:
				kept = ", kept" // --app: as the earlier render has it
			case a.Cached:
				kept = ", cached"
			}
			fmt.Fprintf(&text, "  %-*s %-9s %3d %s%s\n", width, a.Name, a.Engine, a.Objects, words.Noun(a.Objects, "object"), kept)
		}
	}
	return err
}

// actionsRunner returns the GitHub Actions reporter (nil outside Actions).
// Workflow commands go to stderr, which the runner reads like stdout;
// stdout stays for data.
func actionsRunner(c *cli.Context, lookup env) *ghactions.Runner {
	f, err := configFile(c)
	if err != nil {
		f = "kiln.yaml"
	}
	root, err := filepath.Abs(filepath.Dir(f))
	if err != nil {
		root = filepath.Dir(f)
	}
	s := sinksOf(c.App)
	return ghactions.FromEnv(lookup, s.rawStderr).WithSecrets(s.secrets).WithRoot(root).WithGuard(s.guard)
}

// reportActions annotates each env's errors and warnings, appends the job
// summary and sets the step outputs changed (render and validate never
// change the manifests repository: false) and out-dir (render: the absolute
// --out folder; validate: empty). Under --strict the warnings are among
// the errors already, so they are annotated once, as errors.
func reportActions(c *cli.Context, gh *ghactions.Runner, results []*render.EnvResult, reports []envReport, out string) error {
	command, strict := c.Command.Name, c.Bool("strict")
	sums := make([]ghactions.EnvSummary, len(results))
	for i, er := range results {
		env := gh.ForEnv(er.Env)
		env.Error(er.Err)
		for _, w := range er.Warnings {
			if !strict {
				env.Warning(w)
			}
		}
		s := ghactions.EnvSummary{Env: er.Env, Out: reports[i].Out, Files: len(reports[i].Files), Warnings: er.Warnings, Err: er.Err}
		for _, a := range er.Apps {
			s.Apps = append(s.Apps, ghactions.AppRow{Name: a.Name, Engine: a.Engine, Objects: a.Objects, Files: a.Files})
		}
		sums[i] = s
	}
	gh.Flush()
	outDir := ""
	if out != "" {
		abs, err := filepath.Abs(out)
		if err != nil {
			return fmt.Errorf("resolving --out: %w", err)
		}
		outDir = abs
	}
	setOutput(c, "out-dir", outDir)
	return gh.Summary(gh.SummaryMarkdown(command, sums))
}

// silent is an error already reported (in the JSON document); main prints
// nothing more but still exits non-zero.
type silent struct{ err error }

func (s silent) Error() string { return s.err.Error() }
func (s silent) Unwrap() error { return s.err }

// parseShard reads --shard i/n (1 <= i <= n); "" is no sharding. Blanks
// around either number are dropped, as for --env: a matrix expression
// like "${{ matrix.shard }} / 4" in a workflow reads naturally so.
func parseShard(s string) (render.Shard, error) {
	if strings.TrimSpace(s) == "" {
		return render.Shard{}, nil
	}
	var sh render.Shard
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return sh, usagef("--shard must be i/n with 1 <= i <= n, like 2/4, not %q", s)
	}
	sh.Index, sh.Count = i, n
	return sh, nil
}
