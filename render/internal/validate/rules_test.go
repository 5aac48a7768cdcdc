package validate

import (
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
	const apiSvc = "prometheusAdapter-apiService.yaml"
	const netpol, promPeer = "grafana-networkPolicy.yaml", "    - podSelector:\n        matchLabels:\n          app.kubernetes.io/name: prometheus\n"
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
		// Lt and Gt are behind an alpha gate (TaintTolerationComparisonOperators).
		{"toleration Lt", "kube-prometheus", "nodeExporter-daemonset.yaml", "      - operator: Exists\n", "      - {key: example.com/generation, operator: Lt, value: '5'}\n",
			`nodeExporter-daemonset.yaml:111: app kube-prometheus: DaemonSet/monitoring/node-exporter: field "spec.template.spec.tolerations[0].operator": Unsupported value: "Lt": supported values: "Equal", "Exists", "Lt", "Gt"`},
		{"restartPolicy of a deployment", "podinfo", dep, "      containers:\n", "      restartPolicy: Never\n      containers:\n",
			`deployment.yaml:24: app podinfo: Deployment/podinfo: field "spec.template.spec.restartPolicy": Unsupported value: "Never": supported values: "Always"`},
		// No pod's value either: the pod schema's enum would tell it too,
		// with values a Deployment does not take.
		{"restartPolicy no pod has", "podinfo", dep, "      containers:\n", "      restartPolicy: Sometimes\n      containers:\n",
			`deployment.yaml:24: app podinfo: Deployment/podinfo: field "spec.template.spec.restartPolicy": Unsupported value: "Sometimes": supported values: "Always"` + "\n  hint: a deployment's pods restart Always"},
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
			`deployment.yaml:74: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].resources.requests[memory]": Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi`},
		{"huge pages without cpu or memory", "podinfo", dep, "          limits:\n            cpu: 2000m\n            memory: 512Mi\n          requests:\n            cpu: 100m\n            memory: 64Mi\n", "          limits:\n            hugepages-2Mi: 64Mi\n",
			`deployment.yaml:68: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].resources": Forbidden: HugePages require cpu or memory`},
		{"block device of an emptyDir", "podinfo", dep, "        volumeMounts:\n          - name: data\n            mountPath: /data\n", "        volumeDevices:\n          - name: data\n            devicePath: /dev/xvda\n",
			`deployment.yaml:76: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].volumeDevices[0].name": Invalid value: "data": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode`},
		{"resize policy of storage", "podinfo", dep, "        volumeMounts:\n", "        resizePolicy:\n          - {resourceName: ephemeral-storage, restartPolicy: NotRequired}\n        volumeMounts:\n",
			`deployment.yaml:76: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].resizePolicy[0].resourceName": Unsupported value: "ephemeral-storage": supported values: "cpu", "memory"`},
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
		{"externalName with a cluster IP", "podinfo", svc, "  type: ClusterIP\n", "  type: ExternalName\n  externalName: db.example.com\n  clusterIP: None\n",
			`service.yaml:8: app podinfo: Service/podinfo: field "spec.clusterIP": Forbidden: may not be set for ExternalName services`},
		{"externalName with cluster IPs", "podinfo", svc, "  type: ClusterIP\n", "  type: ExternalName\n  externalName: db.example.com\n  clusterIP: 10.96.0.20\n  clusterIPs: [10.96.0.20]\n",
			`service.yaml:9: app podinfo: Service/podinfo: field "spec.clusterIPs": Forbidden: may not be set for ExternalName services`},
		{"externalName with IP families", "podinfo", svc, "  type: ClusterIP\n", "  type: ExternalName\n  externalName: db.example.com\n  ipFamilies: [IPv4]\n",
			`service.yaml:8: app podinfo: Service/podinfo: field "spec.ipFamilies": Forbidden: may not be set for ExternalName services`},
		{"externalName with an IP family policy", "podinfo", svc, "  type: ClusterIP\n", "  type: ExternalName\n  externalName: db.example.com\n  ipFamilyPolicy: SingleStack\n",
			`service.yaml:8: app podinfo: Service/podinfo: field "spec.ipFamilyPolicy": Forbidden: may not be set for ExternalName services`},
		{"service port appProtocol", "podinfo", svc, "      name: grpc\n", "      name: grpc\n      appProtocol: grpc web\n",
			`service.yaml:18: app podinfo: Service/podinfo: field "spec.ports[1].appProtocol": Invalid value: "grpc web": name part must consist of`},
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
		// Present but empty, what a chart's unset value renders: the
		// schema takes "", the API server refuses it.
		{"hpa target kind empty", "podinfo", "hpa.yaml", "    kind: Deployment\n", "    kind: ''\n",
			`hpa.yaml:8: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.scaleTargetRef.kind": Required value`},
		{"hpa target name empty", "podinfo", "hpa.yaml", "    name: podinfo\n", "    name: ''\n",
			`hpa.yaml:9: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.scaleTargetRef.name": Required value`},
		{"hpa target name left out", "podinfo", "hpa.yaml", "    name: podinfo\n", "",
			`missing required field "spec.scaleTargetRef.name"`},
		{"pdb both bounds", "kube-prometheus", "alertmanager-podDisruptionBudget.yaml", "  maxUnavailable: 1\n", "  maxUnavailable: 1\n  minAvailable: 1\n",
			`alertmanager-podDisruptionBudget.yaml:12: app kube-prometheus: PodDisruptionBudget/monitoring/alertmanager-main: field "spec": Invalid value: "": minAvailable and maxUnavailable cannot be both set`},
		{"configmap key", "kube-prometheus", "prometheusAdapter-configMap.yaml", "  config.yaml: |-\n", "  conf/config.yaml: |-\n",
			`prometheusAdapter-configMap.yaml:3: app kube-prometheus: ConfigMap/monitoring/adapter-config: field "data[conf/config.yaml]": Invalid value: "conf/config.yaml": a valid config key must consist of alphanumeric characters`},
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
			`field "spec.template.spec.containers[0].resources.requests[memroy]": Invalid value: "memroy": must be a standard resource for containers`},

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
			"service.yaml:6: app podinfo: Service/podinfo: field \"metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]\": Forbidden: may only be used when `type` is 'LoadBalancer'"},
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
		{"cluster IP none in lower case", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  clusterIP: none\n",
			`service.yaml:7: app podinfo: Service/podinfo: field "spec.clusterIP": Invalid value: "none": must be a valid IP address`},
		{"cluster IPs without cluster IP", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  clusterIPs: [10.96.0.20]\n",
			`service.yaml:7: app podinfo: Service/podinfo: field "spec.clusterIPs": Invalid value: ["10.96.0.20"]: must be empty when ` + "`clusterIP` is not specified"},
		{"cluster IPs not starting with cluster IP", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  clusterIP: 10.96.0.20\n  clusterIPs: [10.96.0.21]\n",
			`field "spec.clusterIPs": Invalid value: ["10.96.0.21"]: first value must match ` + "`clusterIP`"},
		{"two cluster IPs of one family", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  clusterIP: 10.96.0.20\n  clusterIPs: [10.96.0.20, 10.96.0.21]\n",
			`field "spec.clusterIPs": Invalid value: ["10.96.0.20","10.96.0.21"]: may specify no more than one IP for each IP family`},
		{"one IP family twice", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv4, IPv4]\n",
			`service.yaml:8: app podinfo: Service/podinfo: field "spec.ipFamilies[1]": Duplicate value: "IPv4"`},
		{"two IP families without a dual-stack policy", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  ipFamilies: [IPv4, IPv6]\n",
			`service.yaml:5: app podinfo: Service/podinfo: field "spec.ipFamilyPolicy": Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified`},
		{"two cluster IPs on a single-stack Service", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  ipFamilyPolicy: SingleStack\n  clusterIP: 10.96.0.20\n  clusterIPs: [10.96.0.20, 'fd00::20']\n",
			`service.yaml:7: app podinfo: Service/podinfo: field "spec.ipFamilyPolicy": Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified`},
		{"empty IP family", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  ipFamilies: ['']\n",
			`service.yaml:7: app podinfo: Service/podinfo: field "spec.ipFamilies[0]": Unsupported value: "": supported values: "IPv4", "IPv6"`},
		{"empty IP family policy", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  ipFamilyPolicy: ''\n",
			`service.yaml:7: app podinfo: Service/podinfo: field "spec.ipFamilyPolicy": Unsupported value: "": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"`},
		{"cluster IP of another family than ipFamilies says", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  clusterIP: 10.96.0.20\n  ipFamilies: [IPv6]\n",
			`service.yaml:7: app podinfo: Service/podinfo: field "spec.clusterIP": Invalid value: "10.96.0.20": expected an IPv6 value as indicated by ` + "`ipFamilies[0]`"},
		{"externalName with a scheme", "podinfo", svc, "  type: ClusterIP\n", "  type: ExternalName\n  externalName: https://db.example.com\n",
			`service.yaml:7: app podinfo: Service/podinfo: field "spec.externalName": Invalid value: "https://db.example.com": a lowercase RFC 1123 subdomain`},
		{"loopback external IP", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  externalIPs: [192.0.2.10, 127.0.0.1]\n",
			`service.yaml:7: app podinfo: Service/podinfo: field "spec.externalIPs[1]": Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)`},
		{"external IP a host name", "podinfo", svc, "  type: ClusterIP\n", "  type: ClusterIP\n  externalIPs: [lb.example.com]\n",
			`field "spec.externalIPs[0]": Invalid value: "lb.example.com": must be a valid IP address`},
		{"kubelet port on a load balancer", "podinfo", svc, "  type: ClusterIP\n  selector:\n    app: podinfo\n  ports:\n    - name: http\n      port: 9898\n",
			"  type: LoadBalancer\n  selector:\n    app: podinfo\n  ports:\n    - name: http\n      port: 10250\n",
			`service.yaml:10: app podinfo: Service/podinfo: field "spec.ports[0]": Invalid value: 10250: may not expose port 10250 externally since it is used by kubelet`},
		{"node port twice", "podinfo", svc, "  type: ClusterIP\n  selector:\n    app: podinfo\n  ports:\n    - name: http\n      port: 9898\n      protocol: TCP\n      targetPort: http\n    - port: 9999\n",
			"  type: NodePort\n  selector:\n    app: podinfo\n  ports:\n    - name: http\n      port: 9898\n      nodePort: 30898\n      protocol: TCP\n      targetPort: http\n    - port: 9999\n      nodePort: 30898\n",
			`service.yaml:16: app podinfo: Service/podinfo: field "spec.ports[1].nodePort": Duplicate value: 30898`},
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
		// The deprecated serviceAccount, alone, is copied into
		// serviceAccountName and checked there; kiln points at it.
		{"deprecated service account name", "podinfo", dep, "      containers:\n", "      serviceAccount: Podinfo_SA\n      containers:\n",
			`deployment.yaml:24: app podinfo: Deployment/podinfo: field "spec.template.spec.serviceAccount": Invalid value: "Podinfo_SA": a lowercase RFC 1123 subdomain`},
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
		{"role rule without verbs", "kube-prometheus", "prometheus-roleConfig.yaml", "  verbs:\n  - get\n", "  verbs: []\n",
			`prometheus-roleConfig.yaml:17: app kube-prometheus: Role/monitoring/prometheus-k8s-config: field "rules[0].verbs": Required value: verbs must contain at least one value`},
		{"role rule verbs left out", "kube-prometheus", "prometheus-roleConfig.yaml", "  verbs:\n  - get\n", "",
			`missing required field "rules[0].verbs"`},
		{"role binding roleRef name empty", "kube-prometheus", "prometheus-roleBindingConfig.yaml", "  name: prometheus-k8s-config\nsubjects:\n", "  name: ''\nsubjects:\n",
			`prometheus-roleBindingConfig.yaml:15: app kube-prometheus: RoleBinding/monitoring/prometheus-k8s-config: field "roleRef.name": Required value`},
		{"role binding subject name empty", "kube-prometheus", "prometheus-roleBindingConfig.yaml", "  name: prometheus-k8s\n", "  name: ''\n",
			`prometheus-roleBindingConfig.yaml:18: app kube-prometheus: RoleBinding/monitoring/prometheus-k8s-config: field "subjects[0].name": Required value`},
		{"role binding user subject name empty", "kube-prometheus", "prometheus-roleBindingConfig.yaml", "- kind: ServiceAccount\n  name: prometheus-k8s\n  namespace: monitoring\n", "- {kind: User, name: ''}\n",
			`field "subjects[0].name": Required value`},
		{"role rule with non-resource URLs", "kube-prometheus", "prometheus-roleConfig.yaml", "- apiGroups:\n  - \"\"\n  resources:\n  - configmaps\n", "- nonResourceURLs:\n  - /metrics\n",
			`field "rules[0].nonResourceURLs": Invalid value: ["/metrics"]: namespaced rules cannot apply to non-resource URLs`},
		{"cluster role rule for resources and URLs", "kube-prometheus", "prometheus-clusterRole.yaml", "- nonResourceURLs:\n", "- apiGroups: ['']\n  nonResourceURLs:\n",
			`field "rules[1].nonResourceURLs": Invalid value: ["/metrics","/metrics/slis"]: rules cannot apply to both regular resources and non-resource URLs`},
		// Lifecycle hooks and probe handlers (handlers.go), on redis-ha's
		// hooks, podinfo's and argo-cd's probes.
		{"preStop with two handlers", "argo-cd", "redis-ha.yaml", "          preStop:\n            exec:\n", "          preStop:\n            sleep: {seconds: 5}\n            exec:\n",
			`field "spec.template.spec.containers[0].lifecycle.preStop.sleep": Forbidden: may not specify more than 1 handler type`},
		{"preStop without handler", "argo-cd", "redis-ha.yaml", "          preStop:\n            exec:\n              command:\n              - /bin/sh\n              - /readonly-config/trigger-failover-if-master.sh\n", "          preStop: {}\n",
			`field "spec.template.spec.containers[0].lifecycle.preStop": Required value: must specify a handler type`},
		{"postStart exec without command", "argo-cd", "redis-ha.yaml", "            exec:\n              command:\n              - /bin/sh\n              - -c\n              - sleep 30; redis-cli -p 26379 sentinel reset argocd\n", "            exec: {}\n",
			`field "spec.template.spec.containers[1].lifecycle.postStart.exec.command": Required value`},
		{"preStop sleeping past the grace period", "argo-cd", "redis-ha.yaml", "          preStop:\n            exec:\n              command:\n              - /bin/sh\n              - /readonly-config/trigger-failover-if-master.sh\n", "          preStop:\n            sleep: {seconds: 61}\n",
			`field "spec.template.spec.containers[0].lifecycle.preStop.sleep": Invalid value: 61: must be non-negative and less than terminationGracePeriodSeconds (60)`},
		{"preStop sleeping past the default grace period", "podinfo", dep, "        readinessProbe:\n", "        lifecycle: {preStop: {sleep: {seconds: 45}}}\n        readinessProbe:\n",
			`deployment.yaml:59: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].lifecycle.preStop.sleep": Invalid value: 45: must be non-negative and less than terminationGracePeriodSeconds (30)`},
		{"preStop sleeping a negative time", "podinfo", dep, "        readinessProbe:\n", "        lifecycle: {preStop: {sleep: {seconds: -1}}}\n        readinessProbe:\n",
			`field "spec.template.spec.containers[0].lifecycle.preStop.sleep": Invalid value: -1: must be non-negative`},
		{"probe port name too long", "argo-cd", repoServer, "            path: /healthz?full=true\n            port: 8084\n", "            path: /healthz?full=true\n            port: repo-server-metrics\n",
			`field "spec.template.spec.containers[0].livenessProbe.httpGet.port": Invalid value: "repo-server-metrics": must be no more than 15 characters`},
		{"probe port out of range", "argo-cd", repoServer, "            path: /healthz\n            port: 8084\n", "            path: /healthz\n            port: 0\n",
			`field "spec.template.spec.containers[0].readinessProbe.httpGet.port": Invalid value: 0: must be between 1 and 65535, inclusive`},
		{"probe header name", "argo-cd", repoServer, "            path: /healthz\n            port: 8084\n", "            path: /healthz\n            port: 8084\n            httpHeaders: [{name: 'X Probe', value: '1'}]\n",
			`field "spec.template.spec.containers[0].readinessProbe.httpGet.httpHeaders": Invalid value: "X Probe": a valid HTTP header must consist of alphanumeric characters or '-'`},
		{"probe exec without command", "podinfo", dep, "        readinessProbe:\n          exec:\n            command:\n            - podcli\n            - check\n            - http\n            - localhost:9898/readyz\n", "        readinessProbe:\n          exec: {command: []}\n",
			`field "spec.template.spec.containers[0].readinessProbe.exec.command": Required value`},
		// Security contexts (security.go).
		{"privileged without privilege escalation", "argo-cd", repoServer, "          allowPrivilegeEscalation: false\n", "          allowPrivilegeEscalation: false\n          privileged: true\n",
			"argocd-repo-server-deployment.yaml:327: app argo-cd: Deployment/argocd-repo-server: field \"spec.template.spec.containers[0].securityContext\": Invalid value: cannot set `allowPrivilegeEscalation` to false and `privileged` to true"},
		{"CAP_SYS_ADMIN without privilege escalation", "kube-prometheus", "nodeExporter-daemonset.yaml", "            - ALL\n          readOnlyRootFilesystem: true\n          runAsGroup: 65532\n", "            - ALL\n            add: [CAP_SYS_ADMIN]\n          readOnlyRootFilesystem: true\n          runAsGroup: 65532\n",
			"field \"spec.template.spec.containers[1].securityContext\": Invalid value: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"},
		{"pod runAsUser negative", "kube-prometheus", "nodeExporter-daemonset.yaml", "        runAsUser: 65534\n", "        runAsUser: -1\n",
			`field "spec.template.spec.securityContext.runAsUser": Invalid value: -1: must be between 0 and 2147483647, inclusive`},
		{"fsGroup over the range", "argo-cd", "redis-ha.yaml", "        fsGroup: 1000\n", "        fsGroup: 4294967296\n",
			`field "spec.template.spec.securityContext.fsGroup": Invalid value: 4294967296: must be between 0 and 2147483647, inclusive`},
		{"container runAsGroup negative", "kube-prometheus", "nodeExporter-daemonset.yaml", "          runAsGroup: 65532\n", "          runAsGroup: -5\n",
			`field "spec.template.spec.containers[1].securityContext.runAsGroup": Invalid value: -5: must be between 0 and 2147483647, inclusive`},
		{"supplemental group negative", "kube-prometheus", "nodeExporter-daemonset.yaml", "        runAsUser: 65534\n", "        runAsUser: 65534\n        supplementalGroups: [10, -10]\n",
			`field "spec.template.spec.securityContext.supplementalGroups[1]": Invalid value: -10: must be between 0 and 2147483647, inclusive`},
		{"seccomp Localhost without a profile", "argo-cd", repoServer, "            type: RuntimeDefault\n", "            type: Localhost\n",
			`field "spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile": Required value: must be set when seccomp type is Localhost`},
		{"seccomp RuntimeDefault with a profile", "argo-cd", repoServer, "            type: RuntimeDefault\n", "            type: RuntimeDefault\n            localhostProfile: profiles/argocd.json\n",
			`field "spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile": Invalid value: can only be set when seccomp type is Localhost`},
		{"seccomp Localhost profile absolute", "argo-cd", repoServer, "            type: RuntimeDefault\n", "            type: Localhost\n            localhostProfile: /var/lib/kubelet/seccomp/argocd.json\n",
			`field "spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile": Invalid value: "/var/lib/kubelet/seccomp/argocd.json": must be a relative path`},
		{"seccomp Localhost profile with ..", "argo-cd", repoServer, "            type: RuntimeDefault\n", "            type: Localhost\n            localhostProfile: ../argocd.json\n",
			`field "spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile": Invalid value: "../argocd.json": must not contain '..'`},
		{"appArmor Localhost without a profile", "kube-prometheus", "nodeExporter-daemonset.yaml", "        runAsUser: 65534\n", "        runAsUser: 65534\n        appArmorProfile: {type: Localhost}\n",
			`field "spec.template.spec.securityContext.appArmorProfile.localhostProfile": Required value: must be set when AppArmor type is Localhost`},
		{"appArmor Unconfined with a profile", "kube-prometheus", "nodeExporter-daemonset.yaml", "        runAsUser: 65534\n", "        runAsUser: 65534\n        appArmorProfile: {type: Unconfined, localhostProfile: k8s-node-exporter}\n",
			`field "spec.template.spec.securityContext.appArmorProfile.localhostProfile": Invalid value: "k8s-node-exporter": can only be set when AppArmor type is Localhost`},
		{"sysctl name", "argo-cd", "redis-ha.yaml", "        fsGroup: 1000\n", "        fsGroup: 1000\n        sysctls: [{name: net.core.somaxconn, value: '1024'}, {name: Net.Core.Somaxconn, value: '1'}]\n",
			`field "spec.template.spec.securityContext.sysctls[1].name": Invalid value: "Net.Core.Somaxconn": must have at most 253 characters and match regex`},
		{"sysctl twice", "argo-cd", "redis-ha.yaml", "        fsGroup: 1000\n", "        fsGroup: 1000\n        sysctls: [{name: net.core.somaxconn, value: '1024'}, {name: net.core.somaxconn, value: '512'}]\n",
			`field "spec.template.spec.securityContext.sysctls[1].name": Duplicate value: "net.core.somaxconn"`},
		{"net sysctl on the host's network", "kube-prometheus", "nodeExporter-daemonset.yaml", "        runAsUser: 65534\n", "        runAsUser: 65534\n        sysctls: [{name: kernel.shm_rmid_forced, value: '1'}, {name: net/ipv4/ip_local_port_range, value: '1024 65535'}]\n",
			`field "spec.template.spec.securityContext.sysctls[1].name": Invalid value: "net/ipv4/ip_local_port_range": may not be specified when 'hostNetwork' is true`},
		{"IPC sysctl in the host's IPC namespace", "argo-cd", "redis-ha.yaml", "      securityContext:\n        fsGroup: 1000\n", "      hostIPC: true\n      securityContext:\n        fsGroup: 1000\n        sysctls: [{name: fs.mqueue.msg_max, value: '20'}]\n",
			`field "spec.template.spec.securityContext.sysctls[0].name": Invalid value: "fs.mqueue.msg_max": may not be specified when 'hostIPC' is true`},
		{"shareProcessNamespace with hostPID", "kube-prometheus", "nodeExporter-daemonset.yaml", "      hostPID: true\n", "      hostPID: true\n      shareProcessNamespace: true\n",
			`field "spec.template.spec.shareProcessNamespace": Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled`},
		{"host process pod without host network", "podinfo", dep, "      containers:\n", "      securityContext: {windowsOptions: {hostProcess: true}}\n      containers:\n",
			`field "spec.template.spec.hostNetwork": Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers`},
		{"host process container beside others", "kube-prometheus", "nodeExporter-daemonset.yaml", "          runAsGroup: 65532\n", "          runAsGroup: 65532\n          windowsOptions: {hostProcess: true}\n",
			`field "spec.template.spec": Invalid value: "": If pod contains any hostProcess containers then all containers must be HostProcess containers`},
		{"windows options on a linux pod", "podinfo", dep, "      containers:\n", "      os: {name: linux}\n      securityContext: {windowsOptions: {runAsUserName: ContainerUser}}\n      containers:\n",
			`field "spec.template.spec.securityContext.windowsOptions": Forbidden: windows options cannot be set for a linux pod`},
		{"pod of another operating system", "podinfo", dep, "      containers:\n", "      os: {name: mac}\n      containers:\n",
			`field "spec.template.spec.os.name": Unsupported value: "mac": supported values: "linux", "windows"`},
		{"windows pod with a user ID", "podinfo", dep, "      containers:\n", "      os: {name: windows}\n      securityContext: {runAsUser: 1000}\n      containers:\n",
			`field "spec.template.spec.securityContext.runAsUser": Forbidden: cannot be set for a windows pod`},
		{"windows pod with Linux capabilities", "podinfo", dep, "      containers:\n      - name: podinfod\n", "      os: {name: windows}\n      containers:\n      - name: podinfod\n        securityContext: {capabilities: {drop: [ALL]}}\n",
			`field "spec.template.spec.containers[0].securityContext.capabilities": Forbidden: cannot be set for a windows pod`},
		// DNS settings.
		{"four nameservers", "podinfo", dep, "      containers:\n", "      dnsConfig: {nameservers: [10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4]}\n      containers:\n",
			`field "spec.template.spec.dnsConfig.nameservers": Invalid value: ["10.0.0.1","10.0.0.2","10.0.0.3","10.0.0.4"]: must not have more than 3 nameservers`},
		{"nameserver not an IP address", "podinfo", dep, "      containers:\n", "      dnsPolicy: None\n      dnsConfig: {nameservers: [dns.example.com]}\n      containers:\n",
			`field "spec.template.spec.dnsConfig.nameservers[0]": Invalid value: "dns.example.com": must be a valid IP address`},
		{"search domain", "podinfo", dep, "      containers:\n", "      dnsConfig: {searches: [svc.cluster.local, 'my domain.local']}\n      containers:\n",
			`field "spec.template.spec.dnsConfig.searches[1]": Invalid value: "my domain.local": a lowercase RFC 1123 subdomain`},
		{"33 search domains", "podinfo", dep, "      containers:\n", "      dnsConfig: {searches: [" + strings.Repeat("a.local, ", 32) + "b.local]}\n      containers:\n",
			`field "spec.template.spec.dnsConfig.searches": Invalid value: `},
		{"DNS option without a name", "podinfo", dep, "      containers:\n", "      dnsConfig: {options: [{name: ndots, value: '2'}, {value: '2'}]}\n      containers:\n",
			`field "spec.template.spec.dnsConfig.options[1]": Required value: must not be empty`},
		// Volumes (volumes.go).
		{"volume with two sources", "argo-cd", repoServer, "        - name: gpg-keyring\n          emptyDir: {}\n", "        - name: gpg-keyring\n          emptyDir: {}\n          configMap: {name: argocd-gpg-keys-cm}\n",
			`field "spec.template.spec.volumes[3].configMap": Forbidden: may not specify more than 1 volume type`},
		{"hostPath with ..", "kube-prometheus", "nodeExporter-daemonset.yaml", "          path: /sys\n", "          path: /host/../sys\n",
			`field "spec.template.spec.volumes[0].hostPath.path": Invalid value: "/host/../sys": must not contain '..'`},
		{"hostPath empty", "kube-prometheus", "nodeExporter-daemonset.yaml", "          path: /sys\n", "          path: ''\n",
			`field "spec.template.spec.volumes[0].hostPath.path": Required value`},
		{"configMap defaultMode over 0777", "argo-cd", "redis-ha.yaml", "          defaultMode: 0755\n", "          defaultMode: 755\n",
			`field "spec.template.spec.volumes[1].configMap.defaultMode": Invalid value: 755: must be a number between 0 and 0777 (octal), both inclusive`},
		{"configMap item path with ..", "argo-cd", repoServer, "                path: profiler.enabled\n", "                path: ../profiler.enabled\n",
			`field "spec.template.spec.volumes[10].configMap.items[0].path": Invalid value: "../profiler.enabled": must not contain '..'`},
		{"configMap item path absolute", "argo-cd", repoServer, "                path: profiler.enabled\n", "                path: /profiler.enabled\n",
			`field "spec.template.spec.volumes[10].configMap.items[0].path": Invalid value: "/profiler.enabled": must be a relative path`},
		{"secret item path starting with ..", "argo-cd", repoServer, "              path: client-ca.crt\n", "              path: ..client-ca.crt\n",
			`field "spec.template.spec.volumes[7].secret.items[0].path": Invalid value: "..client-ca.crt": must not start with '..'`},
		{"secret item mode", "argo-cd", repoServer, "              path: client-ca.crt\n", "              path: client-ca.crt\n              mode: -1\n",
			`field "spec.template.spec.volumes[7].secret.items[0].mode": Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive`},
		{"secret item without key", "argo-cd", repoServer, "            - key: client-ca.crt\n", "            - key: ''\n",
			`field "spec.template.spec.volumes[7].secret.items[0].key": Required value`},
		{"secret volume without secretName", "argo-cd", repoServer, "            secretName: argocd-repo-server-mtls\n", "",
			`field "spec.template.spec.volumes[7].secret.secretName": Required value`},
		{"emptyDir negative sizeLimit", "argo-cd", repoServer, "        - name: tmp\n          emptyDir: {}\n", "        - name: tmp\n          emptyDir: {sizeLimit: -1Gi}\n",
			`field "spec.template.spec.volumes[4].emptyDir.sizeLimit": Forbidden: SizeLimit field must be a valid resource quantity`},
		{"projected source of two kinds", "podinfo", dep, "          emptyDir: {}\n", "          projected: {sources: [{configMap: {name: podinfo}, secret: {name: podinfo}}]}\n",
			`field "spec.template.spec.volumes[0].projected.sources[0]": Forbidden: may not specify more than 1 volume type per source`},
		{"projected paths twice", "podinfo", dep, "          emptyDir: {}\n", "          projected: {sources: [{configMap: {name: podinfo, items: [{key: a, path: config}]}}, {secret: {name: podinfo, items: [{key: b, path: config}]}}]}\n",
			`field "spec.template.spec.volumes[0].projected": Invalid value: "podinfo": conflicting duplicate paths`},
		{"projected token living 5 minutes", "podinfo", dep, "          emptyDir: {}\n", "          projected: {sources: [{serviceAccountToken: {path: token, expirationSeconds: 300}}]}\n",
			`field "spec.template.spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds": Invalid value: 300: may not specify a duration less than 10 minutes`},
		{"projected token path absolute", "podinfo", dep, "          emptyDir: {}\n", "          projected: {sources: [{serviceAccountToken: {path: /var/run/token}}]}\n",
			`field "spec.template.spec.volumes[0].projected.sources[0].serviceAccountToken.path": Invalid value: "/var/run/token": must be a relative path`},
		{"downward API volume of the pod's IP", "podinfo", dep, "          emptyDir: {}\n", "          downwardAPI: {items: [{path: ip, fieldRef: {fieldPath: status.podIP}}]}\n",
			`field "spec.template.spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath": Unsupported value: "status.podIP"`},
		{"downward API volume resource without container", "podinfo", dep, "          emptyDir: {}\n", "          downwardAPI: {items: [{path: cpu, resourceFieldRef: {resource: limits.cpu}}]}\n",
			`field "spec.template.spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName": Required value`},
		// Environment variables from the downward API, ConfigMaps and Secrets.
		{"env fieldPath misspelt", "kube-prometheus", "nodeExporter-daemonset.yaml", "              fieldPath: status.podIP\n", "              fieldPath: status.podIp\n",
			`field "spec.template.spec.containers[1].env[0].valueFrom.fieldRef.fieldPath": Invalid value: "status.podIp": error converting fieldPath: field label not supported: status.podIp`},
		{"env of all labels", "kube-prometheus", "nodeExporter-daemonset.yaml", "              fieldPath: status.podIP\n", "              fieldPath: metadata.labels\n",
			`field "spec.template.spec.containers[1].env[0].valueFrom.fieldRef.fieldPath": Unsupported value: "metadata.labels"`},
		{"env fieldRef of another version", "kube-prometheus", "nodeExporter-daemonset.yaml", "              fieldPath: status.podIP\n", "              fieldPath: status.podIP\n              apiVersion: v2\n",
			`field "spec.template.spec.containers[1].env[0].valueFrom.fieldRef.fieldPath": Invalid value: "status.podIP": error converting fieldPath: unsupported pod version: v2`},
		{"env label key", "kube-prometheus", "nodeExporter-daemonset.yaml", "              fieldPath: status.podIP\n", "              fieldPath: metadata.labels['app name']\n",
			`field "spec.template.spec.containers[1].env[0].valueFrom.fieldRef": Invalid value: "app name": name part must consist of`},
		{"env resource not exposed", "kube-prometheus", "nodeExporter-daemonset.yaml", "            fieldRef:\n              fieldPath: status.podIP\n", "            resourceFieldRef: {resource: limits.nvidia.com/gpu}\n",
			`field "spec.template.spec.containers[1].env[0].valueFrom.resourceFieldRef.resource": Unsupported value: "limits.nvidia.com/gpu"`},
		{"env resource divisor", "kube-prometheus", "nodeExporter-daemonset.yaml", "            fieldRef:\n              fieldPath: status.podIP\n", "            resourceFieldRef: {resource: limits.cpu, divisor: 1Mi}\n",
			`field "spec.template.spec.containers[1].env[0].valueFrom.resourceFieldRef.divisor": Invalid value: "limits.cpu": only divisor's values 1m and 1 are supported with the cpu resource`},
		{"env secret key with /", "argo-cd", repoServer, "                key: auth\n", "                key: auth/password\n",
			`field "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key": Invalid value: "auth/password": a valid config key must consist of alphanumeric characters`},
		// The API server checks a referenced ConfigMap's or Secret's name
		// with no Required check first: an empty one (a chart's unset
		// existingSecret) is an invalid DNS subdomain, optional or not.
		{"env secret name empty", "argo-cd", repoServer, "                name: argocd-redis\n", "                name: ''\n",
			`argocd-repo-server-deployment.yaml:31: app argo-cd: Deployment/argocd-repo-server: field "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name": Invalid value: "": a lowercase RFC 1123 subdomain`},
		{"env secret name left out", "argo-cd", repoServer, "                key: auth\n                name: argocd-redis\n", "                key: auth\n",
			`field "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name": Invalid value: "": a lowercase RFC 1123 subdomain`},
		{"env optional config map name", "argo-cd", repoServer, "                name: argocd-cm\n", "                name: Argocd_CM\n",
			`field "spec.template.spec.containers[0].env[2].valueFrom.configMapKeyRef.name": Invalid value: "Argocd_CM": a lowercase RFC 1123 subdomain`},
		// Mounts, envFrom, host network ports, host aliases, gates (podfields.go).
		{"envFrom config map name", "podinfo", dep, "        env:\n", "        envFrom:\n        - configMapRef: {name: Podinfo_Config}\n        env:\n",
			`deployment.yaml:48: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].envFrom[0].configMapRef.name": Invalid value: "Podinfo_Config": a lowercase RFC 1123 subdomain`},
		{"envFrom secret name empty", "podinfo", dep, "        env:\n", "        envFrom:\n        - secretRef: {name: '', optional: true}\n        env:\n",
			`field "spec.template.spec.containers[0].envFrom[0].secretRef.name": Required value`},
		{"subPath with ..", "podinfo", dep, "            mountPath: /data\n", "            mountPath: /data\n            subPath: ../etc\n",
			`field "spec.template.spec.containers[0].volumeMounts[0].subPath": Invalid value: "../etc": must not contain '..'`},
		{"subPath absolute", "podinfo", dep, "            mountPath: /data\n", "            mountPath: /data\n            subPath: /podinfo\n",
			`field "spec.template.spec.containers[0].volumeMounts[0].subPath": Invalid value: "/podinfo": must be a relative path`},
		{"subPath and subPathExpr", "podinfo", dep, "            mountPath: /data\n", "            mountPath: /data\n            subPath: podinfo\n            subPathExpr: $(POD_NAME)\n",
			`field "spec.template.spec.containers[0].volumeMounts[0].subPathExpr": Invalid value: "$(POD_NAME)": subPathExpr and subPath are mutually exclusive`},
		{"Bidirectional mount in an unprivileged container", "kube-prometheus", "nodeExporter-daemonset.yaml", "          mountPropagation: HostToContainer\n", "          mountPropagation: Bidirectional\n",
			`field "spec.template.spec.containers[0].volumeMounts[0].mountPropagation": Forbidden: Bidirectional mount propagation is available only to privileged containers`},
		{"envFrom of nothing", "podinfo", dep, "        env:\n", "        envFrom:\n        - prefix: PODINFO_\n        env:\n",
			"field \"spec.template.spec.containers[0].envFrom[0]\": Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`"},
		{"envFrom of two sources", "podinfo", dep, "        env:\n", "        envFrom:\n        - {configMapRef: {name: podinfo}, secretRef: {name: podinfo}}\n        env:\n",
			`field "spec.template.spec.containers[0].envFrom[0]": Invalid value: "": may not have more than one field specified at a time`},
		{"envFrom prefix with =", "podinfo", dep, "        env:\n", "        envFrom:\n        - {prefix: 'PODINFO=', configMapRef: {name: podinfo}}\n        env:\n",
			`field "spec.template.spec.containers[0].envFrom[0].prefix": Invalid value: "PODINFO=": a valid environment variable name must consist only of printable ASCII characters other than '='`},
		{"host network port differing from its host port", "kube-prometheus", "nodeExporter-daemonset.yaml", "        - containerPort: 9100\n          hostPort: 9100\n", "        - containerPort: 9100\n          hostPort: 19100\n",
			`field "spec.template.spec.containers[1].ports[0].hostPort": Invalid value: 19100: must match ` + "`containerPort` when `hostNetwork` is true"},
		{"claim volume without a claim name", "podinfo", dep, "          emptyDir: {}\n", "          persistentVolumeClaim: {claimName: ''}\n",
			`deployment.yaml:80: app podinfo: Deployment/podinfo: field "spec.template.spec.volumes[0].persistentVolumeClaim.claimName": Required value`},
		{"nfs volume with a relative path", "podinfo", dep, "          emptyDir: {}\n", "          nfs: {server: nfs.example.com, path: exports/podinfo}\n",
			`field "spec.template.spec.volumes[0].nfs.path": Invalid value: "exports/podinfo": must be an absolute path`},
		{"ephemeral volume without a storage request", "podinfo", dep, "          emptyDir: {}\n", "          ephemeral:\n            volumeClaimTemplate:\n              spec: {accessModes: [ReadWriteOnce], storageClassName: fast}\n",
			`field "spec.template.spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources[storage]": Required value`},
		{"ephemeral volume of ReadWriteOncePod and another mode", "podinfo", dep, "          emptyDir: {}\n", "          ephemeral:\n            volumeClaimTemplate:\n              spec: {accessModes: [ReadWriteOncePod, ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n",
			`field "spec.template.spec.volumes[0].ephemeral.volumeClaimTemplate.spec.accessModes": Forbidden: may not use ReadWriteOncePod with other access modes`},
		{"host alias without an IP address", "podinfo", dep, "      containers:\n", "      hostAliases: [{ip: registry.local, hostnames: [registry.local]}]\n      containers:\n",
			`field "spec.template.spec.hostAliases[0].ip": Invalid value: "registry.local": must be a valid IP address`},
		{"host alias name", "podinfo", dep, "      containers:\n", "      hostAliases: [{ip: 10.0.0.5, hostnames: [Registry_Local]}]\n      containers:\n",
			`field "spec.template.spec.hostAliases[0].hostnames[0]": Invalid value: "Registry_Local": a lowercase RFC 1123 subdomain`},
		{"readiness gate condition type", "podinfo", dep, "      containers:\n", "      readinessGates: [{conditionType: 'target health'}]\n      containers:\n",
			`field "spec.template.spec.readinessGates[0].conditionType": Invalid value: "target health": name part must consist of`},
		{"scheduling gate twice", "podinfo", dep, "      containers:\n", "      schedulingGates: [{name: example.com/quota}, {name: example.com/quota}]\n      containers:\n",
			`field "spec.template.spec.schedulingGates[1]": Duplicate value: "example.com/quota"`},
		{"empty runtime class", "podinfo", dep, "      containers:\n", "      runtimeClassName: ''\n      containers:\n",
			`field "spec.template.spec.runtimeClassName": Invalid value: "": a lowercase RFC 1123 subdomain`},
		{"disruption budget selector", "kube-prometheus", "alertmanager-podDisruptionBudget.yaml", "      app.kubernetes.io/instance: main\n", "      app.kubernetes.io/instance: main\n      helm.sh/chart: alertmanager-1.2.3+build.4\n",
			`alertmanager-podDisruptionBudget.yaml:18: app kube-prometheus: PodDisruptionBudget/monitoring/alertmanager-main: field "spec.selector.matchLabels": Invalid value: "alertmanager-1.2.3+build.4": a valid label must be`},
		{"disruption budget selector operator", "kube-prometheus", "alertmanager-podDisruptionBudget.yaml", "    matchLabels:\n", "    matchExpressions: [{key: app, operator: Exists, values: [alertmanager]}]\n    matchLabels:\n",
			`alertmanager-podDisruptionBudget.yaml:15: app kube-prometheus: PodDisruptionBudget/monitoring/alertmanager-main: field "spec.selector.matchExpressions[0].values": Forbidden: may not be specified when ` + "`operator` is 'Exists' or 'DoesNotExist'"},
		// NetworkPolicies (ValidateNetworkPolicySpec).
		{"network policy pod selector", "kube-prometheus", netpol, "      app.kubernetes.io/component: grafana\n", "      app.kubernetes.io/component: 'grafana ui'\n",
			`grafana-networkPolicy.yaml:24: app kube-prometheus: NetworkPolicy/monitoring/grafana: field "spec.podSelector.matchLabels": Invalid value: "grafana ui": a valid label must be`},
		{"network policy three policy types", "kube-prometheus", netpol, "  - Egress\n  - Ingress\n", "  - Egress\n  - Ingress\n  - Egress\n",
			`field "spec.policyTypes": Invalid value: ["Egress","Ingress","Egress"]: may not specify more than two policyTypes`},
		{"network policy port range from a name", "kube-prometheus", netpol, "    - port: 3000\n", "    - port: http\n      endPort: 3001\n",
			`grafana-networkPolicy.yaml:21: app kube-prometheus: NetworkPolicy/monitoring/grafana: field "spec.ingress[0].ports[0].endPort": Invalid value: 3001: may not be specified when ` + "`port` is non-numeric"},
		{"network policy port range backwards", "kube-prometheus", netpol, "    - port: 3000\n", "    - port: 3000\n      endPort: 2000\n",
			`field "spec.ingress[0].ports[0].endPort": Invalid value: 2000: must be greater than or equal to ` + "`port`"},
		{"network policy CIDR", "kube-prometheus", netpol, promPeer, "    - ipBlock:\n        cidr: 10.0.0.0/33\n",
			`grafana-networkPolicy.yaml:17: app kube-prometheus: NetworkPolicy/monitoring/grafana: field "spec.ingress[0].from[0].ipBlock.cidr": Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`},
		{"network policy empty CIDR", "kube-prometheus", netpol, promPeer, "    - ipBlock: {cidr: ''}\n",
			`field "spec.ingress[0].from[0].ipBlock.cidr": Required value`},
		// Left out, the schema reports it, and the rule does not again.
		{"network policy without CIDR", "kube-prometheus", netpol, promPeer, "    - ipBlock: {except: [10.0.0.0/8]}\n",
			`missing required field "spec.ingress[0].from[0].ipBlock.cidr"`},
		{"network policy exception outside its CIDR", "kube-prometheus", netpol, promPeer, "    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [192.168.0.0/16]\n",
			`field "spec.ingress[0].from[0].ipBlock.except[0]": Invalid value: "192.168.0.0/16": must be a strict subset of ` + "`cidr`"},
		{"network policy exception equal to its CIDR", "kube-prometheus", netpol, promPeer, "    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [10.0.0.0/8]\n",
			`field "spec.ingress[0].from[0].ipBlock.except[0]": Invalid value: "10.0.0.0/8": must be a strict subset of ` + "`cidr`"},
		// Keys server-side apply (Flux's) refuses twice, from the schema's
		// list types: an env name (the case of helm/helm#31529 and
		// kubebuilder#5948), a containerPort and protocol (kubernetes#113482's;
		// the protocol left out is TCP), a host alias address, a pull secret,
		// a finalizer, a service account's secret.
		{"env name twice", "podinfo", dep, "        - name: PODINFO_UI_COLOR\n", "        - name: PODINFO_UI_COLOR\n          value: '#000000'\n        - name: PODINFO_UI_COLOR\n",
			`deployment.yaml:50: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].env[1]": Duplicate value: {"name":"PODINFO_UI_COLOR"}`},
		{"container port twice on two host ports", "podinfo", dep, "        - name: grpc\n          containerPort: 9999\n          protocol: TCP\n", "        - containerPort: 9797\n          hostPort: 9376\n",
			`deployment.yaml:35: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].ports[2]": Duplicate value: {"containerPort":9797,"protocol":"TCP"}`},
		{"host alias address twice", "podinfo", dep, "      containers:\n", "      hostAliases: [{ip: 127.0.0.1, hostnames: [foo.local]}, {ip: 127.0.0.1, hostnames: [bar.local]}]\n      containers:\n",
			`field "spec.template.spec.hostAliases[1]": Duplicate value: {"ip":"127.0.0.1"}`},
		{"pull secret twice", "podinfo", dep, "      containers:\n", "      imagePullSecrets:\n      - name: regcred\n      - name: regcred\n      containers:\n",
			`deployment.yaml:26: app podinfo: Deployment/podinfo: field "spec.template.spec.imagePullSecrets[1]": Duplicate value: {"name":"regcred"}`},
		{"finalizer twice", "podinfo", dep, "  name: podinfo\n", "  name: podinfo\n  finalizers: [example.com/cleanup, example.com/cleanup]\n",
			`deployment.yaml:5: app podinfo: Deployment/podinfo: field "metadata.finalizers[1]": Duplicate value: "example.com/cleanup"`},
		{"service account secret twice", "kube-prometheus", "grafana-serviceAccount.yaml", "automountServiceAccountToken: false\n", "automountServiceAccountToken: false\nsecrets: [{name: grafana-token}, {name: grafana-token}]\n",
			`field "secrets[1]": Duplicate value: {"name":"grafana-token"}`},
		// An APIService, kube-aggregator's kind: its own validation, after
		// its defaults, and strict decoding into its Go type.
		{"api service with a CA bundle and insecure", "kube-prometheus", apiSvc, "  insecureSkipTLSVerify: true\n", "  insecureSkipTLSVerify: true\n  caBundle: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n",
			`prometheusAdapter-apiService.yaml:13: app kube-prometheus: APIService/v1beta1.metrics.k8s.io: field "spec.insecureSkipTLSVerify": Invalid value: true: may not be true if caBundle is present`},
		{"api service named otherwise", "kube-prometheus", apiSvc, "  name: v1beta1.metrics.k8s.io\n", "  name: prometheus-adapter\n",
			`prometheusAdapter-apiService.yaml:9: app kube-prometheus: APIService/prometheus-adapter: field "metadata.name": Invalid value: "prometheus-adapter": must be ` + "`spec.version+\".\"+spec.group`" + `: "v1beta1.metrics.k8s.io"`},
		{"api service priority 0", "kube-prometheus", apiSvc, "  versionPriority: 100\n", "  versionPriority: 0\n",
			`prometheusAdapter-apiService.yaml:18: app kube-prometheus: APIService/v1beta1.metrics.k8s.io: field "spec.versionPriority": Invalid value: 0: must be positive and less than 1000`},
		{"api service group priority too high", "kube-prometheus", apiSvc, "  groupPriorityMinimum: 100\n", "  groupPriorityMinimum: 20001\n",
			`field "spec.groupPriorityMinimum": Invalid value: 20001: must be positive and less than 20000`},
		{"api service without a service namespace", "kube-prometheus", apiSvc, "    namespace: monitoring\n", "",
			`prometheusAdapter-apiService.yaml:14: app kube-prometheus: APIService/v1beta1.metrics.k8s.io: field "spec.service.namespace": Required value`},
		{"api service port 0", "kube-prometheus", apiSvc, "    namespace: monitoring\n", "    namespace: monitoring\n    port: 0\n",
			`field "spec.service.port": Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive`},
		{"local api service with insecure", "kube-prometheus", apiSvc, "  service:\n    name: prometheus-adapter\n    namespace: monitoring\n", "",
			`field "spec.insecureSkipTLSVerify": Invalid value: true: local APIServices may not have insecureSkipTLSVerify`},
		{"api service field misspelt", "kube-prometheus", apiSvc, "  versionPriority: 100\n", "  versionPriority: 100\n  verionPriority: 3\n",
			`prometheusAdapter-apiService.yaml:19: app kube-prometheus: APIService/v1beta1.metrics.k8s.io: unknown field "spec.verionPriority"`},
		{"api service name with a slash", "kube-prometheus", apiSvc, "  name: v1beta1.metrics.k8s.io\n", "  name: v1beta1/metrics.k8s.io\n",
			`field "metadata.name": Invalid value: "v1beta1/metrics.k8s.io": may not contain '/'`},
		// What a cluster writes into an object, still there in one copied
		// from kubectl get -o yaml: Flux's server-side apply fails on it.
		{"uid", "podinfo", dep, "  name: podinfo\n", "  name: podinfo\n  uid: 8c2f9d2e-5b1c-4a4e-9b1f-3d2f1e0c9a77\n",
			`deployment.yaml:5: app podinfo: Deployment/podinfo: field "metadata.uid": Forbidden: the API server gives each object its own uid`},
		{"resourceVersion", "podinfo", svc, "  name: podinfo\n", "  name: podinfo\n  resourceVersion: '48213'\n",
			`service.yaml:5: app podinfo: Service/podinfo: field "metadata.resourceVersion": Forbidden: applied with one, the object is created, and every later apply of it fails ("the object has been modified`},
		{"managedFields", "podinfo", dep, "  name: podinfo\n", "  name: podinfo\n  managedFields:\n  - {manager: kubectl-client-side-apply, operation: Update, apiVersion: apps/v1, fieldsType: FieldsV1, fieldsV1: {'f:spec': {}}}\n",
			`deployment.yaml:5: app podinfo: Deployment/podinfo: field "metadata.managedFields": Forbidden: server-side apply refuses it ("metadata.managedFields must be nil")`},
		// kustomize-controller round-trips built-in kinds through their Go
		// types, which drop an empty list; a custom resource it applies as
		// written.
		{"empty managedFields of a custom resource", "cert-manager", "cert-manager-resources.yaml", "  name: selfsigned-issuer\n", "  name: selfsigned-issuer\n  managedFields: []\n",
			`cert-manager-resources.yaml:19: app cert-manager: Issuer/default/selfsigned-issuer: field "metadata.managedFields": Forbidden`},
		{"deletionTimestamp", "podinfo", svc, "  name: podinfo\n", "  name: podinfo\n  deletionTimestamp: '2026-01-02T03:04:05Z'\n",
			`field "metadata.deletionTimestamp": Forbidden: the API server sets it when the object is being deleted`},
		// The annotations the API server reads on a pod template.
		{"pod deletion cost with a plus", "podinfo", dep, "        prometheus.io/scrape: \"true\"\n", "        prometheus.io/scrape: \"true\"\n        controller.kubernetes.io/pod-deletion-cost: \"+1\"\n",
			`deployment.yaml:20: app podinfo: Deployment/podinfo: field "spec.template.metadata.annotations[controller.kubernetes.io/pod-deletion-cost]": Invalid value: "+1": must be a 32bit integer`},
		{"apparmor annotation of no container", "podinfo", dep, "        prometheus.io/scrape: \"true\"\n", "        prometheus.io/scrape: \"true\"\n        container.apparmor.security.beta.kubernetes.io/podinfo: runtime/default\n",
			`deployment.yaml:20: app podinfo: Deployment/podinfo: field "spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/podinfo]": Invalid value: "podinfo": container not found`},
		{"seccomp annotation misspelt", "podinfo", dep, "        prometheus.io/scrape: \"true\"\n", "        prometheus.io/scrape: \"true\"\n        seccomp.security.alpha.kubernetes.io/pod: runtime-default\n",
			`deployment.yaml:20: app podinfo: Deployment/podinfo: field "spec.template.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]": Invalid value: "runtime-default": must be a valid seccomp profile`},
		{"seccomp annotation against the field", "argo-cd", repoServer, "    metadata:\n      labels:\n        app.kubernetes.io/name: argocd-repo-server\n    spec:\n",
			"    metadata:\n      annotations:\n        container.seccomp.security.alpha.kubernetes.io/copyutil: unconfined\n      labels:\n        app.kubernetes.io/name: argocd-repo-server\n    spec:\n",
			`argocd-repo-server-deployment.yaml:375: app argo-cd: Deployment/argocd-repo-server: field "spec.template.spec.initContainers[0].securityContext.seccompProfile.type": Forbidden: seccomp type in annotation and field must match`},
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
		{"service addresses", "podinfo", "service.yaml", "  type: ClusterIP\n", "  type: ClusterIP\n  clusterIP: 010.96.0.20\n  clusterIPs: [010.96.0.20, 'fd00::20']\n  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv4, IPv6]\n  externalIPs: [192.0.2.10, '2001:db8::10']\n"},
		{"headless service without a selector, both families", "podinfo", "service.yaml", "  type: ClusterIP\n  selector:\n    app: podinfo\n", "  clusterIP: None\n  ipFamilies: [IPv4, IPv6]\n"},
		{"headless service with clusterIPs", "podinfo", "service.yaml", "  type: ClusterIP\n", "  type: ClusterIP\n  clusterIP: None\n  clusterIPs: [None]\n  ipFamilies: [IPv6]\n"},
		{"externalName with a trailing dot", "podinfo", "service.yaml", "  type: ClusterIP\n", "  type: ExternalName\n  externalName: db.example.com.\n"},
		{"externalName with an empty cluster IP", "podinfo", "service.yaml", "  type: ClusterIP\n", "  type: ExternalName\n  externalName: db.example.com\n  clusterIP: ''\n"},
		{"service port appProtocols", "podinfo", "service.yaml", "      name: grpc\n", "      name: grpc\n      appProtocol: kubernetes.io/h2c\n    - {name: web, port: 80, appProtocol: http}\n"},
		{"one node port on two protocols", "podinfo", "service.yaml", "  type: ClusterIP\n  selector:\n    app: podinfo\n  ports:\n    - name: http\n      port: 9898\n      protocol: TCP\n",
			"  type: LoadBalancer\n  selector:\n    app: podinfo\n  ports:\n    - name: dns\n      port: 53\n      nodePort: 30053\n      protocol: UDP\n    - name: http\n      port: 53\n      nodePort: 30053\n      protocol: TCP\n"},
		{"deployment surge 0 with default unavailable", "podinfo", "deployment.yaml", "      maxUnavailable: 0\n", "      maxSurge: 0\n"},
		{"daemonset surge with unavailable 0", "kube-prometheus", "nodeExporter-daemonset.yaml", "      maxUnavailable: 10%\n", "      maxSurge: 10%\n      maxUnavailable: 0\n"},
		{"env name with a dot and a space", "podinfo", "deployment.yaml", "        - name: PODINFO_UI_COLOR\n", "        - name: podinfo.ui color\n"},
		{"huge pages limit beside memory", "podinfo", "deployment.yaml", "            memory: 512Mi\n", "            memory: 512Mi\n            hugepages-2Mi: 64Mi\n"},
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
		{"preferred node affinity with any value", "argo-cd", "argocd-repo-server-deployment.yaml", "      affinity:\n", "      affinity:\n        nodeAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - weight: 100\n            preference:\n              matchExpressions:\n              - {key: example.com/pool, operator: In, values: ['not a label value']}\n"},
		{"node affinity by node name", "argo-cd", "argocd-repo-server-deployment.yaml", "      affinity:\n", "      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n            - matchFields:\n              - {key: metadata.name, operator: In, values: [node-1.example.com]}\n"},
		{"spread with minDomains", "podinfo", "deployment.yaml", "      containers:\n", "      topologySpreadConstraints:\n      - {maxSkew: 1, minDomains: 3, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: podinfo}}, matchLabelKeys: [pod-template-hash]}\n      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}\n      containers:\n"},
		// After the API server's defaults: a grace period of 30 s, a
		// volume without a source is an emptyDir, a token lives an hour.
		{"preStop sleeping the default grace period", "podinfo", "deployment.yaml", "        readinessProbe:\n", "        lifecycle: {preStop: {sleep: {seconds: 30}}}\n        readinessProbe:\n"},
		// Sleeping 0 s is refused only when the AllowPodLifecycleSleepActionZeroValue gate is off.
		{"preStop sleeping 0", "podinfo", "deployment.yaml", "        readinessProbe:\n", "        lifecycle: {preStop: {sleep: {seconds: 0}}, postStart: {httpGet: {port: http}}}\n        readinessProbe:\n"},
		{"preStop sleeping within a raised grace period", "argo-cd", "redis-ha.yaml", "          preStop:\n            exec:\n              command:\n              - /bin/sh\n              - /readonly-config/trigger-failover-if-master.sh\n", "          preStop:\n            sleep: {seconds: 60}\n"},
		{"nfs volume", "podinfo", "deployment.yaml", "          emptyDir: {}\n", "          nfs: {server: 10.0.0.5, path: /exports/podinfo, readOnly: true}\n"},
		{"ephemeral volume", "podinfo", "deployment.yaml", "          emptyDir: {}\n", "          ephemeral:\n            volumeClaimTemplate:\n              metadata: {labels: {type: scratch}}\n              spec: {accessModes: [ReadWriteOnce], storageClassName: fast, resources: {requests: {storage: 1Gi}}}\n"},
		{"volume without a source", "podinfo", "deployment.yaml", "          emptyDir: {}\n", ""},
		{"projected volume as the API server fills it in", "podinfo", "deployment.yaml", "          emptyDir: {}\n", "          projected: {defaultMode: 0644, sources: [{serviceAccountToken: {path: token}}, {configMap: {name: podinfo, items: [{key: a, path: conf/a.yaml, mode: 0600}]}}, {downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}, {path: mem, resourceFieldRef: {containerName: podinfod, resource: limits.memory, divisor: 1Mi}}]}}]}\n"},
		{"item path with dots inside a name", "argo-cd", "argocd-repo-server-deployment.yaml", "                path: profiler.enabled\n", "                path: conf/..profiler..enabled\n"},
		{"SYS_ADMIN without privilege escalation", "kube-prometheus", "nodeExporter-daemonset.yaml", "            - ALL\n          readOnlyRootFilesystem: true\n          runAsGroup: 65532\n", "            - ALL\n            add: [SYS_ADMIN]\n          readOnlyRootFilesystem: true\n          runAsGroup: 65532\n"},
		{"privileged with privilege escalation", "argo-cd", "argocd-repo-server-deployment.yaml", "          allowPrivilegeEscalation: false\n", "          allowPrivilegeEscalation: true\n          privileged: true\n"},
		{"seccomp and AppArmor Localhost profiles", "argo-cd", "argocd-repo-server-deployment.yaml", "            type: RuntimeDefault\n", "            type: Localhost\n            localhostProfile: profiles/argocd.json\n          appArmorProfile: {type: Localhost, localhostProfile: k8s-argocd}\n"},
		// A chart written for older clusters, with the annotations of
		// its day, each as the API server still takes it.
		{"pod annotations of older clusters", "argo-cd", "argocd-repo-server-deployment.yaml", "    metadata:\n      labels:\n        app.kubernetes.io/name: argocd-repo-server\n    spec:\n",
			"    metadata:\n      annotations:\n        container.seccomp.security.alpha.kubernetes.io/copyutil: runtime/default\n        seccomp.security.alpha.kubernetes.io/pod: docker/default\n" +
				"        container.apparmor.security.beta.kubernetes.io/copyutil: runtime/default\n        controller.kubernetes.io/pod-deletion-cost: \"-100\"\n" +
				"        scheduler.alpha.kubernetes.io/tolerations: '[{\"key\": \"CriticalAddonsOnly\", \"operator\": \"Exists\"}]'\n      labels:\n        app.kubernetes.io/name: argocd-repo-server\n    spec:\n"},
		{"sysctls with slashes and underscores", "argo-cd", "redis-ha.yaml", "        fsGroup: 1000\n", "        fsGroup: 1000\n        sysctls: [{name: net.core.somaxconn, value: '1024'}, {name: net/ipv4/ip_local_port_range, value: '1024 65535'}, {name: kernel.shm_rmid_forced, value: '1'}]\n"},
		{"host process pod", "podinfo", "deployment.yaml", "      containers:\n", "      hostNetwork: true\n      os: {name: windows}\n      securityContext: {windowsOptions: {hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM'}}\n      containers:\n"},
		{"DNS settings", "podinfo", "deployment.yaml", "      containers:\n", "      dnsPolicy: None\n      dnsConfig: {nameservers: [10.96.0.10, 'fd00::a', 010.0.0.1], searches: [svc.cluster.local., _srv.example.com, .], options: [{name: ndots, value: '2'}, {name: edns0}]}\n      containers:\n"},
		{"env from the downward API", "kube-prometheus", "nodeExporter-daemonset.yaml", "              fieldPath: status.podIP\n", "              fieldPath: metadata.labels['app.kubernetes.io/name']\n"},
		{"env of spec.host", "kube-prometheus", "nodeExporter-daemonset.yaml", "              fieldPath: status.podIP\n", "              fieldPath: spec.host\n"},
		{"env of a resource", "kube-prometheus", "nodeExporter-daemonset.yaml", "            fieldRef:\n              fieldPath: status.podIP\n", "            resourceFieldRef: {resource: requests.hugepages-2Mi, divisor: 1Ki}\n"},
		{"empty enums the API server defaults", "podinfo", "deployment.yaml", "        imagePullPolicy: IfNotPresent\n", "        imagePullPolicy: ''\n        terminationMessagePolicy: ''\n"},
		{"empty pod enums the API server defaults", "podinfo", "deployment.yaml", "      containers:\n", "      dnsPolicy: ''\n      restartPolicy: ''\n      schedulerName: ''\n      containers:\n"},
		{"empty port protocol", "podinfo", "deployment.yaml", "          containerPort: 9898\n          protocol: TCP\n", "          containerPort: 9898\n          protocol: ''\n"},
		{"host network port left to the API server", "kube-prometheus", "nodeExporter-daemonset.yaml", "        - containerPort: 9100\n          hostPort: 9100\n", "        - containerPort: 9100\n"},
		{"sub-path expression and Bidirectional mount in a privileged container", "kube-prometheus", "nodeExporter-daemonset.yaml", "          allowPrivilegeEscalation: false\n          capabilities:\n            add:\n            - SYS_TIME\n            drop:\n            - ALL\n          readOnlyRootFilesystem: true\n        volumeMounts:\n        - mountPath: /host/sys\n          mountPropagation: HostToContainer\n",
			"          privileged: true\n          capabilities:\n            add:\n            - SYS_TIME\n            drop:\n            - ALL\n          readOnlyRootFilesystem: true\n        volumeMounts:\n        - mountPath: /host/sys\n          mountPropagation: Bidirectional\n          subPathExpr: $(NODE_NAME)/x\n"},
		{"envFrom with a prefix", "podinfo", "deployment.yaml", "        env:\n", "        envFrom:\n        - {prefix: podinfo.ui-, configMapRef: {name: podinfo}}\n        - secretRef: {name: podinfo, optional: true}\n        env:\n"},
		// The API server checks an envFrom name as a generateName prefix,
		// which may end in '-'.
		{"envFrom name ending in -", "podinfo", "deployment.yaml", "        env:\n", "        envFrom:\n        - secretRef: {name: podinfo-}\n        env:\n"},
		{"host aliases and gates", "podinfo", "deployment.yaml", "      containers:\n", "      hostAliases: [{ip: 'fd00::5', hostnames: [registry.local, foo]}]\n      readinessGates: [{conditionType: target-health.elbv2.k8s.aws/podinfo}]\n      schedulingGates: [{name: example.com/quota}]\n      runtimeClassName: gvisor\n      containers:\n"},
		{"kernel sysctls on the host's network", "kube-prometheus", "nodeExporter-daemonset.yaml", "        runAsUser: 65534\n", "        runAsUser: 65534\n        sysctls: [{name: kernel.shm_rmid_forced, value: '1'}, {name: kernel.msgmax, value: '65536'}]\n"},
		{"image pull secret without a name", "podinfo", "deployment.yaml", "      containers:\n", "      imagePullSecrets: [{}]\n      containers:\n"},
		{"network policy IP blocks and port ranges", "kube-prometheus", "grafana-networkPolicy.yaml", "    - port: 3000\n      protocol: TCP\n",
			"    - port: 3000\n      endPort: 3010\n      protocol: TCP\n    - port: http\n    - protocol: UDP\n  - from:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32, 10.0.0.0/8]}\n    - ipBlock: {cidr: 10.0.0.1/8, except: [10.1.0.0/16]}\n    - ipBlock: {cidr: '2001:db8::/32', except: ['2001:db8:1::/48']}\n"},
		{"resize policies", "podinfo", "deployment.yaml", "        volumeMounts:\n", "        resizePolicy:\n          - {resourceName: cpu, restartPolicy: NotRequired}\n          - {resourceName: memory, restartPolicy: RestartContainer}\n        volumeMounts:\n"},
		// Server-side apply keys a container port by port and protocol.
		{"container port on two protocols", "podinfo", "deployment.yaml", "        - name: grpc\n          containerPort: 9999\n          protocol: TCP\n", "        - name: grpc\n          containerPort: 9797\n          protocol: UDP\n"},
		// What a cluster writes that the API server overwrites, and an
		// empty managedFields list, which Flux drops from built-in kinds.
		{"creationTimestamp, generation, selfLink and status", "podinfo", "deployment.yaml", "  name: podinfo\n", "  name: podinfo\n  creationTimestamp: '2026-01-02T03:04:05Z'\n  generation: 3\n  selfLink: /apis/apps/v1/namespaces/apps/deployments/podinfo\n  managedFields: []\n  uid: ''\n  resourceVersion: ''\n"},
		{"template label with dots and underscores", "podinfo", "deployment.yaml", "      labels:\n        app: podinfo\n", "      labels:\n        app: podinfo\n        example.com/version: v6.14_1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs := readReal(t, tc.source)
			path, doc := realDoc(t, tc.source, tc.file, tc.from, tc.to)
			if err := realEnv(t, objs).Objects(tc.source, parse(t, path, doc)); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}

// TestLimitRanges: the LimitRange of the Kubernetes documentation
// (concepts/policy/limit-range) passes the whole validation, and a
// mistake in it is told once, at its line.
func TestLimitRanges(t *testing.T) {
	t.Parallel()
	const example = "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: cpu-resource-constraint\n  namespace: default\nspec:\n  limits:\n" +
		"  - default: # this section defines default limits\n      cpu: 500m\n    defaultRequest: # this section defines default requests\n      cpu: 500m\n" +
		"    max: # max and min define the limit range\n      cpu: \"1\"\n    min:\n      cpu: 100m\n    type: Container\n"
	for _, tc := range []struct{ name, from, to, want string }{
		{"as documented", "", "", ""},
		{"default above max", "      cpu: 500m\n    defaultRequest", "      cpu: '2'\n    defaultRequest",
			`lr.yaml:9: app infra: LimitRange/default/cpu-resource-constraint: field "spec.limits[0].default[cpu]": Invalid value: "1": default value 2 is greater than max value 1`},
		{"type left out", "    type: Container\n", "",
			`missing required field "spec.limits[0].type"`},
		{"type misspelt", "    type: Container\n", "    type: Containers\n",
			`lr.yaml:16: app infra: LimitRange/default/cpu-resource-constraint: field "spec.limits[0].type": Invalid value: "Containers": must be a standard limit type or fully qualified`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(example, tc.from, tc.to, 1)
			errs := diag.Flatten(testEnv(t).Objects("infra", parse(t, "lr.yaml", doc)))
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("refused: %v", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("got %v, want one error containing %s", errs, tc.want)
			}
		})
	}
}

// TestResourceQuotas: ResourceQuotas of the Kubernetes documentation
// (concepts/policy/resource-quotas) pass the whole validation, and a
// mistake in them is told once, at its line.
func TestResourceQuotas(t *testing.T) {
	t.Parallel()
	const example = "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: pods-high\n  namespace: default\nspec:\n  hard:\n" +
		"    cpu: \"1000\"\n    memory: \"200Gi\"\n    pods: \"10\"\n    requests.nvidia.com/gpu: 4\n    count/deployments.apps: \"5\"\n" +
		"  scopeSelector:\n    matchExpressions:\n    - operator: In\n      scopeName: PriorityClass\n      values: [\"high\"]\n"
	for _, tc := range []struct{ name, from, to, want string }{
		{"as documented", "", "", ""},
		{"pod scopes", "  scopeSelector:\n    matchExpressions:\n    - operator: In\n      scopeName: PriorityClass\n      values: [\"high\"]\n", "  scopes: [NotTerminating, NotBestEffort]\n", ""},
		{"misspelt resource", "    memory: \"200Gi\"\n", "    memroy: \"200Gi\"\n",
			`quota.yaml:9: app infra: ResourceQuota/default/pods-high: field "spec.hard[memroy]": Invalid value: "memroy": must be a standard resource type or fully qualified`},
		{"resource of no quota", "    memory: \"200Gi\"\n", "    storage: \"200Gi\"\n",
			`field "spec.hard[storage]": Invalid value: "storage": must be a standard resource for quota`},
		{"half a pod", "    pods: \"10\"\n", "    pods: 10500m\n",
			`field "spec.hard[pods]": Invalid value: "10500m": must be an integer`},
		{"half a deployment", "    count/deployments.apps: \"5\"\n", "    count/deployments.apps: 500m\n",
			`field "spec.hard[count/deployments.apps]": Invalid value: "500m": must be an integer`},
		{"negative", "    cpu: \"1000\"\n", "    cpu: \"-1\"\n",
			`field "spec.hard[cpu]": Invalid value: "-1": must be greater than or equal to 0`},
		{"best effort limiting cpu", "  scopeSelector:\n    matchExpressions:\n    - operator: In\n      scopeName: PriorityClass\n      values: [\"high\"]\n", "  scopes: [BestEffort]\n",
			`field "spec.scopes": Invalid value: "": unsupported scope applied to resource`},
		{"conflicting scopes", "    cpu: \"1000\"\n    memory: \"200Gi\"\n    pods: \"10\"\n    requests.nvidia.com/gpu: 4\n    count/deployments.apps: \"5\"\n  scopeSelector:\n    matchExpressions:\n    - operator: In\n      scopeName: PriorityClass\n      values: [\"high\"]\n", "    pods: \"10\"\n  scopes: [Terminating, NotTerminating]\n",
			`quota.yaml:9: app infra: ResourceQuota/default/pods-high: field "spec.scopes": Invalid value: "": conflicting scopes`},
		{"unknown scope", "    cpu: \"1000\"\n    memory: \"200Gi\"\n    pods: \"10\"\n    requests.nvidia.com/gpu: 4\n    count/deployments.apps: \"5\"\n  scopeSelector:\n    matchExpressions:\n    - operator: In\n      scopeName: PriorityClass\n      values: [\"high\"]\n", "    pods: \"10\"\n  scopes: [Terminated]\n",
			`field "spec.scopes[0]": Unsupported value: "Terminated"`},
		// The schema's enums, told once.
		{"unknown operator", "    - operator: In\n", "    - operator: Equals\n", `field "spec.scopeSelector.matchExpressions[0].operator": Unsupported value: "Equals"`},
		{"pod scope with In", "      scopeName: PriorityClass\n", "      scopeName: Terminating\n",
			"field \"spec.scopeSelector.matchExpressions.operator\": Invalid value: \"In\": must be 'Exists' when scope is any of"},
		{"In without values", "      values: [\"high\"]\n", "",
			"field \"spec.scopeSelector.matchExpressions.values\": Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(example, tc.from, tc.to, 1)
			errs := diag.Flatten(testEnv(t).Objects("infra", parse(t, "quota.yaml", doc)))
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("refused: %v", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("got %v, want one error containing %s", errs, tc.want)
			}
		})
	}
}

// TestVolumesAndClaims: the PersistentVolumes and claim of the Kubernetes
// documentation (tasks/configure-pod-container/configure-persistent-volume-storage,
// concepts/storage/volumes#local, concepts/storage/persistent-volumes)
// pass the whole validation, and a mistake in them is told once, at its
// line.
func TestVolumesAndClaims(t *testing.T) {
	t.Parallel()
	const hostPath = "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: task-pv-volume\n  labels:\n    type: local\nspec:\n" +
		"  storageClassName: manual\n  capacity:\n    storage: 10Gi\n  accessModes:\n    - ReadWriteOnce\n  hostPath:\n    path: \"/mnt/data\"\n"
	const local = "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: example-pv\nspec:\n  capacity:\n    storage: 100Gi\n  volumeMode: Filesystem\n" +
		"  accessModes:\n  - ReadWriteOnce\n  persistentVolumeReclaimPolicy: Delete\n  storageClassName: local-storage\n  local:\n    path: /mnt/disks/ssd1\n" +
		"  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - key: kubernetes.io/hostname\n          operator: In\n          values:\n          - example-node\n"
	const nfs = "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: pv0003\nspec:\n  capacity:\n    storage: 5Gi\n  volumeMode: Filesystem\n" +
		"  accessModes:\n    - ReadWriteOnce\n  persistentVolumeReclaimPolicy: Recycle\n  storageClassName: slow\n  mountOptions:\n    - hard\n    - nfsvers=4.1\n" +
		"  nfs:\n    path: /tmp\n    server: 172.17.0.2\n"
	const claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: myclaim\n  namespace: default\nspec:\n  accessModes:\n    - ReadWriteOnce\n" +
		"  volumeMode: Filesystem\n  resources:\n    requests:\n      storage: 8Gi\n  storageClassName: slow\n  selector:\n    matchLabels:\n      release: \"stable\"\n" +
		"    matchExpressions:\n      - {key: environment, operator: In, values: [dev]}\n"
	for _, tc := range []struct{ name, doc, from, to, want string }{
		{"hostPath volume as documented", hostPath, "", "", ""},
		{"local volume as documented", local, "", "", ""},
		{"nfs volume as documented", nfs, "", "", ""},
		{"claim as documented", claim, "", "", ""},
		{"csi volume", hostPath, "  hostPath:\n    path: \"/mnt/data\"\n", "  csi:\n    driver: EBS.csi.aws.com\n    volumeHandle: vol-0123\n", ""},
		{"claim from a snapshot", claim, "  selector:\n", "  dataSource: {name: new-snapshot-test, kind: VolumeSnapshot, apiGroup: snapshot.storage.k8s.io}\n  selector:\n", ""},
		{"claim from a snapshot, named twice", claim, "  selector:\n", "  dataSource: {name: new-snapshot-test, kind: VolumeSnapshot, apiGroup: snapshot.storage.k8s.io}\n" +
			"  dataSourceRef: {name: new-snapshot-test, kind: VolumeSnapshot, apiGroup: snapshot.storage.k8s.io}\n  selector:\n", ""},
		{"claim from two snapshots", claim, "  selector:\n", "  dataSource: {name: new-snapshot-test, kind: VolumeSnapshot, apiGroup: snapshot.storage.k8s.io}\n" +
			"  dataSourceRef: {name: old-snapshot-test, kind: VolumeSnapshot, apiGroup: snapshot.storage.k8s.io}\n  selector:\n",
			`pv.yaml:14: app infra: PersistentVolumeClaim/default/myclaim: field "spec.dataSource": Invalid value: must match dataSourceRef`},
		{"claim of no class", claim, "storageClassName: slow", "storageClassName: ''", ""},
		{"two sources", hostPath, "  hostPath:\n", "  nfs: {server: nfs.example.com, path: /exports}\n  hostPath:\n",
			`pv.yaml:13: app infra: PersistentVolume/task-pv-volume: field "spec.nfs": Forbidden: may not specify more than 1 volume type`},
		{"no source", hostPath, "  hostPath:\n    path: \"/mnt/data\"\n", "",
			`field "spec": Required value: must specify a volume type`},
		{"no capacity", hostPath, "  capacity:\n    storage: 10Gi\n", "",
			`field "spec.capacity": Required value`},
		{"capacity of memory", hostPath, "    storage: 10Gi\n", "    storage: 10Gi\n    memory: 1Gi\n",
			`field "spec.capacity": Unsupported value: "memory, storage": supported values: "storage"`},
		{"zero capacity", hostPath, "    storage: 10Gi\n", "    storage: 0\n",
			`pv.yaml:10: app infra: PersistentVolume/task-pv-volume: field "spec.capacity[storage]": Invalid value: "0": must be greater than zero`},
		{"no access modes", hostPath, "  accessModes:\n    - ReadWriteOnce\n", "",
			`field "spec.accessModes": Required value`},
		{"ReadWriteOncePod with another", hostPath, "    - ReadWriteOnce\n", "    - ReadWriteOncePod\n    - ReadOnlyMany\n",
			`field "spec.accessModes": Forbidden: may not use ReadWriteOncePod with other access modes`},
		{"storage class name", hostPath, "storageClassName: manual", "storageClassName: Manual_Class",
			`pv.yaml:8: app infra: PersistentVolume/task-pv-volume: field "spec.storageClassName": Invalid value: "Manual_Class": a lowercase RFC 1123 subdomain`},
		{"recycling the node's root", hostPath, "    path: \"/mnt/data\"\n", "    path: /\n  persistentVolumeReclaimPolicy: Recycle\n",
			`field "spec.persistentVolumeReclaimPolicy": Forbidden: may not be 'recycle' for a hostPath mount of '/'`},
		{"local volume without node affinity", local, "  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - key: kubernetes.io/hostname\n          operator: In\n          values:\n          - example-node\n", "",
			`field "spec.nodeAffinity": Required value: Local volume requires node affinity`},
		{"node affinity without required", local, "    required:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - key: kubernetes.io/hostname\n          operator: In\n          values:\n          - example-node\n", "    {}\n",
			`field "spec.nodeAffinity.required": Required value: must specify required node constraints`},
		{"node affinity In without values", local, "          values:\n          - example-node\n", "",
			"field \"spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values\": Required value: must be specified when `operator` is 'In' or 'NotIn'"},
		{"local path with ..", local, "/mnt/disks/ssd1", "/mnt/disks/../ssd1",
			`field "spec.local.path": Invalid value: "/mnt/disks/../ssd1": must not contain '..'`},
		{"nfs relative path", nfs, "    path: /tmp\n", "    path: tmp\n",
			`pv.yaml:17: app infra: PersistentVolume/pv0003: field "spec.nfs.path": Invalid value: "tmp": must be an absolute path`},
		{"nfs without server", nfs, "    server: 172.17.0.2\n", "",
			`missing required field "spec.nfs.server"`},
		{"csi without volume handle", hostPath, "  hostPath:\n    path: \"/mnt/data\"\n", "  csi:\n    driver: ebs.csi.aws.com\n",
			`missing required field "spec.csi.volumeHandle"`},
		{"csi driver name", hostPath, "  hostPath:\n    path: \"/mnt/data\"\n", "  csi:\n    driver: ebs csi\n    volumeHandle: vol-0123\n",
			`field "spec.csi.driver": Invalid value: "ebs csi": a lowercase RFC 1123 subdomain`},
		{"claim ReadWriteOncePod with another", claim, "    - ReadWriteOnce\n", "    - ReadWriteOncePod\n    - ReadWriteOnce\n",
			`pv.yaml:7: app infra: PersistentVolumeClaim/default/myclaim: field "spec.accessModes": Forbidden: may not use ReadWriteOncePod with other access modes`},
		{"claim of nothing", claim, "      storage: 8Gi\n", "      storage: 0Gi\n",
			`pv.yaml:12: app infra: PersistentVolumeClaim/default/myclaim: field "spec.resources.requests[storage]": Invalid value: "0": must be greater than zero`},
		{"claim storage class name", claim, "storageClassName: slow", "storageClassName: gp2_encrypted",
			`field "spec.storageClassName": Invalid value: "gp2_encrypted": a lowercase RFC 1123 subdomain`},
		{"claim selector", claim, "operator: In, values: [dev]", "operator: Exists, values: [dev]",
			"field \"spec.selector.matchExpressions[0].values\": Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"},
		{"claim from a snapshot without its group", claim, "  selector:\n", "  dataSource: {name: new-snapshot-test, kind: VolumeSnapshot}\n  selector:\n",
			`field "spec.dataSource": Invalid value: "VolumeSnapshot": must be 'PersistentVolumeClaim' when referencing the default apiGroup`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(tc.doc, tc.from, tc.to, 1)
			if tc.from != "" && doc == tc.doc {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			errs := diag.Flatten(testEnv(t).Objects("infra", parse(t, "pv.yaml", doc)))
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("refused: %v", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("got %v, want one error containing %s", errs, tc.want)
			}
		})
	}
}

// TestRulesByKubeVersionAtTheirLine: rules a feature gate's default
// changed follow the env's kubeVersion in a real object, and an error
// names its line: an environment variable name the API server accepts
// from 1.32 is refused before; a CIDR with host bits is refused from 1.36
// (StrictIPCIDRValidation), with the network and the one address to write
// instead; a Service named with a leading digit is taken from 1.36
// (RelaxedServiceNameValidation), where kiln refused it whatever the
// kubeVersion; an autoscaler scaling to zero is taken from 1.37
// (HPAScaleToZero) when a metric can scale it up again, and refused at
// its metrics when none can; a container's resizePolicy is checked from
// 1.33 (InPlacePodVerticalScaling), dropped unchecked before.
func TestRulesByKubeVersionAtTheirLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, from, to string
		want                 map[string]string // by kubeVersion; "" when taken
	}{
		{"environment variable name", "deployment.yaml", "- name: PODINFO_UI_COLOR\n", "- name: podinfo.ui color\n", map[string]string{
			"1.31.0": `deployment.yaml:48: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].env[0].name": Invalid value: "podinfo.ui color": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit`,
			"1.32.0": "",
		}},
		{"source range with host bits", "service.yaml", "  type: ClusterIP\n", "  type: LoadBalancer\n  loadBalancerSourceRanges:\n    - 10.0.0.1/8\n", map[string]string{
			"1.35.0": "",
			"1.36.0": `service.yaml:8: app podinfo: Service/podinfo: field "spec.loadBalancerSourceRanges[0]": Invalid value: "10.0.0.1/8": must not have bits set beyond the prefix length` +
				"\n  hint: write the network, 10.0.0.0/8, or the one address, 10.0.0.1/32: the API server refuses this form from Kubernetes 1.36 (StrictIPCIDRValidation)",
		}},
		{"service name with a leading digit", "service.yaml", "  name: podinfo\n", "  name: 9info\n", map[string]string{
			"1.35.0": `service.yaml:4: app podinfo: Service/9info: field "metadata.name": Invalid value: "9info": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character`,
			"1.36.0": "",
			"1.37.0": "",
		}},
		{"resize policy restarting a container", "deployment.yaml", "        volumeMounts:\n", "        resizePolicy:\n          - {resourceName: cpu, restartPolicy: Always}\n        volumeMounts:\n", map[string]string{
			"1.32.0": "",
			"1.33.0": `deployment.yaml:76: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].resizePolicy[0].restartPolicy": Unsupported value: "Always": supported values: "NotRequired", "RestartContainer"`,
		}},
		{"unmasked proc in the host's user namespace", "deployment.yaml", "        imagePullPolicy: IfNotPresent\n", "        imagePullPolicy: IfNotPresent\n        securityContext:\n          procMount: Unmasked\n", map[string]string{
			"1.32.0": "",
			"1.33.0": `deployment.yaml:29: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].securityContext.procMount": Invalid value: "Unmasked": ` + "`hostUsers` must be false to use `Unmasked`" +
				"\n  hint: an unmasked /proc is only safe inside the pod's own user namespace: set the pod's hostUsers: false, or remove procMount",
		}},
		{"SELinux change by mount option", "deployment.yaml", "    spec:\n      containers:\n", "    spec:\n      securityContext:\n        seLinuxChangePolicy: MountOption\n      containers:\n", map[string]string{
			"1.32.0": "",
			"1.36.0": `deployment.yaml:25: app podinfo: Deployment/podinfo: field "spec.template.spec.securityContext.seLinuxChangePolicy": Unsupported value: "MountOption": supported values: "Recursive"`,
			"1.37.0": "",
		}},
		{"recursively read-only but writable mount", "deployment.yaml", "            mountPath: /data\n", "            mountPath: /data\n            recursiveReadOnly: Enabled\n", map[string]string{
			"1.30.0": "",
			"1.31.0": `deployment.yaml:78: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[0].volumeMounts[0].recursiveReadOnly": Forbidden: may only be specified when readOnly is true` +
				"\n  hint: add readOnly: true to the mount, or remove recursiveReadOnly",
		}},
		// On the host's network a port is also the node's: the API server
		// made a template's hostPort its containerPort until 1.28
		// (DefaultHostNetworkHostPortsInPodTemplates), and then refused
		// two containers listening on one port.
		{"two containers on one port of the host's network", "deployment.yaml", "    spec:\n      containers:\n", "    spec:\n      hostNetwork: true\n      containers:\n      - {name: proxy, image: envoy, ports: [{containerPort: 9898}]}\n", map[string]string{
			"1.27.0": `deployment.yaml:31: app podinfo: Deployment/podinfo: field "spec.template.spec.containers[1].ports[0].hostPort": Duplicate value: "TCP//9898"` +
				"\n  hint: with hostNetwork: true the container listens on port 9898 of the node, as another port of the pod does: give each its own containerPort, or list the port once",
			"1.28.0": "",
		}},
		// The Kubernetes documentation's projections, each with a mistake:
		// dropped before 1.37 (a warning), checked from it.
		{"trust bundle by name and signer", "deployment.yaml", "          emptyDir: {}\n", "          projected:\n            sources:\n            - clusterTrustBundle: {name: example, signerName: example.com/mysigner, path: ca.pem}\n", map[string]string{
			"1.36.0": "",
			"1.37.0": `deployment.yaml:82: app podinfo: Deployment/podinfo: field "spec.template.spec.volumes[0].projected.sources[0].clusterTrustBundle": Invalid value: {"name":"example","signerName":"example.com/mysigner","path":"ca.pem"}: only one of name and signerName may be used`,
		}},
		{"pod certificate without a file", "deployment.yaml", "          emptyDir: {}\n", "          projected:\n            sources:\n            - podCertificate: {keyType: ED25519, signerName: coolcert.example.com/foo}\n", map[string]string{
			"1.36.0": "",
			"1.37.0": `deployment.yaml:82: app podinfo: Deployment/podinfo: field "spec.template.spec.volumes[0].projected.sources[0].podCertificate": Required value: specify at least one of credentialBundlePath, keyPath, and certificateChainPath`,
		}},
		{"pod certificate of no key type", "deployment.yaml", "          emptyDir: {}\n", "          projected:\n            sources:\n            - podCertificate: {keyType: '', signerName: coolcert.example.com/foo, credentialBundlePath: credentialbundle.pem}\n", map[string]string{
			"1.36.0": "",
			"1.37.0": `field "spec.template.spec.volumes[0].projected.sources[0].podCertificate.keyType": Unsupported value: ""`,
		}},
		{"pod certificate left without its key type", "deployment.yaml", "          emptyDir: {}\n", "          projected:\n            sources:\n            - podCertificate: {signerName: coolcert.example.com/foo, credentialBundlePath: credentialbundle.pem}\n", map[string]string{
			"1.37.0": `missing required field "spec.template.spec.volumes[0].projected.sources[0].podCertificate.keyType"`,
		}},
		{"autoscaler to zero by CPU", "hpa.yaml", "  minReplicas: 2\n", "  minReplicas: 0\n", map[string]string{
			"1.36.0": `hpa.yaml:10: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.minReplicas": Invalid value: 0: must be greater than or equal to 1`,
			"1.37.0": `hpa.yaml:12: app podinfo: HorizontalPodAutoscaler/podinfo: field "spec.metrics": Forbidden: must specify at least one Object or External metric to support scaling to zero replicas`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, doc := realDoc(t, "podinfo", tc.file, tc.from, tc.to)
			for kube, want := range tc.want {
				env, err := schemas().Env(kube, readReal(t, "podinfo"))
				if err != nil {
					t.Fatal(err)
				}
				errs := diag.Flatten(env.Objects("podinfo", parse(t, path, doc)))
				switch {
				case want == "" && len(errs) > 0:
					t.Errorf("%s: refused: %v", kube, errs)
				case want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), want)):
					t.Errorf("%s: got %v, want one error containing %s", kube, errs, want)
				}
			}
		})
	}
}

// TestIngressClassAnnotationAndField: an Ingress naming its class in both
// the kubernetes.io/ingress.class annotation and spec.ingressClassName, as
// many charts do, is taken from Kubernetes 1.27 when they agree (it used
// to be refused whatever the kubeVersion), refused when they differ, and
// refused before 1.27.
func TestIngressClassAnnotationAndField(t *testing.T) {
	t.Parallel()
	const doc = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: default\n  annotations:\n    kubernetes.io/ingress.class: nginx\n" +
		"spec:\n  ingressClassName: nginx\n  rules:\n  - host: web.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service: {name: web, port: {number: 80}}\n"
	for _, tc := range []struct{ kube, from, to, want string }{
		{"1.37.0", "", "", ""},
		{"1.27.0", "", "", ""},
		{"1.37.0", "ingressClassName: nginx", "ingressClassName: internal",
			"ingress.yaml:7: app web: Ingress/default/web: field \"metadata.annotations[kubernetes.io/ingress.class]\": Invalid value: \"nginx\": must match `ingressClassName` when both are specified"},
		{"1.26.0", "", "",
			`ingress.yaml:7: app web: Ingress/default/web: field "metadata.annotations[kubernetes.io/ingress.class]": Invalid value: "nginx": can not be set when the class field is also set`},
	} {
		env, err := schemas().Env(tc.kube, nil)
		if err != nil {
			t.Fatal(err)
		}
		errs := diag.Flatten(env.Objects("web", parse(t, "ingress.yaml", strings.Replace(doc, tc.from, tc.to, 1))))
		switch {
		case tc.want == "" && len(errs) > 0:
			t.Errorf("%s %s: refused: %v", tc.kube, tc.to, errs)
		case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
			t.Errorf("%s %s: got %v, want one error containing %s", tc.kube, tc.to, errs, tc.want)
		}
	}
}

// TestIngressClasses: the IngressClass ingress-nginx's chart renders
// passes the whole validation; one whose controller has no domain, as the
// annotation's class names have, is refused at its line.
func TestIngressClasses(t *testing.T) {
	t.Parallel()
	const doc = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  labels:\n    app.kubernetes.io/component: controller\n    app.kubernetes.io/name: ingress-nginx\n  name: nginx\nspec:\n  controller: k8s.io/ingress-nginx\n"
	for _, tc := range []struct{ from, to, want string }{
		{"", "", ""},
		{"controller: k8s.io/ingress-nginx", "controller: nginx",
			`ingressclass.yaml:9: app ingress: IngressClass/nginx: field "spec.controller": Invalid value: "nginx": must be a domain-prefixed path`},
	} {
		errs := diag.Flatten(testEnv(t).Objects("ingress", parse(t, "ingressclass.yaml", strings.Replace(doc, tc.from, tc.to, 1))))
		switch {
		case tc.want == "" && len(errs) > 0:
			t.Errorf("refused: %v", errs)
		case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
			t.Errorf("got %v, want one error containing %s", errs, tc.want)
		}
	}
}

// TestStorageClassesAndEndpointSlices: the AWS EBS CSI driver's
// documented StorageClass and the Kubernetes documentation's
// EndpointSlice pass the whole validation (schema and the API server's
// rules); a mistake in each is refused once, at its line.
func TestStorageClassesAndEndpointSlices(t *testing.T) {
	t.Parallel()
	const class = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: ebs-sc\nprovisioner: ebs.csi.aws.com\nvolumeBindingMode: WaitForFirstConsumer\n" +
		"reclaimPolicy: Delete\nparameters:\n  type: gp3\n  encrypted: \"true\"\nallowedTopologies:\n- matchLabelExpressions:\n  - key: topology.ebs.csi.aws.com/zone\n    values:\n    - us-east-1a\n"
	const slice = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: example-abc\n  labels:\n    kubernetes.io/service-name: example\naddressType: IPv4\n" +
		"ports:\n  - name: http\n    protocol: TCP\n    port: 80\nendpoints:\n  - addresses:\n      - \"10.1.2.3\"\n    conditions:\n      ready: true\n    hostname: pod-1\n    nodeName: node-1\n    zone: us-west2-a\n"
	for _, tc := range []struct{ file, doc, from, to, want string }{
		{"class.yaml", class, "", "", ""},
		{"class.yaml", class, "reclaimPolicy: Delete", "reclaimPolicy: Recycle",
			`class.yaml:7: app storage: StorageClass/ebs-sc: field "reclaimPolicy": Unsupported value: "Recycle": supported values: "Delete", "Retain"`},
		{"class.yaml", class, "    - us-east-1a\n", "    - us-east-1a\n    - us-east-1a\n",
			`field "allowedTopologies[0].matchLabelExpressions[0].values[1]": Duplicate value: "us-east-1a"`},
		{"slice.yaml", slice, "", "", ""},
		{"slice.yaml", slice, `"10.1.2.3"`, `"127.0.0.1"`,
			`slice.yaml:14: app storage: EndpointSlice/example-abc: field "endpoints[0].addresses[0]": Invalid value: "127.0.0.1": may not be in the loopback range`},
	} {
		errs := diag.Flatten(testEnv(t).Objects("storage", parse(t, tc.file, strings.Replace(tc.doc, tc.from, tc.to, 1))))
		switch {
		case tc.want == "" && len(errs) > 0:
			t.Errorf("%s refused: %v", tc.file, errs)
		case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
			t.Errorf("got %v, want one error containing %s", errs, tc.want)
		}
	}
}

// TestJobPodFailurePolicies: the Job with a pod failure policy of the
// Kubernetes documentation (concepts/workloads/controllers/job) passes
// the whole validation, and a mistake in its policy is told once, at its
// line: an exit code twice is the API server's duplicate, not also
// server-side apply's (the values are a set).
func TestJobPodFailurePolicies(t *testing.T) {
	t.Parallel()
	const job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job-pod-failure-policy-example\nspec:\n  completions: 12\n  parallelism: 3\n" +
		"  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: docker.io/library/bash:5\n" +
		"        command: [\"bash\"]\n        args:\n        - -c\n        - echo \"Hello world!\" && sleep 5 && exit 42\n" +
		"  backoffLimit: 6\n  podFailurePolicy:\n    rules:\n    - action: FailJob\n      onExitCodes:\n        containerName: main\n" +
		"        operator: In\n        values: [42]\n    - action: Ignore\n      onPodConditions:\n      - type: DisruptionTarget\n"
	for _, tc := range []struct{ name, from, to, want string }{
		{"as documented", "", "", ""},
		{"exit code twice", "values: [42]", "values: [42, 42]",
			`job.yaml:25: app batch: Job/job-pod-failure-policy-example: field "spec.podFailurePolicy.rules[0].onExitCodes.values[1]": Duplicate value: 42`},
		{"exit code 0 with In", "values: [42]", "values: [0, 42]",
			`job.yaml:25: app batch: Job/job-pod-failure-policy-example: field "spec.podFailurePolicy.rules[0].onExitCodes.values[0]": Invalid value: 0: must not be 0 for the In operator`},
		{"rule of both", "    - action: Ignore\n", "    - action: Ignore\n      onExitCodes: {operator: In, values: [1]}\n",
			`job.yaml:26: app batch: Job/job-pod-failure-policy-example: field "spec.podFailurePolicy.rules[1]": Invalid value: specifying both OnExitCodes and OnPodConditions is not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(job, tc.from, tc.to, 1)
			if tc.from != "" && doc == job {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			errs := diag.Flatten(testEnv(t).Objects("batch", parse(t, "job.yaml", doc)))
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("refused: %v", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("got %v, want one error containing %s", errs, tc.want)
			}
		})
	}
}

// TestKindsOfFewRules: the Kubernetes documentation's Endpoints (of a
// Service without a selector), RuntimeClass, CSIDriver and FlowSchema, a
// Namespace and a Lease pass the whole validation, and a mistake in each
// is told once, at its line.
func TestKindsOfFewRules(t *testing.T) {
	t.Parallel()
	const endpoints = "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: my-service\nsubsets:\n  - addresses:\n      - ip: 192.0.2.42\n    ports:\n      - port: 9376\n"
	const runtimeClass = "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: myclass\nhandler: myconfiguration\n" +
		"scheduling:\n  nodeSelector:\n    example.com/runtime: gvisor\n  tolerations:\n  - {key: example.com/sandbox, operator: Exists, effect: NoSchedule}\n"
	const namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\nspec:\n  finalizers:\n  - kubernetes\n  - example.com/cleanup\n"
	const csiDriver = "apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata:\n  name: mycsidriver.example.com\nspec:\n  attachRequired: true\n  podInfoOnMount: true\n" +
		"  fsGroupPolicy: File\n  volumeLifecycleModes:\n    - Persistent\n    - Ephemeral\n  tokenRequests:\n    - audience: \"gcp\"\n    - audience: \"\"\n" +
		"      expirationSeconds: 3600\n  requiresRepublish: true\n  seLinuxMount: true\n"
	const lease = "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: my-controller\nspec:\n  holderIdentity: my-controller-0\n  leaseDurationSeconds: 15\n  leaseTransitions: 0\n"
	const flowSchema = "apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: FlowSchema\nmetadata:\n  name: health-for-strangers\nspec:\n  matchingPrecedence: 1000\n" +
		"  priorityLevelConfiguration:\n    name: exempt\n  rules:\n    - nonResourceRules:\n      - nonResourceURLs:\n          - \"/healthz\"\n          - \"/livez\"\n          - \"/readyz\"\n" +
		"        verbs:\n          - \"*\"\n      subjects:\n        - kind: Group\n          group:\n            name: \"system:unauthenticated\"\n"
	// The Kubernetes documentation's request for a user (its request made
	// with Go's crypto/x509, an ECDSA key, instead of openssl).
	const csr = "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: myuser\nspec:\n" +
		"  request: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIS01ITUNBUUF3RVRFUE1BMEdBMVVFQXhNR2JYbDFjMlZ5TUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowRApBUWNEUWdBRS9Zb1NkL0ZRWnFKR2t4RDdZTDArbDNtM1I2WWdObE9QQ1Jnd2g2amlYT0MzUGFGdUhSNHk0VUdHCjdBSE5QYlpLSmpwSU16OWNTK3hOSkxNT1VKU3FINkFBTUFvR0NDcUdTTTQ5QkFNQ0EwY0FNRVFDSUZ2UTdIbmMKUmlnUmdRdmpoQmZKRnJTV3NnY1FhZWNseU8rY2V2WEFKNyt0QWlBN05KTGhhREk5dTd5YVYzZ1RtelU3bHRJYQpaSm96b0RseHR6bmVSbjhPeUE9PQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K\n" +
		"  signerName: kubernetes.io/kube-apiserver-client\n  expirationSeconds: 86400\n  usages:\n  - client auth\n"
	// A node tainted as the documentation's taints page does.
	const node = "apiVersion: v1\nkind: Node\nmetadata:\n  name: node1\nspec:\n  podCIDR: 10.244.1.0/24\n  podCIDRs:\n  - 10.244.1.0/24\n  taints:\n  - {key: key1, value: value1, effect: NoSchedule}\n"
	for _, tc := range []struct{ name, doc, from, to, want string }{
		{"certificate signing request", csr, "", "", ""},
		{"certificate signing request of no request", csr, "request: LS0t", "request: bm90IGEgcmVxdWVzdAo= #",
			`objs.yaml:6: app infra: CertificateSigningRequest/myuser: field "spec.request": Invalid value: PEM block type must be CERTIFICATE REQUEST`},
		{"certificate signing request usage twice", csr, "  - client auth\n", "  - client auth\n  - client auth\n",
			`objs.yaml:11: app infra: CertificateSigningRequest/myuser: field "spec.usages[1]": Duplicate value: "client auth"`},
		{"certificate signing request usage unknown", csr, "  - client auth\n", "  - client-auth\n", `field "spec.usages[0]": Unsupported value: "client-auth"`},
		{"certificate signing request signer left out", csr, "  signerName: kubernetes.io/kube-apiserver-client\n", "", `missing required field "spec.signerName"`},
		{"certificate signing request signer", csr, "signerName: kubernetes.io/kube-apiserver-client", "signerName: kube-apiserver-client",
			`objs.yaml:7: app infra: CertificateSigningRequest/myuser: field "spec.signerName": Invalid value: "kube-apiserver-client": must be a fully qualified domain and path of the form 'example.com/signer-name'`},
		// ValidateCertificateRequestName takes any name: only the path
		// segment check every object gets applies.
		{"certificate signing request named in capitals", csr, "name: myuser", "name: MyUser_2026", ""},
		{"certificate signing request named with a slash", csr, "name: myuser", "name: my/user", `field "metadata.name": Invalid value: "my/user": may not contain '/'`},
		{"node", node, "", "", ""},
		{"node taint twice", node, "  - {key: key1, value: value1, effect: NoSchedule}\n", "  - {key: key1, value: value1, effect: NoSchedule}\n  - {key: key1, effect: NoSchedule}\n",
			`objs.yaml:11: app infra: Node/node1: field "spec.taints[1]": Duplicate value: {"key":"key1","effect":"NoSchedule"}: taints must be unique by key and effect pair`},
		{"node taint effect", node, "effect: NoSchedule", "effect: noSchedule", `field "spec.taints[0].effect": Unsupported value: "noSchedule"`},
		{"node taint effect left out", node, ", effect: NoSchedule", "", `missing required field "spec.taints[0].effect"`},
		{"node pod CIDR", node, "  podCIDR: 10.244.1.0/24\n", "  podCIDR: 10.244.1.0\n",
			`objs.yaml:6: app infra: Node/node1: field "spec.podCIDR": Invalid value: "10.244.1.0": must be a valid CIDR value`},
		{"node pod CIDRs of one family", node, "  - 10.244.1.0/24\n", "  - 10.244.1.0/24\n  - 10.244.2.0/24\n",
			`objs.yaml:7: app infra: Node/node1: field "spec.podCIDRs": Invalid value: ["10.244.1.0/24","10.244.2.0/24"]: may specify no more than one CIDR for each IP family`},
		{"endpoints", endpoints, "", "", ""},
		{"endpoints address of a host name", endpoints, "ip: 192.0.2.42", "ip: db.example.com",
			`objs.yaml:7: app infra: Endpoints/my-service: field "subsets[0].addresses[0].ip": Invalid value: "db.example.com": must be a valid IP address`},
		{"endpoints address on the loopback", endpoints, "ip: 192.0.2.42", "ip: 127.0.0.1",
			`field "subsets[0].addresses[0].ip": Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)`},
		{"endpoints without addresses", endpoints, "  - addresses:\n      - ip: 192.0.2.42\n    ports:\n", "  - ports:\n",
			"field \"subsets[0]\": Required value: must specify `addresses` or `notReadyAddresses`"},
		{"endpoints port 0", endpoints, "port: 9376", "port: 0",
			`objs.yaml:9: app infra: Endpoints/my-service: field "subsets[0].ports[0].port": Invalid value: 0: must be between 1 and 65535, inclusive`},
		{"endpoints ports without names", endpoints, "      - port: 9376\n", "      - port: 9376\n      - {port: 9377, name: metrics}\n",
			`field "subsets[0].ports[0].name": Required value`},
		{"endpoints port name", endpoints, "      - port: 9376\n", "      - {port: 9376, name: HTTP_PORT}\n",
			`field "subsets[0].ports[0].name": Invalid value: "HTTP_PORT": a lowercase RFC 1123 label`},
		{"runtime class", runtimeClass, "", "", ""},
		{"runtime class handler", runtimeClass, "handler: myconfiguration", "handler: my_configuration",
			`objs.yaml:5: app infra: RuntimeClass/myclass: field "handler": Invalid value: "my_configuration": a lowercase RFC 1123 label`},
		{"runtime class handler empty", runtimeClass, "handler: myconfiguration", "handler: ''",
			`objs.yaml:5: app infra: RuntimeClass/myclass: field "handler": Required value`},
		{"runtime class handler left out", runtimeClass, "handler: myconfiguration\n", "",
			`missing required field "handler"`},
		{"runtime class toleration twice", runtimeClass, "  - {key: example.com/sandbox, operator: Exists, effect: NoSchedule}\n", "  - {key: example.com/sandbox, operator: Exists, effect: NoSchedule}\n  - {key: example.com/sandbox, operator: Exists, effect: NoSchedule}\n",
			`field "scheduling.tolerations[1]": Duplicate value`},
		{"runtime class node selector", runtimeClass, "example.com/runtime: gvisor", "example.com/runtime: gvisor 2",
			`field "scheduling.nodeSelector": Invalid value: "gvisor 2"`},
		{"namespace", namespace, "", "", ""},
		{"namespace finalizer without a domain", namespace, "  - example.com/cleanup\n", "  - cleanup\n",
			`objs.yaml:6: app infra: Namespace/team-a: field "spec.finalizers": Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified`},
		{"csi driver", csiDriver, "", "", ""},
		{"csi driver token of a minute", csiDriver, "expirationSeconds: 3600", "expirationSeconds: 60",
			`objs.yaml:15: app infra: CSIDriver/mycsidriver.example.com: field "spec.tokenRequests[1].expirationSeconds": Invalid value: 60: may not specify a duration less than 10 minutes`},
		{"csi driver audience twice", csiDriver, "audience: \"gcp\"", "audience: \"\"",
			`field "spec.tokenRequests[1].audience": Duplicate value: ""`},
		{"csi driver lifecycle mode", csiDriver, "    - Ephemeral\n", "    - ephemeral\n",
			`objs.yaml:9: app infra: CSIDriver/mycsidriver.example.com: field "spec.volumeLifecycleModes": Unsupported value: "ephemeral": supported values: "Persistent", "Ephemeral"`},
		// ValidateCSIDriver checks the name with storage's
		// ValidateCSIDriverName, which is NameIsDNSSubdomain (a real
		// kube-apiserver 1.37 refuses PodInfo and takes 64 lowercase
		// characters: internal/apiservercheck), not with core's function
		// of that name, which lowercases a volume's driver first.
		{"csi driver named in capitals", csiDriver, "name: mycsidriver.example.com", "name: Ebs.CSI.Example.com",
			`field "metadata.name": Invalid value: "Ebs.CSI.Example.com": a lowercase RFC 1123 subdomain`},
		{"csi driver name of 64 characters", csiDriver, "name: mycsidriver.example.com", "name: " + strings.Repeat("a", 52) + ".example.com", ""},
		{"csi driver named with an underscore", csiDriver, "name: mycsidriver.example.com", "name: my_driver.example.com",
			`field "metadata.name": Invalid value: "my_driver.example.com": a lowercase RFC 1123 subdomain`},
		{"csi driver fsGroupPolicy", csiDriver, "fsGroupPolicy: File", "fsGroupPolicy: Files",
			`field "spec.fsGroupPolicy": Unsupported value: "Files": supported values: "File", "None", "ReadWriteOnceWithFSType"`},
		{"lease", lease, "", "", ""},
		{"lease of no time", lease, "leaseDurationSeconds: 15", "leaseDurationSeconds: 0",
			`objs.yaml:7: app infra: Lease/my-controller: field "spec.leaseDurationSeconds": Invalid value: 0: must be greater than 0`},
		{"flow schema", flowSchema, "", "", ""},
		{"flow schema precedence", flowSchema, "matchingPrecedence: 1000", "matchingPrecedence: 20000",
			`objs.yaml:6: app infra: FlowSchema/health-for-strangers: field "spec.matchingPrecedence": Invalid value: 20000: must not be greater than 10000`},
		{"flow schema of no priority level", flowSchema, "name: exempt", "name: ''",
			`objs.yaml:8: app infra: FlowSchema/health-for-strangers: field "spec.priorityLevelConfiguration.name": Required value: must reference a priority level`},
		{"flow schema URL without slash", flowSchema, "\"/livez\"", "livez",
			`field "spec.rules[0].nonResourceRules[0].nonResourceURLs[1]": Invalid value: "livez": must start with slash`},
		{"flow schema group of no name", flowSchema, "name: \"system:unauthenticated\"", "name: ''",
			`objs.yaml:20: app infra: FlowSchema/health-for-strangers: field "spec.rules[0].subjects[0].group.name": Required value`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(tc.doc, tc.from, tc.to, 1)
			if tc.from != "" && doc == tc.doc {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			errs := diag.Flatten(testEnv(t).Objects("infra", parse(t, "objs.yaml", doc)))
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("refused: %v", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("got %v, want one error containing %s", errs, tc.want)
			}
		})
	}
}

// TestIPAddressNames: an IPAddress is named by the address it allocates,
// which ValidateIPAddressName takes only in its canonical form.
func TestIPAddressNames(t *testing.T) {
	t.Parallel()
	const address = "apiVersion: networking.k8s.io/v1\nkind: IPAddress\nmetadata:\n  name: 2001:db8::1\nspec:\n" +
		"  parentRef: {group: \"\", resource: services, namespace: default, name: web}\n"
	e, err := schemas().Env("1.37.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"IPv6", "", "", ""},
		{"IPv4", "name: 2001:db8::1", "name: 192.0.2.10", ""},
		{"not an address", "name: 2001:db8::1", "name: not-an-ip",
			`objs.yaml:4: app infra: IPAddress/not-an-ip: field "metadata.name": Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`},
		{"IPv6 not in its canonical form", "name: 2001:db8::1", "name: 2001:0db8::1",
			`field "metadata.name": Invalid value: "2001:0db8::1": must be in canonical form ("2001:db8::1")`},
		{"IPv4 with a leading zero", "name: 2001:db8::1", "name: 192.0.2.010", `field "metadata.name": Invalid value: "192.0.2.010"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(address, tc.from, tc.to, 1)
			if tc.from != "" && doc == address {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			errs := diag.Flatten(e.Objects("infra", parse(t, "objs.yaml", doc)))
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("refused: %v", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("got %v, want one error containing %s", errs, tc.want)
			}
		})
	}
}

// TestClusterTrustBundleNames: a ClusterTrustBundle's name is checked as
// ValidateClusterTrustBundleName does for its signer (certificates.k8s.io/v1
// from 1.37), not as a DNS subdomain: a signer's bundle has ':' in its
// name.
func TestClusterTrustBundleNames(t *testing.T) {
	t.Parallel()
	// A signer's trust bundle, named as ValidateClusterTrustBundleName
	// requires: the signer name with ':' for '/', ':', a DNS subdomain.
	const bundle = "apiVersion: certificates.k8s.io/v1\nkind: ClusterTrustBundle\nmetadata:\n  name: example.com:mysigner:live\nspec:\n" +
		"  signerName: example.com/mysigner\n  trustBundle: |\n    -----BEGIN CERTIFICATE-----\n" +
		"    MIIBgzCCASmgAwIBAgIUIqpFvBp3MFik6kAKrYs2gR3rXiUwCgYIKoZIzj0EAwIw\n    FzEVMBMGA1UEAwwMZXhhbXBsZS1yb290MB4XDTI2MTIwNDE5MDcxOVoXDTM2MTIw\n" +
		"    MTE5MDcxOVowFzEVMBMGA1UEAwwMZXhhbXBsZS1yb290MFkwEwYHKoZIzj0CAQYI\n    KoZIzj0DAQcDQgAEANWAieJmX3kwwb00OQuO7M6v1GWpG8BvUKdj9qZncNUvsvWi\n" +
		"    hNue8AAVVrPLaWPBG44Sq7od1ocVVFU3G0EAsqNTMFEwHQYDVR0OBBYEFOy9H7Cc\n    Z4BK+BIH5Wi1CiiwfCPeMB8GA1UdIwQYMBaAFOy9H7CcZ4BK+BIH5Wi1CiiwfCPe\n" +
		"    MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgUwoE4BmvQW3XmJdE\n    fxGbe7mJzbSrADCHPU8LSo3qFHoCIQCWpl9UykazTMwhJF8E3bPP/W7Jd5MvcU16\n" +
		"    yqL6pSUEuQ==\n    -----END CERTIFICATE-----\n"
	e, err := schemas().Env("1.37.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"of a signer", "", "", ""},
		{"of no signer", "  signerName: example.com/mysigner\n", "",
			`field "metadata.name": Invalid value: "example.com:mysigner:live": ClusterTrustBundle without signer name must not have ":" in its name`},
		{"of no signer, a DNS subdomain", "  name: example.com:mysigner:live\nspec:\n  signerName: example.com/mysigner\n", "  name: live.example.com\nspec:\n", ""},
		{"named without its signer", "name: example.com:mysigner:live", "name: live",
			`field "metadata.name": Invalid value: "live": ClusterTrustBundle for signerName example.com/mysigner must be named with prefix example.com:mysigner:`},
		{"named with its signer's slash", "name: example.com:mysigner:live", "name: example.com/mysigner:live",
			`field "metadata.name": Invalid value: "example.com/mysigner:live": ClusterTrustBundle for signerName example.com/mysigner must be named with prefix example.com:mysigner:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(bundle, tc.from, tc.to, 1)
			if tc.from != "" && doc == bundle {
				t.Fatalf("mutation %q not applied", tc.from)
			}
			errs := diag.Flatten(e.Objects("infra", parse(t, "objs.yaml", doc)))
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("refused: %v", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("got %v, want one error containing %s", errs, tc.want)
			}
		})
	}
}
