package promote

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestShownTreesMasksInputsOfEncryptedSecrets: a SOPS-encrypted Secret's
// values are inputs in high-level/ as much as a plain Secret's. In an env
// with sops: and secret vars, kiln encrypts every Secret of a jsonnet app,
// so one built from a plain extVar (kube-prometheus's alertmanager Secret
// from a config, say) is encrypted while args.json holds the value; a
// chart's Secret holding one secret var is encrypted with the chart's
// other values in it. With the age key, kiln diff printed such a value
// from args.json or values.yaml, the old one and the new, where it masks
// a plain Secret's.
func TestShownTreesMasksInputsOfEncryptedSecrets(t *testing.T) {
	t.Parallel()
	const oldTok, newTok = "JnExtVarTok-111222333", "JnExtVarTok-999888777"
	identity, recipient := ageKey(t)
	ids, err := sopsyaml.ParseIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(tok string) []byte {
		rn, err := kyaml.Parse("apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\n  namespace: mon\ndata:\n  legacy: " +
			base64.StdEncoding.EncodeToString([]byte(tok)) + "\nstringData:\n  url: https://u:" + tok + "@h.example.com\n")
		if err != nil {
			t.Fatal(err)
		}
		out, err := sopsyaml.Encrypt(rn.YNode(), sopsyaml.Options{Age: []string{recipient}, EncryptedRegex: "^(data|stringData)$",
			Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	args := func(tok string) []byte {
		return []byte("{\n  \"env\": \"dev\",\n  \"extVars\": {\n    \"legacyToken\": \"" + tok + "\"\n  }\n}\n")
	}
	old := map[string][]byte{"apps/am/secret_regcred.yaml": enc(oldTok), "high-level/am/args.json": args(oldTok)}
	new := map[string][]byte{"apps/am/secret_regcred.yaml": enc(newTok), "high-level/am/args.json": args(newTok)}
	so, sn := shownTrees(redact.New(nil), ids, nil, old, new)
	for side, tree := range map[string]map[string][]byte{"old": so, "new": sn} {
		for p, b := range tree {
			for _, tok := range []string{oldTok, newTok} {
				if strings.Contains(string(b), tok) {
					t.Errorf("the %s side of %s shows %q:\n%s", side, p, tok, b)
				}
			}
		}
	}
	if !strings.Contains(string(sn["high-level/am/args.json"]), `"env": "dev"`) {
		t.Errorf("args.json lost a value no Secret holds:\n%s", sn["high-level/am/args.json"])
	}
}

// TestDiffMasksInputsOfSecretsKilnEncrypts: without the age key (a CI job
// given only the env's public recipients), the files of the Secrets kiln
// encrypts tell nothing of their values, but the render knew them. A
// jsonnet app's Secret built from a plain extVar (encrypted, as every
// Secret of a jsonnet app in an env with sops: and secret vars) showed
// that extVar's value in args.json in kiln diff, the new one and the one
// it replaced, which no key told kiln: it is masked as the value that was
// where a secret now is.
func TestDiffMasksInputsOfSecretsKilnEncrypts(t *testing.T) {
	t.Parallel()
	const oldTok, newTok = "JnExtVarTok-111222333", "JnExtVarTok-999888777"
	_, recipient := ageKey(t)
	f := newFixture(t)
	app := func(tok string) map[string]string {
		return map[string]string{
			"kiln.yaml": strings.Replace(project(f.remote)["kiln.yaml"], "    yaml: apps/cache\n",
				"    yaml: apps/cache\n  - name: am\n    namespace: mon\n    jsonnet: {file: am/main.jsonnet, extVars: {legacyToken: "+tok+"}}\n", 1),
			"envs/dev.yaml": "vars:\n  GREETING: hello-dev\nsecretVars:\n  API_KEY: TEST_API_KEY\nsops:\n  age: [" + recipient + "]\n",
			"am/main.jsonnet": "{apiVersion: 'v1', kind: 'Secret', metadata: {name: 'regcred'},\n" +
				" data: {legacy: std.base64(std.extVar('legacyToken'))}}\n",
		}
	}
	f.commitCode(t, app(oldTok), "am")
	out := t.TempDir()
	writeRender(t, f, f.opts(t, "dev", nil).Render, out)
	f.commitCode(t, app(newTok), "rotate")
	o := f.opts(t, "dev", nil)
	res, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Against: out, Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	shown := res.Unified(false)
	if !strings.Contains(shown, "high-level/am/args.json") {
		t.Fatalf("the diff does not show args.json changing:\n%s", shown)
	}
	for _, tok := range []string{oldTok, newTok} {
		if strings.Contains(shown, tok) {
			t.Errorf("the diff shows %q, a value of the Secret kiln encrypted:\n%s", tok, shown)
		}
	}
	if !strings.Contains(shown, `"env": "dev"`) && !strings.Contains(shown, "legacyToken") {
		t.Errorf("the diff lost args.json's text that is no secret:\n%s", shown)
	}
}
