package validate

import (
	"strings"

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

// applyKeysHints adds what a duplicate in a list of that name means.
var applyKeysHints = map[string]string{
	"env":         " (the container would see the last value)",
	"ports":       " (the same containerPort and protocol, even with other hostPorts)",
	"hostAliases": ": list each address once, with all its hostnames",
}

// applyKeys returns the entries of obj's keyed lists and sets whose key
// an earlier entry has, on obj as validate left it: defaulted, as
// server-side apply takes a key's schema default (a port's protocol is
// TCP when left out).
func (s *builtinSchema) applyKeys(obj map[string]any) fieldpath.ErrorList {
	if s.structural == nil {
		return nil
	}
	var dups fieldpath.ErrorList
	for _, e := range structurallisttype.ValidateListSetsAndMaps(nil, s.structural, obj) {
		// An item of the wrong type is the decoding's to report, an
		// entry without its key the schema's (the key is required).
		if key, ok := e.BadValue.(map[string]any); ok && len(key) == 0 {
			continue
		}
		if e.Type == fieldpath.ErrorTypeDuplicate {
			dups = append(dups, e)
		}
	}
	return dups
}

// applyKeyProblems turns dups (applyKeys') into problems, leaving out
// those in a list the API server's rules (problems) already refuse a
// duplicate of: the API server has its own rule for most keyed lists of
// pods (volumes, containers, mount paths, …) and for Service ports, with
// its own words, and one mistake is told once.
func applyKeyProblems(dups fieldpath.ErrorList, problems []apirules.Problem) []apirules.Problem {
	var out []apirules.Problem
	for _, d := range dups {
		i := strings.LastIndexByte(d.Field, '[')
		if i < 0 {
			continue
		}
		list := d.Field[:i]
		if toldDuplicate(list, problems) {
			continue
		}
		name := list[strings.LastIndexAny(list, ".]")+1:]
		out = append(out, apirules.Problem{Error: d, Hint: applyKeysHint + applyKeysHints[name]})
	}
	return out
}

// toldDuplicate reports whether one of problems refuses an entry of list
// as a duplicate ("Duplicate value", or "must be unique" as for mount
// paths).
func toldDuplicate(list string, problems []apirules.Problem) bool {
	for _, p := range problems {
		if !strings.HasPrefix(p.Field, list+"[") {
			continue
		}
		if p.Type == fieldpath.ErrorTypeDuplicate || strings.Contains(p.Detail, "unique") {
			return true
		}
	}
	return false
}
