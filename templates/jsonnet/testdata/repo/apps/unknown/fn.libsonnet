function(env, vars, images) {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'from-' + env },
  data: { images: std.toString(std.length(images)), level: vars.LOG_LEVEL },
}
