package gitrepo

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kiln-gitops/kiln/internal/gitinfo"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/internal/rootfs"
)

// Identity is a commit author and committer.
type Identity struct {
	Name, Email string
}

// DefaultIdentity is who kiln's commits are by unless Options say otherwise:
// a noreply address, so that no real mailbox is involved.
var DefaultIdentity = Identity{Name: "kiln", Email: "kiln@users.noreply.github.com"}

// Options configure how git runs.
type Options struct {
	// Token authenticates HTTP(S) remotes. It is sent as an HTTP
	// Authorization header to the remote's host only, through GIT_CONFIG_*
	// environment variables. Empty: a token in the remote URL's user info
	// is used instead (and removed from the URL), else none.
	Token string
	// Identity authors and commits; zero means DefaultIdentity.
	Identity Identity
	// Env is the environment git starts from, as "KEY=VALUE" (PATH, HOME,
	// SSH_AUTH_SOCK, proxies; tests add GIT_AUTHOR_DATE and
	// GIT_COMMITTER_DATE). kiln overrides what would let user or system
	// configuration, prompts or identity leak in.
	Env []string
	// Git is the git program; "" means "git" from PATH.
	Git string
	// UserConfig lets the user's own git configuration apply (system,
	// global and XDG files, GIT_CONFIG_GLOBAL/SYSTEM/NOSYSTEM and
	// GIT_CONFIG_COUNT entries in Env, askpass helpers): url.insteadOf,
	// credential helpers, core.sshCommand, proxies and CAs, as the user's
	// git would use them. It is for reading a repository on a person's
	// machine; it is ignored whenever a token is at hand (Token or one in
	// the remote URL), because a user setting could then send the token
	// elsewhere or answer in its place. kiln's own settings (no hooks, no
	// line-ending conversion, no prompts on the terminal, identity) still
	// win.
	UserConfig bool
	// StallTime is how long an HTTP transfer may move less than a byte a
	// second before git gives it up (http.lowSpeedTime); 0 is
	// DefaultStallTime. A connection the network dropped without a word
	// (a NAT or firewall forgetting it) otherwise hangs git for good, and
	// with it a push, which an interrupt does not stop.
	StallTime time.Duration
}

// DefaultStallTime is Options.StallTime's default: far longer than any
// pause of a git host that is working (it sends a keepalive every few
// seconds while its hooks run).
const DefaultStallTime = 5 * time.Minute

// ErrNonFastForward is the cause of a push the remote refused because the
// branch moved on meanwhile.
var ErrNonFastForward = errors.New("the remote branch has commits this push does not contain")

// ErrNoAnswer is the cause of a push after which git heard nothing from
// the remote about the branch: the connection failed (dropped, timed out,
// a proxy's error) before the remote's report. The remote may have moved
// the branch all the same.
var ErrNoAnswer = errors.New("the connection failed before the remote said whether it took the push")

// ErrRefLocked is the cause of a push the remote did not make because the
// branch's lock file was there: another push to the branch held it at
// that moment (git waits 100 ms for it), or a git of the remote crashed
// and left it, which fails every push until someone removes it. Which of
// the two, only running again tells.
var ErrRefLocked = errors.New("the remote found the branch's lock file taken")

// ErrDenied is the cause of a command the remote refused the credentials
// of: none where it asks for some, or ones it does not take (an expired
// or revoked token, one without access, an SSH key it does not know).
// Asking again with the same credentials does not mend it.
var ErrDenied = errors.New("the remote refused the credentials")

// ErrNoRepository is the cause of a command that found no repository
// where the remote points: deleted, renamed or moved, or, on hosts that
// answer so for a private repository the credentials may not read (GitHub,
// GitLab), hidden from them. Asking again does not mend it.
var ErrNoRepository = errors.New("no repository where the remote points")

// Error is a failed git command. Its message is git's own (the last lines
// of its stderr), with every credential masked.
type Error struct {
	// Op is the git subcommand, such as "fetch".
	Op string
	// Msg is git's message, credentials masked.
	Msg string
	// Err is the cause: an *exec.ExitError, a context error,
	// ErrNonFastForward, or ErrDenied or ErrNoRepository when git's message
	// says so.
	Err error

	// stderr is all git said, credentials masked.
	stderr string
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("git %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("git %s: %s", e.Op, e.Msg)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Repo is a local clone of one remote, in a folder the caller owns.
type Repo struct {
	// Dir is the work tree.
	Dir string
	// Remote is the remote as shown to people: credentials removed.
	Remote string

	git     string
	env     []string
	secrets []string

	// tracking is refs/remotes/origin/* (branch → commit) as kiln's own
	// commands last left them, and born whether HEAD names a commit (with
	// bornKnown): each saves a git process where a promotion would ask
	// again. run forgets both before any command that may change a ref;
	// nothing but Repo's methods runs git in the clone.
	tracking        map[string]string
	born, bornKnown bool
	// worktreeClean is true while the work tree holds nothing git does
	// not track: a fresh clone's, and a checkout's until ReplaceDir
	// writes. Checkout skips git clean then.
	worktreeClean bool
	// objects remembers what git said of objects named by their full
	// hash, which never change: a promotion reads the same commit's
	// listing and files more than once.
	objects objectMemo
}

// objectMemo holds answers about immutable objects (keyed by the command
// that asked), up to a total size: commit headers, tree listings, blobs.
type objectMemo struct {
	infos    map[string]CommitInfo
	listings map[string][]treeEntry
	blobs    map[string][]byte
	size     int
}

// memoBudget bounds objectMemo's size (bytes of blobs and listings): a
// promotion's trees are far smaller, and a huge repository's stays bounded.
const memoBudget = 64 << 20

// remember keeps v under key in *into when its size n fits the memo's
// budget, and counts it.
func remember[V any](m *objectMemo, into *map[string]V, key string, v V, n int) {
	if m.size+n > memoBudget {
		return
	}
	m.size += n
	if *into == nil {
		*into = map[string]V{}
	}
	(*into)[key] = v
}

// remoteName is what kiln's git commands call the remote. Not origin: a
// remote's url and fetch settings add up over every configuration file,
// and with UserConfig a remote.origin.url of the user's (global, or a
// GIT_CONFIG_COUNT entry) would come before kiln's, so git would fetch
// from the user's repository and push to both. Its remote-tracking refs
// are refs/remotes/origin/* all the same.
const remoteName = "kiln-manifests"

// Remote is a parsed remote location.
type Remote struct {
	// URL is what git fetches from: a URL without credentials or an
	// absolute local path.
	URL string
	// User is the user info the URL carried, if any.
	User *url.Userinfo
	// HTTP is true for http and https URLs, which take a token.
	HTTP bool
}

// IsURL reports whether remote is a URL to git rather than a local path:
// it has a scheme (https://, ssh://, file://…) or is scp-like, as git
// decides: a colon with no slash before it (user@host:path, host:path, or
// an alias a url.<base>.insteadOf rule rewrites, such as gh:acme/m).
func IsURL(remote string) bool {
	if strings.Contains(remote, "://") {
		return true
	}
	i := strings.IndexByte(remote, ':')
	if i <= 0 || strings.ContainsAny(remote[:i], `/\`) {
		return false
	}
	// C:\path and C:/path are drive letters on Windows, where git takes
	// them for paths too.
	return !(runtime.GOOS == "windows" && i == 1)
}

// ParseRemote reads a git remote: an http(s), ssh, git or file URL, an
// scp-like [user@]host:path (or an insteadOf alias), or a local path, made
// absolute against base.
func ParseRemote(remote, base string) (Remote, error) {
	if remote == "" {
		return Remote{}, errors.New("no repository given")
	}
	if strings.Contains(remote, "://") {
		u, err := url.Parse(remote)
		if err != nil {
			// url.Error quotes the URL, which may hold a token, in its user
			// part or its query.
			return Remote{}, fmt.Errorf("%q is not a valid URL", redact.RemoteURL(remote))
		}
		r := Remote{User: u.User, HTTP: u.Scheme == "http" || u.Scheme == "https"}
		if r.HTTP {
			u.User = nil
		}
		r.URL = u.String()
		return r, nil
	}
	if IsURL(remote) {
		return Remote{URL: remote}, nil
	}
	p := remote
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, filepath.FromSlash(p))
	}
	return Remote{URL: filepath.Clean(p)}, nil
}

// Clone makes dir (which must not exist or be empty) a repository whose
// origin is remote. It fetches nothing yet: call Fetch with the branches
// needed, so that a large repository costs only those branches' tips.
func Clone(ctx context.Context, remote Remote, dir string, opts Options) (*Repo, error) {
	r := &Repo{Dir: dir, Remote: remote.URL, git: opts.Git}
	if r.git == "" {
		r.git = "git"
	}
	id := opts.Identity
	if id == (Identity{}) {
		id = DefaultIdentity
	}
	token, user := opts.Token, "x-access-token"
	if remote.User != nil {
		if pw, ok := remote.User.Password(); ok && token == "" {
			token, user = pw, remote.User.Username()
		} else if token == "" && remote.User.Username() != "" {
			// https://TOKEN@host/... is how some CI systems pass tokens.
			token = remote.User.Username()
		}
	}
	config := [][2]string{
		{"core.autocrlf", "false"},
		{"core.hooksPath", os.DevNull},
		{"commit.gpgSign", "false"},
		{"gc.auto", "0"},
		// Without it, every fetch and commit starts a "git maintenance
		// run --auto" that finds nothing to do in a throwaway clone: a
		// process each time.
		{"maintenance.auto", "false"},
		{"init.defaultBranch", "kiln-unborn"},
		{"advice.detachedHead", "false"},
		{"protocol.version", "2"},
		{"http.lowSpeedLimit", "1"},
		{"http.lowSpeedTime", strconv.Itoa(int(max(cmp.Or(opts.StallTime, DefaultStallTime), time.Second) / time.Second))},
		// A remote names a repository, never a command: manifests.repo
		// comes from kiln.yaml, which a pull request may change, and
		// ext:: runs what its URL says (fd:: talks to a descriptor).
		// git's default refuses both; a user's protocol.allow always,
		// which applies with UserConfig, must not turn them on.
		{"protocol.ext.allow", "never"},
		{"protocol.fd.allow", "never"},
		// The remote lives here with kiln's other settings, as git
		// remote add would write it into .git/config: one process less
		// per clone, and no URL in a file of the work folder.
		{"remote." + remoteName + ".url", remote.URL},
		{"remote." + remoteName + ".fetch", "+refs/heads/*:refs/remotes/origin/*"},
	}
	if token != "" && remote.HTTP {
		u, err := url.Parse(remote.URL)
		if err != nil {
			return nil, err
		}
		if u.Scheme != "https" && !loopback(u.Hostname()) {
			// The host comes from kiln.yaml: plain http would hand the
			// token to anyone on the way.
			return nil, fmt.Errorf("kiln sends a token only over https, and %s is %s: use the repository's https URL", redact.RemoteURL(remote.URL), u.Scheme)
		}
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + token))
		// Scoped to the remote's host, so that a redirect or another
		// remote never receives the token.
		config = append(config, [2]string{fmt.Sprintf("http.%s://%s/.extraHeader", u.Scheme, u.Host), "Authorization: Basic " + auth})
		r.secrets = append(r.secrets, token, auth)
		if remote.User != nil {
			if pw, ok := remote.User.Password(); ok {
				r.secrets = append(r.secrets, pw)
			}
		}
	}
	if u, err := url.Parse(remote.URL); err == nil && u.RawQuery != "" && remote.HTTP {
		// git drops a URL's password from what it prints, but not its
		// query, where a host may take a token (?private_token=…).
		r.secrets = append(r.secrets, u.RawQuery)
	}
	r.env = gitEnv(opts.Env, id, config, opts.UserConfig && token == "")
	r.Remote = redact.RemoteURL(remote.URL)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := r.run(ctx, nil, "init", "-q"); err != nil {
		return nil, err
	}
	// A fresh repository: no remote-tracking ref, no commit at HEAD, and
	// nothing in the work tree.
	r.tracking, r.born, r.bornKnown, r.worktreeClean = map[string]string{}, false, true, true
	// The manifests repository's .gitattributes apply to every git add
	// here: working-tree-encoding would re-encode the UTF-8 kiln wrote
	// (committing garbage for Flux to apply), ident would rewrite "$Id: …$",
	// text/eol would turn a CRLF into LF, a filter would run a driver. kiln
	// commits exactly the bytes it rendered, and $GIT_DIR/info/attributes
	// takes precedence over every .gitattributes of the tree.
	info := filepath.Join(dir, ".git", "info")
	if err := os.MkdirAll(info, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(info, "attributes"), []byte(exactBytes), 0o644); err != nil {
		return nil, err
	}
	return r, nil
}

// exactBytes unsets every attribute by which git would change a file's bytes
// between the work tree and the repository.
const exactBytes = "* -text -eol -ident -filter -working-tree-encoding\n"

// controlled are the variables kiln sets itself; the caller's values for
// them are dropped.
var controlled = map[string]bool{
	"GIT_DIR": true, "GIT_WORK_TREE": true, "GIT_INDEX_FILE": true, "GIT_OBJECT_DIRECTORY": true,
	"GIT_ALTERNATE_OBJECT_DIRECTORIES": true, "GIT_CONFIG": true, "GIT_CONFIG_PARAMETERS": true,
	"GIT_CONFIG_COUNT": true, "GIT_CONFIG_GLOBAL": true, "GIT_CONFIG_SYSTEM": true, "GIT_CONFIG_NOSYSTEM": true,
	"GIT_TERMINAL_PROMPT": true, "GIT_ASKPASS": true, "SSH_ASKPASS": true, "GIT_TRACE": true,
	"GIT_TRACE_CURL": true, "GIT_TRACE_PACKET": true, "GIT_CURL_VERBOSE": true, "GIT_TRACE2": true,
	"GIT_TRACE2_EVENT": true, "GIT_TRACE2_PERF": true, "GIT_AUTHOR_NAME": true, "GIT_AUTHOR_EMAIL": true,
	"GIT_COMMITTER_NAME": true, "GIT_COMMITTER_EMAIL": true, "LC_ALL": true, "LANG": true, "LANGUAGE": true,
	"XDG_CONFIG_HOME": true, "GIT_CEILING_DIRECTORIES": true, "GIT_NAMESPACE": true,
}

// userSettable are the controlled variables that stay the user's when
// Options.UserConfig applies: where git finds its configuration, and the
// user's askpass helpers.
var userSettable = map[string]bool{
	"GIT_CONFIG_GLOBAL": true, "GIT_CONFIG_SYSTEM": true, "GIT_CONFIG_NOSYSTEM": true,
	"XDG_CONFIG_HOME": true, "GIT_ASKPASS": true, "SSH_ASKPASS": true,
}

func gitEnv(base []string, id Identity, config [][2]string, user bool) []string {
	var env, userConfig []string
	vars := map[string]string{}
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if user {
		// The user's GIT_CONFIG_COUNT entries come first, so that kiln's,
		// numbered after them, win where both set a key.
		n, _ := strconv.Atoi(vars["GIT_CONFIG_COUNT"])
		for i := range n {
			k, ok := vars["GIT_CONFIG_KEY_"+strconv.Itoa(i)]
			if !ok {
				break
			}
			userConfig = append(userConfig, k, vars["GIT_CONFIG_VALUE_"+strconv.Itoa(i)])
		}
	}
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if user && userSettable[k] {
			env = append(env, kv)
			continue
		}
		if controlled[k] || strings.HasPrefix(k, "GIT_CONFIG_KEY_") || strings.HasPrefix(k, "GIT_CONFIG_VALUE_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "GIT_TERMINAL_PROMPT=0")
	if !user {
		env = append(env,
			"GIT_ASKPASS=",
			"SSH_ASKPASS=",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL="+os.DevNull,
		)
	}
	env = append(env,
		"LC_ALL=C",
		"GIT_AUTHOR_NAME="+id.Name,
		"GIT_AUTHOR_EMAIL="+id.Email,
		"GIT_COMMITTER_NAME="+id.Name,
		"GIT_COMMITTER_EMAIL="+id.Email,
		"GIT_CONFIG_COUNT="+strconv.Itoa(len(userConfig)/2+len(config)),
	)
	i := 0
	for ; i < len(userConfig)/2; i++ {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, userConfig[2*i]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, userConfig[2*i+1]))
	}
	for _, kv := range config {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
		i++
	}
	return env
}

// mask replaces credentials in git's output.
func (r *Repo) mask(s string) string {
	for _, v := range r.secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}

// keepsRefs reports whether git with args leaves every ref and HEAD as
// they are: it reads, or changes only the index and the work tree. run
// forgets what Repo knows of refs before any other command, so a command
// added later is safe without a word here.
func keepsRefs(args []string) bool {
	switch args[0] {
	case "ls-remote", "ls-tree", "cat-file", "rev-parse", "diff-tree", "diff", "log", "merge-base", "for-each-ref", "rev-list", "rm", "add", "clean":
		return true
	case "reset":
		// With paths only: reset -q HEAD -- <path> stages HEAD's entries.
		return slices.Contains(args, "--")
	}
	return false
}

// run runs git in the work tree and returns its stdout.
func (r *Repo) run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	if !keepsRefs(args) {
		r.tracking, r.bornKnown = nil, false
	}
	// git may leave a helper (git-remote-https, ssh) holding the pipes
	// after it is stopped; do not wait for it forever.
	cmd := gitinfo.Command(ctx, 5*time.Second, r.git, args...)
	cmd.Dir = r.Dir
	cmd.Env = r.env
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		} else if refused := refusal(stderr.String()); refused != nil {
			err = refused
		}
		return stdout.Bytes(), &Error{Op: args[0], Msg: r.mask(lastLines(stderr.String(), 4)), Err: err, stderr: r.mask(stderr.String())}
	}
	return stdout.Bytes(), nil
}

// refusals are the lines by which git 2.x (and ssh, which git runs) says
// that the remote refused a command for good, as opposed to the network or
// the host failing for a while (a connection refused or reset, a host
// that does not resolve, an early EOF, a 5xx), which they do not match.
// "Could not read from remote repository" is not among them: git says it
// after ssh failed to connect too.
var refusals = []struct {
	line *regexp.Regexp
	err  error
}{
	// A 401 with credentials (in the URL, from a helper).
	{regexp.MustCompile(`^fatal: Authentication failed for '`), ErrDenied},
	// A 401 without: git would ask for them, and kiln lets it not prompt.
	// kiln's token goes in a header git does not count as credentials, so
	// a token the host no longer takes ends here.
	{regexp.MustCompile(`^fatal: could not read (Username|Password) for '`), ErrDenied},
	{regexp.MustCompile(`^fatal: unable to access '.*': The requested URL returned error: 40[13]$`), ErrDenied},
	// ssh's, as "git@github.com: Permission denied (publickey)."
	{regexp.MustCompile(`: Permission denied \(publickey`), ErrDenied},
	// A 404 over smart HTTP.
	{regexp.MustCompile(`^fatal: repository '.*' not found$`), ErrNoRepository},
	{regexp.MustCompile(`^fatal: unable to access '.*': The requested URL returned error: 404$`), ErrNoRepository},
	// A local path or file:// URL with no repository (any more).
	{regexp.MustCompile(`^fatal: '.*' does not appear to be a git repository$`), ErrNoRepository},
	// GitHub's over ssh.
	{regexp.MustCompile(`^ERROR: Repository not found\.$`), ErrNoRepository},
}

// refusal returns ErrDenied or ErrNoRepository when git's stderr says the
// remote refused the command for good, else nil. Lines the remote sent
// ("remote: …") do not count: a host's error page may say anything.
func refusal(stderr string) error {
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "remote:") {
			continue
		}
		for _, r := range refusals {
			if r.line.MatchString(line) {
				return r.err
			}
		}
	}
	return nil
}

// lastLines are the last n lines of s that are not blank, joined: git
// separates its advice from its message with a blank line, which would
// take the place of the message ("does not appear to be a git
// repository") in the lines kept.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		// A remote's blank line comes as "remote:".
		if l = strings.TrimSpace(l); l != "" && l != "remote:" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}

// Heads lists the remote's branches: name → commit.
func (r *Repo) Heads(ctx context.Context) (map[string]string, error) {
	out, err := r.run(ctx, nil, "ls-remote", "--heads", remoteName)
	if err != nil {
		return nil, err
	}
	heads := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		sha, ref, ok := strings.Cut(sc.Text(), "\t")
		if ok && strings.HasPrefix(ref, "refs/heads/") {
			heads[strings.TrimPrefix(ref, "refs/heads/")] = sha
		}
	}
	return heads, nil
}

// DefaultBranch returns the branch the remote's HEAD names (its default
// branch), "" when it names none or the remote does not say.
func (r *Repo) DefaultBranch(ctx context.Context) (string, error) {
	out, err := r.run(ctx, nil, "ls-remote", "--symref", remoteName, "HEAD")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if target, ok := strings.CutPrefix(line, "ref: refs/heads/"); ok {
			branch, _, _ := strings.Cut(target, "\t")
			return branch, nil
		}
	}
	return "", nil
}

// Fetch fetches the tips of the named branches that exist on the remote
// into refs/remotes/origin/<branch> and returns their commits; a missing
// branch is absent from the map. Only the tips are fetched (depth 1): kiln
// reads and rebuilds trees, it never needs history. A branch whose
// remote-tracking ref already holds the tip ls-remote reports is not
// fetched again: a promotion reads the branches it compares with, then
// fetches them once more before it commits, and a fetch is the costliest
// git command kiln runs (its objects are already here).
func (r *Repo) Fetch(ctx context.Context, branches ...string) (map[string]string, error) {
	got, _, err := r.FetchListed(ctx, branches...)
	return got, err
}

// FetchListed is Fetch, and also returns the remote's branches as the
// ls-remote it began with listed them (Heads): a caller that needs both
// asks the remote once.
func (r *Repo) FetchListed(ctx context.Context, branches ...string) (got, heads map[string]string, err error) {
	heads, err = r.Heads(ctx)
	if err != nil {
		return nil, nil, err
	}
	// One process reads every remote-tracking ref, where one rev-parse a
	// branch did, and none when kiln's last command that could change
	// them was the fetch that read them (or the clone, which has none): a
	// ref is set only once its objects are here, so one that is absent is
	// simply fetched.
	have := r.tracking
	if have == nil {
		if have, err = r.remoteRefs(ctx); err != nil {
			return nil, nil, err
		}
	}
	args := []string{"fetch", "-q", "--no-tags", "--depth=1", remoteName}
	got = map[string]string{}
	var fetched []string
	for _, b := range branches {
		tip, ok := heads[b]
		if !ok {
			continue
		}
		if have[b] == tip {
			got[b] = tip
			continue
		}
		args = append(args, "+refs/heads/"+b+":refs/remotes/origin/"+b)
		fetched = append(fetched, b)
	}
	if len(fetched) == 0 {
		return got, heads, nil
	}
	if _, err := r.run(ctx, nil, args...); err != nil {
		return nil, nil, err
	}
	// The branch may have moved since ls-remote; what was fetched counts.
	if have, err = r.remoteRefs(ctx); err != nil {
		return nil, nil, err
	}
	for _, b := range fetched {
		sha := have[b]
		if sha == "" {
			return nil, nil, fmt.Errorf("git fetch of %s left no refs/remotes/origin/%s", b, b)
		}
		got[b] = sha
	}
	return got, heads, nil
}

// remoteRefs reads the remote-tracking refs of origin: branch → commit.
func (r *Repo) remoteRefs(ctx context.Context) (map[string]string, error) {
	const prefix = "refs/remotes/origin/"
	out, err := r.run(ctx, nil, "for-each-ref", "--format=%(objectname) %(refname)", prefix)
	if err != nil {
		return nil, err
	}
	refs := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		// Ref names hold no space (git check-ref-format).
		if sha, ref, ok := strings.Cut(line, " "); ok && strings.HasPrefix(ref, prefix) {
			refs[strings.TrimPrefix(ref, prefix)] = sha
		}
	}
	r.tracking = refs
	return refs, nil
}

// RevParse returns the commit (or object) rev names.
func (r *Repo) RevParse(ctx context.Context, rev string) (string, error) {
	out, err := r.run(ctx, nil, "rev-parse", "--verify", "-q", rev)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Checkout makes branch the current branch at start (a commit or ref),
// discarding any local change. An empty start makes branch an orphan with
// an empty tree: the first commit of an empty repository.
func (r *Repo) Checkout(ctx context.Context, branch, start string) error {
	if start == "" && !(r.bornKnown && !r.born) {
		// An orphan keeps the work tree of the commit checked out
		// before, whose files git rm --cached leaves untracked.
		r.worktreeClean = false
	}
	if start == "" {
		if _, err := r.run(ctx, nil, "checkout", "-q", "-f", "--orphan", branch); err != nil {
			return err
		}
		if _, err := r.run(ctx, nil, "rm", "-rqf", "--cached", "--ignore-unmatch", "."); err != nil {
			return err
		}
	} else {
		// -f makes the index and the work tree start's, as reset --hard
		// would: a second process for the same end. --no-track: branch
		// needs no upstream, and git refuses to pick one when a remote
		// of the user's configuration maps to start's namespace too.
		if _, err := r.run(ctx, nil, "checkout", "-q", "-f", "--no-track", "-B", branch, start); err != nil {
			return err
		}
	}
	r.born, r.bornKnown = start != "", true
	if r.worktreeClean {
		// checkout -f made every tracked file start's, and there is no
		// other file to clean.
		return nil
	}
	if _, err := r.run(ctx, nil, "clean", "-q", "-ffdx"); err != nil {
		return err
	}
	r.worktreeClean = true
	return nil
}

// ReplaceDir makes the work tree's folder dir (slash-separated, relative to
// the work tree) hold exactly files, whose keys are slash paths relative to
// dir, and stages the result. Files elsewhere are untouched. dir must be a
// folder below the root, reached without "..", .git or symlinks: whatever
// it names is deleted first.
func (r *Repo) ReplaceDir(ctx context.Context, dir string, files map[string][]byte) error {
	clean := path.Clean(strings.Trim(dir, "/"))
	if !fs.ValidPath(clean) || clean == "." || clean != strings.Trim(dir, "/") || strings.Contains(strings.ToLower("/"+clean+"/"), "/.git/") {
		return fmt.Errorf("refusing to replace %q: not a plain folder below the repository root", dir)
	}
	dir = clean
	root, err := filepath.EvalSymlinks(r.Dir)
	if err != nil {
		return err
	}
	// A symlink in the manifests repository must not make kiln delete or
	// write anything outside the clone, nor another folder of it.
	target, err := rootfs.Resolve(root, dir)
	if err != nil {
		return err
	}
	if target != filepath.Join(root, filepath.FromSlash(dir)) {
		return fmt.Errorf("refusing to replace %s: it is a symlink or lies below one (to %s)", dir, target)
	}
	// From here files may be written that git does not track (until the
	// git add below, which an error may stop before).
	r.worktreeClean = false
	if err := os.RemoveAll(target); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !fs.ValidPath(name) || name == "." || strings.Contains(strings.ToLower("/"+name+"/"), "/.git/") {
			return fmt.Errorf("refusing to write %q: not a plain relative path", name)
		}
		p := filepath.Join(target, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	// The folder's entries leave the index first: with core.symlinks
	// false (git's default where symlinks cannot be made, as on Windows),
	// git add keeps the mode of an entry that was a symlink, and kiln's
	// regular file would be committed as a symlink to its own content.
	if _, err := r.run(ctx, nil, "rm", "-rqf", "--cached", "--ignore-unmatch", "--", ":(literal)"+dir); err != nil {
		return err
	}
	// --force: a .gitignore of the manifests repository (secret_*.yaml,
	// *.json) must not leave a file kiln wrote out of the commit; the
	// folder is kiln's, and what it holds is exactly files.
	_, err = r.run(ctx, nil, "add", "-A", "--force", "--", ":(literal)"+dir)
	return err
}

// KeepFromHead stages the entries below dir (slash-separated, relative to
// the work tree) exactly as HEAD has them, modes included: ReplaceDir
// writes regular files, and a folder it must carry over (Flux's bootstrap)
// may hold a symlink or an executable. Nothing happens without a HEAD (an
// empty repository's first commit).
func (r *Repo) KeepFromHead(ctx context.Context, dir string) error {
	if !r.bornKnown {
		_, err := r.RevParse(ctx, "HEAD^{commit}")
		r.born, r.bornKnown = err == nil, true
	}
	if !r.born {
		return nil
	}
	_, err := r.run(ctx, nil, "reset", "-q", "HEAD", "--", ":(literal)"+strings.Trim(dir, "/")+"/")
	return err
}

// Commit commits what is staged, if anything, and returns the new commit;
// "" when nothing is staged.
func (r *Repo) Commit(ctx context.Context, message string) (string, error) {
	if _, err := r.run(ctx, nil, "diff", "--cached", "--quiet"); err == nil {
		return "", nil
	} else if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 1 {
		return "", err
	}
	if _, err := r.run(ctx, strings.NewReader(message), "commit", "-q", "--no-verify", "-F", "-"); err != nil {
		return "", err
	}
	r.born, r.bornKnown = true, true
	return r.RevParse(ctx, "HEAD")
}

// Deleted lists the files commit deletes from its first parent, anywhere in
// the repository, as slash paths; none for a first commit.
func (r *Repo) Deleted(ctx context.Context, commit string) ([]string, error) {
	return r.diffTree(ctx, commit, "--diff-filter=D")
}

// Diff lists the files that differ between the trees of the commits from
// and to, as slash paths. It needs their trees only, not their history.
func (r *Repo) Diff(ctx context.Context, from, to string) ([]string, error) {
	return r.diffTree(ctx, to, from)
}

// MergeBase is the best common ancestor of the commits a and b, as GitHub
// takes it for a pull request's "Files changed"; "" when the history
// fetched holds none. In a shallow clone it may be an older common
// ancestor than the full history's, never a commit that is not one.
func (r *Repo) MergeBase(ctx context.Context, a, b string) (string, error) {
	out, err := r.run(ctx, nil, "merge-base", a, b)
	var exit *exec.ExitError
	if err != nil && errors.As(err, &exit) && exit.ExitCode() == 1 && len(bytes.TrimSpace(out)) == 0 {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Has reports whether the clone holds the commit rev: a shallow clone
// lacks the parents of its oldest commits.
func (r *Repo) Has(ctx context.Context, rev string) bool {
	_, err := r.run(ctx, nil, "cat-file", "-e", rev+"^{commit}")
	return err == nil
}

// diffTree lists the paths git diff-tree names for commit against its
// first parent, or against the commits in extra.
func (r *Repo) diffTree(ctx context.Context, commit string, extra ...string) ([]string, error) {
	args := append([]string{"diff-tree", "-r", "-z", "--no-commit-id", "--no-renames", "--name-only"}, extra...)
	out, err := r.run(ctx, nil, append(args, commit)...)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}

// CommitInfo is what a commit object says.
type CommitInfo struct {
	Tree    string
	Parents []string
	// Message is the commit message, trailers included.
	Message string
}

// Info reads a commit's tree and parents from the object itself, so it
// works on the tips of a shallow fetch.
func (r *Repo) Info(ctx context.Context, rev string) (CommitInfo, error) {
	if ci, ok := r.objects.infos[rev]; ok {
		ci.Parents = slices.Clone(ci.Parents)
		return ci, nil
	}
	out, err := r.run(ctx, nil, "cat-file", "commit", rev)
	if err != nil {
		return CommitInfo{}, err
	}
	var ci CommitInfo
	header, msg, _ := strings.Cut(string(out), "\n\n")
	ci.Message = msg
	for _, line := range strings.Split(header, "\n") {
		if v, ok := strings.CutPrefix(line, "tree "); ok {
			ci.Tree = v
		} else if v, ok := strings.CutPrefix(line, "parent "); ok {
			ci.Parents = append(ci.Parents, v)
		}
	}
	if gitinfo.IsCommitHash(rev) { // a full hash names the same commit for good
		c := ci
		c.Parents = slices.Clone(ci.Parents)
		remember(&r.objects, &r.objects.infos, rev, c, len(out))
	}
	return ci, nil
}

// LogEntry is one commit of FirstParents.
type LogEntry struct {
	Commit  string
	Parents []string
	// Author is "Name <email>".
	Author string
	// Message is the whole commit message.
	Message string
}

// FirstParents fetches the remote branch with n commits of history and
// returns up to n commits from tip (a commit of the branch fetched before)
// back along first parents, newest first: the branch's own line, without
// what merges brought in.
func (r *Repo) FirstParents(ctx context.Context, branch, tip string, n int) ([]LogEntry, error) {
	ref := "refs/heads/" + branch
	if _, err := r.run(ctx, nil, "fetch", "-q", "--no-tags", "--depth="+strconv.Itoa(n), remoteName, "+"+ref+":refs/remotes/origin/"+branch); err != nil {
		return nil, err
	}
	out, err := r.run(ctx, nil, "log", "--first-parent", "-n", strconv.Itoa(n), "--format="+logFormat, tip, "--")
	if err != nil {
		return nil, err
	}
	return parseLog(out), nil
}

// logFormat is the git log format parseLog reads.
const logFormat = "%H%x00%P%x00%an <%ae>%x00%B%x00%x1e"

// FetchSince fetches the remote branch's history back to since into the
// local ref (outside refs/remotes/origin, so that the refs Fetch set stay
// where they were) and returns its commit. A branch with no commit since
// then is fetched at its tip alone, which is all of it since then.
func (r *Repo) FetchSince(ctx context.Context, branch, ref string, since time.Time) (string, error) {
	src := "+refs/heads/" + branch + ":" + ref
	// --refmap= : git would also move refs/remotes/origin/<branch> to the
	// tip fetched, by the remote's configured refspec.
	if _, err := r.run(ctx, nil, "fetch", "-q", "--no-tags", "--refmap=", "--shallow-since="+since.UTC().Format(time.RFC3339), remoteName, src); err != nil {
		// git refuses a date after which the branch has no commit.
		if _, err := r.run(ctx, nil, "fetch", "-q", "--no-tags", "--refmap=", "--depth=1", remoteName, src); err != nil {
			return "", err
		}
	}
	return r.RevParse(ctx, ref)
}

// OldestTime is the earliest committer time of those of commits (full
// commit names) that the clone holds; zero for none (a shallow clone may
// lack them). One git process reads them all: a branch that GitHub's
// "Update branch" merged the base into fifty times names a hundred.
func (r *Repo) OldestTime(ctx context.Context, commits []string) (time.Time, error) {
	var oldest time.Time
	if len(commits) == 0 {
		return oldest, nil
	}
	// --no-walk shows the commits named and no ancestor; --ignore-missing
	// passes over those the clone lacks.
	args := append([]string{"log", "--ignore-missing", "--no-walk=unsorted", "--format=%ct"}, commits...)
	out, err := r.run(ctx, nil, append(args, "--")...)
	if err != nil {
		return oldest, err
	}
	for line := range strings.FieldsSeq(string(out)) {
		sec, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("git log: a commit time: unexpected %q", line)
		}
		if t := time.Unix(sec, 0); oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	return oldest, nil
}

// Outside returns those of commits from which the clone reaches a commit
// that base does not reach: the others (and those the clone lacks) bring
// nothing base lacks, so MergedIn of a merge whose other parents are all
// among them is empty. One git process for all of them.
func (r *Repo) Outside(ctx context.Context, base string, commits []string) (map[string]bool, error) {
	outside := map[string]bool{}
	if len(commits) == 0 {
		return outside, nil
	}
	args := append([]string{"rev-list", "--ignore-missing"}, commits...)
	out, err := r.run(ctx, nil, append(args, "^"+base, "--")...)
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for c := range strings.FieldsSeq(string(out)) {
		listed[c] = true
	}
	// A commit base does not reach is itself listed; one base reaches is
	// not, and nor is anything it reaches.
	for _, c := range commits {
		if listed[c] {
			outside[c] = true
		}
	}
	return outside, nil
}

// MergedIn returns, newest first and at most n, the commits that merge (a
// commit of the history FirstParents fetched) brings in through its other
// parents and that neither its first parent nor base (a commit, such as
// one FetchSince fetched) holds: the commits of a side branch merged into
// a branch, as opposed to those of the base that GitHub's "Update branch"
// merges in. Parents beyond the history fetched are left out.
func (r *Repo) MergedIn(ctx context.Context, base string, merge LogEntry, n int) ([]LogEntry, error) {
	if len(merge.Parents) < 2 {
		return nil, nil
	}
	args := []string{"log", "--ignore-missing", "-n", strconv.Itoa(n), "--format=" + logFormat}
	args = append(args, merge.Parents[1:]...)
	args = append(args, "^"+merge.Parents[0], "^"+base, "--")
	out, err := r.run(ctx, nil, args...)
	if err != nil {
		return nil, err
	}
	return parseLog(out), nil
}

func parseLog(out []byte) []LogEntry {
	var entries []LogEntry
	for _, rec := range strings.Split(string(out), "\x1e") {
		f := strings.Split(strings.TrimLeft(rec, "\n"), "\x00")
		if len(f) < 4 {
			continue
		}
		entries = append(entries, LogEntry{Commit: f[0], Parents: strings.Fields(f[1]), Author: f[2], Message: f[3]})
	}
	return entries
}

// Push pushes the local branch to the remote branch of the same name. With
// force, the remote branch is replaced whatever it holds; without, a
// remote that moved on gives an *Error wrapping ErrNonFastForward.
func (r *Repo) Push(ctx context.Context, branch string, force bool) error {
	spec := "refs/heads/" + branch + ":refs/heads/" + branch
	if force {
		spec = "+" + spec
	}
	out, err := r.push(ctx, "--porcelain", "-q", remoteName, spec)
	if err != nil {
		if r.pushRefused(err, string(out), force) {
			err.(*Error).Msg = "the remote branch " + branch + " moved on"
		}
		return err
	}
	return nil
}

// pushRefused tells a push's err that the remote branch moved on (its
// cause becomes ErrNonFastForward, and it reports true) from one the
// remote refused for a reason of its own, whose report it adds to err's
// message: a hook's or a protection rule's, which git prints after the
// remote's lines, the last of which err keeps.
func (r *Repo) pushRefused(err error, report string, force bool) bool {
	var ge *Error
	if !errors.As(err, &ge) {
		return false
	}
	moved, locked, reason := pushStatus(report, ge.stderr, force)
	if moved {
		ge.Err = ErrNonFastForward
		return true
	}
	if locked {
		ge.Err = fmt.Errorf("%w (%w)", ErrRefLocked, ge.Err)
	}
	if reason == "" && !answered(report) && ge.Err != nil &&
		!errors.Is(ge.Err, ErrDenied) && !errors.Is(ge.Err, ErrNoRepository) &&
		!errors.Is(ge.Err, context.Canceled) && !errors.Is(ge.Err, context.DeadlineExceeded) {
		ge.Err = fmt.Errorf("%w (%w)", ErrNoAnswer, ge.Err)
	}
	if reason != "" {
		// The remote's first error line says why; a long message (the
		// advice of a stale lock, a ruleset's list) leaves it out of the
		// last lines.
		for line := range strings.SplitSeq(ge.stderr, "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "remote: error:") || strings.HasPrefix(line, "remote: fatal:") {
				if !strings.Contains(ge.Msg, line) {
					ge.Msg = strings.TrimSuffix(line+"; "+ge.Msg, "; ")
				}
				break
			}
		}
		ge.Msg = strings.TrimPrefix(ge.Msg+"; the remote rejected the update "+r.mask(reason), "; ")
	}
	return false
}

// answered reports whether a push's report says what became of a ref.
// Not when it has no line of one (git never heard back), nor when the
// line is git's "[remote failure] (remote failed to report status)": the
// remote's report ended before the ref's status (a connection cut after
// the remote's unpack status), and the remote may have moved it.
func answered(report string) bool {
	for _, line := range strings.Split(report, "\n") {
		if _, rest, ok := strings.Cut(line, "\t"); ok {
			if _, summary, _ := strings.Cut(rest, "\t"); !strings.HasPrefix(summary, "[remote failure]") {
				return true
			}
		}
	}
	return false
}

// push runs git push with args. ctx is checked before it starts, and
// cancelling it then no longer kills it: the remote moves the branch
// before git hears back, so a push killed half-way (an interrupt) may
// have landed all the same, and the caller would report a failure for a
// branch that moved. A push that hangs is ended by a second interrupt,
// which ends kiln.
func (r *Repo) push(ctx context.Context, args ...string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: "push", Err: err}
	}
	return r.run(context.WithoutCancel(ctx), nil, append([]string{"push"}, args...)...)
}

// PushLease force-pushes the local branch to the remote branch of the same
// name only if the remote branch is at expect ("" meaning that it does not
// exist), as git push --force-with-lease=<ref>:<expect> does: a branch that
// someone else pushed since expect was read is not replaced, and the *Error
// wraps ErrNonFastForward.
func (r *Repo) PushLease(ctx context.Context, branch, expect string) error {
	ref := "refs/heads/" + branch
	out, err := r.push(ctx, "--porcelain", "-q", "--force-with-lease="+ref+":"+expect, remoteName, ref+":"+ref)
	if err != nil {
		if r.pushRefused(err, string(out), true) {
			err.(*Error).Msg = "the remote branch " + branch + " is no longer where it was fetched"
		}
		return err
	}
	return nil
}

// Head returns the commit the remote's branch is at now, "" when it does
// not exist.
func (r *Repo) Head(ctx context.Context, branch string) (string, error) {
	out, err := r.run(ctx, nil, "ls-remote", "--heads", remoteName, "refs/heads/"+branch)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if sha, ref, ok := strings.Cut(line, "\t"); ok && ref == "refs/heads/"+branch {
			return sha, nil
		}
	}
	return "", nil
}

// pushStatus reads git push --porcelain's report (its stdout) of a push
// that failed: whether it says that the remote branch moved on, and the
// reason the remote gave when it rejected the update for one of its own.
// Only the report counts, not what the remote printed ("remote: …" on
// stderr): a hook may say anything, "non-fast-forward updates are not
// allowed" included, and taking that for a branch that moved on sent
// people to run again a promotion that fails the same way every time.
// A force push (force) the remote rejects as "non-fast-forward" met
// receive.denyNonFastForwards (set by git init --shared), which refuses
// every force push: the branch did not move.
//
// The remote's reason is the branch moved on when it says so: "is at X
// but expected Y" (a host that puts git's detail there, as GitHub does),
// or a kind of git's batched ref updates (git 2.51 on) for an old value
// that no longer holds: "incorrect old value provided", "reference does
// not exist" (deleted meanwhile, as a merged pull request's branch is),
// "reference already exists" (made meanwhile). An older git's "failed to
// update ref" gives the detail on a "remote: error: cannot lock ref
// '<ref>': …" line, read then only: it is also what a branch in the way
// of kiln/<env> gives, and a hook's lines (which a refusal by the hook
// has) may say anything. A lock file taken ("Unable to create '….lock':
// File exists", which newer gits report as "reference already exists")
// is told apart (locked): a stale lock of a crashed git in the remote,
// which fails every push until someone removes it, or another push's
// that held the lock at that moment.
func pushStatus(report, stderr string, force bool) (moved, locked bool, reason string) {
	for _, line := range strings.Split(report, "\n") {
		flag, rest, ok := strings.Cut(line, "\t")
		if !ok || flag != "!" {
			continue
		}
		ref, summary, _ := strings.Cut(rest, "\t")
		switch {
		case strings.HasPrefix(summary, "[rejected]"):
			// git's own check against the branch as the remote
			// advertised it: non-fast-forward, fetch first, stale info.
			return true, false, ""
		case strings.HasPrefix(summary, "[remote rejected]"):
			reason = strings.TrimSpace(strings.TrimPrefix(summary, "[remote rejected]"))
			if strings.Contains(reason, "non-fast-forward") {
				return !force, false, reason
			}
			// git's detail of an update that failed, where it gives
			// one; a hook's refusal has none, only what it printed.
			var detail string
			if reason == "(failed to update ref)" || reason == "(unknown failure)" || raced(reason) {
				_, dst, _ := strings.Cut(ref, ":")
				prefix := "remote: error: cannot lock ref '" + dst + "': "
				for l := range strings.SplitSeq(stderr, "\n") {
					if d, ok := strings.CutPrefix(strings.TrimSpace(l), prefix); ok {
						detail = d
						break
					}
				}
			}
			if lockTaken(reason) || lockTaken(detail) {
				return false, true, reason
			}
			// The branch moved between the remote's advertisement and
			// its update.
			if raced(reason) || raced(detail) {
				return true, false, reason
			}
			return false, false, reason
		}
	}
	return false, false, ""
}

// lockTaken reports whether a remote's words for a failed ref update say
// that the ref's lock file was there.
func lockTaken(s string) bool {
	return strings.Contains(s, "Unable to create '") && strings.Contains(s, ".lock': File exists")
}

// raced reports whether a remote's words for a failed ref update say that
// the ref was not at the value the push expected.
func raced(s string) bool {
	for _, w := range []string{"but expected", "reference already exists", "incorrect old value provided", "reference does not exist"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// ReadFile returns the file at path (slash-separated, from the repository
// root) in rev; an error wrapping fs.ErrNotExist when it is not there.
func (r *Repo) ReadFile(ctx context.Context, rev, p string) ([]byte, error) {
	obj := rev + ":" + strings.TrimPrefix(path.Clean("/"+p), "/")
	out, err := r.run(ctx, nil, "cat-file", "-s", obj)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s: %w", obj, fs.ErrNotExist)
	}
	// Bounded as a rendered tree's file is (limits.TreeFile): a blob of
	// zeros a few bytes in the repository is its full size here.
	if size, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err != nil || size > limits.TreeFile {
		return nil, &limits.Error{Input: obj, What: "size", Limit: limits.Bytes(limits.TreeFile)}
	}
	return r.run(ctx, nil, "cat-file", "blob", obj)
}

// treeEntry is one record of git ls-tree: mode, type (blob, tree,
// commit for a submodule), object, size (of a blob; -1 for the others)
// and path from the repository root.
type treeEntry struct {
	mode, typ, sha string
	size           int64
	path           string
}

// lsTree lists what rev holds at the literal pathspec (everything when it
// is ""), recursively or not.
func (r *Repo) lsTree(ctx context.Context, rev, pathspec string, recursive bool) ([]treeEntry, error) {
	var flags []string
	if recursive {
		flags = append(flags, "-r")
	}
	var specs []string
	if pathspec != "" {
		specs = append(specs, pathspec)
	}
	return r.lsTreeAt(ctx, rev, flags, specs)
}

// lsTreeAt lists what rev holds at the literal pathspecs (everything when
// there are none), with ls-tree's flags.
func (r *Repo) lsTreeAt(ctx context.Context, rev string, flags, pathspecs []string) ([]treeEntry, error) {
	args := append([]string{"ls-tree", "-z", "--long", "--full-tree"}, flags...)
	args = append(args, rev)
	if len(pathspecs) > 0 {
		args = append(args, "--")
		for _, p := range pathspecs {
			args = append(args, ":(literal)"+p)
		}
	}
	key := ""
	if gitinfo.IsCommitHash(rev) {
		key = strings.Join(args, "\x00")
		if entries, ok := r.objects.listings[key]; ok {
			return slices.Clone(entries), nil
		}
	}
	out, err := r.run(ctx, nil, args...)
	if err != nil {
		return nil, err
	}
	var entries []treeEntry
	for _, rec := range strings.Split(string(out), "\x00") {
		meta, name, ok := strings.Cut(rec, "\t")
		if f := strings.Fields(meta); ok && len(f) == 4 {
			size, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				size = -1 // "-": a folder or a submodule
			}
			entries = append(entries, treeEntry{mode: f[0], typ: f[1], sha: f[2], size: size, path: name})
		}
	}
	if key != "" {
		remember(&r.objects, &r.objects.listings, key, slices.Clone(entries), len(out))
	}
	return entries, nil
}

// Entries returns the kind of what rev holds at each of paths
// (slash-separated, from the repository root) that it holds: "tree" for a
// folder, "blob" for a file, "symlink", "submodule". A path rev does not
// hold has no entry. One git process for all of them: the parents of a
// folder are read at once.
func (r *Repo) Entries(ctx context.Context, rev string, paths ...string) (map[string]string, error) {
	want := map[string]bool{}
	var specs []string
	for _, p := range paths {
		// The root is a folder, and no pathspec names it.
		if p = strings.TrimPrefix(path.Clean("/"+p), "/"); p != "" {
			want[p] = true
			specs = append(specs, p)
		}
	}
	if len(specs) == 0 {
		return map[string]string{}, nil
	}
	// -t lists the folders on the way to a deeper path given, which
	// ls-tree would otherwise enter without a line of their own.
	entries, err := r.lsTreeAt(ctx, rev, []string{"-t"}, specs)
	if err != nil {
		return nil, err
	}
	kinds := map[string]string{}
	for _, e := range entries {
		switch {
		case !want[e.path]:
		case e.mode == "120000":
			kinds[e.path] = "symlink"
		case e.typ == "commit":
			kinds[e.path] = "submodule"
		default:
			kinds[e.path] = e.typ
		}
	}
	return kinds, nil
}

// Object returns the object rev holds at p (slash-separated, from the
// repository root), "" when there is nothing: two folders with the same
// object hold the same files.
func (r *Repo) Object(ctx context.Context, rev, p string) (string, error) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	entries, err := r.lsTree(ctx, rev, p, false)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.path == p {
			return e.sha, nil
		}
	}
	return "", nil
}

// Named returns the paths (slash-separated, from the repository root) of
// the files called name anywhere in rev, sorted.
func (r *Repo) Named(ctx context.Context, rev, name string) ([]string, error) {
	entries, err := r.lsTree(ctx, rev, "", true)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.typ == "blob" && path.Base(e.path) == name {
			out = append(out, e.path)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Tree returns the files below dir (slash-separated; "" for everything) in
// rev, keyed by their path relative to dir. Submodules are skipped; a
// symlink's content is its target (TreeAndSpecial tells them apart).
func (r *Repo) Tree(ctx context.Context, rev, dir string) (map[string][]byte, error) {
	files, _, err := r.TreeAndSpecial(ctx, rev, dir)
	return files, err
}

// Special lists the entries below a folder of a tree that are not regular
// files, as slash paths from the repository root, sorted. What Tree gives
// for them (nothing for a submodule, its target's path for a symlink) is
// not what Flux applies: source-controller leaves symlinks out of the
// artifact it builds from a checkout.
type Special struct {
	// Submodules are the gitlinks (mode 160000), which Tree leaves out.
	Submodules []string
	// Symlinks are the entries of mode 120000, whose content in Tree is
	// their target's path.
	Symlinks []string
	// Executables are the regular files of mode 100755, whose content in
	// Tree is as a 100644 file's: kiln writes none.
	Executables []string
}

// TreeAndSpecial is Tree, and the entries below dir that are not regular
// files: one listing of the folder for both.
func (r *Repo) TreeAndSpecial(ctx context.Context, rev, dir string) (map[string][]byte, Special, error) {
	dir = path.Clean("/" + strings.Trim(dir, "/"))[1:]
	pathspec := ""
	if dir != "" {
		pathspec = dir + "/"
	}
	entries, err := r.lsTree(ctx, rev, pathspec, true)
	if err != nil {
		return nil, Special{}, err
	}
	var names, shas []string
	var special Special
	// Bounded as a rendered tree on disk is (tree.Read), from the sizes
	// git lists, before a byte is read: a blob of zeros a few bytes in
	// the repository is its full size here.
	budget := limits.NewTreeBudget(rev + ":" + dir)
	for _, e := range entries {
		switch e.typ {
		case "commit":
			special.Submodules = append(special.Submodules, e.path)
		case "blob":
			if err := budget.Take(rev+":"+e.path, e.size); err != nil {
				return nil, Special{}, err
			}
			switch e.mode {
			case "120000":
				special.Symlinks = append(special.Symlinks, e.path)
			case "100755":
				special.Executables = append(special.Executables, e.path)
			}
			names = append(names, strings.TrimPrefix(e.path, pathspec))
			shas = append(shas, e.sha)
		}
	}
	sort.Strings(special.Submodules)
	sort.Strings(special.Symlinks)
	sort.Strings(special.Executables)
	files := map[string][]byte{}
	if len(shas) == 0 {
		return files, special, nil
	}
	// Blobs read before (this promotion reads some folders twice) come
	// from the memo; git reads each other one once.
	var ask []string
	asked := map[string][]byte{}
	nameOf := map[string]string{} // for errors: a path that holds the blob
	for i, sha := range shas {
		if _, ok := r.objects.blobs[sha]; !ok {
			if _, dup := asked[sha]; !dup {
				asked[sha], nameOf[sha] = nil, names[i]
				ask = append(ask, sha)
			}
		}
	}
	if len(ask) > 0 {
		blobs, err := r.run(ctx, strings.NewReader(strings.Join(ask, "\n")+"\n"), "cat-file", "--batch")
		if err != nil {
			return nil, Special{}, err
		}
		for _, sha := range ask {
			// Each answer is "<sha> blob <size>\n<content>\n".
			nl := bytes.IndexByte(blobs, '\n')
			if nl < 0 {
				return nil, Special{}, fmt.Errorf("git cat-file: short answer for %s", nameOf[sha])
			}
			f := strings.Fields(string(blobs[:nl]))
			if len(f) != 3 || f[0] != sha {
				return nil, Special{}, fmt.Errorf("git cat-file: unexpected answer %q for %s", blobs[:nl], nameOf[sha])
			}
			size, err := strconv.Atoi(f[2])
			if err != nil || nl+1+size > len(blobs) {
				return nil, Special{}, fmt.Errorf("git cat-file: bad size for %s", nameOf[sha])
			}
			asked[sha] = blobs[nl+1 : nl+1+size]
			blobs = blobs[nl+1+size:]
			blobs = bytes.TrimPrefix(blobs, []byte("\n"))
		}
	}
	for i, name := range names {
		data, ok := asked[shas[i]]
		if !ok {
			data = r.objects.blobs[shas[i]]
		}
		files[name] = bytes.Clone(data)
	}
	for sha, data := range asked {
		remember(&r.objects, &r.objects.blobs, sha, bytes.Clone(data), len(data))
	}
	return files, special, nil
}

// Build rebuilds the change on the current tip of the branch (checked out
// in the work tree; tip is "" when the branch does not exist yet) and
// commits it. It returns the new commit, or "" when there is nothing to
// commit on this tip.
type Build func(ctx context.Context, tip string) (commit string, err error)

// PushRetry commits to branch and pushes it without force. When someone
// else pushed meanwhile, it fetches the new tip, checks it out, calls build
// again on top of it and retries, at most tries times in all: nobody's
// commit is lost, and the change is rebuilt rather than rebased, so it can
// never conflict. It returns the pushed commit ("" when build found nothing
// to commit) and how many attempts it took.
func (r *Repo) PushRetry(ctx context.Context, branch string, tries int, build Build) (string, int, error) {
	if tries < 1 {
		tries = 1
	}
	var last error
	for attempt := 1; attempt <= tries; attempt++ {
		heads, err := r.Fetch(ctx, branch)
		if err != nil {
			return "", attempt, err
		}
		tip, start := heads[branch], ""
		if tip != "" {
			start = "refs/remotes/origin/" + branch
		}
		if err := r.Checkout(ctx, branch, start); err != nil {
			return "", attempt, err
		}
		commit, err := build(ctx, tip)
		if err != nil || commit == "" {
			return "", attempt, err
		}
		err = r.Push(ctx, branch, false)
		if err == nil {
			return commit, attempt, nil
		}
		if !errors.Is(err, ErrNonFastForward) {
			return "", attempt, err
		}
		last = err
	}
	return "", tries, fmt.Errorf("gave up after %d attempts, the branch kept moving: %w", tries, last)
}

// ErrUnknownRef is the cause of a RefError for a ref that names nothing on
// the remote: no branch or tag of that name, no commit it spells out or
// abbreviates.
var ErrUnknownRef = errors.New("no such branch, tag or commit")

// ErrAmbiguousRef is the cause of a RefError for an abbreviated commit
// hash that is the start of more than one commit's, or for a name that is
// both a tag and a branch of different commits.
var ErrAmbiguousRef = errors.New("more than one commit starts with it")

// ErrMalformedRef is the cause of a RefError for a ref that cannot name a
// branch, tag or commit: empty, an option (-x), or a revision expression
// (main~1, main:path, a^{tree}), which git's protocol cannot ask for.
var ErrMalformedRef = errors.New("not a branch, tag or commit name")

// RefError is a ref that names no single commit of the remote.
type RefError struct {
	// Ref is the ref as given.
	Ref string
	// Remote is the remote, credentials removed.
	Remote string
	// Candidates are the commits an ambiguous abbreviation may mean, full
	// hashes in order.
	Candidates []string
	// Names are the full ref names an ambiguous name may mean (its tag
	// and its branch), each with the commit it points at.
	Names []string
	// Err is ErrUnknownRef, ErrAmbiguousRef or ErrMalformedRef.
	Err error
}

func (e *RefError) Error() string {
	if errors.Is(e.Err, ErrAmbiguousRef) && len(e.Names) > 0 {
		return fmt.Sprintf("%q is ambiguous in %s: it names both %s", e.Ref, e.Remote, strings.Join(e.Names, " and "))
	}
	if errors.Is(e.Err, ErrAmbiguousRef) {
		return fmt.Sprintf("%q is ambiguous in %s: %d commits start with it (%s)", e.Ref, e.Remote, len(e.Candidates), strings.Join(e.Candidates, ", "))
	}
	return fmt.Sprintf("%q: %v in %s", e.Ref, e.Err, e.Remote)
}

// Unwrap returns the cause.
func (e *RefError) Unwrap() error { return e.Err }

var shortHash = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{4,63}$`) })

// Refs lists every ref the remote advertises (HEAD, branches, tags, pull
// request heads…): full name → the object it points at, and for an
// annotated tag also name^{} → the commit it peels to. An empty remote has
// none.
func (r *Repo) Refs(ctx context.Context) (map[string]string, error) {
	out, err := r.run(ctx, nil, "ls-remote", remoteName)
	if err != nil {
		return nil, err
	}
	refs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if sha, ref, ok := strings.Cut(sc.Text(), "\t"); ok {
			refs[ref] = sha
		}
	}
	return refs, sc.Err()
}

// FetchRef fetches the commit ref names on the remote and returns it. ref
// is looked up as git does: a full commit hash, a full ref name
// (refs/pull/1/head, HEAD), a tag, a branch, then an abbreviated hash. A
// full hash is that commit whatever a ref is named (git's rule too: whoever
// may push a branch may name it so), and costs the fetch of that commit
// alone (depth 1). A name that is both a tag and a branch of different
// commits is ambiguous: git would take the tag and warn, and whoever may
// push a tag could then choose what a branch's name shows. An abbreviated
// hash (at least 4 digits) cannot be asked for by git's protocol, so it
// costs a fetch of every branch and tag with their history, in which it
// must abbreviate exactly one commit. A ref that names nothing, or an
// abbreviation of several commits, is a *RefError.
func (r *Repo) FetchRef(ctx context.Context, ref string) (string, error) {
	if ref == "" || strings.HasPrefix(ref, "-") || strings.ContainsAny(ref, " \t\n:^~?*[\\") {
		return "", &RefError{Ref: ref, Remote: r.Remote, Err: ErrMalformedRef}
	}
	refs, err := r.Refs(ctx)
	if err != nil {
		return "", err
	}
	unknown := &RefError{Ref: ref, Remote: r.Remote, Err: ErrUnknownRef}
	if len(refs) > 0 && !gitinfo.IsCommitHash(strings.ToLower(ref)) {
		for _, name := range []string{ref, "refs/" + ref} {
			if _, ok := refs[name]; ok {
				return r.fetchOne(ctx, name)
			}
		}
		tag, branch := "refs/tags/"+ref, "refs/heads/"+ref
		_, isTag := refs[tag]
		_, isBranch := refs[branch]
		peeled := func(name string) string {
			if c, ok := refs[name+"^{}"]; ok {
				return c
			}
			return refs[name]
		}
		switch {
		case isTag && isBranch && peeled(tag) != peeled(branch):
			return "", &RefError{Ref: ref, Remote: r.Remote, Err: ErrAmbiguousRef,
				Names: []string{"the tag " + tag + " (" + peeled(tag) + ")", "the branch " + branch + " (" + peeled(branch) + ")"}}
		case isTag:
			return r.fetchOne(ctx, tag)
		case isBranch:
			return r.fetchOne(ctx, branch)
		}
	}
	switch {
	case len(refs) == 0:
		return "", unknown
	case gitinfo.IsCommitHash(strings.ToLower(ref)):
		commit, err := r.fetchOne(ctx, strings.ToLower(ref))
		var ge *Error
		if errors.As(err, &ge) && (strings.Contains(ge.Msg, "not our ref") || strings.Contains(ge.Msg, "couldn't find remote ref")) {
			return "", unknown
		}
		return commit, err
	case shortHash().MatchString(strings.ToLower(ref)):
		return r.fetchAbbrev(ctx, strings.ToLower(ref), unknown)
	}
	return "", unknown
}

// fetchOne fetches one ref or full commit hash, depth 1.
func (r *Repo) fetchOne(ctx context.Context, what string) (string, error) {
	if _, err := r.run(ctx, nil, "fetch", "-q", "--no-tags", "--depth=1", remoteName, what); err != nil {
		return "", err
	}
	return r.RevParse(ctx, "FETCH_HEAD^{commit}")
}

// fetchAbbrev fetches every branch and tag with their history and finds
// the one commit whose hash starts with prefix.
func (r *Repo) fetchAbbrev(ctx context.Context, prefix string, unknown *RefError) (string, error) {
	if _, err := r.run(ctx, nil, "fetch", "-q", "--no-tags", remoteName,
		"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"); err != nil {
		return "", err
	}
	out, err := r.run(ctx, nil, "rev-parse", "--disambiguate="+prefix)
	if err != nil {
		return "", err
	}
	objs := strings.Fields(string(out))
	if len(objs) == 0 {
		return "", unknown
	}
	types, err := r.run(ctx, strings.NewReader(strings.Join(objs, "\n")+"\n"), "cat-file", "--batch-check=%(objectname) %(objecttype)")
	if err != nil {
		return "", err
	}
	var commits []string
	for _, line := range strings.Split(strings.TrimSpace(string(types)), "\n") {
		if sha, typ, ok := strings.Cut(line, " "); ok && typ == "commit" {
			commits = append(commits, sha)
		}
	}
	sort.Strings(commits)
	switch len(commits) {
	case 0:
		return "", unknown
	case 1:
		return commits[0], nil
	}
	return "", &RefError{Ref: prefix, Remote: r.Remote, Candidates: commits, Err: ErrAmbiguousRef}
}

// loopback reports whether host names this machine (a test's server).
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
