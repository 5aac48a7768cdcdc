{
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'escape' },
  data: { smile: '\ud83d' },
}
