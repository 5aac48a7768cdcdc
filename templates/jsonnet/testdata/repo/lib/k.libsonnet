// A tiny Kubernetes helper library, found through the jpath.
local util = import 'util.libsonnet';  // only in vendor/: the jpath is searched in order

{
  deployment(name, image, replicas=1, env={}):: {
    assert replicas > 0 : 'replicas must be positive, got %d' % replicas,
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: name, labels: util.labels(name) },
    spec: {
      replicas: replicas,
      selector: { matchLabels: util.labels(name) },
      template: {
        metadata: { labels: util.labels(name) },
        spec: {
          containers: [{
            name: name,
            image: image,
            env: [{ name: k, value: env[k] } for k in std.objectFields(env)],
          }],
        },
      },
    },
  },

  service(name, port):: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: name, labels: util.labels(name) },
    spec: {
      selector: util.labels(name),
      ports: [{ port: port, targetPort: port }],
    },
  },

  configMap(name, data):: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: name },
    data: data,
  },

  // Fails on purpose, to test how errors are reported.
  mustBePositive(n):: if n > 0 then n else error 'replicas must be positive, got ' + n,
}
