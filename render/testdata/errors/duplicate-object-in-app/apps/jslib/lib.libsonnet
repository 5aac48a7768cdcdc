local configMap(name) = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: name } };
{
  app(name):: {
    web: { config: configMap(name) },
    worker: { config: configMap(name) },
    // The plain app's ConfigMap too.
    shared: configMap('settings'),
  },
}
