package gitrepo_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/promote/internal/gitrepo"
	"github.com/kiln-gitops/kiln/promote/internal/gittest"
)

// TestRefusal: what git says when a remote refuses a fetch for good (the
// credentials, a repository gone) is told from the network or the host
// failing for a while, which asking again may mend, by real git against
// real remotes: a folder, an HTTP server, and an ssh whose answers are
// those of a host (git runs it, and prints what it prints).
func TestRefusal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const token = "ghs_refused-T0KEN"

	root := t.TempDir()
	remote := filepath.Join(root, "m.git")
	gittest.Git(t, root, "init", "-q", "--bare", "--initial-branch=main", remote)
	gittest.Commit(t, remote, "main", map[string]string{"README.md": "hi\n"}, "seed")
	// The server answers a path /<status>/… with that status, as a git
	// host refusing or failing, and the rest as git does.
	srvURL := gittest.HTTP(t, root, func(w http.ResponseWriter, r *http.Request) bool {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		code, err := strconv.Atoi(first)
		if err != nil {
			return false
		}
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		}
		// What a host's error page says is no refusal of git's.
		http.Error(w, "fatal: repository 'x' not found", code)
		return true
	})
	answering := func(code int) string { return srvURL + "/" + strconv.Itoa(code) + "/m.git" }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/m.git"
	ln.Close()

	// ssh answers as a host does, without a network.
	ssh := func(stderr string, code string) []string {
		script := filepath.Join(t.TempDir(), "ssh")
		if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' '"+stderr+"' >&2\nexit "+code+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return append(gittest.Env(), "GIT_SSH_COMMAND="+script)
	}
	helper := userEnv(t, "[credential]\n\thelper = \"!f() { test \\\"$1\\\" = get && printf 'username=alice\\\\npassword=helper-pa55word\\\\n'; }; f\"\n")

	for i, tc := range []struct {
		name   string
		remote string
		opts   gitrepo.Options
		// gone, if set, names the remote of a repository of the case's
		// own, in root, by its name there: it is removed once fetched.
		gone func(name string) string
		want error
		says string
	}{
		{name: "a folder removed", gone: func(name string) string { return filepath.Join(root, name) }, want: gitrepo.ErrNoRepository, says: "does not appear to be a git repository"},
		{name: "a file URL whose folder is removed", gone: func(name string) string { return "file://" + filepath.Join(root, name) }, want: gitrepo.ErrNoRepository, says: "does not appear to be a git repository"},
		{name: "HTTP, the repository removed", opts: gitrepo.Options{Token: token}, gone: func(name string) string { return srvURL + "/" + name }, want: gitrepo.ErrNoRepository, says: "not found"},
		{name: "HTTP 404", remote: answering(http.StatusNotFound), opts: gitrepo.Options{Token: token}, want: gitrepo.ErrNoRepository, says: "not found"},
		{name: "HTTP 401, the token expired", remote: answering(http.StatusUnauthorized), opts: gitrepo.Options{Token: token}, want: gitrepo.ErrDenied, says: "could not read Username"},
		{name: "HTTP 401, a credential helper's password", remote: answering(http.StatusUnauthorized), opts: gitrepo.Options{UserConfig: true, Env: helper}, want: gitrepo.ErrDenied, says: "Authentication failed"},
		{name: "HTTP 403", remote: answering(http.StatusForbidden), opts: gitrepo.Options{Token: token}, want: gitrepo.ErrDenied, says: "returned error: 403"},
		{name: "ssh, a key the host does not know", remote: "ssh://git@github.com/acme/m.git", opts: gitrepo.Options{Env: ssh("git@github.com: Permission denied (publickey).", "255")}, want: gitrepo.ErrDenied, says: "Permission denied (publickey)"},
		{name: "ssh, GitHub's repository not found", remote: "git@github.com:acme/m.git", opts: gitrepo.Options{Env: ssh("ERROR: Repository not found.", "1")}, want: gitrepo.ErrNoRepository, says: "Repository not found"},
		// Passing trouble, though git follows some with "Please make
		// sure you have the correct access rights and the repository
		// exists".
		{name: "HTTP 502", remote: answering(http.StatusBadGateway), opts: gitrepo.Options{Token: token}, says: "returned error: 502"},
		{name: "HTTP 503", remote: answering(http.StatusServiceUnavailable), opts: gitrepo.Options{Token: token}, says: "returned error: 503"},
		{name: "HTTP, connection refused", remote: refused, opts: gitrepo.Options{Token: token}, says: "Failed to connect"},
		{name: "ssh, connection refused", remote: "ssh://git@github.com/acme/m.git", opts: gitrepo.Options{Env: ssh("ssh: connect to host github.com port 22: Connection refused", "255")}, says: "Could not read from remote repository"},
		{name: "ssh, connection reset", remote: "ssh://git@github.com/acme/m.git", opts: gitrepo.Options{Env: ssh("Connection reset by 140.82.121.4 port 22", "255")}, says: "Connection reset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.gone == nil {
				checkRefusal(t, clone(t, tc.remote, tc.opts), tc.want, tc.says, token)
				return
			}
			name := fmt.Sprintf("gone%d.git", i)
			gittest.Git(t, root, "clone", "-q", "--bare", remote, name)
			r := clone(t, tc.gone(name), tc.opts)
			if _, err := r.Fetch(ctx, "main"); err != nil {
				t.Fatalf("the first fetch: %v", err)
			}
			if err := os.RemoveAll(filepath.Join(root, name)); err != nil {
				t.Fatal(err)
			}
			checkRefusal(t, r, tc.want, tc.says, token)
		})
	}
}

// checkRefusal fetches with r and checks that git's failure is want (nil:
// no refusal), says says, and holds no token.
func checkRefusal(t *testing.T, r *gitrepo.Repo, want error, says, token string) {
	t.Helper()
	_, err := r.Fetch(context.Background(), "main")
	var ge *gitrepo.Error
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a git error", err)
	}
	for _, refusal := range []error{gitrepo.ErrDenied, gitrepo.ErrNoRepository} {
		if got := errors.Is(err, refusal); got != (refusal == want) {
			t.Errorf("errors.Is(err, %q) = %v; err = %v", refusal, got, err)
		}
	}
	if !strings.Contains(err.Error(), says) {
		t.Errorf("err = %v, want git's %q", err, says)
	}
	for _, secret := range []string{token, base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token)), "helper-pa55word"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows a credential: %v", err)
		}
	}
}

// TestQueryTokenStaysSecret: git drops a remote URL's password from what
// it prints but not its query, where a host may take a token; kiln
// neither prints it nor names the remote with it.
func TestQueryTokenStaysSecret(t *testing.T) {
	t.Parallel()
	const token = "glpat-Qu3ry-T0KEN"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/m.git?private_token=" + token
	ln.Close()
	r := clone(t, refused, gitrepo.Options{})
	_, err = r.Fetch(context.Background(), "main")
	if err == nil || !strings.Contains(err.Error(), "Failed to connect") {
		t.Fatalf("err = %v, want git's connection refused", err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(r.Remote, token) {
		t.Errorf("the query's token shows: %v (remote %s)", err, r.Remote)
	}
}
