// Shadowed by lib/k.libsonnet, which comes first in the jpath.
error 'vendor/k.libsonnet must not be imported: lib/ comes first in the jpath'
