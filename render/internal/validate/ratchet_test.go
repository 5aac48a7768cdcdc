package validate

import (
	"context"
	"fmt"
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

// TestUpdateAcceptedNotRatcheted: what the update checks as the create
// does. A label that is no label value, added beside the reserved name
// CloudNativePG's Database CRD (real) ratchets; a map list's key twice,
// as twice in the cluster's copy. A real kube-apiserver 1.37 refuses both
// updates, the label by ObjectMeta's validation, the list when Flux's
// server-side apply types the object it is given ("failed to create typed
// patch object: .spec.items: duplicate entries for key [name=\"a\"]",
// pairs 01 and 23 of /tmp/review32-pairs); kiln took them. So with a null
// that a field took when the object was stored and no longer takes (pair
// 40 of /tmp/review32-pairs3).
func TestUpdateAcceptedNotRatcheted(t *testing.T) {
	t.Parallel()
	crd, oldCRD, reserved := testenv.ReservedDatabase(t)
	const (
		listCRD = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n" +
			"spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n" +
			"  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n" +
			"          spec:\n            type: object\n            properties:\n              note: {type: string}\n" +
			"              items:\n                type: array\n                x-kubernetes-list-type: map\n                x-kubernetes-list-map-keys: [name]\n" +
			"                items: {type: object, required: [name], properties: {name: {type: string}, v: {type: string}}}\n"
		widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: app}\nspec:\n  note: %s\n  items: [{name: a, v: \"1\"}, {name: a, v: \"2\"}]\n"
		// opt made non-nullable since a Widget was stored with it null.
		nullCRD = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n" +
			"spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n" +
			"  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n" +
			"          spec:\n            type: object\n            properties:\n              note: {type: string}\n" +
			"              opt: {type: object, %sproperties: {a: {type: string}}}\n"
		nullWidget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: app}\nspec:\n  note: %s\n  opt: null\n"
	)
	for _, tc := range []struct {
		name, crd, oldCRD, old, cur string
		refused                     string // in the create's errors
	}{
		{"a bad label beside a ratcheted value", crd, oldCRD, reserved,
			strings.Replace(reserved, "  name: db-one\n", "  name: db-one\n  labels:\n    tier: \"-db-\"\n", 1), "metadata.labels"},
		{"a map list's key twice, as in the cluster", listCRD, "", fmt.Sprintf(widget, "a"), fmt.Sprintf(widget, "b"), "Duplicate value"},
		// The API server reads the stored object through the new CRD,
		// which drops its null: the null applied again is a change.
		{"a null the CRD no longer allows, kept", fmt.Sprintf(nullCRD, ""), fmt.Sprintf(nullCRD, "nullable: true, "), fmt.Sprintf(nullWidget, "a"), fmt.Sprintf(nullWidget, "b"), `must be of type object: "null"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, err := NewSchemas().Env("1.37.0", parse(t, "crd.yaml", tc.crd))
			if err != nil {
				t.Fatal(err)
			}
			var before *Env
			if tc.oldCRD != "" {
				if before, err = NewSchemas().Env("1.37.0", parse(t, "crd-old.yaml", tc.oldCRD)); err != nil {
					t.Fatal(err)
				}
			}
			if err := env.Objects("app", parse(t, "new.yaml", tc.cur)); err == nil || !strings.Contains(err.Error(), tc.refused) {
				t.Fatalf("the create is not refused for %q: %v", tc.refused, err)
			}
			old, cur := parse(t, "old.yaml", tc.old)[0], parse(t, "new.yaml", tc.cur)[0]
			if env.UpdateAccepted(context.Background(), before, old, cur) {
				t.Error("UpdateAccepted = true, want false")
			}
		})
	}
}
