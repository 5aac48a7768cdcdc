package diag

import "strings"

// YAMLSyntaxHint is the hint for a YAML syntax error at a line: of yaml.v3,
// which kiln and Flux's kustomize build read objects with, or of yaml.v2,
// which Helm reads values with.
func YAMLSyntaxHint(err error) string {
	if YAMLUnknownEscape(err) {
		// A regular expression in double quotes ("^app1\/.+$", "\d+", as
		// external-secrets' own docs write one) is the usual cause, and
		// nothing in the generic hint points at the backslash.
		return "in double quotes a backslash starts an escape, and YAML has none for the character after it (a regular expression's \\d, \\. or \\/): " +
			"write the string in single quotes, where a backslash is itself, or double the backslash (\\\\d)"
	}
	if strings.Contains(err.Error(), "found incompatible YAML document") {
		// yaml.v3, kiln's reader and kustomize's in Flux, refuses
		// `%YAML 1.2`, the version the YAML test suite and editors write.
		return "the YAML reader of kiln and of kustomize (so Flux) accepts no %YAML directive but %YAML 1.1: remove the %YAML line"
	}
	return "fix the YAML syntax (indentation, a missing \": \", an unclosed quote or bracket) at this line or the one before"
}

// YAMLUnknownEscape reports whether err is a YAML decoder's refusal of a
// backslash escape YAML does not have. A caller with a hint of its own for
// other decoding errors gives it YAMLSyntaxHint's: yaml.v2 names no line
// for it, so it does not read as a syntax error at a line.
func YAMLUnknownEscape(err error) bool {
	return strings.Contains(err.Error(), "found unknown escape character")
}
