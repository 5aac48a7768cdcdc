package tree

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// ID identifies an object for naming.
type ID struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

func (id ID) String() string {
	return id.APIVersion + "/" + id.Kind + "/" + id.Namespace + "/" + id.Name
}

// FileNames returns one file name per id, in the same order:
//
//	<kind>_<name>.yaml            for cluster-scoped objects and objects in defaultNamespace
//	<kind>_<namespace>_<name>.yaml for objects in any other namespace
//
// lowercased, with every character outside [a-z0-9.-] replaced by "-".
// Kubernetes names cannot contain "_", so the separators keep the parts
// apart. Where two names still fold to the same string (two groups with the
// same kind, names differing only in case or in replaced characters), each of
// them gets a suffix from a hash of its full identity, so the result depends
// only on the set of objects, never on their order.
func FileNames(ids []ID, defaultNamespace string) []string {
	stems := make([]string, len(ids))
	count := map[string]int{}
	for i, id := range ids {
		parts := []string{sanitize(id.Kind)}
		if id.Namespace != "" && id.Namespace != defaultNamespace {
			parts = append(parts, sanitize(id.Namespace))
		}
		parts = append(parts, sanitize(id.Name))
		stems[i] = strings.Join(parts, "_")
		count[stems[i]]++
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		s := stems[i]
		if count[s] > 1 {
			sum := sha256.Sum256([]byte(id.String()))
			s += "-" + hex.EncodeToString(sum[:4])
		}
		out[i] = s + ".yaml"
	}
	return out
}

// sanitize lowercases s and keeps it to characters that are safe in a file
// name on every common file system.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		out = "-"
	}
	return out
}

// SortedKeys returns the keys of files in byte order.
func SortedKeys[V any](files map[string]V) []string {
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
