package envconfig

import (
	"path"
	"strings"
)

// sourceIgnorePatterns are the ignore rules source-controller applies to
// every artifact it serves unless the source re-includes a path
// (github.com/fluxcd/pkg/sourceignore: ExcludeVCS, ExcludeExt, ExcludeCI,
// ExcludeExtra). None has an inner slash, so gitignore matches each at any
// depth; with no trailing slash it matches a folder as well as a file.
var sourceIgnorePatterns = []string{
	".git/", ".gitignore", ".gitmodules", ".gitattributes",
	"*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
	".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml", "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
	"**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
}

// sourceIgnored returns the folder of dir (a clean slash path of folders)
// that source-controller leaves out of its artifact with everything below
// it, and the pattern that drops it; "" when none does. It matches case by
// case, as source-controller does on Linux.
func sourceIgnored(dir string) (folder, pattern string) {
	for _, seg := range strings.Split(dir, "/") {
		for _, p := range sourceIgnorePatterns {
			if ok, _ := path.Match(strings.TrimSuffix(strings.TrimPrefix(p, "**/"), "/"), seg); ok {
				return seg, p
			}
		}
	}
	return "", ""
}
