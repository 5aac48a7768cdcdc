// Package secretgate is the plain-secret gate: it refuses a rendered
// object that holds a secret var's value, in any form package redact
// knows (raw, escaped, base64, hex, URL-encoded, a digest, a line of a
// multi-line value), anywhere but where a Permit allows.
//
// It looks twice at each object: at the YAML kiln writes (so comments and
// escaped spellings are covered) and at every decoded scalar, key or value
// (so a value is found whole whatever style or line folding an emitter
// gives it, and the error can name the field), and at every list of byte
// values as the string it spells (jsonnet's std.encodeUTF8 of a secret
// value). A
// Permit names objects whose Secret data may hold values: PlainSecrets for
// an env with allowPlainSecrets: true; SOPS encryption can add its own.
// Start with Object.
package secretgate
