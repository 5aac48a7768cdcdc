// Package gitrepo drives the git program for kiln promote: it fetches the
// manifests repository into a temporary folder, checks out branches,
// replaces one folder with a new tree, commits with a fixed identity and
// pushes, retrying on a non-fast-forward.
//
// It runs git with a controlled environment (no user or system config, no
// prompts; Options.UserConfig lets the user's configuration in for reading
// without a token) and hands a token to git only through GIT_CONFIG_*
// variables, so it never appears in argv, .git/config or any output.
// FetchRef resolves what a person may name: branches, tags, full and
// abbreviated commits. For kiln verify, Local runs git in the user's code
// checkout, and Export checks a commit of it out elsewhere without writing
// into it. It knows nothing about kiln's envs or GitHub's API; start at
// Clone.
package gitrepo
