// Package cache keeps engine results on disk between kiln runs, so that an
// app whose inputs are unchanged is not rendered again.
//
// An entry is found by a key over everything the engine was asked (Key: the
// whole templates.Request, the engine's name and the build of kiln that
// rendered it), and trusted only when every observation the engine recorded
// (templates.Result.Deps: files read, folders listed, lookups that found
// nothing, symlinks resolved) gives the same answer today. Package render
// makes that check; this package stores, finds and refuses entries.
//
// A wrong hit is the worst bug a cache can have, so the rules lean one way:
// an entry that is truncated, corrupt, of another format or another build is
// ignored and rewritten, never trusted; an engine result that is not marked
// Cacheable, that read a secret value or that holds a plaintext Secret is
// never stored (the folder is meant to be shared through actions/cache, so
// it must hold nothing a repository reader could not see). docs/cache.md
// says what users can rely on.
package cache
