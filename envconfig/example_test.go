package envconfig_test

import (
	"fmt"

	"github.com/kiln-gitops/kiln/envconfig"
)

func ExamplePipeline_Resolve() {
	p, err := envconfig.Parse([]byte(`apiVersion: kiln/v1alpha1
kind: Pipeline
environments:
  - name: dev
apps:
  - name: vote
    namespace: instavote
    kustomize: apps/vote/overlays/{env}
  - name: result
    namespace: instavote
    yaml: apps/result
`), "kiln.yaml", "/repo")
	if err != nil {
		fmt.Println(err)
		return
	}
	ef, err := envconfig.ParseEnvFile([]byte(`secretVars: {DB_PASSWORD: DEV_DB_PASSWORD}
apps:
  vote: {namespace: vote-dev}
  result: {enabled: false}
`), "envs/dev.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The caller passes the process environment; here, an empty one.
	_, err = p.Resolve("dev", ef, func(string) (string, bool) { return "", false })
	fmt.Println(err)

	r, err := p.Resolve("dev", ef, func(string) (string, bool) { return "s3cret", true })
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range r.Apps {
		fmt.Println(a.Name, a.Namespace, a.Engine, a.Kustomize)
	}
	fmt.Println("disabled:", r.Disabled, "manifests:", r.ManifestsPath)
	// Output:
	// envs/dev.yaml:1: secret var DB_PASSWORD: environment variable DEV_DB_PASSWORD is not set
	//   hint: set DEV_DB_PASSWORD before running kiln; in GitHub Actions add "DEV_DB_PASSWORD: ${{ secrets.DEV_DB_PASSWORD }}" to the step's env (a secret that does not exist reads as empty)
	// vote vote-dev kustomize apps/vote/overlays/dev
	// disabled: [result] manifests: clusters/dev
}

func ExampleParse() {
	_, err := envconfig.Parse([]byte(`apiVersion: kiln/v1alpha1
kind: Pipeline
environments: [{name: dev}]
apps:
  - name: vote
    namespace: instavote
    kustomize: apps/vote
    dependOn: [redis]
`), "kiln.yaml", "/repo")
	fmt.Println(err)
	// Output:
	// kiln.yaml:8: app vote: unknown key "dependOn" (did you mean "dependsOn"?)
	//   hint: valid keys in apps[0]: name, namespace, helm, kustomize, jsonnet, yaml, dependsOn, flux
}
