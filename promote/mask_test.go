package promote

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestDiffRotatedSecret: under allowPlainSecrets the tree holds the secret
// in a Secret. After a rotation kiln diff must show that the key changed,
// but neither the new value (a secret var kiln knows) nor the previous one
// (which no redactor knows any more).
func TestDiffRotatedSecret(t *testing.T) {
	t.Parallel()
	const previous = "pr3vious-r0tated-value"
	f := newFixture(t)
	out := t.TempDir()
	o := f.opts(t, "dev", nil)
	lookup := o.Render.LookupEnv
	o.Render.LookupEnv = func(k string) (string, bool) {
		if k == "TEST_API_KEY" {
			return previous, true
		}
		return lookup(k)
	}
	writeRender(t, f, o.Render, out)

	o = f.opts(t, "dev", nil)
	res, err := Diff(context.Background(), f.pipeline(t), DiffOptions{Env: "dev", Against: out, Render: o.Render, GitEnv: gittest.Env(), WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed {
		t.Fatal("a rotated secret is a change")
	}
	if len(res.Changes) != 1 || res.Changes[0].Path != "apps/cache/secret_cache.yaml" {
		t.Errorf("changes = %+v, want the Secret only (no digest in the lock may follow the value)", res.Changes)
	}
	diff := res.Unified(false)
	both := redact.New(map[string]string{"NEW": secretValue, "OLD": previous})
	if found := both.Found(diff); found != nil {
		t.Errorf("the diff shows %v:\n%s", found, diff)
	}
	for _, want := range []string{"-  key: '" + maskBefore + "'", "+  key: '" + maskChanged + "'", "   size: '" + maskSame + "'"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
}

func TestMaskSecretPairLeavesOtherFiles(t *testing.T) {
	t.Parallel()
	cm := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Secret\ndata:\n  a: b\n")
	o, n := maskSecretPair(cm, cm)
	if string(o) != string(cm) || string(n) != string(cm) {
		t.Errorf("a ConfigMap was rewritten: %q %q", o, n)
	}
}
