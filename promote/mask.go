package promote

import (
	"bytes"

	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/promote/internal/sopsreview"
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
// form of the env's secret values masked anywhere. A value that changed
// gets a different mask on each side, so the diff still says which keys
// changed; a rotated secret's previous value is never shown, which masking
// the current values alone would do.
//
// A SOPS-encrypted file is shown by sopsreview instead: its values masked
// as added, removed, changed or unchanged, compared by plaintext when ids
// decrypt it, and its metadata without the noise of a new encryption.
func shownTrees(rd *redact.Redactor, ids sopsyaml.Identities, old, new map[string][]byte) (map[string][]byte, map[string][]byte) {
	so := make(map[string][]byte, len(old))
	sn := make(map[string][]byte, len(new))
	for p, data := range old {
		so[p] = data
	}
	for p, data := range new {
		sn[p] = data
	}
	mask := func(o, n []byte) ([]byte, []byte) {
		o, n, _ = shownPair(ids, o, n)
		return o, n
	}
	for p := range sn {
		if o, ok := so[p]; ok {
			so[p], sn[p] = mask(o, sn[p])
		} else {
			_, sn[p] = mask(nil, sn[p])
		}
	}
	for p := range so {
		if _, ok := sn[p]; !ok {
			so[p], _ = mask(so[p], nil)
		}
	}
	for p, data := range so {
		so[p] = rd.Bytes(data)
	}
	for p, data := range sn {
		sn[p] = rd.Bytes(data)
	}
	return so, sn
}

// shownPair masks one file's old and new content (nil: absent) as
// shownTrees does, before the redactor: a SOPS-encrypted document by
// sopsreview (sops is true), any other v1 Secret's data by maskSecretPair.
func shownPair(ids sopsyaml.Identities, old, new []byte) (o, n []byte, sops bool) {
	if o, n, ok := sopsreview.Pair(old, new, ids); ok {
		return o, n, true
	}
	o, n = maskSecretPair(old, new)
	return o, n, false
}

// maskSecretPair masks the Secret data of one file's old and new content
// (nil: absent). A file without a v1 Secret comes back as it was.
func maskSecretPair(old, new []byte) ([]byte, []byte) {
	oldNodes, oldHas := secretDocs(old)
	newNodes, newHas := secretDocs(new)
	if !oldHas && !newHas {
		return old, new
	}
	// The values on the other side, by Secret and key.
	values := func(nodes []*kyaml.RNode) map[string]string {
		m := map[string]string{}
		for _, n := range nodes {
			if !isSecret(n) {
				continue
			}
			id := n.GetNamespace() + "/" + n.GetName()
			for _, f := range []string{"data", "stringData"} {
				if fm := n.Field(f); fm != nil && fm.Value.YNode().Kind == kyaml.MappingNode {
					c := fm.Value.YNode().Content
					for i := 0; i+1 < len(c); i += 2 {
						m[id+"\x00"+f+"\x00"+c[i].Value] = c[i+1].Value
					}
				}
			}
		}
		return m
	}
	ov, nv := values(oldNodes), values(newNodes)
	mask := func(nodes []*kyaml.RNode, other map[string]string, changed string) {
		for _, n := range nodes {
			if !isSecret(n) {
				continue
			}
			id := n.GetNamespace() + "/" + n.GetName()
			for _, f := range []string{"data", "stringData"} {
				fm := n.Field(f)
				if fm == nil || fm.Value.YNode().Kind != kyaml.MappingNode {
					continue
				}
				c := fm.Value.YNode().Content
				for i := 0; i+1 < len(c); i += 2 {
					m := maskSame
					if o, ok := other[id+"\x00"+f+"\x00"+c[i].Value]; ok && o != c[i+1].Value {
						m = changed
					}
					c[i+1] = &kyaml.Node{Kind: kyaml.ScalarNode, Value: m}
				}
			}
		}
	}
	mask(oldNodes, nv, maskBefore)
	mask(newNodes, ov, maskChanged)
	if oldHas {
		old = serialise(oldNodes)
	}
	if newHas {
		new = serialise(newNodes)
	}
	return old, new
}

func isSecret(n *kyaml.RNode) bool { return n.GetApiVersion() == "v1" && n.GetKind() == "Secret" }

// secretDocs parses data as YAML documents and reports whether one is a v1
// Secret. Data that does not parse is not masked here (the redactor still
// masks the env's secret values in it).
func secretDocs(data []byte) ([]*kyaml.RNode, bool) {
	if data == nil || !bytes.Contains(data, []byte("Secret")) {
		return nil, false
	}
	nodes, err := kio.FromBytes(data)
	if err != nil {
		return nil, false
	}
	for _, n := range nodes {
		if isSecret(n) {
			return nodes, true
		}
	}
	return nil, false
}

func serialise(nodes []*kyaml.RNode) []byte {
	s, err := kio.StringAll(nodes)
	if err != nil {
		// Cannot happen for nodes that parsed; show nothing rather than
		// the values.
		return []byte("# kiln could not mask this file's Secret data\n")
	}
	return []byte(s)
}
