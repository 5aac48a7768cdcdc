// A function bound to a local and returned by name.
local k = import 'k.libsonnet';
local render(vars, env='none') = [
  k.configMap('vars-' + env, vars),
];
render
