package objects

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestKeepFlowNulls: the YAML test suite's documents with empty nulls in
// flow collections, written by kiln's writer (kyaml's encoder) and read
// back by kyaml's reader, Flux's, are the values kiln read from them. That
// is the suite's in.json but for HM87-01, whose [?x] yaml.v3 reads as
// [{x: null}], kiln and Flux alike.
func TestKeepFlowNulls(t *testing.T) {
	files, err := filepath.Glob("../../testdata/yaml-test-suite/*/in.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, f := range files {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, "in.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			wantJSON, err := os.ReadFile(filepath.Join(dir, "in.json"))
			if err != nil {
				t.Fatal(err)
			}
			var suite, want any
			if err := json.Unmarshal(wantJSON, &suite); err != nil {
				t.Fatal(err)
			}
			if err := kyaml.Unmarshal(in, &want); err != nil {
				t.Fatal(err)
			}
			if filepath.Base(dir) != "HM87-01" && !cmp.Equal(suite, want) {
				t.Fatalf("kyaml reads %v, the suite says %v", want, suite)
			}
			var doc kyaml.Node
			if err := kyaml.NewDecoder(bytes.NewReader(in)).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if !KeepFlowNulls(&doc) {
				t.Error("reported no change")
			}
			if KeepFlowNulls(&doc) {
				t.Error("changed a tree already changed")
			}
			var b bytes.Buffer
			e := kyaml.NewEncoder(&b)
			if err := e.Encode(&doc); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			var got any
			if err := kyaml.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatalf("%s: %v", b.Bytes(), err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("written as\n%s\nreads back otherwise (-kiln's read +written and read):\n%s", b.Bytes(), diff)
			}
		})
	}
}

// TestKeepFlowNullsBlock: an empty null of a block collection is written
// `a:` and read back as null; it is left as it is, and so are nulls that
// are written out.
func TestKeepFlowNullsBlock(t *testing.T) {
	var doc kyaml.Node
	if err := kyaml.Unmarshal([]byte("a:\nb: [~, null, !!null '']\nc:\n- \n"), &doc); err != nil {
		t.Fatal(err)
	}
	if KeepFlowNulls(&doc) {
		t.Error("changed nulls the writer keeps")
	}
}
