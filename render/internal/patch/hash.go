package patch

import (
	"sigs.k8s.io/kustomize/api/hasher"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/templates"
)

// hashLen is the length of the suffix kustomize's generators append: 10
// characters of the content hash (hasher.encode).
const hashLen = 10

// hashedBase returns the name a kustomize generator gave o before it
// appended the content hash ("app-config" for "app-config-5g7h8k9m2t"), or
// "" when o is no v1 ConfigMap or Secret whose name ends in the hash of its
// own content. Checking the hash, not the name's shape, is what tells a
// generated object from one that happens to be named with a dash and ten
// letters: only a generated one may be renamed.
func hashedBase(o *kyaml.RNode) string {
	if o.GetApiVersion() != "v1" || (o.GetKind() != "ConfigMap" && o.GetKind() != "Secret") {
		return ""
	}
	name := o.GetName()
	i := len(name) - hashLen - 1
	if i < 1 || name[i] != '-' {
		return ""
	}
	if h, ok := contentHash(o, name[:i]); !ok || h != name[i+1:] {
		return ""
	}
	return name[:i]
}

// contentHash is kustomize's hash of o as if it were named base, the name
// the hash covers.
func contentHash(o *kyaml.RNode, base string) (string, bool) {
	c := o.Copy()
	if err := c.SetName(base); err != nil {
		return "", false
	}
	h, err := (&hasher.Hasher{}).Hash(c)
	return h, err == nil
}

// genKey names a generated object: its kind, namespace and hashed name.
type genKey struct{ kind, namespace, name string }

// generated returns the base name of every generated ConfigMap and Secret
// of objs (hashedBase), before the patches change their content.
func generated(objs []templates.Object) map[genKey]string {
	var bases map[genKey]string
	for _, o := range objs {
		if o.Raw != nil {
			continue
		}
		if b := hashedBase(o.Node); b != "" {
			if bases == nil {
				bases = map[genKey]string{}
			}
			bases[genKey{o.Node.GetKind(), o.Node.GetNamespace(), o.Node.GetName()}] = b
		}
	}
	return bases
}

// rehash gives each generated ConfigMap or Secret (bases, from generated)
// that the patches changed the name kustomize would have given it:
// kustomize applies an overlay's patches before it hashes, so a patched
// generator gets a new name and every Pod that uses it rolls out. Env
// patches run after the build; without this the name would keep the old
// content's hash, and a change of data would reach no running Pod.
// References to the old name in objs are renamed too: a scalar equal to
// the old name, hash included, names that object and nothing else. A
// reference names an object of its own namespace, as kustomize's name
// references do: when the same generated name is held in two namespaces
// (one base built into both) and a patch changed only one, the other and
// the references beside it keep their name. A reference from an object
// whose namespace holds no such object (a cluster-scoped one) follows
// only a name that a single object holds. A SOPS-encrypted document
// cannot change (its MAC), so it keeps what it says.
func rehash(bases map[genKey]string, objs []templates.Object) {
	if len(bases) == 0 {
		return
	}
	type nsName struct{ namespace, name string }
	renamed := map[nsName]string{}
	// holders counts the generated objects of each name before the
	// patches, a deleted one too: a reference may have named it.
	holders := map[string]int{}
	for k := range bases {
		holders[k.name]++
	}
	for _, o := range objs {
		if o.Raw != nil {
			continue
		}
		b, ok := bases[genKey{o.Node.GetKind(), o.Node.GetNamespace(), o.Node.GetName()}]
		if !ok {
			continue
		}
		h, ok := contentHash(o.Node, b)
		if name := b + "-" + h; ok && name != o.Node.GetName() {
			renamed[nsName{o.Node.GetNamespace(), o.Node.GetName()}] = name
		}
	}
	if len(renamed) == 0 {
		return
	}
	// sole maps a renamed name that only one object holds, in whatever
	// namespace, to its new name.
	sole := map[string]string{}
	for k, to := range renamed {
		if holders[k.name] == 1 {
			sole[k.name] = to
		}
	}
	for _, o := range objs {
		if o.Raw != nil {
			continue
		}
		ns := o.Node.GetNamespace()
		renameScalars(o.Node.YNode(), func(v string) (string, bool) {
			if to, ok := renamed[nsName{ns, v}]; ok {
				return to, true
			}
			to, ok := sole[v]
			return to, ok
		})
	}
}

// renameScalars replaces every scalar value under n that rename maps,
// leaving mapping keys alone.
func renameScalars(n *kyaml.Node, rename func(string) (string, bool)) {
	switch n.Kind {
	case kyaml.DocumentNode, kyaml.SequenceNode:
		for _, c := range n.Content {
			renameScalars(c, rename)
		}
	case kyaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			renameScalars(n.Content[i], rename)
		}
	case kyaml.ScalarNode:
		if to, ok := rename(n.Value); ok {
			n.Value = to
		}
	}
}

// matchBase reports whether o is a generated ConfigMap or Secret (in
// bases, from generated) whose name before its hash matches: a patch names
// a generator's object as the kustomization does ("app-config"), the hash
// being the build's business. bases was taken before any patch, so a
// second patch finds the object after a first one changed its content.
func matchBase(bases map[genKey]string, o *kyaml.RNode, match func(string) bool) bool {
	b, ok := bases[genKey{o.GetKind(), o.GetNamespace(), o.GetName()}]
	return ok && match(b)
}
