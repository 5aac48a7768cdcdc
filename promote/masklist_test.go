package promote

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/sopsyaml"
)

// TestShownTreesMasksSecretsInLists: the manifests repository's side of a
// diff is whatever was committed there. A `kubectl get secret -o yaml`
// dump is a v1 List, and Flux (kustomize) applies its items as objects, so
// a Secret inside any kind of list is a Secret: its data is masked, removed,
// added or changed, like a Secret of its own file. None of these values is
// a secret var kiln knows; only the structure can tell.
func TestShownTreesMasksSecretsInLists(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString([]byte("d4ta-in-a-l1st"))
	list := func(kind, value string) string {
		return "apiVersion: v1\nkind: " + kind + "\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: dump\n  type: Opaque\n  data:\n    password: " + b64 + "\n  stringData:\n    token: " + value + "\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n  data: {a: b}\n"
	}
	old := map[string][]byte{
		"apps/web/dump.yaml":    []byte(list("List", "str1ng-in-a-l1st")),
		"apps/web/secrets.yaml": []byte(list("SecretList", "str1ng-in-a-l1st")),
		"apps/web/changed.yaml": []byte(list("List", "0ld-str1ng-in-a-l1st")),
		"apps/web/nested.yaml":  []byte("apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(list("ConfigMapList", "str1ng-in-a-l1st"), "\n", "\n  ") + "\n"),
	}
	new := map[string][]byte{
		"apps/web/added.yaml":   []byte(list("List", "n3w-str1ng-in-a-l1st")),
		"apps/web/changed.yaml": []byte(list("List", "n3w-str1ng-in-a-l1st")),
	}
	so, sn := shownTrees(redact.New(nil), sopsyaml.Identities{}, nil, old, new)
	values := redact.New(map[string]string{"1": "d4ta-in-a-l1st", "2": "str1ng-in-a-l1st", "3": b64})
	for side, tree := range map[string]map[string][]byte{"old": so, "new": sn} {
		for p, data := range tree {
			if found := values.FoundBytes(data); found != nil {
				t.Errorf("%s side of %s shows %v:\n%s", side, p, found, data)
			}
			if !strings.Contains(string(data), "a: b") {
				t.Errorf("%s side of %s lost the ConfigMap beside the Secret:\n%s", side, p, data)
			}
		}
	}
	if !strings.Contains(string(so["apps/web/changed.yaml"]), maskBefore) || !strings.Contains(string(sn["apps/web/changed.yaml"]), maskChanged) {
		t.Errorf("the changed value is not marked as changed:\nold %s\nnew %s", so["apps/web/changed.yaml"], sn["apps/web/changed.yaml"])
	}
}
