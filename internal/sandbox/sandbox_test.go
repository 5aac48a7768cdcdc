package sandbox

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/initgc"
	"github.com/kiln-gitops/kiln/internal/testenv"
	"github.com/kiln-gitops/kiln/templates"
)

// testEngines are what this test binary's workers serve: each misbehaves
// in one way a hostile template can make a real engine misbehave.
var testEngines = map[string]Factory{
	// echo returns the request as a result, through every wire type.
	"echo": func(config []byte) (templates.Engine, error) { return echoEngine{config: string(config)}, nil },
	// zone tells the time zone templates format dates in.
	"zone": func([]byte) (templates.Engine, error) {
		return engineFunc(func(context.Context, *templates.Request) (*templates.Result, error) {
			return &templates.Result{Params: map[string]any{"epoch": time.Unix(0, 0).Format("2006-01-02 15:04 MST")}}, nil
		}), nil
	},
	// hog allocates without end.
	"hog": func([]byte) (templates.Engine, error) {
		return engineFunc(func(context.Context, *templates.Request) (*templates.Result, error) {
			var keep [][]byte
			for {
				// Filled by copying, not byte by byte: under -race every
				// store of a loop is a call into the detector, and this
				// test is about the limit, not the fill.
				keep = append(keep, bytes.Repeat([]byte{1}, 8<<20))
			}
		}), nil
	},
	// recurse recurses without end.
	"recurse": func([]byte) (templates.Engine, error) {
		return engineFunc(func(context.Context, *templates.Request) (*templates.Result, error) {
			return nil, errors.New(strconv.Itoa(recurse(0)))
		}), nil
	},
	// crash panics on a goroutine of its own, which nothing recovers,
	// with a secret in the panic's message.
	"crash": func([]byte) (templates.Engine, error) {
		return engineFunc(func(_ context.Context, req *templates.Request) (*templates.Result, error) {
			go func() { panic("secret " + req.Vars["password"]) }()
			select {}
		}), nil
	},
	// endless writes its pid to <Root>/pid and never returns.
	"endless": func([]byte) (templates.Engine, error) {
		return engineFunc(func(_ context.Context, req *templates.Request) (*templates.Result, error) {
			tmp := filepath.Join(req.Root, "pid.tmp")
			if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
				return nil, err
			}
			if err := os.Rename(tmp, filepath.Join(req.Root, "pid")); err != nil {
				return nil, err
			}
			for i := 0; ; i++ {
				_ = i * i
			}
		}), nil
	},
	// environ returns the worker's environment as Params.
	"environ": func([]byte) (templates.Engine, error) {
		return engineFunc(func(context.Context, *templates.Request) (*templates.Result, error) {
			return &templates.Result{Params: map[string]any{"env": os.Environ()}}, nil
		}), nil
	},
}

func recurse(n int) int { return recurse(n+1) + 1 }

func TestMain(m *testing.M) {
	// As kiln's main does in its init: this binary's workers then start
	// as kiln's do, their first collection deferred (package initgc),
	// and TestMemoryLimit sees a hog die as it would in kiln.
	initgc.Done()
	if os.Getenv(envWorker) == workerMagic {
		// This binary's workers run as on a machine whose time zone is
		// not UTC (TestWorkerZoneIsUTC).
		time.Local = time.FixedZone("JST", 9*60*60)
	}
	Serve(testEngines)
	testenv.ChildrenExitPromptly()
	os.Exit(m.Run())
}

type engineFunc func(context.Context, *templates.Request) (*templates.Result, error)

func (f engineFunc) Render(ctx context.Context, req *templates.Request) (*templates.Result, error) {
	return f(ctx, req)
}

type echoEngine struct{ config string }

// Render answers with an object per YAML document of req.Vars["yaml"], a
// SOPS-like raw object, req's fields in Params, and an error when
// req.Vars["fail"] is set.
func (e echoEngine) Render(_ context.Context, req *templates.Request) (*templates.Result, error) {
	if req.Vars["fail"] != "" {
		return nil, diag.Join(
			&diag.Error{File: "a.yaml", Line: 3, App: req.App, Object: diag.Object{Kind: "ConfigMap", Namespace: "ns", Name: "n"}, Msg: "bad", Hint: "fix it", Err: errors.New("cause")},
			&diag.Error{File: "b.yaml", Err: errors.New("only a cause")},
			errors.New("plain"))
	}
	var objs []templates.Object
	for i, doc := range strings.Split(req.Vars["yaml"], "\n---\n") {
		rn, err := kyaml.Parse(doc)
		if err != nil {
			return nil, err
		}
		objs = append(objs, templates.Object{Node: rn, File: "f.yaml", Line: i + 1})
	}
	objs = append(objs, templates.Object{File: "sops.yaml", Raw: []byte("sops: {}\n\x00\xff")}, templates.Object{File: "empty", Raw: []byte{}})
	return &templates.Result{
		Objects:     objs,
		Inputs:      append([]string{}, req.ValuesFiles...),
		InputDigest: "sha256:" + e.config,
		// The render cache trusts these: they must cross the pipe intact.
		Cacheable: req.Vars["fail"] == "",
		Deps: []templates.Dep{{Kind: "dir", Path: "charts/app", Sum: "sha256:01"}, {Kind: "file", Path: "a b/\xff.yaml", Sum: "sha256:02"},
			{Kind: "resolve", Path: "lib", Sum: "vendor/lib"}, {Kind: "stat", Path: "lib/x.libsonnet", Sum: "none"}},
		Params: map[string]any{"values": req.Values, "jpath": req.JPath, "images": req.Images, "secret": req.SecretVars["password"],
			"nilList": []any(nil), "emptyList": []any{}, "nilMap": map[string]any(nil), "bytes": []byte{0, 1}, "nil": nil,
			"numbers": []any{1, int64(-2), uint64(1 << 63), 1.5, float32(0.25), int32(7)}, "when": time.Date(2024, 2, 29, 1, 2, 3, 4, time.UTC)},
	}, nil
}

func newPool(t *testing.T, opts Options) *Pool {
	t.Helper()
	if opts.MemoryLimit == 0 {
		opts.MemoryLimit = 256 << 20
	}
	p := New(opts)
	t.Cleanup(func() { p.Close() })
	return p
}

// An alias, comments, styles, a document node, tags and odd strings: what
// the YAML encoder writes must come back byte for byte.
const echoYAML = `# head
apiVersion: v1 # line
kind: ConfigMap
metadata:
  name: &n "quoted"
  labels: {a: 'b', c: d}
data:
  copy: *n
  block: |
    two
    lines
  folded: >-
    x y
  tagged: !!str 3
  empty: ""
# foot
---
- [1, 2.50, 0x1F, ~, true]`

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1})
	req := &templates.Request{Root: "/r", App: "app", Namespace: "ns", Env: "dev", KubeVersion: "1.31.0", Path: "p", ChartRepo: "oci://x", ChartVersion: "1.x",
		ValuesFiles: []string{"v1.yaml", "v2.yaml"}, Values: map[string]any{"a": map[string]any{"b": []any{1, "two", nil, 3.5, true}}},
		JPath: []string{}, Vars: map[string]string{"yaml": echoYAML, "x": "\xff\x00"}, SecretVars: map[string]bool{"password": true}}
	want, err := echoEngine{config: "cfg"}.Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ { // the second round reuses the worker
		got, err := p.Engine("echo", []byte("cfg")).Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b *kyaml.RNode) bool {
			if (a == nil) != (b == nil) {
				return false
			}
			return a == nil || a.MustString() == b.MustString() && cmp.Equal(a.YNode(), b.YNode())
		})); diff != "" {
			t.Errorf("round %d: result changed crossing the sandbox (-want +got):\n%s", round, diff)
		}
		// The alias still points at its anchor's node.
		doc := got.Objects[0].Node
		name, _ := doc.Pipe(kyaml.Lookup("metadata", "name"))
		alias, _ := doc.Pipe(kyaml.Lookup("data", "copy"))
		if alias.YNode().Alias != name.YNode() {
			t.Errorf("round %d: the alias lost its anchor", round)
		}
	}
}

// TestWorkerZoneIsUTC: a worker on a machine whose time zone is not UTC
// (TestMain gives this binary's workers JST) evaluates in UTC. Templates
// format dates in time.Local (sprig's date, toDate), which the render
// cache does not key on: a chart that formats one rendered in the zone of
// whichever machine stored its entry.
func TestWorkerZoneIsUTC(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1})
	res, err := p.Engine("zone", nil).Render(context.Background(), &templates.Request{App: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Params["epoch"], "1970-01-01 00:00 UTC"; got != want {
		t.Errorf("the Unix epoch in the worker's zone = %v; want %v", got, want)
	}
}

func TestRoundTripErrors(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1})
	req := &templates.Request{App: "app", Vars: map[string]string{"fail": "1"}}
	_, want := echoEngine{}.Render(context.Background(), req)
	_, got := p.Engine("echo", nil).Render(context.Background(), req)
	if got == nil || got.Error() != want.Error() {
		t.Fatalf("got error\n%v\nwant\n%v", got, want)
	}
	if n := len(diag.Flatten(got)); n != 3 {
		t.Errorf("got %d errors, want 3", n)
	}
	var de *diag.Error
	if !errors.As(got, &de) || de.File != "a.yaml" || de.Line != 3 || de.Object.Name != "n" || de.Err == nil {
		t.Errorf("the diag.Error lost fields: %#v", de)
	}
}

// renderDies renders with engine name and returns the error, which must
// name the app and file and say why the worker died.
func renderDies(t *testing.T, p *Pool, name string, req *templates.Request) *CrashError {
	t.Helper()
	_, err := p.Engine(name, nil).Render(context.Background(), req)
	var de *diag.Error
	if !errors.As(err, &de) || de.App != req.App || de.File != req.Path {
		t.Fatalf("got %v, want a *diag.Error naming app %s and file %s", err, req.App, req.Path)
	}
	var ce *CrashError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a CrashError", err)
	}
	t.Log(err)
	return ce
}

func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1, MemoryLimit: 128 << 20})
	ce := renderDies(t, p, "hog", &templates.Request{App: "big", Path: "charts/big"})
	if ce.Reason != ReasonMemory {
		t.Errorf("reason %q, want %q", ce.Reason, ReasonMemory)
	}
	_, err := p.Engine("hog", nil).Render(context.Background(), &templates.Request{App: "big", Path: "charts/big"})
	if !strings.Contains(err.Error(), "app big: rendering exceeded kiln's memory limit of 128 MiB") {
		t.Errorf("error does not say what happened:\n%v", err)
	}
	// The next render gets a new worker.
	if _, err := p.Engine("echo", nil).Render(context.Background(), &templates.Request{Vars: map[string]string{"yaml": "a: 1"}}); err != nil {
		t.Fatalf("the render after a dead worker failed: %v", err)
	}
}

func TestStackOverflow(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1})
	if ce := renderDies(t, p, "recurse", &templates.Request{App: "deep", Path: "main.jsonnet"}); ce.Reason != ReasonStack {
		t.Errorf("reason %q, want %q", ce.Reason, ReasonStack)
	}
}

// TestCrash: a worker that dies mid-request is an error that does not
// repeat the panic's text (it may quote secrets), and the next render
// gets a fresh worker.
func TestCrash(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1})
	req := &templates.Request{App: "app", Path: "app.jsonnet", Vars: map[string]string{"password": "hunter2-s3cret"}}
	if ce := renderDies(t, p, "crash", req); ce.Reason != ReasonCrash {
		t.Errorf("reason %q, want %q", ce.Reason, ReasonCrash)
	}
	_, err := p.Engine("crash", nil).Render(context.Background(), req)
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(fmt.Sprintf("%+v", err), "hunter2") {
		t.Errorf("the error repeats the worker's panic:\n%v", err)
	}
	if !strings.Contains(err.Error(), "app.jsonnet: app app: the template engine crashed (exit status 2)") {
		t.Errorf("error does not say what happened:\n%v", err)
	}
	if _, err := p.Engine("echo", nil).Render(context.Background(), &templates.Request{Vars: map[string]string{"yaml": "a: 1"}}); err != nil {
		t.Fatalf("the render after a crash failed: %v", err)
	}
}

// TestCancel: when the context ends, the worker is killed and reaped
// before Render returns.
func TestCancel(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1})
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the worker is evaluating.
		for {
			if _, err := os.Stat(filepath.Join(dir, "pid")); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	_, err := p.Engine("endless", nil).Render(ctx, &templates.Request{Root: dir, App: "app", Path: "chart"})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "chart: app app: rendering stopped: context canceled") {
		t.Fatalf("got %v, want a stopped render", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("worker %d still exists after Render returned (kill -0: %v)", pid, err)
	}
}

func TestConcurrentRenders(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 2})
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "echo"
			if i%4 == 3 {
				name = "crash"
			}
			y := fmt.Sprintf("n: %d", i)
			res, err := p.Engine(name, nil).Render(context.Background(), &templates.Request{App: strconv.Itoa(i), Vars: map[string]string{"yaml": y}})
			switch {
			case name == "crash" && err == nil:
				t.Errorf("render %d: the crash went unnoticed", i)
			case name == "echo" && err != nil:
				t.Errorf("render %d: %v", i, err)
			case name == "echo" && strings.TrimSpace(res.Objects[0].Node.MustString()) != y:
				t.Errorf("render %d got another render's result: %s", i, res.Objects[0].Node.MustString())
			}
		}()
	}
	wg.Wait()
}

// TestEnvironment: a worker sees no variable but those it needs; tokens
// and secret vars in kiln's environment stay out of its reach.
func TestEnvironment(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghp_secret")
	t.Setenv("HTTPS_PROXY", "http://proxy:3128")
	p := newPool(t, Options{Workers: 1})
	res, err := p.Engine("environ", nil).Render(context.Background(), &templates.Request{})
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(res.Params["env"].([]string), "\n")
	if strings.Contains(env, "GITHUB_TOKEN") || !strings.Contains(env, "HTTPS_PROXY=http://proxy:3128") {
		t.Errorf("worker environment:\n%s", env)
	}
}

// TestNotAWorker: a program that does not call Serve is refused at once,
// with an error saying so, never run as a worker.
func TestNotAWorker(t *testing.T) {
	t.Parallel()
	for _, exe := range []string{"/bin/echo", "/bin/true"} {
		p := newPool(t, Options{Workers: 1, Executable: exe})
		_, err := p.Engine("echo", nil).Render(context.Background(), &templates.Request{App: "app"})
		if err == nil || !strings.Contains(err.Error(), "must call sandbox.Serve first thing in main") {
			t.Errorf("%s: got %v, want a refusal", exe, err)
		}
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1})
	p.Close()
	if _, err := p.Engine("echo", nil).Render(context.Background(), &templates.Request{}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("got %v after Close", err)
	}
}

// TestWireCarriesEveryField: a Request with every field set crosses the
// wire unchanged, so a field added to templates.Request and forgotten in
// wireRequest (as jsonnet's ExtVars and TLAs once were) fails here.
func TestWireCarriesEveryField(t *testing.T) {
	t.Parallel()
	req := &templates.Request{Root: "/r", App: "app", Namespace: "ns", Env: "dev", KubeVersion: "1.31.0", Path: "p", ChartRepo: "oci://x", ChartVersion: "1.x",
		ValuesFiles: []string{"v.yaml"}, Values: map[string]any{"a": []any{"b", true}}, APIVersions: []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"}, SkipCRDs: true, JPath: []string{"lib"},
		ExtVars: map[string]any{"region": "eu", "n": 2}, TLAs: map[string]any{"conf": map[string]any{"tier": "gold"}},
		Vars: map[string]string{"X": "1"}, SecretVars: map[string]bool{"X": true}, Images: map[string]string{"docker.io/library/redis": "redis:8"}}
	rv := reflect.ValueOf(*req)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Errorf("the test leaves Request.%s unset: set it", rv.Type().Field(i).Name)
		}
	}
	w, err := encodeRequest("echo", nil, req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(w); err != nil {
		t.Fatal(err)
	}
	var back wireRequest
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatal(err)
	}
	got, err := back.decode()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(req, got); diff != "" {
		t.Errorf("the request changed on the wire (-want +got):\n%s", diff)
	}
}

// TestRenderWire: the bytes RenderWire hands over are its result as
// MarshalResult encodes it: the render cache stores them, and they decode
// to that result.
func TestRenderWire(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1})
	req := &templates.Request{App: "app", ValuesFiles: []string{"v.yaml"}, Values: map[string]any{"a": []any{1, "two", nil}},
		Vars: map[string]string{"yaml": echoYAML}, SecretVars: map[string]bool{"password": true}}
	e, ok := p.Engine("echo", []byte("cfg")).(WireEngine)
	if !ok {
		t.Fatal("the pool's engine is no WireEngine")
	}
	res, data, err := e.RenderWire(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := MarshalResult(res)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, mine) {
		t.Error("RenderWire's bytes are not MarshalResult's")
	}
	var got, want wireResponse
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if err := want.UnmarshalBinary(mine); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(value{})); diff != "" {
		t.Errorf("RenderWire's bytes are not what MarshalResult encodes (-MarshalResult +RenderWire):\n%s", diff)
	}
	back, err := UnmarshalResult(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res, back, cmp.Comparer(func(a, b *kyaml.RNode) bool {
		if (a == nil) != (b == nil) {
			return false
		}
		return a == nil || a.MustString() == b.MustString() && cmp.Equal(a.YNode(), b.YNode())
	})); diff != "" {
		t.Errorf("the bytes decode to another result (-rendered +decoded):\n%s", diff)
	}
	// A failed render hands over no bytes.
	if res, data, err := e.RenderWire(context.Background(), &templates.Request{App: "app", Vars: map[string]string{"fail": "1"}}); err == nil || res != nil || data != nil {
		t.Errorf("a failed render: result %v, %d bytes, error %v", res, len(data), err)
	}
}

// TestRelease: Release ends the idle workers at once, Close waits until
// they are reaped, and a render after Release starts a worker of its own.
func TestRelease(t *testing.T) {
	t.Parallel()
	p := newPool(t, Options{Workers: 1})
	e := p.Engine("echo", nil)
	render := func() {
		t.Helper()
		if _, err := e.Render(context.Background(), &templates.Request{Vars: map[string]string{"yaml": "a: 1"}}); err != nil {
			t.Fatal(err)
		}
	}
	pid := func() int {
		t.Helper()
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.workers) != 1 {
			t.Fatalf("%d idle workers, want 1", len(p.workers))
		}
		return p.workers[0].Process.Pid
	}
	render()
	released := pid()
	p.Release()
	if n := p.Idle(); n != 0 {
		t.Fatalf("%d idle workers after Release", n)
	}
	render()
	second := pid()
	if second == released {
		t.Fatal("the released worker served the next render")
	}
	p.Release()
	p.Close()
	for _, pid := range []int{released, second} {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("released worker %d still exists after Close (kill -0: %v)", pid, err)
		}
	}
}

// TestCheckCap: a cap below what the worker already uses is refused with
// both sizes and what to do (without it, the worker's next allocation
// faulted in the garbage collector and was reported as a crash); a cap
// near it makes the worker say nearCap at once.
func TestCheckCap(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		used, c int64
		near    bool
		err     string
	}{
		{used: 85 * mib, c: 64 * mib, err: "the memory limit of 64 MiB is below the 85 MiB a worker uses before it renders anything; raise --memory-limit (KILN_MEMORY_LIMIT)"},
		{used: 64 * mib, c: 64 * mib, err: "below the 64 MiB"},
		{used: 85 * mib, c: 96 * mib, near: true},
		{used: 72 * mib, c: 96 * mib, near: true},
		{used: 71 * mib, c: 96 * mib},
		{used: 20 * mib, c: 4096 * mib},
	} {
		near, err := checkCap(tc.used, tc.c, tc.c)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("used %d, cap %d: %v", tc.used, tc.c, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("used %d, cap %d: got %v, want %q", tc.used, tc.c, err, tc.err)
		case near != tc.near:
			t.Errorf("used %d, cap %d: near %t, want %t", tc.used, tc.c, near, tc.near)
		}
	}
}

// TestOutOfMemoryEnds: what a worker at its data cap may write when its
// watch did not get to write nearCap first (on a machine whose cores are
// all busy), each captured from a worker of TestMemoryLimit, is memory; a
// template's own crash, a nil dereference included, and a worker killed
// by a signal (nothing written) are not.
func TestOutOfMemoryEnds(t *testing.T) {
	for _, tc := range []struct {
		name, stderr string
		memory       bool
	}{
		{"the runtime says so", "fatal error: runtime: out of memory\n", true},
		{"the garbage collector faults", "SIGSEGV: segmentation violation\nPC=0x439cbd m=3 sigcode=1 addr=0x0\n\ngoroutine 0 gp=0x329c252e30e0 m=3 mp=0x329c25329008 [idle]:\nruntime.(*spanQueue).tryDrain(0x400?, 0x0?, 0x0?)\n", true},
		{"no thread can be made", "runtime/cgo: pthread_create failed: Resource temporarily unavailable\nSIGABRT: abort\n", true},
		{"no OS thread can be made", "runtime: failed to create new OS thread (have 12 already; errno=11)\nfatal error: newosproc\n", true},
		{"a template panics", "panic: secret hunter2\n\ngoroutine 7 [running]:\n", false},
		{"a nil dereference", "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]\n", false},
		{"killed", "", false},
	} {
		if got := outOfMemory(tc.stderr); got != tc.memory {
			t.Errorf("%s: outOfMemory = %v, want %v", tc.name, got, tc.memory)
		}
	}
}
