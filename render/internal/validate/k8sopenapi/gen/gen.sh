#!/bin/sh
# Regenerates ../schemas.json.gz from the k8s.io/api version in go.mod (keep
# it equal to kiln's go.mod and ../versions.txt). Needs the Go module proxy.
set -eu
cd "$(dirname "$0")"
export GOFLAGS=-mod=mod
go mod tidy -e
go build -o openapi-gen k8s.io/kube-openapi/cmd/openapi-gen
api=$(go list -m -f '{{.Dir}}' k8s.io/api)
pkgs=$(cd "$api" && grep -l '+k8s:openapi-gen=true' */*/doc.go | xargs -n1 dirname | sed 's|^|k8s.io/api/|')
: > header.txt
# shellcheck disable=SC2086
./openapi-gen --output-dir defs --output-pkg kiln.invalid/k8sopenapi/gen/defs \
	--output-file zz_generated.openapi.go --go-header-file header.txt \
	--report-filename violations.txt \
	$pkgs k8s.io/apimachinery/pkg/apis/meta/v1 k8s.io/apimachinery/pkg/runtime \
	k8s.io/apimachinery/pkg/util/intstr k8s.io/apimachinery/pkg/api/resource k8s.io/apimachinery/pkg/version
go run . ../schemas.json.gz
rm -rf openapi-gen defs header.txt violations.txt go.sum
