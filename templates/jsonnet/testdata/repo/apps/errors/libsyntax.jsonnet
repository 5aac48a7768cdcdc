local bad = import 'broken.libsonnet';
bad
