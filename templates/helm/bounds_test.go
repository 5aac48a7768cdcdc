package helm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/limits"
	"github.com/kiln-gitops/kiln/templates"
)

// TestEndlessIndexIsRefused: a chart repository that streams an index.yaml
// without end (no Content-Length) ends in an error naming the URL and the
// limit, after the download bound's bytes, not in an out-of-memory crash.
// The bound is limits.Download (checked here); the stream runs against
// 1 MiB, as the OCI tests run against 64 KiB: what stops it is the same
// code, and 128 MiB through HTTP under -race cost 17 s of CPU.
func TestEndlessIndexIsRefused(t *testing.T) {
	t.Parallel()
	e := New(Options{CacheDir: t.TempDir()})
	if e.bounds.download != limits.Download {
		t.Fatalf("download bound %d, want limits.Download (%d)", e.bounds.download, limits.Download)
	}
	const bound = 1 << 20
	e.bounds.download = bound
	chunk := []byte("# " + strings.Repeat("x", 1<<16-3) + "\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for sent := 0; sent <= bound+len(chunk); sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	_, err := e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: srv.URL, ChartVersion: "1.0.0"})
	if !errors.Is(err, limits.ErrLimit) || !strings.Contains(err.Error(), srv.URL+"/index.yaml: the download size exceeds kiln's limit of 1 MiB") {
		t.Fatalf("got %v, want a download limit error naming the index URL", err)
	}
}

// TestHugeContentLengthIsRefused: a declared size beyond the limit is
// refused before the body is read.
func TestHugeContentLengthIsRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "999999999999")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	_, err := httpGet(context.Background(), srv.URL+"/index.yaml", limits.Download, downloadTimeout)
	if !errors.Is(err, limits.ErrLimit) {
		t.Fatalf("got %v, want ErrLimit", err)
	}
}

// writeChart writes a chart folder named chart below root whose one
// template is tmpl.
func writeChart(t *testing.T, root, chart, tmpl string) {
	t.Helper()
	for name, data := range map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: big\nversion: 0.1.0\n",
		"templates/cm.yaml": tmpl,
	} {
		p := filepath.Join(root, chart, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// manyKeys is a ConfigMap template with .Values.n keys: the chart that
// makes helm print a 3,000,000-key ConfigMap (47 MB, under the output
// bound) with n: 3000000.
const manyKeys = `apiVersion: v1
kind: ConfigMap
metadata:
  name: big
data:
{{- range $i := until (int .Values.n) }}
  k{{ $i }}: "v"
{{- end }}
`

// TestRenderedOutputBounds: a chart whose rendered templates exceed the
// output size or the YAML node bound is refused, naming the chart or the
// template. The bounds are lowered: at the real ones (64 MiB, 4,000,000
// nodes) a 3,000,000-key ConfigMap takes 20 s and 2.2 GB to be refused,
// most of it in helm's own parsing of its output (releaseutil.SortManifests)
// before kiln sees it; see docs/security.md.
func TestRenderedOutputBounds(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeChart(t, root, "chart", manyKeys)
	tests := []struct {
		name   string
		keys   int
		bounds func(*bounds)
		want   string
	}{
		{name: "under both bounds", keys: 100, bounds: func(b *bounds) { b.output, b.nodes = 4<<10, 1000 }},
		{name: "output beyond the size", keys: 1000, bounds: func(b *bounds) { b.output = 4 << 10 },
			want: "chart: app hi: the size of the rendered templates exceeds kiln's limit of 4 KiB"},
		{name: "ConfigMap beyond the nodes", keys: 1000, bounds: func(b *bounds) { b.nodes = 1000 },
			want: "chart/templates/cm.yaml: app hi: rendered template: the number of YAML nodes (aliases expanded) exceeds kiln's limit of 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := New(Options{})
			tt.bounds(&e.bounds)
			_, err := e.Render(context.Background(), &templates.Request{Root: root, App: "hi", Namespace: "ns", Path: "chart", Values: map[string]any{"n": tt.keys}})
			checkLimitErr(t, err, tt.want)
		})
	}
}

// TestOCIDownloadBounds: a registry that declares a manifest or chart
// layer beyond the download bound, or streams one without end, is refused
// with an error naming the URL and the bound, without reading the body to
// its end. The registry is go-containerregistry's, in process, holding a
// real chart; a wrapper replaces one answer. oras-go, under helm's client,
// reads a manifest up to the size the registry declared for it (and no
// more than 4 MiB), so an endless manifest ends in oras-go's error; it
// reads a layer up to the size its manifest declares: the endless layer is
// declared 1 TiB, as a hostile registry would, so that only kiln's bound
// stops it.
func TestOCIDownloadBounds(t *testing.T) {
	t.Parallel()
	// endlessSize ends an "endless" body: far beyond what kiln reads, and
	// beyond what socket buffers hold, so that the server still writing
	// when the client hangs up is seen as a failed write.
	const max, endlessSize = 64 << 10, 32 << 20
	for _, tt := range []struct {
		name string
		// what is the request whose answer is replaced.
		what string
		// stream: an endless body instead of a declared length.
		stream bool
		// oras: the refusal is oras-go's, not kiln's.
		oras bool
	}{
		{name: "manifest declared too big", what: "manifest"},
		{name: "manifest streamed without end", what: "manifest", stream: true, oras: true},
		{name: "layer declared too big", what: "layer"},
		{name: "layer streamed without end", what: "layer", stream: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var manifest, layer atomic.Value // paths, set once the chart is pushed
			var sent atomic.Int64
			reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
			endless := func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusOK)
				chunk := make([]byte, 4<<10)
				for sent.Load() < endlessSize {
					if _, err := w.Write(chunk); err != nil {
						return
					}
					sent.Add(int64(len(chunk)))
				}
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				m, _ := manifest.Load().(string)
				l, _ := layer.Load().(string)
				switch {
				case r.URL.Path == m && tt.what == "manifest" && !tt.stream:
					w.Header().Set("Content-Length", "999999999999")
					w.WriteHeader(http.StatusOK)
				case r.URL.Path == m && tt.what == "manifest" && r.Method == http.MethodGet:
					endless(w)
				case r.URL.Path == m && tt.what == "layer" && tt.stream:
					forgeLayerSize(t, reg, w, r, 1<<40)
				case r.URL.Path == l && tt.what == "layer" && !tt.stream:
					w.Header().Set("Content-Length", "999999999999")
					w.WriteHeader(http.StatusOK)
				case r.URL.Path == l && tt.what == "layer":
					endless(w)
				default:
					reg.ServeHTTP(w, r)
				}
			}))
			// A handler still writing to a client that stopped reading
			// would keep Close waiting: hang up on it first.
			defer func() { srv.CloseClientConnections(); srv.Close() }()
			host := strings.TrimPrefix(srv.URL, "http://")
			e := New(Options{CacheDir: t.TempDir(), PlainHTTP: true})
			e.bounds.download = max
			client, err := e.registryClient(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(packageHello(t, t.TempDir(), "0.1.0")[0])
			if err != nil {
				t.Fatal(err)
			}
			pushed, err := client.Push(data, host+"/charts/hello:0.1.0")
			if err != nil {
				t.Fatal(err)
			}
			manifest.Store("/v2/charts/hello/manifests/0.1.0")
			layer.Store("/v2/charts/hello/blobs/" + pushed.Chart.Digest)
			_, err = e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello", ChartRepo: "oci://" + host + "/charts", ChartVersion: "0.1.0"})
			want := srv.URL + manifest.Load().(string) + ": the download size exceeds kiln's limit of 64 KiB"
			switch {
			case tt.oras:
				want = "pulling chart oci://" + host + "/charts/hello:0.1.0: failed to perform \"Successors\" on source: trailing data"
			case tt.what == "layer":
				want = srv.URL + layer.Load().(string) + ": the download size exceeds kiln's limit of 64 KiB"
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v\nwant an error saying %q", err, want)
			}
			if n := sent.Load(); n >= endlessSize {
				t.Errorf("the registry sent all of its %d bytes: kiln read the endless body to its end", n)
			}
		})
	}
}

// forgeLayerSize answers r, a request for a chart's manifest, with the
// registry's manifest changed to declare every layer size bytes long.
func forgeLayerSize(t *testing.T, reg http.Handler, w http.ResponseWriter, r *http.Request, size int64) {
	rec := httptest.NewRecorder()
	get := r.Clone(r.Context())
	get.Method = http.MethodGet
	reg.ServeHTTP(rec, get)
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Errorf("manifest: %v", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	for _, l := range m["layers"].([]any) {
		l.(map[string]any)["size"] = size
	}
	body, err := json.Marshal(m)
	if err != nil {
		t.Error(err)
	}
	sum := sha256.Sum256(body)
	w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
	w.Header().Set("Docker-Content-Digest", "sha256:"+hex.EncodeToString(sum[:]))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}

// TestCRDFilesCounted: the CRD files, parsed while the templates render,
// count towards the rendered output's node bound as if parsed with it,
// in helm's order (CRDs first): the bound refuses the CRD file that passes
// it, or the template after the CRDs, with the errors of parsing all in
// one go (checked against the code before the CRDs were parsed ahead).
func TestCRDFilesCounted(t *testing.T) {
	t.Parallel()
	configMap := func(name string, keys int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata:\n", name)
		for i := range keys {
			fmt.Fprintf(&b, "  k%d: v\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name    string
		a, b, n int // keys of crds/a.yaml, crds/b.yaml and the template
		want    string
	}{
		{name: "under the bound", a: 200, b: 100, n: 100},
		{name: "the second CRD file passes it", a: 300, b: 300, n: 0,
			want: "chart/crds/b.yaml:1: app hi: the number of YAML nodes (aliases expanded) exceeds kiln's limit of 1000"},
		{name: "one CRD file passes it", a: 600, b: 0, n: 0,
			want: "chart/crds/a.yaml:1: app hi: the number of YAML nodes (aliases expanded) exceeds kiln's limit of 1000"},
		{name: "the template after the CRDs passes it", a: 200, b: 200, n: 100,
			want: "chart/templates/cm.yaml: app hi: rendered template: the number of YAML nodes (aliases expanded) exceeds kiln's limit of 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := tempRoot(t)
			writeChart(t, root, "chart", manyKeys)
			writeFile(t, filepath.Join(root, "chart", "crds", "a.yaml"), configMap("a", tt.a))
			writeFile(t, filepath.Join(root, "chart", "crds", "b.yaml"), configMap("b", tt.b))
			e := New(Options{})
			e.bounds.nodes = 1000
			res, err := e.Render(context.Background(), &templates.Request{Root: root, App: "hi", Namespace: "ns", Path: "chart", Values: map[string]any{"n": tt.n}})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Render(): %v", err)
				}
				if len(res.Objects) != 3 || res.Objects[0].File != "chart/crds/a.yaml" || res.Objects[0].Line != 1 {
					t.Fatalf("objects %v", res.Objects)
				}
				return
			}
			checkLimitErr(t, err, tt.want)
		})
	}
}

// TestLongFailMessage: `fail` prints the chart's text whole, which may be
// any value (toYaml of the values, megabytes of it); kiln shows the
// first diag.MaxMessage bytes, cut between words, at the template's line.
func TestLongFailMessage(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeChart(t, root, "loud", "{{ fail (repeat 100000 \"too loud \") }}\n")
	_, err := New(Options{CacheDir: t.TempDir()}).Render(context.Background(), &templates.Request{Root: root, App: "a", Namespace: "ns", Path: "loud"})
	msg := fmt.Sprint(err)
	if !strings.HasPrefix(msg, "loud/templates/cm.yaml:1: app a: chart refused to render: too loud too loud ") || !strings.Contains(msg, "more bytes of the message)") || len(msg) > diag.MaxMessage+200 {
		t.Errorf("error %.200q… (%d bytes), want the first %d bytes of the message", msg, len(msg), diag.MaxMessage)
	}
}

// TestValuesBounds: a values file's YAML aliases, which helm's YAML
// decoder expands, make effective values (Result.Params, written to
// high-level/) far larger than the file: they are bounded like the output,
// in bytes and in entries, with the bounds lowered.
func TestValuesBounds(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	writeChart(t, root, "chart", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
	// 64 KiB, aliased 20 times: 1.3 MB of values from a 64 KiB file.
	values := "a: &a " + strings.Repeat("x", 64<<10) + "\nb: [" + strings.Repeat("*a, ", 20) + "*a]\n"
	if err := os.WriteFile(filepath.Join(root, "chart", "values.yaml"), []byte(values), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		bounds func(*bounds)
		want   string
	}{
		{name: "under both bounds", bounds: func(b *bounds) { b.output, b.nodes = 2<<20, 100 }},
		{name: "beyond the size", bounds: func(b *bounds) { b.output = 1 << 20 },
			want: "chart: app hi: the chart's effective values: the size of the values (aliases expanded) exceeds kiln's limit of 1 MiB"},
		{name: "beyond the entries", bounds: func(b *bounds) { b.nodes = 10 },
			want: "chart: app hi: the chart's effective values: the number of values (aliases expanded) exceeds kiln's limit of 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := New(Options{})
			tt.bounds(&e.bounds)
			_, err := e.Render(context.Background(), &templates.Request{Root: root, App: "hi", Namespace: "ns", Path: "chart"})
			checkLimitErr(t, err, tt.want)
		})
	}
}

// checkLimitErr fails t unless err is an ErrLimit whose text starts with
// want, or, when want is "", unless err is nil.
func checkLimitErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("Render(): %v", err)
		}
		return
	}
	if !errors.Is(err, limits.ErrLimit) || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v\nwant an ErrLimit starting %q", err, want)
	}
}

// TestSlowServerTimesOut: a chart repository or registry that accepts the
// request and never answers (or answers a byte at a time) fails the
// request after the bound, for an OCI registry as for an HTTP repository:
// helm's registry client takes no context, and without a timeout of its
// own held the render until --timeout (in process, for ever).
func TestSlowServerTimesOut(t *testing.T) {
	t.Parallel()
	if New(Options{}).bounds.request != downloadTimeout {
		t.Fatalf("request bound is not downloadTimeout")
	}
	for _, tt := range []struct {
		name, repo, want string
		// body: the server answers 200 and then never sends the body,
		// else it never answers at all.
		body bool
	}{
		{name: "HTTP index", repo: "http://%s/charts", want: "fetching the index of chart repository"},
		{name: "HTTP index body", repo: "http://%s/charts", want: "fetching the index of chart repository", body: true},
		{name: "OCI tags", repo: "oci://%s/charts", want: "listing the versions of chart"},
		{name: "OCI tags body", repo: "oci://%s/charts", want: "listing the versions of chart", body: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stop := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.body {
					w.WriteHeader(http.StatusOK)
					w.(http.Flusher).Flush()
				}
				select {
				case <-stop:
				case <-r.Context().Done():
				}
			}))
			defer func() { close(stop); srv.Close() }()
			e := New(Options{CacheDir: t.TempDir(), PlainHTTP: true})
			e.bounds.request = 300 * time.Millisecond
			done := make(chan error, 1)
			go func() {
				_, err := e.Render(context.Background(), &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello",
					ChartRepo: fmt.Sprintf(tt.repo, strings.TrimPrefix(srv.URL, "http://")), ChartVersion: "^1.0.0"})
				done <- err
			}()
			select {
			case err := <-done:
				// net/http says "Client.Timeout exceeded" unless the
				// request's context, which carries the same deadline,
				// ended the request first.
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "Client.Timeout") && !strings.Contains(err.Error(), "deadline exceeded") {
					t.Fatalf("got %v, want a timeout error saying %q", err, tt.want)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the render still waits for a server that never answers")
			}
		})
	}
}

// TestEndlessTagListIsRefused: a registry pages its tag list, and one
// that always names a next page is listed only up to the bound, and only
// while the render's context lasts (helm's registry client takes none):
// kiln listed 2,000 pages a second, holding every tag, until --timeout.
func TestEndlessTagListIsRefused(t *testing.T) {
	t.Parallel()
	if New(Options{}).bounds.tagPages != limits.TagPages {
		t.Fatal("tag page bound is not limits.TagPages")
	}
	for _, tt := range []struct {
		name  string
		pages int
		// stop: the render's context ends instead.
		stop time.Duration
		want string
	}{
		{name: "bound", pages: 5, want: "/v2/charts/hello/tags/list: the pages of the registry's tag list exceeds kiln's limit of 5"},
		{name: "context", pages: limits.TagPages * 1000, stop: 300 * time.Millisecond, want: "context deadline exceeded"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var pages atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, "/tags/list") {
					w.WriteHeader(http.StatusOK)
					return
				}
				n := pages.Add(1)
				w.Header().Set("Link", fmt.Sprintf(`</v2/charts/hello/tags/list?last=%d>; rel="next"`, n))
				fmt.Fprintf(w, `{"name":"charts/hello","tags":["%d.0.0","%d.1.0"]}`, n, n)
			}))
			defer srv.Close()
			e := New(Options{CacheDir: t.TempDir(), PlainHTTP: true})
			e.bounds.tagPages = tt.pages
			ctx := context.Background()
			if tt.stop > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.stop)
				defer cancel()
			}
			done := make(chan error, 1)
			go func() {
				_, err := e.Render(ctx, &templates.Request{Root: tempRoot(t), App: "hi", Namespace: "ns", Path: "hello",
					ChartRepo: "oci://" + strings.TrimPrefix(srv.URL, "http://") + "/charts", ChartVersion: "^1.0.0"})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want an error saying %q", err, tt.want)
				}
				if tt.stop == 0 && pages.Load() != int64(tt.pages) {
					t.Errorf("the registry served %d pages, want %d", pages.Load(), tt.pages)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("still listing tags after %d pages", pages.Load())
			}
		})
	}
}
