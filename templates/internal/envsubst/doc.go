// Package envsubst replaces ${VAR} placeholders the way Flux's
// postBuild.substitute does, for kiln's plain YAML engine.
//
// It understands ${NAME}, ${NAME:=default} and the $${...} escape, and
// nothing else: no $NAME, no other shell expansions. It never puts a
// variable's value into an error, because values may be secrets. Start
// with Substitute; Redact scrubs values out of other engines' messages.
package envsubst
