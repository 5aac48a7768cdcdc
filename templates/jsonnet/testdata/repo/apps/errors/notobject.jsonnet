local k = import 'k.libsonnet';
{
  deployment: k.configMap('fine', {}),
  config: { port: 8080, name: 'x', enabled: true },
  list: ['a', k.configMap('also-fine', {})],
  half: { kind: 'Service', metadata: { name: 'x' } },
  noname: { apiVersion: 'v1', kind: 'ConfigMap' },
  'odd key': 1.5,
}
