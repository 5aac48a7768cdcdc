package envconfig

import "testing"

// TestManifestsDirRefusesGitInAnyCase: on a case-insensitive file system
// (macOS, Windows) .GIT or .Git is the clone's .git folder, which promote
// would replace a folder of.
func TestManifestsDirRefusesGitInAnyCase(t *testing.T) {
	t.Parallel()
	for _, p := range []string{".git/{env}", ".GIT/objects", "clusters/.Git/{env}", "{env}/.gIT"} {
		if dir, err := ManifestsDir(p, "dev"); err == nil {
			t.Errorf("ManifestsDir(%q) = %q, want an error", p, dir)
		}
	}
	for _, p := range []string{"clusters/{env}", ".github-not/{env}", "git/{env}", ".gitops/{env}"} {
		if _, err := ManifestsDir(p, "dev"); err != nil {
			t.Errorf("ManifestsDir(%q): %v", p, err)
		}
	}
}
