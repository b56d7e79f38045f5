#!/usr/bin/env bash
# The headless browser of the console tests (test/e2e/console-browser.test.ts): Debian's chromium,
# driven by the playwright-core npm package (which never downloads a browser of its own).
# Idempotent: installs nothing when /usr/bin/chromium runs. Needs root. Prints the version.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
CHROMIUM=${NOVA_TS_CHROMIUM:-/usr/bin/chromium}
START=$(date +%s)
if ! "$CHROMIUM" --version >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "browser-setup: must run as root to install chromium" >&2; exit 1; }
  echo "== browser-setup: installing chromium"
  if ! apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; then
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  fi
fi
# Debian's wrapper script prints a harmless "[: ... unexpected operator" on some machines: keep only the version line.
version=$("$CHROMIUM" --version 2>/dev/null | grep -i chromium || true)
[ -n "$version" ] || { echo "browser-setup: $CHROMIUM --version prints nothing" >&2; exit 1; }
echo "== browser-setup: $version ($(( $(date +%s) - START )) s)"
