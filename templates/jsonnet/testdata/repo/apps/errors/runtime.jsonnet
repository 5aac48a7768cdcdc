local k = import 'k.libsonnet';
local replicas = std.parseInt(std.extVar('vars').REPLICAS);

k.deployment('x', 'nginx', replicas=k.mustBePositive(replicas))
