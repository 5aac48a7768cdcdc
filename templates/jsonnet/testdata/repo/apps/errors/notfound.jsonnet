local lib = import 'nope.libsonnet';
lib
