// A Tanka inline environment: Tanka applies its data; kiln refuses it
// rather than write the Environment as an object.
local cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } };
{
  apiVersion: 'tanka.dev/v1alpha1',
  kind: 'Environment',
  metadata: { name: 'default' },
  spec: { apiServer: 'https://127.0.0.1:6443', namespace: 'monitoring' },
  data: { config: cm },
}
