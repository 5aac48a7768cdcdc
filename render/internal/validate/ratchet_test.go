package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/testenv"
)

// TestUpdateAcceptedRatchets: CloudNativePG 1.30.0's Database CRD (real)
// reserves the database name postgres with a rule; under a CRD without
// that rule (the rule dropped: an older CRD) a Database named postgres
// was created. kube-apiserver 1.37 takes an update that leaves the name
// alone (CRDValidationRatcheting), and refuses a create, a change of the
// name and, before 1.30, any update (/tmp/transit-repro pair
// 29-cnpg-db-reserved-ratchet, run against a real API server).
func TestUpdateAcceptedRatchets(t *testing.T) {
	t.Parallel()
	crd, oldCRD, reserved := testenv.ReservedDatabase(t)
	sample := strings.Replace(reserved, "  name: postgres\n", "  name: one\n", 1) // the project's own
	for _, tc := range []struct {
		name, kube, old, cur string
		before               bool
		want                 bool
	}{
		{"name kept, owner changed", "1.37.0", reserved, strings.Replace(reserved, "owner: app", "owner: someone", 1), true, true},
		{"name kept, nothing else changed", "1.33.0", reserved, reserved, true, true},
		{"without the CRD of then", "1.30.0", reserved, strings.Replace(reserved, "owner: app", "owner: someone", 1), false, true},
		{"before 1.30", "1.29.0", reserved, strings.Replace(reserved, "owner: app", "owner: someone", 1), true, false},
		// spec.name is immutable too: refused whatever the new name.
		{"name changed to it", "1.37.0", sample, reserved, true, false},
		// cluster is immutable: the update is refused on that.
		{"name kept, cluster changed", "1.37.0", reserved, strings.Replace(reserved, "name: cluster-example", "name: other", 1), true, false},
		// A new field that breaks the schema is no old value.
		{"name kept, a bad value added", "1.37.0", reserved, reserved + "  connectionLimit: notanumber\n", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, err := NewSchemas().Env(tc.kube, parse(t, "crd.yaml", crd))
			if err != nil {
				t.Fatal(err)
			}
			var before *Env
			if tc.before {
				if before, err = NewSchemas().Env(tc.kube, parse(t, "crd-old.yaml", oldCRD)); err != nil {
					t.Fatal(err)
				}
			}
			old, cur := parse(t, "old.yaml", tc.old)[0], parse(t, "new.yaml", tc.cur)[0]
			if err := env.Objects("db", parse(t, "new.yaml", tc.cur)); err == nil || !strings.Contains(err.Error(), "the name postgres is reserved") && !strings.Contains(err.Error(), "connectionLimit") {
				t.Fatalf("the create is not refused: %v", err)
			}
			if got := env.UpdateAccepted(context.Background(), before, old, cur); got != tc.want {
				t.Errorf("UpdateAccepted = %v, want %v", got, tc.want)
			}
		})
	}
}
