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

// MaxFileName bounds the length in bytes of every object file name,
// extension included. Most file systems allow 255 bytes a name; the margin
// leaves room for editors' and git's temporary names beside the file.
const MaxFileName = 200

const (
	ext = ".yaml"
	// shortHash and longHash are the hex digits of the hash suffixes: the
	// short one tells apart names that fold together, the long one stands
	// for the part of a long name that was cut.
	shortHash = 8
	longHash  = 16
	// maxStem leaves room for ext and a "-<shortHash>" suffix.
	maxStem = MaxFileName - len(ext) - 1 - shortHash
)

// FileNames returns one file name per id, in the same order:
//
//	<kind>_<name>.yaml            for cluster-scoped objects and objects in defaultNamespace
//	<kind>_<namespace>_<name>.yaml for objects in any other namespace
//
// lowercased, with every character outside [a-z0-9.-] replaced by "-".
// Kubernetes names cannot contain "_", so the separators keep the parts
// apart. A name longer than MaxFileName allows (object names reach 253
// characters) is cut and ends in a hash of the object's full identity.
// Where two names still fold to the same string (two groups with the same
// kind, names differing only in case or in replaced characters), each of
// them gets a suffix from a hash of its full identity. The result depends
// only on the set of objects, never on their order; ids must be distinct.
func FileNames(ids []ID, defaultNamespace string) []string {
	stems := make([]string, len(ids))
	count := map[string]int{}
	for i, id := range ids {
		parts := []string{sanitize(id.Kind)}
		if id.Namespace != "" && id.Namespace != defaultNamespace {
			parts = append(parts, sanitize(id.Namespace))
		}
		parts = append(parts, sanitize(id.Name))
		s := strings.Join(parts, "_")
		if len(s) > maxStem {
			h := idHash(id)
			s = s[:maxStem-1-longHash] + "-" + h[:longHash]
		}
		stems[i] = s
		count[s]++
	}
	out := make([]string, len(ids))
	taken := map[string]int{}
	for i, id := range ids {
		s := stems[i]
		if count[s] > 1 {
			s += "-" + idHash(id)[:shortHash]
		}
		out[i] = s + ext
		taken[out[i]]++
	}
	// A suffixed name can equal another object's plain one ("x" twice
	// becomes "x-<hash>", and an object may be named "x-<hash>"). Such
	// names take the full hash instead, which only a hash collision could
	// repeat; the full hash is fixed by the identity, so order still does
	// not matter. A full-hash name can in turn equal a plain one (an
	// object named after another's full hash): the plain one then takes
	// its own full hash, in the next round. Each round only turns names
	// that appear twice into full-hash ones, each at most once, so the
	// rounds end.
	full := make([]bool, len(ids))
	for {
		changed := false
		for i, id := range ids {
			if taken[out[i]] <= 1 || full[i] {
				continue
			}
			h := idHash(id)
			s := stems[i]
			if max := MaxFileName - len(ext) - 1 - len(h); len(s) > max {
				s = s[:max]
			}
			out[i], full[i], changed = s+"-"+h+ext, true, true
		}
		if !changed {
			return out
		}
		clear(taken)
		for _, n := range out {
			taken[n]++
		}
	}
}

// idHash is the hex SHA-256 of an object's full identity.
func idHash(id ID) string {
	sum := sha256.Sum256([]byte(id.String()))
	return hex.EncodeToString(sum[:])
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
