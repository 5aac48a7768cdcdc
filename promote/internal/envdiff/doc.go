// Package envdiff pairs the objects of two environments' rendered trees,
// for kiln diff --against-env: each object of one env with its
// counterpart in the other, although the envs put them in different
// namespaces and kiln names their Flux objects after each env.
//
// Objects reads an env tree's objects (apps/<app>/ and flux/); an Aligner,
// built from what kiln derived from each env (render.EnvNames), rewrites
// the env-derived values of the other env's objects into this env's terms;
// Match pairs the objects. It neither masks secret values nor prints
// diffs: package promote does, on what Match returns.
package envdiff
