package render_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGateErrorPointsAtTheKey: the plain-secret gate's error is at the
// line of the key that holds the value, not the object's first line, and
// names the key so that it cannot be read as another path: a key with a
// period in brackets, as the API server writes it (stringData[a.b], not
// stringData.a.b, which is the key b under a); a key that is no valid
// key, "." here, by its position, and the rest of the error, periods
// included, as it is.
func TestGateErrorPointsAtTheKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ key, want string }{
		{"a.b", "plain/s.yaml:7: app plain: Secret/forms/s: contains the value of secret var PW (raw or encoded) in stringData[a.b]\n"},
		{`"."`, "plain/s.yaml:7: app plain: Secret/forms/s: contains the value of secret var PW (raw or encoded) in stringData[(key 2 of 2 in sorted order)]\n"},
		{"plain", "plain/s.yaml:7: app plain: Secret/forms/s: contains the value of secret var PW (raw or encoded) in stringData.plain\n"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range map[string]string{
				"kiln.yaml": "apiVersion: kiln/v1alpha1\nkind: Pipeline\nenvironments:\n  - name: dev\n" +
					"apps:\n  - name: plain\n    namespace: forms\n    yaml: plain\n",
				"envs/dev.yaml": "secretVars:\n  PW: TEST_PW\n",
				"plain/s.yaml":  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  -: x\n  " + tc.key + ": ${PW}\n",
			} {
				writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
			}
			er := renderForms(t, dir, "gate-s3cret-value")
			if er.Err == nil {
				t.Fatal("a secret var in a Secret was accepted without allowPlainSecrets")
			}
			msg := er.Err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error:\n%s\nwant it to hold:\n%s", msg, tc.want)
			}
			if want := "set allowPlainSecrets: true in the dev env file"; !strings.Contains(msg, want) {
				t.Errorf("the hint lost its text:\n%s", msg)
			}
			// The key "." alone was masked wherever a period stood,
			// in validation's error of the same key too.
			if strings.Contains(msg, "of stringData in sorted order)") {
				t.Errorf("a period of the errors' text is masked as the key:\n%s", msg)
			}
		})
	}
}
