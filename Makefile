# berth's build. `make test` is what CI runs (.ci/run) and what the README
# tells a newcomer to run.
GO        ?= go
BIN       := bin/berth
PKGS      := ./...
# A count, not a duration: Go 1.26's fuzz coordinator can report a bare
# "context deadline exceeded" at the end of a -fuzztime duration on a
# loaded machine (go.dev/issue/75804); a count has no deadline to race.
# About 10 s on an idle 2-core machine.
FUZZTIME  ?= 5000x
DOCKER_TESTENV := scripts/testenv/docker.sh
PG_TESTENV     := scripts/testenv/postgres.sh
S3_TESTENV     := scripts/testenv/s3.sh
KUBE_TESTENV   := scripts/testenv/kube.sh

.PHONY: build helpers test unit integration crash crash-docker testenv-kube testenv-stop fuzz examples lint generate bench bench-docker bench-kubernetes bench-state quickstart docs docs-capture clean

build: helpers
	$(GO) build -o $(BIN) ./cmd/berth

# The probe helpers the Docker provider embeds for http/tcp liveness checks
# in FROM scratch images (built, not committed).
helpers:
	$(GO) generate ./providers/docker

# The README's main command: the quickstart app on a real Docker Engine.
quickstart:
	examples/quickstart/run.sh

# The whole suite: static checks, unit and integration tests, a short fuzz
# run of the loader, and every example validated by the built binary.
test: lint unit integration crash fuzz examples

unit: helpers
	$(GO) test -count=1 $(PKGS)

# Integration tests against the real components (two dockerd hosts and an
# htpasswd registry), which the script installs and starts idempotently,
# the full-disk test (a small tmpfs: it needs root, as CI runs it), the
# postgres state backend against a private PostgreSQL server, the s3 state
# backend against a private S3 server (gofakes3), and the kubernetes state
# backend and the Kubernetes provider against a private Kubernetes control
# plane (etcd, kube-apiserver, controller-manager, scheduler, kwok; its
# first build takes 12 to 30 minutes on 2 cores, later ones under a
# minute); Kubernetes apps resolve their images in the Docker registry.
# TestDocsGuides runs the runnable blocks of docs/getting-started.md and
# docs/ci.md against the Docker hosts (about 90 s).
integration: helpers
	$(DOCKER_TESTENV) start
	$(PG_TESTENV) start
	$(S3_TESTENV) start
	$(KUBE_TESTENV) start
	eval "$$($(DOCKER_TESTENV) env)" && eval "$$($(PG_TESTENV) env)" && eval "$$($(S3_TESTENV) env)" && eval "$$($(KUBE_TESTENV) env)" && \
		$(GO) test -count=1 -timeout=30m -tags integration ./providers/docker/... && \
		$(GO) test -count=1 -timeout=45m -tags integration -run 'Docker|FullDisk|Postgres|S3|Kubernetes|SharedState|RemoteState|LoadBalancer|Docs' ./cmd/berth/ && \
		$(GO) test -count=1 -timeout=30m -tags integration ./state/backend/postgres/ ./state/backend/s3/ ./state/backend/kubernetes/ ./providers/kubernetes/... && \
		$(GO) test -count=1 -timeout=30m -tags 'crash integration' -run 'CrashDocker|CrashKubernetes|CrashLoadBalancer' ./cmd/berth/ $(CRASH_DOCKER_ARGS)

# The crash harness (docs/crash-safety.md): SIGKILLs of berth and of its
# provider at random moments of applies and destroys, then the next run
# must recover with 0 orphans and 0 duplicates. Brief here; at length:
#   make crash CRASH_ARGS='-crash.create=120 -crash.destroy=120 -crash.provider=40'
#   make crash-docker CRASH_DOCKER_ARGS='-crash.docker=30 -crash.lb=6 -crash.canary=9'
# ('CrashLoadBalancer' runs TestCrashLoadBalancer and
# TestCrashLoadBalancerCanary: -run matches a prefix.)
CRASH_ARGS        ?=
CRASH_DOCKER_ARGS ?=

crash: helpers
	$(GO) test -count=1 -timeout=2h -tags crash -run 'Crash(Create|Destroy|Provider)' -v ./cmd/berth/ $(CRASH_ARGS)

crash-docker: helpers
	$(DOCKER_TESTENV) start
	eval "$$($(DOCKER_TESTENV) env)" && $(GO) test -count=1 -timeout=2h -tags 'crash integration' -run 'CrashDocker|CrashLoadBalancer' -v ./cmd/berth/ $(CRASH_DOCKER_ARGS)

bench-docker: helpers
	$(DOCKER_TESTENV) start
	eval "$$($(DOCKER_TESTENV) env)" && $(GO) test -run='^$$' -bench=Rollout50 -benchtime=1x -tags integration ./providers/docker/

# A no-op plan of 50 and of 200 Kubernetes apps: wall time, API calls (the
# same at both sizes: one list per kind) and registry requests
# (providers/kubernetes/bench_integration_test.go). Creating the apps
# takes about a minute.
bench-kubernetes:
	$(DOCKER_TESTENV) start
	$(KUBE_TESTENV) start
	eval "$$($(DOCKER_TESTENV) env)" && eval "$$($(KUBE_TESTENV) env)" && $(GO) test -count=1 -timeout=30m -tags integration -run='^$$' -bench=NoOpPlan -benchtime=3x ./providers/kubernetes/

# A 10,000-object state in every backend: no-op plan and an apply of 1%
# (cmd/berth/sharedstate_bench_test.go; BERTH_BENCH_OBJECTS to resize).
bench-state:
	$(PG_TESTENV) start
	$(S3_TESTENV) start
	$(KUBE_TESTENV) start
	eval "$$($(PG_TESTENV) env)" && eval "$$($(S3_TESTENV) env)" && eval "$$($(KUBE_TESTENV) env)" && $(GO) test -count=1 -timeout=1h -tags integration -run='^$$' -bench=SharedState -benchtime=3x ./cmd/berth/


# The Kubernetes test environment alone, for working on Kubernetes code:
#   make testenv-kube && eval "$$(scripts/testenv/kube.sh env)"
testenv-kube:
	$(KUBE_TESTENV) start

testenv-stop:
	$(DOCKER_TESTENV) stop
	$(PG_TESTENV) stop
	$(S3_TESTENV) stop
	$(KUBE_TESTENV) stop

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzLoad -fuzztime=$(FUZZTIME) ./lang/

examples: build
	@set -e; for d in $$(find examples -name '*.berth.hcl' -printf '%h\n' | sort -u); do \
		echo "validate $$d"; ./$(BIN) -chdir=$$d validate -no-color; \
	done

lint:
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags integration $(PKGS)
	$(GO) vet -tags 'crash integration' ./cmd/berth/
	@if command -v staticcheck >/dev/null; then staticcheck -tags integration $(PKGS); \
	elif [ -x "$$($(GO) env GOPATH)/bin/staticcheck" ]; then "$$($(GO) env GOPATH)/bin/staticcheck" -tags integration $(PKGS); \
	else echo "staticcheck not installed (go install honnef.co/go/tools/cmd/staticcheck@latest); skipped"; fi

# Regenerates providers/protocol from its .proto. Needs protoc (Debian
# protobuf-compiler); the Go generators are installed at pinned versions.
# The generated code is committed: CI does not regenerate it.
PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2

generate:
	$(GO) install $(PROTOC_GEN_GO)
	$(GO) install $(PROTOC_GEN_GO_GRPC)
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc --proto_path=providers/protocol \
		--go_out=providers/protocol --go_opt=paths=source_relative \
		--go-grpc_out=providers/protocol --go-grpc_opt=paths=source_relative \
		providers/protocol/*.proto

# The engine benchmarks (docs/benchmarks.md) run each operation once: they
# take seconds each, and all of them about 7 minutes on 2 cores. The
# micro-benchmarks of the other packages follow, briefly. Then tools/bench
# drives the real binary and the real provider plugin (create, no-op plan,
# plan and apply of 1%, destroy): wall time, CPU time and peak memory of
# each process. Sizes: BERTH_BENCH_SIZES=1000,10000,50000 (default
# 1000,10000); BERTH_BENCH_SHAPES=count|chains10; BERTH_BENCH_PROFILE=DIR
# keeps CPU profiles of both processes.
bench:
	$(GO) run ./tools/bench
	$(GO) test -run='^$$' -bench=. -benchtime=1x -benchmem -timeout=30m ./core/
	$(GO) test -run='^$$' -bench=. -benchtime=200ms -benchmem ./state/ ./core/dag/ ./providers/plugin/ ./cmd/berth/

# The documentation's generated parts: the command reference
# (docs/commands, from each command's usage), the dependency graph of
# examples/showcase (Graphviz's dot: Debian package graphviz) and the
# rollout pictures (tools/docimg, from the apply streams recorded in
# docs/img/data). Unit tests fail when the committed files are not these.
docs: build
	$(GO) test -count=1 -run '^TestCommandReference$$' ./cmd/berth/ -update
	@command -v dot >/dev/null || { echo "make docs: dot is missing (apt-get install graphviz)"; exit 1; }
	./$(BIN) -chdir=examples/showcase graph >bin/showcase.dot
	dot -Tsvg -Grankdir=LR -Gfontname=sans-serif -Nfontname=sans-serif -o docs/img/showcase-graph.svg bin/showcase.dot
	$(GO) run ./tools/docimg

# Records docs/img/data anew: the apply streams of a real rollout on the
# Docker test environment (tools/docimg/capture.sh), then redraws.
docs-capture: build
	$(DOCKER_TESTENV) start
	eval "$$($(DOCKER_TESTENV) env)" && tools/docimg/capture.sh
	$(GO) run ./tools/docimg

clean:
	rm -rf bin
