#!/usr/bin/env bash
# The service-map browser test (test/e2e/service-map-browser.test.ts) drives headless Chromium from the
# Debian package through playwright-core (`npx playwright install` cannot download on these machines).
# Installed once with apt-get (as root, or through sudo); a no-op when a Chromium is already there.
set -euo pipefail
if [ -n "${DUCKSTORE_CHROMIUM:-}" ] || [ -x /usr/bin/chromium ]; then exit 0; fi
as_root=""
[ "$(id -u)" -ne 0 ] && as_root="sudo"
echo "[deps] installing Debian's chromium for the browser test (apt-get)…"
$as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium >/dev/null
