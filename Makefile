# aoai-simulated-api — see `make help`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# .env (start from sample.env) is read here as well as by the simulator. A plain `include .env`
# would let it override variables already set in the shell, so each name it sets is taken only
# when the shell and the command line have not set it (the simulator's rule too), with bash's
# reading of the value (quotes, comments), and exported for the recipes and the simulator.
ifneq (,$(wildcard .env))
DOT_ENV_NAMES := $(shell sed -nE 's/^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=.*/\2/p' .env)
dot_env_value = $(shell set -a; . ./.env >/dev/null 2>&1; printf '%s' "$${$(1)}")
# `$` and `#` are escaped so that make keeps the value as it is.
$(foreach v,$(DOT_ENV_NAMES),$(if $(filter undefined,$(origin $(v))),$(eval export $(v) := $(subst #,\#,$(subst $$,$$$$,$(call dot_env_value,$(v)))))))
endif

NODE_MODULES_STAMP := node_modules/.package-lock.json

# Docker: the image name, the build's network type (unrestricted | semi-restricted | restricted),
# extra flags (e.g. DOCKER_BUILD_FLAGS=--network=host), the host port and recordings folder.
IMAGE ?= aoai-simulated-api
NETWORK_TYPE ?= unrestricted
DOCKER_BUILD_FLAGS ?=
DOCKER_RUN_FLAGS ?=
DOCKER_PORT ?= 8000
HOST_RECORDING_DIR ?= $(CURDIR)/.recording
# Every setting sample.env documents goes to the container if it is set here (shell or .env),
# except host paths: the recordings folder and the deployment file are mounted instead.
DOCKER_HOST_PATHS := PORT SIMULATOR_HOST RECORDING_DIR OPENAI_DEPLOYMENT_CONFIG_PATH EXTENSION_PATH TIKTOKEN_CACHE_DIR
# (sample.env's simulator section: the names before its "# ====" deployment heading.)
DOCKER_ENV_NAMES := $(filter-out $(DOCKER_HOST_PATHS),$(shell sed -nE '/^# =+$$/q; s/^#?[[:space:]]*([A-Z][A-Z0-9_]*)=.*/\1/p' sample.env))

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-24s\033[0m %s\n", $$1, $$2}'

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install-requirements: $(NODE_MODULES_STAMP) ## Install the npm dependencies (npm ci)

build: install-requirements ## Compile TypeScript to dist/
	npx tsc -p tsconfig.json

run: build ## Start the simulator (generate mode, port 8000; prints the API key)
	node dist/src/main.js

run-simulated-api: run ## Alias of run (the Python simulator's name)

# `make test` lints, then runs the suite twice, on this machine's Node and on Node 24 in a Debian 13 root
# (scripts/node24-root.sh), both always, and fails if either does. Where the root cannot be made
# (not Linux, not root) that run is skipped with a line saying so, except in CI.
test: install-requirements ## Lint, then run the whole test suite on this machine's Node and on Node 24 / Debian 13 (builds first)
	npm run lint
	@host=passed; root=passed; \
	echo "make test: the suite on this machine's Node.js $$(node -v)"; \
	npx vitest run || host=FAILED; \
	echo "make test: the suite on Node.js 24, Debian 13 (scripts/node24-root.sh)"; \
	scripts/node24-root.sh test; rc=$$?; \
	if [ $$rc = 3 ] && [ -z "$$CI" ]; then root="skipped (needs Linux and root)"; elif [ $$rc != 0 ]; then root=FAILED; fi; \
	echo "make test: Node.js $$(node -v) (this machine): $$host; Node.js 24 on Debian 13: $$root"; \
	[ $$host = passed ] && [ "$$root" != FAILED ]

test-node: install-requirements ## Run the whole test suite on this machine's Node only
	npx vitest run

test-node24: ## Run the whole test suite on Node 24 in a Debian 13 root only (Linux, root; the root is cached in ~/.cache)
	scripts/node24-root.sh test

lint: install-requirements ## ESLint: typescript-eslint, import cycles and the dependency rules (docs/architecture.md)
	npm run lint

typecheck: install-requirements ## Type-check without emitting
	npx tsc -p tsconfig.json --noEmit

bench: build ## Simulator vs a bare uWebSockets.js server, every scenario, scaling, slow streams (~6 min; writes bench/results/)
	node dist/bench/bench.js $(BENCH_ARGS)

bench-throughput: build ## Non-streaming chat against a bare uWebSockets.js server at 1, 2 and 4 threads (part of bench)
	node dist/bench/bench.js --only chat-threads $(BENCH_ARGS)

bench-extension-hooks: build ## Chat throughput with no extension, an empty one, a no-op request hook, a no-op response hook (same run)
	node dist/bench/extension-hooks.js $(BENCH_ARGS)

bench-micro: build ## Micro-benchmarks: our BPE vs js-tiktoken, native vs JS router, auth compare (ratios in one run; ~30 s)
	node dist/bench/micro/run.js $(BENCH_ARGS)

bench-pool-threshold: build ## Measure when handing a request to the worker pool pays
	node dist/bench/pool-threshold.js

bench-replay-startup: build ## Start-up time and memory of replay mode with 10,000 recorded interactions
	node dist/bench/replay-startup.js

bench-replay-pacing: build ## How closely replayed streams follow their recorded timing
	node dist/bench/replay-pacing.js

bench-stalled-readers: build ## RSS with 200 paused readers of 4,000-token streams, and after they leave (BENCH_ARGS="--main other/dist/src/main.js" compares a build)
	node dist/bench/stalled-readers.js $(BENCH_ARGS)

bench-idle-memory: build ## Idle RSS of the simulator at 1, 2 and 4 front-end threads, and per added thread (part of bench)
	node dist/bench/idle-memory.js $(BENCH_ARGS)

bench-stream-scheduling: build ## Pacing of 1,000 and 5,000 concurrent latency-paced streams
	node dist/bench/stream-scheduling.js

setup-tiktoken: build ## Write OpenAI's tokenizer files to tiktoken_cache/ from the bundled ranks (no network; sha256-checked)
	node dist/src/setup-tiktoken.js tiktoken_cache

docker-build: ## Build the image (NETWORK_TYPE=unrestricted|semi-restricted|restricted, IMAGE=, DOCKER_BUILD_FLAGS=)
	docker build $(DOCKER_BUILD_FLAGS) --build-arg network_type=$(NETWORK_TYPE) -t $(IMAGE) .

docker-run: ## Run the image on DOCKER_PORT with the settings from the shell and .env; recordings in HOST_RECORDING_DIR
	@mkdir -p "$(HOST_RECORDING_DIR)"
	docker run --rm $$([ -t 0 ] && echo -it) -p $(DOCKER_PORT):8000 --user "$$(id -u):$$(id -g)" \
		-v "$(HOST_RECORDING_DIR):/mnt/recording" -e RECORDING_DIR=/mnt/recording \
		$(if $(OPENAI_DEPLOYMENT_CONFIG_PATH),-v "$(abspath $(OPENAI_DEPLOYMENT_CONFIG_PATH)):/mnt/deployment-config.json:ro" -e OPENAI_DEPLOYMENT_CONFIG_PATH=/mnt/deployment-config.json) \
		$(foreach v,$(DOCKER_ENV_NAMES),$(if $(value $(v)),-e $(v))) \
		$(DOCKER_RUN_FLAGS) $(IMAGE)

deploy-aca: ## Deploy to Azure Container Apps with the settings from .env (needs az; see README)
	scripts/deploy-aca.sh

.PHONY: help install-requirements build run run-simulated-api test test-node test-node24 lint typecheck bench bench-throughput bench-extension-hooks bench-micro bench-pool-threshold bench-replay-startup bench-replay-pacing bench-stalled-readers bench-idle-memory bench-stream-scheduling setup-tiktoken docker-build docker-run deploy-aca
