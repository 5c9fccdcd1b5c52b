# aoai-simulated-api — see `make help`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The simulator reads .env itself (variables already in the environment win), so the Makefile
# does not include it: make's own assignments would override the shell's.

NODE_MODULES_STAMP := node_modules/.package-lock.json

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}'

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install-requirements: $(NODE_MODULES_STAMP) ## Install the npm dependencies (npm ci)

build: install-requirements ## Compile TypeScript to dist/
	npx tsc -p tsconfig.json

run: build ## Start the simulator (generate mode, port 8000; prints the API key)
	node dist/src/main.js

run-simulated-api: run ## Alias of run (the Python simulator's name)

test: install-requirements ## Run the whole test suite (builds first)
	npx vitest run

typecheck: install-requirements ## Type-check without emitting
	npx tsc -p tsconfig.json --noEmit

bench: build ## Simulator vs a bare uWebSockets.js server, every scenario, scaling, slow streams (~6 min; writes bench/results/)
	node dist/bench/bench.js $(BENCH_ARGS)

bench-throughput: build ## Non-streaming chat against a bare uWebSockets.js server at 1, 2 and 4 threads (part of bench)
	node dist/bench/bench.js --only chat-threads $(BENCH_ARGS)

bench-pool-threshold: build ## Measure when handing a request to the worker pool pays
	node dist/bench/pool-threshold.js

bench-replay-startup: build ## Start-up time and memory of replay mode with 10,000 recorded interactions
	node dist/bench/replay-startup.js

bench-replay-pacing: build ## How closely replayed streams follow their recorded timing
	node dist/bench/replay-pacing.js

bench-stream-scheduling: build ## Pacing of 1,000 and 5,000 concurrent latency-paced streams
	node dist/bench/stream-scheduling.js

.PHONY: help install-requirements build run run-simulated-api test typecheck bench bench-throughput bench-pool-threshold bench-replay-startup bench-replay-pacing bench-stream-scheduling
