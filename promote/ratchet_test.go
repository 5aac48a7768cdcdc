package promote

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/testenv"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestRatchetedRuleWarned: a CloudNativePG upgrade (its real 1.30.0
// Database CRD) reserves the database name postgres, which a Database the
// manifests branch holds already has; the CRD before it had no such rule
// (the rule dropped). The API server takes an update that leaves the name
// alone (CRD validation ratcheting, pair 29-cnpg-db-reserved-ratchet of
// /tmp/transit-repro, against a real kube-apiserver 1.37), so diff and
// promote warn where they stopped on the render's error, and spec.name
// being immutable, no change of the manifests could have got through.
// kiln render, which knows no cluster, still refuses it. Real git
// repositories on disk.
func TestRatchetedRuleWarned(t *testing.T) {
	t.Parallel()
	crd, oldCRD, reserved := testenv.ReservedDatabase(t)
	f := newFixture(t)
	f.commitCode(t, map[string]string{"apps/web/database-crd.yaml": oldCRD}, "add the CRD")
	f.promoted(t, "apps/web/database.yaml", reserved)
	f.commitCode(t, map[string]string{"apps/web/database-crd.yaml": crd, "apps/web/database.yaml": strings.Replace(reserved, "owner: app", "owner: someone", 1)},
		"CloudNativePG 1.30, another owner")
	const warning = `Database/shop/db-one: field "spec.name": Invalid value: the name postgres is reserved, which its CustomResourceDefinition refuses now`
	if log := f.diffLog(t); !strings.Contains(log, warning) {
		t.Errorf("diff does not warn %q:\n%s", warning, log)
	}
	var log bytes.Buffer
	pr, err := promote(t, f, f.opts(t, "dev", &log))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), warning) {
		t.Errorf("promote does not warn %q:\n%s", warning, log.String())
	}
	// The reviewer sees it at the top of the pull request.
	if !strings.Contains(pr.Body, "**A new cluster would refuse these objects**") || !strings.Contains(pr.Body, "`Database/shop/db-one`: field \"spec.name\"") {
		t.Errorf("the body does not warn:\n%s", pr.Body)
	}
	// The folder promoted verifies: the object is the one the cluster holds.
	res, err := Verify(context.Background(), f.pipeline(t), VerifyOptions{Env: "dev", LookupEnv: lookup, Version: "test",
		GitEnv: gittest.Env(), WorkDir: t.TempDir(), Log: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Equal {
		t.Errorf("verify: %+v", res.Files)
	}
}
