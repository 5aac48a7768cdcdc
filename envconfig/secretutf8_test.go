package envconfig

import (
	"strings"
	"testing"
)

// TestResolveRefusesSecretNotUTF8: a secret var's environment variable
// may hold any bytes; the engines read text and would put U+FFFD in
// their place, so such a value is an error at its line that shows none
// of it, and SecretValues still masks it.
func TestResolveRefusesSecretNotUTF8(t *testing.T) {
	t.Parallel()
	p, err := Parse([]byte("apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments: [{name: dev}]\napps:\n  - {name: web, namespace: web, yaml: apps/web}\n"), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	ef, err := ParseEnvFile([]byte("vars: {A: x}\nsecretVars:\n  PW: DEV_PW\n"), "envs/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	value := "S3cr\xffet"
	lookup := func(k string) (string, bool) { return value, k == "DEV_PW" }
	_, err = p.Resolve("dev", ef, lookup)
	if err == nil {
		t.Fatal("Resolve accepted a secret that is not UTF-8")
	}
	want := "envs/dev.yaml:3: secret var PW: environment variable DEV_PW holds bytes that are not UTF-8 text\n" +
		"  hint: YAML, Jsonnet and a Kubernetes object's strings hold only UTF-8: give the secret as UTF-8 text (binary data as its base64, for a Secret's data field)"
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
	if strings.Contains(err.Error(), "S3cr") {
		t.Errorf("the error shows the value: %s", err)
	}
	if got := ef.SecretValues(lookup); got["PW"] != value {
		t.Errorf("SecretValues = %q, want the value, for masking", got)
	}
}
