package helm

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/kiln-gitops/kiln/templates"
)

// packageHello packages testdata/remote/hello once per version into dir and
// returns the .tgz paths.
func packageHello(t *testing.T, dir string, versions ...string) []string {
	t.Helper()
	var out []string
	for _, v := range versions {
		ch, err := loader.Load(filepath.Join("testdata", "remote", "hello"))
		if err != nil {
			t.Fatal(err)
		}
		ch.Metadata.Version = v
		p, err := chartutil.Save(ch, dir)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// serveHello serves a chart repository of hello at versions, with its
// index, calling seen on each request; it returns the server and the
// packaged charts.
func serveHello(t *testing.T, seen func(*http.Request), versions ...string) (*httptest.Server, []string) {
	t.Helper()
	dir := t.TempDir()
	tgz := packageHello(t, dir, versions...)
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen(r)
		files.ServeHTTP(w, r)
	}))
	idx, err := repo.IndexDirectory(dir, srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, tgz
}

// remoteSummary is what a remote render is checked by: the chart version
// the templates saw, the files the objects came from and the inputs.
type remoteSummary struct {
	ChartVersion string
	Files        []string
	Inputs       []string
}

func summarize(t *testing.T, res *templates.Result) remoteSummary {
	t.Helper()
	var s remoteSummary
	for _, o := range res.Objects {
		s.Files = append(s.Files, o.File)
		if v, err := o.Node.GetString("data.chartVersion"); err == nil {
			s.ChartVersion = v
		}
	}
	s.Inputs = res.Inputs
	return s
}

func TestHTTPRepository(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv, _ := serveHello(t, func(*http.Request) { requests.Add(1) }, "0.1.0", "0.1.1", "0.2.0", "0.3.0-rc.1")
	root := tempRoot(t)
	cache := t.TempDir()
	render := func(e *Engine, chart, version string) (*templates.Result, error) {
		return e.Render(context.Background(), &templates.Request{Root: root, App: "hi", Namespace: "ns", Path: chart, ChartRepo: srv.URL + "/", ChartVersion: version})
	}
	e := New(Options{CacheDir: cache})
	tests := []struct {
		name, chart, version string
		want                 remoteSummary
		wantErr              string
	}{
		{name: "latest stable", chart: "hello", want: remoteSummary{ChartVersion: "0.2.0", Files: []string{"hello/templates/configmap.yaml"}, Inputs: []string{srv.URL + "/hello@0.2.0"}}},
		{name: "constraint", chart: "hello", version: "~0.1.0", want: remoteSummary{ChartVersion: "0.1.1", Files: []string{"hello/templates/configmap.yaml"}, Inputs: []string{srv.URL + "/hello@0.1.1"}}},
		{name: "exact", chart: "hello", version: "0.1.0", want: remoteSummary{ChartVersion: "0.1.0", Files: []string{"hello/templates/configmap.yaml"}, Inputs: []string{srv.URL + "/hello@0.1.0"}}},
		{name: "pre-release by name", chart: "hello", version: "0.3.0-rc.1", want: remoteSummary{ChartVersion: "0.3.0-rc.1", Files: []string{"hello/templates/configmap.yaml"}, Inputs: []string{srv.URL + "/hello@0.3.0-rc.1"}}},
		{name: "no such version", chart: "hello", version: "^1.0.0", wantErr: `app hi: no version of chart "hello" in ` + srv.URL + ` matches "^1.0.0"` + "\n  hint: set helm.version to one of: 0.3.0-rc.1, 0.2.0, 0.1.1, 0.1.0 (pre-releases need an explicit version or a constraint with a pre-release part)"},
		{name: "no such chart", chart: "helo", wantErr: `app hi: chart "helo" not found in repository ` + srv.URL + "\n  hint: did you mean \"hello\"?"},
		{name: "bad chart name", chart: "../hello", wantErr: `app hi: invalid chart name "../hello" for repository ` + srv.URL + "/\n  hint: helm.chart names a chart in the repository, such as \"redis\""},
	}
	for _, tt := range tests {
		res, err := render(e, tt.chart, tt.version)
		if tt.wantErr != "" {
			if err == nil {
				t.Errorf("%s: Render() succeeded, want an error", tt.name)
			} else if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
				t.Errorf("%s: error (-want +got):\n%s", tt.name, diff)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Render(): %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, summarize(t, res)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		// No Dep can tell that a newer chart now matches the constraint.
		if res.Cacheable {
			t.Errorf("%s: a remote chart's render is Cacheable", tt.name)
		}
	}
	if _, err := os.Stat(filepath.Join(e.cacheDir("http", srv.URL), "hello", "0.2.0.tgz")); err != nil {
		t.Errorf("chart not cached: %v", err)
	}

	// The index is fetched once per Engine; each version is downloaded once.
	before := requests.Load()
	if _, err := render(e, "hello", "~0.1.0"); err != nil {
		t.Fatal(err)
	}
	if n := requests.Load() - before; n != 0 {
		t.Errorf("a repeated render made %d requests, want 0", n)
	}

	srv.Close()
	// With the server gone: a new Engine still renders an exact version
	// from the cache, and the first Engine a constraint it resolved before.
	if res, err := render(New(Options{CacheDir: cache}), "hello", "0.2.0"); err != nil {
		t.Errorf("cached exact version with the server stopped: %v", err)
	} else if got := summarize(t, res).ChartVersion; got != "0.2.0" {
		t.Errorf("cached render has chart version %q, want 0.2.0", got)
	}
	if _, err := render(e, "hello", "~0.1.0"); err != nil {
		t.Errorf("resolved constraint with the server stopped: %v", err)
	}
	if _, err := render(New(Options{CacheDir: cache}), "hello", "~0.2.0"); err == nil || !strings.Contains(err.Error(), "fetching the index of chart repository") {
		t.Errorf("unresolvable constraint with the server stopped: got %v, want an index fetch error", err)
	}
}

// TestCachedChartNotTrusted: the chart cache may come from elsewhere
// (actions/cache); a cached chart that the index's digest does not match,
// or that does not load, is downloaded again, never rendered.
func TestCachedChartNotTrusted(t *testing.T) {
	t.Parallel()
	var downloads atomic.Int32
	srv, tgz := serveHello(t, func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			downloads.Add(1)
		}
	}, "0.1.0", "0.2.0")
	defer srv.Close()
	root := tempRoot(t)
	cache := t.TempDir()
	render := func(version string) (*templates.Result, error) {
		e := New(Options{CacheDir: cache})
		return e.Render(context.Background(), &templates.Request{Root: root, App: "hi", Namespace: "ns", Path: "hello", ChartRepo: srv.URL + "/", ChartVersion: version})
	}
	for _, v := range []string{"0.1.0", "0.2.0"} {
		if _, err := render(v); err != nil {
			t.Fatal(err)
		}
	}
	cached := filepath.Join(New(Options{CacheDir: cache}).cacheDir("http", srv.URL), "hello")
	old, err := os.ReadFile(tgz[0])
	if err != nil {
		t.Fatal(err)
	}

	// Another chart in 0.2.0's place: the index's digest tells.
	if err := os.WriteFile(filepath.Join(cached, "0.2.0.tgz"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	before := downloads.Load()
	res, err := render("~0.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(t, res).ChartVersion; got != "0.2.0" {
		t.Errorf("a replaced cached chart was rendered: chart version %q, want 0.2.0", got)
	}
	if n := downloads.Load() - before; n != 1 {
		t.Errorf("%d downloads, want 1 (the replaced chart again)", n)
	}
	// Downloaded again, it is the cache's again: no more downloads.
	before = downloads.Load()
	if _, err := render("~0.2.0"); err != nil {
		t.Fatal(err)
	}
	if n := downloads.Load() - before; n != 0 {
		t.Errorf("%d downloads of a chart the cache holds, want 0", n)
	}

	// A truncated chart, asked for by exact version (no index read).
	if err := os.WriteFile(filepath.Join(cached, "0.1.0.tgz"), old[:len(old)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = render("0.1.0")
	if err != nil {
		t.Fatalf("a truncated cached chart: %v", err)
	}
	if got := summarize(t, res).ChartVersion; got != "0.1.0" {
		t.Errorf("chart version %q, want 0.1.0", got)
	}
}

// TestCheckedChartNotSharedWithUnchecked: in one run, an app asking for
// an exact version renders the cached chart unchecked; another app of the
// same chart with a constraint reads the index, finds the cached file is
// not the chart it names, and downloads it again. That app renders the
// downloaded chart, not the files the first read from the wrong one.
func TestCheckedChartNotSharedWithUnchecked(t *testing.T) {
	t.Parallel()
	srv, tgz := serveHello(t, func(*http.Request) {}, "0.1.0", "0.2.0")
	defer srv.Close()
	root := tempRoot(t)
	e := New(Options{CacheDir: t.TempDir()})
	dir := filepath.Join(e.cacheDir("http", srv.URL), "hello")
	other, err := os.ReadFile(tgz[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "0.1.0.tgz"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	render := func(version string) string {
		t.Helper()
		res, err := e.Render(context.Background(), &templates.Request{Root: root, App: "hi", Namespace: "ns", Path: "hello", ChartRepo: srv.URL + "/", ChartVersion: version})
		if err != nil {
			t.Fatal(err)
		}
		return summarize(t, res).ChartVersion
	}
	render("0.1.0") // unchecked: an exact version is taken from the cache
	if got := render("~0.1.0"); got != "0.1.0" {
		t.Errorf("the app whose chart was checked and downloaded again rendered chart version %q, want 0.1.0", got)
	}
}

// TestBrokenCachedChartOffline: an exact version is rendered from the
// cache without the network. When the cached chart does not load and the
// repository cannot be reached to download it again, the error says both,
// not only that the repository is unreachable.
func TestBrokenCachedChartOffline(t *testing.T) {
	t.Parallel()
	tgz := packageHello(t, t.TempDir(), "0.1.0")
	// Offline: nothing listens on port 1, and no test can listen there.
	const repoURL = "http://127.0.0.1:1/"
	e := New(Options{CacheDir: t.TempDir()})
	dir := filepath.Join(e.cacheDir("http", strings.TrimSuffix(repoURL, "/")), "hello")
	data, err := os.ReadFile(tgz[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "0.1.0.tgz"), data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: repoURL, ChartVersion: "0.1.0"})
	if err == nil {
		t.Fatal("a truncated cached chart rendered offline")
	}
	for _, want := range []string{"the cached chart hello 0.1.0 from " + repoURL + " does not load (", "and downloading it again failed: fetching the index of chart repository",
		"hint: make the chart repository reachable, or replace the broken chart in the cache folder"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestRemoteNeedsCache(t *testing.T) {
	t.Parallel()
	_, err := New(Options{}).Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: "https://charts.example.com"})
	if err == nil || !strings.Contains(err.Error(), "no chart cache directory") {
		t.Errorf("Render() = %v, want a missing cache error", err)
	}
}

func TestOCIRegistry(t *testing.T) {
	t.Parallel()
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")

	cache := t.TempDir()
	e := New(Options{CacheDir: cache, PlainHTTP: true})
	client, err := e.registryClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range packageHello(t, t.TempDir(), "0.1.0", "0.2.0", "1.0.0+build.1") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "hello-"), ".tgz")
		if _, err := client.Push(data, host+"/charts/hello:"+v); err != nil {
			t.Fatalf("push %s: %v", v, err)
		}
	}

	root := tempRoot(t)
	render := func(e *Engine, version string) (*templates.Result, error) {
		return e.Render(context.Background(), &templates.Request{Root: root, App: "hi", Namespace: "ns", Path: "hello", ChartRepo: "oci://" + host + "/charts", ChartVersion: version})
	}
	tests := []struct {
		name, version string
		want          remoteSummary
	}{
		{name: "exact", version: "0.1.0", want: remoteSummary{ChartVersion: "0.1.0", Files: []string{"hello/templates/configmap.yaml"}, Inputs: []string{"oci://" + host + "/charts/hello@0.1.0"}}},
		{name: "constraint", version: "<1.0.0", want: remoteSummary{ChartVersion: "0.2.0", Files: []string{"hello/templates/configmap.yaml"}, Inputs: []string{"oci://" + host + "/charts/hello@0.2.0"}}},
		{name: "latest", want: remoteSummary{ChartVersion: "1.0.0+build.1", Files: []string{"hello/templates/configmap.yaml"}, Inputs: []string{"oci://" + host + "/charts/hello@1.0.0+build.1"}}},
	}
	for _, tt := range tests {
		res, err := render(e, tt.version)
		if err != nil {
			t.Errorf("%s: Render(): %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, summarize(t, res)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if _, err := render(e, "9.9.9"); err == nil || !strings.Contains(err.Error(), "pulling chart oci://"+host+"/charts/hello:9.9.9") {
		t.Errorf("missing tag: got %v, want a pull error", err)
	}

	reg.Close()
	if _, err := render(New(Options{CacheDir: cache, PlainHTTP: true}), "0.1.0"); err != nil {
		t.Errorf("cached OCI chart with the registry stopped: %v", err)
	}
}

// TestHTTPRepositoryQuery: a repository URL with a query (a signed URL,
// such as an Azure blob container's SAS token) is a folder whose query
// goes with every request, as helm's ResolveReferenceURL keeps it: the
// index is <path>/index.yaml?<query>, and so is a relative chart URL. The
// query and a user's password are credentials: no error and no input
// shows them.
func TestHTTPRepositoryQuery(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	packageHello(t, dir, "0.1.0", "0.2.0")
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := http.StripPrefix("/charts", http.FileServer(http.Dir(dir)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("sig") != "s3cr3t" {
			http.Error(w, "no signature", http.StatusForbidden)
			return
		}
		if strings.HasSuffix(r.URL.Path, "0.2.0.tgz") {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	repoURL := strings.Replace(srv.URL, "http://", "http://user:pa55w0rd@", 1) + "/charts?sig=s3cr3t"
	e := New(Options{CacheDir: t.TempDir()})
	render := func(version string) (*templates.Result, error) {
		return e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: repoURL, ChartVersion: version})
	}
	res, err := render("0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(remoteSummary{ChartVersion: "0.1.0", Files: []string{"hello/templates/configmap.yaml"}, Inputs: []string{srv.URL + "/charts/hello@0.1.0"}}, summarize(t, res)); diff != "" {
		t.Errorf("render (-want +got):\n%s", diff)
	}
	_, err = render("0.2.0")
	if err == nil {
		t.Fatal("Render() of a chart the repository does not serve succeeded")
	}
	if msg := err.Error(); strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "pa55w0rd") || !strings.Contains(msg, "404 Not Found") {
		t.Errorf("Render() = %q, want a 404 that shows neither the query nor the password", msg)
	}
}

// TestOCICacheHoldsNoCredentials: the cache folder may come from
// elsewhere (actions/cache), so a config.json planted in it must not
// choose the registry credentials: not another account's auths, nor a
// credential helper program to run (credsStore, credHelpers).
// Credentials come from Docker's store only.
func TestOCICacheHoldsNoCredentials(t *testing.T) {
	t.Parallel()
	planted := base64.StdEncoding.EncodeToString([]byte("planted:s3cr3t"))
	var sawPlanted atomic.Bool
	regHandler := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if auth == "Basic "+planted {
			sawPlanted.Store(true)
		}
		if auth == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="kiln-test"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		regHandler.ServeHTTP(w, r)
	}))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	cache := t.TempDir()
	cfg := `{"auths": {"` + host + `": {"auth": "` + planted + `"}}}`
	if err := os.MkdirAll(filepath.Join(cache, "oci"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "oci", "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _ = New(Options{CacheDir: cache, PlainHTTP: true}).Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: "oci://" + host + "/charts", ChartVersion: "<1.0.0"})
	if sawPlanted.Load() {
		t.Error("kiln sent the registry the credentials of a config.json planted in the cache folder")
	}
}

// TestOCIRefWithCredentials: an oci:// reference has no place for a user
// and password (helm reads them from its registry login); one written
// there is refused up front, and the error does not show it.
func TestOCIRefWithCredentials(t *testing.T) {
	t.Parallel()
	_, err := New(Options{CacheDir: t.TempDir()}).Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: "oci://bot:pa55w0rd@registry.example.com/charts", ChartVersion: "1.0.0"})
	if err == nil || strings.Contains(err.Error(), "pa55w0rd") || !strings.Contains(err.Error(), "oci://registry.example.com/charts") || !strings.Contains(err.Error(), "docker login") {
		t.Errorf("Render() = %v, want an error naming oci://registry.example.com/charts without the password, pointing to docker login", err)
	}
}

// TestHTTPIndexWithOCIURLs: an index.yaml may name a chart's download as
// an oci:// reference (Bitnami's does: oci://registry-1.docker.io/
// bitnamicharts/redis:20.1.0); helm template pulls it from the registry,
// and so must kiln, checked against the index's digest as a download is.
func TestHTTPIndexWithOCIURLs(t *testing.T) {
	t.Parallel()
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	dir := t.TempDir()
	tgz := packageHello(t, dir, "0.1.0", "0.2.0")
	e := New(Options{CacheDir: t.TempDir(), PlainHTTP: true})
	client, err := e.registryClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []string{"0.1.0", "0.2.0"} {
		data, err := os.ReadFile(tgz[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Push(data, host+"/charts/hello:"+v); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range idx.Entries["hello"] {
		cv.URLs = []string{"oci://" + host + "/charts/hello:" + cv.Version}
		if cv.Version == "0.2.0" {
			cv.Digest = strings.Repeat("0", 64) // not the chart pushed
		}
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	render := func(version string) (*templates.Result, error) {
		return e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: srv.URL, ChartVersion: version})
	}
	res, err := render("~0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(remoteSummary{ChartVersion: "0.1.0", Files: []string{"hello/templates/configmap.yaml"}, Inputs: []string{srv.URL + "/hello@0.1.0"}}, summarize(t, res)); diff != "" {
		t.Errorf("render (-want +got):\n%s", diff)
	}
	if _, err := render("0.2.0"); err == nil || !strings.Contains(err.Error(), "the index says "+strings.Repeat("0", 64)) {
		t.Errorf("Render() of a chart whose pull does not match the index's digest = %v, want a digest error", err)
	}
}

// TestRedirectCarriesNoCredentials: a repository may redirect its index
// or a chart to another host (a CDN, object storage). That host sees
// neither the repository URL's password nor its query, a signed URL's
// credential: net/http would send the query in a Referer header.
func TestRedirectCarriesNoCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	packageHello(t, dir, "0.1.0")
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen []string
	)
	files := http.FileServer(http.Dir(dir))
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s Authorization=%q Referer=%q", r.URL, r.Header.Get("Authorization"), r.Header.Get("Referer")))
		mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(other.Close)
	// Another host name, not only another port: net/http treats ports
	// of one host alike.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	for _, redirected := range []string{"index.yaml", "hello-0.1.0.tgz"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("sig") != "s3cr3t" {
				http.Error(w, "no signature", http.StatusForbidden)
				return
			}
			if path.Base(r.URL.Path) == redirected {
				http.Redirect(w, r, otherURL+"/"+redirected, http.StatusFound)
				return
			}
			http.StripPrefix("/charts", files).ServeHTTP(w, r)
		}))
		repoURL := strings.Replace(srv.URL, "http://", "http://user:pa55w0rd@", 1) + "/charts?sig=s3cr3t"
		e := New(Options{CacheDir: t.TempDir()})
		res, err := e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: repoURL, ChartVersion: "^0.1.0"})
		srv.Close()
		if err != nil {
			t.Fatalf("%s redirected: %v", redirected, err)
		}
		if got := summarize(t, res).ChartVersion; got != "0.1.0" {
			t.Errorf("%s redirected: chart version %q, want 0.1.0", redirected, got)
		}
	}
	want := []string{
		`/index.yaml Authorization="" Referer=""`,
		`/hello-0.1.0.tgz Authorization="" Referer=""`,
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("requests the other host saw (-want +got):\n%s", diff)
	}
}

// TestAbsoluteChartURLCredentials: an index may name its charts by
// absolute URLs. One on the repository's own scheme and host gets the
// repository URL's user and password, as helm's getter (and Flux's
// source-controller) sends a HelmRepository's credentials there; one on
// another host gets none.
func TestAbsoluteChartURLCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	packageHello(t, dir, "0.1.0", "0.2.0", "0.3.0")
	files := http.FileServer(http.Dir(dir))
	var (
		mu   sync.Mutex
		seen []string
	)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s Authorization=%q", r.URL, r.Header.Get("Authorization")))
		mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(elsewhere.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pa55w0rd" || r.URL.Query().Get("sig") != "s3cr3t" && r.URL.Path != "/hello-0.1.0.tgz" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	// 0.1.0 on the repository's host, 0.2.0 on another host name, 0.3.0
	// there too, without a scheme, as a relative URL may name a host.
	other := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)
	for _, cv := range idx.Entries["hello"] {
		cv.URLs = []string{map[string]string{"0.1.0": srv.URL, "0.2.0": other, "0.3.0": strings.TrimPrefix(other, "http:")}[cv.Version] + "/hello-" + cv.Version + ".tgz"}
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	repoURL := strings.Replace(srv.URL, "http://", "http://user:pa55w0rd@", 1) + "/?sig=s3cr3t"
	e := New(Options{CacheDir: t.TempDir()})
	for _, version := range []string{"0.1.0", "0.2.0", "0.3.0"} {
		res, err := e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: repoURL, ChartVersion: version})
		if err != nil {
			t.Fatalf("%s: %v", version, err)
		}
		if got := summarize(t, res).ChartVersion; got != version {
			t.Errorf("chart version %q, want %s", got, version)
		}
	}
	if diff := cmp.Diff([]string{`/hello-0.2.0.tgz Authorization=""`, `/hello-0.3.0.tgz Authorization=""`}, seen); diff != "" {
		t.Errorf("requests the other host saw (-want +got):\n%s", diff)
	}
}

// TestOCICachedChartNotTrusted: with a constraint, kiln lists the
// registry's tags, and a cached chart is rendered only when it is the
// chart layer of the manifest the tag names now: one the cache folder was
// given from elsewhere (actions/cache), or one of a tag moved since, is
// pulled again, as a cached chart from an HTTP repository is checked
// against the index. An unchanged cached chart is not pulled again.
func TestOCICachedChartNotTrusted(t *testing.T) {
	t.Parallel()
	var blobs atomic.Int32
	regHandler := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			blobs.Add(1)
		}
		regHandler.ServeHTTP(w, r)
	}))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	cache := t.TempDir()
	client, err := New(Options{PlainHTTP: true}).registryClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	push := func(p string) []byte {
		t.Helper()
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "hello-"), ".tgz")
		if _, err := client.Push(data, host+"/charts/hello:"+v); err != nil {
			t.Fatalf("push %s: %v", v, err)
		}
		return data
	}
	tgz := packageHello(t, t.TempDir(), "0.1.0", "0.2.0")
	push(tgz[0])
	other := push(tgz[1])
	render := func() string {
		t.Helper()
		e := New(Options{CacheDir: cache, PlainHTTP: true})
		res, err := e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: "oci://" + host + "/charts", ChartVersion: "~0.1.0"})
		if err != nil {
			t.Fatal(err)
		}
		return summarize(t, res).ChartVersion
	}
	render()
	cached := filepath.Join(New(Options{CacheDir: cache}).cacheDir("oci", "oci://"+host+"/charts"), "hello", "0.1.0.tgz")

	before := blobs.Load()
	if got := render(); got != "0.1.0" {
		t.Errorf("chart version %q, want 0.1.0", got)
	}
	if n := blobs.Load() - before; n != 0 {
		t.Errorf("an unchanged cached chart: %d blobs pulled, want 0", n)
	}

	// Another chart in 0.1.0's place.
	if err := os.WriteFile(cached, other, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := render(); got != "0.1.0" {
		t.Errorf("a replaced cached chart was rendered: chart version %q, want 0.1.0", got)
	}

	// The tag moved: 0.1.0 pushed again, with other bytes.
	ch, err := loader.Load(filepath.Join("testdata", "remote", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	ch.Metadata.Version, ch.Metadata.Description = "0.1.0", "pushed again"
	p, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	moved := push(p)
	render()
	if got, err := os.ReadFile(cached); err != nil || !bytes.Equal(got, moved) {
		t.Errorf("the cache holds the chart the tag named before it moved (%v)", err)
	}
}

// TestRefusedRepositoryHint: a repository that refuses kiln (401, 403)
// is not unreachable: the hint asks for its credentials.
func TestRefusedRepositoryHint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	packageHello(t, dir, "0.1.0")
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(dir))
	for _, tt := range []struct {
		status int
		what   string
	}{
		{http.StatusUnauthorized, "index.yaml"},
		{http.StatusForbidden, ".tgz"},
		{http.StatusNotFound, "index.yaml"},
	} {
		refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, tt.what) {
				http.Error(w, "no", tt.status)
				return
			}
			files.ServeHTTP(w, r)
		}))
		e := New(Options{CacheDir: t.TempDir()})
		_, err := e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: refusing.URL, ChartVersion: "^0.1.0"})
		refusing.Close()
		wantHint := "hint: the repository refused kiln: give helm.repo the user and password it needs"
		if tt.status == http.StatusNotFound {
			wantHint = "hint: check helm.repo and that the repository is reachable"
		}
		if err == nil || !strings.Contains(err.Error(), " : "+strconv.Itoa(tt.status)+" "+http.StatusText(tt.status)+"\n  "+wantHint) {
			t.Errorf("%d for %s: got %v, want %q", tt.status, tt.what, err, wantHint)
		}
	}
}

// TestCacheFolderHoldsNoPasswordHash: the chart cache travels
// (actions/cache), and a hash of a password in a folder's name would let
// whoever reads it test guesses offline. A repository's folder is named
// by its URL without the user and password; the query (which may choose
// the repository) still makes another folder.
func TestCacheFolderHoldsNoPasswordHash(t *testing.T) {
	t.Parallel()
	e := New(Options{CacheDir: "/cache"})
	plain := e.cacheDir("http", "https://charts.example.com/x")
	for _, u := range []string{"https://bot:pa55w0rd@charts.example.com/x", "https://bot:pa5#5w/0rd@charts.example.com/x", "https://bot@charts.example.com/x"} {
		if got := e.cacheDir("http", u); got != plain {
			t.Errorf("cacheDir(%q) = %q, want %q, the folder of the URL without its user part", u, got, plain)
		}
	}
	if got := e.cacheDir("http", "https://charts.example.com/x?sig=1"); got == plain {
		t.Errorf("a URL with a query has the folder of the URL without it: %s", got)
	}
	if got, want := e.cacheDir("http", "%zz://bot:pa55w0rd@x"), "repository-"; !strings.Contains(got, want) || strings.Contains(got, "pa55w0rd") {
		t.Errorf("cacheDir of a URL that does not parse = %q, want a folder named %q…", got, want)
	}
}

// TestRepositoryURLOfTheIndex: helm.repo names the repository's folder;
// a URL pasted with its index.yaml is fetched as helm would
// (…/index.yaml/index.yaml), and the hint says what to remove.
func TestRepositoryURLOfTheIndex(t *testing.T) {
	t.Parallel()
	srv, _ := serveHello(t, func(*http.Request) {}, "0.1.0")
	defer srv.Close()
	_, err := New(Options{CacheDir: t.TempDir()}).Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: srv.URL + "/index.yaml?sig=s3cr3t", ChartVersion: "^0.1.0"})
	want := "failed to fetch " + srv.URL + "/index.yaml/index.yaml : 404 Not Found\n  hint: helm.repo is the repository's folder, as for helm repo add: remove /index.yaml from it"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error saying %q", err, want)
	}
}

// TestRefusedElsewhereHint: a chart the index names on another host gets
// neither helm.repo's user and password nor its query, so when that host
// refuses the download the hint does not ask for them.
func TestRefusedElsewhereHint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	packageHello(t, dir, "0.1.0")
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	t.Cleanup(cdn.Close)
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range idx.Entries["hello"] {
		cv.URLs = []string{strings.Replace(cdn.URL, "127.0.0.1", "localhost", 1) + "/hello-" + cv.Version + ".tgz"}
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	repoURL := strings.Replace(srv.URL, "http://", "http://user:pa55w0rd@", 1)
	_, err = New(Options{CacheDir: t.TempDir()}).Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: repoURL, ChartVersion: "0.1.0"})
	if err == nil || !strings.Contains(err.Error(), "hint: the repository's index names this chart on another host") {
		t.Errorf("got %v, want the hint that the chart is on another host", err)
	}
	if err != nil && strings.Contains(err.Error(), "pa55w0rd") {
		t.Errorf("the error shows the password: %v", err)
	}
}
