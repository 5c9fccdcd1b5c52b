# aoai-simulated-api as a container.
#
#   docker build -t aoai-simulated-api .                                          # unrestricted (default)
#   docker build --build-arg network_type=semi-restricted -t aoai-simulated-api .
#   docker build --build-arg network_type=restricted -t aoai-simulated-api .
#   docker run -p 8000:8000 -e SIMULATOR_MODE=generate aoai-simulated-api
#
# network_type says where the tokenizer files come from (README, "Docker"):
#   unrestricted     the ranks bundled in the js-tiktoken package (no TIKTOKEN_CACHE_DIR);
#   semi-restricted  the build downloads OpenAI's cl100k_base / o200k_base .tiktoken files;
#   restricted       the build takes the files in tiktoken_cache/ (committed; `make setup-tiktoken`
#                    recreates them offline) and uses no network for the tokenizer.
# Both cache variants verify the files' sha256 at build time and set TIKTOKEN_CACHE_DIR, so the
# simulator reads them (and checks them again) at start.
# The base is Node 24 LTS on Debian 13 (glibc 2.41): the uWebSockets.js build for Node 22+ needs
# glibc ≥ 2.38, and none loads on musl (alpine). Where no image registry is reachable,
# scripts/local-node-image.sh builds a local stand-in for node:24-trixie-slim.
ARG network_type=unrestricted

# ---- build: compile, prepare the tokenizer cache, then drop the development dependencies
FROM node:24-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# packages/uWebSockets.js (a file: dependency) picks the uWebSockets.js build at load.
COPY packages ./packages
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --no-audit --no-fund
# The two uWebSockets.js builds ship binaries for every platform and Node ABI (~220 MB): keep the
# one binary this image's Node loads (the one packages/uWebSockets.js picks) and drop the other
# build. The check at the end loads uWebSockets.js as the simulator will.
RUN keep=$(node -p "const s = require('uWebSockets.js/build').selectBuild(); if (!s.ok) throw new Error(s.problem); s.build.alias + ' ' + s.binary") \
    && set -- $keep && echo "uWebSockets.js: $1, $2" \
    && for build in $(node -p "require('uWebSockets.js/build').BUILDS.map((b) => b.alias).join(' ')"); do \
         if [ "$build" != "$1" ]; then rm -rf "node_modules/$build"; fi; done \
    && find "$PWD/node_modules/$1" -name '*.node' ! -path "$2" -delete \
    && node -e "require('uWebSockets.js')"
COPY tiktoken_cache ./tiktoken_cache
ARG network_type
# One RUN rather than a download stage per type: Docker's classic builder runs every stage of a
# Dockerfile, so a stage with a download would break the offline builds of the other types.
RUN case "$network_type" in \
      unrestricted)    mkdir -p /tiktoken_cache ;; \
      semi-restricted) node dist/src/setup-tiktoken.js --download /tiktoken_cache ;; \
      restricted)      node dist/src/setup-tiktoken.js --check tiktoken_cache && cp -r tiktoken_cache /tiktoken_cache ;; \
      *) echo "network_type must be unrestricted, semi-restricted or restricted, not \"$network_type\"" >&2; exit 1 ;; \
    esac

# ---- runtime: production dependencies and compiled code only, as an unprivileged user
FROM node:24-trixie-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The official node image has the user `node` (uid 1000); a base without it gets one. The default
# RECORDING_DIR (.recording, under /app) must be writable by it for record mode.
RUN (id -u node >/dev/null 2>&1 || useradd --uid 1000 --user-group --create-home node) \
    && mkdir -p /app/.recording && chown node:node /app/.recording
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /tiktoken_cache ./tiktoken_cache
USER node
EXPOSE 8000
# GET / is the unauthenticated health route. No curl in the slim image: Node's fetch does it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]

FROM runtime AS simulator-unrestricted-network

FROM runtime AS simulator-semi-restricted-network
ENV TIKTOKEN_CACHE_DIR=/app/tiktoken_cache

FROM runtime AS simulator-restricted-network
ENV TIKTOKEN_CACHE_DIR=/app/tiktoken_cache

FROM simulator-${network_type}-network
