// A kind: List stands for its items.
local k = import 'k.libsonnet';
{
  apiVersion: 'v1',
  kind: 'List',
  items: [
    k.configMap('one', {}),
    k.service('two', 80),
  ],
}
