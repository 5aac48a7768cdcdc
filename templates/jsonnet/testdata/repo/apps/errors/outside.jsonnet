local lib = import '../../../outside.libsonnet';
lib
