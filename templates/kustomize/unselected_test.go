package kustomize

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/templates"
)

// deploy is a Deployment named web running nginx:1.25.
const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.25}
`

// TestUnselectedWarned: a patch whose target selects nothing, and an
// images entry no container's image answers to, do nothing, and
// `kustomize build` (so Flux) says nothing: the tag or the change they
// were written for is not in the output. kiln warns at the entry's line;
// what the output cannot tell (renames, deletions, images a patch set,
// prefixes, hashes) is not warned of. kubeflow/manifests'
// model-registry UI overlay patches a Service by group apps, which selects
// nothing: the first case.
func TestUnselectedWarned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{name: "a Service by group apps", files: map[string]string{
			"app/kustomization.yaml": "resources: [deploy.yaml, svc.yaml]\npatches:\n- target: {group: apps, version: v1, kind: Service, name: web}\n  patch: |\n    - {op: add, path: /spec/type, value: NodePort}\n",
			"app/svc.yaml":           "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n",
		}, want: []string{"app/kustomization.yaml:3: patches[0]: its target (group apps, version v1, kind Service, name web) selects no object of the build, so kustomize applies the patch to nothing; kustomize build, which Flux runs, says nothing"}},
		{name: "an image's name misspelt", files: map[string]string{
			"app/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n- name: redis\n  newTag: \"7\"\n- name: ngnix\n  newTag: \"1.27\"\n",
		}, want: []string{
			"app/kustomization.yaml:3: images[0]: no container of the build runs an image named redis, so kustomize changes no image; kustomize build, which Flux runs, says nothing",
			"app/kustomization.yaml:5: images[1]: no container of the build runs an image named ngnix, so kustomize changes no image; kustomize build, which Flux runs, says nothing",
		}},
		{name: "in a base, by a kind and a name the build has not", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\npatches:\n- target: {kind: StatefulSet}\n  patch: |\n    - {op: add, path: /spec/replicas, value: 2}\npatchesJson6902:\n- target: {group: apps, version: v1, kind: Deployment, name: webapp}\n  patch: |\n    - {op: add, path: /spec/replicas, value: 3}\n",
			"app/kustomization.yaml":  "resources: [../base]\nnamePrefix: prod-\n",
		}, want: []string{
			"base/kustomization.yaml:3: patches[0]: its target (kind StatefulSet) selects no object of the build, so kustomize applies the patch to nothing; kustomize build, which Flux runs, says nothing",
			"base/kustomization.yaml:7: patchesJson6902[0]: its target (group apps, version v1, kind Deployment, name webapp) selects no object of the build, so kustomize applies the patch to nothing; kustomize build, which Flux runs, says nothing",
		}},
		{name: "a patch of imagePullPolicy sets no image", files: map[string]string{
			"app/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n- {name: ngnix, newTag: \"1.27\"}\npatches:\n- target: {kind: Deployment}\n  patch: |\n    - {op: add, path: /spec/template/spec/containers/0/imagePullPolicy, value: Always}\n",
		}, want: []string{"app/kustomization.yaml:3: images[0]: no container of the build runs an image named ngnix, so kustomize changes no image; kustomize build, which Flux runs, says nothing"}},
		{name: "a label no object has", files: map[string]string{
			"app/kustomization.yaml": "resources: [deploy.yaml]\nlabels:\n- pairs: {tier: web}\npatches:\n- target: {labelSelector: \"tier,app in (web),!canary\", annotationSelector: \"team=a\"}\n  patch: |\n    - {op: add, path: /spec/replicas, value: 2}\n",
		}, want: []string{"app/kustomization.yaml:5: patches[0]: its target (labelSelector tier,app in (web),!canary, annotationSelector team=a) selects no object of the build, so kustomize applies the patch to nothing; kustomize build, which Flux runs, says nothing"}},
		// An entry by the image's old name after a base, or an earlier
		// entry, gave it a new one changes nothing: entries act in order,
		// a base's before its overlay's.
		{name: "an image's old name after it was renamed", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n- {name: nginx, newName: mirror.example.com/nginx}\n- {name: mirror.example.com/nginx, newTag: \"9\"}\n- {name: nginx, newTag: \"8\"}\n",
			"app/kustomization.yaml":  "resources: [../base]\nimages:\n- {name: nginx, newTag: \"1.27\"}\n",
		}, want: []string{
			"base/kustomization.yaml:5: images[2]: no container of the build runs an image named nginx, so kustomize changes no image; kustomize build, which Flux runs, says nothing",
			"app/kustomization.yaml:3: images[0]: no container of the build runs an image named nginx, so kustomize changes no image; kustomize build, which Flux runs, says nothing",
		}},
		{name: "imageTags, deprecated", files: map[string]string{
			"app/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n- {name: nginx, newTag: \"1.27\"}\nimageTags:\n- {name: busybox, newTag: \"1\"}\n",
		}, want: []string{"app/kustomization.yaml:5: imageTags[0]: no container of the build runs an image named busybox, so kustomize changes no image; kustomize build, which Flux runs, says nothing"}},
		// Not warned: each selects what it was written for.
		{name: "a name before a prefix, a regular expression, labels", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\npatches:\n- target: {kind: Deployment, name: web}\n  patch: |\n    - {op: add, path: /spec/replicas, value: 2}\n- target: {kind: Deploy.*, name: w.b}\n  patch: |\n    - {op: add, path: /spec/paused, value: false}\n- target: {labelSelector: app=web}\n  patch: |\n    - {op: add, path: /metadata/annotations, value: {a: b}}\n- target: {labelSelector: \"!canary\"}\n  patch: |\n    - {op: add, path: /metadata/annotations/c, value: d}\n",
			"app/kustomization.yaml":  "resources: [../base]\nnamePrefix: prod-\nnameSuffix: -eu\nlabels:\n- pairs: {canary: \"true\"}\n",
		}},
		{name: "a generated ConfigMap's name before its hash", files: map[string]string{
			"app/kustomization.yaml": "resources: [deploy.yaml]\nconfigMapGenerator:\n- {name: cfg, literals: [a=b]}\npatches:\n- target: {kind: ConfigMap, name: cfg}\n  patch: |\n    - {op: add, path: /data/c, value: d}\n",
		}},
		{name: "renamed by a later patch", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\npatches:\n- target: {kind: Deployment, name: web}\n  patch: |\n    - {op: add, path: /spec/replicas, value: 2}\n",
			"app/kustomization.yaml":  "resources: [../base]\npatches:\n- target: {kind: Deployment, name: web}\n  path: rename.yaml\n",
			"app/rename.yaml":         "- op: replace\n  path: /metadata/name\n  value: shop\n",
		}},
		{name: "deleted by a later patch", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\npatches:\n- target: {kind: Deployment, name: web}\n  patch: |\n    - {op: add, path: /spec/replicas, value: 2}\n",
			"app/kustomization.yaml":  "resources: [../base, cm.yaml]\npatches:\n- target: {kind: Deployment, name: web}\n  patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    $patch: delete\n",
			"app/cm.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
		}},
		{name: "an image named anew, or set by a later patch", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n- {name: nginx, newName: registry.example.com/nginx, newTag: \"1.27\"}\n",
			"app/kustomization.yaml":  "resources: [../base, job.yaml]\nimages:\n- {name: busybox, newTag: \"1.36\"}\npatches:\n- target: {kind: Job}\n  patch: |\n    - {op: replace, path: /spec/template/spec/containers/0/image, value: alpine:3}\n",
			"app/job.yaml":            "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: j, image: busybox}]\n",
		}},
		// A later layer's labels or commonAnnotations give a key the
		// selector matched another value; a later patch takes one away.
		{name: "labels and annotations changed later", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\nlabels:\n- pairs: {tier: web}\ncommonAnnotations: {team: a}\n",
			"mid/kustomization.yaml":  "resources: [../base]\npatches:\n- target: {labelSelector: \"app in (web),tier\", annotationSelector: team=a}\n  patch: |\n    - {op: add, path: /spec/replicas, value: 2}\n",
			"app/kustomization.yaml":  "resources: [../mid]\nlabels:\n- pairs: {app: shop}\ncommonAnnotations: {team: b}\n",
		}},
		{name: "a label taken away later", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\nlabels:\n- pairs: {tier: web}\n",
			"mid/kustomization.yaml":  "resources: [../base]\npatches:\n- target: {labelSelector: tier=web}\n  patch: |\n    - {op: add, path: /spec/replicas, value: 2}\n",
			"app/kustomization.yaml":  "resources: [../mid]\npatches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web, labels: {tier: null}}\n",
		}},
		// kustomize leaves an object annotated local-config out of the
		// output; patched, it changes what a replacement reads from it.
		{name: "a local-config object a replacement reads", files: map[string]string{
			"app/kustomization.yaml": "resources: [deploy.yaml, settings.yaml]\npatches:\n- target: {kind: ConfigMap, name: settings}\n  patch: |\n    - {op: replace, path: /data/tier, value: prod}\nreplacements:\n- source: {kind: ConfigMap, name: settings, fieldPath: data.tier}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [metadata.annotations.tier]\n    options: {create: true}\n",
			"app/settings.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations: {config.kubernetes.io/local-config: \"true\"}\ndata: {tier: dev}\n",
		}},
		// kustomize anchors a target's name itself, so ^web$ is web to it,
		// before the prefixes, suffixes and hashes the output shows.
		{name: "a name anchored by its own ^ and $", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\nnamePrefix: shop-\nconfigMapGenerator:\n- {name: cfg, literals: [a=b]}\npatches:\n- target: {kind: Deployment, name: ^web$}\n  patch: |\n    - {op: add, path: /spec/replicas, value: 2}\n",
			"mid/kustomization.yaml":  "resources: [../base]\nnameSuffix: -eu\npatches:\n- target: {kind: ConfigMap, name: ^shop-cfg$}\n  patch: |\n    - {op: add, path: /data/c, value: d}\n",
			"app/kustomization.yaml":  "resources: [../mid]\nnamePrefix: prod-\npatches:\n- target: {kind: Deployment, name: \"^(shop-web|api)-eu$\"}\n  patch: |\n    - {op: add, path: /spec/paused, value: false}\n",
		}},
		{name: "an apiVersion changed by a later patch", files: map[string]string{
			"base/kustomization.yaml": "resources: [hpa.yaml]\npatches:\n- target: {group: autoscaling, version: v2beta2, kind: HorizontalPodAutoscaler}\n  patch: |\n    - {op: replace, path: /spec/maxReplicas, value: 5}\n",
			"base/hpa.yaml":           "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec: {minReplicas: 1, maxReplicas: 3, scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}}\n",
			"app/kustomization.yaml":  "resources: [../base]\npatches:\n- target: {kind: HorizontalPodAutoscaler}\n  patch: |\n    - {op: replace, path: /apiVersion, value: autoscaling/v2}\n",
		}},
		// An overlay's ImageTagTransformer renames the image the base's
		// entry gave a tag; a PatchTransformer may do anything a patch does.
		{name: "a transformers entry renames the image", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n- {name: nginx, newTag: \"1.27\"}\n",
			"app/kustomization.yaml":  "resources: [../base]\ntransformers: [img.yaml]\n",
			"app/img.yaml":            "apiVersion: builtin\nkind: ImageTagTransformer\nmetadata: {name: mirror}\nimageTag: {name: nginx, newName: mirror.example.com/nginx}\n",
		}},
		// An image volume's reference is one of kustomize's images fields.
		{name: "an image volume", files: map[string]string{
			"app/kustomization.yaml": "resources: [pod.yaml]\nimages:\n- {name: quay.io/crio/artifact, newTag: v2}\n",
			"app/pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: busybox}]\n  volumes:\n  - name: v\n    image: {reference: \"quay.io/crio/artifact:v1\", pullPolicy: IfNotPresent}\n",
		}},
		// A component acts after the resources of the kustomization that
		// lists it: its entry renames the image a sibling base tagged.
		{name: "an image a component named anew", files: map[string]string{
			"base/kustomization.yaml":   "resources: [deploy.yaml]\nimages:\n- {name: nginx, newTag: \"1.27\"}\n",
			"mirror/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nimages:\n- {name: nginx, newName: mirror.example.com/nginx}\n",
			"app/kustomization.yaml":    "resources: [../base]\ncomponents: [../mirror]\n",
		}},
		// kustomize puts no group around the name: nginx|redis is "begins
		// with nginx, or is redis", and nginx-unprivileged answers to it.
		{name: "an image name with an alternation", files: map[string]string{
			"app/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n- {name: \"nginx|redis\", newTag: \"9\"}\n",
			"app/deploy.yaml":        strings.Replace(deploy, "nginx:1.25", "nginx-unprivileged:1.25", 1),
		}},
		// A base gives the tag, an overlay a registry mirror, a third
		// layer another: the output has no image named nginx or
		// registry.example.com/nginx, yet without the base's entry the tag
		// is not 1.27.
		{name: "an image a later entry named anew", files: map[string]string{
			"base/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n- {name: nginx, newTag: \"1.27\"}\n- {name: nginx, newName: registry.example.com/nginx}\n",
			"mid/kustomization.yaml":  "resources: [../base]\nimages:\n- {name: registry.example.com/nginx, newName: mirror.example.com/nginx}\n",
			"app/kustomization.yaml":  "resources: [../mid]\nimages:\n- {name: mirror.example.com/nginx, newName: mirror.example.com/library/nginx}\n",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]string{"base/deploy.yaml": deploy, "app/deploy.yaml": deploy}
			for k, v := range tc.files {
				files[k] = v
			}
			write(t, root, files)
			res, err := New(Options{}).Render(context.Background(), &templates.Request{Root: root, App: "a", Path: "app"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range res.Warnings {
				got = append(got, fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}
