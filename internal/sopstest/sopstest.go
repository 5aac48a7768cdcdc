// Package sopstest decrypts SOPS documents for tests the way Flux's
// kustomize-controller does (internal/decryptor: the resource as JSON,
// sops's JSON store, the data key from age identities, sops's AES cipher),
// with the MAC check on. It links the whole sops library, cloud KMS
// clients included, so only tests may import it.
package sopstest

import (
	"fmt"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"
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

func decrypt(data []byte, format formats.Format, ids sopsage.ParsedIdentities, checkMAC bool) ([]byte, error) {
	store := common.StoreForFormat(format, config.NewStoresConfig())
	tree, err := store.LoadEncryptedFile(data)
	if err != nil {
		return nil, fmt.Errorf("loading: %w", err)
	}
	// kustomize-controller's key service applies its identities to each
	// age master key; the same, without a key service.
	var key []byte
	for _, group := range tree.Metadata.KeyGroups {
		for _, k := range group {
			mk, ok := k.(*sopsage.MasterKey)
			if !ok {
				continue
			}
			ids.ApplyToMasterKey(mk)
			if dk, err := mk.Decrypt(); err == nil {
				key = dk
			}
		}
	}
	if key == nil {
		return nil, fmt.Errorf("no age identity decrypts the data key")
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
