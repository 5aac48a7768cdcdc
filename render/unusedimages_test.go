package render_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

// imagesProject is two envs whose apps run different images: api runs in
// dev and prod, jobs in dev alone (prod disables it), as when CI builds an
// image for an app that has not reached prod yet.
func imagesProject(t *testing.T) string {
	t.Helper()
	return writeProject(t, map[string]string{
		"kiln.yaml": `apiVersion: kiln/v1alpha1
kind: Pipeline
environments: [{name: dev}, {name: prod}]
kubeVersion: "1.33.0"
manifests: {repo: https://github.com/acme/manifests.git, branch: main, path: "clusters/{env}"}
flux: {sourceRef: {kind: GitRepository, name: flux-system}}
apps:
  - {name: api, namespace: ns, yaml: apps/api}
  - {name: jobs, namespace: ns, yaml: apps/jobs}
`,
		"envs/prod.yaml":   "apps:\n  jobs: {enabled: false}\n",
		"apps/api/d.yaml":  deploymentYAML("api", "ghcr.io/acme/api:0.1"),
		"apps/jobs/d.yaml": deploymentYAML("jobs", "ghcr.io/acme/jobs:0.1"),
	})
}

// imageOutcome is what a render said about each env: its warnings'
// messages and its errors, "" for none.
type imageOutcome map[string]struct {
	Warnings []string
	Err      string
}

func renderImages(t *testing.T, root string, opts render.Options, envs ...string) (imageOutcome, map[string]bool) {
	t.Helper()
	r, err := render.New(load(t, root), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	results, err := r.Render(context.Background(), envs)
	if err != nil {
		t.Fatal(err)
	}
	out, cached := imageOutcome{}, map[string]bool{}
	for _, er := range results {
		o := out[er.Env]
		for _, w := range er.Warnings {
			o.Warnings = append(o.Warnings, w.Msg)
		}
		if er.Err != nil {
			o.Err = er.Err.Error()
			if er.Files != nil {
				t.Errorf("env %s failed, yet has files to write", er.Env)
			}
		}
		out[er.Env], cached[er.Env] = o, er.Cached
	}
	return out, cached
}

// TestUnusedImageAcrossEnvs: an image one env's apps run is no warning of
// the others when the run renders them together, so that --all --strict
// with an image only dev runs passes; an image no env runs is one warning
// of the run (an error under --strict), given with its last env; and an
// env rendered alone is judged alone, as before.
func TestUnusedImageAcrossEnvs(t *testing.T) {
	t.Parallel()
	root := imagesProject(t)
	const jobs, nothing = "ghcr.io/acme/jobs:2.0", "ghcr.io/acme/nothing:1"
	hint := "\n  hint: check the repository name; kiln matches images by their normalised repository"
	for _, c := range []struct {
		name   string
		images []string
		envs   []string
		strict bool
		want   imageOutcome
	}{
		{"all envs, strict, an image dev alone runs", []string{jobs}, nil, true,
			imageOutcome{"dev": {}, "prod": {}}},
		{"all envs, an image no env runs", []string{jobs, nothing}, nil, false,
			imageOutcome{"dev": {}, "prod": {Warnings: []string{"image ghcr.io/acme/nothing is used by no app in any of the rendered envs (dev, prod)"}}}},
		{"all envs, strict, an image no env runs", []string{jobs, nothing}, nil, true,
			// Under strict the error alone: a warning as well said it twice.
			imageOutcome{"dev": {}, "prod": {Err: "image ghcr.io/acme/nothing is used by no app in any of the rendered envs (dev, prod)" + hint}}},
		{"prod alone, an image dev alone runs", []string{jobs}, []string{"prod"}, false,
			imageOutcome{"prod": {Warnings: []string{"image ghcr.io/acme/jobs is used by no app in env prod"}}}},
		{"prod alone, strict, an image dev alone runs", []string{jobs}, []string{"prod"}, true,
			imageOutcome{"prod": {Err: "image ghcr.io/acme/jobs is used by no app in env prod" + hint}}},
		{"dev alone, strict, an image dev runs", []string{jobs}, []string{"dev"}, true,
			imageOutcome{"dev": {}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			opts.RenderCache = ""
			opts.Images = render.Images{Refs: c.images}
			opts.Strict = c.strict
			got, _ := renderImages(t, root, opts, c.envs...)
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestUnusedImageFromEnvCache: an env reused whole from the render cache
// is judged as a rendered one: its entry keeps which images its apps ran,
// and no warning that depends on the run's other envs, so that an entry a
// render of all envs stored serves a render of one env, and the other way
// round, with the warnings each would give without the cache.
func TestUnusedImageFromEnvCache(t *testing.T) {
	t.Parallel()
	root := imagesProject(t)
	cacheDir := filepath.Join(t.TempDir(), "renders")
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("strict=", strict), func(t *testing.T) {
			opts := testOptions()
			opts.Images = render.Images{Refs: []string{"ghcr.io/acme/jobs:2.0"}}
			opts.Strict = strict
			noCache := opts
			noCache.RenderCache = ""
			opts.RenderCache = filepath.Join(cacheDir, fmt.Sprint(strict))
			all, _ := renderImages(t, root, noCache)
			alone, _ := renderImages(t, root, noCache, "prod")
			// Under strict the warning is prod's error, and no warning.
			said := func(o imageOutcome) int {
				if strict {
					return strings.Count(o["prod"].Err, "used by no app")
				}
				return len(o["prod"].Warnings)
			}
			if said(alone) != 1 || said(all) != 0 {
				t.Fatalf("without the cache: prod alone %v, with dev %v; want its warning alone only", alone, all)
			}
			// Filled by one env, then by both (dev is new), then served
			// both ways.
			for i, run := range [][]string{{"prod"}, nil, {"prod"}, nil, {"dev"}} {
				want := all
				if len(run) == 1 {
					want = imageOutcome{run[0]: all[run[0]]}
					if run[0] == "prod" {
						want = alone
					}
				}
				got, cached := renderImages(t, root, opts, run...)
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("run %d %v: (-without the cache +with it):\n%s", i, run, d)
				}
				if i >= 2 {
					for env, c := range cached {
						if !c {
							t.Errorf("run %d %v: env %s was not reused whole: the test tests nothing", i, run, env)
						}
					}
				}
			}
		})
	}
}

// TestUnusedImagesJudgedLater: envs rendered each by a Renderer of its
// own with JudgeImagesLater (kiln diff over several envs) say nothing of
// an unused image, even under Strict, and UnusedImages over what each
// used gives the warnings one Render of them all gives with its last env.
func TestUnusedImagesJudgedLater(t *testing.T) {
	t.Parallel()
	root := imagesProject(t)
	opts := testOptions()
	opts.RenderCache = ""
	opts.Images = render.Images{Refs: []string{"ghcr.io/acme/jobs:2.0", "ghcr.io/acme/nothing:1"}}
	together, _ := renderImages(t, root, opts)
	want := []diag.Warning{{Msg: "image ghcr.io/acme/nothing is used by no app in any of the rendered envs (dev, prod)",
		Hint: "check the repository name; kiln matches images by their normalised repository"}}
	if d := cmp.Diff(imageOutcome{"dev": {}, "prod": {Warnings: []string{want[0].Msg}}}, together); d != "" {
		t.Fatalf("rendered together (-want +got):\n%s", d)
	}

	opts.JudgeImagesLater, opts.Strict = true, true
	envs, used := renderApart(t, root, opts, func(er *render.EnvResult) {
		if er.Err != nil || len(er.Warnings) != 0 {
			t.Errorf("env %s alone, judged later: warnings %v, error %v; want none", er.Env, er.Warnings, er.Err)
		}
	})
	got, err := render.UnusedImages(opts, envs, used)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("judged later (-want +got):\n%s", d)
	}
	// --app: the other apps keep their earlier images, and the warning
	// says so, as Render's does.
	opts.Apps = []string{"api"}
	if got, err := render.UnusedImages(opts, envs, used); err != nil || len(got) != 1 ||
		got[0].Msg != "image ghcr.io/acme/nothing is used by no rendered app in any of the rendered envs (dev, prod; --app)" {
		t.Errorf("with --app: %v, %v; want the --app wording", got, err)
	}
	if got, _ := render.UnusedImages(opts, envs, []map[string]bool{used[0], nil}); len(got) != 0 {
		t.Errorf("an env that cannot tell: %v, want no warning", got)
	}
}

// TestUnusedImagesReadOnce: UnusedImages read the --images files again
// after the envs' Renderers had read them, so a file changed meanwhile
// gave the run two sets of images: the envs rendered with one, judged
// against another. Images from ReadImages are read once, for all of them.
func TestUnusedImagesReadOnce(t *testing.T) {
	t.Parallel()
	root := imagesProject(t)
	file := filepath.Join(t.TempDir(), "images.json")
	writeImages := func(refs string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(refs), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeImages(`["ghcr.io/acme/jobs:2.0", "ghcr.io/acme/nothing:1"]`)
	opts := testOptions()
	opts.RenderCache = ""
	opts.JudgeImagesLater = true
	var err error
	if opts.Images, err = render.ReadImages(render.Images{Files: []string{file}}); err != nil {
		t.Fatal(err)
	}
	// CI's next build, written while kiln runs.
	writeImages(`["ghcr.io/acme/api:3.0"]`)
	envs, used := renderApart(t, root, opts, func(er *render.EnvResult) {
		if er.Err != nil {
			t.Fatalf("env %s: %v", er.Env, er.Err)
		}
	})
	if d := cmp.Diff([]map[string]bool{{"ghcr.io/acme/jobs": true}, {}}, used); d != "" {
		t.Errorf("images the envs used (-want +got):\n%s", d)
	}
	got, err := render.UnusedImages(opts, envs, used)
	if err != nil {
		t.Fatal(err)
	}
	want := []diag.Warning{{Msg: "image ghcr.io/acme/nothing is used by no app in any of the rendered envs (dev, prod)",
		Hint: "check the repository name; kiln matches images by their normalised repository"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("judged (-want +got):\n%s", d)
	}
}

// renderApart renders dev and prod of the project in root each with a
// Renderer of its own, as kiln diff does, checking each result, and
// returns the envs and the images each used, for UnusedImages.
func renderApart(t *testing.T, root string, opts render.Options, check func(*render.EnvResult)) ([]string, []map[string]bool) {
	t.Helper()
	var envs []string
	var used []map[string]bool
	for _, env := range []string{"dev", "prod"} {
		r, err := render.New(load(t, root), opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Render(context.Background(), []string{env})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		check(res[0])
		envs, used = append(envs, env), append(used, res[0].UsedImages())
	}
	return envs, used
}

// deploymentYAML is a Deployment named name whose one container runs
// image.
func deploymentYAML(name, image string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
spec:
  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec:
      containers:
        - name: app
          image: ` + image + `
`
}

// TestReadImagesMissingFile: an --images file that is not there says so,
// at the path as given, where "cannot read the images file" alone left
// the user to guess why.
func TestReadImagesMissingFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "images.json")
	_, err := render.ReadImages(render.Images{Files: []string{file}})
	want := file + ": cannot read the images file: it does not exist\n  hint: check the --images path"
	if err == nil || err.Error() != want {
		t.Errorf("ReadImages = %v, want %s", err, want)
	}
}
