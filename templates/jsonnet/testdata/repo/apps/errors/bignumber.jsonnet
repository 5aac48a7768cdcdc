// 1e21 has no 64-bit integer form: the error names where it is.
{
  apps: [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fine' } },
    {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'big' },
      spec: { sizes: [1, 1e21] },
    },
  ],
}
