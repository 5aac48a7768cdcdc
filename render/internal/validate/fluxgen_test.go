package validate

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/objects"
)

// TestFluxJSON: the embedded JSON of each Flux CRD is the encoding of its
// YAML file in fluxcrds/ (compared decompressed: gzip's bytes may change
// with Go's compressor), and there is one per file. With -update it
// writes them (go generate).
func TestFluxJSON(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("fluxcrds/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !*update {
		embedded, err := filepath.Glob("fluxcrds/json/*.json.gz")
		if err != nil {
			t.Fatal(err)
		}
		if len(embedded) != len(files) {
			t.Errorf("%d files in fluxcrds/json, %d CRDs in fluxcrds; run go generate ./render/internal/validate", len(embedded), len(files))
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := objects.Parse(data, f, 0)
		if err != nil || len(objs) != 1 {
			t.Fatalf("%s: %d objects, %v", f, len(objs), err)
		}
		enc := encode(objs[0])
		if enc.err != nil {
			t.Fatalf("%s: %v", f, enc.err)
		}
		name := filepath.Base(f)
		if *update {
			var z bytes.Buffer
			zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
			if err != nil {
				t.Fatal(err)
			}
			zw.Write(enc.data)
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll("fluxcrds/json", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("fluxcrds/json/"+strings.TrimSuffix(name, ".yaml")+".json.gz", z.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got := fluxJSON(name); !bytes.Equal(got, enc.data) {
			t.Errorf("%s: the embedded JSON differs from the CRD's encoding; run go generate ./render/internal/validate", name)
		}
	}
}
