// Small constructors for the objects instavote's jsonnet apps need.
// The namespace is left out: kiln sets the app's namespace.
{
  labels(name):: {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/part-of': 'instavote',
  },

  // A one-container Deployment; env is an object of name -> value.
  deployment(name, image, replicas=1, port=80, env={}, resources={}):: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: name,
      labels: $.labels(name),
    },
    spec: {
      replicas: replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels: $.labels(name) },
        spec: {
          containers: [{
            name: name,
            image: image,
            env: [{ name: k, value: env[k] } for k in std.objectFields(env)],
            ports: [{ name: 'http', containerPort: port }],
            readinessProbe: { httpGet: { path: '/', port: 'http' } },
            resources: resources,
          }],
        },
      },
    },
  },

  // A ClusterIP Service in front of the Deployment of the same name.
  service(name, port=80):: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: name,
      labels: $.labels(name),
    },
    spec: {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': name },
      ports: [{ name: 'http', port: port, targetPort: 'http' }],
    },
  },
}
