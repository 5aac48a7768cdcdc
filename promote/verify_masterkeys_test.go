package promote

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/sopsyaml"
)

// TestSamePlaintextMasterKeys: a KMS, GCP KMS, Azure Key Vault, HC Vault
// or HuaweiCloud KMS master key added to a document's sops metadata is a
// recipient like an age one (whoever holds it can unwrap the data key),
// and the MAC does not cover the metadata, so anyone can add one: the file
// is changed. Before, only age and PGP recipients were compared.
func TestSamePlaintextMasterKeys(t *testing.T) {
	t.Parallel()
	identity, recipient := ageKey(t)
	ids, err := sopsyaml.ParseIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	a := sealed(t, recipient, "x")
	for name, entry := range map[string]string{
		"kms":      "  kms:\n    - arn: arn:aws:kms:us-east-1:1:key/other\n      enc: abc\n      created_at: \"2026-01-01T00:00:00Z\"\n",
		"hc_vault": "  hc_vault:\n    - vault_address: https://vault.example\n      engine_path: transit\n      key_name: k\n      created_at: \"2026-01-01T00:00:00Z\"\n      enc: vault:v1:abc\n",
		"gcp_kms":  "  gcp_kms:\n    - resource_id: projects/p/locations/l/keyRings/r/cryptoKeys/k\n      created_at: \"2026-01-01T00:00:00Z\"\n      enc: abc\n",
		"azure_kv": "  azure_kv:\n    - vault_url: https://v.vault.azure.net\n      name: k\n      version: \"1\"\n      created_at: \"2026-01-01T00:00:00Z\"\n      enc: abc\n",
	} {
		b := strings.Replace(sealed(t, recipient, "x"), "\nsops:\n", "\nsops:\n"+entry, 1)
		if got := samePlaintext([]byte(a), []byte(b), ids); got != plainDiffer {
			t.Errorf("%s master key added: samePlaintext = %v, want %v (changed)", name, got, plainDiffer)
		}
		// The same key in both, wrapped anew: equal.
		a2 := strings.Replace(a, "\nsops:\n", "\nsops:\n"+strings.Replace(entry, "abc", "def", 1), 1)
		if got := samePlaintext([]byte(a2), []byte(b), ids); got != plainEqual {
			t.Errorf("%s master key in both: samePlaintext = %v, want %v", name, got, plainEqual)
		}
	}
}
