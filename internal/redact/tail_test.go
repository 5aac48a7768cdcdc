package redact

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

// TestMaskedBase64KeepsNoLastBits: a value that ends what is base64-encoded
// (the token of a Docker config's auth, base64("user:token"), as
// kube-prometheus-style jsonnet and charts build a
// kubernetes.io/dockerconfigjson Secret; a .env file's last line) ends the
// encoding in a group and padding that only the value's last bytes make.
// Masked without them, the text kiln hashes for kiln.lock.json's
// outputDigest kept a few bits of the value, and the digest changed when
// the value did. Two values that differ in their last character must mask
// to the same text.
func TestMaskedBase64KeepsNoLastBits(t *testing.T) {
	t.Parallel()
	docker := func(v string) string {
		var out string
		for _, user := range []string{"robot:", "kiln-bot:", "ci:"} {
			auth := base64.StdEncoding.EncodeToString([]byte(user + v))
			b, err := json.MarshalIndent(map[string]any{"auths": map[string]any{"r.example.com": map[string]string{"auth": auth}}}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			out += base64.StdEncoding.EncodeToString(b) + "\n"
		}
		return out
	}
	env := func(v string) string {
		var out string
		for _, head := range []string{"A=1\nTOKEN=", "A=1\nB_TOKEN=", "A=1\nCC_TOKEN="} {
			out += base64.StdEncoding.EncodeToString([]byte(head+v)) + "\n"
		}
		return out
	}
	for name, shape := range map[string]func(string) string{"docker config auth": docker, ".env last line": env} {
		for _, pair := range [][2]string{{"pr0d: #'k\"ey7", "pr0d: #'k\"ey8"}, {"Zq8vT3nW7pL2", "Zq8vT3nW7pL3"}, {"abcdefghijk", "abcdefghijl"}} {
			a := New(map[string]string{"PW": pair[0]}).String(shape(pair[0]))
			b := New(map[string]string{"PW": pair[1]}).String(shape(pair[1]))
			if a != b {
				t.Errorf("%s: %q and %q mask differently, so the masked text tells their last bits:\n%s\n%s", name, pair[0], pair[1], a, b)
			}
		}
	}
}
