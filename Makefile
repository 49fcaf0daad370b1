# berth's build. `make test` is what CI runs (.ci/run) and what the README
# tells a newcomer to run.
GO        ?= go
BIN       := bin/berth
PKGS      := ./...
FUZZTIME  ?= 10s
DOCKER_TESTENV := scripts/testenv/docker.sh

.PHONY: build helpers test unit integration testenv-stop fuzz examples lint generate bench bench-docker quickstart clean

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
test: lint unit integration fuzz examples

unit: helpers
	$(GO) test -count=1 $(PKGS)

# Integration tests against the real components (two dockerd hosts and an
# htpasswd registry), which the script installs and starts idempotently,
# and the full-disk test (a small tmpfs: it needs root, as CI runs it).
integration: helpers
	$(DOCKER_TESTENV) start
	eval "$$($(DOCKER_TESTENV) env)" && $(GO) test -count=1 -tags integration ./providers/docker/... && \
		$(GO) test -count=1 -tags integration -run 'Docker|FullDisk' ./cmd/berth/

bench-docker: helpers
	$(DOCKER_TESTENV) start
	eval "$$($(DOCKER_TESTENV) env)" && $(GO) test -run='^$$' -bench=Rollout50 -benchtime=1x -tags integration ./providers/docker/

testenv-stop:
	$(DOCKER_TESTENV) stop

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
# micro-benchmarks of the other packages follow, briefly.
bench:
	$(GO) test -run='^$$' -bench=. -benchtime=1x -benchmem -timeout=30m ./core/
	$(GO) test -run='^$$' -bench=. -benchtime=200ms -benchmem ./state/ ./core/dag/ ./providers/plugin/ ./cmd/berth/

clean:
	rm -rf bin
