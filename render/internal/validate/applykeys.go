package validate

import (
	"slices"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	fieldpath "k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
)

// Keyed lists that server-side apply refuses with duplicates. Flux's
// kustomize-controller applies every object with server-side apply,
// which reads each list the schema marks x-kubernetes-list-type "map" as
// a map keyed by its x-kubernetes-list-map-keys (a container's env by
// name, its ports by containerPort and protocol, …) and each "set" as a
// set, and refuses an object naming a key twice: "failed to create typed
// patch object …: duplicate entries for key [name=\"FOO\"]"
// (kubernetes/kubernetes#113482, open). The API server's create and update
// take many such objects with a warning at most, so its hand-written
// validation has no rule for them; an object kiln writes reaches the
// cluster only through Flux, so kiln refuses them. The keys come from the
// same OpenAPI schemas server-side apply reads (every keyed list of
// k8s.io/api has its list type; none relies on a patch merge key alone),
// and the check is apiextensions-apiserver's own, which the API server
// runs on custom resources.

const applyKeysHint = "Flux applies with server-side apply, which refuses a list naming one key twice (\"duplicate entries for key\"): keep one entry"

const keylessHint = "Flux applies with server-side apply, which refuses an entry of a keyed list that names none of its keys (\"associative list with keys has an element that omits all key fields\"): give the entry its key, or remove it"

// applyKeysHints adds what a duplicate in a list of that name means.
var applyKeysHints = map[string]string{
	"env":         " (the container would see the last value)",
	"ports":       " (the same containerPort and protocol, even with other hostPorts)",
	"hostAliases": ": list each address once, with all its hostnames",
}

// applyDup is an entry of a keyed list or set whose key an earlier entry
// has: the list-type check's error and the list's key fields (none for a
// set).
type applyDup struct {
	*fieldpath.Error
	keys []string
}

// applyKeys returns the entries of obj's keyed lists and sets whose key
// an earlier entry has, on obj as validate left it: defaulted, as
// server-side apply takes a key's schema default (a port's protocol is
// TCP when left out). Metadata's lists are checkMeta's, for every kind.
func (s *builtinSchema) applyKeys(obj map[string]any) []applyDup {
	if s.structural == nil {
		return nil
	}
	var dups []applyDup
	for _, e := range structurallisttype.ValidateListSetsAndMaps(nil, s.structural, obj) {
		// An item of the wrong type is the decoding's to report.
		if e.Type != fieldpath.ErrorTypeDuplicate || strings.HasPrefix(e.Field, "metadata.") {
			continue
		}
		// Two entries without a required key (two ports without a
		// containerPort) are not "the same port": the missing field is
		// the schema's to report. An optional key has its default (an
		// image pull secret's name ""), as server-side apply gives it.
		keys := listKeys(s.structural, e.Field)
		if key, ok := e.BadValue.(map[string]any); ok && len(key) < len(keys) {
			continue
		}
		dups = append(dups, applyDup{e, keys})
	}
	keyless(s.structural, obj, nil, &dups)
	return dups
}

// keyless adds to dups each entry of a keyed list below path in v that
// names none of the list's keys, where no key is required or has a
// default: server-side apply refuses it ("associative list with keys has
// an element that omits all key fields"), and nothing else would tell. In
// k8s.io/api 0.37 that is a ServiceAccount's secrets; a required key left
// out is the schema's to report, and a CRD's keys must be one or the
// other.
func keyless(st *structuralschema.Structural, v any, path *fieldpath.Path, dups *[]applyDup) {
	if st == nil {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		if st.AdditionalProperties != nil && st.AdditionalProperties.Structural != nil {
			for k, e := range v {
				keyless(st.AdditionalProperties.Structural, e, path.Key(k), dups)
			}
			return
		}
		for k, e := range v {
			if p, ok := st.Properties[k]; ok {
				keyless(&p, e, path.Child(k), dups)
			}
		}
	case []any:
		optional := st.XListType != nil && *st.XListType == "map" && st.Items != nil && len(st.XListMapKeys) > 0
		for _, k := range st.XListMapKeys {
			if optional && (st.Items.Default.Object != nil || st.Items.ValueValidation != nil && slices.Contains(st.Items.ValueValidation.Required, k)) {
				optional = false
			}
			if p, ok := st.Items.Properties[k]; optional && ok && p.Default.Object != nil {
				optional = false
			}
		}
		for i, e := range v {
			if m, ok := e.(map[string]any); ok && optional && !slices.ContainsFunc(st.XListMapKeys, func(k string) bool { _, ok := m[k]; return ok }) {
				*dups = append(*dups, applyDup{Error: fieldpath.Required(path.Index(i).Child(st.XListMapKeys[0]), "")})
			}
			keyless(st.Items, e, path.Index(i), dups)
		}
	}
}

// listKeys returns the x-kubernetes-list-map-keys of the list whose entry
// is at path ("spec.containers[0].ports[1]") in st.
func listKeys(st *structuralschema.Structural, path string) []string {
	segs := splitPath(path)
	if len(segs) == 0 {
		return nil
	}
	if st = schemaAt(st, segs[:len(segs)-1]); st == nil {
		return nil
	}
	return st.XListMapKeys
}

// applyKeyProblems turns dups (applyKeys') into problems, leaving out
// those the API server's rules (problems) already refuse, with their own
// words: the API server has a rule against duplicates in most keyed lists
// of pods (volumes, containers, mount paths, …) and in Service ports, and
// one mistake is told once.
func applyKeyProblems(dups []applyDup, problems []apirules.Problem) []apirules.Problem {
	var out []apirules.Problem
	for _, d := range dups {
		if d.Type == fieldpath.ErrorTypeRequired {
			out = append(out, apirules.Problem{Error: d.Error, Hint: keylessHint})
			continue
		}
		i := strings.LastIndexByte(d.Field, '[')
		if i < 0 || told(d, d.Field[:i], problems) {
			continue
		}
		list := d.Field[:i]
		name := list[strings.LastIndexAny(list, ".]")+1:]
		out = append(out, apirules.Problem{Error: d.Error, Hint: applyKeysHint + applyKeysHints[name]})
	}
	return out
}

// told reports whether one of problems already refuses d, an entry of
// list, as a duplicate: a rule's "Duplicate value" or "must be unique"
// about the entry or one of its key fields (the second of two volumes of
// one name, a mount path), or a duplicate the API server reports at the
// first entry of a key of several fields
// ("topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}"); or
// a rule forbidding the whole list (ephemeral containers on create).
// Another problem of the entry (an env value beside a valueFrom, a
// hostPort out of range) or of another entry (a hostPort twice) does not
// tell that two entries share a key.
func told(d applyDup, list string, problems []apirules.Problem) bool {
	for _, p := range problems {
		f := p.Field
		if f == list && p.Type == fieldpath.ErrorTypeForbidden {
			return true
		}
		if p.Type != fieldpath.ErrorTypeDuplicate && !strings.Contains(p.Detail, "unique") {
			continue
		}
		if f == d.Field || strings.HasPrefix(f, list+"[") && strings.Contains(f, "].{") {
			return true
		}
		for _, k := range d.keys {
			if f == d.Field+"."+k {
				return true
			}
		}
	}
	return false
}
