package render_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/golden"
	"github.com/kiln-gitops/kiln/internal/sopstest"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
	"github.com/kiln-gitops/kiln/render"
)

const sopsRepo = "testdata/sops/repo"

func testIdentity(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/sops/test-age-key.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestSOPSPassThrough renders documents the sops program encrypted, from
// every engine: plain YAML and a chart template reach the output byte for
// byte and decrypt with the sops library, MAC checked. kustomize and
// jsonnet sort an object's keys, as `kustomize build` and the jsonnet
// program do, so their output decrypts the way Flux decrypts (which skips
// the MAC for that reason) but not with the MAC check. Each app with one gets decryption on its
// Kustomization, with the secret name kiln.yaml gives, and the app without
// one gets none.
func TestSOPSPassThrough(t *testing.T) {
	t.Parallel()
	results := renderAll(t, load(t, sopsRepo), checkOptions(false))
	er := results[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	golden.Tree(t, filepath.Join("testdata", "sops", "want", er.Env), er.Files, *update)

	for file, src := range map[string]string{
		"apps/files/secret_db.yaml":       "apps/files/secret.enc.yaml",
		"apps/chart/secret_chart-db.yaml": "apps/chart/templates/secret.yaml",
	} {
		want, err := os.ReadFile(filepath.Join(sopsRepo, src))
		if err != nil {
			t.Fatal(err)
		}
		if got := er.Files[file]; !bytes.Equal(got, want) {
			t.Errorf("%s is not byte for byte %s:\n%s", file, src, got)
		}
	}
	for file, decrypt := range map[string]func([]byte, string) ([]byte, error){
		"apps/files/secret_db.yaml":       sopstest.Decrypt,
		"apps/chart/secret_chart-db.yaml": sopstest.Decrypt,
		"apps/kust/secret_kust-db.yaml":   sopstest.FluxDecrypt,
		"apps/lib/secret_lib-db.yaml":     sopstest.FluxDecrypt,
	} {
		plain, err := decrypt(er.Files[file], testIdentity(t))
		if err != nil {
			t.Errorf("%s does not decrypt: %v", file, err)
			continue
		}
		if !strings.Contains(string(plain), "correct-horse-battery-staple") {
			t.Errorf("%s decrypts to\n%s", file, plain)
		}
	}
	for app, want := range map[string]string{"files": "sops-keys", "kust": "kust-keys", "chart": "sops-keys", "lib": "sops-keys", "plain": ""} {
		k := string(er.Files["flux/"+app+".yaml"])
		has := strings.Contains(k, "decryption:")
		switch {
		case want == "" && has:
			t.Errorf("flux/%s.yaml has decryption without SOPS documents:\n%s", app, k)
		case want != "" && !strings.Contains(k, "decryption:\n    provider: sops\n    secretRef:\n      name: "+want+"\n"):
			t.Errorf("flux/%s.yaml lacks decryption with secret %s:\n%s", app, want, k)
		}
	}
}

// TestSOPSImageRefused: CI's image tag would change a SOPS-encrypted
// Deployment whose image is readable; kiln refuses instead of breaking it.
func TestSOPSImageRefused(t *testing.T) {
	t.Parallel()
	opts := checkOptions(false)
	opts.Images = render.Images{Refs: []string{"ghcr.io/acme/web:2.0.0"}}
	results := renderAll(t, load(t, "testdata/sops/image-repo"), opts)
	golden.File(t, "testdata/sops/image-repo/want.err", []byte(errText(results)), *update)
}

func errText(results []*render.EnvResult) string {
	var b strings.Builder
	for _, er := range results {
		for _, e := range diag.Flatten(er.Err) {
			b.WriteString("env " + er.Env + ": " + e.Error() + "\n")
		}
	}
	return b.String()
}

// TestSOPSInvalidRefused renders SOPS documents that kustomize-controller
// refuses once it decrypts them, each a real sops document edited in its
// readable part: a key written twice among the encrypted values, a label
// written twice, a stringData value sops recorded as an int (as it does for
// `port: 5432` unquoted), a misspelt field, a value added in the clear
// under stringData, an encrypted value cut short, a lastmodified that is
// no time, two encryption rules, an encrypted name and namespace (an
// encrypted_regex matching metadata: kustomize-controller replaces the
// built resource by its decrypted identity, which no longer matches), a
// Secret exported with kubectl whose last-applied-configuration annotation
// keeps its data readable beside the encrypted values (Flux applies it;
// the leak is in git), and (for the API server rather than Flux) an
// apiVersion that does not serve the kind. Flux's own steps show the
// refusal: kyaml's MarshalJSON (which DecryptResource calls first) fails
// on a duplicate key, sops's decryption stops at a value it did not
// encrypt, and the decrypted object does not decode strictly into a
// Secret. kiln refuses each without the key, naming the file, line
// and field, and shows no value and no ciphertext.
//
// Three v1 Secrets (encrypted by kiln's sopsyaml to the test key) carry
// kustomize.toolkit.fluxcd.io/decrypt: disabled (one "Disabled"), so
// kustomize-controller applies each as it is written: its sops field is
// none of a Secret's ("field not declared in schema" from server-side
// apply), nor is a data value's ciphertext base64, nor is an encrypted
// label value a label value. kiln used to check them as if decrypted, and
// passed them. Three more so annotated are refused as before, in words
// for a document Flux does not decrypt: a value added in the clear (which
// the controller that decrypts it cannot decrypt), a key written twice
// (which kustomize build refuses) and an encrypted name (which the API
// server would get).
func TestSOPSInvalidRefused(t *testing.T) {
	t.Parallel()
	const dir = "testdata/sops/invalid-repo"
	for file, apiServer := range map[string]string{
		"decrypt-disabled.enc.yaml":       `unknown field "sops"`,
		"decrypt-disabled-data.enc.yaml":  "illegal base64 data",
		"decrypt-disabled-label.enc.yaml": `unknown field "sops"`,
	} {
		data, err := os.ReadFile(filepath.Join(dir, "apps", "web", file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sopstest.Decrypt(data, testIdentity(t)); err != nil {
			t.Errorf("%s is no sops document the test key opens: %v", file, err)
		}
		js, err := yaml.YAMLToJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		var s corev1.Secret
		if err := dec.Decode(&s); err == nil || !strings.Contains(err.Error(), apiServer) {
			t.Errorf("%s: decoding the Secret as written: %v, want %q", file, err, apiServer)
		}
	}
	for file, flux := range map[string]string{
		"dup-key.enc.yaml":    `mapping key "password" already defined`,
		"dup-label.enc.yaml":  `mapping key "app" already defined`,
		"int-port.enc.yaml":   "cannot unmarshal number into Go struct field Secret.stringData of type string",
		"typo.enc.yaml":       `unknown field "immutible"`,
		"hand-added.enc.yaml": "does not match sops' data format",
		"truncated.enc.yaml":  "does not match sops' data format",
		"bad-date.enc.yaml":   `parsing time "yesterday"`,
		"two-rules.enc.yaml":  "Cannot use more than one of",
	} {
		data, err := os.ReadFile(filepath.Join(dir, "apps", "web", file))
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := kio.FromBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nodes[0].MarshalJSON(); err != nil {
			if !strings.Contains(err.Error(), flux) {
				t.Errorf("%s: MarshalJSON: %v, want %q", file, err, flux)
			}
			continue
		}
		plain, err := sopstest.FluxDecrypt(data, testIdentity(t))
		if err != nil {
			if !strings.Contains(err.Error(), flux) {
				t.Errorf("%s: decrypting as Flux does: %v, want %q", file, err, flux)
			}
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(plain))
		dec.DisallowUnknownFields()
		var s corev1.Secret
		if err := dec.Decode(&s); err == nil || !strings.Contains(err.Error(), flux) {
			t.Errorf("%s: decoding the decrypted Secret: %v, want %q", file, err, flux)
		}
	}

	text := errText(renderAll(t, load(t, dir), checkOptions(false)))
	golden.File(t, filepath.Join(dir, "want.err"), []byte(text), *update)
	for _, leak := range []string{"ENC[", "correct-horse", "5432", "Sup3rS3cret"} {
		if strings.Contains(text, leak) {
			t.Errorf("the errors show %q:\n%s", leak, text)
		}
	}
}

// TestSOPSTypedSecretsPass: kiln checks a SOPS document's decrypted shape
// with placeholders for its encrypted values, and must not refuse what
// only the placeholders break: a Docker config, an SSH key or a TLS pair
// whose content is encrypted, a ConfigMap's encrypted data (all encrypted
// by kiln's own sopsyaml to the test key). Each decrypts as Flux does.
func TestSOPSTypedSecretsPass(t *testing.T) {
	t.Parallel()
	const dir = "testdata/sops/typed-repo"
	results := renderAll(t, load(t, dir), checkOptions(true))
	if text := errText(results); text != "" {
		t.Fatalf("kiln refuses valid SOPS documents:\n%s", text)
	}
	for _, file := range []string{"secret_registry.yaml", "secret_deploy-key.yaml", "secret_cert.yaml", "configmap_settings.yaml"} {
		if _, err := sopstest.FluxDecrypt(results[0].Files["apps/web/"+file], testIdentity(t)); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// genPipeline is a kiln.yaml of env dev and kustomize app gen (namespace
// demo, apps/gen), to which a test may append apps.
const genPipeline = "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n  - name: gen\n    namespace: demo\n    kustomize: apps/gen\n"

// TestSOPSGeneratedSecretGetsDecryption: a kustomize secretGenerator made
// of a file the sops program encrypted (Flux's guide for whole config
// files) renders a Secret whose data value is the encrypted file, base64
// encoded, with no top-level sops key. kustomize-controller decrypts such
// a value only when the Kustomization has decryption; without it the
// cluster gets the ciphertext as the Secret's content.
func TestSOPSGeneratedSecretGetsDecryption(t *testing.T) {
	t.Parallel()
	enc, err := os.ReadFile(filepath.Join(sopsRepo, "apps/files/secret.enc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := loadProject(t, dir, map[string]string{
		"kiln.yaml":     genPipeline + "  - name: plain\n    namespace: demo\n    kustomize: apps/plain\n",
		"envs/dev.yaml": "vars: {}\n",
		"apps/gen/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
secretGenerator:
  - name: creds
    files: [creds.yaml=creds.enc.yaml]
`,
		"apps/gen/creds.enc.yaml": string(enc),
		"apps/plain/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
secretGenerator:
  - name: creds
    literals: [mode=fast]
`,
	})
	er := renderAll(t, p, checkOptions(false))[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	if k := string(er.Files["flux/gen.yaml"]); !strings.Contains(k, "decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n") {
		t.Errorf("flux/gen.yaml lacks decryption for its SOPS-encrypted generated Secret:\n%s", k)
	}
	if k := string(er.Files["flux/plain.yaml"]); strings.Contains(k, "decryption:") {
		t.Errorf("flux/plain.yaml has decryption without SOPS data:\n%s", k)
	}
}

// TestSOPSDotenvGeneratorRefused: a secretGenerator (or configMapGenerator)
// of a .env file the sops program encrypted makes one key of each line, the
// sops metadata and the ENC[…] values among them. kustomize-controller
// decrypts such a file only while it builds the generator itself, and the
// hydrated folder holds the built object, so the cluster would get the
// ciphertext as the values: kiln refuses it, quoting nothing of it.
func TestSOPSDotenvGeneratorRefused(t *testing.T) {
	t.Parallel()
	const enc = "ENC[AES256_GCM,data:Zm9vYmFy,iv:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=,tag:MTIzNDU2Nzg5MDEyMzQ1Ng==,type:str]"
	env := "DB_PASSWORD=" + enc + "\n" +
		"sops_age__list_0__map_recipient=age1f8rtcjfs7v7dht3grqq0pgu5r4madj8gecamscfuv2kfe8nldp5s07weua\n" +
		"sops_lastmodified=2024-01-01T00:00:00Z\n" +
		"sops_mac=" + enc + "\n" +
		"sops_unencrypted_suffix=_unencrypted\nsops_version=3.9.0\n"
	for _, gen := range []string{"secretGenerator", "configMapGenerator"} {
		t.Run(gen, func(t *testing.T) {
			t.Parallel()
			p := loadProject(t, t.TempDir(), map[string]string{
				"kiln.yaml":     genPipeline,
				"envs/dev.yaml": "vars: {}\n",
				"apps/gen/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
					gen + ":\n  - name: creds\n    envs: [secrets.enc.env]\n",
				"apps/gen/secrets.enc.env": env,
			})
			er := renderAll(t, p, checkOptions(false))[0]
			if er.Err == nil {
				t.Fatalf("rendered the encrypted .env file's keys as values:\n%s", er.Files["apps/gen/"+map[string]string{"secretGenerator": "secret", "configMapGenerator": "configmap"}[gen]+"_creds-845bt82g58.yaml"])
			}
			msg := er.Err.Error()
			if !strings.Contains(msg, "sops_mac") || !strings.Contains(msg, "app gen") || strings.Contains(msg, "Zm9vYmFy") {
				t.Errorf("error = %v", msg)
			}
		})
	}
}

// TestSOPSSecretTooLarge: an encrypted Secret holding more than 1 MiB passed
// kiln, whose checks see zero values in place of the encrypted ones, and
// the API server refused it once Flux decrypted it. The size is known
// without the key (AES-GCM's ciphertext is as long as its plaintext), for
// stringData and for data's base64 alike; 1 MiB exactly passes.
func TestSOPSSecretTooLarge(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	for name, tc := range map[string]struct {
		field, value string
		ok           bool
	}{
		"stringData over":  {"stringData", strings.Repeat("x", 1<<20+1), false},
		"data over":        {"data", strings.Repeat("eHh4", (1<<20)/3+2), false},
		"stringData 1 MiB": {"stringData", strings.Repeat("x", 1<<20), true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			obj := kyaml.MustParse("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: demo\n" + tc.field + ":\n  blob: " + tc.value + "\n")
			enc, err := sopsyaml.Encrypt(obj.YNode(), sopsyaml.Options{Age: []string{id.Recipient().String()}, EncryptedRegex: "^(data|stringData)$", Now: time.Unix(0, 0)})
			if err != nil {
				t.Fatal(err)
			}
			p := loadProject(t, t.TempDir(), map[string]string{
				"kiln.yaml":          "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n  - name: a\n    namespace: demo\n    yaml: apps/a\n",
				"envs/dev.yaml":      "vars: {}\n",
				"apps/a/secret.yaml": string(enc),
			})
			er := renderAll(t, p, checkOptions(false))[0]
			switch {
			case tc.ok && er.Err != nil:
				t.Fatal(er.Err)
			case !tc.ok && er.Err == nil:
				t.Fatal("an encrypted Secret of more than 1 MiB rendered")
			case !tc.ok && (!strings.Contains(er.Err.Error(), "more than 1 MiB") || strings.Contains(er.Err.Error(), "ENC[")):
				t.Errorf("error = %v", er.Err)
			}
		})
	}
}

// TestSOPSImageNotInLock: a Deployment encrypted in the source with a
// rule that covers its image holds ciphertext there. The lock listed it
// as an image the app runs, and the pull request body, which shows no
// ciphertext anywhere else, printed it in the app's row.
func TestSOPSImageNotInLock(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	obj := kyaml.MustParse("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: demo\nspec:\n  selector: {matchLabels: {a: b}}\n" +
		"  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: ghcr.io/acme/private:1.0\n")
	enc, err := sopsyaml.Encrypt(obj.YNode(), sopsyaml.Options{Age: []string{id.Recipient().String()}, EncryptedRegex: "^(image)$", Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	p := loadProject(t, t.TempDir(), map[string]string{
		"kiln.yaml":     "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n  - name: a\n    namespace: demo\n    yaml: apps/a\n",
		"envs/dev.yaml": "vars: {}\n",
		"apps/a/d.yaml": string(enc),
	})
	er := renderAll(t, p, checkOptions(false))[0]
	if er.Err != nil {
		t.Fatal(er.Err)
	}
	if !strings.Contains(string(er.Files["apps/a/deployment_d.yaml"]), "image: ENC[") {
		t.Fatalf("the image is not encrypted:\n%s", er.Files["apps/a/deployment_d.yaml"])
	}
	if got := er.Lock.Apps["a"].Images; len(got) != 0 {
		t.Errorf("the lock lists %q as the app's images, want none", got)
	}
}

// TestSOPSImageAlreadyGiven: a SOPS document gets no CI image tag, so the
// error says to set the tag in it before encrypting. Done so, CI's image
// was still "used by no app", and --strict failed the render.
func TestSOPSImageAlreadyGiven(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	obj := kyaml.MustParse("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: demo\nspec:\n  selector: {matchLabels: {a: b}}\n" +
		"  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: ghcr.io/acme/vote:1.2\n" +
		"        env:\n        - {name: TOKEN, value: hunter2hunter2}\n")
	enc, err := sopsyaml.Encrypt(obj.YNode(), sopsyaml.Options{Age: []string{id.Recipient().String()}, EncryptedRegex: "^(value)$", Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	p := loadProject(t, t.TempDir(), map[string]string{
		"kiln.yaml":     "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\napps:\n  - name: a\n    namespace: demo\n    yaml: apps/a\n",
		"envs/dev.yaml": "vars: {}\n",
		"apps/a/d.yaml": string(enc),
	})
	opts := checkOptions(true)
	opts.Images = render.Images{Refs: []string{"ghcr.io/acme/vote:1.2"}}
	er := renderAll(t, p, opts)[0]
	if er.Err != nil {
		t.Fatalf("the image the document runs counts as unused: %v", er.Err)
	}
	if len(er.Warnings) != 0 {
		t.Errorf("warnings: %v", er.Warnings)
	}
	if got, want := er.Lock.Apps["a"].Images, []string{"ghcr.io/acme/vote:1.2"}; !slices.Equal(got, want) {
		t.Errorf("lock images = %q, want %q", got, want)
	}

	// Another tag is still refused.
	opts.Images = render.Images{Refs: []string{"ghcr.io/acme/vote:1.3"}}
	if er := renderAll(t, p, opts)[0]; er.Err == nil || !strings.Contains(er.Err.Error(), "would change it") {
		t.Errorf("err = %v, want the SOPS document refused", er.Err)
	}
}

// TestSOPSFileWhereFluxDoesNotDecrypt: kustomize-controller decrypts a
// file the sops program encrypted only as the base64 of a Secret's data
// value. The same file in a ConfigMap (a configMapGenerator's files:) or
// under a Secret's stringData (a template's) rendered cleanly, and the
// cluster got the ciphertext as its content.
func TestSOPSFileWhereFluxDoesNotDecrypt(t *testing.T) {
	t.Parallel()
	enc, err := os.ReadFile(filepath.Join(sopsRepo, "apps/files/secret.enc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	indented := "    " + strings.ReplaceAll(strings.TrimRight(string(enc), "\n"), "\n", "\n    ")
	for name, tc := range map[string]struct {
		files map[string]string
		field string
	}{
		"configMapGenerator": {map[string]string{
			"apps/gen/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nconfigMapGenerator:\n  - name: creds\n    files: [creds.yaml=creds.enc.yaml]\n",
			"apps/gen/creds.enc.yaml":     string(enc),
		}, "data.creds.yaml"},
		"Secret stringData": {map[string]string{
			"apps/gen/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [secret.yaml]\n",
			"apps/gen/secret.yaml":        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  creds.yaml: |\n" + indented + "\n",
		}, "stringData.creds.yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{
				"kiln.yaml":     genPipeline,
				"envs/dev.yaml": "vars: {}\n",
			}
			maps.Copy(files, tc.files)
			er := renderAll(t, loadProject(t, t.TempDir(), files), checkOptions(false))[0]
			if er.Err == nil {
				t.Fatal("rendered a sops-encrypted file where Flux does not decrypt it")
			}
			var de *diag.Error
			if msg := er.Err.Error(); !errors.As(er.Err, &de) || de.Field != tc.field || !strings.Contains(msg, "kustomize-controller decrypts only") || strings.Contains(msg, "ENC[") {
				t.Errorf("error = %v (field %q)", msg, tc.field)
			}
		})
	}
}

// TestSOPSValueOutsideSOPSRefused: a value the sops program encrypted,
// in an object without sops metadata, reaches the cluster as the
// ciphertext, since kustomize-controller decrypts documents only through
// their sops metadata: a SOPS Secret whose sops key a merge dropped, a
// kustomize replacement copying a value out of a SOPS Secret, a jsonnet
// program putting one in a Deployment's env. Each is refused where the
// value is, quoting none of it; the SOPS Secret it came from still passes.
func TestSOPSValueOutsideSOPSRefused(t *testing.T) {
	t.Parallel()
	enc, err := os.ReadFile(filepath.Join(sopsRepo, "apps/files/secret.enc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stripped, _, ok := strings.Cut(string(enc), "\nsops:")
	if !ok {
		t.Fatal("the fixture has no sops key")
	}
	for name, tc := range map[string]struct {
		files       map[string]string
		file, field string
		line        int
		object      string
	}{
		"sops key dropped": {map[string]string{
			"apps/gen/secret.yaml": stripped + "\n",
		}, "apps/gen/secret.yaml", "stringData.password", 10, "db"},
		"kustomize replacement": {map[string]string{
			"apps/gen/kustomization.yaml": "resources: [secret.enc.yaml, copy.yaml]\nreplacements:\n" +
				"  - source: {kind: Secret, name: db, fieldPath: stringData.password}\n" +
				"    targets: [{select: {kind: Secret, name: copy}, fieldPaths: [stringData.pw]}]\n",
			"apps/gen/secret.enc.yaml": string(enc),
			"apps/gen/copy.yaml":       "apiVersion: v1\nkind: Secret\nmetadata:\n  name: copy\nstringData:\n  pw: placeholder\n",
		}, "apps/gen/copy.yaml", "stringData.pw", 6, "copy"},
		"jsonnet": {map[string]string{
			"apps/gen/main.jsonnet": `local s = std.parseYaml(importstr 'secret.enc.yaml');
[s, {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27', env: [{ name: 'PW', value: s.stringData.password }] }] },
  } },
}]
`,
			"apps/gen/secret.enc.yaml": string(enc),
		}, "apps/gen/main.jsonnet", "spec.template.spec.containers[0].env[0].value", 6, "web"},
		// What a chart's b64enc and a connection string make of it.
		"base64 in data": {map[string]string{
			"apps/gen/main.jsonnet": "local s = std.parseYaml(importstr 'secret.enc.yaml');\n" +
				"[s, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b64' }, data: { pw: std.base64(s.stringData.password) } }]\n",
			"apps/gen/secret.enc.yaml": string(enc),
		}, "apps/gen/main.jsonnet", "data.pw", 2, "b64"},
		"inside a longer value": {map[string]string{
			"apps/gen/main.jsonnet": "local s = std.parseYaml(importstr 'secret.enc.yaml');\n" +
				"[s, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'url' }, data: { url: 'postgres://app:' + s.stringData.password + '@db' } }]\n",
			"apps/gen/secret.enc.yaml": string(enc),
		}, "apps/gen/main.jsonnet", "data.url", 2, "url"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pipeline := genPipeline
			switch name {
			case "sops key dropped":
				pipeline = strings.Replace(pipeline, "kustomize: apps/gen", "yaml: apps/gen", 1)
			case "jsonnet", "base64 in data", "inside a longer value":
				pipeline = strings.Replace(pipeline, "kustomize: apps/gen", "jsonnet: apps/gen/main.jsonnet", 1)
			}
			files := map[string]string{"kiln.yaml": pipeline, "envs/dev.yaml": "vars: {}\n"}
			maps.Copy(files, tc.files)
			er := renderAll(t, loadProject(t, t.TempDir(), files), checkOptions(false))[0]
			if er.Err == nil {
				t.Fatal("rendered an encrypted value outside its SOPS document")
			}
			// The stripped Secret's data values are no base64 either, which
			// validation says on its own: one error is about sops.
			var mine []*diag.Error
			for _, e := range diag.Flatten(er.Err) {
				var de *diag.Error
				if errors.As(e, &de) && strings.Contains(de.Msg, "sops") {
					mine = append(mine, de)
				}
			}
			if len(mine) != 1 {
				t.Fatalf("errors = %v", er.Err)
			}
			if de := mine[0]; de.Field != tc.field || de.File != tc.file || de.Line != tc.line || de.Object.Name != tc.object || de.App != "gen" {
				t.Errorf("error at %s:%d %s %s: %v", de.File, de.Line, de.Object.Name, de.Field, de)
			}
			if msg := er.Err.Error(); !strings.Contains(msg, "only documents with their sops metadata") || strings.Contains(msg, "AES256_GCM") {
				t.Errorf("error = %v", msg)
			}
		})
	}
}

// sopsSecretCRD is a CRD of sops-secrets-operator's SopsSecret as far as
// its tests need: a custom resource made to be applied encrypted, with a
// sops field, which the operator decrypts in the cluster.
const sopsSecretCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: sopssecrets.isindir.github.com
spec:
  group: isindir.github.com
  names: {kind: SopsSecret, listKind: SopsSecretList, plural: sopssecrets, singular: sopssecret}
  scope: Namespaced
  versions:
    - name: v1alpha3
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              required: [secretTemplates]
              properties:
                secretTemplates:
                  type: array
                  minItems: 1
                  items:
                    type: object
                    required: [name]
                    properties:
                      name: {type: string}
                      stringData: {type: object, additionalProperties: {type: string}}
            sops:
              type: object
              x-kubernetes-preserve-unknown-fields: true
`

// TestSOPSDecryptDisabled: kustomize-controller does not decrypt an
// object annotated kustomize.toolkit.fluxcd.io/decrypt: disabled (any
// case) and applies it as written, for another controller to decrypt; but
// with decryption on the Kustomization it imports the keys of its
// secretRef first, and fails the whole app where that Secret does not
// exist, as where another controller decrypts. An app whose only SOPS
// document is such a SopsSecret gets no decryption, nor does one whose
// ConfigMap says Flux does not decrypt the sops file it holds; an app with
// an encrypted Secret beside it keeps decryption, and so does it when
// kept from the earlier tree (kiln render --app). The SopsSecret passes
// the checks against its CRD and is written byte for byte.
func TestSOPSDecryptDisabled(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	encrypt := func(doc string) string {
		t.Helper()
		enc, err := sopsyaml.Encrypt(kyaml.MustParse(doc).YNode(), sopsyaml.Options{Age: []string{id.Recipient().String()}, EncryptedRegex: "^(data|stringData)$", Now: time.Unix(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		return string(enc)
	}
	sopsSecret := func(name, decrypt string) string {
		return encrypt("apiVersion: isindir.github.com/v1alpha3\nkind: SopsSecret\nmetadata:\n  name: " + name + "\n  namespace: demo\n" +
			"  annotations:\n    kustomize.toolkit.fluxcd.io/decrypt: " + decrypt + "\n" +
			"spec:\n  secretTemplates:\n    - name: " + name + "\n      stringData:\n        password: correct-horse-battery-staple\n")
	}
	operator := sopsSecret("db-creds", "disabled")
	file, err := os.ReadFile(filepath.Join(sopsRepo, "apps/files/secret.enc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := loadProject(t, t.TempDir(), map[string]string{
		"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\nvalidation:\n  crds: [crds/sopssecrets.yaml]\napps:\n" +
			"  - name: operator\n    namespace: demo\n    yaml: apps/operator\n" +
			"  - name: mixed\n    namespace: demo\n    yaml: apps/mixed\n" +
			"  - name: cm\n    namespace: demo\n    yaml: apps/cm\n",
		"envs/dev.yaml":          "vars: {}\n",
		"crds/sopssecrets.yaml":  sopsSecretCRD,
		"apps/operator/db.yaml":  operator,
		"apps/mixed/cache.yaml":  sopsSecret("cache-creds", "Disabled"),
		"apps/mixed/secret.yaml": encrypt("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: demo\nstringData:\n  password: correct-horse-battery-staple\n"),
		"apps/cm/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: creds\n  annotations:\n    kustomize.toolkit.fluxcd.io/decrypt: disabled\ndata:\n  creds.yaml: |\n    " +
			strings.ReplaceAll(strings.TrimRight(string(file), "\n"), "\n", "\n    ") + "\n",
	})
	first := renderAll(t, p, checkOptions(false))[0]
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	if got := string(first.Files["apps/operator/sopssecret_db-creds.yaml"]); got != operator {
		t.Errorf("the SopsSecret is not written byte for byte:\n%s", got)
	}
	opts := checkOptions(false)
	opts.Apps = []string{"cm"}
	opts.Earlier = func(string) (map[string][]byte, error) { return first.Files, nil }
	kept := renderAll(t, p, opts)[0]
	if kept.Err != nil {
		t.Fatal(kept.Err)
	}
	for run, er := range map[string]*render.EnvResult{"render": first, "render --app cm": kept} {
		for app, want := range map[string]bool{"operator": false, "mixed": true, "cm": false} {
			k := string(er.Files["flux/"+app+".yaml"])
			if has := strings.Contains(k, "decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n"); has != want {
				t.Errorf("%s: flux/%s.yaml has decryption %v, want %v:\n%s", run, app, has, want, k)
			}
		}
	}
}
