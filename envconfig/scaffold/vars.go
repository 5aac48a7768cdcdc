package scaffold

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// varName is the variable a ${…} expression of Flux's envsubst starts
// with (${#NAME} is its length), and what follows it.
var varName = regexp.MustCompile(`^#?([A-Za-z_][A-Za-z0-9_]*)(.*)$`)

// placeholders returns the variables data's ${…} expressions use without
// a default, which kiln's yaml engine (as Flux's postBuild) must be given
// a value for, and the expressions that are not Flux's at all (Kargo's
// ${{ ctx.stage }}, a shell's ${!name} or ${ARGS[*]}), which it refuses
// as malformed. An escaped $${…} is neither.
func placeholders(data []byte) (vars, malformed []string) {
	text := string(data)
	for i := 0; i+1 < len(text); i++ {
		if text[i] != '$' {
			continue
		}
		if text[i+1] == '$' {
			i++ // $$ stands for a literal $
			continue
		}
		if text[i+1] != '{' {
			continue
		}
		rest := text[i+2:]
		end := strings.IndexAny(rest, "}\n")
		if end < 0 || rest[end] != '}' {
			malformed = append(malformed, "${"+firstLine(rest))
			continue
		}
		expr := rest[:end]
		m := varName.FindStringSubmatch(expr)
		switch {
		case m == nil:
			malformed = append(malformed, "${"+expr+"}")
		case m[2] == "" || strings.ContainsAny(m[2][:1], "^,#%/") || m[2][0] == ':' && !strings.HasPrefix(m[2], ":-") && !strings.HasPrefix(m[2], ":="):
			vars = append(vars, m[1])
		case strings.HasPrefix(m[2], "-") || strings.HasPrefix(m[2], "=") || strings.HasPrefix(m[2], ":-") || strings.HasPrefix(m[2], ":="):
			// a default
		default:
			malformed = append(malformed, "${"+expr+"}")
		}
		i += 1 + end
	}
	return vars, malformed
}

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
		var missing, foreign []string
		for _, file := range s.yamlBelow(a.Path) {
			data, err := s.read(filepath.Join(s.root, filepath.FromSlash(file)))
			if err != nil {
				continue
			}
			vars, malformed := placeholders(data)
			for _, name := range vars {
				for _, e := range envs {
					if !set[e][name] && !slices.Contains(missing, name) {
						missing = append(missing, name)
					}
				}
			}
			foreign = append(foreign, malformed...)
		}
		if len(foreign) > 0 {
			// akuity/kargo-simple's PromotionTasks: these were noted as
			// variables to set, which cannot be set.
			foreign = slices.Compact(slices.Sorted(slices.Values(foreign)))
			s.note(a.Path, "%s %s not Flux's ${NAME} (another program's expressions: Kargo's ${{ … }}, a shell's ${!name}), which kiln's yaml engine refuses as malformed: "+
				"annotate the objects that hold them kustomize.toolkit.fluxcd.io/substitute: disabled, or write each $${ for a literal ${",
				strings.Join(foreign, ", "), map[bool]string{true: "is", false: "are"}[len(foreign) == 1])
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
