package gitinfo

import "testing"

func TestSameRepo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://github.com/acme/shop", "https://github.com/acme/shop.git", true},
		{"https://github.com/acme/shop", "git@github.com:acme/shop.git", true},
		{"https://github.com/acme/shop", "ssh://git@github.com/acme/shop", true},
		{"https://github.com/acme/shop", "ssh://git@github.com:22/Acme/Shop.git/", true},
		{"https://github.com/acme/shop", "https://GitHub.com/ACME/shop/", true},
		{"/srv/git/shop.git", "/srv/git/shop", true},
		{"", "", true},
		{"https://github.com/acme/shop", "https://github.com/acme/shop-2", false},
		{"https://github.com/acme/shop", "https://github.com/other/shop", false},
		{"https://github.com/acme/shop", "git@github.com-work:acme/shop.git", true},
		{"https://github.com/acme/shop", "ssh://git@ssh.github.com:443/acme/shop.git", true},
		{"https://github.com/acme/shop", "gh:acme/shop", true},
		{"file:///srv/git/shop.git", "/srv/git/shop.git", true},
		{"https://github.com/acme/shop", "https://github.com/acme/shop-api", false},
		{"https://github.com/acme/shop", "", false},
		{"/srv/git/shop", "/srv/git/other", false},
		// A clone of a work tree's git folder, and its file:// URL.
		{"/srv/git/shop", "/srv/git/shop/.git", true},
		{"/srv/git/shop", "file:///srv/git/shop/.git/", true},
		{"https://github.com/acme/shop", "https://github.com/acme/Shop.GIT", true},
		// Azure DevOps: https has _git before the name, ssh a v3/
		// and the organisation before the project.
		{"https://dev.azure.com/acme/shop/_git/web", "git@ssh.dev.azure.com:v3/acme/shop/web", true},
		{"https://acme.visualstudio.com/shop/_git/web", "acme@vs-ssh.visualstudio.com:v3/acme/shop/web", true},
		{"https://dev.azure.com/acme/shop/_git/web", "git@ssh.dev.azure.com:v3/acme/shop/api", false},
	} {
		if got := SameRepo(tc.a, tc.b); got != tc.same {
			t.Errorf("SameRepo(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
