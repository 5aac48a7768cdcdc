// Package images puts the image tags CI built into rendered objects.
//
// A Set holds the references given by --images, --image and KILN_IMAGES,
// keyed by normalised repository (redis, docker.io/library/redis and
// index.docker.io/library/redis are one repository). Set.Apply rewrites the
// tag or digest of every matching container image, keeping the manifest's own
// spelling of the repository; it never adds or removes containers. Start with
// ParseFile, ParseList or Add, then Apply and Unused.
package images
