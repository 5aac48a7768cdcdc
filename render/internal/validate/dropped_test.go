package validate

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/render/internal/validate/apirules"
)

// TestDropped: a field whose gate is off by default in the env's
// kubeVersion is reported at its path and line from the release before
// the gate turned on, not from it; values the API server treats as unset
// (hostUsers: true, procMount: Default, a sidecar's restartPolicy: Always)
// are not. A gitRepo volume, which the API server takes but the kubelet
// no longer mounts from 1.33, is reported from 1.33; a seccomp
// annotation from 1.27, unless the field it stands for is set or its value
// is refused (both then errors or moot). The documents are the real podinfo Deployment and the
// Kubernetes documentation's examples, each with one field added.
func TestDropped(t *testing.T) {
	t.Parallel()
	cronJob := "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: report}\nspec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      managedBy: kueue.x-k8s.io/multikueue\n" +
		"      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: report, image: busybox}]\n"
	sts := "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  serviceName: web\n" +
		"  updateStrategy: {rollingUpdate: {maxUnavailable: 2}}\n  template:\n    metadata: {labels: {app: web}}\n" +
		"    spec:\n      initContainers: [{name: proxy, image: envoy, restartPolicy: Always}]\n      containers: [{name: web, image: nginx}]\n" +
		"  volumeClaimTemplates:\n  - metadata: {name: www}\n    spec: {accessModes: [ReadWriteOnce], volumeAttributesClassName: gold, resources: {requests: {storage: 1Gi}}}\n"
	service := "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n  trafficDistribution: PreferClose\n"
	hpa := "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n  behavior:\n    scaleUp: {tolerance: '0.05'}\n"
	tz := "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: report}\nspec:\n  timeZone: Europe/Paris\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n" +
		"      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: report, image: busybox}]\n"
	failurePolicy := "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [42]}}]}\n" +
		"  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: main, image: busybox}]\n"
	spread := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: web}}\nspec:\n  topologySpreadConstraints:\n" +
		"  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}, matchLabelKeys: [pod-template-hash], minDomains: 3, nodeAffinityPolicy: Honor, nodeTaintsPolicy: Honor}\n" +
		"  schedulingGates: [{name: example.com/quota}]\n  containers: [{name: web, image: nginx}]\n"
	containerMetric := "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  metrics:\n" +
		"  - {type: ContainerResource, containerResource: {name: cpu, container: web, target: {type: Utilization, averageUtilization: 60}}}\n" +
		"  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n"
	// aws-efs-csi-driver's static volume, with a secret for the driver's
	// NodeExpandVolume.
	expandPV := "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: efs-pv}\nspec:\n  capacity: {storage: 5Gi}\n  accessModes: [ReadWriteMany]\n" +
		"  csi: {driver: efs.csi.aws.com, volumeHandle: fs-4af69aab, nodeExpandSecretRef: {name: creds}}\n"
	pdb := "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  unhealthyPodEvictionPolicy: AlwaysAllow\n  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n"
	ordinals := "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  serviceName: web\n" +
		"  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}\n" +
		"  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}\n  ordinals: {start: 1}\n"
	// The gitRepo example of the Kubernetes documentation's volumes page.
	gitRepo := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: server\nspec:\n  containers:\n  - image: nginx\n    name: nginx\n" +
		"    volumeMounts:\n    - mountPath: /mypath\n      name: git-volume\n  volumes:\n  - name: git-volume\n    gitRepo:\n" +
		"      repository: \"git@somewhere:me/my-git-repository.git\"\n      revision: \"22f1d8406d464b0c0874075539c1f2e96c253775\"\n"
	seccompFields := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n" +
		"    metadata:\n      labels: {app: web}\n      annotations:\n        seccomp.security.alpha.kubernetes.io/pod: runtime/default\n        container.seccomp.security.alpha.kubernetes.io/web: unconfined\n" +
		"    spec:\n      securityContext: {seccompProfile: {type: RuntimeDefault}}\n      containers: [{name: web, image: nginx, securityContext: {seccompProfile: {type: Unconfined}}}]\n"
	hostNet := "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  selector: {matchLabels: {app: agent}}\n" +
		"  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      hostNetwork: true\n" +
		"      containers: [{name: a, image: a, ports: [{containerPort: 8080}]}, {name: b, image: b, ports: [{containerPort: 8080}]}]\n"
	// The Kubernetes documentation's claim template (dynamic resource
	// allocation), asking for a device that may be tainted, and a share of
	// its memory; and a DeviceClass backing an extended resource.
	claimTemplate := "apiVersion: resource.k8s.io/v1\nkind: ResourceClaimTemplate\nmetadata: {name: gpu-claim-template}\nspec:\n  spec:\n    devices:\n      requests:\n" +
		"      - name: gpu\n        exactly:\n          deviceClassName: gpu.example.com\n" +
		"          tolerations: [{key: example.com/unhealthy, operator: Exists, effect: NoSchedule}]\n          capacity: {requests: {memory: 8Gi}}\n"
	deviceClass := "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: {name: gpu.example.com}\nspec:\n  selectors: [{cel: {expression: device.driver == 'gpu.example.com'}}]\n  extendedResourceName: example.com/gpu\n"
	initNever := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n" +
		"  template:\n    metadata: {labels: {app: web}}\n    spec:\n      initContainers: [{name: setup, image: busybox, restartPolicy: Never}]\n      containers: [{name: web, image: nginx}]\n"
	for _, tc := range []struct {
		name, kube string
		file, doc  string // doc "" is file mutated by from and to
		from, to   string
		want       []string // "path@line gate", in order
	}{
		{name: "user namespace 1.32", kube: "1.32.4", file: "deployment.yaml", from: "    spec:\n      containers:\n", to: "    spec:\n      hostUsers: false\n      containers:\n",
			want: []string{"spec.template.spec.hostUsers@24 UserNamespacesSupport"}},
		{name: "user namespace 1.33", kube: "1.33.0", file: "deployment.yaml", from: "    spec:\n      containers:\n", to: "    spec:\n      hostUsers: false\n      containers:\n"},
		{name: "host's user namespace 1.32", kube: "1.32.4", file: "deployment.yaml", from: "    spec:\n      containers:\n", to: "    spec:\n      hostUsers: true\n      containers:\n"},
		{name: "default proc mount 1.32", kube: "1.32.4", file: "deployment.yaml", from: "        imagePullPolicy: IfNotPresent\n", to: "        imagePullPolicy: IfNotPresent\n        securityContext: {procMount: Default}\n"},
		{name: "resize policy 1.32", kube: "1.32.0", file: "deployment.yaml",
			from: "        volumeMounts:\n", to: "        resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]\n        volumeMounts:\n",
			want: []string{"spec.template.spec.containers[0].resizePolicy@75 InPlacePodVerticalScaling"}},
		{name: "image volume 1.34", kube: "1.34.2", file: "deployment.yaml", from: "      volumes:\n", to: "      volumes:\n        - {name: models, image: {reference: 'quay.io/crio/artifact:v2'}}\n",
			want: []string{"spec.template.spec.volumes[0].image@79 ImageVolume"}},
		// The Kubernetes documentation's projections (1.34 knows both).
		{name: "certificate projections 1.36", kube: "1.36.0", file: "deployment.yaml", from: "          emptyDir: {}\n",
			to: "          projected:\n            sources:\n            - clusterTrustBundle: {name: example, path: example-roots.pem}\n" +
				"            - podCertificate: {keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: credentialbundle.pem}\n",
			want: []string{"spec.template.spec.volumes[0].projected.sources[0].clusterTrustBundle@82 ClusterTrustBundleProjection",
				"spec.template.spec.volumes[0].projected.sources[1].podCertificate@83 PodCertificateRequest"}},
		{name: "certificate projections 1.37", kube: "1.37.0", file: "deployment.yaml", from: "          emptyDir: {}\n",
			to: "          projected:\n            sources:\n            - clusterTrustBundle: {name: example, path: example-roots.pem}\n" +
				"            - podCertificate: {keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: credentialbundle.pem}\n"},
		// podCertificate is newer than 1.33: an error there, not dropped.
		{name: "certificate projections 1.33", kube: "1.33.0", file: "deployment.yaml", from: "          emptyDir: {}\n",
			to: "          projected:\n            sources:\n            - clusterTrustBundle: {name: example, path: example-roots.pem}\n" +
				"            - podCertificate: {keyType: ED25519, signerName: coolcert.example.com/foo, credentialBundlePath: credentialbundle.pem}\n",
			want: []string{"spec.template.spec.volumes[0].projected.sources[0].clusterTrustBundle@82 ClusterTrustBundleProjection"}},
		{name: "image volume 1.35", kube: "1.35.0", file: "deployment.yaml", from: "      volumes:\n", to: "      volumes:\n        - {name: models, image: {reference: 'quay.io/crio/artifact:v2'}}\n"},
		{name: "no kubeVersion", kube: "", file: "deployment.yaml", from: "    spec:\n      containers:\n", to: "    spec:\n      hostUsers: false\n      containers:\n"},
		{name: "job managed by 1.31", kube: "1.31.0", doc: cronJob, want: []string{"spec.jobTemplate.spec.managedBy@8 JobManagedBy"}},
		{name: "job managed by 1.32", kube: "1.32.0", doc: cronJob},
		{name: "stateful set 1.33", kube: "1.33.0", doc: sts,
			want: []string{"spec.volumeClaimTemplates[0].spec.volumeAttributesClassName@15 VolumeAttributesClass", "spec.updateStrategy.rollingUpdate.maxUnavailable@7 MaxUnavailableStatefulSet"}},
		// Not dropped but not mounted: the gitRepo plugin is off from 1.33.
		{name: "git repository volume 1.32", kube: "1.32.0", doc: gitRepo},
		{name: "git repository volume 1.33", kube: "1.33.0", doc: gitRepo, want: []string{"spec.volumes[0].gitRepo@14 gitRepo volumes"}},
		{name: "git repository volume, no kubeVersion", kube: "", doc: gitRepo, want: []string{"spec.volumes[0].gitRepo@14 gitRepo volumes"}},
		// The seccomp annotation of a chart that predates seccompProfile.
		{name: "seccomp annotation 1.26", kube: "1.26.0", file: "deployment.yaml", from: "        prometheus.io/scrape: \"true\"\n", to: "        prometheus.io/scrape: \"true\"\n        seccomp.security.alpha.kubernetes.io/pod: runtime/default\n"},
		{name: "seccomp annotation 1.27", kube: "1.27.0", file: "deployment.yaml", from: "        prometheus.io/scrape: \"true\"\n", to: "        prometheus.io/scrape: \"true\"\n        seccomp.security.alpha.kubernetes.io/pod: runtime/default\n        container.seccomp.security.alpha.kubernetes.io/podinfod: runtime/default\n",
			want: []string{"spec.template.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]@20 seccomp annotations", "spec.template.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/podinfod]@21 seccomp annotations"}},
		// Not beside the field it duplicates (the profile applies through
		// the field; a disagreeing pair is an error), nor when its value
		// is refused (an error).
		{name: "seccomp annotations beside their fields 1.27", kube: "1.27.0", doc: seccompFields},
		{name: "seccomp annotation misspelt 1.27", kube: "1.27.0", file: "deployment.yaml",
			from: "        prometheus.io/scrape: \"true\"\n", to: "        prometheus.io/scrape: \"true\"\n        seccomp.security.alpha.kubernetes.io/pod: RuntimeDefault\n"},
		{name: "cephfs volume 1.31", kube: "1.31.0", file: "deployment.yaml", from: "          emptyDir: {}\n", to: "          cephfs: {monitors: ['10.16.154.78:6789'], user: admin, secretRef: {name: ceph-secret}}\n",
			want: []string{"spec.template.spec.volumes[0].cephfs@80 cephfs volumes"}},
		{name: "cephfs volume 1.30", kube: "1.30.0", file: "deployment.yaml", from: "          emptyDir: {}\n", to: "          cephfs: {monitors: ['10.16.154.78:6789'], user: admin, secretRef: {name: ceph-secret}}\n"},
		{name: "service 1.30", kube: "1.30.0", doc: service, want: []string{"spec.trafficDistribution@7 ServiceTrafficDistribution"}},
		{name: "autoscaler 1.34", kube: "1.34.0", doc: hpa, want: []string{"spec.behavior.scaleUp.tolerance@8 HPAConfigurableTolerance"}},
		// The gates on by default from 1.25 to 1.30, each a release
		// before and at it.
		// volumeAttributesClassName is newer than 1.28 (an error, not
		// dropped), as schedulingGates is than 1.25.
		{name: "sidecar 1.28", kube: "1.28.0", doc: sts, want: []string{
			"spec.template.spec.initContainers[0].restartPolicy@11 SidecarContainers", "spec.updateStrategy.rollingUpdate.maxUnavailable@7 MaxUnavailableStatefulSet"}},
		{name: "sidecar 1.29", kube: "1.29.0", doc: sts, want: []string{
			"spec.volumeClaimTemplates[0].spec.volumeAttributesClassName@15 VolumeAttributesClass", "spec.updateStrategy.rollingUpdate.maxUnavailable@7 MaxUnavailableStatefulSet"}},
		{name: "cron job time zone 1.24", kube: "1.24.0", doc: tz, want: []string{"spec.timeZone@5 CronJobTimeZone"}},
		{name: "cron job time zone 1.25", kube: "1.25.0", doc: tz},
		{name: "probe grace period 1.24", kube: "1.24.0", file: "deployment.yaml", from: "            - localhost:9898/healthz\n", to: "            - localhost:9898/healthz\n          terminationGracePeriodSeconds: 5\n",
			want: []string{"spec.template.spec.containers[0].livenessProbe.terminationGracePeriodSeconds@57 ProbeTerminationGracePeriod"}},
		{name: "probe grace period 1.25", kube: "1.25.0", file: "deployment.yaml", from: "            - localhost:9898/healthz\n", to: "            - localhost:9898/healthz\n          terminationGracePeriodSeconds: 5\n"},
		{name: "pod failure policy 1.25", kube: "1.25.0", doc: failurePolicy, want: []string{"spec.podFailurePolicy@5 JobPodFailurePolicy"}},
		{name: "pod failure policy 1.26", kube: "1.26.0", doc: failurePolicy},
		{name: "topology spread 1.25", kube: "1.25.0", doc: spread, want: []string{
			"spec.topologySpreadConstraints[0].nodeAffinityPolicy@6 NodeInclusionPolicyInPodTopologySpread", "spec.topologySpreadConstraints[0].nodeTaintsPolicy@6 NodeInclusionPolicyInPodTopologySpread",
			"spec.topologySpreadConstraints[0].matchLabelKeys@6 MatchLabelKeysInPodTopologySpread", "spec.topologySpreadConstraints[0].minDomains@6 MinDomainsInPodTopologySpread"}},
		{name: "topology spread 1.26", kube: "1.26.0", doc: spread, want: []string{
			"spec.topologySpreadConstraints[0].matchLabelKeys@6 MatchLabelKeysInPodTopologySpread", "spec.topologySpreadConstraints[0].minDomains@6 MinDomainsInPodTopologySpread",
			"spec.schedulingGates@7 PodSchedulingReadiness"}},
		{name: "topology spread 1.27", kube: "1.27.0", doc: spread},
		{name: "container metric 1.26", kube: "1.26.0", doc: containerMetric, want: []string{"spec.metrics[0].containerResource@6 HPAContainerMetrics"}},
		{name: "container metric 1.27", kube: "1.27.0", doc: containerMetric},
		{name: "budget 1.26", kube: "1.26.0", doc: pdb, want: []string{"spec.unhealthyPodEvictionPolicy@5 PDBUnhealthyPodEvictionPolicy"}},
		{name: "budget 1.27", kube: "1.27.0", doc: pdb},
		{name: "node expand secret 1.26", kube: "1.26.0", doc: expandPV, want: []string{"spec.csi.nodeExpandSecretRef@7 CSINodeExpandSecret"}},
		{name: "node expand secret 1.27", kube: "1.27.0", doc: expandPV},
		{name: "stateful set ordinals 1.26", kube: "1.26.0", doc: ordinals, want: []string{"spec.persistentVolumeClaimRetentionPolicy@8 StatefulSetAutoDeletePVC", "spec.ordinals@9 StatefulSetStartOrdinal"}},
		{name: "stateful set ordinals 1.27", kube: "1.27.0", doc: ordinals},
		// A regular container's restartPolicy: dropped while
		// ContainerRestartRules is off (1.34); before, refused (apirules).
		{name: "regular container restart policy 1.33", kube: "1.33.0", file: "deployment.yaml", from: "        imagePullPolicy: IfNotPresent\n", to: "        imagePullPolicy: IfNotPresent\n        restartPolicy: Always\n"},
		{name: "regular container restart policy 1.34", kube: "1.34.0", file: "deployment.yaml", from: "        imagePullPolicy: IfNotPresent\n", to: "        imagePullPolicy: IfNotPresent\n        restartPolicy: Always\n",
			want: []string{"spec.template.spec.containers[0].restartPolicy@28 ContainerRestartRules"}},
		// On the host's network two containers on one port: taken in a
		// template from 1.28 (its pods refused), refused before (apirules).
		{name: "host network ports 1.28", kube: "1.28.0", doc: hostNet,
			want: []string{"spec.template.spec.containers[1].ports[0].containerPort@10 host network ports"}},
		{name: "host network ports 1.27", kube: "1.27.0", doc: hostNet},
		{name: "host network ports of two protocols 1.37", kube: "1.37.0", doc: strings.Replace(hostNet, "{name: b, image: b, ports: [{containerPort: 8080}]}", "{name: b, image: b, ports: [{containerPort: 8080, protocol: UDP}]}", 1)},
		{name: "pod's own network 1.37", kube: "1.37.0", doc: strings.Replace(hostNet, "hostNetwork: true", "hostNetwork: false", 1)},
		{name: "init container restart policy 1.33", kube: "1.33.0", doc: initNever},
		{name: "init container restart policy 1.34", kube: "1.34.0", doc: initNever,
			want: []string{"spec.template.spec.initContainers[0].restartPolicy@9 ContainerRestartRules"}},
		{name: "sleep 1.29", kube: "1.29.0", file: "deployment.yaml", from: "        volumeMounts:\n", to: "        lifecycle: {preStop: {sleep: {seconds: 5}}}\n        volumeMounts:\n",
			want: []string{"spec.template.spec.containers[0].lifecycle.preStop.sleep@75 PodLifecycleSleepAction"}},
		{name: "device taints and capacity 1.35", kube: "1.35.0", doc: claimTemplate,
			want: []string{"spec.spec.devices.requests[0].exactly.tolerations@11 DRADeviceTaints", "spec.spec.devices.requests[0].exactly.capacity@12 DRAConsumableCapacity"}},
		{name: "device taints and capacity 1.36", kube: "1.36.0", doc: claimTemplate},
		{name: "device class extended resource 1.35", kube: "1.35.0", doc: deviceClass, want: []string{"spec.extendedResourceName@6 DRAExtendedResource"}},
		{name: "device class extended resource 1.36", kube: "1.36.0", doc: deviceClass},
		{name: "sleep 1.30", kube: "1.30.0", file: "deployment.yaml", from: "        volumeMounts:\n", to: "        lifecycle: {preStop: {sleep: {seconds: 5}}}\n        volumeMounts:\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, doc := "doc.yaml", tc.doc
			if doc == "" {
				path, doc = realDoc(t, "podinfo", tc.file, tc.from, tc.to)
			}
			env, err := NewSchemas().Env(tc.kube, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range parse(t, path, doc) {
				for _, d := range env.Dropped(o) {
					got = append(got, d.Path+"@"+strconv.Itoa(d.Line)+" "+d.Gate)
					if !strings.Contains(d.Msg, d.Path) || (strings.Contains(d.Msg, "is dropped by") && !strings.Contains(d.Hint, d.Gate)) {
						t.Errorf("message or hint lacks the field or gate: %s; %s", d.Msg, d.Hint)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNewerFields: a field a later release added is not in the API of an
// older kubeVersion at all: an error at its line (Flux's server-side apply
// fails, "field not declared in schema"), not a dropped-field warning; from
// the release that added it, the field is what Dropped says, or fine. The
// documents are the real podinfo Deployment with one field added, and the
// Service and Pod examples above.
func TestNewerFields(t *testing.T) {
	t.Parallel()
	service := "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n  trafficDistribution: PreferClose\n"
	podResources := [2]string{"    spec:\n      containers:\n", "    spec:\n      resources: {limits: {cpu: '4'}}\n      containers:\n"}
	stopSignal := [2]string{"        volumeMounts:\n", "        lifecycle: {stopSignal: SIGTERM}\n        volumeMounts:\n"}
	for _, tc := range []struct {
		name, kube string
		doc        string // "" is podinfo's deployment.yaml with mut
		mut        [2]string
		errs       []string // error texts, in order
		dropped    []string // paths Dropped reports
	}{
		{name: "pod resources 1.31", kube: "1.31.0", mut: podResources,
			errs: []string{`deployment.yaml:24: app demo: Deployment/podinfo: field "spec.template.spec.resources" is not in the API of Kubernetes 1.31 (apps/v1 Deployment has it from 1.32): Flux's server-side apply fails ("field not declared in schema")`}},
		{name: "pod resources 1.32", kube: "1.32.0", mut: podResources, dropped: []string{"spec.template.spec.resources"}},
		{name: "pod resources 1.34", kube: "1.34.0", mut: podResources},
		{name: "pod resources, no kubeVersion", kube: "", mut: podResources},
		// An alpha field: unknown before 1.33, dropped unnoticed after.
		{name: "stop signal 1.32", kube: "1.32.0", mut: stopSignal,
			errs: []string{`field "spec.template.spec.containers[0].lifecycle.stopSignal" is not in the API of Kubernetes 1.32 (apps/v1 Deployment has it from 1.33)`}},
		{name: "stop signal 1.33", kube: "1.33.0", mut: stopSignal, dropped: []string{"spec.template.spec.containers[0].lifecycle.stopSignal"}},
		{name: "traffic distribution 1.29", kube: "1.29.0", doc: service,
			errs: []string{`doc.yaml:7: app demo: Service/web: field "spec.trafficDistribution" is not in the API of Kubernetes 1.29 (v1 Service has it from 1.30)`}},
		{name: "traffic distribution 1.30", kube: "1.30.0", doc: service, dropped: []string{"spec.trafficDistribution"}},
		// Older than the table: what 1.24 lacks, older releases lack too.
		{name: "pod resources 1.20", kube: "1.20.0", mut: podResources, errs: []string{`"spec.template.spec.resources" is not in the API of Kubernetes 1.20`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var dropped []string
			for _, d := range droppedCase(t, tc.kube, tc.doc, tc.mut, tc.errs) {
				dropped = append(dropped, d.Path)
			}
			if !slices.Equal(dropped, tc.dropped) {
				t.Errorf("dropped %q, want %q", dropped, tc.dropped)
			}
		})
	}
}

// TestDroppedEverywhere: a field whose feature gate is off by default in
// every release kiln knows (apirules.GateOff) is dropped by the API server
// of any kubeVersion that has the field, before it validates the object:
// a warning at its path and line, and what is wrong inside it (a
// misspelt signal, a mode the enum lacks, a responder without its
// priority) no error, as the cluster refuses none of it. A value that is
// the default is no warning; a release without the field refuses it
// (newerFields). The documents are the real podinfo Deployment with one
// field added, and the Kubernetes documentation's cross-namespace claim.
func TestDroppedEverywhere(t *testing.T) {
	t.Parallel()
	mounts := "        volumeMounts:\n"
	readiness := "        readinessProbe:\n          exec:\n            command:\n            - podcli\n            - check\n            - http\n            - localhost:9898/readyz\n"
	claim := "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: example-pvc, namespace: dev}\nspec:\n  storageClassName: example\n" +
		"  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n" +
		"  dataSourceRef: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: new-snapshot-demo, namespace: prod}\n"
	job := "apiVersion: batch/v1\nkind: Job\nmetadata: {name: train}\nspec:\n  scheduling: {}\n" +
		"  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: main, image: busybox}]\n"
	ctr := "spec.template.spec.containers[0]."
	for _, tc := range []struct {
		name, kube string
		doc        string    // "" is podinfo's deployment.yaml with mut
		mut        [2]string // from, to
		dropped    []string  // "path@line gate"
		errs       []string  // error texts, in order
	}{
		{name: "stop signal", kube: "1.37.0", mut: [2]string{mounts, "        lifecycle: {stopSignal: SIGUSR1}\n" + mounts},
			dropped: []string{ctr + "lifecycle.stopSignal@75 ContainerStopSignals"}},
		{name: "misspelt stop signal", kube: "", mut: [2]string{mounts, "        lifecycle: {stopSignal: SIGUSR}\n" + mounts},
			dropped: []string{ctr + "lifecycle.stopSignal@75 ContainerStopSignals"}},
		{name: "stop signal before it was", kube: "1.32.0", mut: [2]string{mounts, "        lifecycle: {stopSignal: SIGUSR}\n" + mounts},
			errs: []string{`field "spec.template.spec.containers[0].lifecycle.stopSignal" is not in the API of Kubernetes 1.32`}},
		{name: "grpc probe over TLS", kube: "1.37.0", mut: [2]string{readiness, "        readinessProbe:\n          grpc: {port: 9999, mode: TLS}\n"},
			dropped: []string{ctr + "readinessProbe.grpc.mode@60 GRPCContainerProbeTLS"}},
		{name: "grpc probe in a mode of none", kube: "1.37.0", mut: [2]string{readiness, "        readinessProbe:\n          grpc: {port: 9999, mode: tls}\n"},
			dropped: []string{ctr + "readinessProbe.grpc.mode@60 GRPCContainerProbeTLS"}},
		{name: "grpc probe in plaintext", kube: "1.37.0", mut: [2]string{readiness, "        readinessProbe:\n          grpc: {port: 9999, mode: Plaintext}\n"}},
		{name: "grpc probe in a mode, 1.36", kube: "1.36.0", mut: [2]string{readiness, "        readinessProbe:\n          grpc: {port: 9999, mode: TLS}\n"},
			errs: []string{`field "spec.template.spec.containers[0].readinessProbe.grpc.mode" is not in the API of Kubernetes 1.36`}},
		{name: "h2c probe", kube: "1.37.0", mut: [2]string{readiness, "        readinessProbe:\n          httpGet: {port: http, path: /readyz, protocol: HTTP3}\n"},
			dropped: []string{ctr + "readinessProbe.httpGet.protocol@60 H2CContainerProbe"}},
		{name: "bind mount options", kube: "1.37.0", mut: [2]string{"            mountPath: /data\n", "            mountPath: /data\n            bindMountOptions: [noexec, nosuid]\n"},
			dropped: []string{ctr + "volumeMounts[0].bindMountOptions@78 VolumeBindMountOptions"}},
		{name: "empty dir mode", kube: "1.37.0", mut: [2]string{"          emptyDir: {}\n", "          emptyDir: {mode: 488}\n"},
			dropped: []string{"spec.template.spec.volumes[0].emptyDir.mode@80 EmptyDirVolumeMode"}},
		{name: "files' user", kube: "1.37.0", mut: [2]string{"          emptyDir: {}\n",
			"          projected:\n            defaultUser: 1000\n            sources:\n            - serviceAccountToken: {path: token, user: -1}\n"},
			dropped: []string{"spec.template.spec.volumes[0].projected.defaultUser@81 AtomicWriteVolumeUserFields",
				"spec.template.spec.volumes[0].projected.sources[0].serviceAccountToken.user@83 AtomicWriteVolumeUserFields"}},
		{name: "eviction responder without priority", kube: "1.37.0", mut: [2]string{"    spec:\n      containers:\n", "    spec:\n      evictionResponders: [{name: example.com/drain}]\n      containers:\n"},
			dropped: []string{"spec.template.spec.evictionResponders@24 EvictionRequestAPI"}},
		// Server-side apply reads the list as a map before anything is
		// dropped: a name twice is still refused.
		{name: "eviction responder twice", kube: "1.37.0", mut: [2]string{"    spec:\n      containers:\n",
			"    spec:\n      evictionResponders: [{name: example.com/drain, priority: 1}, {name: example.com/drain, priority: 2}]\n      containers:\n"},
			dropped: []string{"spec.template.spec.evictionResponders@24 EvictionRequestAPI"},
			errs:    []string{`spec.template.spec.evictionResponders[1]`}},
		{name: "scheduling group", kube: "1.37.0", mut: [2]string{"    spec:\n      containers:\n", "    spec:\n      schedulingGroup: {podGroupName: trainers}\n      containers:\n"},
			dropped: []string{"spec.template.spec.schedulingGroup@24 GenericWorkload"}},
		{name: "job scheduling", kube: "1.37.0", doc: job, dropped: []string{"spec.scheduling@5 WorkloadWithJob"}},
		{name: "cross-namespace data source", kube: "1.37.0", doc: claim, dropped: []string{"spec.dataSourceRef@8 CrossNamespaceVolumeDataSource"}},
		{name: "data source of the claim's namespace", kube: "1.37.0", doc: strings.Replace(claim, ", namespace: prod", "", 1)},
		// A derived attribute whose name is no attribute's.
		{name: "derived attributes", kube: "1.37.0", doc: "apiVersion: resource.k8s.io/v1\nkind: ResourceClaim\nmetadata: {name: gpu-nic}\nspec:\n  devices:\n    requests:\n" +
			"    - name: gpu\n      exactly:\n        deviceClassName: gpu.example.com\n        derivedAttributes: [{name: numa node, expression: \"device.attributes['gpu.example.com'].numa\"}]\n",
			dropped: []string{"spec.devices.requests[0].exactly.derivedAttributes@10 DRADerivedAttributes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var dropped []string
			for _, d := range droppedCase(t, tc.kube, tc.doc, tc.mut, tc.errs) {
				dropped = append(dropped, d.Path+"@"+strconv.Itoa(d.Line)+" "+d.Gate)
				if !strings.Contains(d.Msg, d.Path) || !strings.Contains(d.Msg, "off by default in every release") || !strings.Contains(d.Hint, d.Gate) {
					t.Errorf("message or hint lacks the field, the gate or why: %s; %s", d.Msg, d.Hint)
				}
			}
			if !slices.Equal(dropped, tc.dropped) {
				t.Errorf("dropped %q, want %q", dropped, tc.dropped)
			}
		})
	}
}

// TestDroppedKeptInClaimTemplates: a StatefulSet's claim templates keep
// what the claims made from them lose: the warning is given, and the
// checks still see the field.
func TestDroppedKeptInClaimTemplates(t *testing.T) {
	t.Parallel()
	doc := "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  serviceName: web\n" +
		"  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}\n" +
		"  volumeClaimTemplates:\n  - metadata: {name: www}\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n" +
		"      dataSourceRef: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: snap, namespace: prod}\n"
	env, err := NewSchemas().Env("1.37.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := parse(t, "doc.yaml", doc)[0]
	const field = "spec.volumeClaimTemplates[0].spec.dataSourceRef"
	var got []string
	for _, d := range env.Dropped(o) {
		got = append(got, d.Path)
	}
	if !slices.Equal(got, []string{field}) {
		t.Errorf("dropped %q, want %q", got, field)
	}
	if (&droppedFields{e: env, o: o}).has(field + ".name") {
		t.Errorf("the checks leave out %s, which the API server keeps in a claim template", field)
	}
	// A claim of its own loses it before the checks.
	claim := "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: www}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n" +
		"  dataSourceRef: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: snap, namespace: prod}\n"
	if !(&droppedFields{e: env, o: parse(t, "doc.yaml", claim)[0]}).has("spec.dataSourceRef.name") {
		t.Error("the checks see spec.dataSourceRef of a claim, which the API server drops")
	}
}

// TestDropRulesGates: offRules name only gates off in every release,
// dropRules only gates on from one.
func TestDropRulesGates(t *testing.T) {
	t.Parallel()
	for _, r := range offRules {
		if apirules.GateOff(r.gate) == "" {
			t.Errorf("offRules: %s %s: gate %s is not off in every release (apirules.offGates)", r.root, r.path, r.gate)
		}
	}
	for _, r := range dropRules {
		if apirules.GateOff(r.gate) != "" {
			t.Errorf("dropRules: %s %s: gate %s is off in every release: the rule belongs in offRules", r.root, r.path, r.gate)
		}
	}
}

// TestAnyAtAgreesWithEachAt: the quick test that lets Dropped skip a
// rule finds a value exactly where eachAt does: through lists, past
// nulls, scalars and lists where a mapping should be.
func TestAnyAtAgreesWithEachAt(t *testing.T) {
	t.Parallel()
	doc := "a:\n  b: [{c: 1}, {c: null}, {d: 2}, 7]\n  e: null\n  f: [1, 2]\n  g: {h: {i: x}}\n  j: [[{c: 1}]]\n"
	n := parse(t, "d.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {}\n"+doc)[0].Node.YNode()
	for _, path := range []string{"a.b[].c", "a.b[].d", "a.b[].x", "a.e", "a.e.x", "a.f[].x", "a.f", "a.g.h.i", "a.g.h", "a.g.x", "a.j[].c", "x", "a.b[]"} {
		segs := strings.Split(path, ".")
		found := 0
		eachAt(n, segs, "", func(_, _ *kyaml.Node, _ string) { found++ })
		if anyAt(n, segs) != (found > 0) {
			t.Errorf("%s: anyAt %v, eachAt found %d", path, anyAt(n, segs), found)
		}
	}
}

// droppedCase validates doc (podinfo's deployment.yaml with mut, from and
// to, when doc is "") at kubeVersion kube, requires errors containing errs
// in order, and returns what Dropped reports of its objects.
func droppedCase(t *testing.T, kube, doc string, mut [2]string, errs []string) []Dropped {
	t.Helper()
	path := "doc.yaml"
	if doc == "" {
		path, doc = realDoc(t, "podinfo", "deployment.yaml", mut[0], mut[1])
	}
	env, err := NewSchemas().Env(kube, nil)
	if err != nil {
		t.Fatal(err)
	}
	objs := parse(t, path, doc)
	var got []string
	for _, err := range diag.Flatten(env.Objects("demo", objs)) {
		got = append(got, err.Error())
	}
	ok := len(got) == len(errs)
	for i := 0; ok && i < len(got); i++ {
		ok = strings.Contains(got[i], errs[i])
	}
	if !ok {
		t.Errorf("errors:\n%s\nwant, containing:\n%s", strings.Join(got, "\n"), strings.Join(errs, "\n"))
	}
	var out []Dropped
	for _, o := range objs {
		out = append(out, env.Dropped(o)...)
	}
	return out
}
