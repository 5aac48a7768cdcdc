// Package shape declares the keys and value types of kiln.yaml and of the
// environment files as Go types. envconfig's parser takes its lists of valid
// keys, its enums and its patterns from here, and the JSON Schema that
// editors use (docs/schemas/kiln.schema.json, env.schema.json) is generated
// from these types by envconfig/internal/schemagen, so the two cannot name
// different keys. The types are never filled: the parser walks yaml.v3 nodes
// to keep every line number. Start with Pipeline and EnvFile.
package shape
