local defaults = {
  local defaults = self,
  namespace: 'default',
  version: '7.5.10',
  image: 'docker.io/grafana/grafana:' + defaults.version,
  commonLabels:: {
    'app.kubernetes.io/name': 'grafana',
    'app.kubernetes.io/version': defaults.version,
    'app.kubernetes.io/component': 'grafana',
  },
  selectorLabels:: {
    [labelName]: defaults.commonLabels[labelName]
    for labelName in std.objectFields(defaults.commonLabels)
    if !std.setMember(labelName, ['app.kubernetes.io/version'])
  },
  replicas: 1,
  port: 3000,
  resources: {
    requests: { cpu: '100m', memory: '100Mi' },
    limits: { cpu: '200m', memory: '200Mi' },
  },

  dashboards: {},
  rawDashboards: {},
  folderDashboards: {},
  folderUidGenerator(folder): '',
  datasources: [{
    name: 'prometheus',
    type: 'prometheus',
    access: 'proxy',
    orgId: 1,
    url: 'http://prometheus-k8s.' + defaults.namespace + '.svc:9090',
    version: 1,
    editable: false,
  }],
  // Forces pod restarts when dashboards are changed
  dashboardsChecksum: false,
  config: {
    sections: {
      date_formats: { default_timezone: 'UTC' },
    },
  },
  ldap: null,
  plugins: [],
  env: [],
  containers: [],
};

function(params) {
  local g = self,
  _config:: defaults + params,
  _metadata:: {
    name: 'grafana',
    namespace: g._config.namespace,
    labels: g._config.commonLabels,
  },

  serviceAccount: {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: g._metadata,
    automountServiceAccountToken: 'false',
  },

  service: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: g._metadata,
    spec: {
      selector: g._config.selectorLabels,
      ports: [
        { name: 'http', targetPort: 'http', port: 3000 },
      ],
    },
  },
}
