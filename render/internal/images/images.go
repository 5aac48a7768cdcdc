package images

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	godigest "github.com/opencontainers/go-digest"

	"github.com/kiln-gitops/kiln/internal/caret"
	"github.com/kiln-gitops/kiln/internal/diag"
)

// Set maps normalised image repositories to the reference CI gave for each.
// The zero value is an empty set, as is a nil *Set for reading. A Set is not safe for concurrent mutation; Apply, Refs and Unused only read
// it and may run concurrently.
type Set struct {
	entries map[string]entry // normalised repository -> what was given
}

// entry is one given reference and where it was given.
type entry struct {
	ref    Ref
	given  string // the text as given, for messages
	source string // "--image", "KILN_IMAGES", "images.json:3"
	file   string // set when the reference came from a file
	line   int
}

// New returns an empty Set.
func New() *Set { return &Set{entries: map[string]entry{}} }

// Ref is a parsed image reference.
type Ref struct {
	// Repository is the normalised repository: registry host and path,
	// "docker.io/library/redis" for "redis".
	Repository string
	// Spelling is the repository as written, without tag or digest ("redis").
	Spelling string
	// Tag is the tag, "" when none was written (no "latest" is implied).
	Tag string
	// Digest is "algorithm:hex", "" when none was written.
	Digest string
}

// String returns the normalised reference: repository[:tag][@digest].
func (r Ref) String() string { return r.Repository + r.suffix() }

// suffix returns ":tag", "@digest" or ":tag@digest".
func (r Ref) suffix() string {
	var s string
	if r.Tag != "" {
		s = ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// maxRepository is the longest repository name (its path, without the
// registry) a reference may have.
const maxRepository = 255

// maxRef bounds a reference's text: a registry host (253) with its port, a
// repository (255), a tag (128) and a sha512 digest (135) fit well below
// it. A longer text is no reference, and echoed whole (in kiln's message
// and again in the parser's) one hostile line of megabytes in an images
// file became as many megabytes of error, twice.
const maxRef = 1024

// shown quotes s for a message, cut after its first 100 bytes when it is
// longer than a reference may be.
func shown(s string) string {
	if len(s) <= maxRef {
		return strconv.Quote(s)
	}
	return strconv.Quote(caret.Prefix(s, 100)) + fmt.Sprintf("… (%d bytes)", len(s))
}

// ParseRef parses an image reference like Docker does: "redis",
// "redis:7.2", "ghcr.io/acme/vote@sha256:…", "localhost:5000/x:1". Tag and
// digest are optional here; Add insists on one of them.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, errors.New("empty image reference")
	}
	if len(s) > maxRef {
		return Ref{}, fmt.Errorf("%d bytes is longer than any image reference (at most %d)", len(s), maxRef)
	}
	base, dig, hasDigest := strings.Cut(s, "@")
	if hasDigest {
		// name.NewDigest validates the digest and the repository but
		// drops a tag written before the "@"; the tag is read below.
		if _, err := name.NewDigest(lowerRegistry(s)); err != nil {
			return Ref{}, err
		}
	}
	spelling, tag, hasTag := base, "", false
	if i := strings.LastIndexByte(base, ':'); i > strings.LastIndexByte(base, '/') {
		spelling, tag, hasTag = base[:i], base[i+1:], true
	}
	var repo name.Repository
	if hasTag {
		t, err := name.NewTag(lowerRegistry(base))
		if err != nil {
			return Ref{}, err
		}
		repo = t.Repository
	} else {
		r, err := name.NewRepository(lowerRegistry(base))
		if err != nil {
			return Ref{}, err
		}
		repo = r
	}
	if err := dockerGrammar(spelling, tag, hasTag); err != nil {
		return Ref{}, err
	}
	// go-containerregistry checks the length of a Docker Hub name before
	// it adds library/, which may take it past the 255 characters a
	// repository may have (docker's ParseNormalizedNamed refuses it).
	if n := len(repo.RepositoryStr()); n > maxRepository {
		return Ref{}, fmt.Errorf("repository must be between 1 and %d characters in length: %s is %d", maxRepository, repo.RepositoryStr(), n)
	}
	return Ref{Repository: normalise(repo), Spelling: spelling, Tag: tag, Digest: dig}, nil
}

// lowerRegistry is s with its registry, if it names one, in lower case:
// a registry is a host name, which DNS and every registry client compare
// without case, so "--image GHCR.IO/acme/app:2" is meant for the
// manifests' ghcr.io/acme/app (and DOCKER.IO/redis for Docker Hub's
// library/redis). go-containerregistry keeps the case, and the two would
// be different repositories. The path after it must be lower case
// anyway (dockerGrammar).
func lowerRegistry(s string) string {
	host, rest, ok := strings.Cut(s, "/")
	if !ok || !strings.ContainsAny(host, ".:") && !strings.EqualFold(host, "localhost") {
		return s
	}
	return strings.ToLower(host) + "/" + rest
}

// nameRE and hostRE are the grammar of Docker's references
// (github.com/distribution/reference), which the kubelet and containerd
// parse an image with: a path of lowercase components joined by one '.'
// or '_', "__" or dashes, and a registry that is a host name or [IPv6]
// address with an optional port. Compiled on first use, as tagRE.
var (
	nameRE = sync.OnceValue(func() *regexp.Regexp {
		const component = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
		return regexp.MustCompile(`^` + component + `(?:/` + component + `)*$`)
	})
	hostRE = sync.OnceValue(func() *regexp.Regexp {
		const label = `[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?`
		return regexp.MustCompile(`^(?:` + label + `(?:\.` + label + `)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$`)
	})
)

// dockerGrammar refuses what go-containerregistry accepts but Docker's
// grammar does not: a tag that starts with '.' or '-', an empty path
// component ("ghcr.io//app", an empty CI variable), a component that
// starts or ends with a separator ("_app", "app."), a registry that is
// no host name ("my_registry.io"). Written into a manifest, such an image
// passes the API server and fails every pull with InvalidImageName.
// spelling is the name without tag or digest.
func dockerGrammar(spelling, tag string, hasTag bool) error {
	path := spelling
	if host, rest, ok := strings.Cut(spelling, "/"); ok && (strings.EqualFold(host, "localhost") || strings.ContainsAny(host, ".:")) {
		// The registry, as go-containerregistry splits it off.
		if !hostRE().MatchString(host) {
			return fmt.Errorf("registry %q is no host name (letters, digits and '-' in dot-separated labels, an optional :port)", host)
		}
		path = rest
	}
	if !nameRE().MatchString(path) {
		return fmt.Errorf("repository %q is not [a-z0-9] components separated by '/', each joined within by '.', '_', '__' or '-'", path)
	}
	if hasTag && !tagRE().MatchString(tag) {
		return fmt.Errorf("tag %q must start with a letter, digit or '_' and have at most 128 of letters, digits, '_', '.' and '-'", tag)
	}
	return nil
}

// normalise names a repository the way people write it in full: Docker
// Hub as docker.io (go-containerregistry says index.docker.io, which is the
// API host, not what users type), with library/ for official images.
func normalise(r name.Repository) string {
	reg := r.RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return reg + "/" + r.RepositoryStr()
}

// Add adds a reference given on the command line or in KILN_IMAGES; source
// names where ("--image", "KILN_IMAGES") for messages. The reference needs
// a tag or a digest. Giving a repository twice with different references is
// an error naming both sources; giving the same reference twice is not.
func (s *Set) Add(ref string, source string) error {
	return s.add(ref, entry{source: source})
}

func (s *Set) add(text string, at entry) error {
	text = strings.TrimSpace(text)
	r, err := ParseRef(text)
	if err != nil {
		return at.errorf(err, "invalid image reference %s: %v", shown(text), err).WithHint("write it as [registry/]repository:tag or [registry/]repository@sha256:digest")
	}
	if r.Tag == "" && r.Digest == "" {
		return at.errorf(nil, "image reference %q has no tag or digest", text).WithHint(fmt.Sprintf("add :tag or @digest, e.g. %s:1.0.0", text))
	}
	at.ref, at.given = r, text
	return s.put(at)
}

// put records e, refusing a different reference for a repository already given.
func (s *Set) put(e entry) error {
	if s.entries == nil {
		s.entries = map[string]entry{}
	}
	if old, ok := s.entries[e.ref.Repository]; ok {
		if old.ref.suffix() == e.ref.suffix() {
			return nil
		}
		return e.errorf(nil, "image %s given twice with different references: %q (%s) and %q (%s)",
			e.ref.Repository, old.given, old.source, e.given, e.source).WithHint("give each repository once")
	}
	s.entries[e.ref.Repository] = e
	return nil
}

// errorf builds an error located where e was given.
func (e entry) errorf(cause error, format string, args ...any) *diag.Error {
	msg := fmt.Sprintf(format, args...)
	if e.file == "" && e.source != "" {
		msg = e.source + ": " + msg
	}
	return &diag.Error{File: e.file, Line: e.line, Msg: msg, Err: cause}
}

// ParseList parses KILN_IMAGES: references separated by commas or newlines;
// blanks are ignored. source names the list in messages.
func ParseList(list string, source string) (*Set, error) {
	s := New()
	var errs []error
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if strings.TrimSpace(f) == "" {
			continue
		}
		if err := s.Add(f, source); err != nil {
			errs = append(errs, err)
		}
	}
	if err := diag.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseFile parses an --images file: a JSON list of references, or a JSON
// object from repository to a tag ("1.4.2"), a digest ("sha256:…"), both
// ("1.4.2@sha256:…") or a full reference of that repository. file names it
// in errors, which carry the line of the offending entry.
func ParseFile(data []byte, file string) (*Set, error) {
	s := New()
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) error {
		line := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line = lineAt(data, se.Offset)
		case errors.As(err, &te):
			line = lineAt(data, te.Offset)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			line = lineAt(data, int64(len(data)))
		}
		return &diag.Error{File: file, Line: line, Msg: "invalid images file: " + err.Error(), Err: err,
			Hint: `write a JSON list of references, ["ghcr.io/acme/vote:1.4.2"], or an object {"ghcr.io/acme/vote": "1.4.2"}`}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fail(err)
	}
	var errs []error
	lines := lineCounter{data: data, line: 1}
	at := func() entry {
		line := lines.at(skipSpace(data, dec.InputOffset()))
		return entry{source: fmt.Sprintf("%s:%d", file, line), file: file, line: line}
	}
	switch tok {
	case json.Delim('['):
		for dec.More() {
			e := at()
			var ref string
			if err := dec.Decode(&ref); err != nil {
				return nil, fail(err)
			}
			if err := s.add(ref, e); err != nil {
				errs = append(errs, err)
			}
		}
	case json.Delim('{'):
		for dec.More() {
			e := at()
			k, err := dec.Token()
			if err != nil {
				return nil, fail(err)
			}
			var v string
			if err := dec.Decode(&v); err != nil {
				return nil, fail(err)
			}
			if err := s.addPair(k.(string), v, e); err != nil {
				errs = append(errs, err)
			}
		}
	default:
		return nil, fail(fmt.Errorf("want a list or an object, got %v", tok))
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, fail(err)
	}
	end := skipSpace(data, dec.InputOffset())
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &diag.Error{File: file, Line: lineAt(data, end), Msg: "invalid images file: unexpected data after the list or object",
			Hint: "write one JSON list or object"}
	}
	if err := diag.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// tagRE is the syntax of a Docker tag. Compiled on first use: its
// bounded repetition makes a large program, which every kiln command,
// `kiln version` included, would otherwise build while starting.
var tagRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
})

// isDigestAlgorithm reports whether alg names an algorithm of OCI
// digests (image-spec's descriptor: sha256, sha512; sha384 as go-digest
// knows it).
func isDigestAlgorithm(alg string) bool {
	switch godigest.Algorithm(alg) {
	case godigest.SHA256, godigest.SHA384, godigest.SHA512:
		return true
	}
	return false
}

// addPair adds one entry of the object form: repository -> tag, digest,
// tag@digest or full reference.
func (s *Set) addPair(repo, v string, at entry) error {
	r, err := ParseRef(repo)
	if err != nil {
		return at.errorf(err, "invalid image repository %s: %v", shown(repo), err).WithHint("write the key as [registry/]repository, without tag or digest")
	}
	if r.Tag != "" || r.Digest != "" {
		return at.errorf(nil, "image repository %q has a tag or digest", repo).WithHint("write the key as [registry/]repository and the tag or digest as its value")
	}
	text := strings.TrimSpace(v)
	tag, dig, _ := strings.Cut(text, "@")
	switch {
	case godigest.Digest(text).Validate() == nil:
		r.Digest = text
	case tagRE().MatchString(tag) && (dig == "" || godigest.Digest(dig).Validate() == nil):
		r.Tag, r.Digest = tag, dig
	default:
		full, err := ParseRef(text)
		if err != nil {
			return at.errorf(err, "image %s: invalid tag, digest or reference %s: %v", repo, shown(text), err).WithHint("give a tag (1.4.2), a digest (sha256:…) or a full reference")
		}
		if full.Repository != r.Repository {
			// "sha256:abc" parses as the image sha256 at tag abc: a
			// digest cut short, which "another repository" would hide.
			if alg, _, _ := strings.Cut(text, ":"); isDigestAlgorithm(alg) {
				err := godigest.Digest(text).Validate()
				return at.errorf(err, "image %s: invalid digest %s: %v", repo, shown(text), err).WithHint("give the whole digest, as the registry prints it: sha256: and 64 hex digits")
			}
			return at.errorf(nil, "image %s: reference %q is of another repository (%s)", repo, text, full.Repository).WithHint("use the same repository in key and value, or give only the tag")
		}
		if full.Tag == "" && full.Digest == "" {
			return at.errorf(nil, "image %s: reference %q has no tag or digest", repo, text).WithHint("add :tag or @digest")
		}
		r.Tag, r.Digest = full.Tag, full.Digest
	}
	at.ref, at.given = r, repo+r.suffix()
	return s.put(at)
}

// skipSpace returns the offset of the next token after off, past blanks
// and a separating comma or colon.
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}

// lineCounter returns the lines of increasing offsets of data, counting
// each byte once: lineAt for every entry of a 32 MiB images file counted
// from the start each time, which took hours for a file of short entries.
type lineCounter struct {
	data []byte
	off  int64 // counted up to here
	line int   // the line of off
}

// at returns the 1-based line of byte offset off, at or after the last one.
func (c *lineCounter) at(off int64) int {
	if off > int64(len(c.data)) {
		off = int64(len(c.data))
	}
	if off < c.off {
		return lineAt(c.data, off)
	}
	c.line += bytes.Count(c.data[c.off:off], []byte("\n"))
	c.off = off
	return c.line
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// Merge adds every reference of o to s. A repository given in both with
// different references is an error naming both sources.
func (s *Set) Merge(o *Set) error {
	if o == nil {
		return nil
	}
	var errs []error
	for _, k := range sortedKeys(o.entries) {
		if err := s.put(o.entries[k]); err != nil {
			errs = append(errs, err)
		}
	}
	return diag.Join(errs...)
}

// Len returns the number of repositories in s.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.entries)
}

// Ref is the full normalised reference given for the normalised
// repository repo, as Refs maps it, and whether one was given.
func (s *Set) Ref(repo string) (string, bool) {
	if s == nil {
		return "", false
	}
	e, ok := s.entries[repo]
	if !ok {
		return "", false
	}
	return e.ref.String(), true
}

// Refs maps each normalised repository to its full normalised reference,
// e.g. "docker.io/library/redis" -> "docker.io/library/redis:7.2". It is
// what jsonnet sees as `images` and what the lock file records.
func (s *Set) Refs() map[string]string {
	out := map[string]string{}
	if s == nil {
		return out
	}
	for k, e := range s.entries {
		out[k] = e.ref.String()
	}
	return out
}

// Unused returns, sorted, the given repositories that used (as returned by
// Apply, possibly merged over several apps) does not name.
func (s *Set) Unused(used map[string]bool) []string {
	var out []string
	if s == nil {
		return out
	}
	for _, k := range sortedKeys(s.entries) {
		if !used[k] {
			out = append(out, k)
		}
	}
	return out
}

func sortedKeys(m map[string]entry) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
