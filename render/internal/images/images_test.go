package images

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kiln-gitops/kiln/internal/objects"

	gold "github.com/kiln-gitops/kiln/internal/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/kiln-gitops/kiln/templates"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	d0 = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

var refCases = []struct {
	name string
	in   string
	want Ref
	err  bool
}{
	{name: "official image", in: "redis", want: Ref{Repository: "docker.io/library/redis", Spelling: "redis"}},
	{name: "official image with tag", in: "redis:7.2", want: Ref{Repository: "docker.io/library/redis", Spelling: "redis", Tag: "7.2"}},
	{name: "docker.io without library", in: "docker.io/redis:7", want: Ref{Repository: "docker.io/library/redis", Spelling: "docker.io/redis", Tag: "7"}},
	{name: "docker.io with library", in: "docker.io/library/redis", want: Ref{Repository: "docker.io/library/redis", Spelling: "docker.io/library/redis"}},
	{name: "index.docker.io", in: "index.docker.io/library/redis:latest", want: Ref{Repository: "docker.io/library/redis", Spelling: "index.docker.io/library/redis", Tag: "latest"}},
	{name: "docker hub user", in: "bitnami/redis:7", want: Ref{Repository: "docker.io/bitnami/redis", Spelling: "bitnami/redis", Tag: "7"}},
	{name: "ghcr", in: "ghcr.io/acme/vote:1.4.2", want: Ref{Repository: "ghcr.io/acme/vote", Spelling: "ghcr.io/acme/vote", Tag: "1.4.2"}},
	{name: "registry with port, no tag", in: "localhost:5000/x", want: Ref{Repository: "localhost:5000/x", Spelling: "localhost:5000/x"}},
	{name: "registry with port and tag", in: "localhost:5000/x:1", want: Ref{Repository: "localhost:5000/x", Spelling: "localhost:5000/x", Tag: "1"}},
	{name: "localhost is a registry", in: "localhost/x:1", want: Ref{Repository: "localhost/x", Spelling: "localhost/x", Tag: "1"}},
	{name: "digest", in: "ghcr.io/acme/vote@" + d0, want: Ref{Repository: "ghcr.io/acme/vote", Spelling: "ghcr.io/acme/vote", Digest: d0}},
	{name: "tag and digest", in: "redis:7@" + d1, want: Ref{Repository: "docker.io/library/redis", Spelling: "redis", Tag: "7", Digest: d1}},
	{name: "deep path", in: "registry.example.com:443/a/b/c:v1", want: Ref{Repository: "registry.example.com:443/a/b/c", Spelling: "registry.example.com:443/a/b/c", Tag: "v1"}},
	{name: "empty", in: "", err: true},
	{name: "upper case repository", in: "Redis", err: true},
	{name: "empty tag", in: "redis:", err: true},
	{name: "bad digest", in: "redis@sha256:12", err: true},
	{name: "two digests", in: "redis@" + d0 + "@" + d1, err: true},
	{name: "template left over", in: "{{ .Values.image }}", err: true},
	{name: "blank", in: " ", err: true},
	// go-containerregistry takes these; the kubelet refuses them
	// (InvalidImageName), so kiln must not write them into a manifest.
	{name: "tag starting with a dash", in: "ghcr.io/acme/vote:-rc1", err: true},
	{name: "tag starting with a dot", in: "ghcr.io/acme/vote:.1", err: true},
	{name: "empty path component", in: "ghcr.io//vote:1", err: true},
	{name: "component starting with a separator", in: "ghcr.io/acme/_vote:1", err: true},
	{name: "component ending with a separator", in: "ghcr.io/acme/vote.:1", err: true},
	{name: "two dots", in: "ghcr.io/acme/vo..te:1", err: true},
	{name: "registry with an underscore", in: "my_registry.io/vote:1", err: true},
	{name: "registry starting with a dash", in: "-r.io/vote:1", err: true},
	{name: "separators Docker allows", in: "r.io/a__b/c-d--e/f.g_h:1", want: Ref{Repository: "r.io/a__b/c-d--e/f.g_h", Spelling: "r.io/a__b/c-d--e/f.g_h", Tag: "1"}},
	{name: "IPv6 registry", in: "[::1]:5000/x:1", want: Ref{Repository: "[::1]:5000/x", Spelling: "[::1]:5000/x", Tag: "1"}},
	{name: "upper case registry", in: "Registry.Example.com/x:_1", want: Ref{Repository: "registry.example.com/x", Spelling: "Registry.Example.com/x", Tag: "_1"}},
	{name: "upper case Docker Hub", in: "DOCKER.IO/redis:7", want: Ref{Repository: "docker.io/library/redis", Spelling: "DOCKER.IO/redis", Tag: "7"}},
	{name: "upper case localhost without port", in: "LocalHost/x:1", want: Ref{Repository: "localhost/x", Spelling: "LocalHost/x", Tag: "1"}},
	{name: "upper case localhost", in: "LocalHost:5000/x@" + d0, want: Ref{Repository: "localhost:5000/x", Spelling: "LocalHost:5000/x", Digest: d0}},
}

func TestParseRef(t *testing.T) {
	t.Parallel()
	for _, tc := range refCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRef(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("ParseRef(%q) error = %v, want error %v", tc.in, err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseRef(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func FuzzParseRef(f *testing.F) {
	for _, tc := range refCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		// A parsed reference parses again to the same repository.
		again, err := ParseRef(r.String())
		if err != nil {
			t.Fatalf("ParseRef(%q) = %q, which does not parse: %v", s, r.String(), err)
		}
		if again.Repository != r.Repository {
			t.Fatalf("repository of %q: %q, then %q", s, r.Repository, again.Repository)
		}
	})
}

func TestAdd(t *testing.T) {
	t.Parallel()
	type add struct{ ref, source string }
	tests := []struct {
		name    string
		adds    []add
		want    map[string]string
		wantErr string
	}{
		{
			name: "normalised forms are one repository",
			adds: []add{{"redis:7", "--image"}, {"docker.io/library/redis:7", "KILN_IMAGES"}, {"index.docker.io/library/redis:7", "--image"}},
			want: map[string]string{"docker.io/library/redis": "docker.io/library/redis:7"},
		},
		{
			name: "tag and digest kept",
			adds: []add{{"ghcr.io/acme/vote:1.4.2@" + d0, "--image"}, {"localhost:5000/x@" + d1, "--image"}},
			want: map[string]string{
				"ghcr.io/acme/vote": "ghcr.io/acme/vote:1.4.2@" + d0,
				"localhost:5000/x":  "localhost:5000/x@" + d1,
			},
		},
		{
			name:    "no tag",
			adds:    []add{{"ghcr.io/acme/vote", "--image"}},
			wantErr: "--image: image reference \"ghcr.io/acme/vote\" has no tag or digest\n  hint: add :tag or @digest, e.g. ghcr.io/acme/vote:1.0.0",
		},
		{
			name:    "conflict names both sources",
			adds:    []add{{"redis:7", "KILN_IMAGES"}, {"docker.io/library/redis:8", "--image"}},
			wantErr: "--image: image docker.io/library/redis given twice with different references: \"redis:7\" (KILN_IMAGES) and \"docker.io/library/redis:8\" (--image)\n  hint: give each repository once",
		},
		{
			name:    "invalid",
			adds:    []add{{"Redis:7", "--image"}},
			wantErr: "--image: invalid image reference \"Redis:7\": repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: Redis\n  hint: write it as [registry/]repository:tag or [registry/]repository@sha256:digest",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New()
			var errs []error
			for _, a := range tc.adds {
				if err := s.Add(a.ref, a.source); err != nil {
					errs = append(errs, err)
				}
			}
			if diff := cmp.Diff(tc.wantErr, errText(errors.Join(errs...))); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if tc.wantErr == "" {
				if diff := cmp.Diff(tc.want, s.Refs()); diff != "" {
					t.Errorf("Refs (-want +got):\n%s", diff)
				}
				checkRef(t, s)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	t.Parallel()
	s, err := ParseList("redis:7, ghcr.io/acme/vote:1.4.2\nghcr.io/acme/worker@"+d0+"\n\n", "KILN_IMAGES")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"docker.io/library/redis": "docker.io/library/redis:7",
		"ghcr.io/acme/vote":       "ghcr.io/acme/vote:1.4.2",
		"ghcr.io/acme/worker":     "ghcr.io/acme/worker@" + d0,
	}
	if diff := cmp.Diff(want, s.Refs()); diff != "" {
		t.Errorf("Refs (-want +got):\n%s", diff)
	}
	_, err = ParseList("redis,vote:1", "KILN_IMAGES")
	wantErr := "KILN_IMAGES: image reference \"redis\" has no tag or digest\n  hint: add :tag or @digest, e.g. redis:1.0.0"
	if diff := cmp.Diff(wantErr, errText(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestParseFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		data    string
		want    map[string]string
		wantErr string
	}{
		{
			name: "list",
			data: `["ghcr.io/acme/vote:1.4.2", "ghcr.io/acme/worker@` + d0 + `"]`,
			want: map[string]string{"ghcr.io/acme/vote": "ghcr.io/acme/vote:1.4.2", "ghcr.io/acme/worker": "ghcr.io/acme/worker@" + d0},
		},
		{
			name: "object",
			data: `{"ghcr.io/acme/vote": "1.4.2", "redis": "ghcr.io/x/y:1", "docker.io/library/redis": "7"}`,
			wantErr: "images.json:1: image redis: reference \"ghcr.io/x/y:1\" is of another repository (ghcr.io/x/y)\n" +
				"  hint: use the same repository in key and value, or give only the tag",
		},
		{
			// A digest cut short reads as the image "sha256" at a tag.
			name: "object: short digest",
			data: "{\"ghcr.io/acme/vote\": \"sha256:1f2e\"}",
			wantErr: "images.json:1: image ghcr.io/acme/vote: invalid digest \"sha256:1f2e\": invalid checksum digest length\n" +
				"  hint: give the whole digest, as the registry prints it: sha256: and 64 hex digits",
		},
		{
			name: "object forms",
			data: "{\n  \"ghcr.io/acme/vote\": \"1.4.2\",\n  \"ghcr.io/acme/worker\": \"" + d0 + "\",\n  \"redis\": \"7@" + d1 + "\",\n  \"localhost:5000/x\": \"localhost:5000/x:2\"\n}",
			want: map[string]string{
				"ghcr.io/acme/vote":       "ghcr.io/acme/vote:1.4.2",
				"ghcr.io/acme/worker":     "ghcr.io/acme/worker@" + d0,
				"docker.io/library/redis": "docker.io/library/redis:7@" + d1,
				"localhost:5000/x":        "localhost:5000/x:2",
			},
		},
		{
			name: "errors carry lines",
			data: "[\n  \"ghcr.io/acme/vote:1\",\n  \"ghcr.io/acme/worker\",\n  \"ghcr.io/acme/vote:2\"\n]\n",
			wantErr: "images.json:3: image reference \"ghcr.io/acme/worker\" has no tag or digest\n" +
				"  hint: add :tag or @digest, e.g. ghcr.io/acme/worker:1.0.0\n" +
				"images.json:4: image ghcr.io/acme/vote given twice with different references: \"ghcr.io/acme/vote:1\" (images.json:2) and \"ghcr.io/acme/vote:2\" (images.json:4)\n" +
				"  hint: give each repository once",
		},
		{
			name: "key with tag",
			data: `{"redis:7": "8"}`,
			wantErr: "images.json:1: image repository \"redis:7\" has a tag or digest\n" +
				"  hint: write the key as [registry/]repository and the tag or digest as its value",
		},
		{
			name: "syntax error",
			data: "[\n  \"redis:7\"\n  \"vote:1\"\n]",
			wantErr: "images.json:3: invalid images file: expected comma after array element\n" +
				"  hint: write a JSON list of references, [\"ghcr.io/acme/vote:1.4.2\"], or an object {\"ghcr.io/acme/vote\": \"1.4.2\"}",
		},
		{
			name: "not a string",
			data: "{\n  \"redis\": 7\n}",
			wantErr: "images.json:2: invalid images file: json: cannot unmarshal number into Go value of type string\n" +
				"  hint: write a JSON list of references, [\"ghcr.io/acme/vote:1.4.2\"], or an object {\"ghcr.io/acme/vote\": \"1.4.2\"}",
		},
		{
			name: "trailing data",
			data: "[]\n[]",
			wantErr: "images.json:2: invalid images file: unexpected data after the list or object\n" +
				"  hint: write one JSON list or object",
		},
		{
			name: "empty",
			data: "",
			wantErr: "images.json:1: invalid images file: EOF\n" +
				"  hint: write a JSON list of references, [\"ghcr.io/acme/vote:1.4.2\"], or an object {\"ghcr.io/acme/vote\": \"1.4.2\"}",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseFile([]byte(tc.data), "images.json")
			if diff := cmp.Diff(tc.wantErr, errText(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if err == nil {
				if diff := cmp.Diff(tc.want, s.Refs()); diff != "" {
					t.Errorf("Refs (-want +got):\n%s", diff)
				}
				checkRef(t, s)
			}
		})
	}
}

// TestParseFileLargeInLinearTime: the line of each entry is counted on
// from the one before, not from the start of the file. A file with 16 MiB
// of blanks before 100,000 short entries (half the 32 MiB an images file
// may have) took minutes, each entry counting the lines of the 16 MiB
// again; the line numbers of the entries after it must still be right.
func TestParseFileLargeInLinearTime(t *testing.T) {
	t.Parallel()
	const n = 100000
	var b bytes.Buffer
	b.WriteString("[\n")
	b.WriteString(strings.Repeat(" ", 16<<20))
	b.WriteString(strings.Repeat(`"ghcr.io/acme/vote:1",`, n))
	b.WriteString("\n\"ghcr.io/acme/vote:2\"]")
	done := make(chan error, 1)
	go func() {
		_, err := ParseFile(b.Bytes(), "images.json")
		done <- err
	}()
	select {
	case err := <-done:
		want := "images.json:3: image ghcr.io/acme/vote given twice with different references: \"ghcr.io/acme/vote:1\" (images.json:2) and \"ghcr.io/acme/vote:2\" (images.json:3)\n" +
			"  hint: give each repository once"
		if diff := cmp.Diff(want, errText(err)); diff != "" {
			t.Errorf("error (-want +got):\n%s", diff)
		}
	case <-time.After(time.Minute):
		t.Fatalf("ParseFile of a file with %d entries after 16 MiB did not end within a minute", n)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	a, err := ParseList("redis:7,ghcr.io/acme/vote:1", "KILN_IMAGES")
	if err != nil {
		t.Fatal(err)
	}
	b := New()
	if err := b.Add("docker.io/library/redis:7", "--image"); err != nil {
		t.Fatal(err)
	}
	if err := a.Merge(b); err != nil {
		t.Fatalf("merging an equal reference: %v", err)
	}
	c := New()
	if err := c.Add("ghcr.io/acme/vote:2", "--image"); err != nil {
		t.Fatal(err)
	}
	want := "--image: image ghcr.io/acme/vote given twice with different references: \"ghcr.io/acme/vote:1\" (KILN_IMAGES) and \"ghcr.io/acme/vote:2\" (--image)\n  hint: give each repository once"
	if diff := cmp.Diff(want, errText(a.Merge(c))); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

// TestApply rewrites every workload kind of testdata/workloads.yaml with
// testdata/images.json and compares with testdata/workloads.golden.
func TestApply(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "images.json"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := ParseFile(data, "testdata/images.json")
	if err != nil {
		t.Fatal(err)
	}
	objs := readObjects(t, "testdata/workloads.yaml")
	used, _, err := set.Apply("demo", objs)
	if err != nil {
		t.Fatal(err)
	}
	wantUsed := map[string]bool{
		"docker.io/library/redis":    true,
		"docker.io/library/busybox":  true,
		"docker.io/library/postgres": true,
		"ghcr.io/acme/vote":          true,
		"ghcr.io/acme/worker":        true,
		"localhost:5000/agent":       true,
	}
	if diff := cmp.Diff(wantUsed, used); diff != "" {
		t.Errorf("used (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ghcr.io/acme/unused"}, set.Unused(used)); diff != "" {
		t.Errorf("Unused (-want +got):\n%s", diff)
	}
	golden(t, filepath.Join("testdata", "workloads.golden"), encode(t, objs))
}

func TestApplyEmptySetChecksNothing(t *testing.T) {
	t.Parallel()
	objs := parseObjects(t, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - image: '{{ bad }}'\n")
	used, _, err := New().Apply("demo", objs)
	if err != nil || len(used) != 0 {
		t.Errorf("Apply with no images = %v, %v; want nothing", used, err)
	}
}

func TestApplyInvalidImage(t *testing.T) {
	t.Parallel()
	objs := parseObjects(t, "apps/worker/deploy.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: instavote
spec:
  template:
    spec:
      containers:
        - name: ok
          image: redis:7
        - name: worker
          image: "ghcr.io/Acme/worker:1"
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
            - image: "redis:"
`)
	set, err := ParseList("redis:8", "--image")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = set.Apply("worker", objs)
	want := `apps/worker/deploy.yaml:13: app worker: Deployment/instavote/worker: invalid image "ghcr.io/Acme/worker:1" at spec.template.spec.containers[1].image: repository can only contain the characters ` + "`abcdefghijklmnopqrstuvwxyz0123456789_-./`" + `: Acme/worker
  hint: write the image as [registry/]repository[:tag][@digest]
apps/worker/deploy.yaml:25: app worker: CronJob/nightly: invalid image "redis:" at spec.jobTemplate.spec.template.spec.initContainers[0].image: redis: must specify a tag name after the colon
  hint: write the image as [registry/]repository[:tag][@digest]`
	if diff := cmp.Diff(want, errText(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

// TestApplyCustomResourcePattern: a custom resource's containers list may
// hold no image at all but a pattern (a Kyverno policy, kept unchanged in
// testdata/kyverno), which kustomize's images transformer leaves alone.
// kiln did too only when CI gave no image; with one, every render of the
// app failed on "invalid image". A built-in kind's image is still checked
// (TestApplyInvalidImage).
func TestApplyCustomResourcePattern(t *testing.T) {
	t.Parallel()
	file := "testdata/kyverno/restrict-image-registries.yaml"
	objs := readObjects(t, file)
	before := encode(t, objs)
	set, err := ParseList("eu.foo.io/app:1.0", "--image")
	if err != nil {
		t.Fatal(err)
	}
	used, _, err := set.Apply("policies", objs)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(used) != 0 {
		t.Errorf("used = %v, want nothing", used)
	}
	if diff := cmp.Diff(string(before), string(encode(t, objs))); diff != "" {
		t.Errorf("the policy changed (-before +after):\n%s", diff)
	}
	// Nor are its patterns images of the app in the lock file.
	if got := List(objs[0].Node); len(got) != 0 {
		t.Errorf("List = %q, want none", got)
	}
}

// TestListSOPSCiphertext: an image a SOPS document's encryptedRegex
// covers (spec, say) is ciphertext; listed, the lock file recorded it as
// an image the app runs and the pull request body printed it in the app's
// row. An image the rule leaves readable is still one.
func TestListSOPSCiphertext(t *testing.T) {
	t.Parallel()
	const enc = "ENC[AES256_GCM,data:JNCVL90MxGClevCs/rYtkPhJdwg4215NrDs5,iv:GLOOd9XGoSzvwte/WKZrbQVIqqpYY9pA4zSqF9IRguI=,tag:AZJmKP3geXERQ8acVwzgVw==,type:str]"
	objs := parseObjects(t, "d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"+
		"      containers:\n      - name: a\n        image: "+enc+"\n      - name: b\n        image: ghcr.io/acme/vote:1\n"+
		"sops:\n  mac: "+enc+"\n  version: 3.9.0\n  encrypted_regex: ^(image)$\n")
	if got, want := List(objs[0].Node), []string{"ghcr.io/acme/vote:1"}; !cmp.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
}

// TestApplyWarnsOfStaleCopies: a kustomize replacement (or a chart's env
// var) that copies a container's image into another field keeps the
// template's image once CI's image replaces the container's, where
// kustomize's own images: would update both; it went unsaid.
func TestApplyWarnsOfStaleCopies(t *testing.T) {
	t.Parallel()
	objs := parseObjects(t, "out.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: k, annotations: {image: "ghcr.io/acme/k:1.0"}}
spec:
  template:
    spec:
      containers:
      - name: k
        image: ghcr.io/acme/k:1.0
        env:
        - {name: SELF, value: ghcr.io/acme/k:1.0}
        - {name: ARGS, value: --image=ghcr.io/acme/k:1.0}
        - {name: OTHER, value: ghcr.io/acme/other:1.0}
      - name: other
        image: ghcr.io/acme/other:1.0
---
apiVersion: v1
kind: ConfigMap
metadata: {name: k}
data: {IMAGE: ghcr.io/acme/k:1.0, SAME: ghcr.io/acme/same:1}
---
apiVersion: v1
kind: Pod
metadata: {name: same}
spec:
  containers: [{name: s, image: ghcr.io/acme/same:1}]
`)
	set, err := ParseList("ghcr.io/acme/k:2.0,ghcr.io/acme/same:1", "--image")
	if err != nil {
		t.Fatal(err)
	}
	_, warns, err := set.Apply("k", objs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, fmt.Sprintf("%s:%d %s: %s", w.File, w.Line, w.Object.Name, w.Msg))
	}
	want := []string{
		"out.yaml:3 k: metadata.annotations.image holds ghcr.io/acme/k:1.0, an image CI's images replaced: this copy of it keeps the template's image",
		"out.yaml:11 k: spec.template.spec.containers[0].env[0].value holds ghcr.io/acme/k:1.0, an image CI's images replaced: this copy of it keeps the template's image",
		"out.yaml:20 k: data.IMAGE holds ghcr.io/acme/k:1.0, an image CI's images replaced: this copy of it keeps the template's image",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func readObjects(t *testing.T, file string) []templates.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return parseObjects(t, filepath.ToSlash(file), string(data))
}

// parseObjects splits a YAML stream into objects that know their lines,
// like the engines' output.
func parseObjects(t *testing.T, file, data string) []templates.Object {
	t.Helper()
	objs, err := objects.Parse([]byte(data), file, 0)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func encode(t *testing.T, objs []templates.Object) []byte {
	t.Helper()
	var b bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		s, err := o.Node.String()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(s)
	}
	return b.Bytes()
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	gold.File(t, file, got, *update)
}

// checkRef: Ref answers for one repository what Refs maps, and nothing
// for a repository not given.
func checkRef(t *testing.T, s *Set) {
	t.Helper()
	for repo, want := range s.Refs() {
		if got, ok := s.Ref(repo); !ok || got != want {
			t.Errorf("Ref(%q) = %q, %v; Refs has %q", repo, got, ok, want)
		}
	}
	if got, ok := s.Ref("example.com/not/given"); ok {
		t.Errorf("Ref of a repository not given = %q, true", got)
	}
}

// TestHugeReferenceBoundedError: a reference of megabytes (a hostile or
// broken images file) was echoed whole by kiln's message and again by the
// parser's, 10 MB of error for 5 MB of input. No reference is longer than
// maxRef, so the message quotes its start and says how long it was.
func TestHugeReferenceBoundedError(t *testing.T) {
	huge := "ghcr.io/acme/" + strings.Repeat("é", 2<<20) + ":1"
	for name, data := range map[string]string{
		"list":  `["` + huge + `"]`,
		"key":   `{"` + huge + `": "1"}`,
		"value": `{"ghcr.io/acme/app": "` + huge + `"}`,
	} {
		_, err := ParseFile([]byte(data), "images.json")
		if err == nil {
			t.Fatalf("%s: a %d-byte reference was accepted", name, len(huge))
		}
		if msg := err.Error(); len(msg) > 2048 || !strings.Contains(msg, "bytes") || !utf8.ValidString(msg) {
			t.Errorf("%s: %d bytes of error: %.300s", name, len(msg), msg)
		}
	}
	if _, err := ParseRef(huge); err == nil || len(err.Error()) > 200 {
		t.Errorf("ParseRef: %.300v", err)
	}
}

// A registry is a host name, compared without case: an image given in
// upper case matches the manifest's lower-case one and the reverse, and
// the manifest keeps its own spelling.
func TestApplyRegistryCase(t *testing.T) {
	t.Parallel()
	set, err := ParseList("GHCR.IO/acme/vote:2,docker.io/library/redis:8", "--image")
	if err != nil {
		t.Fatal(err)
	}
	objs := parseObjects(t, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - image: ghcr.io/acme/vote:1\n  - image: DOCKER.IO/redis:7\n")
	used, _, err := set.Apply("demo", objs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"ghcr.io/acme/vote": true, "docker.io/library/redis": true}, used); diff != "" {
		t.Errorf("used (-want +got):\n%s", diff)
	}
	got := string(encode(t, objs))
	for _, want := range []string{"image: ghcr.io/acme/vote:2", "image: DOCKER.IO/redis:8"} {
		if !strings.Contains(got, want) {
			t.Errorf("the pod has no %q:\n%s", want, got)
		}
	}
	// One repository given twice, in two cases, with two tags: an error.
	if _, err := ParseList("GHCR.IO/acme/vote:2,ghcr.io/acme/vote:3", "--image"); err == nil {
		t.Errorf("ParseList of one repository with two tags in two cases gave no error")
	}
}

// TestApplyNoStaleCopyOfAnUnpinnedImage: a container's image written
// without tag or digest ("nginx", "ghcr.io/acme/web") is a word the
// container's name, the object's name and its labels hold as well, or a
// repository's name, which CI's image keeps (a Flux ImageRepository's
// spec.image): none of them is a stale copy. Each was a warning, and
// under --strict an error that failed the render.
func TestApplyNoStaleCopyOfAnUnpinnedImage(t *testing.T) {
	t.Parallel()
	objs := parseObjects(t, "out.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, labels: {app: nginx}}
spec:
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx
      - name: web
        image: ghcr.io/acme/web
        env:
        - {name: REPO, value: ghcr.io/acme/web}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: web}
spec: {image: ghcr.io/acme/web, interval: 5m}
`)
	set, err := ParseList("nginx:1.27,ghcr.io/acme/web:2.0", "--image")
	if err != nil {
		t.Fatal(err)
	}
	_, warns, err := set.Apply("web", objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warns {
		t.Errorf("warning about no stale copy: %s", w.String())
	}
}

// TestApplyImageVolume: an image volume (volumes[].image.reference, a pod
// field since Kubernetes 1.31) mounts an OCI image, which CI builds like a
// container's. It used to keep the template's tag while CI's image was
// reported as used by no app, and it was missing from the lock's images.
func TestApplyImageVolume(t *testing.T) {
	t.Parallel()
	objs := parseObjects(t, "apps/infer/deploy.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: infer
spec:
  template:
    spec:
      containers:
        - name: server
          image: ghcr.io/acme/server:1
      volumes:
        - name: config
          configMap:
            name: infer
        - name: model
          image:
            reference: ghcr.io/acme/model:1
            pullPolicy: IfNotPresent
`)
	if diff := cmp.Diff([]string{"ghcr.io/acme/model:1", "ghcr.io/acme/server:1"}, List(objs[0].Node)); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	set, err := ParseList("ghcr.io/acme/model:2", "--image")
	if err != nil {
		t.Fatal(err)
	}
	used, _, err := set.Apply("infer", objs)
	if err != nil {
		t.Fatal(err)
	}
	if !used["ghcr.io/acme/model"] {
		t.Errorf("the image volume's repository is not used: %v", used)
	}
	got := string(encode(t, objs))
	if !strings.Contains(got, "reference: ghcr.io/acme/model:2\n") || !strings.Contains(got, "image: ghcr.io/acme/server:1\n") {
		t.Errorf("output:\n%s", got)
	}

	bad := parseObjects(t, "apps/infer/pod.yaml", `apiVersion: v1
kind: Pod
metadata:
  name: infer
spec:
  containers:
    - name: server
      image: ghcr.io/acme/server:1
  volumes:
    - name: model
      image:
        reference: "ghcr.io/acme/model:"
`)
	_, _, err = set.Apply("infer", bad)
	want := `apps/infer/pod.yaml:12: app infer: Pod/infer: invalid image "ghcr.io/acme/model:" at spec.volumes[0].image.reference: ghcr.io/acme/model: must specify a tag name after the colon
  hint: write the image as [registry/]repository[:tag][@digest]`
	if diff := cmp.Diff(want, errText(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

// TestStaleCopyOfImageVolume: a copy of an image volume's reference is
// warned of as a container image's copy is, and the warning no longer
// calls the image a container's or says CI's images are set in container
// images only.
func TestStaleCopyOfImageVolume(t *testing.T) {
	t.Parallel()
	objs := parseObjects(t, "out.yaml", `apiVersion: v1
kind: Pod
metadata:
  name: infer
  annotations:
    model: ghcr.io/acme/model:1
spec:
  containers:
    - name: server
      image: ghcr.io/acme/server:1
  volumes:
    - name: model
      image:
        reference: ghcr.io/acme/model:1
`)
	set, err := ParseList("ghcr.io/acme/model:2", "--image")
	if err != nil {
		t.Fatal(err)
	}
	_, warns, err := set.Apply("infer", objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 {
		t.Fatalf("%d warnings, want 1: %v", len(warns), warns)
	}
	if !strings.Contains(warns[0].Msg, "metadata.annotations.model holds ghcr.io/acme/model:1, an image CI's images replaced") ||
		strings.Contains(warns[0].Msg+warns[0].Hint, "container image") {
		t.Errorf("warning: %s\n  hint: %s", warns[0].Msg, warns[0].Hint)
	}
}
