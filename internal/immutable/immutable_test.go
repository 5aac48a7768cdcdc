package immutable

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// real reads an object of the real public manifests kept under
// testdata/manifests at the repository root (README.md there says where from).
func real(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "manifests", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

const job = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  backoffLimit: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: ghcr.io/acme/app:1.0.0
`

// pod is a bare Pod of podinfo's image and port.
const pod = `apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  tolerations:
  - {key: dedicated, operator: Exists, effect: NoSchedule}
  containers:
  - name: podinfo
    image: ghcr.io/stefanprodan/podinfo:6.14.1
    args: [--port=9898]
`

var (
	podInit     = strings.Replace(pod, "  containers:", "  initContainers:\n  - {name: wait, image: busybox:1.36}\n  containers:", 1)
	podDeadline = strings.Replace(pod, "  tolerations:", "  activeDeadlineSeconds: 600\n  tolerations:", 1)
	podGated    = strings.Replace(pod, "  tolerations:", "  schedulingGates: [{name: a}, {name: b}]\n  tolerations:", 1)
)

// TestChanges: each rule on a real object (podinfo, kube-prometheus) or,
// for kinds without one, a small object; changes the API server allows
// are not reported, nor are differences of YAML style or key order.
func TestChanges(t *testing.T) {
	dep := real(t, "podinfo/deployment.yaml")
	rb := real(t, "kube-prometheus/prometheus-roleBindingConfig.yaml")
	svc := real(t, "podinfo/service.yaml")
	svcIP := strings.Replace(svc, "type: ClusterIP", "type: ClusterIP\n  clusterIP: 10.0.0.10", 1)
	svcIPs := strings.Replace(svc, "type: ClusterIP", "type: ClusterIP\n  clusterIPs: [10.0.0.10, 'fd00::10']\n  ipFamilies: [IPv4, IPv6]", 1)
	svcLB := strings.Replace(svc, "type: ClusterIP", "type: LoadBalancer\n  loadBalancerClass: internal", 1)
	sts := "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n  replicas: 1\n  selector: {matchLabels: {app: db}}\n  template: {metadata: {labels: {app: db}}}\n  volumeClaimTemplates: [{metadata: {name: data}, spec: {resources: {requests: {storage: 1Gi}}}}]\n"
	pvc := "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n"
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: true\ndata: {a: x}\n"
	pv := "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: exports}\nspec:\n  capacity: {storage: 10Gi}\n  persistentVolumeReclaimPolicy: Retain\n  accessModes: [ReadWriteMany]\n  nfs: {server: 10.0.0.5, path: /exports}\n"
	csiPV := "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: vol}\nspec:\n  capacity: {storage: 10Gi}\n  accessModes: [ReadWriteOnce]\n  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-1}\n"
	for _, tc := range []struct {
		name, old, from, to string
		want                []string // changed fields
	}{
		{"job image", job, "app:1.0.0", "app:1.1.0", []string{"spec.template"}},
		{"job backoffLimit", job, "backoffLimit: 3", "backoffLimit: 4", nil},
		{"job quoting and key order", job, "      restartPolicy: Never\n      containers:\n      - name: migrate\n        image: ghcr.io/acme/app:1.0.0\n", "      containers: [{image: \"ghcr.io/acme/app:1.0.0\", name: migrate}]\n      restartPolicy: Never\n", nil},
		{"deployment selector", dep, "      app: podinfo\n  template", "      app: podinfo2\n  template", []string{"spec.selector"}},
		{"deployment image", dep, "podinfo:6.14.1", "podinfo:6.15.0", nil},
		{"rolebinding roleRef", rb, "  kind: Role\n", "  kind: ClusterRole\n", []string{"roleRef"}},
		{"rolebinding subjects", rb, "  namespace: monitoring\n", "  namespace: observability\n", nil},
		{"service clusterIP set", strings.Replace(svc, "type: ClusterIP", "type: ClusterIP\n  clusterIP: 10.0.0.10", 1), "10.0.0.10", "10.0.0.11", []string{"spec.clusterIP"}},
		{"service clusterIP unset before", svc, "type: ClusterIP", "type: ClusterIP\n  clusterIP: 10.0.0.10", nil},
		{"service clusterIP left out", svcIP, "  clusterIP: 10.0.0.10\n", "", nil},
		{"service made ExternalName", svcIP, "type: ClusterIP\n  clusterIP: 10.0.0.10", "type: ExternalName\n  externalName: db.example.com", nil},
		{"service made headless", svcIP, "10.0.0.10", "None", []string{"spec.clusterIP"}},
		{"service with an allocated address made headless", svc, "type: ClusterIP", "type: ClusterIP\n  clusterIP: None", []string{"spec.clusterIP"}},
		{"service with an empty clusterIP made headless", strings.Replace(svc, "type: ClusterIP", "type: ClusterIP\n  clusterIP: \"\"", 1), `clusterIP: ""`, "clusterIP: None", []string{"spec.clusterIP"}},
		{"service with an allocated address made headless by clusterIPs", svc, "type: ClusterIP", "type: ClusterIP\n  clusterIPs: [None]", []string{"spec.clusterIPs"}},
		{"headless service's clusterIP left out", strings.Replace(svc, "type: ClusterIP", "type: ClusterIP\n  clusterIP: None", 1), "  clusterIP: None\n", "", nil},
		{"headless by clusterIPs stays headless", strings.Replace(svc, "type: ClusterIP", "type: ClusterIP\n  clusterIPs: [None]", 1), "clusterIPs: [None]", "clusterIP: None", nil},
		{"external name service made headless", strings.Replace(svc, "type: ClusterIP", "type: ExternalName\n  externalName: db.example.com", 1), "type: ExternalName\n  externalName: db.example.com", "type: ClusterIP\n  clusterIP: None", nil},
		{"service clusterIPs primary", svcIPs, "[10.0.0.10, 'fd00::10']", "[10.0.0.11, 'fd00::10']", []string{"spec.clusterIPs"}},
		{"service clusterIPs second removed", svcIPs, "[10.0.0.10, 'fd00::10']", "[10.0.0.10]", nil},
		{"service ipFamilies swapped", svcIPs, "[IPv4, IPv6]", "[IPv6, IPv4]", []string{"spec.ipFamilies"}},
		{"service ipFamilies second added", strings.Replace(svc, "type: ClusterIP", "type: ClusterIP\n  ipFamilies: [IPv4]", 1), "[IPv4]", "[IPv4, IPv6]", nil},
		{"headless service families", strings.Replace(svc, "type: ClusterIP", "type: ClusterIP\n  clusterIP: None\n  ipFamilies: [IPv4]", 1), "[IPv4]", "[IPv6]", nil},
		{"load balancer class", svcLB, "Class: internal", "Class: external", []string{"spec.loadBalancerClass"}},
		{"load balancer class added", strings.Replace(svcLB, "  loadBalancerClass: internal\n", "", 1), "type: LoadBalancer", "type: LoadBalancer\n  loadBalancerClass: internal", []string{"spec.loadBalancerClass"}},
		{"load balancer class with a type change", svcLB, "type: LoadBalancer\n  loadBalancerClass: internal", "type: ClusterIP", nil},
		{"statefulset claim size", sts, "storage: 1Gi", "storage: 2Gi", []string{"spec"}},
		{"statefulset replicas and template", sts, "replicas: 1\n  selector: {matchLabels: {app: db}}\n  template: {metadata: {labels: {app: db}}}", "replicas: 3\n  selector: {matchLabels: {app: db}}\n  template: {metadata: {labels: {app: db, v: '2'}}}", nil},
		{"pvc resize", pvc, "storage: 1Gi", "storage: 2Gi", nil},
		{"pvc shrink", pvc, "storage: 1Gi", "storage: 512Mi", []string{"spec.resources.requests.storage"}},
		{"pvc same size in other units", pvc, "storage: 1Gi", "storage: 1024Mi", nil},
		{"pvc access mode", pvc, "[ReadWriteOnce]", "[ReadWriteMany]", []string{"spec"}},
		{"immutable configmap data", cm, "a: x", "a: y", []string{"data"}},
		{"immutable configmap made mutable", cm, "immutable: true", "immutable: false", []string{"immutable"}},
		{"mutable configmap data", strings.Replace(cm, "immutable: true\n", "", 1), "a: x", "a: y", nil},
		{"secret type", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\n", "Opaque", "kubernetes.io/tls", []string{"type"}},
		{"priority class value", "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n", "1000", "2000", []string{"value"}},
		{"priority class preemption", "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n", "value: 1000\n", "value: 1000\npreemptionPolicy: Never\n", []string{"preemptionPolicy"}},
		{"priority class description", "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n", "value: 1000\n", "value: 1000\ndescription: batch\n", nil},
		{"runtime class handler", "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc\n", "runsc", "kata", []string{"handler"}},
		{"csi driver attachRequired", "apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata: {name: ebs.csi.aws.com}\nspec: {attachRequired: true, podInfoOnMount: false}\n", "attachRequired: true", "attachRequired: false", []string{"spec.attachRequired"}},
		{"csi driver podInfoOnMount", "apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata: {name: ebs.csi.aws.com}\nspec: {attachRequired: true, podInfoOnMount: false}\n", "podInfoOnMount: false", "podInfoOnMount: true", nil},
		{"endpoint slice address type", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: db-1}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.5]}]\n", "addressType: IPv4\nendpoints: [{addresses: [10.0.0.5]}]", "addressType: IPv6\nendpoints: [{addresses: ['fd00::5']}]", []string{"addressType"}},
		{"endpoint slice addresses", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: db-1}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.5]}]\n", "10.0.0.5", "10.0.0.6", nil},
		{"persistent volume nfs server", pv, "server: 10.0.0.5", "server: 10.0.0.6", []string{"spec.nfs"}},
		{"persistent volume source kind", pv, "nfs: {server: 10.0.0.5, path: /exports}", "hostPath: {path: /exports}", []string{"spec.hostPath", "spec.nfs"}},
		{"persistent volume capacity and reclaim", pv, "storage: 10Gi}\n  persistentVolumeReclaimPolicy: Retain", "storage: 20Gi}\n  persistentVolumeReclaimPolicy: Delete", nil},
		{"persistent volume mode", pv, "  accessModes", "  volumeMode: Block\n  accessModes", []string{"spec.volumeMode"}},
		{"csi volume expansion secret added", csiPV, "volumeHandle: vol-1}", "volumeHandle: vol-1, controllerExpandSecretRef: {name: expand, namespace: kube-system}}", nil},
		{"csi volume handle", csiPV, "vol-1", "vol-2", []string{"spec.csi"}},
		{"resource claim spec", "apiVersion: resource.k8s.io/v1\nkind: ResourceClaim\nmetadata: {name: gpu}\nspec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: gpu.example.com}}]}}\n", "gpu.example.com", "tpu.example.com", []string{"spec"}},
		{"job completions", job, "backoffLimit: 3", "backoffLimit: 3\n  completions: 2", []string{"spec.completions"}},
		{"indexed job completions alone", strings.Replace(job, "backoffLimit: 3", "backoffLimit: 3\n  completionMode: Indexed\n  completions: 2\n  parallelism: 2", 1), "completions: 2", "completions: 3", []string{"spec.completions"}},
		{"indexed job completions with parallelism", strings.Replace(job, "backoffLimit: 3", "backoffLimit: 3\n  completionMode: Indexed\n  completions: 2\n  parallelism: 2", 1), "completions: 2\n  parallelism: 2", "completions: 3\n  parallelism: 3", nil},
		{"indexed job completions to the default parallelism", strings.Replace(job, "backoffLimit: 3", "backoffLimit: 3\n  completionMode: Indexed\n  completions: 2", 1), "completions: 2", "completions: 1", nil},
		{"persistent volume node affinity added", pv, "  nfs:", "  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-1]}]}]}}\n  nfs:", nil},
		{"persistent volume node affinity moved", strings.Replace(pv, "  nfs:", "  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-1]}]}]}}\n  nfs:", 1), "node-1", "node-2", []string{"spec.nodeAffinity"}},
		{"volume attributes class parameters", "apiVersion: storage.k8s.io/v1\nkind: VolumeAttributesClass\nmetadata: {name: fast}\ndriverName: ebs.csi.aws.com\nparameters: {iops: '3000'}\n", "'3000'", "'6000'", []string{"parameters"}},
		{"service cidr changed", "apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {name: extra}\nspec: {cidrs: [10.96.100.0/24]}\n", "10.96.100.0/24]", "10.96.200.0/24]", []string{"spec.cidrs"}},
		{"service cidr made dual-stack", "apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {name: extra}\nspec: {cidrs: [10.96.100.0/24]}\n", "10.96.100.0/24]", "10.96.100.0/24, 'fd00:100::/112']", nil},
		{"job managedBy", job, "backoffLimit: 3", "backoffLimit: 3\n  managedBy: kueue.x-k8s.io/multikueue", []string{"spec.managedBy"}},
		{"pod image", pod, "podinfo:6.14.1", "podinfo:6.15.0", nil},
		{"pod init container image", podInit, "busybox:1.36", "busybox:1.37", nil},
		{"pod args", pod, "--port=9898", "--port=9899", []string{"spec"}},
		{"pod container added", pod, "args: [--port=9898]\n", "args: [--port=9898]\n  - {name: sidecar, image: busybox:1.36}\n", []string{"spec"}},
		{"pod deadline set", pod, "  tolerations:", "  activeDeadlineSeconds: 600\n  tolerations:", nil},
		{"pod deadline lowered", podDeadline, "600", "300", nil},
		{"pod deadline raised", podDeadline, "600", "900", []string{"spec.activeDeadlineSeconds"}},
		{"pod deadline removed", podDeadline, "  activeDeadlineSeconds: 600\n", "", []string{"spec.activeDeadlineSeconds"}},
		{"pod toleration added", pod, "effect: NoSchedule}", "effect: NoSchedule}\n  - {key: gpu, operator: Exists}", nil},
		{"pod toleration seconds", pod, "effect: NoSchedule}", "effect: NoSchedule, tolerationSeconds: 30}", nil},
		{"pod toleration changed", pod, "operator: Exists, effect: NoSchedule", "operator: Exists, effect: NoExecute", []string{"spec.tolerations"}},
		{"pod toleration changed and args", pod, "effect: NoSchedule}\n  containers:\n  - name: podinfo\n    image: ghcr.io/stefanprodan/podinfo:6.14.1\n    args: [--port=9898]", "effect: NoExecute}\n  containers:\n  - name: podinfo\n    image: ghcr.io/stefanprodan/podinfo:6.14.1\n    args: [--port=9899]", []string{"spec.tolerations", "spec"}},
		{"pod gate removed", podGated, "  schedulingGates: [{name: a}, {name: b}]\n", "  schedulingGates: [{name: a}]\n", nil},
		{"pod gate added", podGated, "{name: b}]", "{name: b}, {name: c}]", []string{"spec.schedulingGates"}},
		{"gated pod node selector", podGated, "  tolerations:", "  nodeSelector: {zone: a}\n  tolerations:", nil},
		{"gated pod node affinity", podGated, "  tolerations:", "  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}\n  tolerations:", nil},
		{"ungated pod node selector", pod, "  tolerations:", "  nodeSelector: {zone: a}\n  tolerations:", []string{"spec"}},
		{"pod grace period from negative to 1", strings.Replace(pod, "  tolerations:", "  terminationGracePeriodSeconds: -1\n  tolerations:", 1), "-1", "1", nil},
		{"pod grace period", strings.Replace(pod, "  tolerations:", "  terminationGracePeriodSeconds: 30\n  tolerations:", 1), "30", "60", []string{"spec"}},
		{"crd scope", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.b.c}\nspec: {scope: Namespaced}\n", "Namespaced", "Cluster", []string{"spec.scope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			newDoc := strings.Replace(tc.old, tc.from, tc.to, 1)
			if newDoc == tc.old {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			var got []string
			for _, c := range Changes(kyaml.MustParse(tc.old), kyaml.MustParse(newDoc)) {
				got = append(got, c.Field)
				if c.Rule == "" {
					t.Errorf("%s: no rule text", c.Field)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("changed %v, want %v", got, tc.want)
			}
		})
	}
}

// TestHeadlessRestored: bitnami/elasticsearch 19.6.0 gave its headless
// Services back their clusterIP: None after 19.5.15 had left it out, so an
// upgrade of an install of 19.5.15 is refused by the API server ("may not
// change once set"); kiln saw no change, the old manifest having no address.
func TestHeadlessRestored(t *testing.T) {
	read := func(f string) *kyaml.RNode {
		b, err := os.ReadFile(filepath.Join("testdata", "bitnami-elasticsearch", f))
		if err != nil {
			t.Fatal(err)
		}
		return kyaml.MustParse(string(b))
	}
	old, cur := read("master-hl-19.5.15.yaml"), read("master-hl-19.6.0.yaml")
	var got []string
	for _, c := range Changes(old, cur) {
		got = append(got, c.Field)
	}
	if strings.Join(got, " ") != "spec.clusterIP" {
		t.Errorf("changed %v, want [spec.clusterIP]", got)
	}
	if got := Changes(cur, old); len(got) != 0 {
		t.Errorf("a headless Service whose manifest leaves clusterIP out stays headless, yet changed %v", got)
	}
}

// TestClaimTemplatesTyped: bitnami/elasticsearch 21.3.16 gave its
// StatefulSets' volumeClaimTemplates an apiVersion and a kind (and
// bitnami/mongodb later took them away); the API server keeps neither and
// accepts both updates, which kiln had warned about as a change of spec.
// A change of a claim template's size is still one.
func TestClaimTemplatesTyped(t *testing.T) {
	read := func(f string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "bitnami-elasticsearch", f))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	old, cur := read("master-sts-21.3.15.yaml"), read("master-sts-21.3.16.yaml")
	resized := strings.Replace(cur, `storage: "8Gi"`, `storage: "16Gi"`, 1)
	if resized == cur {
		t.Fatal("mutation not applied")
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"typed", old, cur, ""},
		{"untyped", cur, old, ""},
		{"typed and resized", old, resized, "spec"},
	} {
		var got []string
		for _, c := range Changes(kyaml.MustParse(tc.old), kyaml.MustParse(tc.new)) {
			got = append(got, c.Field)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: changed %v, want %q", tc.name, got, tc.want)
		}
	}
}

// TestStorageVersionDropped: Strimzi 1.0.0's CRDs drop v1beta2, the
// storage version of 0.51.0's; a kube-apiserver refuses the update
// ("v1beta2 was previously a storage version, and must remain in
// spec.versions") until a storage migration, and kiln said nothing. A CRD
// whose storage version stays, served or not, is no such change.
func TestStorageVersionDropped(t *testing.T) {
	read := func(f string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "strimzi", f))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	old, cur := read("042-Crd-strimzipodset-0.51.0.yaml"), read("042-Crd-strimzipodset-1.0.0.yaml")
	fields := func(a, b string) string {
		var got []string
		for _, c := range Changes(kyaml.MustParse(a), kyaml.MustParse(b)) {
			got = append(got, c.Field)
			if c.Recreate == "" {
				t.Errorf("%s: recreating a CRD is not said to delete its custom resources", c.Field)
			}
			if !strings.Contains(c.Hint, "storage migration") {
				t.Errorf("%s: hint %q", c.Field, c.Hint)
			}
		}
		return strings.Join(got, " ")
	}
	if got := fields(old, cur); got != "spec.versions" {
		t.Errorf("0.51.0 to 1.0.0 changed %q, want spec.versions", got)
	}
	if got := fields(cur, old); got != "" {
		t.Errorf("1.0.0 back to 0.51.0 keeps v1 and changed %q", got)
	}
	// v1beta2 no longer served but still listed: allowed.
	unserved := strings.Replace(old, "      served: true\n      storage: true", "      served: false\n      storage: true", 1)
	if unserved == old {
		t.Fatal("mutation not applied")
	}
	if got := fields(old, unserved); got != "" {
		t.Errorf("v1beta2 unserved changed %q", got)
	}
}

func TestForced(t *testing.T) {
	if Forced(kyaml.MustParse(job)) {
		t.Error("a Job without the annotation is forced")
	}
	forced := strings.Replace(job, "  name: migrate\n", "  name: migrate\n  annotations: {kustomize.toolkit.fluxcd.io/force: enabled}\n", 1)
	if !Forced(kyaml.MustParse(forced)) {
		t.Error("the annotation does not force")
	}
}

// TestRecreateDestroys: the kinds whose recreating deletes data or other
// objects say so; the others leave Recreate empty, so that the force
// annotation stays the suggested answer.
func TestRecreateDestroys(t *testing.T) {
	for _, tc := range []struct {
		doc, from, to string
		destroys      bool
	}{
		{"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.b.c}\nspec: {scope: Namespaced}\n", "Namespaced", "Cluster", true},
		{"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {accessModes: [ReadWriteOnce]}\n", "ReadWriteOnce", "ReadWriteMany", true},
		{"apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: v}\nspec: {persistentVolumeReclaimPolicy: Delete, nfs: {server: a, path: /x}}\n", "server: a", "server: b", true},
		// Retain, the default of a PersistentVolume made by hand, keeps
		// the storage.
		{"apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: v}\nspec: {nfs: {server: a, path: /x}}\n", "server: a", "server: b", false},
		{job, "app:1.0.0", "app:1.1.0", false},
		{"apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n", "1000", "2000", false},
	} {
		changes := Changes(kyaml.MustParse(tc.doc), kyaml.MustParse(strings.Replace(tc.doc, tc.from, tc.to, 1)))
		if len(changes) != 1 || (changes[0].Recreate != "") != tc.destroys {
			t.Errorf("%s: changes %+v, want one that destroys on recreate: %v", tc.from, changes, tc.destroys)
		}
	}
}
