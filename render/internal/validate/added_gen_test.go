package validate

// The generator of k8sopenapi/added.txt (see addedFields): the fields of
// each built-in kind that a Kubernetes release from 1.24 on added, with
// the release, from the OpenAPI v3 documents kube-apiserver publishes for
// each release (api/openapi-spec/v3 in k8s.io/kubernetes). It needs those
// documents, one module version a minor release, which `go mod download
// k8s.io/kubernetes@v1.N.0` brings into the module cache:
//
//	go test -run '^TestAddedFields$' ./render/internal/validate -args -added-from "$(go env GOMODCACHE)/k8s.io"
//
// Without -added-from the test checks the embedded table against the
// embedded 1.37 schemas: every field it names is one of the kind's.

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var addedFrom = flag.String("added-from", "", "regenerate k8sopenapi/added.txt from the k8s.io/kubernetes@v1.N.* modules in this folder")

func TestAddedFields(t *testing.T) {
	t.Parallel()
	if *addedFrom != "" {
		data := generateAdded(t, *addedFrom)
		if err := os.WriteFile("k8sopenapi/added.txt", data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	// Every field the table names is a field of the kind in the newest
	// schemas, and every release it names is one kiln's table spans.
	paths := releasePaths(t, schemasOf(t, builtinComponents(t)))
	for gvk, fields := range parseAdded(addedTable) {
		have, ok := paths[gvk]
		if !ok {
			t.Errorf("%s: in k8sopenapi/added.txt, not a kind of the embedded schemas", gvk)
			continue
		}
		for p, since := range fields {
			if !have[p] {
				t.Errorf("%s %s: not a field of the kind in the embedded schemas", gvk, p)
			}
			// addedOf takes a kubeVersion of apiRelease or newer to know
			// every field of the table.
			if since <= addedBase || uint(since) > apiReleaseMinor {
				t.Errorf("%s %s: release 1.%d out of the table's span", gvk, p, since)
			}
		}
	}
}

// builtinComponents reads the embedded schemas.json.gz's component schemas.
func builtinComponents(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	data, err := os.ReadFile("k8sopenapi/schemas.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	if data, err = gunzip(data); err != nil {
		t.Fatal(err)
	}
	return readComponents(t, data)
}

// readComponents returns an OpenAPI v3 document's component schemas.
func readComponents(t *testing.T, data []byte) map[string]json.RawMessage {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Components.Schemas
}

// openAPISchema is what the walk reads of a component schema.
type openAPISchema struct {
	Ref                  string          `json:"$ref"`
	AllOf                []openAPISchema `json:"allOf"`
	Properties           map[string]openAPISchema
	Items                *openAPISchema
	AdditionalProperties json.RawMessage
	GVK                  []struct{ Group, Version, Kind string } `json:"x-kubernetes-group-version-kind"`
}

func schemasOf(t *testing.T, raw map[string]json.RawMessage) map[string]openAPISchema {
	t.Helper()
	out := make(map[string]openAPISchema, len(raw))
	for name, r := range raw {
		var s openAPISchema
		if err := json.Unmarshal(r, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

// releasePaths returns, by kind ("apps/v1/Deployment"), the field paths of
// its schema in one release's components: "spec.template.spec.containers[].image",
// "*" for a map's values. status is left out (the API server drops it on
// create), and a schema met again below itself is not entered again.
func releasePaths(t *testing.T, schemas map[string]openAPISchema) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	for name, s := range schemas {
		for _, gvk := range s.GVK {
			if strings.HasSuffix(name, "List") || gvk.Kind == "WatchEvent" || gvk.Kind == "DeleteOptions" || gvk.Kind == "Status" {
				continue
			}
			key := gvk.Group + "/" + gvk.Version + "/" + gvk.Kind
			paths := map[string]bool{}
			var walk func(s openAPISchema, path string, seen []string)
			walk = func(s openAPISchema, path string, seen []string) {
				ref := s.Ref
				if ref == "" && len(s.AllOf) > 0 {
					ref = s.AllOf[0].Ref
				}
				if ref != "" {
					name := strings.TrimPrefix(ref, "#/components/schemas/")
					if slices.Contains(seen, name) {
						return
					}
					seen = append(seen, name)
					s = schemas[name]
				}
				for p, c := range s.Properties {
					if path == "" && p == "status" {
						continue
					}
					q := p
					if path != "" {
						q = path + "." + p
					}
					paths[q] = true
					walk(c, q, seen)
				}
				if s.Items != nil {
					paths[path+"[]"] = true
					walk(*s.Items, path+"[]", seen)
				}
				var ap openAPISchema
				if len(s.AdditionalProperties) > 0 && json.Unmarshal(s.AdditionalProperties, &ap) == nil {
					paths[path+".*"] = true
					walk(ap, path+".*", seen)
				}
			}
			walk(s, "", nil)
			out[key] = paths
		}
	}
	return out
}

// generateAdded writes added.txt: for each kind and each field that a
// release after addedBase added to a kind the release already served,
// "<group>/<version>/<Kind> <path> <minor>", the oldest field of a new
// subtree only (what it holds came with it), sorted.
func generateAdded(t *testing.T, modDir string) []byte {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(modDir, "kubernetes@v1.*"))
	if err != nil {
		t.Fatal(err)
	}
	// The newest patch release of each minor.
	best := map[int]string{}
	re := regexp.MustCompile(`kubernetes@v1\.(\d+)\.(\d+)$`)
	patch := map[int]int{}
	for _, d := range dirs {
		m := re.FindStringSubmatch(d)
		if m == nil {
			continue
		}
		minor, _ := strconv.Atoi(m[1])
		p, _ := strconv.Atoi(m[2])
		if _, ok := best[minor]; !ok || p > patch[minor] {
			best[minor], patch[minor] = d, p
		}
	}
	byRelease := map[int]map[string]map[string]bool{}
	for minor := addedBase; minor <= 37; minor++ {
		d, ok := best[minor]
		if !ok {
			t.Fatalf("no k8s.io/kubernetes@v1.%d.* in %s: go mod download k8s.io/kubernetes@v1.%d.0", minor, modDir, minor)
		}
		files, err := filepath.Glob(filepath.Join(d, "api", "openapi-spec", "v3", "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no OpenAPI v3 documents", d)
		}
		raw := map[string]json.RawMessage{}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range readComponents(t, data) {
				raw[k] = v
			}
		}
		byRelease[minor] = releasePaths(t, schemasOf(t, raw))
	}
	// Only the kinds kiln decodes with the embedded schemas (a CRD is
	// read by apiextensions' own code).
	embedded := releasePaths(t, schemasOf(t, builtinComponents(t)))
	var lines []string
	for gvk, paths := range byRelease[37] {
		if embedded[gvk] == nil {
			continue
		}
		// The kind's first release of the run of releases that serve it
		// up to the newest.
		kindSince := 37
		for kindSince > addedBase && byRelease[kindSince-1][gvk] != nil {
			kindSince--
		}
		since := map[string]int{}
		for p := range paths {
			s := 37
			for s > kindSince && byRelease[s-1][gvk][p] {
				s--
			}
			since[p] = s
		}
		for p, s := range since {
			if s == kindSince || since[parentPath(p)] >= s {
				continue
			}
			lines = append(lines, fmt.Sprintf("%s %s %d", gvk, p, s))
		}
	}
	sort.Strings(lines)
	return []byte("# Fields of built-in kinds and the Kubernetes release (1.N) that added them, after 1.24.\n# Generated by TestAddedFields (added_gen_test.go); do not edit.\n" + strings.Join(lines, "\n") + "\n")
}

// parentPath is the path of the field holding p's field, "" at the top.
func parentPath(p string) string {
	if q, ok := strings.CutSuffix(p, "[]"); ok {
		return q
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}
