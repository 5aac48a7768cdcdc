// Command gen writes ../schemas.json.gz: the OpenAPI v3 component schemas
// of every kind of client-go's scheme, built as kube-apiserver builds the
// ones it publishes (openapi-gen's definitions of k8s.io/api, assembled by
// kube-openapi's builder3), without descriptions. gen.sh runs it; see
// ../README.md. It is a module of its own so that kiln's build never sees
// the generated definitions it imports.
package main

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"kiln.invalid/k8sopenapi/gen/defs"
)

func friendly(name string) string {
	if !strings.Contains(name, "/") {
		return name
	}
	// k8s.io/api/core/v1.Pod -> io.k8s.api.core.v1.Pod
	pkg, typ := name[:strings.LastIndex(name, ".")], name[strings.LastIndex(name, ".")+1:]
	parts := strings.Split(pkg, "/")
	dom := strings.Split(parts[0], ".")
	for i, j := 0, len(dom)-1; i < j; i, j = i+1, j-1 {
		dom[i], dom[j] = dom[j], dom[i]
	}
	parts[0] = strings.Join(dom, ".")
	return strings.Join(parts, ".") + "." + typ
}

// strip removes what validation does not read.
func strip(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range []string{"description", "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key"} {
			delete(v, k)
		}
		for k, c := range v {
			v[k] = strip(c)
		}
	case []any:
		for i, c := range v {
			v[i] = strip(c)
		}
	}
	return v
}

func main() {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	gvks := map[string][]map[string]string{}
	var names []string
	for gvk, t := range s.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || !strings.HasPrefix(t.PkgPath(), "k8s.io/api/") || strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		n := t.PkgPath() + "." + t.Name()
		if m, ok := reflect.New(t).Elem().Interface().(interface{ OpenAPIModelName() string }); ok {
			n = m.OpenAPIModelName()
		}
		if len(gvks[n]) == 0 {
			names = append(names, n)
		}
		gvks[n] = append(gvks[n], map[string]string{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind})
	}
	all := defs.GetOpenAPIDefinitions(func(string) spec.Ref { return spec.Ref{} })
	kept := names[:0]
	for _, n := range names {
		// Kinds openapi-gen has no definition for (the subresource
		// option kinds: PodExecOptions, …) are never manifests.
		if _, ok := all[n]; ok {
			kept = append(kept, n)
		}
	}
	names = kept
	sort.Strings(names)
	cfg := &common.OpenAPIV3Config{
		GetDefinitions: defs.GetOpenAPIDefinitions,
		GetDefinitionName: func(name string) (string, spec.Extensions) {
			if g, ok := gvks[name]; ok {
				return friendly(name), spec.Extensions{"x-kubernetes-group-version-kind": g}
			}
			return friendly(name), nil
		},
	}
	out, err := builder3.BuildOpenAPIDefinitionsForResources(cfg, names...)
	if err != nil {
		panic(err)
	}
	// Round-trip through generic JSON to drop the descriptions (most of
	// the size, no validation) and the patch-strategy hints kubectl uses.
	data, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		panic(err)
	}
	data, err = json.Marshal(map[string]any{"components": map[string]any{"schemas": strip(generic)}})
	if err != nil {
		panic(err)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression) // zero header: no name, no time
	if _, err := zw.Write(append(data, '\n')); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
}
