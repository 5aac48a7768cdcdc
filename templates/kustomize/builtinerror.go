package kustomize

import (
	"fmt"
	"path/filepath"
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/templates/internal/securefs"
)

// Errors of kustomize's generators and replica transformer that name a
// generator or replica entry, or none, but no line: kustomize words both
// generators' errors as a configmap's (api/internal/generators/utils.go).
var (
	repeatedKeyRe  = regexp.MustCompile("configmap (\\S*) illegally repeats the key `([^`]*)`")
	unnamedRe      = regexp.MustCompile(`\ba configmap must have a name\b`)
	replicaMatchRe = regexp.MustCompile(`resource with name (\S+) does not match a config with the following GVK`)
)

// entryError points de at the generator or replicas entry of the
// kustomization de names that msg is about, with what to do. It reports
// false when msg is no such error or the entry is not found.
func entryError(de *diag.Error, fsys *securefs.FS, msg string) bool {
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
