package kustomize

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/rootfs"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// Errors of kustomize's generators, replica transformer and schema
// setting that name a generator or replica entry, or none, but no line:
// kustomize words both generators' errors as a configmap's
// (api/internal/generators/utils.go).
var (
	repeatedKeyRe  = regexp.MustCompile("configmap (\\S*) illegally repeats the key `([^`]*)`")
	unnamedRe      = regexp.MustCompile(`\ba configmap must have a name\b`)
	replicaMatchRe = regexp.MustCompile(`resource with name (\S+) does not match a config with the following GVK`)
	// kyaml's openapi.SetSchema, for an openapi.version it has no schema of.
	openAPIVersionRe = regexp.MustCompile(`\bthe specified OpenAPI version is not built in\b`)
)

// entryError points de at the generator or replicas entry of the
// kustomization de names that msg is about, or at the openapi field of
// the tree at top (the kustomization built), with what to do. It reports
// false when msg is no such error or the entry is not found.
func entryError(de *diag.Error, fsys *securefs.FS, top, msg string) bool {
	data, err := fsys.ReadFile(filepath.Join(fsys.Root(), filepath.FromSlash(de.File)))
	if err != nil {
		return false
	}
	f := &kfile{path: de.File, data: data}
	generators := []string{"configMapGenerator", "secretGenerator"}
	switch m := repeatedKeyRe.FindStringSubmatch(msg); {
	case m != nil:
		for _, field := range generators {
			if line := namedEntry(f, field, m[1]); line > 0 {
				de.Line = line
				de.Hint = fmt.Sprintf("two of the generator's sources (literals, files, envs) give the key %s: give each its own key (files: [other-key=path]), or drop one", m[2])
				return true
			}
		}
	case unnamedRe.MatchString(msg):
		for _, field := range generators {
			if line := namedEntry(f, field, ""); line > 0 {
				de.Line = line
				de.Hint = "give the generator a name: the ConfigMap's or Secret's, to which kustomize appends a hash of its data"
				return true
			}
		}
	}
	if openAPIVersionRe.MatchString(msg) {
		// krusty fails a base's schema before it says which base it
		// builds: find the kustomization of the tree that sets one.
		files := []*kfile{f}
		c := &checker{fsys: fsys, root: fsys.Root(), seen: map[string]bool{}}
		c.kustomization(filepath.Join(fsys.Root(), filepath.FromSlash(path.Dir(top))), false)
		for _, dir := range slices.Sorted(maps.Keys(c.seen)) {
			for _, name := range konfig.RecognizedKustomizationFileNames() {
				if data, err := fsys.ReadFile(filepath.Join(dir, name)); err == nil {
					files = append(files, &kfile{path: rootfs.Rel(fsys.Root(), filepath.Join(dir, name)), data: data})
				}
			}
		}
		for _, k := range files {
			if kv := k.field([]string{"openapi"}); kv != nil && findKey(kv.value, "version") > 0 {
				de.File, de.Line = k.path, kv.key.Line
				de.Hint = "kustomize v5.8.2 builds in one Kubernetes OpenAPI schema, v1.21.2: set openapi.version to v1.21.2 or remove it, or give the schema of your kinds with openapi.path"
				return true
			}
		}
	}
	if m := replicaMatchRe.FindStringSubmatch(msg); m != nil {
		if line := namedEntry(f, "replicas", m[1]); line > 0 {
			de.Line = line
			de.Hint = fmt.Sprintf("no Deployment, StatefulSet, ReplicaSet or ReplicationController of the kustomization is named %s: fix the name, or remove the entry", m[1])
			return true
		}
	}
	return false
}

// namedEntry returns the line of the first entry of the list field of f
// whose name is name ("" for an entry without one); 0 if none.
func namedEntry(f *kfile, field, name string) int {
	kv := f.field([]string{field})
	if kv == nil || kv.value.Kind != yaml.SequenceNode {
		return 0
	}
	for _, e := range kv.value.Content {
		var g struct {
			Name string `yaml:"name"`
		}
		if e.Kind == yaml.MappingNode && e.Decode(&g) == nil && g.Name == name {
			return e.Line
		}
	}
	return 0
}
