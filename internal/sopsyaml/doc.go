// Package sopsyaml encrypts Kubernetes objects into SOPS-encrypted YAML
// documents and decrypts them again, in the format the sops program and
// Flux's kustomize-controller read (AES256-GCM values, a SHA-512 MAC over
// every value, the data key wrapped for age or PGP recipients).
//
// It does not import sops's core package: that one imports sops's key
// service, which links every cloud KMS client (AWS, GCP, Azure, Vault) and
// gRPC into the binary. The value and MAC scheme is small and fixed, so this
// package writes it itself and uses sops's own age and pgp packages only to
// wrap and unwrap the data key. Its tests decrypt what it writes with the
// sops library the way kustomize-controller does, so a drift from the
// format fails them.
//
// Start at Encrypt and Decrypt; Equal compares two documents by plaintext.
package sopsyaml
