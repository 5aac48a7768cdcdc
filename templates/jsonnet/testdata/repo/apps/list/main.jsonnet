// An array: each element is flattened, nested arrays too, nulls dropped.
local k = import 'k.libsonnet';
[
  k.service('worker', 9000),
  [
    k.configMap('worker-a', { a: '1' }),
    null,
    [k.configMap('worker-b', { b: '2' })],
  ],
  { nested: k.configMap('worker-c', {}) },
]
