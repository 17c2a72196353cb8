# Kumo — private Kubernetes-as-a-Service.
SHELL := /usr/bin/env bash
BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)

CONTROLLER_GEN_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
CONTROLLER_GEN := $(BIN)/controller-gen
GOLANGCI_LINT := $(BIN)/golangci-lint

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z0-9_-]+:.*##/ {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(CONTROLLER_GEN):
	GOBIN=$(BIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)

$(GOLANGCI_LINT):
	GOBIN=$(BIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

.PHONY: tools
tools: $(CONTROLLER_GEN) $(GOLANGCI_LINT) ## Install the pinned Go tools into ./bin

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code and CRDs (config/crd)
	$(CONTROLLER_GEN) object paths=./api/...
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd
	$(CONTROLLER_GEN) rbac:roleName=kumo-manager paths=./internal/controller/... paths=./internal/manager/... output:rbac:artifacts:config=config/rbac

.PHONY: build
build: ## Build kumo and kumoctl into ./bin (without debug symbols: a third smaller; stack traces still work)
	go build -trimpath -ldflags "-s -w" -o $(BIN)/ ./cmd/kumo ./cmd/kumoctl

.PHONY: toolchain
toolchain: build ## Build (once) etcd and every offered Kubernetes version's servers into the cache
	$(BIN)/kumo toolchain build --all-kubernetes

.PHONY: toolchain-test
toolchain-test: build ## The toolchain plus kubectl and Prometheus, which the tests drive
	$(BIN)/kumo toolchain build --kubectl --prometheus

.PHONY: prometheus
prometheus: build ## Build (once) Prometheus and promtool into the cache (kumo up --prometheus)
	$(BIN)/kumo toolchain build --prometheus

.PHONY: run
run: toolchain ## Run the whole platform locally (kumo up)
	$(BIN)/kumo up

.PHONY: fmt
fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet
	go vet ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## gofmt check, go vet and golangci-lint
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "run make fmt"; exit 1; }
	go vet ./...
	$(GOLANGCI_LINT) run ./...

.PHONY: verify-generate
verify-generate: generate ## Fail if generated files are out of date
	@git diff --exit-code -- api config || { echo "generated files changed: run make generate and commit"; exit 1; }

.PHONY: test
test: toolchain-test ## Run all tests: unit, integration (envtest) and end-to-end
	go test -p 1 -count=1 -timeout 75m ./...

.PHONY: test-unit
test-unit: ## Unit tests only (no API server)
	go test -count=1 -short ./...

.PHONY: test-e2e
test-e2e: toolchain-test ## End-to-end tests against `kumo up`
	go test -count=1 -timeout 40m ./test/e2e/...

.PHONY: bench
bench: toolchain-test ## Benchmarks (see docs/benchmarks.md)
	go test -run '^$$' -bench . -benchtime 1x -timeout 60m ./test/e2e/...

.PHONY: clean
clean: ## Remove ./bin
	rm -rf $(BIN)
