//go:build apiservercheck

package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-gitops/kiln/internal/diag"
	"github.com/kiln-gitops/kiln/internal/objects"
	"github.com/kiln-gitops/kiln/templates"
)

// apiserverVerdict is one object's verdict, in the shape the API server
// oracle of internal/apiservercheck writes, so the two can be compared.
type apiserverVerdict struct {
	File     string `json:"file"`
	Index    int    `json:"index"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Accepted bool   `json:"accepted"`
	Message  string `json:"message,omitempty"`
}

// yamlFiles lists the .yaml files under dir, in name order.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// TestAPIServerCheckVerdicts writes kiln's verdict on every object of the
// YAML files under $APISERVERCHECK_IN, at kubeVersion 1.37 with the CRDs
// under $APISERVERCHECK_CRDS as the env's, to $APISERVERCHECK_OUT as JSON.
// make apiservercheck compares it with a real API server's
// (internal/apiservercheck, docs/validation.md).
func TestAPIServerCheckVerdicts(t *testing.T) {
	in, out, crdDir := os.Getenv("APISERVERCHECK_IN"), os.Getenv("APISERVERCHECK_OUT"), os.Getenv("APISERVERCHECK_CRDS")
	if in == "" || out == "" {
		t.Skip("APISERVERCHECK_IN and APISERVERCHECK_OUT not set")
	}
	var crds []templates.Object
	if crdDir != "" {
		for _, f := range yamlFiles(t, crdDir) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := objects.Parse(data, f, 0)
			if err != nil {
				t.Fatalf("CRD file %s: %v", f, err)
			}
			for _, o := range objs {
				if o.Node.GetKind() == "CustomResourceDefinition" {
					crds = append(crds, o)
				}
			}
		}
	}
	env, err := schemas().Env("1.37.0", crds)
	if err != nil {
		t.Fatalf("env CRDs: %v", err)
	}
	verdicts := []apiserverVerdict{}
	for _, f := range yamlFiles(t, in) {
		rel, _ := filepath.Rel(in, f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := objects.Parse(data, rel, 0)
		if err != nil {
			verdicts = append(verdicts, apiserverVerdict{File: rel, Message: "parse: " + err.Error()})
			continue
		}
		for i, o := range objs {
			v := apiserverVerdict{File: rel, Index: i, Kind: o.Node.GetKind(), Name: o.Node.GetName(), Accepted: true}
			var msgs []string
			// A CRD's own create validation runs when an env that renders
			// it is made, not when its objects are checked.
			if o.Node.GetKind() == "CustomResourceDefinition" {
				if _, err := schemas().Env("1.37.0", []templates.Object{o}); err != nil {
					for _, e := range diag.Flatten(err) {
						msgs = append(msgs, e.Error())
					}
				}
			}
			if err := env.Objects("corpus", []templates.Object{o}); err != nil {
				for _, e := range diag.Flatten(err) {
					msgs = append(msgs, e.Error())
				}
			}
			if len(msgs) > 0 {
				v.Accepted = false
				v.Message = strings.Join(msgs, "\n")
			}
			verdicts = append(verdicts, v)
		}
	}
	b, err := json.MarshalIndent(verdicts, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d verdicts written to %s", len(verdicts), out)
}
