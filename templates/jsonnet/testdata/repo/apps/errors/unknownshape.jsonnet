// The value is a field holding a function: the syntax tree does not say
// which parameters it has, so kiln passes env, vars and images.
local k = {
  configMap(env):: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c-' + env } },
};
k.configMap
