// Package sopstest decrypts SOPS documents for tests the way Flux's
// kustomize-controller does (internal/decryptor: the resource as JSON,
// sops's JSON store, the data key from age identities, sops's AES cipher),
// with the MAC check on. It links the whole sops library, cloud KMS
// clients included, so only tests may import it.
package sopstest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"
	sopspgp "github.com/getsops/sops/v3/pgp"
	"sigs.k8s.io/yaml"
)

// FluxDecrypt decrypts a SOPS-encrypted Kubernetes object (YAML) with the
// age identities in identity and returns the plaintext object as JSON.
// Like kustomize-controller it skips the MAC check: the JSON form orders
// keys differently from the YAML the MAC was computed over.
func FluxDecrypt(doc []byte, identity string) ([]byte, error) {
	var ids sopsage.ParsedIdentities
	if err := ids.Import(identity); err != nil {
		return nil, err
	}
	// kustomize-controller marshals the built resource to JSON.
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	return decrypt(js, formats.Json, ids, false)
}

// Decrypt decrypts a SOPS YAML file as `sops --decrypt` reads it and
// returns the plaintext as YAML.
func Decrypt(doc []byte, identity string) ([]byte, error) {
	var ids sopsage.ParsedIdentities
	if err := ids.Import(identity); err != nil {
		return nil, err
	}
	return decrypt(doc, formats.Yaml, ids, true)
}

// DecryptPGP decrypts a SOPS YAML file as `sops --decrypt` reads it, the
// data key unwrapped with the PGP secret keys in gnupgHome's secring.gpg
// (as NewPGPHome writes it), MAC checked, and returns the plaintext YAML.
func DecryptPGP(doc []byte, gnupgHome string) ([]byte, error) {
	return decryptWith(doc, formats.Yaml, true, func(k keys.MasterKey) ([]byte, error) {
		mk, ok := k.(*sopspgp.MasterKey)
		if !ok {
			return nil, fmt.Errorf("not a PGP key")
		}
		sopspgp.GnuPGHome(gnupgHome).ApplyToMasterKey(mk)
		return mk.Decrypt()
	})
}

// NewPGPHome makes dir a GnuPG home holding one new PGP key (Ed25519 and
// X25519, no passphrase) in the keyring files sops's pgp package reads
// without the gpg program (pubring.gpg, secring.gpg), and returns its
// fingerprint.
func NewPGPHome(dir string) (string, error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	e, err := openpgp.NewEntity("kiln test", "", "kiln-test@example.invalid", cfg)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	var pub, sec bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		return "", err
	}
	if err := e.SerializePrivate(&sec, cfg); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "pubring.gpg"), pub.Bytes(), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "secring.gpg"), sec.Bytes(), 0o600); err != nil {
		return "", err
	}
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint)), nil
}

func decrypt(data []byte, format formats.Format, ids sopsage.ParsedIdentities, checkMAC bool) ([]byte, error) {
	// kustomize-controller's key service applies its identities to each
	// age master key; the same, without a key service.
	return decryptWith(data, format, checkMAC, func(k keys.MasterKey) ([]byte, error) {
		mk, ok := k.(*sopsage.MasterKey)
		if !ok {
			return nil, fmt.Errorf("not an age key")
		}
		ids.ApplyToMasterKey(mk)
		return mk.Decrypt()
	})
}

func decryptWith(data []byte, format formats.Format, checkMAC bool, unwrap func(keys.MasterKey) ([]byte, error)) ([]byte, error) {
	store := common.StoreForFormat(format, config.NewStoresConfig())
	tree, err := store.LoadEncryptedFile(data)
	if err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	var key []byte
	for _, group := range tree.Metadata.KeyGroups {
		for _, k := range group {
			if dk, err := unwrap(k); err == nil {
				key = dk
			}
		}
	}
	if key == nil {
		return nil, fmt.Errorf("no key given decrypts the data key")
	}
	cipher := aes.NewCipher()
	mac, err := tree.Decrypt(key, cipher)
	if err != nil {
		return nil, fmt.Errorf("decrypting: %w", err)
	}
	if !checkMAC {
		return store.EmitPlainFile(tree.Branches)
	}
	orig, err := cipher.Decrypt(tree.Metadata.MessageAuthenticationCode, key, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("decrypting the MAC: %w", err)
	}
	if orig != mac {
		return nil, fmt.Errorf("MAC mismatch: want %v, got %s", orig, mac)
	}
	return store.EmitPlainFile(tree.Branches)
}

var _ keys.MasterKey = (*sopsage.MasterKey)(nil)
var _ = sops.DefaultUnencryptedSuffix

// cipherRE matches what sops writes at random, or from a test's random
// key: encrypted values, the armored wrapped data keys and age recipients.
var cipherRE = regexp.MustCompile(`ENC\[[^\]]*\]|-----BEGIN [A-Z ]+-----[^-]*-----END [A-Z ]+-----|age1[0-9a-z]+`)

// Readable is doc without its ciphertext and recipients, for tests that
// look for a plaintext in an encrypted file: a fresh age recipient or
// random base64 holds a short value such as "p4s" often enough to fail one
// run in a few hundred.
func Readable(doc []byte) []byte {
	return cipherRE.ReplaceAll(doc, []byte("<cipher>"))
}
