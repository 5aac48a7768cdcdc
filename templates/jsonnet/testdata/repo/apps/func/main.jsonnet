// A function: kiln passes env and images as top-level arguments, and not
// vars, which this function does not declare.
function(env, images={}, replicas=2)
  local k = import 'k.libsonnet';
  k.deployment('vote-' + env, images['ghcr.io/acme/vote'], replicas=replicas)
