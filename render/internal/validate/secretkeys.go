package validate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/templates"
)

// HideSecretKeys replaces, in the errors about o, every invalid key of a
// v1 Secret's data or stringData by its position ("data.(key 2 of 3 in
// sorted order)"), as the API server rules' own message about the key
// names it (apirules); parentheses, not <>, which JSON output escapes. A key that is not a valid key may be a password:
// a secretGenerator .env line without '=' becomes one whole key, and the
// messages that name a field by its path (a value that is not base64, a
// wrong type, a duplicate) would quote it whole. Valid keys stay: they
// are names, and the plain-secret gate refuses a secret var in one. A key
// shorter than redact.MinLength is hidden in paths only: alone, "." would
// match every period of a message.
// Err keeps the library's error, unmasked, for programs that link kiln.
// render's checks of a SOPS document name its keys too, and use it.
func HideSecretKeys(o templates.Object, errs []error) []error {
	if len(errs) == 0 || o.Node == nil || o.Node.GetKind() != "Secret" || o.Node.GetApiVersion() != "v1" {
		return errs
	}
	type hidden struct{ forms, label string }
	var hide []hidden
	for _, m := range []string{"data", "stringData"} {
		keys := mapKeys(o.Node.YNode(), m)
		for i, k := range keys {
			if objects.ValidDataKey(k) {
				continue
			}
			pos := fmt.Sprintf("key %d of %d", i+1, len(keys))
			// The path as objects.JoinPath writes it and as field.Path does,
			// then the key alone; each also as %q escapes it, as
			// messages quote paths.
			for _, f := range [][2]string{
				{m + "." + k, m + ".(" + pos + " in sorted order)"},
				{m + "[" + k + "]", m + "[(" + pos + " in sorted order)]"},
				{k, "(" + pos + " of " + m + " in sorted order)"},
			} {
				if f[0] == "" {
					// An empty key: nothing to hide, and "" would
					// match between every two bytes.
					continue
				}
				if f[0] == k && len(k) < redact.MinLength {
					// Alone, a key this short (".", "..", "a b")
					// matches inside any text: "." would replace
					// every period of the messages. It is no
					// password either: the redactor does not mask
					// a secret var this short.
					continue
				}
				hide = append(hide, hidden{f[0], f[1]})
				if q := strconv.Quote(f[0]); q[1:len(q)-1] != f[0] {
					hide = append(hide, hidden{q[1 : len(q)-1], f[1]})
				}
			}
		}
	}
	if len(hide) == 0 {
		return errs
	}
	// One pass, the longest forms first: a key that starts another
	// ("Word rest" and "Word rest of passphrase"), replaced first, left
	// the rest of the longer one shown, and a later key could match
	// inside a label already written.
	slices.SortStableFunc(hide, func(a, b hidden) int { return len(b.forms) - len(a.forms) })
	pairs := make([]string, 0, 2*len(hide))
	for _, h := range hide {
		pairs = append(pairs, h.forms, h.label)
	}
	mask := strings.NewReplacer(pairs...).Replace
	out := make([]error, len(errs))
	for i, err := range errs {
		var d *diag.Error
		if !errors.As(err, &d) {
			// Every check returns *diag.Error; should one not, its text
			// is not shown with a key in it.
			out[i] = &diag.Error{File: o.File, Line: o.Line, Object: objectOf(o.Node), Msg: mask(err.Error()), Err: err}
			continue
		}
		c := *d
		c.Field, c.Msg, c.Hint = mask(c.Field), mask(c.Msg), mask(c.Hint)
		out[i] = &c
	}
	return out
}

// mapKeys returns the keys of the mappings under key m of mapping n,
// sorted and each once, as the decoded object's map holds them. Of m
// written twice, the keys of each: the decoded object keeps the last
// mapping, whose keys the messages name, and the first stops at none.
func mapKeys(n *kyaml.Node, m string) []string {
	if n == nil || n.Kind != kyaml.MappingNode {
		return nil
	}
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := n.Content[i+1]; n.Content[i].Value == m && v.Kind == kyaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				keys = append(keys, v.Content[j].Value)
			}
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}
