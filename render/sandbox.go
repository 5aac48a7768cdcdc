package render

import (
	"encoding/json"

	"github.com/kiln-gitops/kiln/internal/sandbox"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/helm"
	"github.com/kiln-gitops/kiln/templates/jsonnet"
	"github.com/kiln-gitops/kiln/templates/kustomize"
)

// Serve turns this process into a sandbox worker when a Renderer started it
// as one, and returns at once otherwise. A Renderer evaluates Helm and
// Jsonnet templates and builds kustomizations, which can allocate without
// end and cannot be interrupted, in such workers: children running this
// same program, with a hard memory cap, killed when the render's context
// ends. Call Serve first
// thing in main, and in TestMain of every test binary that renders, before
// anything else runs (Options.InProcess opts out).
func Serve() { sandbox.Serve(sandboxed) }

// sandboxed are the engines a worker serves, built from the configuration
// New sends (helm's Options as JSON).
var sandboxed = map[string]sandbox.Factory{
	"helm": func(config []byte) (templates.Engine, error) {
		var opts helm.Options
		if err := json.Unmarshal(config, &opts); err != nil {
			return nil, err
		}
		return helm.New(opts), nil
	},
	"jsonnet":   func([]byte) (templates.Engine, error) { return jsonnet.New(jsonnet.Options{}), nil },
	"kustomize": func([]byte) (templates.Engine, error) { return kustomize.New(kustomize.Options{}), nil },
}

// Close stops the Renderer's sandbox workers. A Renderer not closed keeps
// its idle workers until the program exits.
func (r *Renderer) Close() error {
	if r.pool == nil {
		return nil
	}
	return r.pool.Close()
}

// envEnginesDone is called when an env's engines are done, or were not
// needed: kiln render's first worker, started before kiln knew whether it
// would render anything (cmd/kiln/internal/prestart), was taken by then
// if the env needed one; if it was not, the render cache is warm and it
// likely never will be, so it is ended instead of using CPU beside the
// render. A later env that needs a worker starts one.
func (r *Renderer) envEnginesDone() {
	if r.pool != nil {
		r.pool.DiscardPrestarted()
	}
}

// enginesDone is called when the last env of a render has evaluated its
// templates: with Options.RenderOnce no template follows, and the workers
// can end while the env is checked and laid out.
func (r *Renderer) enginesDone() {
	if r.opts.RenderOnce && r.pool != nil {
		r.pool.Release()
	}
}
