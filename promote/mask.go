package promote

import (
	"bytes"
	"encoding/base64"
	"index/suffixarray"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/promote/internal/envdiff"
	"github.com/kiln-gitops/kiln/promote/internal/sopsreview"
	"github.com/kiln-gitops/kiln/promote/internal/treediff"
)

// Masks of Secret data in diffs and PR bodies.
const (
	maskSame    = redact.Mask
	maskBefore  = "**redacted: previous value**"
	maskChanged = "**redacted: new value**"
)

// shownTrees returns old and new as people may see them: every value in
// the data and stringData of v1 Secrets masked, whoever's it is (a secret
// var's under allowPlainSecrets, or a value committed by hand), then every
// form of the env's secret values masked anywhere, and in a file that
// changed, every scalar that YAML reads as holding one (redactRead). A
// value that changed gets a different mask on each side, so the diff
// still says which keys changed; a rotated secret's previous value is
// never shown, which masking the current values alone would do.
//
// sealed are the plaintext values of the Secrets the render encrypted
// (render.EnvResult.Sealed): their inputs in high-level/ are masked as a
// plain Secret's are, and so are those of every encrypted Secret that ids
// decrypt, on either side.
//
// A SOPS-encrypted file is shown by sopsreview instead: its values masked
// as added, removed, changed or unchanged, compared by plaintext when ids
// decrypt it, and its metadata without the noise of a new encryption.
func shownTrees(rd *redact.Redactor, ids sopsyaml.Identities, sealed []string, old, new map[string][]byte) (map[string][]byte, map[string][]byte) {
	so := make(map[string][]byte, len(old))
	sn := make(map[string][]byte, len(new))
	for p, data := range old {
		so[p] = data
	}
	for p, data := range new {
		sn[p] = data
	}
	// The values of the trees' v1 Secrets, gathered while they are masked
	// (the only pass that parses them), for the high-level/ files below.
	values := map[string]string{}
	found := func(v string) { values[strconv.Itoa(len(values))] = v }
	mask := func(o, n []byte) ([]byte, []byte) {
		o, n, _ = shownPair(ids, o, n, found)
		return o, n
	}
	moved := movedSecrets(old, new)
	for p := range sn {
		if o, ok := so[p]; ok {
			so[p], sn[p] = mask(o, sn[p])
		} else if q, ok := moved[p]; ok {
			so[q], sn[p] = mask(so[q], sn[p])
		} else {
			_, sn[p] = mask(nil, sn[p])
		}
	}
	movedFrom := map[string]bool{}
	for _, q := range moved {
		movedFrom[q] = true
	}
	for p := range so {
		if _, ok := sn[p]; !ok && !movedFrom[p] {
			so[p], _ = mask(so[p], nil)
		}
	}
	// high-level/ holds the inputs: the Helm values, the overlay's
	// kustomization.yaml and .env files, the vars a template put into a
	// Secret. Masking the Secret alone would show its values one file
	// further down. A template may build a Secret's value around an
	// input (a URL holding the password of values.yaml): an input value
	// that a Secret's value holds is masked too.
	// The Secrets the render encrypted: their files tell nothing
	// without the key, the render knew their plaintext.
	for _, v := range sealed {
		found(v)
	}
	for _, v := range inputsInSecrets(values, old, new) {
		found(v)
	}
	for _, v := range replacedInputs(values, old, new) {
		found(v)
	}
	// Built once (a Set builds each Redactor it is given, then all of
	// them again, a third of a diff of 4,000 Secrets), for texts no
	// longer than the longest high-level/ file: a form longer than that
	// cannot be in one, and a Secret value of 1 MiB made an automaton of
	// 40 MiB, 13 s of a diff (redact.Redactor.With).
	longest := 0
	for _, tree := range []map[string][]byte{old, new} {
		for p, data := range tree {
			if isInput(p) {
				longest = max(longest, len(data))
			}
		}
	}
	hl := rd
	if longest > 0 {
		hl = rd.With(values, longest)
	}
	// A value may be written so that no form of it is in the text (a
	// scalar folded over lines): a file that changed is read as YAML
	// too (redactRead). One that did not is shown as no change, however
	// it is masked, and costs no parse.
	redacted := func(p string, data []byte) []byte {
		r := rd
		if isInput(p) {
			r = hl
		}
		if o, ok := old[p]; ok {
			if n, ok := new[p]; ok && bytes.Equal(o, n) {
				return r.Bytes(data)
			}
		}
		return redactRead(r, data)
	}
	for p, data := range so {
		so[p] = redacted(p, data)
	}
	for p, data := range sn {
		if isInput(p) {
			sn[p] = redacted(p, data)
			if o, ok := so[p]; ok && bytes.Equal(o, sn[p]) && !bytes.Equal(old[p], new[p]) {
				// Only masked values changed: say so, or the change
				// would vanish from the diff.
				sn[p] = append(bytes.TrimRight(sn[p], "\n"), "\n"+maskedInputChange...)
			}
		} else {
			sn[p] = redacted(p, data)
			if o, ok := so[p]; ok && bytes.Equal(o, sn[p]) && !bytes.Equal(old[p], new[p]) {
				// Only masked text changed (a comment of a Secret, a
				// secret value): say so, or the change would vanish.
				sn[p] = append(bytes.TrimRight(sn[p], "\n"), "\n"+maskedChange...)
			}
		}
	}
	return so, sn
}

// movedSecrets pairs the object files that add a Secret (path in new)
// with those that remove the same Secret (path in old): one of another
// app's folder (a Secret moved between apps), or of another name only by
// a generator's hash suffix (a secretGenerator's Secret whose content
// changed, and with it its name and file). Masked as a pair, its values
// show as changed or kept, as a Secret's whose file stays; masked each
// alone, every value would look kept, a rotated one too. Only a pair that
// nothing else shares is paired.
func movedSecrets(old, new map[string][]byte) map[string]string {
	byKey := func(tree, other map[string][]byte) map[string][]string {
		out := map[string][]string{}
		for p, data := range tree {
			if _, ok := other[p]; ok || !treediff.IsObject(p) || !bytes.Contains(data, []byte("Secret")) {
				continue
			}
			if o := treediff.ObjectOf(data); o.Kind == "Secret" {
				k := o.Namespace + "/" + envdiff.Unhashed(o.Name)
				out[k] = append(out[k], p)
			}
		}
		return out
	}
	removed, added := byKey(old, new), byKey(new, old)
	pairs := map[string]string{}
	for k, ps := range added {
		if qs := removed[k]; len(ps) == 1 && len(qs) == 1 {
			pairs[ps[0]] = qs[0]
		}
	}
	return pairs
}

// maskedInputChange ends a high-level file whose only changes are masked.
const maskedInputChange = "# kiln: a value that a Secret holds changed in this file (masked)\n"

// maskedChange ends any other file whose only changes are masked.
const maskedChange = "# kiln: something masked changed in this file (a Secret's comment, or a secret value)\n"

func isInput(p string) bool { return strings.HasPrefix(p, "high-level/") }

// shownPair masks one file's old and new content (nil: absent) as
// shownTrees does, before the redactor: a pair of SOPS-encrypted documents
// by sopsreview (sops is true); one encrypted beside one that is not (an
// env that starts or stops encrypting) by sopsreview.Alone, so that its
// wrapped keys and MAC are not shown; any other v1 Secret's data by
// maskSecretPair, which gives found (when not nil) the values it masks.
func shownPair(ids sopsyaml.Identities, old, new []byte, found func(string)) (o, n []byte, sops bool) {
	// A file that did not change holds the values the render encrypted
	// (shownTrees' sealed: kept ciphertext too), or a source's encrypted
	// document, whose inputs hold only its ciphertext: its values would
	// only grow the redactor.
	encrypted := found
	if bytes.Equal(old, new) {
		encrypted = nil
	}
	if o, n, ok := sopsreview.Pair(old, new, ids, encrypted); ok {
		return o, n, true
	}
	// One side SOPS-encrypted, the other not: each is masked on its own,
	// the encrypted one without its wrapped keys and MAC.
	so, encOld := sopsreview.Alone(old)
	sn, encNew := sopsreview.Alone(new)
	if encOld {
		old = nil
	}
	if encNew {
		new = nil
	}
	o, n = maskSecretPair(old, new, found)
	if encOld {
		o = so
	}
	if encNew {
		n = sn
	}
	return o, n, false
}

// maskSecretPair masks the Secret data of one file's old and new content
// (nil: absent). A file without a v1 Secret comes back as it was.
//
// The old side is whatever the manifests repository (or --against) holds,
// hand edits included, so nothing may depend on it being kiln's output: a
// Secret's data is masked under every data or stringData key of the
// object, duplicates included, whatever its shape; an object is a Secret
// when any of its apiVersion and kind keys say so; and a file that may
// hold a Secret but does not parse is not shown at all.
//
// found, when not nil, gets every value of a data or stringData mapping
// of a Secret that is not SOPS-encrypted (data base64-decoded): what the
// inputs beside it may hold in plain text.
func maskSecretPair(old, new []byte, found func(string)) ([]byte, []byte) {
	// The objects are masked in place: the documents are serialised with
	// their lists' items masked.
	oldNodes, oldObjs, oldHas, oldBad := secretDocs(old)
	newNodes, newObjs, newHas, newBad := secretDocs(new)
	if !oldHas && !newHas && oldBad == nil && newBad == nil {
		return old, new
	}
	// The values on the other side, by Secret and key. A Secret on each
	// side is one object, whatever its name and namespace: kiln diff
	// --against-env pairs a Secret of another namespace, or a generator's
	// Secret of another hash, and its changed keys must show as changed.
	single := secrets(oldObjs) == 1 && secrets(newObjs) == 1
	idOf := func(n *kyaml.RNode) string {
		if single {
			return ""
		}
		return n.GetNamespace() + "/" + n.GetName()
	}
	// Each Secret's plain values, both sides': what its own annotations
	// and labels may hold too (ownCopies).
	plain := map[string][]string{}
	for _, n := range slices.Concat(oldObjs, newObjs) {
		if objects.IsSecret(n) {
			plain[idOf(n)] = append(plain[idOf(n)], objects.SecretValues(n)...)
		}
	}
	values := func(nodes []*kyaml.RNode) map[string]string {
		m := map[string]string{}
		for _, n := range nodes {
			if !objects.IsSecret(n) {
				continue
			}
			id := idOf(n)
			for _, e := range metadataValues(n.YNode()) {
				m[id+"\x00"+e.key] = nodeText(e.v)
			}
			if found != nil {
				for _, v := range objects.SecretValues(n) {
					found(v)
				}
			}
			for i, v := range objects.LastAppliedValues(n.YNode()) {
				m[id+"\x00"+objects.LastApplied+"\x00"+strconv.Itoa(i)] = nodeText(v)
			}
			for f, v := range secretData(n) {
				if v.Kind != kyaml.MappingNode {
					m[id+"\x00"+f] = nodeText(v)
					continue
				}
				for i := 0; i+1 < len(v.Content); i += 2 {
					m[id+"\x00"+f+"\x00"+v.Content[i].Value] = nodeText(v.Content[i+1])
				}
			}
		}
		return m
	}
	ov, nv := values(oldObjs), values(newObjs)
	// A key that is not a valid key may be a password (a secretGenerator
	// .env line without '='): kiln refuses to write one, but the old side
	// is whatever the manifests repository holds.
	keys := objects.InvalidSecretKeyMasks(slices.Concat(oldObjs, newObjs)...)
	mask := func(nodes []*kyaml.RNode, other map[string]string, changed string) {
		for _, n := range nodes {
			if !objects.IsSecret(n) {
				continue
			}
			id := idOf(n)
			masked := func(key string, v *kyaml.Node) *kyaml.Node {
				m := maskSame
				if o, ok := other[key]; ok && o != nodeText(v) {
					m = changed
				}
				return &kyaml.Node{Kind: kyaml.ScalarNode, Value: m}
			}
			// A comment in a Secret may hold a value: a template's
			// "# from values: …", a rotated value kept by hand. Each is
			// masked whole.
			maskComments(n.YNode())
			// kubectl apply's record of the object holds its data: a
			// Secret committed from a cluster's dump has it.
			for i, v := range objects.LastAppliedValues(n.YNode()) {
				*v = *masked(id+"\x00"+objects.LastApplied+"\x00"+strconv.Itoa(i), v)
			}
			for _, e := range ownCopies(n.YNode(), plain[id]) {
				*e.v = *masked(id+"\x00"+e.key, e.v)
			}
			c := n.YNode().Content
			for i := 0; i+1 < len(c); i += 2 {
				f, v := c[i].Value, c[i+1]
				if !isDataKey(f) || isNull(v) {
					continue
				}
				if v.Kind != kyaml.MappingNode {
					c[i+1] = masked(id+"\x00"+f, v)
					continue
				}
				for j := 0; j+1 < len(v.Content); j += 2 {
					v.Content[j+1] = masked(id+"\x00"+f+"\x00"+v.Content[j].Value, v.Content[j+1])
					if m, ok := keys[v.Content[j].Value]; ok {
						v.Content[j] = &kyaml.Node{Kind: kyaml.ScalarNode, Value: m}
					}
				}
			}
		}
	}
	mask(oldObjs, nv, maskBefore)
	mask(newObjs, ov, maskChanged)
	switch {
	case oldBad != nil:
		old = oldBad
	case oldHas:
		old = serialise(oldNodes)
	}
	switch {
	case newBad != nil:
		new = newBad
	case newHas:
		new = serialise(newNodes)
	}
	return old, new
}

// metadataValue is a value of a Secret's annotations or labels, and its
// key, as maskSecretPair pairs the sides' values.
type metadataValue struct {
	key string
	v   *kyaml.Node
}

// metadataValues returns the values of n's annotations and labels but
// kubectl's last-applied record, which is masked whole anyway. A key
// written twice (the old side is whatever the repository holds) is read
// at each place: a JSON decoder keeps the last, a diff shows both.
func metadataValues(n *kyaml.Node) []metadataValue {
	var out []metadataValue
	for _, md := range mapValues(n, "metadata") {
		for _, field := range []string{"annotations", "labels"} {
			for _, m := range mapValues(md, field) {
				if m.Kind != kyaml.MappingNode {
					// No mapping (a hand edit): searched whole.
					out = append(out, metadataValue{"metadata." + field, m})
					continue
				}
				for i := 0; i+1 < len(m.Content); i += 2 {
					k, v := m.Content[i].Value, m.Content[i+1]
					if !(field == "annotations" && k == objects.LastApplied) {
						out = append(out, metadataValue{"metadata." + field + "\x00" + k, v})
					}
				}
			}
		}
	}
	return out
}

// mapValues returns every value of key in the mapping n, in order; none
// when n is no mapping or has no such key.
func mapValues(n *kyaml.Node, key string) []*kyaml.Node {
	if n == nil || n.Kind != kyaml.MappingNode {
		return nil
	}
	var out []*kyaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			out = append(out, n.Content[i+1])
		}
	}
	return out
}

// ownCopies returns the annotations and labels of the Secret n that hold a
// form of one of values, its own (either side's): a template's
// annotation quoting a password, a hand-written note, an alias of a data
// value that kustomize and kiln expand. Only the Secret's own values are
// searched for, and only in the Secret, where a value equal to a label
// (a user named like the app) costs one masked label of one object; every
// object of a diff searched for every Secret value would mask short
// common words all over it. A value no longer than the longest of these
// texts is searched for in every form. A longer one is searched for in
// the forms of it that are shorter than itself (redact.Forms): trimmed of
// blanks (`echo pw | base64` writes a line break after the password),
// without its line breaks, and, of a value of several lines, each line
// as it is; any other form of it is longer, or a digest. A text of more
// than maxFormsValue bytes (which would make an automaton many times its
// size) is searched for as it is and as base64 only.
func ownCopies(n *kyaml.Node, values []string) []metadataValue {
	all := metadataValues(n)
	// An annotation that is no string is no valid one, but the old side
	// is whatever the repository holds: it is searched as its YAML text.
	texts := make([]string, len(all))
	longest := 0
	for i, e := range all {
		texts[i] = nodeText(e.v)
		longest = max(longest, len(texts[i]))
	}
	if longest < redact.MinLength {
		return nil
	}
	named := map[string]string{}
	var raw []string
	add := func(s string) {
		switch {
		case redact.TooShort(s) || len(s) > longest:
		case len(s) > maxFormsValue:
			raw = append(raw, s, base64.StdEncoding.EncodeToString([]byte(s)))
		default:
			named[strconv.Itoa(len(named))] = s
		}
	}
	for _, v := range values {
		if len(v) <= longest {
			add(v)
			continue
		}
		if t := strings.TrimSpace(v); len(t) < len(v) {
			add(t)
		}
		if !strings.ContainsAny(v, "\r\n") {
			continue
		}
		add(strings.ReplaceAll(v, "\n", ""))
		for _, l := range redact.Lines(v) {
			// A PEM armour line is the same in every key (Forms).
			armour := strings.HasPrefix(l, "-----BEGIN ") || strings.HasPrefix(l, "-----END ")
			if len(l) <= longest && !armour {
				raw = append(raw, l)
			}
		}
	}
	rd := redact.New(named)
	var out []metadataValue
	for i, e := range all {
		if rd.Found(texts[i]) != nil || slices.ContainsFunc(raw, func(v string) bool { return strings.Contains(texts[i], v) }) {
			out = append(out, e)
		}
	}
	return out
}

// maxFormsValue bounds the values ownCopies searches for in every form.
const maxFormsValue = 4096

// maskCommentLines masks every comment line of a file holding a Secret,
// those kyaml keeps outside the nodes too (a document's head comment
// before a blank line, one beside a "---"). Every value of the Secret is
// masked already, so no block scalar's line that starts with "#" is left
// to be mistaken for one.
func maskCommentLines(data []byte) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	for i, l := range lines {
		t := bytes.TrimLeft(l, " \t")
		if !bytes.HasPrefix(t, []byte("#")) {
			continue
		}
		nl := ""
		if bytes.HasSuffix(l, []byte("\n")) {
			nl = "\n"
		}
		lines[i] = append(append([]byte(nil), l[:len(l)-len(t)]...), maskComment+nl...)
	}
	return bytes.Join(lines, nil)
}

// maskComment stands for a comment of a Secret in diffs and PR bodies.
const maskComment = "# " + maskSame

// maskComments replaces every comment of n and the nodes below it with
// maskComment.
func maskComments(n *kyaml.Node) {
	for _, c := range []*string{&n.HeadComment, &n.LineComment, &n.FootComment} {
		if *c != "" {
			*c = maskComment
		}
	}
	for _, c := range n.Content {
		maskComments(c)
	}
}

// secrets counts the v1 Secrets among objs.
func secrets(objs []*kyaml.RNode) int {
	n := 0
	for _, o := range objs {
		if objects.IsSecret(o) {
			n++
		}
	}
	return n
}

// unparsed stands for a file that may hold a Secret and does not parse:
// without its structure, its values cannot be told from the rest.
var unparsed = []byte("# kiln: this file does not parse as YAML and may hold Secret data, so it is not shown\n")

// unmaskable stands for a file holding a Secret that kiln cannot write
// back once masked.
var unmaskable = []byte("# kiln could not mask this file's Secret data, so it is not shown\n")

// oddMetadata stands for a file with a Secret whose metadata or
// annotations are no mapping.
var oddMetadata = []byte("# kiln could not mask this file: an object's metadata or annotations are no mapping, and it holds a Secret, so it is not shown\n")

// metadataNoMapping reports whether a metadata or an annotations of n is
// a list, or another node that is neither a mapping nor a scalar: no
// valid object has one, and kyaml's writer indexes past the end of an
// odd list when it clears its own annotations (kio.ByteWriter), a panic.
func metadataNoMapping(n *kyaml.Node) bool {
	odd := func(v *kyaml.Node) bool { return v.Kind != kyaml.MappingNode && v.Kind != kyaml.ScalarNode }
	for _, md := range mapValues(n, "metadata") {
		if odd(md) || slices.ContainsFunc(mapValues(md, "annotations"), odd) {
			return true
		}
	}
	return false
}

func isDataKey(k string) bool { return k == "data" || k == "stringData" }

func isNull(v *kyaml.Node) bool {
	return v.Kind == kyaml.ScalarNode && v.ShortTag() == kyaml.NodeTagNull
}

// secretData returns n's data and stringData values, the last of each
// when a key is there twice (as a JSON decoder reads them).
func secretData(n *kyaml.RNode) map[string]*kyaml.Node {
	out := map[string]*kyaml.Node{}
	c := n.YNode().Content
	for i := 0; i+1 < len(c); i += 2 {
		if isDataKey(c[i].Value) && !isNull(c[i+1]) {
			out[c[i].Value] = c[i+1]
		}
	}
	return out
}

// nodeText is a value as the comparison of the two sides sees it.
func nodeText(v *kyaml.Node) string {
	if v.Kind == kyaml.ScalarNode {
		return v.Value
	}
	s, err := kyaml.String(v)
	if err != nil {
		return ""
	}
	return s
}

// secretDocs parses data as YAML documents and reports whether one is a v1
// Secret (has), or whether data may hold one and does not parse (bad).
// objs are the documents with their lists' items (withItems). Data that
// names no Secret is left alone: "Secret" in it, or a backslash, which is
// how a double-quoted YAML scalar could spell it otherwise.
func secretDocs(data []byte) (nodes, objs []*kyaml.RNode, has bool, bad []byte) {
	if data == nil || !bytes.Contains(data, []byte("Secret")) && !bytes.Contains(data, []byte(`\`)) {
		return nil, nil, false, nil
	}
	nodes, err := kio.FromBytes(data)
	if err != nil {
		return nil, nil, false, unparsed
	}
	objs = withItems(nodes)
	if !slices.ContainsFunc(objs, objects.IsSecret) {
		return nil, nil, false, nil
	}
	if slices.ContainsFunc(objs, func(n *kyaml.RNode) bool { return metadataNoMapping(n.YNode()) }) {
		return nil, nil, false, oddMetadata
	}
	return nodes, objs, true, nil
}

// withItems returns nodes and, after each list among them (a SecretList, a
// kubectl get -o yaml dump: objects.ListItems), its items, lists in lists
// included: kustomize, and so Flux, applies the items as objects, so a
// Secret among them is one. kio expands only apiVersion v1 kind List. The
// items share the nodes' YAML, so masking them masks the document.
func withItems(nodes []*kyaml.RNode) []*kyaml.RNode {
	var out []*kyaml.RNode
	var add func(n *kyaml.Node, depth int)
	add = func(n *kyaml.Node, depth int) {
		out = append(out, kyaml.NewRNode(n))
		// A bound, not a limit anyone reaches: input is hostile.
		if items, ok := objects.ListItems(n); ok && items.Kind == kyaml.SequenceNode && depth < 32 {
			for _, it := range items.Content {
				add(it, depth+1)
			}
		}
	}
	for _, n := range nodes {
		add(n.YNode(), 0)
	}
	return out
}

// serialise writes the masked nodes back, every comment line masked.
func serialise(nodes []*kyaml.RNode) []byte {
	s, err := kio.StringAll(nodes)
	if err != nil {
		// Show nothing rather than the values; not as a comment, which
		// maskCommentLines would mask too.
		return unmaskable
	}
	return maskCommentLines([]byte(s))
}

// inputsInSecrets returns the values of the high-level/ files of the trees
// (scalars of YAML and JSON files, the values of a .env file's lines) that
// one of secrets holds, sorted: the parts a template put into a Secret's
// value with other text around it. Booleans, nulls and values shorter
// than redact.MinLength are left out, as the redactor leaves out such
// values. One suffix array over the secrets answers each value in time
// of its length: a values file of many distinct values beside a large
// Secret costs no product of the two.
func inputsInSecrets(secrets map[string]string, trees ...map[string][]byte) []string {
	if len(secrets) == 0 {
		return nil
	}
	var all bytes.Buffer
	for _, v := range secrets {
		all.WriteString(v)
		all.WriteByte(0)
		for _, d := range innerBase64(v, 2) {
			all.WriteString(d)
			all.WriteByte(0)
		}
	}
	sa := suffixarray.New(all.Bytes())
	holds := func(s string) bool { return len(s) >= redact.MinLength && len(sa.Lookup([]byte(s), 1)) > 0 }
	seen := map[string]bool{}
	for _, tree := range trees {
		for p, data := range tree {
			if !isInput(p) {
				continue
			}
			for _, v := range inputValues(p, data) {
				if !seen[v] && !redact.TooShort(v) && heldInput(v, holds) {
					seen[v] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// heldInput reports whether a Secret's value holds the input value v as a
// template puts it there: as it is; trimmed of blanks (a block scalar's
// line break, which a template's trim drops); escaped as JSON (toJson of a
// password with a quote or a backslash); or, of several lines, each line
// (a key indented into a config file, a service account key whose line
// breaks toJson writes as \n). holds answers for one text.
func heldInput(v string, holds func(string) bool) bool {
	t := strings.TrimSpace(v)
	if holds(v) || holds(t) {
		return true
	}
	if needsJSONEscape(t) {
		for _, html := range []bool{true, false} {
			if holds(redact.JSONEscape(t, html)) {
				return true
			}
		}
	}
	if !strings.ContainsAny(t, "\r\n") {
		return false
	}
	lines := 0
	for _, l := range redact.Lines(t) {
		// A PEM armour line is in every key; it proves nothing.
		if strings.HasPrefix(l, "-----BEGIN ") || strings.HasPrefix(l, "-----END ") {
			continue
		}
		if !holds(l) {
			return false
		}
		lines++
	}
	return lines > 0
}

// needsJSONEscape reports whether encoding/json escapes a byte of s: most
// values have none, and a values file may have 100,000 of them.
func needsJSONEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// base64Run is a run of base64 long enough to hold a value of
// redact.MinLength bytes, padded or not.
var base64Run = regexp.MustCompile(`[A-Za-z0-9+/]{8,}={0,2}`)

// innerBase64 returns the text that the base64 runs inside v decode to,
// and, down to depth levels, the runs inside that text: a Secret's value
// may hold an input only encoded, as a kubernetes.io/dockerconfigjson
// Secret's JSON holds "auth": base64 of user:password, which charts build
// from their values (Helm's own guide to image pull secrets does). A run
// that does not decode to UTF-8 text is left out; what is left may still
// be noise, which costs only a search that finds nothing.
func innerBase64(v string, depth int) []string {
	if depth == 0 {
		return nil
	}
	var out []string
	for _, run := range base64Run.FindAllString(v, -1) {
		b, err := base64.StdEncoding.DecodeString(run)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(run, "="))
		}
		if err != nil || !utf8.Valid(b) {
			continue
		}
		d := credential(string(b))
		out = append(out, d)
		out = append(out, innerBase64(d, depth-1)...)
	}
	return out
}

// credential returns the secret part of a decoded user:password pair, as
// HTTP Basic and a pull secret's "auth" hold one: the password. The user
// name beside it is no secret (registries show it, kubectl prints it),
// and a common one found there ("admin", a robot account's name) would
// otherwise be masked in every high-level/ file of the env, inside keys
// and paths ("**redacted**User"). Text of another shape, or whose part
// after the colon is too short to be masked on its own, is returned
// whole.
func credential(d string) string {
	user, pw, ok := strings.Cut(d, ":")
	if !ok || user == "" || len(user) > 256 || redact.TooShort(pw) || strings.ContainsFunc(user, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '"' || r == '{'
	}) || strings.ContainsAny(pw, "\r\n") {
		return d
	}
	return pw
}

// replacedInputs returns the values that high-level/ files of old held
// where the same file of new holds one of secrets (in the same place: a
// key's path in a YAML or JSON file, a KEY= line), and something else:
// the value a secret replaced. A plain Secret's previous values are known
// from the old tree, but an encrypted one's only with the age key, and
// without it a rotated jsonnet extVar or chart password showed on the
// diff's old side.
func replacedInputs(secrets map[string]string, old, new map[string][]byte) []string {
	if len(secrets) == 0 {
		return nil
	}
	secret := map[string]bool{}
	for _, v := range secrets {
		secret[v] = true
	}
	var out []string
	for p, n := range new {
		o, ok := old[p]
		if !isInput(p) || !ok || bytes.Equal(o, n) {
			continue
		}
		before := inputPlaces(p, o)
		for place, v := range inputPlaces(p, n) {
			if was, ok := before[place]; ok && was != v && secret[v] && !redact.TooShort(was) {
				out = append(out, was)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// inputPlaces maps each scalar value of an input file (inputScalars) to
// its place: its document and path in a YAML or JSON file, its key on a
// KEY=value line.
func inputPlaces(p string, data []byte) map[string]string {
	out := map[string]string{}
	for _, sc := range inputScalars(p, data) {
		out[sc.place] = sc.value
	}
	return out
}

// inputValues returns the values of the input file p: every scalar but
// booleans and nulls of a YAML or JSON file, and of any other (a .env
// file, which YAML reads as one plain scalar) what follows the first =
// of each line, without quotes around it.
func inputValues(p string, data []byte) []string {
	var out []string
	for _, sc := range inputScalars(p, data) {
		if !sc.boolOrNull {
			out = append(out, sc.value)
		}
	}
	return out
}

// inputScalar is one value of an input file, with its place (inputPlaces).
type inputScalar struct {
	place, value string
	boolOrNull   bool
}

// inputScalars reads the input file p once for inputPlaces and
// inputValues: the scalars of a YAML or JSON file in document order, or,
// for any other or one that does not parse, each KEY=value line's value.
func inputScalars(p string, data []byte) []inputScalar {
	var out []inputScalar
	switch path.Ext(p) {
	case ".yaml", ".yml", ".json":
		dec := kyaml.NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			var doc kyaml.Node
			if err := dec.Decode(&doc); err != nil {
				if err == io.EOF {
					return out
				}
				break
			}
			out = placedScalars(&doc, strconv.Itoa(i), out)
		}
		out = out[:0]
	}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(line, "="); ok {
			v = strings.TrimSpace(v)
			if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
				v = v[1 : len(v)-1]
			}
			out = append(out, inputScalar{place: strings.TrimSpace(k), value: v})
		}
	}
	return out
}

func placedScalars(n *kyaml.Node, at string, out []inputScalar) []inputScalar {
	switch n.Kind {
	case kyaml.ScalarNode:
		t := n.ShortTag()
		out = append(out, inputScalar{place: at, value: n.Value, boolOrNull: t == "!!bool" || t == "!!null"})
	case kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = placedScalars(n.Content[i+1], at+"\x00"+n.Content[i].Value, out)
		}
	default:
		for i, c := range n.Content {
			out = placedScalars(c, at+"\x00["+strconv.Itoa(i)+"]", out)
		}
	}
	return out
}
