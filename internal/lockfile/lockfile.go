// Package lockfile is kiln.lock.json, the file beside each env's tree that
// says what the tree was rendered from: kiln's version, the code commit,
// CI's images and each app's digests. render writes it; promote reads it
// for the pull request body, the gate and verify. It is a package of its
// own so that what only reads a lock links none of render's engines.
package lockfile

import (
	"encoding/json"
	"fmt"
)

// Lock is kiln.lock.json. It has no timestamps, so an unchanged render
// leaves it unchanged.
type Lock struct {
	KilnVersion string `json:"kilnVersion"`
	Env         string `json:"env"`
	Source      Source `json:"source"`
	// Images are the image references CI gave, by normalised repository.
	Images map[string]string `json:"images"`
	// Apps by name.
	Apps map[string]App `json:"apps"`
}

// App is one app's entry in kiln.lock.json.
type App struct {
	Engine       string `json:"engine"`
	InputDigest  string `json:"inputDigest"`
	OutputDigest string `json:"outputDigest"`
	Objects      int    `json:"objects"`
	// Images are the container images in the app's output, sorted.
	Images []string `json:"images,omitempty"`
}

// Source is the code a render came from.
type Source struct {
	// Repo is the code repository's URL (credentials removed), or "".
	Repo string `json:"repo,omitempty"`
	// Commit is the checked-out commit, or "".
	Commit string `json:"commit,omitempty"`
	// Dirty is true when the working tree had changes that Commit does not
	// hold (tracked files changed, or files git does not ignore added):
	// then no commit renders this tree, and kiln promote refuses it unless
	// told otherwise.
	Dirty bool `json:"dirty,omitempty"`
}

// Parse reads a kiln.lock.json.
func Parse(data []byte) (*Lock, error) {
	var l Lock
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("parsing kiln.lock.json: %w", err)
	}
	return &l, nil
}
