package sopsreview

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/internal/words"
)

// The masks put in place of values. An encrypted value that is the same on
// both sides reads Encrypted; one that differs reads Previous on the old
// side and New on the new one, so the diff marks exactly the values that
// changed. Compared by ciphertext only, a difference may be the same value
// encrypted anew, and the masks say "ciphertext".
const (
	Encrypted        = "**encrypted**"
	Previous         = "**encrypted: previous value**"
	New              = "**encrypted: new value**"
	PreviousCipher   = "**encrypted: previous ciphertext**"
	NewCipher        = "**encrypted: new ciphertext**"
	readable         = redact.Mask
	readablePrevious = "**redacted: previous value**"
	readableNew      = "**redacted: new value**"
	maxNamed         = 20
)

// Pair returns old and new (nil: the file is absent on that side) as
// reviewers see them, when either is one SOPS-encrypted document (ok);
// otherwise ok is false and the caller masks them its own way. Every
// encrypted value, and every value under data or stringData of a v1 Secret,
// is replaced by a mask; the sops metadata keeps only the recipients and
// the encryption rule (no wrapped keys, MAC or dates). When the files
// differ, the side that exists last starts with a comment naming the
// values added, removed, changed and unchanged, and how they were
// compared: by plaintext when ids decrypt every side, else by ciphertext.
//
// found, when not nil, gets the plaintext values of each side that is a
// v1 Secret ids decrypt, also when ok is false (the other side is not one
// SOPS document): the caller masks them where the inputs beside the file
// hold them. Each side is decrypted once, for both uses.
func Pair(old, new []byte, ids sopsyaml.Identities, found func(string)) (o, n []byte, ok bool) {
	keys := invalidKeys(old, new)
	so, okO := read(old, ids, keys, found)
	sn, okN := read(new, ids, keys, found)
	if !okO || !okN || (so == nil && sn == nil) {
		return old, new, false
	}
	byPlain := (so == nil || so.plain) && (sn == nil || sn.plain)
	var added, removed, changed, same []string
	if so != nil {
		for _, p := range so.order {
			l := so.leaves[p]
			other, both := (*leaf)(nil), false
			if sn != nil {
				other, both = sn.leaves[p]
			}
			switch {
			case !both:
				removed = append(removed, p)
				l.mask(readable, Encrypted)
			case l.equal(other, byPlain):
				same = append(same, p)
				l.mask(readable, Encrypted)
				other.mask(readable, Encrypted)
			default:
				changed = append(changed, p)
				if byPlain {
					l.mask(readablePrevious, Previous)
					other.mask(readableNew, New)
				} else {
					l.mask(readablePrevious, PreviousCipher)
					other.mask(readableNew, NewCipher)
				}
			}
		}
	}
	if sn != nil {
		for _, p := range sn.order {
			if so == nil || so.leaves[p] == nil {
				added = append(added, p)
				sn.leaves[p].mask(readable, Encrypted)
			}
		}
	}
	if !bytes.Equal(old, new) {
		last := sn
		if last == nil {
			last = so
		}
		last.doc.HeadComment = verdict(byPlain, so, sn, added, removed, changed, same)
	}
	return so.bytes(), sn.bytes(), true
}

// Alone returns data, one SOPS-encrypted document whose other side is not
// one (a plain file, or a file of several documents: an env that starts or
// stops encrypting), as reviewers see it: every encrypted value, and every
// value under data or stringData of a v1 Secret, masked, the sops metadata
// reduced as Pair reduces it, and a comment saying that the values are not
// compared. ok is false when data is not one SOPS document; the caller
// masks it its own way. Without Alone such a pair was shown as plain YAML,
// the wrapped data keys and the MAC's ciphertext included.
func Alone(data []byte) (out []byte, ok bool) {
	s, ok := read(data, nil, invalidKeys(data), nil)
	if !ok || s == nil {
		return data, false
	}
	for _, p := range s.order {
		s.leaves[p].mask(readable, Encrypted)
	}
	s.doc.HeadComment = "kiln: SOPS-encrypted on this side only; its values are not compared with the other side's"
	return s.bytes(), true
}

// verdict is the comment that says what changed and how it was compared.
func verdict(byPlain bool, so, sn *side, added, removed, changed, same []string) string {
	var b strings.Builder
	b.WriteString("kiln: SOPS-encrypted; ")
	if byPlain {
		b.WriteString("values compared by plaintext (the age key given decrypts it)")
		for _, s := range []*side{so, sn} {
			if s != nil && s.macNote {
				b.WriteString("\nits MAC does not match its values, as after kustomize or jsonnet re-serialised it: Flux decrypts it, sops --decrypt refuses it")
				break
			}
		}
	} else {
		why := "no age key given (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE) decrypts it"
		for _, s := range []*side{so, sn} {
			if s != nil && s.why != "" {
				why = s.why
			}
		}
		b.WriteString("values compared by ciphertext only, since " + why + ": a changed ciphertext may hold the same value encrypted anew")
	}
	part := func(what string, paths []string) {
		if len(paths) == 0 {
			return
		}
		b.WriteString("\n" + what + ": " + words.First(paths, maxNamed))
	}
	changedWord := "changed"
	if !byPlain {
		changedWord = "ciphertext changed"
	}
	part("added", added)
	part("removed", removed)
	part(changedWord, changed)
	part("unchanged", same)
	if len(added)+len(removed)+len(changed) == 0 && so != nil && sn != nil {
		b.WriteString("\nno value changed: the file was encrypted anew (new data key, recipients or MAC)")
	}
	return b.String()
}

// side is one file's document, its values masked in place.
type side struct {
	doc     *kyaml.Node // the mapping, sops key reduced
	leaves  map[string]*leaf
	order   []string
	plain   bool              // decrypted with the age key: leaves have plaintext
	why     string            // why not, when it is not for want of a key
	macNote bool              // decrypted, but its MAC does not match
	keys    map[string]string // masks of invalid Secret keys (invalidKeys)
}

// leaf is one masked value.
type leaf struct {
	n         *kyaml.Node
	encrypted bool   // an ENC[...] value; else a readable Secret value
	cipher    string // the value as written
	plain     string // the decrypted value (side.plain)
}

func (l *leaf) equal(o *leaf, byPlain bool) bool {
	if byPlain {
		return l.plain == o.plain
	}
	return l.cipher == o.cipher
}

func (l *leaf) mask(readableMask, encryptedMask string) {
	m := readableMask
	if l.encrypted {
		m = encryptedMask
	}
	*l.n = kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!str", Value: m, Line: l.n.Line, Column: l.n.Column}
}

func (s *side) bytes() []byte {
	if s == nil {
		return nil
	}
	out, err := kyaml.NewRNode(s.doc).String()
	if err != nil {
		// Cannot happen for a node that parsed; show nothing rather than
		// something unmasked.
		return []byte("# kiln could not show this SOPS-encrypted file\n")
	}
	return []byte(out)
}

// invalidKeys returns the masks of the keys of a Secret's data and
// stringData that are not valid keys (objects.InvalidSecretKeyMasks), on
// every side given. SOPS leaves keys readable, and such a key may be a
// password (a secretGenerator .env line without '='): kiln refuses to
// write one, but the old side is whatever the manifests repository holds.
func invalidKeys(sides ...[]byte) map[string]string {
	var nodes []*kyaml.RNode
	for _, data := range sides {
		if data == nil {
			continue
		}
		if rn, err := kyaml.Parse(string(data)); err == nil {
			nodes = append(nodes, rn)
		}
	}
	return objects.InvalidSecretKeyMasks(nodes...)
}

// read parses data; a nil side and ok for nil data, ok false for data
// that is not exactly one SOPS document. keys masks the invalid keys of a
// Secret's data and stringData (invalidKeys), in the document and in the
// names of its values. found, when not nil, gets the plaintext values of a
// Secret ids decrypt.
func read(data []byte, ids sopsyaml.Identities, keys map[string]string, found func(string)) (*side, bool) {
	if data == nil {
		return nil, true
	}
	if !bytes.Contains(data, []byte("sops:")) {
		return nil, false
	}
	objs, err := objects.Parse(data, "", 0)
	if err != nil || len(objs) != 1 || objs[0].Raw == nil {
		return nil, false
	}
	rn, err := kyaml.Parse(string(data))
	if err != nil {
		return nil, false
	}
	doc := rn.YNode()
	s := &side{doc: doc, leaves: map[string]*leaf{}, keys: keys}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "sops" {
			doc.Content[i+1] = reduce(doc.Content[i+1], 0)
		}
	}
	var plainDoc *kyaml.Node
	if len(ids) > 0 {
		p, err := sopsyaml.Decrypt(data, ids)
		if errors.Is(err, sopsyaml.ErrMAC) {
			// As Flux decrypts it: every value is still authenticated.
			if p, err = sopsyaml.DecryptUnchecked(data, ids); err == nil {
				s.macNote = true
			}
		}
		switch {
		case err == nil:
			s.plain, plainDoc = true, p.Object
		case !errors.Is(err, sopsyaml.ErrNoKey):
			s.why = "it does not decrypt with the age key given"
		}
	}
	secret := objects.IsSecret(rn)
	if found != nil && plainDoc != nil && secret {
		for _, v := range objects.SecretValues(kyaml.NewRNode(plainDoc)) {
			found(v)
		}
	}
	s.walk(doc, plainDoc, nil, secret)
	if secret && len(keys) > 0 {
		for i := 0; i+1 < len(doc.Content); i += 2 {
			if f, v := doc.Content[i].Value, doc.Content[i+1]; (f == "data" || f == "stringData") && v.Kind == kyaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					if m, ok := keys[v.Content[j].Value]; ok {
						v.Content[j] = &kyaml.Node{Kind: kyaml.ScalarNode, Value: m, Line: v.Content[j].Line}
					}
				}
			}
		}
	}
	return s, true
}

// walk finds the values to mask below n; p is the decrypted twin of n
// (nil without the key), which has n's shape without the sops key.
func (s *side) walk(n, p *kyaml.Node, path []string, secret bool) {
	switch n.Kind {
	case kyaml.MappingNode:
		j := 0 // p has no sops key: step over it in n
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if len(path) == 0 && k == "sops" {
				continue
			}
			var pv *kyaml.Node
			if p != nil && p.Kind == kyaml.MappingNode && j+1 < len(p.Content) && p.Content[j].Value == k {
				pv = p.Content[j+1]
			}
			j += 2
			if m, ok := s.keys[k]; ok && secret && len(path) == 1 && (path[0] == "data" || path[0] == "stringData") {
				k = m
			}
			s.walk(n.Content[i+1], pv, append(path[:len(path):len(path)], k), secret)
		}
	case kyaml.SequenceNode:
		for i, c := range n.Content {
			var pv *kyaml.Node
			if p != nil && p.Kind == kyaml.SequenceNode && i < len(p.Content) {
				pv = p.Content[i]
			}
			last := len(path) - 1
			ip := append(path[:last:last], path[last]+"["+strconv.Itoa(i)+"]")
			s.walk(c, pv, ip, secret)
		}
	case kyaml.ScalarNode:
		enc := strings.HasPrefix(n.Value, "ENC[AES256_GCM,")
		data := false
		if secret && len(path) > 0 {
			top, _, _ := strings.Cut(path[0], "[") // data[0]: a list where a mapping belongs
			data = top == "data" || top == "stringData" ||
				// kubectl apply's record of the object holds its data, and
				// sops leaves metadata readable.
				len(path) == 3 && path[0] == "metadata" && path[1] == "annotations" && path[2] == objects.LastApplied
		}
		if !enc && !data {
			return
		}
		l := &leaf{n: n, encrypted: enc, cipher: n.Value, plain: n.Value}
		if enc && s.plain && p != nil {
			l.plain = p.Tag + "\x00" + p.Value
		}
		name := strings.Join(path, ".")
		// A key written twice (a hand edit in the manifests repository,
		// which kiln did not render; kiln refuses one it renders) is a
		// leaf of its own, or only one of the two values would be masked.
		for i := 2; s.leaves[name] != nil; i++ {
			name = strings.Join(path, ".") + " (" + strconv.Itoa(i) + ")"
		}
		s.leaves[name] = l
		s.order = append(s.order, name)
	}
}

// reduce keeps of the sops metadata what a reviewer should see change: the
// recipients and the encryption rule. Wrapped data keys (enc), dates and
// the MAC change on every encryption and say nothing.
func reduce(n *kyaml.Node, depth int) *kyaml.Node {
	switch n.Kind {
	case kyaml.MappingNode:
		out := &kyaml.Node{Kind: kyaml.MappingNode, Tag: n.Tag}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			switch {
			case k == "enc", k == "created_at":
				continue
			case depth == 0 && (k == "lastmodified" || k == "mac" || k == "version"):
				continue
			}
			v := n.Content[i+1]
			if v.Kind == kyaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			out.Content = append(out.Content, n.Content[i], reduce(v, depth+1))
		}
		return out
	case kyaml.SequenceNode:
		out := &kyaml.Node{Kind: kyaml.SequenceNode, Tag: n.Tag}
		for _, c := range n.Content {
			out.Content = append(out.Content, reduce(c, depth+1))
		}
		return out
	}
	return n
}
