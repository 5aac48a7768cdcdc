package scaffold

import (
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// dependsOn fills each app's DependsOn from the objects its files show
// without rendering (a YAML folder's files, the files a kustomization
// names through its bases, a chart's crds/): an app using a custom kind
// depends on the app defining its CRD, as kiln validate requires, and an
// app putting objects in a namespace depends on the app creating it, as
// it recommends. An edge that would close a cycle is left out.
func (s *scan) dependsOn(apps []App, envs []string) {
	type facts struct{ crds, namespaces, uses, inNamespaces map[string]bool }
	all := make([]facts, len(apps))
	for i, a := range apps {
		f := facts{crds: map[string]bool{}, namespaces: map[string]bool{}, uses: map[string]bool{}, inNamespaces: map[string]bool{a.Namespace: true}}
		for _, file := range s.filesOf(a, envs) {
			objs, _ := s.objects(file)
			for _, o := range objs {
				switch {
				case o.crd != "":
					f.crds[o.crd] = true
				case o.group == "" && o.kind == "Namespace":
					f.namespaces[o.name] = true
				default:
					f.uses[o.group+"/"+o.kind] = true
					if o.namespace != "" {
						f.inNamespaces[o.namespace] = true
					}
				}
			}
		}
		all[i] = f
	}
	edges := map[string][]string{}
	reaches := func(from, to string) bool {
		seen := map[string]bool{}
		var visit func(string) bool
		visit = func(n string) bool {
			if n == to {
				return true
			}
			if seen[n] {
				return false
			}
			seen[n] = true
			return slices.ContainsFunc(edges[n], visit)
		}
		return visit(from)
	}
	for i := range apps {
		for j := range apps {
			if i == j {
				continue
			}
			needs := false
			for k := range all[i].uses {
				needs = needs || all[j].crds[k]
			}
			for ns := range all[i].inNamespaces {
				needs = needs || all[j].namespaces[ns]
			}
			if needs && !reaches(apps[j].Name, apps[i].Name) {
				edges[apps[i].Name] = append(edges[apps[i].Name], apps[j].Name)
			}
		}
	}
	for i := range apps {
		deps := edges[apps[i].Name]
		slices.Sort(deps)
		apps[i].DependsOn = slices.Compact(deps)
	}
}

// filesOf lists the YAML files an app's objects can be read from without
// rendering.
func (s *scan) filesOf(a App, envs []string) []string {
	switch a.Engine {
	case YAML:
		return s.yamlBelow(a.Path)
	case Helm:
		return s.yamlBelow(path.Join(a.Path, "crds"))
	case Kustomize:
		var files []string
		seen := map[string]bool{}
		var visit func(string)
		visit = func(dir string) {
			k, ok := s.kusts[dir]
			if !ok || seen[dir] {
				return
			}
			seen[dir] = true
			for _, r := range k.references {
				if s.isFile(r) {
					files = append(files, r)
				} else {
					visit(r)
				}
			}
		}
		// An overlay per env: what any of them uses counts.
		for _, e := range envs {
			visit(strings.ReplaceAll(a.Path, "{env}", e))
		}
		return files
	}
	return nil
}

func (s *scan) yamlBelow(dir string) []string {
	var files []string
	_ = filepath.WalkDir(filepath.Join(s.root, filepath.FromSlash(dir)), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if ext := path.Ext(d.Name()); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, s.rel(p))
		}
		return nil
	})
	return files
}
