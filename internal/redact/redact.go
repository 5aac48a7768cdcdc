// Package redact removes secret values from text before it is shown to
// anyone: logs, errors, diffs, PR bodies, high-level files.
//
// A Redactor knows the secret values of one run. Values shorter than
// MinLength are not redacted or searched for: replacing "1" or "on" would
// mangle every manifest and such values protect nothing anyway; the README
// says so. It never prints the values it knows.
package redact

import (
	"net/url"
	"sort"
	"strings"
)

// MinLength is the shortest secret value that is redacted and searched for.
const MinLength = 4

// Mask replaces a secret value.
const Mask = "**redacted**"

// Redactor replaces known secret values.
type Redactor struct {
	names    []string // secret names, sorted, parallel to values
	values   []string
	replacer *strings.Replacer
}

// New returns a Redactor for secrets (name → value).
func New(secrets map[string]string) *Redactor {
	r := &Redactor{}
	names := make([]string, 0, len(secrets))
	for n, v := range secrets {
		if len(v) >= MinLength {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	// Longer values first, so a secret that contains another is masked whole.
	byLen := append([]string(nil), names...)
	sort.SliceStable(byLen, func(i, j int) bool { return len(secrets[byLen[i]]) > len(secrets[byLen[j]]) })
	var pairs []string
	for _, n := range byLen {
		pairs = append(pairs, secrets[n], Mask)
	}
	for _, n := range names {
		r.names = append(r.names, n)
		r.values = append(r.values, secrets[n])
	}
	if len(pairs) > 0 {
		r.replacer = strings.NewReplacer(pairs...)
	}
	return r
}

// String returns s with every secret value masked.
func (r *Redactor) String(s string) string {
	if r == nil || r.replacer == nil {
		return s
	}
	return r.replacer.Replace(s)
}

// Bytes returns b with every secret value masked.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil || r.replacer == nil {
		return b
	}
	return []byte(r.replacer.Replace(string(b)))
}

// Found returns the names of the secrets whose values occur in s, sorted.
func (r *Redactor) Found(s string) []string {
	if r == nil {
		return nil
	}
	var out []string
	for i, v := range r.values {
		if strings.Contains(s, v) {
			out = append(out, r.names[i])
		}
	}
	return out
}

// Values returns the secret values, for masking by a CI system (GitHub's
// ::add-mask::). Never print them anywhere else.
func (r *Redactor) Values() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.values...)
}

// URL returns raw without the user information of a scheme://… URL, where
// CI puts tokens (https://x-access-token:TOKEN@github.com/…). A URL that
// does not parse loses everything between "://" and its last "@", so a
// malformed URL cannot smuggle a token into a message either. Other forms
// (paths, scp-like user@host:path) come back unchanged.
func URL(raw string) string {
	scheme := strings.Index(raw, "://")
	if scheme < 0 {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		if at := strings.LastIndex(raw, "@"); at > scheme {
			return raw[:scheme+3] + raw[at+1:]
		}
		return raw
	}
	if u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}
