package promote

import (
	"context"
	"fmt"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/gitinfo"
	"github.com/kiln-gitops/kiln/internal/words"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
	"github.com/kiln-gitops/kiln/render"
)

// checkFromOwn holds the files kiln makes of the previous env's objects
// (flux/: each app's Kustomization and the notifications; each app's
// kustomization.yaml; a helm app's high-level HelmRelease and source) in
// its folder on the judged commit to what kiln makes of them with kiln.yaml
// and the env file at this checkout, which checkSource has put at the
// commit the folder's lock names. The gate's render.CheckTree holds the
// apps' objects to the lock, but the lock records no digest of flux/: a
// hand edit of flux/<app>.yaml there (prune: false, another path, a
// dependsOn dropped, an object appended, which the bootstrap Kustomization
// applies with cluster-admin's rights) passed the gate, its statuses
// vouching for a folder that is not the release promoted.
//
// The secret values of the previous env are not read: the plain-secret
// gate, which only they feed, runs on stand-ins (the promotion of that env
// ran it). The tree may come from another kiln version (its lock keeps the
// version while a newer kiln writes the same files): it passes while this
// kiln makes the same files.
func (r *run) checkFromOwn(ctx context.Context, j *judged) error {
	dir, err := envPath(r.p, r.from)
	if err != nil {
		return err
	}
	files := j.files
	ro := r.opts.Render
	ro.LookupEnv = standIns(r.p, r.from, ro.LookupEnv)
	// D's warnings are D's (below): --strict, given for this env's
	// render, does not make them errors of this promotion.
	ro.Strict = false
	renderer, err := r.rendererWith(ro)
	if err != nil {
		return err
	}
	defer renderer.Close()
	er := renderer.Remake(ctx, r.from, files, dir)
	// Its warnings are not said: they are env r.from's, said when it was
	// promoted, and said here they read as this env's (OnWarning, the
	// JSON document, the Actions annotations), naming apps it may not
	// even enable.
	if er.Err != nil {
		return &RenderError{Env: er.Env, Err: er.Err}
	}
	// Flux's bootstrap files and the nested folders are the branch's own,
	// not kiln's to make; the lock CheckTree held already.
	want := render.KeepBootstrap(r.p, files, er.Files)
	differ := remadeDiffer(want, files)
	if len(differ) == 0 {
		return nil
	}
	why := "a commit of others changed them"
	if v := j.lock.KilnVersion; v != r.opts.Render.Version {
		why += fmt.Sprintf(", or kiln %q, which wrote them, lays them out otherwise than this kiln %q", v, r.opts.Render.Version)
	}
	e := &diag.Error{File: dir,
		Msg: fmt.Sprintf("env %s's folder on commit %s of the manifests branch %s is not what kiln makes of its objects with kiln.yaml and the env file at %s, the commit its kiln.lock.json names, in %s: %s (%s); Flux applies them, so its statuses do not show that the release works there as kiln writes it",
			r.from, short(j.commit), r.base, short(j.lock.Source.Commit), words.Count(len(differ), "file"), pathsOf(prefixed(differ, dir), 10), why),
		Hint: fmt.Sprintf("make the change in the source repository and promote env %s again (kiln promote --env %s), or revert the commit that changed the folder, then promote from it once healthy", r.from, r.from)}
	// Uncommitted changes, D's or this checkout's, may lay out flux/
	// otherwise: with --allow-dirty the promotion goes ahead, as it does
	// over them (checkFromDirty), and says so.
	if r.opts.AllowDirty && (j.lock.Source.Dirty || gitinfo.Read(ctx, r.p.Root).Dirty) {
		r.warn(e.Error() + " (promoting all the same: --allow-dirty, and uncommitted changes may be why)")
		return nil
	}
	return e
}

// prefixed is changes with dir before each path, for messages.
func prefixed(changes []treediff.Change, dir string) []treediff.Change {
	out := make([]treediff.Change, len(changes))
	for i, c := range changes {
		out[i] = c
		out[i].Path = dir + "/" + c.Path
	}
	return out
}
