local helm = import 'tkhelm.libsonnet';
helm.template('redis', './charts/redis')
