// Package envconfig reads kiln.yaml and the per-environment files
// (envs/<env>.yaml) strictly, and resolves one environment's effective list
// of apps. Every problem becomes a *diag.Error with file and line: unknown
// keys (with "did you mean"), wrong types, bad values, all reported together.
// It does not render, check dependsOn targets or cycles, or read the process
// environment: start with Load, then Pipeline.LoadEnvFile and Pipeline.Resolve.
package envconfig
