package envdiff

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render"
)

// The sections of an env tree that hold objects.
const (
	// Apps is apps/<app>/: the hydrated objects, one a file.
	Apps = "apps"
	// Flux is flux/: the Flux objects kiln generates.
	Flux = "flux"
)

// Object is one Kubernetes object of an env tree.
type Object struct {
	// Section is Apps or Flux.
	Section string
	// Unit is the app of an apps/<app>/ file, or the base name of a
	// flux/<name>.yaml file (an app's Kustomization, or "notifications").
	Unit string
	// App is the app the object belongs to: Unit for apps/ objects and
	// for the Kustomization of flux/<app>.yaml; "" for the notification
	// Providers and Alerts.
	App string
	// APIVersion, Kind, Namespace and Name identify the object.
	APIVersion, Kind, Namespace, Name string
	// Path is the file holding it, relative to the env folder.
	Path string
	// Data is the object's YAML: the file's bytes for apps/ objects, the
	// document re-encoded for the several documents of a flux/ file.
	Data []byte
}

// ID is Kind/namespace/name (Kind/name without a namespace).
func (o *Object) ID() string {
	return diag.Object{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}.String()
}

// Header names the object in a diff header: env/section/unit/Kind/ns/name.
func (o *Object) Header(env string) string {
	return env + "/" + o.Section + "/" + o.Unit + "/" + o.ID()
}

func (o *Object) group() string { return schema.FromAPIVersionAndKind(o.APIVersion, o.Kind).Group }

// Objects returns the objects of an env tree (slash path → bytes, as
// render writes it), sorted by path: every apps/<app>/<file>.yaml but the
// app's kustomization.yaml, and every document of flux/<name>.yaml
// (Flux's own flux/flux-system/ is not kiln's and is left out). Other
// files (kiln.lock.json, high-level/, the apps' kustomization.yaml) hold
// no object of the env.
func Objects(files map[string][]byte) ([]*Object, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var out []*Object
	var errs []error
	for _, p := range paths {
		section, unit, ok := sectionOf(p)
		if !ok {
			continue
		}
		nodes, err := readNodes(files[p])
		if err != nil {
			errs = append(errs, &diag.Error{File: p, Msg: "cannot read the object: " + err.Error(), Err: err, Hint: "render the env again"})
			continue
		}
		if section == Apps && len(nodes) > 1 {
			// kiln writes one object a file; a file of several is
			// compared whole, under its first object.
			nodes = nodes[:1]
		}
		for _, n := range nodes {
			o := &Object{Section: section, Unit: unit, Path: p, Data: files[p],
				APIVersion: n.GetApiVersion(), Kind: n.GetKind(), Namespace: n.GetNamespace(), Name: n.GetName()}
			if section == Apps {
				o.App = unit
			} else {
				if o.group() == "kustomize.toolkit.fluxcd.io" && o.Kind == "Kustomization" {
					o.App = unit
				}
				s, err := writeNodes([]*kyaml.RNode{n})
				if err != nil {
					errs = append(errs, &diag.Error{File: p, Msg: "cannot read the object: " + err.Error(), Err: err, Hint: "render the env again"})
					continue
				}
				o.Data = []byte(s)
			}
			out = append(out, o)
		}
	}
	return out, diag.Join(errs...)
}

// sectionOf says which section a path of the env tree is in and its unit;
// ok is false for files that hold no object of the env.
func sectionOf(p string) (section, unit string, ok bool) {
	if rest, found := strings.CutPrefix(p, "apps/"); found {
		app, file, found := strings.Cut(rest, "/")
		if !found || app == "" || strings.Contains(file, "/") || file == "kustomization.yaml" || path.Ext(file) != ".yaml" {
			return "", "", false
		}
		return Apps, app, true
	}
	if file, found := strings.CutPrefix(p, "flux/"); found {
		if strings.Contains(file, "/") || path.Ext(file) != ".yaml" {
			return "", "", false
		}
		return Flux, strings.TrimSuffix(file, ".yaml"), true
	}
	return "", "", false
}

// Aligner translates the against env's env-derived values into the env's.
type Aligner struct {
	env, against render.EnvNames
	// namespaces maps a namespace of the against env to the env's when
	// every app that has it there has the same namespace in the env.
	namespaces map[string]string
	// flux maps a value kiln derived from the against env in its Flux
	// objects to the env's value for the same thing.
	flux map[string]string
}

// NewAligner returns the Aligner from against's names to env's.
func NewAligner(env, against render.EnvNames) *Aligner {
	a := &Aligner{env: env, against: against, namespaces: map[string]string{}, flux: map[string]string{}}
	ambiguous := map[string]bool{}
	for app, from := range against.Namespaces {
		to, ok := env.Namespaces[app]
		if !ok {
			continue
		}
		if prev, seen := a.namespaces[from]; seen && prev != to {
			ambiguous[from] = true
		}
		a.namespaces[from] = to
	}
	for ns := range ambiguous {
		delete(a.namespaces, ns)
	}
	ambiguous = map[string]bool{}
	for key, from := range against.Flux {
		to, ok := env.Flux[key]
		if !ok || from == to {
			continue
		}
		if prev, seen := a.flux[from]; seen && prev != to {
			ambiguous[from] = true
		}
		a.flux[from] = to
	}
	for v := range ambiguous {
		delete(a.flux, v)
	}
	return a
}

// Namespace returns the against env's namespace ns, in an object of app,
// as the env names it: app's namespace in the env when ns is app's
// namespace in the against env; else the namespace every app with ns in
// the against env has in the env; else ns itself.
func (a *Aligner) Namespace(app, ns string) string {
	if ns == "" {
		return ""
	}
	if from, ok := a.against.Namespaces[app]; ok && from == ns {
		if to, ok := a.env.Namespaces[app]; ok {
			return to
		}
	}
	if to, ok := a.namespaces[ns]; ok {
		return to
	}
	return ns
}

// name returns the against env's object's name as the env would name it:
// a Namespace that is an app's namespace, and a Flux object kiln names
// after the env, take the env's name; other names stay.
func (a *Aligner) name(o *Object) string {
	switch {
	case o.Section == Apps && o.isNamespace():
		return a.Namespace(o.App, o.Name)
	case o.Section == Flux:
		if to, ok := a.flux[o.Name]; ok {
			return to
		}
	}
	return o.Name
}

func (o *Object) isNamespace() bool { return o.APIVersion == "v1" && o.Kind == "Namespace" }

// Align returns data, one or more YAML documents of the against env's
// object o, with its env-derived values in the env's terms: every
// `namespace:` field (metadata.namespace, a RoleBinding's subjects, a Flux
// health check) and the name of a v1 Namespace, by Namespace; and in the
// Flux objects of flux/, every value kiln derives from the env (see
// render.EnvNames.Flux). Nothing else changes: a namespace inside a DNS
// name or an image stays as it is, and shows as a difference. data that
// does not parse comes back as it was.
func (a *Aligner) Align(o *Object, data []byte) []byte {
	return encode(data, func(n *kyaml.RNode) {
		if n.GetApiVersion() == "v1" && n.GetKind() == "Namespace" && o.Section == Apps {
			if m := n.Field("metadata"); m != nil {
				if f := m.Value.Field("name"); f != nil && f.Value.YNode().Kind == kyaml.ScalarNode {
					f.Value.YNode().Value = a.Namespace(o.App, f.Value.YNode().Value)
				}
			}
		}
		walk(n.YNode(), func(key string, v *kyaml.Node) {
			switch {
			case key == "namespace":
				v.Value = a.Namespace(o.App, v.Value)
			case o.Section == Flux:
				if to, ok := a.flux[v.Value]; ok {
					v.Value = to
				}
			}
		})
	})
}

// Normal returns data encoded as Align encodes it, values unchanged, so
// that both sides of a pair are formatted alike.
func Normal(data []byte) []byte { return encode(data, func(*kyaml.RNode) {}) }

// encode parses data, applies edit to each document and encodes them
// again; data that does not parse is returned as it was.
func encode(data []byte, edit func(*kyaml.RNode)) []byte {
	if data == nil {
		return nil
	}
	nodes, err := readNodes(data)
	if err != nil || len(nodes) == 0 {
		return data
	}
	for _, n := range nodes {
		edit(n)
	}
	s, err := writeNodes(nodes)
	if err != nil {
		return data
	}
	return []byte(s)
}

// readNodes parses the documents of data as kio.FromBytes does, but a
// List stays a List: unwrapped, its own fields would vanish from the
// comparison.
func readNodes(data []byte) ([]*kyaml.RNode, error) {
	return (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true, DisableUnwrapping: true, AnchorsAweigh: true}).Read()
}

// writeNodes encodes nodes as kio.StringAll does, but keeps every
// annotation: StringAll drops config.kubernetes.io/index and kyaml's
// internal ones, which a render keeps when an input has them, so two
// objects that differ there would compare equal.
func writeNodes(nodes []*kyaml.RNode) (string, error) {
	var b strings.Builder
	err := kio.ByteWriter{Writer: &b, KeepReaderAnnotations: true}.Write(nodes)
	return b.String(), err
}

// walk calls f with every scalar value in n and the key it is under ("" in
// a sequence).
func walk(n *kyaml.Node, f func(key string, v *kyaml.Node)) {
	switch n.Kind {
	case kyaml.DocumentNode, kyaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind == kyaml.ScalarNode {
				f("", c)
				continue
			}
			walk(c, f)
		}
	case kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == kyaml.ScalarNode {
				f(k.Value, v)
				continue
			}
			walk(v, f)
		}
	}
}

// hashSuffix is the suffix kustomize's generators append to a ConfigMap's
// or Secret's name: "-" and 10 characters of its hash encoding (hex with
// 0, 1, 3, a and e replaced by g, h, k, m and t, so no vowels or lookalikes).
var hashSuffix = regexp.MustCompile(`-[245-9bcdfghkmt]{10}$`)

// Unhashed returns name with a generator's hash suffix written as
// "-<hash>": two names that differ only by it are one generator's.
func Unhashed(name string) string {
	if loc := hashSuffix.FindStringIndex(name); loc != nil {
		return name[:loc[0]] + "-<hash>"
	}
	return name
}

// Pair is an object of the env and its counterpart in the against env;
// one of them is nil when the object exists on one side only.
type Pair struct {
	Env, Against *Object
}

// Match pairs the objects of the env and of the against env, in the order
// of the env's tree (section, unit, Kind, namespace, name; an object only
// the against env has sorts where the env would have it):
//
//  1. by section, app (the file's unit), API group, kind, name and
//     namespace, the against env's name and namespace aligned (see
//     Aligner.Namespace and Align);
//  2. what is left, by the same without the namespace, when exactly one
//     object of each env remains with that key: the same object moved to
//     another namespace, which the diff then shows;
//  3. what is left of ConfigMaps and Secrets, by the name without
//     kustomize's content hash suffix (configMapGenerator,
//     secretGenerator), again one of each: the generated object with other
//     content, whose new name the diff shows.
//
// Every other object is on one side only.
func Match(env, against []*Object, a *Aligner) []Pair {
	type key struct{ section, unit, group, kind, ns, name string }
	keyOf := func(o *Object, ns, name string) key {
		return key{o.Section, o.Unit, o.group(), o.Kind, ns, name}
	}
	envKey := func(o *Object) key { return keyOf(o, o.Namespace, o.Name) }
	againstKey := func(o *Object) key { return keyOf(o, a.Namespace(o.App, o.Namespace), a.name(o)) }

	byKey := map[key]*Object{}
	for _, o := range env {
		byKey[envKey(o)] = o
	}
	paired := map[*Object]bool{}
	var pairs []Pair
	var leftAgainst []*Object
	for _, o := range against {
		if e, ok := byKey[againstKey(o)]; ok && !paired[e] {
			paired[e] = true
			pairs = append(pairs, Pair{Env: e, Against: o})
			continue
		}
		leftAgainst = append(leftAgainst, o)
	}
	// What is left pairs by a looser key when exactly one object of each
	// env has it: pass 2, the same object in a namespace that is not the
	// env's mapping; pass 3, a ConfigMap or Secret of kustomize's
	// generators whose content hash suffix differs.
	loose := func(k func(key) key) {
		envLeft := map[key][]*Object{}
		for _, o := range env {
			if !paired[o] {
				envLeft[k(envKey(o))] = append(envLeft[k(envKey(o))], o)
			}
		}
		againstLeft := map[key][]*Object{}
		for _, o := range leftAgainst {
			againstLeft[k(againstKey(o))] = append(againstLeft[k(againstKey(o))], o)
		}
		var still []*Object
		for _, o := range leftAgainst {
			kk := k(againstKey(o))
			if e := envLeft[kk]; len(e) == 1 && len(againstLeft[kk]) == 1 {
				paired[e[0]] = true
				pairs = append(pairs, Pair{Env: e[0], Against: o})
				continue
			}
			still = append(still, o)
		}
		leftAgainst = still
	}
	loose(func(k key) key { k.ns = ""; return k })
	loose(func(k key) key {
		if k.group == "" && (k.kind == "ConfigMap" || k.kind == "Secret") {
			k.name = Unhashed(k.name)
		}
		return k
	})
	for _, o := range leftAgainst {
		pairs = append(pairs, Pair{Against: o})
	}
	for _, o := range env {
		if !paired[o] {
			pairs = append(pairs, Pair{Env: o})
		}
	}
	sortKey := func(p Pair) string {
		if p.Env != nil {
			k := envKey(p.Env)
			return strings.Join([]string{sectionRank(k.section), k.unit, k.kind, k.ns, k.name, k.group, "0"}, "\x00")
		}
		k := againstKey(p.Against)
		return strings.Join([]string{sectionRank(k.section), k.unit, k.kind, k.ns, k.name, k.group, "1" + p.Against.Namespace}, "\x00")
	}
	sort.SliceStable(pairs, func(i, j int) bool { return sortKey(pairs[i]) < sortKey(pairs[j]) })
	return pairs
}

// sectionRank orders apps/ before flux/, as the tree's paths sort.
func sectionRank(s string) string {
	if s == Apps {
		return "0"
	}
	return fmt.Sprint("1", s)
}
