// Package envsubst replaces ${VAR} placeholders the way Flux's
// postBuild.substitute does, for kiln's plain YAML engine.
//
// Expressions are evaluated by github.com/fluxcd/pkg/envsubst, the package
// kustomize-controller uses, so ${NAME:=default}, ${NAME/a/b}, ${NAME:0:2}
// and the $$ escape mean what they mean to Flux; this package adds the
// file:line of every problem, reports all of them together, and never
// puts a variable's value into an error, because values may be secrets.
// Start with Substitute, the text substitution, or SubstituteYAML, which
// the yaml engine uses: it also gives a quoted placeholder the value as
// it is and refuses values a plain scalar would silently cut. Redact
// scrubs values out of other engines' messages.
package envsubst
