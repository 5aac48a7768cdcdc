package render

import (
	"fmt"
	"path/filepath"

	"github.com/kiln-gitops/kiln/internal/caret"
	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/gitinfo"
	"github.com/kiln-gitops/kiln/internal/lockfile"
	"github.com/kiln-gitops/kiln/internal/redact"
)

// OtherRepoError refuses to replace env's tree at where (a folder, a
// branch) when theirs, the code repository its kiln.lock.json names, is
// not ours, this run's: two pipelines sharing one env folder (two teams'
// repositories with the same manifests.path, or rendering into one
// checkout) would each replace the other's apps, and Flux would prune
// them from the cluster. A lock that names no repository (an older
// kiln's, a render outside a clone) leaves it open; ours naming none
// where the lock names one is refused, as nothing says it is the same
// repository. doing is what the caller would do ("promoting"); hint says
// how to let it. nil when the repositories may be one (gitinfo.SameRepo).
func OtherRepoError(env, where, ours, theirs, doing, hint string) error {
	if theirs == "" || gitinfo.SameRepo(ours, theirs) {
		return nil
	}
	this := "this run's, " + caret.String(redact.PublicURL(ours))
	if ours == "" {
		this = "this run, which names no repository (kiln.yaml is not in a git checkout, or its checkout has no origin remote)"
	}
	// The lock's URL may have been edited by hand: no credentials shown.
	return &diag.Error{Msg: fmt.Sprintf("env %s %s is rendered from the code repository %s, not from %s: %s would replace that pipeline's apps, and Flux would prune them", env, where, caret.String(redact.PublicURL(theirs)), this, doing),
		Hint: hint}
}

// otherRepo is the check tree's Stage makes of the lock of the
// <out>/<env> it would replace: refused when the lock names another code
// repository than er's (OtherRepoError); nil (no check) with Force or
// AllowOtherRepo. A render's folder is often committed as it is (a
// pipeline rendering into its checkout of the manifests repository), so
// replacing another pipeline's env there loses its apps as a promotion
// would.
func (w *Output) otherRepo(er *EnvResult) func(*lockfile.Lock) error {
	if w.opts.Force || w.opts.AllowOtherRepo || er.Lock == nil {
		return nil
	}
	return func(old *lockfile.Lock) error {
		return OtherRepoError(er.Env, "in "+filepath.Join(w.path, er.Env), er.Lock.Source.Repo, old.Source.Repo, "rendering",
			"two pipelines must not share an env folder: render this one into another --out; if the env moved to this repository on purpose (a renamed or transferred repository), pass --allow-other-repo (KILN_ALLOW_OTHER_REPO=true) once")
	}
}
