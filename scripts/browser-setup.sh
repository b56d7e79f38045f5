#!/usr/bin/env bash
# The headless browser of the console tests (test/e2e/console-browser.test.ts): Debian's chromium,
# driven by the playwright-core npm package (which never downloads a browser of its own).
# Idempotent: installs nothing when /usr/bin/chromium runs. Needs root. Prints the version.
set -euo pipefail
SCRIPT_NAME=browser-setup
# shellcheck source=lib/lab-common.sh
. "$(dirname "$0")/lib/lab-common.sh"
CHROMIUM=${NOVA_TS_CHROMIUM:-/usr/bin/chromium}
if ! "$CHROMIUM" --version >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "must run as root to install chromium"
  apt_install chromium fonts-dejavu-core
fi
# Debian's wrapper script prints a harmless "[: ... unexpected operator" on some machines: keep only the version line.
version=$("$CHROMIUM" --version 2>/dev/null | grep -i chromium || true)
[ -n "$version" ] || die "$CHROMIUM --version prints nothing"
log "$version ($(elapsed) s)"
