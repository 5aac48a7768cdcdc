package helm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"helm.sh/helm/v3/pkg/registry"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/internal/redact"
	"github.com/kiln-gitops/kiln/templates"
	"github.com/kiln-gitops/kiln/templates/helm/internal/repoindex"
)

// Remote charts are cached as
//
//	<CacheDir>/http/<host>-<hash>/index.yaml
//	<CacheDir>/http/<host>-<hash>/<chart>/<version>.tgz
//	<CacheDir>/oci/<host>-<hash>/<chart>/<version>.tgz
//	<CacheDir>/oci/<host>-<hash>/<chart>/<version>.tgz.manifest.json
//
// where <hash> is the start of the SHA-256 of the repository URL without
// its user and password (cacheDir). A chart
// asked for by exact version is taken from the cache without any network
// access; a constraint (or no version) needs the repository's index or tag
// list once per Engine.

// downloadTimeout bounds each HTTP request, to a chart repository or an
// OCI registry: neither helm's getters nor its registry client take a
// context, so a server that answers slowly would hold the render.
const downloadTimeout = 2 * time.Minute

type resolvedChart struct {
	file    string // the cached .tgz
	version string
	// cached: the file was in the cache, unchecked (an exact version,
	// or a repository whose index gives no digest).
	cached bool
}

// indexFile is a chart repository's index.
type indexFile = repoindex.Index

// chartNameRe is what a chart name (or one segment of an OCI path) may be.
var chartNameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`) })

// versionRe is what a version may be to be used in a cache file name.
var versionRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+_-]*$`) })

// hostRe matches what is replaced in a host name used as a folder name.
var hostRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9.-]`) })

func (e *Engine) remoteChart(ctx context.Context, req *templates.Request) (*chartSource, error) {
	ref := shownURL(req.ChartRepo) + " " + req.Path
	if e.opts.CacheDir == "" {
		return nil, &diag.Error{Msg: "remote chart " + ref + ": no chart cache directory is configured", Hint: "remote charts need a cache directory; this is a kiln bug if you see it from the command line"}
	}
	for _, seg := range strings.Split(req.Path, "/") {
		if !chartNameRe().MatchString(seg) || strings.Contains(seg, "..") {
			return nil, &diag.Error{Msg: fmt.Sprintf("invalid chart name %q for repository %s", req.Path, shownURL(req.ChartRepo)), Hint: "helm.chart names a chart in the repository, such as \"redis\""}
		}
	}
	src, rc, err := e.loadRemote(ctx, req, false)
	if err != nil && rc.cached {
		// A cached chart that does not load (truncated, or written by
		// something else: the cache folder may come from actions/cache)
		// is not trusted: download it again, once.
		var ferr error
		if src, _, ferr = e.loadRemote(ctx, req, true); ferr != nil {
			// Say why kiln went to the network for a chart the cache
			// held: offline, "the repository is unreachable" alone
			// hides that the cached chart is broken.
			return nil, &diag.Error{
				Msg: fmt.Sprintf("the cached chart %s %s from %s does not load (%s), and downloading it again failed: %s",
					req.Path, rc.version, shownURL(req.ChartRepo), messageOf(err), messageOf(ferr)),
				Hint: "make the chart repository reachable, or replace the broken chart in the cache folder (--cache-dir) with a good copy",
				Err:  errors.Join(err, ferr)}
		}
		return src, nil
	}
	return src, err
}

// messageOf is err's text without its hint, to be quoted in another
// error's message.
func messageOf(err error) string {
	var de *diag.Error
	if errors.As(err, &de) && de.Msg != "" {
		return de.Location() + de.Msg
	}
	return err.Error()
}

// loadRemote resolves req's remote chart and loads its files; fresh
// ignores the charts in the cache (never the resolved version's index).
func (e *Engine) loadRemote(ctx context.Context, req *templates.Request, fresh bool) (*chartSource, resolvedChart, error) {
	var (
		rc    resolvedChart
		input string
		err   error
	)
	key := fmt.Sprint(fresh)
	switch {
	case registry.IsOCI(req.ChartRepo):
		if u, err := url.Parse(req.ChartRepo); err != nil || u.User != nil {
			return nil, rc, &diag.Error{Msg: fmt.Sprintf("chart repository %s: an oci:// reference holds no user or password", shownURL(req.ChartRepo)),
				Hint: "remove them from helm.repo and run `docker login <registry>` where kiln runs: kiln reads registry credentials from Docker's credential store"}
		}
		base := strings.TrimSuffix(strings.TrimPrefix(req.ChartRepo, "oci://"), "/") + "/" + req.Path
		rc, err = e.resolved.do("oci\x00"+base+"\x00"+req.ChartVersion+"\x00"+key, func() (resolvedChart, error) {
			return e.resolveOCI(ctx, req.ChartRepo, base, req.Path, req.ChartVersion, fresh)
		})
		input = "oci://" + base + "@" + rc.version
	case strings.HasPrefix(req.ChartRepo, "http://") || strings.HasPrefix(req.ChartRepo, "https://"):
		if strings.Contains(req.Path, "/") {
			return nil, rc, &diag.Error{Msg: fmt.Sprintf("invalid chart name %q for repository %s", req.Path, shownURL(req.ChartRepo)), Hint: "helm.chart names a chart in the repository's index, such as \"redis\""}
		}
		repoURL := strings.TrimSuffix(req.ChartRepo, "/")
		rc, err = e.resolved.do("http\x00"+repoURL+"\x00"+req.Path+"\x00"+req.ChartVersion+"\x00"+key, func() (resolvedChart, error) {
			return e.resolveHTTP(ctx, repoURL, req.Path, req.ChartVersion, fresh)
		})
		input = strings.TrimSuffix(shownURL(repoURL), "/") + "/" + req.Path + "@" + rc.version
	default:
		return nil, rc, &diag.Error{Msg: fmt.Sprintf("unsupported chart repository %q", shownURL(req.ChartRepo)), Hint: "helm.repo must be an http(s):// chart repository or an oci:// registry"}
	}
	if err != nil {
		return nil, rc, err
	}
	// One path, two contents in one run: a render that found the cached
	// file wrong (its digest is not the index's) writes the right one in
	// its place, after a render of an exact version may have read the
	// wrong one unchecked. So files read from a file checked against the
	// index, or downloaded, are never shared with those of an unchecked one.
	state := "checked"
	if rc.cached {
		state = "unchecked"
	}
	loaded, err := e.files.do(rc.file+"\x00"+state, func() (loadedChart, error) {
		files, err := readChartArchive(nil, rc.file, input, e.newBudget(), nil)
		return loadedChart{files: files}, err
	})
	if err != nil {
		return nil, rc, err
	}
	return &chartSource{files: loaded.files, input: input}, rc, nil
}

// exactVersion reports whether v names one version rather than a range.
func exactVersion(v string) bool {
	_, err := version.ParseSemantic(v)
	return err == nil && safeVersion(v)
}

// safeVersion reports whether v may be used in a file name.
func safeVersion(v string) bool {
	return versionRe().MatchString(v) && !strings.Contains(v, "..")
}

// cacheDir is the folder of one repository in the cache, named by its host
// and a hash of its URL without the user and password: the cache folder
// travels (actions/cache, which forks' pull requests read), and a hash of a
// password lets whoever reads the name test guesses offline. A user or
// password does not make another repository. The query stays in the
// hash: it may choose the repository, and a signed URL's signature is no
// guessable secret.
func (e *Engine) cacheDir(kind, repoURL string) string {
	repoURL = redact.URL(repoURL)
	sum := sha256.Sum256([]byte(repoURL))
	host := "repository" // no download is made from a URL that does not parse
	if u, err := url.Parse(repoURL); err == nil && u.Host != "" {
		host = u.Host
	}
	host = hostRe().ReplaceAllString(host, "_")
	return filepath.Join(e.opts.CacheDir, kind, host+"-"+hex.EncodeToString(sum[:6]))
}

func chartFile(dir, chart, version string) string {
	return filepath.Join(dir, filepath.FromSlash(chart), version+".tgz")
}

// fileDigest is the hex SHA-256 of the file at p, "" if it cannot be read.
func fileDigest(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

func exists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// resolveHTTP finds chart in the repository's index, downloads it unless it
// is cached and returns the cached file.
func (e *Engine) resolveHTTP(ctx context.Context, repoURL, chart, constraint string, fresh bool) (resolvedChart, error) {
	dir := e.cacheDir("http", repoURL)
	if exactVersion(constraint) && !fresh {
		if f := chartFile(dir, chart, constraint); exists(f) {
			return resolvedChart{file: f, version: constraint, cached: true}, nil
		}
	}
	idx, err := e.indexes.do(repoURL, func() (*indexFile, error) { return e.fetchIndex(ctx, repoURL, dir) })
	if err != nil {
		return resolvedChart{}, err
	}
	cv, err := idx.Get(chart, constraint)
	if err != nil {
		return resolvedChart{}, notInIndex(idx, repoURL, chart, constraint, err)
	}
	if !safeVersion(cv.Version) {
		return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("chart %s in %s has an invalid version %q", chart, shownURL(repoURL), cv.Version)}
	}
	f := chartFile(dir, chart, cv.Version)
	if exists(f) && !fresh {
		// With the index at hand, a cached chart is used only when it
		// is the one the index names: a file changed in the cache is
		// downloaded again, not rendered.
		if cv.Digest == "" {
			return resolvedChart{file: f, version: cv.Version, cached: true}, nil
		}
		if fileDigest(f) == strings.ToLower(cv.Digest) {
			return resolvedChart{file: f, version: cv.Version}, nil
		}
	}
	if len(cv.URLs) == 0 {
		return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("chart %s %s in %s has no download URL", chart, cv.Version, shownURL(repoURL)), Hint: "the repository's index.yaml is incomplete; ask its maintainers"}
	}
	u, err := repoindex.ResolveReferenceURL(repoURL, cv.URLs[0])
	if err != nil {
		return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("chart %s %s in %s: %v", chart, cv.Version, shownURL(repoURL), err), Err: err}
	}
	elsewhere := !onRepoHost(repoURL, u)
	u = withRepoUser(repoURL, u)
	if err := ctx.Err(); err != nil {
		return resolvedChart{}, err
	}
	data, err := e.download(ctx, u)
	if err != nil {
		hint := fetchHint(err, "check that the chart repository is reachable")
		if elsewhere && refusedStatus(err) {
			// Credentials in helm.repo would not go there: asking for
			// them sent the user after the wrong thing.
			hint = "the repository's index names this chart on another host, which kiln gives neither helm.repo's user and password nor its query (as helm without --pass-credentials); ask the repository's maintainers to serve it from the repository's host or a URL that needs none"
		}
		return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("downloading chart %s %s from %s: %v", chart, cv.Version, shownURL(repoURL), err), Hint: hint, Err: err}
	}
	if cv.Digest != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, cv.Digest) {
			return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("chart %s %s from %s: digest is sha256:%s, the index says %s", chart, cv.Version, shownURL(repoURL), got, cv.Digest), Hint: "the download was corrupted or the repository changed the chart; try again or ask its maintainers"}
		}
	}
	if err := writeAtomic(f, data); err != nil {
		return resolvedChart{}, &diag.Error{Msg: "caching chart: " + err.Error(), Err: err}
	}
	return resolvedChart{file: f, version: cv.Version}, nil
}

// withRepoUser gives u, a chart's URL from the repository's index, the
// repository URL's user and password when u is on the repository's scheme
// and host (port included), as helm's HTTP getter and so Flux's
// source-controller give a HelmRepository's credentials: a private
// repository whose index names its charts by absolute URLs (ChartMuseum,
// Artifactory) then renders as Flux fetches it. Another host or scheme
// gets none (helm's pass_credentials, which kiln has no way to set).
func withRepoUser(repoURL, u string) string {
	repo, err := url.Parse(repoURL)
	if err != nil || repo.User == nil {
		return u
	}
	chart, err := url.Parse(u)
	if err != nil || chart.User != nil || !onRepoHost(repoURL, u) {
		return u
	}
	chart.User = repo.User
	return chart.String()
}

// onRepoHost reports whether u is on the repository's scheme and host
// (port included): where the repository URL's user and password go.
func onRepoHost(repoURL, u string) bool {
	repo, err := url.Parse(repoURL)
	if err != nil {
		return false
	}
	chart, err := url.Parse(u)
	return err == nil && strings.EqualFold(chart.Scheme, repo.Scheme) && strings.EqualFold(chart.Host, repo.Host)
}

// download fetches a chart's URL from a repository's index: over HTTP,
// or pulled from a registry when the index names an oci:// reference
// (Bitnami's index does), as helm's ChartDownloader picks its getter by
// the URL's scheme.
func (e *Engine) download(ctx context.Context, u string) ([]byte, error) {
	if !registry.IsOCI(u) {
		return httpGet(ctx, u, e.bounds.download, e.bounds.request)
	}
	client, err := e.registryClient(ctx)
	if err != nil {
		return nil, err
	}
	ref := strings.TrimPrefix(u, "oci://")
	res, err := client.Pull(ref, registry.PullOptWithChart(true))
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", shownURL(u), err)
	}
	if res.Chart == nil || len(res.Chart.Data) == 0 {
		return nil, fmt.Errorf("%s is not a Helm chart", shownURL(u))
	}
	return res.Chart.Data, nil
}

// fetchIndex downloads the repository's index.yaml into dir and loads it.
func (e *Engine) fetchIndex(ctx context.Context, repoURL, dir string) (*indexFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// helm's ChartRepository.DownloadIndexFile: the repository URL is a
	// folder, and its query (a signed URL's) goes with the request.
	u, err := repoindex.ResolveReferenceURL(repoURL, "index.yaml")
	if err == nil {
		var data []byte
		if data, err = httpGet(ctx, u, e.bounds.download, e.bounds.request); err == nil {
			return e.loadIndex(repoURL, dir, data)
		}
	}
	hint := fetchHint(err, "check helm.repo and that the repository is reachable")
	if strings.HasSuffix(strings.TrimSuffix(shownURL(repoURL), "/"), "/index.yaml") {
		hint = "helm.repo is the repository's folder, as for helm repo add: remove /index.yaml from it"
	}
	return nil, &diag.Error{Msg: fmt.Sprintf("fetching the index of chart repository %s: %v", shownURL(repoURL), err), Hint: hint, Err: err}
}

// loadIndex caches a repository's index.yaml, data, in dir and loads it.
func (e *Engine) loadIndex(repoURL, dir string, data []byte) (*indexFile, error) {
	p := filepath.Join(dir, "index.yaml")
	if err := writeAtomic(p, data); err != nil {
		return nil, &diag.Error{Msg: "caching chart repository index: " + err.Error(), Err: err}
	}
	// repoindex reads it with the rules of helm's repo.LoadIndexFile: it
	// validates entries and sorts versions newest first.
	idx, err := repoindex.Load(data, p)
	if err != nil {
		return nil, &diag.Error{Msg: fmt.Sprintf("chart repository %s has an invalid index.yaml: %v", shownURL(repoURL), err), Hint: "check helm.repo: it must be a Helm chart repository", Err: err}
	}
	return idx, nil
}

func notInIndex(idx *indexFile, repoURL, chart, constraint string, err error) error {
	vs, ok := idx.Entries[chart]
	if !ok || len(vs) == 0 {
		names := make([]string, 0, len(idx.Entries))
		for n := range idx.Entries {
			names = append(names, n)
		}
		sort.Strings(names)
		hint := "check helm.chart"
		if c := diag.Closest(chart, names); c != "" {
			hint = fmt.Sprintf("did you mean %q?", c)
		}
		return &diag.Error{Msg: fmt.Sprintf("chart %q not found in repository %s", chart, shownURL(repoURL)), Hint: hint, Err: err}
	}
	var avail []string
	for i, v := range vs {
		if i == 10 {
			avail = append(avail, "…")
			break
		}
		avail = append(avail, v.Version)
	}
	return &diag.Error{
		Msg:  fmt.Sprintf("no version of chart %q in %s matches %q", chart, shownURL(repoURL), constraint),
		Hint: "set helm.version to one of: " + strings.Join(avail, ", ") + " (pre-releases need an explicit version or a constraint with a pre-release part)",
		Err:  err,
	}
}

// chartTransport carries the requests for remote charts: a clone of
// http.DefaultTransport, whose idle connections anything in the process
// may close (every httptest.Server's Close does), and a request that had
// just taken one failed with "http: CloseIdleConnections called".
var chartTransport = http.DefaultTransport.(*http.Transport).Clone()

// httpGet fetches u, at most max bytes (limits.Download). Not helm's
// getter: it reads the whole body into memory with no bound, and its
// options take no RoundTripper to bound it with. Like helm's getter built
// here, it reads no HELM_* environment variables.
func httpGet(ctx context.Context, u string, max int64, timeout time.Duration) ([]byte, error) {
	client := &http.Client{Timeout: timeout, Transport: boundedTransport{next: chartTransport, max: max}, CheckRedirect: noReferer}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %s: %s", shownURL(u), redact.URLProblem(err))
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// net/http hides a password in it, not a signed URL's query.
			ue.URL = shownURL(ue.URL)
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{url: shownURL(u), status: resp.Status, code: resp.StatusCode}
	}
	return io.ReadAll(resp.Body)
}

// statusError is a chart repository's answer other than 200, in helm's
// words ("failed to fetch <url> : 404 Not Found").
type statusError struct {
	url, status string
	code        int
}

func (e *statusError) Error() string { return fmt.Sprintf("failed to fetch %s : %s", e.url, e.status) }

// fetchHint is the hint for a failed repository request: a refusal (401,
// 403) asks for credentials, which "is it reachable" does not suggest.
func fetchHint(err error, hint string) string {
	if refusedStatus(err) {
		return "the repository refused kiln: give helm.repo the user and password it needs (https://user:password@host/path; kiln shows it nowhere) or, for a signed URL, its query"
	}
	return hint
}

// refusedStatus reports whether err is a repository's 401 or 403.
func refusedStatus(err error) bool {
	var se *statusError
	return errors.As(err, &se) && (se.code == http.StatusUnauthorized || se.code == http.StatusForbidden)
}

// noReferer follows a redirect as net/http does (at most 10), without the
// Referer header net/http adds: it holds the URL redirected from, query
// included, and a signed repository URL's query is its credential (an
// Azure SAS token), which the redirect's target, often another host, is
// not to see. net/http already drops the URL's user and password from it.
func noReferer(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	req.Header.Del("Referer")
	return nil
}

// boundedTransport refuses response bodies beyond max bytes
// (limits.Download), with an error naming the URL and the limit: a chart
// repository or registry streaming without end must not exhaust memory.
type boundedTransport struct {
	next http.RoundTripper
	max  int64
}

func (t boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, &limits.Error{Input: redactURL(r.URL), What: "the download size", Limit: limits.Bytes(t.max)}
	}
	resp.Body = &boundedBody{ReadCloser: resp.Body, left: t.max, max: t.max, url: redactURL(r.URL)}
	return resp, nil
}

// shownURL is raw as messages and inputs show it (redact.PublicURL).
func shownURL(raw string) string { return redact.PublicURL(raw) }

func redactURL(u *url.URL) string { return redact.PublicURL(u.String()) }

type boundedBody struct {
	io.ReadCloser
	left, max int64
	url       string
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := b.ReadCloser.Read(one[:]); n > 0 {
			return 0, &limits.Error{Input: b.url, What: "the download size", Limit: limits.Bytes(b.max)}
		}
		return b.ReadCloser.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// resolveOCI finds the chart's tag in the registry, pulls it unless it is
// cached and returns the cached file.
func (e *Engine) resolveOCI(ctx context.Context, repoURL, base, chart, constraint string, fresh bool) (resolvedChart, error) {
	dir := e.cacheDir("oci", repoURL)
	if exactVersion(constraint) && !fresh {
		if f := chartFile(dir, chart, constraint); exists(f) {
			return resolvedChart{file: f, version: constraint, cached: true}, nil
		}
	}
	client, err := e.registryClient(ctx)
	if err != nil {
		return resolvedChart{}, &diag.Error{Msg: "creating the OCI registry client: " + err.Error(), Err: err}
	}
	tag := constraint
	if !exactVersion(constraint) {
		if err := ctx.Err(); err != nil {
			return resolvedChart{}, err
		}
		tags, err := client.Tags(base)
		if err != nil {
			return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("listing the versions of chart oci://%s: %v", base, err), Hint: "check helm.repo and helm.chart and that the registry is reachable", Err: err}
		}
		tag, err = registry.GetTagMatchingVersionOrConstraint(tags, constraint)
		if err != nil {
			return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("no version of chart oci://%s matches %q", base, constraint), Hint: "set helm.version to a version the registry has", Err: err}
		}
		if !safeVersion(tag) {
			return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("chart oci://%s has an invalid version %q", base, tag)}
		}
	}
	version := tag
	f := chartFile(dir, chart, version)
	// OCI tags cannot hold "+"; helm pushes it as "_".
	ref := base + ":" + strings.ReplaceAll(version, "+", "_")
	if exists(f) && !fresh && ociCacheCurrent(client, ref, f) {
		return resolvedChart{file: f, version: version}, nil
	}
	if err := ctx.Err(); err != nil {
		return resolvedChart{}, err
	}
	res, err := client.Pull(ref, registry.PullOptWithChart(true))
	if err != nil {
		return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("pulling chart oci://%s:%s: %v", base, version, err), Hint: "check helm.repo, helm.chart and helm.version and that the registry is reachable", Err: err}
	}
	if res.Chart == nil || len(res.Chart.Data) == 0 {
		return resolvedChart{}, &diag.Error{Msg: fmt.Sprintf("oci://%s:%s is not a Helm chart", base, version)}
	}
	if err := writeAtomic(f, res.Chart.Data); err != nil {
		return resolvedChart{}, &diag.Error{Msg: "caching chart: " + err.Error(), Err: err}
	}
	if res.Manifest != nil {
		if err := writeAtomic(f+manifestSuffix, res.Manifest.Data); err != nil {
			return resolvedChart{}, &diag.Error{Msg: "caching chart: " + err.Error(), Err: err}
		}
	}
	return resolvedChart{file: f, version: version}, nil
}

// manifestSuffix names the manifest kept beside a chart pulled from a
// registry: <version>.tgz.manifest.json.
const manifestSuffix = ".manifest.json"

// ociCacheCurrent reports whether the cached chart f is the chart layer of
// the manifest the registry's tag ref names now. Once a constraint has
// listed the tags, the registry is at hand: as a cached chart from an HTTP
// repository is checked against the index's digest, one from a registry
// is checked against the tag's manifest, which the registry names by its
// digest, so that a chart the cache folder was given from elsewhere
// (actions/cache), or a tag moved since, is pulled again, not rendered.
// The manifest kept beside the chart binds the chart's digest to that.
func ociCacheCurrent(client *registry.Client, ref, f string) bool {
	desc, err := client.Resolve(ref)
	if err != nil {
		return false
	}
	data, err := limits.ReadFile(f + manifestSuffix)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(data)
	if string(desc.Digest) != "sha256:"+hex.EncodeToString(sum[:]) {
		return false
	}
	var m struct {
		Layers []struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
		} `json:"layers"`
	}
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	for _, l := range m.Layers {
		if l.MediaType == registry.ChartLayerMediaType {
			return l.Digest == "sha256:"+fileDigest(f)
		}
	}
	return false
}

// registryClient builds helm's OCI client without helm's cli settings. The
// explicit credentials file, empty, keeps helm from deriving one from
// HELM_* variables; helm still falls back to Docker's credential store for
// private registries. It is not a file of the cache folder, which may come
// from elsewhere (actions/cache): a config.json planted there would choose
// the credentials sent, or a credential helper program to run.
//
// Its requests end with ctx, which helm's client does not take, and its
// tag listings are bounded (registryTransport).
func (e *Engine) registryClient(ctx context.Context) (*registry.Client, error) {
	transport := &registryTransport{next: boundedTransport{next: chartTransport, max: e.bounds.download}, ctx: ctx, maxPages: e.bounds.tagPages}
	opts := []registry.ClientOption{
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptHTTPClient(&http.Client{Timeout: e.bounds.request, Transport: transport, CheckRedirect: noReferer}),
		registry.ClientOptEnableCache(true),
		registry.ClientOptCredentialsFile(os.DevNull),
	}
	if e.opts.PlainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	return registry.NewClient(opts...)
}

// registryTransport gives an OCI registry client's requests the render's
// context, and bounds the pages of a tag list. A registry pages its tag
// list (Link: rel="next"), and oras-go follows the pages while there are
// any: one that always names a next page kept kiln listing, and holding
// every tag, until --timeout or the memory limit.
type registryTransport struct {
	next     http.RoundTripper
	ctx      context.Context
	maxPages int
	pages    atomic.Int32
}

func (t *registryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.ctx.Err(); err != nil {
		return nil, err
	}
	if strings.HasSuffix(r.URL.Path, "/tags/list") && int(t.pages.Add(1)) > t.maxPages {
		return nil, &limits.Error{Input: redactURL(r.URL), What: "the pages of the registry's tag list", Limit: fmt.Sprint(t.maxPages)}
	}
	// The request's own context carries http.Client's Timeout; it also
	// ends with the render's, until the body is closed.
	ctx, cancel := context.WithCancelCause(r.Context())
	stop := context.AfterFunc(t.ctx, func() { cancel(context.Cause(t.ctx)) })
	done := func() { stop(); cancel(nil) }
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		done()
		return nil, err
	}
	resp.Body = &doneBody{ReadCloser: resp.Body, done: done}
	return resp, nil
}

// doneBody calls done once the body is closed.
type doneBody struct {
	io.ReadCloser
	done func()
}

func (b *doneBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}

// writeAtomic writes data to p through a temporary file, so that concurrent
// renders (or kiln processes) never read half a file.
func writeAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".download-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
