# kiln — see README.md. Every target is safe to run on a fresh clone with
# only Go installed; checks never rewrite the tree.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
# urfave_cli_no_docs leaves out urfave/cli's Markdown and man page writers
# (and the renderer they link), which kiln never calls: less to map and
# initialize at every start. Help, completion and every output are the same
# without it, so a plain `go install` builds a kiln that behaves the same.
TAGS     := urfave_cli_no_docs
BIN      := bin/kiln
EXAMPLE  := examples/instavote

.PHONY: all build install demo test unit vet fmt-check tidy-check golden schema bench fuzz refcheck refbin sops-e2e apiservercheck clean

all: build

## build: the kiln binary in bin/ (static, reproducible paths)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kiln

## install: kiln into $(GOBIN), or $(GOPATH)/bin (as go install puts it), with the version from git
install:
	CGO_ENABLED=0 $(GO) install -trimpath -tags $(TAGS) -ldflags '$(LDFLAGS)' ./cmd/kiln

## demo: render the bundled example project into ./rendered
demo: build
	@echo "kiln render --all --config $(EXAMPLE)/kiln.yaml --out rendered"
	@$(BIN) render --all --config $(EXAMPLE)/kiln.yaml --out rendered
	@echo
	@echo "Done. The hydrated trees are in ./rendered/<env>/ (try: ls rendered/dev/apps rendered/dev/flux)."

## test: everything CI checks: formatting, vet, module tidiness, all tests with the race detector
# Sandbox workers of the race-enabled test binaries run kiln built without
# the race detector, built here once for every package (internal/testenv).
# -trimpath keeps source paths out of the build cache's keys: a fresh clone
# at a new path (as CI makes) reuses what an earlier clone compiled, where
# it recompiled every kiln package. No test reads its own source path.
# TESTCOUNT runs each test that many times (shuffled each time); CI runs
# each once so that the whole suite stays under 15 minutes on 2 cores, and
# `make test TESTCOUNT=2` repeats it to hunt for order-dependent tests.
# Every benchmark runs once too (-benchtime 1x, under the race detector, so
# its figures mean nothing): a benchmark nobody ran for a while had broken
# unnoticed. That adds about a minute, most of it render's fleet benchmarks,
# so the fleet's variants (one app changed, nothing changed, memory, the
# re-render) and kube-prometheus-stack's (cold, in process, warm) are left to
# `make bench`, where figures come from: each runs BenchmarkRenderFleet's or
# BenchmarkKubePrometheusStack's path again, and the suite had grown past 15
# minutes. So are promote's two benchmarks of masking large envs (4,000
# Secrets; a 1 MiB Secret value): 16 and 38 s under the race detector,
# where the tests of the same code take milliseconds.
# TESTP packages at a time: the machines have two cores, but with two the
# run left a fifth of their time idle (1,443 CPU-seconds in 903 s): the
# promote tests wait on git processes, links run on one core.
BENCHSKIP := ^Benchmark(RenderFleet(OneAppChanged|NothingChanged|Memory)|RerenderFleet|KubePrometheusStack(Cold|InProcess|Warm)|ShownTrees(Secrets|BigSecret))$$
# TESTPKGS lists the longest-running packages first: go test starts the
# builds and runs of the packages it is given in that order, and with
# ./... alone promote (about four minutes under the race detector) began
# after some thirty small internal packages: started first, the small
# ones fill the cores while it waits on its git processes.
TESTCOUNT ?= 1
TESTP ?= 3
TESTPKGS ?= ./promote/ ./render/ ./cmd/kiln/ ./render/internal/validate/ ./templates/kustomize/ ./...
# Test binaries are linked without their symbol table and DWARF (-s -w):
# every one of the ~100 links (a package's tests, a fuzz target, the
# worker) is a third faster (a test binary that links Helm: 9.4 s of one
# core against 6.5 s), and nothing a test prints needs them: panics and
# the race detector's reports take file:line from the runtime's own
# tables, which -s -w keeps.
TESTLDFLAGS := -s -w
test: fmt-check vet tidy-check fuzz-short
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(TESTLDFLAGS)' -o bin/kiln-test-worker ./cmd/kiln
	KILN_TEST_PLAIN_WORKER=$(CURDIR)/bin/kiln-test-worker $(GO) test -ldflags '$(TESTLDFLAGS)' -p $(TESTP) -trimpath -race -shuffle=on -count=$(TESTCOUNT) -bench . -benchtime 1x -skip '$(BENCHSKIP)' -timeout 14m $(TESTPKGS)

## fuzz-short: every fuzz target for a few seconds, so that a parser regression fails CI
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report "context deadline exceeded" as a failure when the time runs out
# while a worker is busy, on a loaded machine (golang/go#75804, fixed in
# Go 1.27). A count has no deadline to race. 1000 each keeps make test
# within its 15 minutes on a 2-core runner (it was 2000 until the suite
# grew past them); make fuzz runs each for 20s.
FUZZTIME ?= 1000x
FUZZ_TARGETS := \
	FuzzSubstitute:./templates/internal/envsubst \
	FuzzParseRef:./render/internal/images \
	FuzzParse:./envconfig \
	FuzzParseEnvFile:./envconfig \
	FuzzFileNames:./render/internal/tree \
	FuzzUnified:./promote/internal/treediff \
	FuzzRender:./promote/internal/prbody \
	FuzzCheckYAMLBytes:./internal/limits \
	FuzzArchive:./templates/helm/internal/chartarchive \
	FuzzParse:./internal/objects \
	FuzzDecodeNodes:./internal/sandbox \
	FuzzUnmarshalResult:./internal/sandbox \
	FuzzParseEntry:./render/internal/cache \
	FuzzEncode:./render/internal/yamlenc \
	FuzzEncodeScalar:./render/internal/yamlenc \
	FuzzMarshalSameBytes:./render/internal/flux \
	FuzzReadCRD:./render/internal/validate
# Two targets at a time: most of each run is linking its test binary, one
# core's work, and the machines CI runs on have two.
FUZZJOBS ?= 2
fuzz-short:
	@printf '%s\n' $(FUZZ_TARGETS) | xargs -P $(FUZZJOBS) -I{} sh -c 't={}; \
		out=$$($(GO) test -trimpath -ldflags "$(TESTLDFLAGS)" -run "^\$$" -fuzz "^$${t%%:*}\$$" -fuzztime $(FUZZTIME) "$${t#*:}" 2>&1); code=$$?; \
		printf "fuzz %s %s (%s)\n%s\n" "$${t%%:*}" "$${t#*:}" "$(FUZZTIME)" "$$out"; exit $$code'

## unit: the tests without the race detector (faster while editing)
unit:
	$(GO) test ./...

# -trimpath as for the tests: vet's results of kiln's packages are cached
# by their source paths otherwise, and a fresh clone at a new path (as CI
# makes) analysed every package again (28 s; 3 s with the cache reused).
vet:
	$(GO) vet -trimpath ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

tidy-check:
	$(GO) mod tidy -diff

## golden: rewrite golden files of every package that has them (review the diff!)
golden:
	$(GO) test $$(grep -rl --include='*_test.go' 'flag.Bool("update"' . | xargs -n1 dirname | sort -u) -count=1 -update

## schema: regenerate docs/schemas/kiln.schema.json and env.schema.json from envconfig/internal/shape
schema:
	$(GO) generate ./envconfig/internal/schemagen

## bench: render a generated fleet (100 apps x 3 envs), the graph checks, kube-prometheus-stack and promote's masking
## (time and allocations); then kiln as a whole program against the helm, kustomize and jsonnet
## programs, issue 13's table of ratios (installs them as refcheck does: needs the module proxy)
bench: refbin
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./render/... ./templates/... ./envconfig/ ./internal/redact/ ./internal/sandbox/ ./promote/...
	PATH="$(REFBIN):$$PATH" $(GO) test -tags refcheck -run '^$$' -bench '^BenchmarkVsCLI$$' -benchtime 1x -timeout 60m -v ./render/

## fuzz: run each fuzz target briefly
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzSubstitute$$' -fuzztime 20s ./templates/internal/envsubst
	$(GO) test -run '^$$' -fuzz '^FuzzParseRef$$' -fuzztime 20s ./render/internal/images
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 20s ./envconfig
	$(GO) test -run '^$$' -fuzz '^FuzzFileNames$$' -fuzztime 20s ./render/internal/tree

## refcheck: compare kiln's output (the example, and the real charts and overlays of
## testdata/) with the real helm, kustomize and jsonnet programs,
## installed from the Go module proxy at the versions kiln links (needs network; not part of test)
REFBIN := $(CURDIR)/bin/ref
refcheck: refbin
	PATH="$(REFBIN):$$PATH" $(GO) test -tags refcheck -count=1 -v ./internal/refcheck

# refbin: the reference programs, at the versions kiln links
refbin:
	GOBIN=$(REFBIN) $(GO) install helm.sh/helm/v3/cmd/helm@v3.22.0
	GOBIN=$(REFBIN) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@v5.8.2
	GOBIN=$(REFBIN) $(GO) install github.com/google/go-jsonnet/cmd/jsonnet@v0.22.0

## sops-e2e: kiln against the real sops and age-keygen programs, built from the Go module proxy at
## the versions go.mod pins (sops's own module, so the test decrypts with the sops release kiln's
## format follows): sops --decrypt opens what kiln encrypts, with an age key and with a PGP key,
## and kiln passes what sops encrypts through byte for byte. Not part of test: building the sops
## program compiles every cloud KMS client (minutes on a cold cache); make test covers the same
## format with the sops library in process (internal/sopsyaml, internal/sopstest).
sops-e2e:
	GOBIN=$(REFBIN) $(GO) install github.com/getsops/sops/v3/cmd/sops filippo.io/age/cmd/age-keygen
	PATH="$(REFBIN):$$PATH" $(GO) test -tags sopse2e -count=1 -run '^TestE2E' -v ./render/

## apiservercheck: kiln's validation against a real kube-apiserver 1.37 with an embedded etcd,
## in process (internal/apiservercheck, its own Go module, so kiln's go.mod gains nothing): some
## 12,000 objects (testdata/manifests, the validate package's test data, the example's rendered
## output, and single mutations of them all), each applied as Flux applies it (server-side apply,
## dry run, force, field manager kustomize-controller), and kiln's verdict on each, compared.
## Not part of test: the first build of Kubernetes takes minutes (docs/validation.md).
APISERVERCHECK := $(CURDIR)/bin/apiservercheck
apiservercheck: build
	rm -rf $(APISERVERCHECK) && mkdir -p $(APISERVERCHECK)
	$(BIN) render --all --config $(EXAMPLE)/kiln.yaml --out $(APISERVERCHECK)/rendered > /dev/null
	cd internal/apiservercheck && $(GO) run ./cmd/corpus -repo ../.. -rendered $(APISERVERCHECK)/rendered -out $(APISERVERCHECK)
	cd internal/apiservercheck && $(GO) test -c -o $(APISERVERCHECK)/oracle.test .
	ORACLE_IN=$(APISERVERCHECK)/in ORACLE_CRDS=$(APISERVERCHECK)/crds ORACLE_OUT=$(APISERVERCHECK)/apiserver.json \
		$(APISERVERCHECK)/oracle.test -test.run '^TestOracle$$' -test.timeout 30m > $(APISERVERCHECK)/apiserver.log 2>&1 \
		|| { tail -20 $(APISERVERCHECK)/apiserver.log; exit 1; }
	APISERVERCHECK_IN=$(APISERVERCHECK)/in APISERVERCHECK_CRDS=$(APISERVERCHECK)/crds APISERVERCHECK_OUT=$(APISERVERCHECK)/kiln.json \
		$(GO) test -tags apiservercheck -count=1 -run '^TestAPIServerCheckVerdicts$$' ./render/internal/validate/
	cd internal/apiservercheck && $(GO) run ./cmd/compare $(APISERVERCHECK)/apiserver.json $(APISERVERCHECK)/kiln.json > $(APISERVERCHECK)/compare.txt
	@sed -n '1,/objects$$/p' $(APISERVERCHECK)/compare.txt
	@echo "Each disagreement: $(APISERVERCHECK)/compare.txt"

clean:
	rm -rf bin rendered
