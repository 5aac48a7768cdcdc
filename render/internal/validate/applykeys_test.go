package validate

import (
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestApplyKeysToldOnce: each duplicate server-side apply refuses is told,
// once: not hidden by a rule's error about another entry of the list,
// not added to a rule's error about the same entry or the whole list, and
// not made up from entries that lack a key the schema requires. Metadata's
// keyed lists are checked for every kind, custom resources included, and
// an empty managedFields list is refused where Flux applies it as written.
func TestApplyKeysToldOnce(t *testing.T) {
	t.Parallel()
	const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo}\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
	for _, tc := range []struct {
		name, doc string
		want      []string // one error each, in order
	}{
		{"a host port twice beside a container port twice", pod + "    ports:\n    - {containerPort: 80, hostPort: 8080}\n    - {containerPort: 81, hostPort: 8080}\n    - {containerPort: 90}\n    - {containerPort: 90}\n",
			[]string{`a.yaml:10: app demo: Pod/demo/p: field "spec.containers[0].ports[1].hostPort": Duplicate value: "TCP//8080"`,
				`a.yaml:12: app demo: Pod/demo/p: field "spec.containers[0].ports[3]": Duplicate value: {"containerPort":90,"protocol":"TCP"}`}},
		{"a port name twice beside a container port twice", pod + "    ports:\n    - {name: web, containerPort: 80}\n    - {name: web, containerPort: 81}\n    - {containerPort: 90}\n    - {containerPort: 90}\n",
			[]string{`field "spec.containers[0].ports[1].name": Duplicate value: "web"`,
				`field "spec.containers[0].ports[3]": Duplicate value: {"containerPort":90,"protocol":"TCP"}`}},
		// Another problem of the entry tells nothing of its key.
		{"env name twice, the second with value and valueFrom", pod + "    env: [{name: A, value: x}, {name: A, value: y, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n",
			[]string{`field "spec.containers[0].env[1]": Duplicate value: {"name":"A"}`,
				`field "spec.containers[0].env[1].valueFrom": Invalid value: "": may not be specified when ` + "`value`" + ` is not empty`}},
		{"container port twice, the second's host port out of range", pod + "    ports: [{containerPort: 90}, {containerPort: 90, hostPort: 70000}]\n",
			[]string{`field "spec.containers[0].ports[1]": Duplicate value: {"containerPort":90,"protocol":"TCP"}`,
				`field "spec.containers[0].ports[1].hostPort": Invalid value: 70000`}},
		{"two service ports without a port", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: demo}\nspec:\n  selector: {app: a}\n  ports: [{name: a, targetPort: 80}, {name: b, targetPort: 81}]\n",
			[]string{`missing required field "spec.ports[0].port"`, `missing required field "spec.ports[1].port"`}},
		// A pull secret's name defaults to "": two without one are two
		// named "" to server-side apply.
		{"two pull secrets without a name", pod + "  imagePullSecrets: [{}, {}]\n",
			[]string{`a.yaml:8: app demo: Pod/demo/p: field "spec.imagePullSecrets[1]": Duplicate value: {"name":""}`}},
		{"one pull secret without a name", pod + "  imagePullSecrets: [{}]\n", nil},
		// A ServiceAccount's secrets are keyed by a name with no default:
		// an entry without one has no key at all.
		{"a service account secret without a name", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: demo}\nsecrets:\n- name: sa-token\n- namespace: demo\n",
			[]string{`a.yaml:6: app demo: ServiceAccount/demo/sa: field "secrets[1].name": Required value`}},
		{"service account secrets with names", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: demo}\nsecrets: [{name: a}, {name: b, namespace: demo}]\n", nil},
		{"two ports without a container port", pod + "    ports:\n    - {name: a, hostPort: 80}\n    - {name: b, hostPort: 81}\n",
			[]string{`missing required field "spec.containers[0].ports[0].containerPort"`, `missing required field "spec.containers[0].ports[1].containerPort"`}},
		{"ephemeral containers of one name on create", pod + "  ephemeralContainers:\n  - {name: e, image: busybox}\n  - {name: e, image: busybox}\n",
			[]string{`field "spec.ephemeralContainers": Forbidden: cannot be set on create`}},
		// Server-side apply types the status before the API server resets
		// it: a real kube-apiserver 1.37 refuses a key twice there.
		{"a condition type twice in a deployment's status", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: demo}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec: {containers: [{name: a, image: a}]}\nstatus:\n  conditions:\n  - {type: Available, status: 'True'}\n  - {type: Available, status: 'False'}\n",
			[]string{`a.yaml:12: app demo: Deployment/demo/d: field "status.conditions[1]": Duplicate value: {"type":"Available"}`}},
		{"an address twice in a node's status", "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus:\n  addresses:\n  - {type: InternalIP, address: 10.0.0.1}\n  - {type: InternalIP, address: 10.0.0.2}\n",
			[]string{`a.yaml:7: app demo: Node/n: field "status.addresses[1]": Duplicate value: {"type":"InternalIP"}`}},
		{"conditions of two types in a deployment's status", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: demo}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec: {containers: [{name: a, image: a}]}\nstatus:\n  conditions:\n  - {type: Available, status: 'True'}\n  - {type: Progressing, status: 'True', reason: null}\n", nil},
		{"a finalizer twice in a custom resource", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\n  finalizers: [example.com/x, example.com/x]\nspec: {interval: 10m, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n",
			[]string{`a.yaml:6: app demo: Kustomization/flux-system/apps: field "metadata.finalizers[1]": Duplicate value: "example.com/x"`}},
		{"a finalizer twice in a built-in kind", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: demo\n  finalizers: [example.com/x, example.com/x]\n",
			[]string{`a.yaml:6: app demo: ConfigMap/demo/c: field "metadata.finalizers[1]": Duplicate value: "example.com/x"`}},
		// Core's ValidateObjectMeta takes a bare finalizer name only if
		// standard; the groups that use apimachinery's take any.
		{"a finalizer without a domain on a ConfigMap", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: demo\n  finalizers: [kubernetes, cleanup, example.com/x]\n",
			[]string{`a.yaml:6: app demo: ConfigMap/demo/c: field "metadata.finalizers[1]": Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified`}},
		{"a finalizer without a domain on a Deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: demo\n  finalizers: [foregroundDeletion, cleanup]\nspec:\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {labels: {app: d}}\n    spec: {containers: [{name: c, image: busybox}]}\n",
			[]string{`field "metadata.finalizers[1]": Invalid value: "cleanup": name is neither a standard finalizer name`}},
		{"a finalizer without a domain on a PodDisruptionBudget", "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\n  namespace: demo\n  finalizers: [cleanup]\nspec: {maxUnavailable: 1, selector: {matchLabels: {app: d}}}\n", nil},
		{"a finalizer without a domain on a Lease", "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: l\n  namespace: demo\n  finalizers: [cleanup]\n", nil},
		{"a finalizer without a domain in a custom resource", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\n  finalizers: [cleanup]\nspec: {interval: 10m, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n", nil},
		{"two owner references of one uid", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: demo\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: a, uid: 6b1e6f0c-0000-4000-8000-000000000001}\n  - {apiVersion: v1, kind: ConfigMap, name: b, uid: 6b1e6f0c-0000-4000-8000-000000000001}\n",
			[]string{`a.yaml:8: app demo: ConfigMap/demo/c: field "metadata.ownerReferences[1]": Duplicate value: {"uid":"6b1e6f0c-0000-4000-8000-000000000001"}`}},
		// kustomize-controller round-trips client-go's kinds through their
		// Go types, which drops an empty list, but for Roles and
		// ClusterRoles; CRDs and APIServices are not client-go's.
		{"empty managedFields of a Role", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: demo, managedFields: []}\n",
			[]string{`field "metadata.managedFields": Forbidden: server-side apply refuses it`}},
		{"empty managedFields of an APIService", "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1.example.com, managedFields: []}\nspec: {group: example.com, version: v1, groupPriorityMinimum: 100, versionPriority: 100, service: {name: s, namespace: demo}}\n",
			[]string{`field "metadata.managedFields": Forbidden: server-side apply refuses it`}},
		{"empty managedFields of a RoleBinding", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: r, namespace: demo, managedFields: []}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := schemas().Env("1.37.0", nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, err := range diag.Flatten(e.Objects("demo", parse(t, "a.yaml", tc.doc))) {
				got = append(got, err.Error())
			}
			ok := len(got) == len(tc.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.Contains(got[i], tc.want[i])
			}
			if !ok {
				t.Errorf("got %d errors:\n%s\nwant %d, containing in order:\n%s", len(got), strings.Join(got, "\n"), len(tc.want), strings.Join(tc.want, "\n"))
			}
		})
	}
}
