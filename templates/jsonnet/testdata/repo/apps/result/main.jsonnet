// An object of objects, rendered with the ext vars env, vars and images.
local k = import 'k.libsonnet';
local config = import './config.libsonnet';

local env = std.extVar('env');
local vars = std.extVar('vars');
local images = std.extVar('images');

{
  deployment: k.deployment(
    'result',
    images['ghcr.io/acme/result'],
    replicas=config.replicas[env],
    env={ LOG_LEVEL: vars.LOG_LEVEL, DB_HOST: vars.DB_HOST },
  ),
  service: k.service('result', config.port),
  // Nested objects are flattened too, in key order.
  config: {
    nginx: k.configMap('result-nginx', { 'nginx.conf': importstr 'nginx.conf' }),
    flags: k.configMap('result-flags', {
      enabled: 'true',  // a string that looks like a boolean stays a string
      ratio: '0.5',
      count: std.toString(3),
      'odd key': 'x',
    }) + { metadata+: { annotations: { 'kiln.dev/env': env, replicas: 2, float: 1.5, on: true, off: null } } },
  },
  // Null stands for nothing: a disabled part.
  [if env == 'prod' then 'pdb']: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'result' } },
  debug: if env == 'dev' then null else k.configMap('result-debug', {}),
}
