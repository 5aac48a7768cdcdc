// A monitoring mixin's dashboards (bitnami-labs/sealed-secrets'
// contrib/prometheus-mixin): Grafana's JSON, no Kubernetes objects. One
// error for each dashboard, not one for each of its values.
{
  'controller.json': {
    title: 'Controller',
    editable: true,
    id: null,
    graphTooltip: 0,
    tags: [],
    annotations: { list: [{ builtIn: 1, enable: true, name: 'Annotations' }] },
    panels: [{ id: 1, type: 'graph', targets: [{ expr: 'up' }] }],
  },
}
