// Package ghactions speaks GitHub Actions' workflow commands for kiln:
// ::add-mask:: for secret values, ::error/::warning annotations on the
// offending file and line, step outputs in $GITHUB_OUTPUT and the job
// summary in $GITHUB_STEP_SUMMARY.
//
// It knows nothing about rendering or promotion: callers hand it errors,
// warnings and an EnvSummary. Start with FromEnv, which returns nil outside
// GitHub Actions; every method of a nil *Runner does nothing, so callers
// never need to check.
package ghactions
