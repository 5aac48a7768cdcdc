// The file's value is an import: only evaluation can tell it is a
// function, so kiln passes all three top-level arguments.
import 'fn.libsonnet'
