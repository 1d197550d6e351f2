# Flow Sidecar: the front door. Every target says what it does; `make help` lists them.
# Needs: a JDK >= 21 (found automatically, see tools/find-jdk), Maven 3.8+, Node.js + npm; for the
# client stubs and their smoke tests the Debian packages that .ci/run installs (protoc, Go, grpc).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

JAVA_HOME := $(shell tools/find-jdk)
ifeq ($(JAVA_HOME),)
$(error No JDK 21 or newer found: install one or set JAVA_HOME)
endif
export JAVA_HOME
export PATH := $(JAVA_HOME)/bin:$(PATH)

MVN ?= mvn
MVN_FLAGS ?= -B -ntp
DIST := daemon/target/flow-sidecar
BUF := tools/node_modules/.bin/buf

.PHONY: help build run test tools lint-proto stubs stubs-check stubs-test bench fuzz clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

tools: $(BUF) ## Install the npm build tools (buf) into tools/node_modules.

$(BUF): tools/package.json tools/package-lock.json
	@echo "==> installing npm build tools (buf) into tools/node_modules"
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	@touch $(BUF)

# -DskipITs as well: maven-failsafe-plugin 3.6 is not bound to -DskipTests (its own description
# says so), and install passes the integration-test phase, so without it `make run` first ran
# every end-to-end test.
build: ## Compile everything and assemble the daemon in daemon/target/flow-sidecar (no tests).
	@echo "==> building with JDK at $(JAVA_HOME)"
	$(MVN) $(MVN_FLAGS) -q install -DskipTests -DskipITs

# On JDK 25+ the first `make run` records an AOT cache (.dev/flow-sidecar.aot, written when the
# daemon stops) and later runs start from it; a rebuilt jar makes the launcher record a new one.
run: build ## Start the daemon in dev mode (127.0.0.1:50051 and .dev/sidecar.sock); Ctrl-C stops it.
	@echo "==> starting flow-sidecar in dev mode (state in .dev/)"
	FLOW_SIDECAR_AOT_CACHE=$(CURDIR)/.dev/flow-sidecar.aot FLOW_SIDECAR_AOT_TRAIN=1 $(DIST)/bin/flow-sidecar dev

lint-proto: tools ## Lint the v1 contract with buf (STANDARD + COMMENTS rules).
	@echo "==> buf lint proto/"
	cd proto && ../$(BUF) lint

test: lint-proto stubs-check stubs-test ## Run every test: proto lint, stubs, unit, in-process gRPC, PostgreSQL, end-to-end, chart.
	@echo "==> mvn verify (unit, in-process gRPC, integration and end-to-end tests)"
	$(MVN) $(MVN_FLAGS) verify
	@echo "==> brief fuzzing of every target (10s each; \`make fuzz\` for longer)"
	tools/fuzz.sh 10
	@echo "==> log-canary scan: no registered secret or secret-shaped string in any log, output or status description"
	$(JAVA_HOME)/bin/java -cp daemon/target/test-classes io.apixx.flow.sidecar.testing.CanaryScan daemon helm client-stubs/java
	@echo "==> all tests passed"

stubs: ## Regenerate the Python, Go and TypeScript client stubs from proto/.
	@echo "==> regenerating the Python, Go and TypeScript client stubs from proto/"
	tools/stubs/generate.sh

stubs-check: ## Fail, naming the files, when the committed client stubs differ from proto/.
	@echo "==> checking the committed client stubs against proto/"
	tools/stubs/generate.sh --check

stubs-test: ## Build the three clients and run their smoke programs against the contract fake.
	@echo "==> client smoke programs (Python, Go, TypeScript) against the contract fake"
	tools/smoke/fake.sh

BENCH_JAVA_OPTS ?= -Xmx1g -XX:+UseParallelGC
bench: ## Run the benchmarks (about 7 min; BENCH_QUICK=1 for a smoke run) and write bench/results/ (Markdown, JSON, SVG).
	@echo "==> building the daemon and the benchmarks (reactor build, nothing installed)"
	$(MVN) $(MVN_FLAGS) -q -pl bench -am package -DskipTests
	@echo "==> running the benchmark harness (bench/target/logs has the daemons' output)"
	$(JAVA_HOME)/bin/java $(BENCH_JAVA_OPTS) -cp bench/target/classes:$$(cat bench/target/classpath.txt) \
	  io.apixx.flow.sidecar.bench.BenchMain $(CURDIR)

FUZZ_SECONDS ?= 300
fuzz: ## Fuzz every target (run tokens, ciphertexts, spool records, every RPC request) for FUZZ_SECONDS each.
	@echo "==> fuzzing each target for $(FUZZ_SECONDS)s with Jazzer"
	tools/fuzz.sh $(FUZZ_SECONDS)

clean: ## Remove build output (keeps .dev/ state).
	$(MVN) $(MVN_FLAGS) -q clean
