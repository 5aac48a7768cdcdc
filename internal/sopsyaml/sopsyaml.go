package sopsyaml

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	filippoage "filippo.io/age"
	sopsage "github.com/getsops/sops/v3/age"
	sopspgp "github.com/getsops/sops/v3/pgp"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// FormatVersion is the sops release whose file format Encrypt writes (the
// metadata's version); the tests decrypt with the sops library of that
// release.
const FormatVersion = "3.13.3"

// nonceSize is sops's AES-GCM nonce length (its aes package's nonceSize).
const nonceSize = 32

// macOnlyEncryptedInit starts the MAC of a mac_only_encrypted document
// (sops.MACOnlyEncryptedInitialization).
var macOnlyEncryptedInit = []byte{0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0xb, 0xb, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69}

var encRE = regexp.MustCompile(`^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`)

// ErrNoKey means no given age identity unwraps the document's data key.
var ErrNoKey = errors.New("no age identity given can decrypt the document")

// Identities are age private keys, parsed once (SOPS_AGE_KEY's format: one
// AGE-SECRET-KEY-1… per line, # comments).
type Identities = sopsage.ParsedIdentities

// ParseIdentities parses age identities as sops reads SOPS_AGE_KEY.
func ParseIdentities(text string) (Identities, error) {
	var ids Identities
	if err := ids.Import(text); err != nil {
		// age's bech32 decoder may quote a character of the key or a
		// group of its bits ("invalid character data part: s[20]=98").
		return nil, errors.New("not age identities (AGE-SECRET-KEY-1…, one a line, # comments), or a key is damaged")
	}
	return ids, nil
}

// Options say how Encrypt encrypts.
type Options struct {
	// Age are the age recipients (age1…) the data key is wrapped for.
	Age []string
	// PGP are fingerprints of PGP public keys the data key is wrapped for;
	// sops's pgp package finds them in the GnuPG keyring (GNUPGHOME).
	PGP []string
	// EncryptedRegex selects the keys whose values, and everything below
	// them, are encrypted, like sops --encrypted-regex. Required.
	EncryptedRegex string
	// Now is recorded as lastmodified, the associated data of the MAC.
	Now time.Time
	// Reuse, when set, is the plaintext and data key of the same object's
	// earlier encryption: with the same recipients, Encrypt keeps its data
	// key, and every value whose plaintext and path are unchanged keeps its
	// nonce and so its ciphertext, as `sops edit` does. Reviewers see which
	// values changed, and nothing else does. Safe only when nobody else can
	// know the earlier data key: whoever wrote that file may have chosen it.
	// kiln's renders never set it, since the earlier files come from
	// branches others push to (render's encryptOne); tests use it to write
	// documents as `sops edit` does.
	Reuse *Plain
}

// Plain is a decrypted document.
type Plain struct {
	// Object is the plaintext object, without the sops key.
	Object *kyaml.Node
	// Values maps each encrypted value's path ("stringData:password:")
	// to its plaintext, for per-key comparisons.
	Values map[string]string
	// Age are the document's age recipients, sorted.
	Age []string
	// PGP are the document's PGP fingerprints, sorted.
	PGP []string
	// EncryptedRegex is the document's encrypted_regex, "" when another rule applies.
	EncryptedRegex string
	// others are the document's other master keys (kms, gcp_kms, hckms,
	// azure_kv, hc_vault), each its kind and its fields but the wrapped
	// data key and its date, sorted: recipients as much as age's are, and
	// like them outside the MAC.
	others []string

	key    []byte
	nonces map[string][]byte // type + path + plaintext → nonce
}

// Encrypt returns obj, a mapping, as a SOPS-encrypted YAML document. obj is
// not changed. Comments are dropped: the cluster never sees them, and sops
// would encrypt them too.
func Encrypt(obj *kyaml.Node, opts Options) ([]byte, error) {
	if len(opts.Age)+len(opts.PGP) == 0 {
		return nil, errors.New("sops: no age or pgp recipients")
	}
	re, err := regexp.Compile(opts.EncryptedRegex)
	if err != nil || opts.EncryptedRegex == "" {
		return nil, fmt.Errorf("sops: encryptedRegex %q is not a regular expression", opts.EncryptedRegex)
	}
	doc := clone(obj)
	if doc.Kind != kyaml.MappingNode {
		return nil, errors.New("sops: only a mapping can be encrypted")
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "sops" {
			return nil, errors.New("sops: the object already has a top-level sops key")
		}
	}
	age := sortedCopy(opts.Age)
	pgp := sortedCopy(opts.PGP)

	var key []byte
	var nonces map[string][]byte
	if r := opts.Reuse; r != nil && r.key != nil && slices.Equal(r.Age, age) && slices.Equal(r.PGP, pgp) && r.EncryptedRegex == opts.EncryptedRegex {
		key, nonces = r.key, r.nonces
	} else {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("sops: generating a data key: %w", err)
		}
	}
	rules := rules{encryptedRegex: re}
	mac := sha512.New()
	err = walk(doc, nil, func(n *kyaml.Node, path []string) error {
		v, err := scalar(n)
		if err != nil || v == nil {
			return err
		}
		if err := macWrite(mac, v); err != nil {
			return err
		}
		if !rules.encrypted(path) {
			return nil
		}
		aad := strings.Join(path, ":") + ":"
		enc, err := encryptValue(v, key, aad, nonces)
		if err != nil {
			return err
		}
		if enc != "" {
			n.Kind, n.Tag, n.Value, n.Style = kyaml.ScalarNode, "!!str", enc, 0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	lastModified := opts.Now.UTC().Format(time.RFC3339)
	macEnc, err := encryptValue(fmt.Sprintf("%X", mac.Sum(nil)), key, lastModified, nil)
	if err != nil {
		return nil, err
	}

	// The metadata, keys in the order the sops program writes them.
	meta := &kyaml.Node{Kind: kyaml.MappingNode}
	if len(age) > 0 {
		list := &kyaml.Node{Kind: kyaml.SequenceNode}
		for _, r := range age {
			// Plugin recipients (age1yubikey1…) would make sops's age
			// package run an age-plugin-* program.
			if _, err := filippoage.ParseX25519Recipient(r); err != nil {
				return nil, fmt.Errorf("sops: %s is not an X25519 age recipient (age-keygen's age1…); plugin recipients are not supported", r)
			}
			mk, err := sopsage.MasterKeyFromRecipient(r)
			if err != nil {
				return nil, fmt.Errorf("sops: age recipient %s: %w", r, err)
			}
			if err := mk.Encrypt(key); err != nil {
				return nil, fmt.Errorf("sops: wrapping the data key for %s: %w", r, err)
			}
			list.Content = append(list.Content, mapping("enc", mk.EncryptedKey, "recipient", r))
		}
		addKey(meta, "age", list)
	}
	addKey(meta, "encrypted_regex", str(opts.EncryptedRegex))
	addKey(meta, "lastmodified", str(lastModified))
	addKey(meta, "mac", str(macEnc))
	if len(pgp) > 0 {
		list := &kyaml.Node{Kind: kyaml.SequenceNode}
		for _, fp := range pgp {
			mk := sopspgp.NewMasterKeyFromFingerprint(fp)
			mk.CreationDate = opts.Now.UTC()
			if err := mk.Encrypt(key); err != nil {
				return nil, fmt.Errorf("sops: wrapping the data key for PGP key %s (is its public key in the GnuPG keyring?): %w", fp, err)
			}
			list.Content = append(list.Content, mapping("created_at", lastModified, "enc", mk.EncryptedKey, "fp", fp))
		}
		addKey(meta, "pgp", list)
	}
	addKey(meta, "version", str(FormatVersion))
	addKey(doc, "sops", meta)

	out, err := kyaml.NewRNode(doc).String()
	if err != nil {
		return nil, fmt.Errorf("sops: serialising the encrypted document: %w", err)
	}
	return []byte(out), nil
}

// metadata is the sops key of a document, as the sops program writes it.
type metadata struct {
	KeyGroups []any `yaml:"key_groups"`
	KMS       []any `yaml:"kms"`
	GCPKMS    []any `yaml:"gcp_kms"`
	HCKMS     []any `yaml:"hckms"`
	AzureKV   []any `yaml:"azure_kv"`
	HCVault   []any `yaml:"hc_vault"`
	Age       []struct {
		Recipient string `yaml:"recipient"`
		Enc       string `yaml:"enc"`
	} `yaml:"age"`
	PGP []struct {
		Enc string `yaml:"enc"`
		FP  string `yaml:"fp"`
	} `yaml:"pgp"`
	LastModified            string `yaml:"lastmodified"`
	MAC                     string `yaml:"mac"`
	UnencryptedSuffix       string `yaml:"unencrypted_suffix"`
	EncryptedSuffix         string `yaml:"encrypted_suffix"`
	UnencryptedRegex        string `yaml:"unencrypted_regex"`
	EncryptedRegex          string `yaml:"encrypted_regex"`
	UnencryptedCommentRegex string `yaml:"unencrypted_comment_regex"`
	EncryptedCommentRegex   string `yaml:"encrypted_comment_regex"`
	MACOnlyEncrypted        bool   `yaml:"mac_only_encrypted"`
}

// Metadata parses doc's sops key without decrypting anything. It returns
// the object without the sops key (its values still encrypted) and the
// metadata.
func parse(doc []byte) (*kyaml.Node, *metadata, error) {
	rn, err := kyaml.Parse(string(doc))
	if err != nil {
		return nil, nil, fmt.Errorf("sops: parsing the document: %w", err)
	}
	n := rn.YNode()
	if n.Kind != kyaml.MappingNode {
		return nil, nil, errors.New("sops: the document is not a mapping")
	}
	var md *metadata
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "sops" {
			continue
		}
		md = &metadata{}
		if err := n.Content[i+1].Decode(md); err != nil {
			return nil, nil, fmt.Errorf("sops: reading the sops metadata: %w", err)
		}
		n.Content = slices.Delete(n.Content, i, i+2)
		break
	}
	if md == nil {
		return nil, nil, errors.New("sops: the document has no sops key")
	}
	return n, md, nil
}

// Recipients returns the age recipients and PGP fingerprints doc is
// encrypted to, sorted, without decrypting it.
func Recipients(doc []byte) (age, pgp []string, err error) {
	_, md, err := parse(doc)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range md.Age {
		age = append(age, a.Recipient)
	}
	for _, p := range md.PGP {
		pgp = append(pgp, p.FP)
	}
	return sortedCopy(age), sortedCopy(pgp), nil
}

// ErrMAC means the document's values decrypt but its MAC does not match
// them: a value, its order or the document's form changed after encryption
// (kustomize and jsonnet re-serialise documents; Flux decrypts those
// without checking the MAC).
var ErrMAC = errors.New("sops: MAC mismatch: the document was changed after it was encrypted")

// Decrypt decrypts doc with ids and checks its MAC, as `sops --decrypt`
// does. It fails with ErrNoKey when no identity unwraps the data key, and
// with ErrMAC when the MAC does not match.
func Decrypt(doc []byte, ids Identities) (*Plain, error) {
	return decrypt(doc, ids, true)
}

// DecryptUnchecked is Decrypt without the MAC check, as Flux's
// kustomize-controller decrypts resources: each value is still
// authenticated by AES-GCM with its path, but not their order or the
// unencrypted values. For comparing, never for writing.
func DecryptUnchecked(doc []byte, ids Identities) (*Plain, error) {
	return decrypt(doc, ids, false)
}

func decrypt(doc []byte, ids Identities, checkMAC bool) (*Plain, error) {
	n, md, err := parse(doc)
	if err != nil {
		return nil, err
	}
	// What sops refuses before it decrypts, Flux's kustomize-controller
	// cannot apply: a plaintext read here anyway would let a comparison
	// call such a document equal to one that decrypts.
	if err := md.readable(); err != nil {
		return nil, err
	}
	if len(md.KeyGroups) > 0 {
		return nil, errors.New("sops: key groups (Shamir secret sharing) are not supported")
	}
	if md.EncryptedCommentRegex != "" || md.UnencryptedCommentRegex != "" {
		return nil, errors.New("sops: encrypted_comment_regex and unencrypted_comment_regex are not supported")
	}
	key, err := dataKey(md, ids)
	if err != nil {
		return nil, err
	}
	r, err := md.rules()
	if err != nil {
		return nil, err
	}
	p := &Plain{Object: n, Values: map[string]string{}, EncryptedRegex: md.EncryptedRegex, key: key, nonces: map[string][]byte{}}
	for _, a := range md.Age {
		p.Age = append(p.Age, a.Recipient)
	}
	for _, g := range md.PGP {
		p.PGP = append(p.PGP, g.FP)
	}
	p.Age, p.PGP = sortedCopy(p.Age), sortedCopy(p.PGP)
	p.others = md.otherKeys()

	mac := sha512.New()
	if md.MACOnlyEncrypted {
		mac.Write(macOnlyEncryptedInit)
	}
	err = walk(n, nil, func(leaf *kyaml.Node, path []string) error {
		v, err := scalar(leaf)
		if err != nil || v == nil {
			return err
		}
		enc := r.encrypted(path)
		if enc {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("sops: %s: expected an encrypted value, got %T", strings.Join(path, "."), v)
			}
			aad := strings.Join(path, ":") + ":"
			pv, nonce, err := decryptValue(s, key, aad)
			if err != nil {
				return fmt.Errorf("sops: %s: %w", strings.Join(path, "."), err)
			}
			v = pv
			setPlain(leaf, v)
			b, _ := toBytes(v)
			p.Values[aad] = string(b)
			if nonce != nil {
				p.nonces[nonceKey(v, aad)] = nonce
			}
		}
		if !md.MACOnlyEncrypted || enc {
			return macWrite(mac, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !checkMAC {
		return p, nil
	}
	lm, err := time.Parse(time.RFC3339, md.LastModified)
	if err != nil {
		return nil, fmt.Errorf("sops: lastmodified %q: %w", md.LastModified, err)
	}
	want, _, err := decryptValue(md.MAC, key, lm.Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("sops: decrypting the MAC: %w", err)
	}
	if got := fmt.Sprintf("%X", mac.Sum(nil)); want != got {
		return nil, ErrMAC
	}
	return p, nil
}

// Equal reports whether two SOPS documents hold the same plaintext object
// encrypted to the same recipients with the same rule.
func (p *Plain) Equal(o *Plain) bool {
	return slices.Equal(p.Age, o.Age) && slices.Equal(p.PGP, o.PGP) && p.EncryptedRegex == o.EncryptedRegex && slices.Equal(p.others, o.others) &&
		kyaml.NewRNode(p.Object).MustString() == kyaml.NewRNode(o.Object).MustString()
}

func dataKey(md *metadata, ids Identities) ([]byte, error) {
	if len(ids) == 0 {
		// sops's age package would read SOPS_AGE_KEY and the user's key
		// file itself; a library must not.
		return nil, ErrNoKey
	}
	for _, a := range md.Age {
		mk := &sopsage.MasterKey{Recipient: a.Recipient, EncryptedKey: a.Enc}
		ids.ApplyToMasterKey(mk)
		if k, err := mk.Decrypt(); err == nil {
			return k, nil
		}
	}
	return nil, ErrNoKey
}

// otherKeys describes md's master keys other than age and PGP ones, each
// as its kind and its fields but enc and created_at (JSON, keys sorted),
// sorted.
func (md *metadata) otherKeys() []string {
	var out []string
	for _, k := range []struct {
		kind string
		keys []any
	}{{"kms", md.KMS}, {"gcp_kms", md.GCPKMS}, {"hckms", md.HCKMS}, {"azure_kv", md.AzureKV}, {"hc_vault", md.HCVault}} {
		for _, e := range k.keys {
			if m, ok := e.(map[string]any); ok {
				c := maps.Clone(m)
				delete(c, "enc")
				delete(c, "created_at")
				e = c
			}
			b, err := json.Marshal(e)
			if err != nil {
				b = []byte(fmt.Sprint(e))
			}
			out = append(out, k.kind+" "+string(b))
		}
	}
	slices.Sort(out)
	return out
}

// readable checks what sops checks of md before it decrypts anything
// (stores.Metadata.ToInternal): lastmodified is an RFC 3339 time, and at
// most one rule says which values are encrypted.
func (md *metadata) readable() error {
	if _, err := time.Parse(time.RFC3339, md.LastModified); err != nil {
		return fmt.Errorf("sops: lastmodified %q is not an RFC 3339 time", md.LastModified)
	}
	n := 0
	for _, r := range []string{md.UnencryptedSuffix, md.EncryptedSuffix, md.UnencryptedRegex, md.EncryptedRegex, md.UnencryptedCommentRegex, md.EncryptedCommentRegex} {
		if r != "" {
			n++
		}
	}
	if n > 1 {
		return errors.New("sops: more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex and unencrypted_comment_regex")
	}
	return nil
}

// rules returns the rules of md that decide which values are encrypted.
func (md *metadata) rules() (rules, error) {
	r := rules{unencryptedSuffix: md.UnencryptedSuffix, encryptedSuffix: md.EncryptedSuffix}
	var err error
	if md.EncryptedRegex != "" {
		if r.encryptedRegex, err = regexp.Compile(md.EncryptedRegex); err != nil {
			return rules{}, fmt.Errorf("sops: encrypted_regex: %w", err)
		}
	}
	if md.UnencryptedRegex != "" {
		if r.unencryptedRegex, err = regexp.Compile(md.UnencryptedRegex); err != nil {
			return rules{}, fmt.Errorf("sops: unencrypted_regex: %w", err)
		}
	}
	if md.UnencryptedSuffix == "" && md.EncryptedSuffix == "" && md.EncryptedRegex == "" && md.UnencryptedRegex == "" {
		r.unencryptedSuffix = "_unencrypted" // sops.DefaultUnencryptedSuffix
	}
	return r, nil
}

// rules decide which values are encrypted (sops.Tree.shouldBeEncrypted).
type rules struct {
	unencryptedSuffix, encryptedSuffix string
	encryptedRegex, unencryptedRegex   *regexp.Regexp
}

func (r rules) encrypted(path []string) bool {
	enc := true
	if r.unencryptedSuffix != "" {
		for _, k := range path {
			if strings.HasSuffix(k, r.unencryptedSuffix) {
				enc = false
				break
			}
		}
	}
	if r.encryptedSuffix != "" {
		enc = false
		for _, k := range path {
			if strings.HasSuffix(k, r.encryptedSuffix) {
				enc = true
				break
			}
		}
	}
	if r.unencryptedRegex != nil {
		for _, k := range path {
			if r.unencryptedRegex.MatchString(k) {
				enc = false
				break
			}
		}
	}
	if r.encryptedRegex != nil {
		enc = false
		for _, k := range path {
			if r.encryptedRegex.MatchString(k) {
				enc = true
				break
			}
		}
	}
	return enc
}

// walk calls leaf for every scalar below n with its path of mapping keys;
// sequence items share their parent's path, as in sops.
func walk(n *kyaml.Node, path []string, leaf func(*kyaml.Node, []string) error) error {
	switch n.Kind {
	case kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			var k any
			if err := n.Content[i].Decode(&k); err != nil {
				return fmt.Errorf("sops: reading a key: %w", err)
			}
			ks, ok := k.(string)
			if !ok {
				return fmt.Errorf("sops: key %q is not a string; SOPS supports only string keys", n.Content[i].Value)
			}
			if err := walk(n.Content[i+1], append(slices.Clip(path), ks), leaf); err != nil {
				return err
			}
		}
	case kyaml.SequenceNode:
		for _, c := range n.Content {
			if err := walk(c, path, leaf); err != nil {
				return err
			}
		}
	case kyaml.ScalarNode:
		return leaf(n, path)
	case kyaml.AliasNode:
		return fmt.Errorf("sops: %s: YAML aliases are not supported", strings.Join(path, "."))
	}
	return nil
}

// scalar is the value sops's YAML store reads from n: nil, string, int,
// float64 or bool.
func scalar(n *kyaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("sops: reading a value: %w", err)
	}
	switch v.(type) {
	case nil, string, int, float64, bool:
		return v, nil
	}
	return nil, fmt.Errorf("sops: a value of type %T cannot be encrypted", v)
}

// toBytes is sops.ToBytes.
func toBytes(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return []byte(x), nil
	case int:
		return []byte(strconv.Itoa(x)), nil
	case float64:
		return []byte(strconv.FormatFloat(x, 'f', -1, 64)), nil
	case bool:
		if x {
			return []byte("True"), nil
		}
		return []byte("False"), nil
	}
	return nil, fmt.Errorf("sops: cannot convert %T to bytes", v)
}

func macWrite(h hash.Hash, v any) error {
	b, err := toBytes(v)
	if err != nil {
		return err
	}
	h.Write(b)
	return nil
}

func typeName(v any) string {
	switch v.(type) {
	case int:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	}
	return "str"
}

func nonceKey(v any, aad string) string {
	b, _ := toBytes(v)
	return typeName(v) + "\x00" + aad + "\x00" + string(b)
}

// encryptValue is sops's aes.Cipher.Encrypt. A nonce from nonces, keyed by
// type, path and plaintext, is reused: the same key, nonce, plaintext and
// associated data give the same ciphertext and reveal nothing new.
func encryptValue(v any, key []byte, aad string, nonces map[string][]byte) (string, error) {
	if s, ok := v.(string); ok && s == "" {
		return "", nil
	}
	plain, err := toBytes(v)
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("sops: %w", err)
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, nonceSize)
	if err != nil {
		return "", fmt.Errorf("sops: %w", err)
	}
	nonce, ok := nonces[nonceKey(v, aad)]
	if !ok {
		nonce = make([]byte, nonceSize)
		if _, err := rand.Read(nonce); err != nil {
			return "", fmt.Errorf("sops: generating a nonce: %w", err)
		}
	}
	out := gcm.Seal(nil, nonce, plain, []byte(aad))
	tag := len(out) - aes.BlockSize
	return fmt.Sprintf("ENC[AES256_GCM,data:%s,iv:%s,tag:%s,type:%s]",
		base64.StdEncoding.EncodeToString(out[:tag]), base64.StdEncoding.EncodeToString(nonce),
		base64.StdEncoding.EncodeToString(out[tag:]), typeName(v)), nil
}

// decryptValue is sops's aes.Cipher.Decrypt; it also returns the nonce.
func decryptValue(s string, key []byte, aad string) (any, []byte, error) {
	if s == "" {
		return "", nil, nil
	}
	m := encRE.FindStringSubmatch(s)
	if m == nil {
		return nil, nil, errors.New("not an encrypted value (ENC[AES256_GCM,…])")
	}
	var parts [3][]byte
	for i := range parts {
		b, err := base64.StdEncoding.DecodeString(m[i+1])
		if err != nil {
			return nil, nil, fmt.Errorf("malformed encrypted value: %w", err)
		}
		parts[i] = b
	}
	data, nonce, tag := parts[0], parts[1], parts[2]
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return nil, nil, err
	}
	plain, err := gcm.Open(nil, nonce, append(slices.Clip(data), tag...), []byte(aad))
	if err != nil {
		return nil, nil, errors.New("cannot decrypt a value (wrong key, or the value was moved or changed)")
	}
	var v any
	switch m[4] {
	case "str":
		return string(plain), nonce, nil
	case "int":
		v, err = strconv.Atoi(string(plain))
	case "float":
		v, err = strconv.ParseFloat(string(plain), 64)
	case "bool":
		v, err = strconv.ParseBool(string(plain))
	default:
		return nil, nil, fmt.Errorf("unsupported encrypted type %q", m[4])
	}
	if err != nil {
		// strconv's errors quote their input, here the plaintext: only
		// the type is said.
		return nil, nil, errors.New("the decrypted value is not of its recorded type " + m[4])
	}
	return v, nonce, nil
}

// setPlain puts a decrypted value into its node.
func setPlain(n *kyaml.Node, v any) {
	n.Kind, n.Style = kyaml.ScalarNode, 0
	switch x := v.(type) {
	case int:
		n.Tag, n.Value = "!!int", strconv.Itoa(x)
	case float64:
		n.Tag, n.Value = "!!float", strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		n.Tag, n.Value = "!!bool", strconv.FormatBool(x)
	default:
		n.Tag, n.Value = "!!str", fmt.Sprint(x)
	}
}

func clone(n *kyaml.Node) *kyaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	c.Content = make([]*kyaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = clone(ch)
	}
	if c.Kind == kyaml.DocumentNode && len(c.Content) == 1 {
		return c.Content[0]
	}
	return &c
}

func str(s string) *kyaml.Node {
	return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!str", Value: s}
}

func addKey(m *kyaml.Node, k string, v *kyaml.Node) {
	m.Content = append(m.Content, str(k), v)
}

func mapping(kv ...string) *kyaml.Node {
	m := &kyaml.Node{Kind: kyaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		v := str(kv[i+1])
		if strings.Contains(kv[i+1], "\n") {
			v.Style = kyaml.LiteralStyle
		}
		addKey(m, kv[i], v)
	}
	return m
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// Same reports whether encrypting obj with opts would give a document
// equal to p: the same recipients and rule, and the same object, compared
// as data (quoting and comments aside).
func (p *Plain) Same(obj *kyaml.Node, opts Options) bool {
	if !slices.Equal(p.Age, sortedCopy(opts.Age)) || !slices.Equal(p.PGP, sortedCopy(opts.PGP)) || p.EncryptedRegex != opts.EncryptedRegex || len(p.others) > 0 {
		return false
	}
	a, err := kyaml.NewRNode(p.Object).MarshalJSON()
	if err != nil {
		return false
	}
	b, err := kyaml.NewRNode(clone(obj)).MarshalJSON()
	return err == nil && bytes.Equal(a, b)
}

// Skeleton returns the object kustomize-controller would apply after
// decrypting obj, a SOPS document's object, as far as it is known without
// the key: obj without its sops key, each encrypted value replaced by the
// zero value of the type sops recorded for it (str "", int 0, float 0,
// bool false; sops decrypts a value to that type). Nodes keep their lines.
// encrypted lists the paths of the replaced values as field paths
// ("stringData.password", "spec.list[1]"), in document order: what a
// check may say of their type, but not of their content.
func Skeleton(obj *kyaml.Node) (skel *kyaml.Node, encrypted []string) {
	skel = clone(obj)
	if skel.Kind == kyaml.MappingNode {
		for i := 0; i+1 < len(skel.Content); i += 2 {
			if skel.Content[i].Value == "sops" {
				skel.Content = slices.Delete(skel.Content, i, i+2)
				break
			}
		}
	}
	var visit func(n *kyaml.Node, path string)
	visit = func(n *kyaml.Node, path string) {
		switch n.Kind {
		case kyaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := n.Content[i].Value
				if path != "" {
					p = path + "." + p
				}
				visit(n.Content[i+1], p)
			}
		case kyaml.SequenceNode:
			for i, c := range n.Content {
				visit(c, fmt.Sprintf("%s[%d]", path, i))
			}
		case kyaml.ScalarNode:
			m := encRE.FindStringSubmatch(n.Value)
			if m == nil {
				return
			}
			switch m[4] {
			case "int":
				setPlain(n, 0)
			case "float":
				setPlain(n, 0.0)
			case "bool":
				setPlain(n, false)
			default:
				setPlain(n, "")
			}
			encrypted = append(encrypted, path)
		}
	}
	visit(skel, "")
	return skel, encrypted
}

// Value is a value of a document: its path of mapping keys (sequence
// items share their parent's, as in sops's rules) and its node.
type Value struct {
	Path string
	Node *kyaml.Node
}

// sopsTypes are the types sops decrypts a value to (aes/cipher.go).
var sopsTypes = map[string]bool{"str": true, "int": true, "float": true, "bytes": true, "bool": true, "time": true, "comment": true}

// Undecryptable returns the string values of obj, a SOPS document's
// object, that the document's own rules (encrypted_regex and the rest of
// its sops key) say are encrypted but that are not values sops encrypted:
// one added in the clear after encrypting, or one cut short. sops refuses
// to decrypt such a document ("does not match sops' data format"), so
// kustomize-controller cannot apply it; this is known without the key.
// Empty strings are left alone, as sops leaves them. An error means obj's
// sops key is one sops refuses before decrypting anything (a lastmodified
// that is no time, two rules, a rule's regex that does not compile).
func Undecryptable(obj *kyaml.Node) ([]Value, error) {
	if obj.Kind != kyaml.MappingNode {
		return nil, nil
	}
	var md *metadata
	body := &kyaml.Node{Kind: kyaml.MappingNode}
	for i := 0; i+1 < len(obj.Content); i += 2 {
		if obj.Content[i].Value == "sops" {
			md = &metadata{}
			if err := obj.Content[i+1].Decode(md); err != nil {
				return nil, fmt.Errorf("sops: reading the sops metadata: %w", err)
			}
			continue
		}
		body.Content = append(body.Content, obj.Content[i], obj.Content[i+1])
	}
	if md == nil {
		return nil, nil
	}
	if err := md.readable(); err != nil {
		return nil, err
	}
	r, err := md.rules()
	if err != nil {
		return nil, err
	}
	var out []Value
	err = walk(body, nil, func(leaf *kyaml.Node, path []string) error {
		if !r.encrypted(path) {
			return nil
		}
		var v any
		if leaf.Decode(&v) != nil {
			return nil
		}
		if s, ok := v.(string); ok && s != "" && !wellFormed(s) {
			out = append(out, Value{Path: strings.Join(path, "."), Node: leaf})
		}
		return nil
	})
	return out, err
}

// valueRE is encRE found anywhere in a text, each part up to the next
// separator: a value sops encrypted inside a longer one (a connection
// string a chart built around it).
var valueRE = regexp.MustCompile(`ENC\[AES256_GCM,data:[^,\]]+,iv:[^,\]]+,tag:[^,\]]+,type:[^,\]]+\]`)

// HoldsValue reports whether b holds a value sops encrypted, whole or
// inside a longer text. The prefix test keeps the regexp off every other
// text.
func HoldsValue(b []byte) bool {
	return bytes.Contains(b, []byte("ENC[AES256_GCM,")) && valueRE.Match(b)
}

// PlainLen returns the length in bytes of the plaintext of s, an encrypted
// value sops wrote: AES-GCM's ciphertext is as long as its plaintext, so
// this is known without the key. ok is false when s is no such value.
func PlainLen(s string) (n int, ok bool) {
	m := encRE.FindStringSubmatch(s)
	if m == nil || len(m[1])%4 != 0 {
		return 0, false
	}
	// The length of the base64, not the bytes decoded: a Secret's value
	// may be a megabyte.
	d := m[1]
	return len(d)/4*3 - (len(d) - len(strings.TrimRight(d, "="))), true
}

// wellFormed reports whether s is an encrypted value sops can read
// (aes/cipher.go, parse): its own pattern, data, iv and tag in base64,
// and a type it knows.
func wellFormed(s string) bool {
	m := encRE.FindStringSubmatch(s)
	if m == nil || !sopsTypes[m[4]] {
		return false
	}
	for _, part := range m[1:4] {
		if _, err := base64.StdEncoding.DecodeString(part); err != nil {
			return false
		}
	}
	return true
}
