package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// TestAPIServerRules seeds, one at a time, a mistake the API server's
// hand-written validation refuses (the schema cannot express it) into
// real objects, and expects exactly one error at the field's line, with
// the API server's message.
func TestAPIServerRules(t *testing.T) {
	t.Parallel()
	const dep, svc, repoServer = "deployment.yaml", "service.yaml", "argocd-repo-server-deployment.yaml"
	for _, tc := range []struct {
		name, source, file, from, to, want string
	}{
		{"selector does not match", "podinfo", dep, "      labels:\n        app: podinfo\n", "      labels:\n        app: podinfo-v2\n",
			`deployment.yaml:21: app podinfo: Deployment/podinfo: field "spec.template.metadata.labels": Invalid value: "app=podinfo-v2": ` + "`selector` does not match template `labels`"},
		{"empty selector", "podinfo", dep, "  selector:\n    matchLabels:\n      app: podinfo\n", "  selector: {}\n",
			`deployment.yaml:13: app podinfo: Deployment/podinfo: field "spec.selector": Invalid value: {}: empty selector is invalid for deployment`},
		{"selector operator", "podinfo", dep, "    matchLabels:\n      app: podinfo\n", "    matchExpressions: [{key: app, operator: Equals, values: [podinfo]}]\n",
			`field "spec.selector.matchExpressions[0].operator": Invalid value: "Equals": not a valid selector operator`},
		{"recreate with rollingUpdate", "podinfo", dep, "    type: RollingUpdate\n", "    type: Recreate\n",
			`deployment.yaml:10: app podinfo: Deployment/podinfo: field "spec.strategy.rollingUpdate": Forbidden: may not be specified when strategy ` + "`type` is 'Recreate'"},
		{"restartPolicy of a deployment", "podinfo", dep, "      containers:\n", "      restartPolicy: Never\n      containers:\n",
			`deployment.yaml:24: app podinfo: Deployment/podinfo: field "spec.template.spec.restartPolicy": Unsupported value: "Never": supported values: "Always"`},
		{"mount of no volume", "podinfo", dep, "          - name: data\n            mountPath", "          - name: cache\n            mountPath",
			`deployment.yaml:76: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].volumeMounts[0].name": Not found: "cache"`},
		{"same mount path twice", "podinfo", dep, "            mountPath: /data\n", "            mountPath: /data\n          - name: data\n            mountPath: /data\n",
			`deployment.yaml:79: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].volumeMounts[1].mountPath": Invalid value: "/data": must be unique`},
		{"two volumes of one name", "podinfo", dep, "          emptyDir: {}\n", "          emptyDir: {}\n        - name: data\n          emptyDir: {}\n",
			`field "spec.template.spec.volumes[1].name": Duplicate value: "data"`},
		{"container name", "podinfo", dep, "      - name: podinfod\n", "      - name: podinfo_d\n",
			`deployment.yaml:25: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].name": Invalid value: "podinfo_d": a lowercase RFC 1123 label`},
		{"init container named like a container", "podinfo", dep, "      containers:\n", "      initContainers:\n      - {name: podinfod, image: busybox}\n      containers:\n",
			`field "spec.template.spec.containers[0].name": Duplicate value: "podinfod"`},
		{"port name too long", "podinfo", dep, "        - name: http-metrics\n", "        - name: http-metrics-port\n",
			`deployment.yaml:32: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].ports[1].name": Invalid value: "http-metrics-port": must be no more than 15 characters`},
		{"port names twice", "podinfo", dep, "        - name: grpc\n", "        - name: http\n",
			`field "spec.template.spec.containers[0].ports[2].name": Duplicate value: "http"`},
		{"container port out of range", "podinfo", dep, "containerPort: 9999", "containerPort: 99999",
			`field "spec.template.spec.containers[0].ports[2].containerPort": Invalid value: 99999: must be between 1 and 65535, inclusive`},
		{"request above limit", "podinfo", dep, "            memory: 64Mi\n", "            memory: 1Gi\n",
			`deployment.yaml:74: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].resources.requests.memory": Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi`},
		{"service ports twice", "podinfo", svc, "    - port: 9999\n", "    - port: 9898\n",
			`service.yaml:14: app podinfo: Service/podinfo: field "spec.ports[1]": Duplicate value: "9898/TCP"`},
		{"unnamed port of several", "podinfo", svc, "      name: grpc\n", "",
			`service.yaml:14: app podinfo: Service/podinfo: field "spec.ports[1].name": Required value`},
		{"service port name", "podinfo", svc, "    - name: http\n", "    - name: HTTP\n",
			`field "spec.ports[0].name": Invalid value: "HTTP": a lowercase RFC 1123 label`},
		{"target port name too long", "podinfo", svc, "targetPort: grpc", "targetPort: grpc-port-of-podinfo",
			`field "spec.ports[1].targetPort": Invalid value: "grpc-port-of-podinfo": must be no more than 15 characters`},
		{"externalName missing", "podinfo", svc, "type: ClusterIP", "type: ExternalName",
			`service.yaml:5: app podinfo: Service/podinfo: field "spec.externalName": Required value`},
		{"hpa max below min", "podinfo", "hpa.yaml", "  maxReplicas: 4\n", "  maxReplicas: 1\n",
			`hpa.yaml:11: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.maxReplicas": Invalid value: 1: must be greater than or equal to ` + "`minReplicas`"},
		{"hpa to zero", "podinfo", "hpa.yaml", "  minReplicas: 2\n", "  minReplicas: 0\n",
			`hpa.yaml:10: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.minReplicas": Invalid value: 0: must be greater than or equal to 1`},
		{"hpa resource metric without a target number", "podinfo", "hpa.yaml", "        averageUtilization: 99\n", "",
			`hpa.yaml:16: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.metrics[0].resource.target.averageUtilization": Required value: must set either a target raw value or a target utilization`},
		{"hpa utilization and value", "podinfo", "hpa.yaml", "        averageUtilization: 99\n", "        averageUtilization: 99\n        averageValue: 500m\n",
			`hpa.yaml:21: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.metrics[0].resource.target.averageValue": Forbidden: may not set both a target raw value and a target utilization`},
		{"hpa utilization 0", "podinfo", "hpa.yaml", "        averageUtilization: 99\n", "        averageUtilization: 0\n",
			`hpa.yaml:20: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.metrics[0].resource.target.averageUtilization": Invalid value: 0: must be greater than 0`},
		{"hpa metric under another type", "podinfo", "hpa.yaml", "  - type: Resource\n", "  - type: Pods\n",
			`field "spec.metrics[0].pods": Required value: must populate information for the given metric source`},
		{"hpa metric with two sources", "podinfo", "hpa.yaml", "    resource:\n", "    pods: {metric: {name: requests_per_second}, target: {type: AverageValue, averageValue: 10}}\n    resource:\n",
			`field "spec.metrics[0].pods": Forbidden: must populate the given metric source only`},
		{"hpa pods metric without averageValue", "podinfo", "hpa.yaml", "  - type: Resource\n", "  - type: Pods\n    pods: {metric: {name: requests_per_second}, target: {type: Value, value: 10}}\n  - type: Resource\n",
			`field "spec.metrics[0].pods.target.averageValue": Required value: must specify a positive target averageValue`},
		{"hpa empty scale-down policies", "podinfo", "hpa.yaml", "  metrics:\n", "  behavior:\n    scaleDown: {policies: []}\n  metrics:\n",
			`hpa.yaml:13: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.behavior.scaleDown.policies": Required value: must specify at least one Policy`},
		{"hpa policy period too long", "podinfo", "hpa.yaml", "  metrics:\n", "  behavior:\n    scaleUp:\n      policies: [{type: Pods, value: 4, periodSeconds: 3600}]\n  metrics:\n",
			`field "spec.behavior.scaleUp.policies[0].periodSeconds": Invalid value: 3600: must be less than or equal to 1800`},
		{"hpa target name", "podinfo", "hpa.yaml", "    name: podinfo\n", "    name: podinfo/v2\n",
			`field "spec.scaleTargetRef.name": Invalid value: "podinfo/v2": may not contain '/'`},
		{"pdb both bounds", "kube-prometheus", "alertmanager-podDisruptionBudget.yaml", "  maxUnavailable: 1\n", "  maxUnavailable: 1\n  minAvailable: 1\n",
			`alertmanager-podDisruptionBudget.yaml:12: app kube-prometheus: PodDisruptionBudget/monitoring/alertmanager-main: field "spec": Invalid value: "": minAvailable and maxUnavailable cannot be both set`},
		{"configmap key", "kube-prometheus", "prometheusAdapter-configMap.yaml", "  config.yaml: |-\n", "  conf/config.yaml: |-\n",
			`prometheusAdapter-configMap.yaml:3: app kube-prometheus: ConfigMap/monitoring/adapter-config: field "data.conf/config.yaml": Invalid value: "conf/config.yaml": a valid config key must consist of alphanumeric characters`},
		{"template label value", "podinfo", dep, "      labels:\n        app: podinfo\n", "      labels:\n        app: podinfo\n        version: 6.14.1+build\n",
			`deployment.yaml:23: app podinfo: Deployment/podinfo: field "spec.template.metadata.labels": Invalid value: "6.14.1+build": a valid label must be`},
		{"template annotation key", "podinfo", dep, "        prometheus.io/scrape:", "        prometheus.io/scrape me:",
			`deployment.yaml:19: app podinfo: Deployment/podinfo: field "spec.template.metadata.annotations": Invalid value: "prometheus.io/scrape me": name part must consist of`},
		{"daemonset template label key", "kube-prometheus", "nodeExporter-daemonset.yaml", "        app.kubernetes.io/component: exporter\n", "        app.kubernetes.io/component: exporter\n        -component: exporter\n",
			`field "spec.template.metadata.labels": Invalid value: "-component": name part must consist of`},
		// Rollout numbers, with the API server's defaults filled in.
		{"deployment surge and unavailable both 0", "podinfo", dep, "      maxUnavailable: 0\n", "      maxUnavailable: 0\n      maxSurge: 0\n",
			`deployment.yaml:11: app podinfo: Deployment/podinfo: field "spec.strategy.rollingUpdate.maxUnavailable": Invalid value: "0": may not be 0 when ` + "`maxSurge` is 0"},
		{"deployment percentage without %", "kube-prometheus", "prometheusAdapter-deployment.yaml", "      maxSurge: 1\n", "      maxSurge: \"1\"\n",
			`field "spec.strategy.rollingUpdate.maxSurge": Invalid value: "1": a valid percent string must be a numeric string followed by an ending '%'`},
		{"deployment unavailable over 100%", "kube-prometheus", "prometheusAdapter-deployment.yaml", "      maxUnavailable: 1\n", "      maxUnavailable: 150%\n",
			`field "spec.strategy.rollingUpdate.maxUnavailable": Invalid value: "150%": must not be greater than 100%`},
		{"negative replicas", "podinfo", dep, "  minReadySeconds: 3\n", "  minReadySeconds: 3\n  replicas: -1\n",
			`deployment.yaml:7: app podinfo: Deployment/podinfo: field "spec.replicas": Invalid value: -1: must be greater than or equal to 0`},
		{"progress deadline not above minReadySeconds", "podinfo", dep, "  minReadySeconds: 3\n", "  minReadySeconds: 60\n",
			`deployment.yaml:8: app podinfo: Deployment/podinfo: field "spec.progressDeadlineSeconds": Invalid value: 60: must be greater than minReadySeconds`},
		{"daemonset surge with default unavailable", "kube-prometheus", "nodeExporter-daemonset.yaml", "      maxUnavailable: 10%\n", "      maxSurge: 1\n",
			`field "spec.updateStrategy.rollingUpdate.maxSurge": Invalid value: "1": may not be set when maxUnavailable is non-zero`},
		{"pdb percentage without %", "kube-prometheus", "alertmanager-podDisruptionBudget.yaml", "  maxUnavailable: 1\n", "  maxUnavailable: \"50\"\n",
			`alertmanager-podDisruptionBudget.yaml:13: app kube-prometheus: PodDisruptionBudget/monitoring/alertmanager-main: field "spec.maxUnavailable": Invalid value: "50": a valid percent string`},

		// Containers: probes, environment, resources.
		{"probe with two handlers", "podinfo", dep, "          initialDelaySeconds: 5\n          timeoutSeconds: 5\n        readinessProbe:", "          httpGet: {path: /healthz, port: http}\n          initialDelaySeconds: 5\n          timeoutSeconds: 5\n        readinessProbe:",
			`field "spec.template.spec.containers[0].livenessProbe.httpGet": Forbidden: may not specify more than 1 handler type`},
		{"probe without handler", "podinfo", dep, "        readinessProbe:\n          exec:\n            command:\n            - podcli\n            - check\n            - http\n            - localhost:9898/readyz\n", "        readinessProbe:\n",
			`field "spec.template.spec.containers[0].readinessProbe": Required value: must specify a handler type`},
		{"env value and valueFrom", "kube-prometheus", "nodeExporter-daemonset.yaml", "        - name: IP\n          valueFrom:", "        - name: IP\n          value: 10.0.0.1\n          valueFrom:",
			"field \"spec.template.spec.containers[1].env[0].valueFrom\": Invalid value: \"\": may not be specified when `value` is not empty"},
		{"env name with =", "podinfo", dep, "        - name: PODINFO_UI_COLOR\n", "        - name: PODINFO_UI_COLOR=x\n",
			`field "spec.template.spec.containers[0].env[0].name": Invalid value: "PODINFO_UI_COLOR=x": a valid environment variable name must consist only of printable ASCII characters other than '='`},
		{"misspelt resource", "podinfo", dep, "            memory: 64Mi\n", "            memroy: 64Mi\n",
			`field "spec.template.spec.containers[0].resources.requests.memroy": Invalid value: "memroy": must be a standard resource for containers`},

		// Services.
		{"nodePort on a ClusterIP service", "podinfo", svc, "      port: 9898\n", "      port: 9898\n      nodePort: 30898\n",
			`field "spec.ports[0].nodePort": Forbidden: may not be used when ` + "`type` is 'ClusterIP'"},
		{"service without ports", "podinfo", svc, "  ports:\n    - name: http\n      port: 9898\n      protocol: TCP\n      targetPort: http\n    - port: 9999\n      targetPort: grpc\n      protocol: TCP\n      name: grpc\n", "",
			`service.yaml:5: app podinfo: Service/podinfo: field "spec.ports": Required value`},
		{"externalTrafficPolicy on a ClusterIP service", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  externalTrafficPolicy: Local\n",
			`service.yaml:7: app podinfo: Service/podinfo: field "spec.externalTrafficPolicy": Invalid value: "Local": may only be set for externally-accessible services`},
		{"source ranges on a ClusterIP service", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  loadBalancerSourceRanges: [10.0.0.0/8]\n",
			"service.yaml:7: app podinfo: Service/podinfo: field \"spec.loadBalancerSourceRanges\": Forbidden: may only be used when `type` is 'LoadBalancer'"},
		{"source range not a CIDR", "podinfo", svc, "  type: ClusterIP\n", "  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0]\n",
			`field "spec.loadBalancerSourceRanges[0]": Invalid value: "10.0.0.0": must be a valid CIDR value`},
		{"source ranges annotation on a ClusterIP service", "podinfo", svc, "  name: podinfo\n", "  name: podinfo\n  annotations:\n    service.beta.kubernetes.io/load-balancer-source-ranges: 10.0.0.0/8\n",
			"service.yaml:6: app podinfo: Service/podinfo: field \"metadata.annotations.service.beta.kubernetes.io/load-balancer-source-ranges\": Forbidden: may only be used when `type` is 'LoadBalancer'"},
		{"load balancer class on a NodePort service", "podinfo", svc, "  type: ClusterIP\n", "  type: NodePort\n  loadBalancerClass: example.com/internal\n",
			"field \"spec.loadBalancerClass\": Forbidden: may only be used when `type` is 'LoadBalancer'"},
		{"healthCheckNodePort without Local", "podinfo", svc, "  type: ClusterIP\n", "  type: LoadBalancer\n  healthCheckNodePort: 30100\n",
			"field \"spec.healthCheckNodePort\": Invalid value: 30100: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"},
		{"headless LoadBalancer", "podinfo", svc, "  type: ClusterIP\n", "  type: LoadBalancer\n  clusterIP: None\n",
			`field "spec.clusterIP": Invalid value: "None": may not be set to 'None' for LoadBalancer services`},
		{"client IP affinity over a day", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 90000}}\n",
			`field "spec.sessionAffinityConfig.clientIP.timeoutSeconds": Invalid value: 90000: must be greater than 0 and less than 86400`},
		{"service selector value", "podinfo", svc, "    app: podinfo\n", "    app: podinfo info\n",
			`field "spec.selector": Invalid value: "podinfo info": a valid label must be`},
		// Pod specs: containers, scheduling, names (podspec.go).
		{"container without image", "podinfo", dep, "        image: ghcr.io/stefanprodan/podinfo:6.14.1\n", "",
			`deployment.yaml:25: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].image": Required value`},
		{"init container with empty image", "argo-cd", repoServer, "        image: quay.io/argoproj/argocd:latest\n        name: copyutil\n", "        image: ''\n        name: copyutil\n",
			`field "spec.template.spec.initContainers[0].image": Required value`},
		{"only init containers", "podinfo", dep, "      containers:\n      - name: podinfod\n", "      containers: []\n      initContainers:\n      - name: podinfod\n        restartPolicy: Always\n",
			`deployment.yaml:24: app podinfo: Deployment/podinfo: field "spec.template.spec.containers": Required value`},
		{"liveness probe succeeding twice", "podinfo", dep, "          initialDelaySeconds: 5\n          timeoutSeconds: 5\n        readinessProbe:", "          initialDelaySeconds: 5\n          successThreshold: 2\n          timeoutSeconds: 5\n        readinessProbe:",
			`deployment.yaml:58: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].livenessProbe.successThreshold": Invalid value: 2: must be 1`},
		{"readiness probe with a grace period", "podinfo", dep, "        readinessProbe:\n", "        readinessProbe:\n          terminationGracePeriodSeconds: 30\n",
			`field "spec.template.spec.containers[0].readinessProbe.terminationGracePeriodSeconds": Invalid value: 30: must not be set for readinessProbes`},
		{"init container with a probe", "argo-cd", repoServer, "        name: copyutil\n", "        name: copyutil\n        livenessProbe: {exec: {command: ['true']}}\n",
			`field "spec.template.spec.initContainers[0].livenessProbe": Forbidden: may not be set for init containers without restartPolicy=Always`},
		{"host port twice", "argo-cd", repoServer, "        - containerPort: 8081\n", "        - containerPort: 8081\n          hostPort: 8081\n        - containerPort: 8085\n          hostPort: 8081\n",
			`field "spec.template.spec.containers[0].ports[1].hostPort": Duplicate value: "TCP//8081"`},
		{"anti-affinity weight over 100", "argo-cd", repoServer, "          - weight: 100\n", "          - weight: 1000\n",
			`field "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight": Invalid value: 1000: must be in the range 1-100`},
		{"anti-affinity topologyKey empty", "argo-cd", repoServer, "                  app.kubernetes.io/part-of: argocd\n              topologyKey: kubernetes.io/hostname\n", "                  app.kubernetes.io/part-of: argocd\n              topologyKey: ''\n",
			`field "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm.topologyKey": Required value: can not be empty`},
		{"anti-affinity selector value", "argo-cd", repoServer, "                  app.kubernetes.io/part-of: argocd\n", "                  app.kubernetes.io/part-of: argo cd\n",
			`field "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm.labelSelector.matchLabels": Invalid value: "argo cd"`},
		{"matchLabelKeys without labelSelector", "argo-cd", repoServer, "              labelSelector:\n                matchLabels:\n                  app.kubernetes.io/part-of: argocd\n", "              matchLabelKeys: [pod-template-hash]\n",
			`field "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm.matchLabelKeys": Forbidden: must not be specified when labelSelector is not set`},
		{"node selector value", "argo-cd", repoServer, "        kubernetes.io/os: linux", "        kubernetes.io/os: linux/amd64",
			`field "spec.template.spec.nodeSelector": Invalid value: "linux/amd64": a valid label must be`},
		{"required node affinity without terms", "argo-cd", repoServer, "      affinity:\n", "      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms: []\n",
			`field "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms": Required value: must have at least one node selector term`},
		{"node affinity In without values", "argo-cd", repoServer, "      affinity:\n", "      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n            - matchExpressions:\n              - {key: kubernetes.io/arch, operator: In}\n",
			`field "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values": Required value: must be specified when ` + "`operator` is 'In' or 'NotIn'"},
		{"node affinity Exists with values", "argo-cd", repoServer, "      affinity:\n", "      affinity:\n        nodeAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - weight: 1\n            preference:\n              matchExpressions:\n              - {key: example.com/fast, operator: Exists, values: ['true']}\n",
			`field "spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values": Forbidden: may not be specified when ` + "`operator` is 'Exists' or 'DoesNotExist'"},
		{"node affinity field selector key", "argo-cd", repoServer, "      affinity:\n", "      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n            - matchFields:\n              - {key: metadata.labels, operator: In, values: [a]}\n",
			`nodeSelectorTerms[0].matchFields[0].key": Invalid value: "metadata.labels": not a valid field selector key`},
		{"spread maxSkew 0", "podinfo", dep, "      containers:\n", "      topologySpreadConstraints:\n      - {maxSkew: 0, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}\n      containers:\n",
			`deployment.yaml:25: app podinfo: Deployment/podinfo: field "spec.template.spec.topologySpreadConstraints[0].maxSkew": Invalid value: 0: must be greater than zero`},
		{"spread constraint twice", "podinfo", dep, "      containers:\n", "      topologySpreadConstraints:\n      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}\n      - {maxSkew: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}\n      containers:\n",
			`field "spec.template.spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}": Duplicate value: "{topology.kubernetes.io/zone, DoNotSchedule}"`},
		{"spread minDomains with ScheduleAnyway", "podinfo", dep, "      containers:\n", "      topologySpreadConstraints:\n      - {maxSkew: 1, minDomains: 3, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}\n      containers:\n",
			`field "spec.template.spec.topologySpreadConstraints[0].minDomains": Invalid value: 3: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway`},
		{"toleration without key or Exists", "kube-prometheus", "nodeExporter-daemonset.yaml", "      - operator: Exists\n", "      - operator: Equal\n",
			"field \"spec.template.spec.tolerations[0].operator\": Invalid value: \"Equal\": operator must be Exists when `key` is empty"},
		{"toleration seconds without NoExecute", "kube-prometheus", "nodeExporter-daemonset.yaml", "      - operator: Exists\n", "      - operator: Exists\n        key: node.kubernetes.io/unreachable\n        tolerationSeconds: 300\n",
			"field \"spec.template.spec.tolerations[0].effect\": Invalid value: \"\": effect must be 'NoExecute' when `tolerationSeconds` is set"},
		{"toleration Exists with a value", "kube-prometheus", "nodeExporter-daemonset.yaml", "      - operator: Exists\n", "      - operator: Exists\n        key: dedicated\n        value: gpu\n",
			"field \"spec.template.spec.tolerations[0].operator\": Invalid value: \"gpu\": value must be empty when `operator` is 'Exists'"},
		{"service account name", "argo-cd", repoServer, "      serviceAccountName: argocd-repo-server\n", "      serviceAccountName: argocd_repo_server\n",
			`field "spec.template.spec.serviceAccountName": Invalid value: "argocd_repo_server": a lowercase RFC 1123 subdomain`},
		{"priority class name", "podinfo", dep, "      containers:\n", "      priorityClassName: High\n      containers:\n",
			`deployment.yaml:24: app podinfo: Deployment/podinfo: field "spec.template.spec.priorityClassName": Invalid value: "High": a lowercase RFC 1123 subdomain`},
		{"dnsPolicy None without dnsConfig", "podinfo", dep, "      containers:\n", "      dnsPolicy: None\n      containers:\n",
			"deployment.yaml:23: app podinfo: Deployment/podinfo: field \"spec.template.spec.dnsConfig\": Required value: must provide `dnsConfig` when `dnsPolicy` is None"},
		{"statefulset service name", "argo-cd", "redis-ha.yaml", "  serviceName: argocd-redis-ha\n", "  serviceName: argocd_redis-ha\n",
			`redis-ha.yaml:1316: app argo-cd: StatefulSet/argocd/argocd-redis-ha-server: field "spec.serviceName": Invalid value: "argocd_redis-ha": a lowercase RFC 1123 label`},
		{"statefulset container without image", "argo-cd", "redis-ha.yaml", "      - name: config-init\n        image: public.ecr.aws/docker/library/redis:8.10.1-alpine\n", "      - name: config-init\n",
			`field "spec.template.spec.initContainers[0].image": Required value`},
		{"deployment with a deadline", "podinfo", dep, "      containers:\n", "      activeDeadlineSeconds: 600\n      containers:\n",
			`deployment.yaml:24: app podinfo: Deployment/podinfo: field "spec.template.spec.activeDeadlineSeconds": Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported`},
		// Admission webhooks (webhooks.go), on kube-prometheus-stack's.
		{"webhook name not qualified", "kube-prometheus-stack", "admission-webhooks.yaml", "  - name: prometheusrulemutate.monitoring.coreos.com\n", "  - name: prometheusrulemutate\n",
			`admission-webhooks.yaml:22: app kube-prometheus-stack: MutatingWebhookConfiguration/kps-kube-prometheus-stack-admission: field "webhooks[0].name": Invalid value: "prometheusrulemutate": should be a domain with at least three segments separated by dots`},
		{"webhook names twice", "kube-prometheus-stack", "admission-webhooks.yaml", "  - name: alertmanagerconfigsvalidate.monitoring.coreos.com\n", "  - name: prometheusrulevalidate.monitoring.coreos.com\n",
			`field "webhooks[1].name": Duplicate value: "prometheusrulevalidate.monitoring.coreos.com"`},
		{"webhook timeout", "kube-prometheus-stack", "admission-webhooks.yaml", "    timeoutSeconds: 10\n", "    timeoutSeconds: 60\n",
			`admission-webhooks.yaml:39: app kube-prometheus-stack: MutatingWebhookConfiguration/kps-kube-prometheus-stack-admission: field "webhooks[0].timeoutSeconds": Invalid value: 60: the timeout value must be between 1 and 30 seconds`},
		{"webhook service path", "kube-prometheus-stack", "admission-webhooks.yaml", "        path: /admission-prometheusrules/mutate\n", "        path: /admission_prometheusrules/mutate\n",
			`field "webhooks[0].clientConfig.service.path": Invalid value: "/admission_prometheusrules/mutate": segment[0]: a lowercase RFC 1123 subdomain`},
		{"webhook url and service", "kube-prometheus-stack", "admission-webhooks.yaml", "    clientConfig:\n", "    clientConfig:\n      url: https://operator.example.com/mutate\n",
			`field "webhooks[0].clientConfig": Required value: exactly one of url or service is required`},
		{"webhook url over http", "kube-prometheus-stack", "admission-webhooks.yaml", "    clientConfig:\n      service:\n        namespace: monitoring\n        name: kps-kube-prometheus-stack-operator\n        path: /admission-prometheusrules/mutate\n", "    clientConfig:\n      url: http://operator.example.com/mutate\n",
			`field "webhooks[0].clientConfig.url": Invalid value: "http": 'https' is the only allowed URL scheme`},
		{"webhook url with a password", "kube-prometheus-stack", "admission-webhooks.yaml", "    clientConfig:\n      service:\n        namespace: monitoring\n        name: kps-kube-prometheus-stack-operator\n        path: /admission-prometheusrules/mutate\n", "    clientConfig:\n      url: https://admin:s3cret@operator.example.com/mutate\n",
			`field "webhooks[0].clientConfig.url": Invalid value: "<user information redacted>": user information is not permitted in the URL`},
		{"webhook review versions", "kube-prometheus-stack", "admission-webhooks.yaml", "    admissionReviewVersions: [\"v1\", \"v1beta1\"]\n", "    admissionReviewVersions: [\"v2\"]\n",
			`field "webhooks[0].admissionReviewVersions": Invalid value: ["v2"]: must include at least one of v1, v1beta1`},
		{"webhook wildcard beside a version", "kube-prometheus-stack", "admission-webhooks.yaml", "          - \"*\"\n", "          - \"*\"\n          - v1\n",
			`field "webhooks[0].rules[0].apiVersions": Invalid value: ["*","v1"]: if '*' is present, must not specify other API versions`},
		{"webhook rule without operations", "kube-prometheus-stack", "admission-webhooks.yaml", "        operations:\n          - CREATE\n          - UPDATE\n", "",
			`field "webhooks[0].rules[0].operations": Required value`},
		// RBAC (rbac.go), on kube-prometheus's roles and bindings.
		{"cluster role binding of a service account without namespace", "kube-prometheus", "prometheus-clusterRoleBinding.yaml", "  name: prometheus-k8s\n  namespace: monitoring\n", "  name: prometheus-k8s\n",
			`prometheus-clusterRoleBinding.yaml:16: app kube-prometheus: ClusterRoleBinding/prometheus-k8s: field "subjects[0].namespace": Required value`},
		{"cluster role binding of a Role", "kube-prometheus", "prometheus-clusterRoleBinding.yaml", "  kind: ClusterRole\n", "  kind: Role\n",
			`prometheus-clusterRoleBinding.yaml:13: app kube-prometheus: ClusterRoleBinding/prometheus-k8s: field "roleRef.kind": Unsupported value: "Role": supported values: "ClusterRole"`},
		{"role binding subject of another kind", "kube-prometheus", "prometheus-roleBindingConfig.yaml", "- kind: ServiceAccount\n", "- kind: Serviceaccount\n",
			`field "subjects[0].kind": Unsupported value: "Serviceaccount": supported values: "ServiceAccount", "User", "Group"`},
		{"role binding roleRef group", "kube-prometheus", "prometheus-roleBindingConfig.yaml", "  apiGroup: rbac.authorization.k8s.io\n", "  apiGroup: rbac.authorization.k8s.io/v1\n",
			`field "roleRef.apiGroup": Unsupported value: "rbac.authorization.k8s.io/v1": supported values: "rbac.authorization.k8s.io"`},
		{"role rule without resources", "kube-prometheus", "prometheus-roleConfig.yaml", "  resources:\n  - configmaps\n", "",
			`prometheus-roleConfig.yaml:13: app kube-prometheus: Role/monitoring/prometheus-k8s-config: field "rules[0].resources": Required value: resource rules must supply at least one resource`},
		{"role rule with non-resource URLs", "kube-prometheus", "prometheus-roleConfig.yaml", "- apiGroups:\n  - \"\"\n  resources:\n  - configmaps\n", "- nonResourceURLs:\n  - /metrics\n",
			`field "rules[0].nonResourceURLs": Invalid value: ["/metrics"]: namespaced rules cannot apply to non-resource URLs`},
		{"cluster role rule for resources and URLs", "kube-prometheus", "prometheus-clusterRole.yaml", "- nonResourceURLs:\n", "- apiGroups: ['']\n  nonResourceURLs:\n",
			`field "rules[1].nonResourceURLs": Invalid value: ["/metrics","/metrics/slis"]: rules cannot apply to both regular resources and non-resource URLs`},
		{"daemonset selector", "kube-prometheus", "nodeExporter-daemonset.yaml", "      app.kubernetes.io/name: node-exporter\n      app.kubernetes.io/part-of: kube-prometheus\n  template:", "      app.kubernetes.io/name: node-exporter-v2\n      app.kubernetes.io/part-of: kube-prometheus\n  template:",
			"`selector` does not match template `labels`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := mutated(t, tc.source, tc.file, tc.from, tc.to)
			errs := diag.Flatten(err)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				var lines []string
				for _, e := range errs {
					lines = append(lines, e.Error())
				}
				t.Fatalf("got %d errors:\n%s\nwant one containing\n%s", len(errs), strings.Join(lines, "\n"), tc.want)
			}
		})
	}
}

// TestAPIServerRulesAccept: what the API server accepts in real objects is
// not refused: a Service port's empty targetPort is defaulted to its port.
func TestAPIServerRulesAccept(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, source, file, from, to string
	}{
		{"empty targetPort", "podinfo", "service.yaml", "targetPort: http", `targetPort: ""`},
		{"zero targetPort", "podinfo", "service.yaml", "targetPort: http", "targetPort: 0"},
		{"headless service without ports", "podinfo", "service.yaml", "  type: ClusterIP\n  selector:\n    app: podinfo\n  ports:\n    - name: http\n      port: 9898\n      protocol: TCP\n      targetPort: http\n    - port: 9999\n      targetPort: grpc\n      protocol: TCP\n      name: grpc\n", "  clusterIP: None\n  selector:\n    app: podinfo\n"},
		{"nodePort on a NodePort service", "podinfo", "service.yaml", "  type: ClusterIP\n", "  type: NodePort\n"},
		{"deployment surge 0 with default unavailable", "podinfo", "deployment.yaml", "      maxUnavailable: 0\n", "      maxSurge: 0\n"},
		{"daemonset surge with unavailable 0", "kube-prometheus", "nodeExporter-daemonset.yaml", "      maxUnavailable: 10%\n", "      maxSurge: 10%\n      maxUnavailable: 0\n"},
		{"env name with a dot and a space", "podinfo", "deployment.yaml", "        - name: PODINFO_UI_COLOR\n", "        - name: podinfo.ui color\n"},
		{"gpu limit", "podinfo", "deployment.yaml", "            memory: 512Mi\n", "            memory: 512Mi\n            nvidia.com/gpu: 1\n"},
		{"hpa behavior without policies", "podinfo", "hpa.yaml", "  metrics:\n", "  behavior:\n    scaleDown: {stabilizationWindowSeconds: 300}\n  metrics:\n"},
		{"hpa Utilization type with an average value", "podinfo", "hpa.yaml", "        averageUtilization: 99\n", "        averageValue: 500m\n"},
		{"statefulset mounting its claim template", "argo-cd", "redis-ha.yaml", "          name: argocd-redis-ha-health-configmap\n          defaultMode: 0755\n      - name: data\n        emptyDir:\n          {}\n",
			"          name: argocd-redis-ha-health-configmap\n          defaultMode: 0755\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"},
		{"externalTrafficPolicy on a LoadBalancer service", "podinfo", "service.yaml", "  type: ClusterIP\n", "  type: LoadBalancer\n  externalTrafficPolicy: Local\n  healthCheckNodePort: 30100\n  loadBalancerSourceRanges: [' 10.0.0.0/8']\n  loadBalancerClass: example.com/internal\n  allocateLoadBalancerNodePorts: false\n"},
		{"externalTrafficPolicy on a ClusterIP service with external IPs", "podinfo", "service.yaml", "  type: ClusterIP\n", "  type: ClusterIP\n  externalIPs: [192.0.2.10]\n  externalTrafficPolicy: Cluster\n"},
		{"session affinity config without ClientIP", "podinfo", "service.yaml", "  type: ClusterIP\n", "  type: ClusterIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 90000}}\n"},
		{"role binding without roleRef group and a user subject without group", "kube-prometheus", "prometheus-roleBindingConfig.yaml", "  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n", "  kind: Role\n"},
		{"role binding of a service account without namespace", "kube-prometheus", "prometheus-roleBindingConfig.yaml", "  name: prometheus-k8s\n  namespace: monitoring\n", "  name: prometheus-k8s\n- kind: User\n  name: jane@example.com\n"},
		{"readiness probe succeeding twice", "podinfo", "deployment.yaml", "        readinessProbe:\n", "        readinessProbe:\n          successThreshold: 2\n"},
		{"sidecar init container with probes", "argo-cd", "argocd-repo-server-deployment.yaml", "        name: copyutil\n", "        name: copyutil\n        restartPolicy: Always\n        livenessProbe: {exec: {command: ['true']}, successThreshold: 1}\n"},
		{"host port on another protocol", "argo-cd", "argocd-repo-server-deployment.yaml", "        - containerPort: 8081\n", "        - containerPort: 8081\n          hostPort: 8081\n        - containerPort: 8085\n          hostPort: 8081\n          protocol: UDP\n"},
		{"toleration Lt with an integer", "kube-prometheus", "nodeExporter-daemonset.yaml", "      - operator: Exists\n", "      - {key: example.com/generation, operator: Lt, value: '5'}\n"},
		{"preferred node affinity with any value", "argo-cd", "argocd-repo-server-deployment.yaml", "      affinity:\n", "      affinity:\n        nodeAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - weight: 100\n            preference:\n              matchExpressions:\n              - {key: example.com/pool, operator: In, values: ['not a label value']}\n"},
		{"node affinity by node name", "argo-cd", "argocd-repo-server-deployment.yaml", "      affinity:\n", "      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n            - matchFields:\n              - {key: metadata.name, operator: In, values: [node-1.example.com]}\n"},
		{"spread with minDomains", "podinfo", "deployment.yaml", "      containers:\n", "      topologySpreadConstraints:\n      - {maxSkew: 1, minDomains: 3, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: podinfo}}, matchLabelKeys: [pod-template-hash]}\n      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}\n      containers:\n"},
		{"image pull secret without a name", "podinfo", "deployment.yaml", "      containers:\n", "      imagePullSecrets: [{}]\n      containers:\n"},
		{"template label with dots and underscores", "podinfo", "deployment.yaml", "      labels:\n        app: podinfo\n", "      labels:\n        app: podinfo\n        example.com/version: v6.14_1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs := readReal(t, tc.source)
			path := filepath.Join("testdata", "real", tc.source, tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			doc := strings.Replace(string(data), tc.from, tc.to, 1)
			if doc == string(data) {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			if err := realEnv(t, objs).Objects(tc.source, parse(t, path, doc)); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}
