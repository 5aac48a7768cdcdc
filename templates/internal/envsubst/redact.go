package envsubst

import (
	"sort"
	"strings"
)

// minRedactLen is the shortest value Redact hides. Shorter values ("1",
// "on") occur in almost any message by chance and hiding them would make
// the message unreadable without protecting anything worth protecting.
const minRedactLen = 4

// Redact replaces every value of vars that occurs in s by a marker naming
// its variable, <redacted:NAME>. Engines pass messages they do not write
// themselves (a Jsonnet error, a YAML parser's complaint about substituted
// text) through it, because vars may hold secrets and the engine cannot
// tell which. Longer values are replaced first, so a value that contains
// another is hidden whole.
func Redact(s string, vars map[string]string) string {
	type kv struct{ name, value string }
	var vs []kv
	for n, v := range vars {
		if len(v) >= minRedactLen && strings.Contains(s, v) {
			vs = append(vs, kv{n, v})
		}
	}
	if len(vs) == 0 {
		return s
	}
	sort.Slice(vs, func(i, j int) bool {
		if len(vs[i].value) != len(vs[j].value) {
			return len(vs[i].value) > len(vs[j].value)
		}
		return vs[i].name < vs[j].name
	})
	// One pass, so that a marker is never itself searched for values;
	// at any position the Replacer tries the longer values first.
	pairs := make([]string, 0, 2*len(vs))
	for _, v := range vs {
		pairs = append(pairs, v.value, "<redacted:"+v.name+">")
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
