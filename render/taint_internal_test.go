package render

import (
	"encoding/json"
	"testing"
)

// TestOtherSecretKeepsJSONKeys: a JSON secret var's other value keeps its
// keys, numbers, escapes and layout, so that a program reading a field of
// it still runs; its string values change.
func TestOtherSecretKeepsJSONKeys(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"user": "admin", "port": 5432, "tls": true, "pw": "a\n\u00e9b", "list": ["x", {"k": "v"}], "n": null}`: `{"user": "nqzva", "port": 5432, "tls": true, "pw": "n\n\u00e9o", "list": ["k", {"k": "i"}], "n": null}`,
		` [ "ab1" , {"a":{"b":"c"},"d":"e"} ] `: ` [ "no6" , {"a":{"b":"p"},"d":"r"} ] `,
		`{"a": "x"`:                             `{"n": "k"`, // no JSON: rotated whole
		`Winter2024!`:                           `Jvagre7579!`,
	} {
		if got := otherSecret(in); got != want {
			t.Errorf("otherSecret(%s) = %s, want %s", in, got, want)
		}
		if json.Valid([]byte(in)) && !json.Valid([]byte(otherSecret(in))) {
			t.Errorf("otherSecret(%s) is no JSON", in)
		}
	}
}

// TestOtherSecretOfSymbols: a secret var of symbols only kept its value,
// so its app was not rendered again and a slice of it went unchecked.
func TestOtherSecretOfSymbols(t *testing.T) {
	t.Parallel()
	if len(punctuation) != 32 {
		t.Fatalf("punctuation has %d characters", len(punctuation))
	}
	for _, in := range []string{"!@#$%^&*()", "—…‰", "~`\\\""} {
		got := otherSecret(in)
		if len([]rune(got)) != len([]rune(in)) {
			t.Errorf("otherSecret(%q) = %q: another length", in, got)
		}
		for i, r := range []rune(got) {
			if r == []rune(in)[i] {
				t.Errorf("otherSecret(%q) = %q: character %d kept", in, got, i)
			}
		}
	}
}
