[
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token' }, stringData: { a: 'x' } },
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token' }, stringData: { a: 'y' } },
]
