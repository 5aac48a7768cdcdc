package scaffold

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// placeholder is a ${NAME} with no default, which kiln's yaml engine (as
// Flux's postBuild) must be given a value for.
var placeholder = regexp.MustCompile(`(?:^|[^$])\$\{([^}:=/]*)\}`)

// unsetVars notes the YAML apps whose files use a ${VAR} without a
// default that some environment's envs/<env>.yaml does not set: kiln
// validate would stop there.
func (s *scan) unsetVars(apps []App, envs []string) {
	set := map[string]map[string]bool{} // env -> vars its file sets
	for _, e := range envs {
		set[e] = map[string]bool{}
		file := "envs/" + e + ".yaml"
		if f, ok := s.envFiles[e]; ok {
			file = f
		}
		data, err := s.read(filepath.Join(s.root, filepath.FromSlash(file)))
		if err != nil {
			continue
		}
		var f struct {
			Vars       map[string]any    `yaml:"vars"`
			SecretVars map[string]string `yaml:"secretVars"`
		}
		if yaml.Unmarshal(data, &f) != nil {
			continue
		}
		for k := range f.Vars {
			set[e][k] = true
		}
		for k := range f.SecretVars {
			set[e][k] = true
		}
	}
	for _, a := range apps {
		if a.Engine != YAML {
			continue
		}
		var missing []string
		for _, file := range s.yamlBelow(a.Path) {
			data, err := s.read(filepath.Join(s.root, filepath.FromSlash(file)))
			if err != nil {
				continue
			}
			for _, m := range placeholder.FindAllSubmatch(data, -1) {
				name := string(m[1])
				for _, e := range envs {
					if !set[e][name] && !slices.Contains(missing, name) {
						missing = append(missing, name)
					}
				}
			}
		}
		if len(missing) == 0 {
			continue
		}
		slices.Sort(missing)
		for i, m := range missing {
			missing[i] = "${" + m + "}"
		}
		s.note(a.Path, "%s %s without a default: set %s under vars: in envs/<env>.yaml, give a default (${NAME:=value}), escape a literal one as $${NAME}, or annotate an object whose text is another program's (a Grafana dashboard) kustomize.toolkit.fluxcd.io/substitute: disabled",
			strings.Join(missing, ", "), map[bool]string{true: "is used", false: "are used"}[len(missing) == 1], map[bool]string{true: "it", false: "them"}[len(missing) == 1])
	}
}
