// Package securefs is a read-only kustomize file system confined to the
// repository root.
//
// FS implements sigs.k8s.io/kustomize/kyaml/filesys.FileSystem over the real
// disk. Every path is resolved with rootfs.Resolve (symlinks included) and
// refused when it leads outside the root; every write is refused; every
// regular file read is recorded so the caller can report its inputs, and
// every observation (reads, lookups that found nothing, listings, where
// symlinks led) is recorded for kiln's render cache (FS.Deps). It does
// not decide what kustomize may load (load restrictions, remote bases): the
// kustomize engine does. Start with New.
package securefs
