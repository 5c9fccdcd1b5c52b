#!/usr/bin/env bash
# The dashboard's browser test (test/e2e/dashboard.test.ts) drives Debian's Chromium through
# playwright-core (playwright's own browser download cannot be used here). Installs it when it is
# missing and we are root (CI is); otherwise says what to run. Called by the test set-up.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "!! $CHROMIUM is missing and this is not root: run 'sudo apt-get install -y chromium' (the dashboard test needs it)" >&2
  exit 1
fi
echo "installing Debian's chromium for the dashboard test (apt-get)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium >&2
[ -x "$CHROMIUM" ] || { echo "!! chromium installed but $CHROMIUM is not there" >&2; exit 1; }
