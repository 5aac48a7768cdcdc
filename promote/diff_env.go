package promote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kiln-gitops/kiln/envconfig"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/promote/internal/envdiff"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// diffEnvs renders opts.Env and opts.AgainstEnv in memory, from the same
// sources and images, and compares their objects (docs/promote.md, "kiln
// diff --against-env"): the hydrated objects of apps/ and the Flux objects
// of flux/, paired by app, API group, kind, name and namespace, where what
// kiln derives from the env (each app's namespace, the Flux objects' names
// and paths) is aligned and does not show. kiln.lock.json, high-level/ and
// the apps' kustomization.yaml hold no object and are not compared.
//
// Secret values are masked as Diff masks them: every v1 Secret's data, a
// SOPS-encrypted document by its per-key review, and every form of either
// env's secret values anywhere. Nothing is written.
func diffEnvs(ctx context.Context, p *envconfig.Pipeline, opts DiffOptions) (*DiffResult, error) {
	if opts.Against != "" {
		return nil, errors.New("compare with another env or with a folder or repository, not both")
	}
	for _, e := range []string{opts.Env, opts.AgainstEnv} {
		if _, err := p.Env(e); err != nil {
			return nil, err
		}
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	ro := opts.Render
	only := map[string]bool{}
	for _, a := range ro.Apps {
		only[a] = true
	}
	// Both envs whole: the checks across apps judge whole envs, and an
	// env's tree is never half another's. The diff is cut to Apps after.
	ro.Apps, ro.Shard = nil, render.Shard{}
	// Nothing to keep ciphertext from: each env encrypts anew, and
	// SOPS documents are compared by their review.
	ro.Earlier, ro.Pending = nil, nil
	// The two envs are rendered together, and judged together as any
	// Render of several envs judges the images it was given.
	ro.JudgeImagesLater = false
	ro.Log = log
	onSecrets := ro.OnSecrets
	ro.OnSecrets = func(rd *redact.Redactor) {
		if onSecrets != nil {
			onSecrets(rd)
		}
	}
	renderer, err := render.New(p, ro)
	if err != nil {
		return nil, err
	}
	defer renderer.Close()
	envs := []string{opts.Env}
	if opts.AgainstEnv != opts.Env {
		envs = append(envs, opts.AgainstEnv)
	}
	fmt.Fprintf(log, "rendering env %s\n", strings.Join(envs, " and env "))
	results, err := renderer.Render(ctx, envs)
	if err != nil {
		return nil, err
	}
	var errs []error
	var set redact.Set
	for _, er := range results {
		set.Add(er.Redactor)
		for _, w := range er.Warnings {
			w = w.Map(er.Redactor.String)
			fmt.Fprintf(log, "warning: env %s: %s\n", er.Env, w)
			if opts.OnWarning != nil {
				opts.OnWarning(er.Env, w)
			}
		}
		if er.Err != nil {
			errs = append(errs, &RenderError{Env: er.Env, Err: er.Err})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	mine, theirs := results[0], results[len(results)-1]
	envObjs, err := envdiff.Objects(mine.Files)
	if err != nil {
		return nil, &RenderError{Env: mine.Env, Err: err}
	}
	againstObjs, err := envdiff.Objects(theirs.Files)
	if err != nil {
		return nil, &RenderError{Env: theirs.Env, Err: err}
	}
	al := envdiff.NewAligner(mine.Names, theirs.Names)
	var ids sopsyaml.Identities
	if strings.TrimSpace(ro.SOPSIdentities) != "" {
		// A key that does not parse failed the render already.
		ids, _ = sopsyaml.ParseIdentities(ro.SOPSIdentities)
	}
	rd := set.Redactor()

	res := &DiffResult{Env: opts.Env, AgainstEnv: opts.AgainstEnv, Against: "env " + opts.AgainstEnv,
		Apps: map[string]AppChanges{}, Changes: []FileChange{}}
	for _, pr := range envdiff.Match(envObjs, againstObjs, al) {
		c, ok := envChange(pr, al, ids, rd, opts.Env, opts.AgainstEnv)
		if !ok || (len(only) > 0 && !only[c.App]) {
			continue
		}
		res.changes = append(res.changes, c.Change)
		res.Changes = append(res.Changes, c.file)
		if c.counted {
			a := res.Apps[c.App]
			switch c.Op {
			case treediff.Added:
				a.Added++
			case treediff.Changed:
				a.Changed++
			case treediff.Removed:
				a.Removed++
			}
			res.Apps[c.App] = a
		}
	}
	res.Changed = len(res.Changes) > 0
	return res, nil
}

// envObjectChange is one pair of objects that differ.
type envObjectChange struct {
	treediff.Change
	file FileChange
	// counted: a hydrated object of an app, counted in DiffResult.Apps as
	// Diff counts them (the Flux objects are listed, not counted).
	counted bool
}

// envChange compares a pair of objects and, when they differ, returns the
// change as people see it: the against env's object aligned to the env's
// names, both sides masked and redacted, headers naming each side's env,
// app, Kind, namespace and name.
func envChange(pr envdiff.Pair, al *envdiff.Aligner, ids sopsyaml.Identities, rd *redact.Redactor, env, against string) (envObjectChange, bool) {
	var old, new []byte
	if pr.Against != nil {
		old = pr.Against.Data
	}
	if pr.Env != nil {
		new = pr.Env.Data
	}
	shownOld, shownNew, sops := shownPair(ids, old, new, nil)
	alignOld := func(data []byte) []byte {
		if pr.Against == nil {
			return nil
		}
		return al.Align(pr.Against, data)
	}
	normNew := func(data []byte) []byte {
		if pr.Env == nil {
			return nil
		}
		return envdiff.Normal(data)
	}
	// What decides is the objects themselves, aligned. A SOPS document's
	// ciphertext differs on every encryption, so it is judged by its
	// review without the verdict comment (which any two encryptions get):
	// values masked alike when equal by plaintext (with the age key; else
	// by ciphertext, which always differs), recipients and rule as they are.
	realOld, realNew := old, new
	if sops {
		realOld, realNew = dropHeadComment(shownOld), dropHeadComment(shownNew)
	}
	if pr.Env != nil && pr.Against != nil && bytes.Equal(alignOld(realOld), normNew(realNew)) {
		return envObjectChange{}, false
	}
	var c envObjectChange
	if o := alignOld(shownOld); o != nil {
		c.Old = rd.Bytes(o)
	}
	if n := normNew(shownNew); n != nil {
		c.New = rd.Bytes(n)
	}
	if c.Old != nil && c.New != nil && bytes.Equal(c.Old, c.New) {
		// Only masked text differs (a Secret's comment, a secret value
		// masked alike on both sides): say so, as Diff does, or the
		// object is counted as differing with an empty diff.
		c.New = append(bytes.TrimRight(c.New, "\n"), "\n"+maskedChange...)
	}
	switch {
	case pr.Against == nil:
		c.Op, c.Path, c.Object, c.App = treediff.Added, pr.Env.Path, pr.Env.ID(), pr.Env.App
		c.NewName, c.counted = pr.Env.Header(env), pr.Env.Section == envdiff.Apps
	case pr.Env == nil:
		c.Op, c.Path, c.Object, c.App = treediff.Removed, pr.Against.Path, pr.Against.ID(), pr.Against.App
		c.OldName, c.counted = pr.Against.Header(against), pr.Against.Section == envdiff.Apps
	default:
		c.Op, c.Path, c.Object, c.App = treediff.Changed, pr.Env.Path, pr.Env.ID(), pr.Env.App
		c.OldName, c.NewName = pr.Against.Header(against), pr.Env.Header(env)
		c.counted = pr.Env.Section == envdiff.Apps
	}
	c.file = FileChange{Path: c.Path, Op: c.Op, App: c.App, Object: c.Object}
	if pr.Against != nil {
		c.file.AgainstPath, c.file.AgainstObject = pr.Against.Path, pr.Against.ID()
	}
	return c, true
}

// dropHeadComment returns data without its leading comment lines.
func dropHeadComment(data []byte) []byte {
	for bytes.HasPrefix(data, []byte("#")) {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return data[:0]
		}
		data = data[i+1:]
	}
	return data
}
