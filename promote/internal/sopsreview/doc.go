// Package sopsreview shows a SOPS-encrypted document to reviewers: which of
// its values were added, removed, changed or left as they were, and never a
// value or its ciphertext (whose randomised bytes would be noise in every
// diff). With an age key that decrypts both sides the values are compared
// by plaintext; without one, by ciphertext only, and the document says so.
// kiln diff, the pull request body and the job summary all show what
// Pair returns. Start at Pair.
package sopsreview
