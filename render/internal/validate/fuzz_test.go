package validate

import (
	"fmt"
	"os"
	"testing"

	"github.com/kiln-gitops/kiln/internal/objects"
)

// FuzzObjects: whatever YAML an engine yields — CRDs and the objects of
// their kinds included — validating it returns (errors are the point), and
// never stops kiln. kiln's own walkers (fields newer or dropped, CRD
// fields, apply keys, sizes) read what the user wrote, at any depth.
// An exec compiles CRDs and CEL rules, so minimizing a new input takes
// minutes: run it with -fuzzminimizetime 0.
func FuzzObjects(f *testing.F) {
	for _, file := range []string{"testdata/valid.yaml", "testdata/invalid.yaml", "testdata/widget-crd.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(31))
	}
	crd, err := os.ReadFile("testdata/widget-crd.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append(crd, "\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: small, url: 'https://x', ports: [{name: a}, {name: a}]}\n"...), uint8(29))
	f.Add([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x, resources: {}}]}}}\n"), uint8(25))
	f.Fuzz(func(t *testing.T, data []byte, minor uint8) {
		objs, err := objects.Parse(data, "fuzz.yaml", 0)
		if err != nil {
			return
		}
		kube := ""
		if minor%15 != 14 {
			kube = fmt.Sprintf("1.%d.0", 24+minor%15)
		}
		env, err := schemas().Env(kube, objs)
		if err != nil {
			return
		}
		_ = env.Objects("fuzz", objs)
		for _, o := range objs {
			env.Dropped(o)
		}
	})
}
