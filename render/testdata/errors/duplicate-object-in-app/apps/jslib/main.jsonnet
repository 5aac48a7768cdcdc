// Both objects come from one function of a library: they share the
// main file and its line, and only their place in the output differs.
(import 'lib.libsonnet').app('config')
