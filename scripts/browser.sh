# shellcheck shell=bash
# ensure_browser: Debian's Chromium and the pinned playwright-core (e2e/)
# for the console's browser tests. Installs what is missing; exports
# VIGIA_CHROMIUM for the tests.

ensure_browser() {
  if ! command -v chromium >/dev/null 2>&1; then
    echo "Chromium is not installed: installing it from Debian's packages"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
  fi
  if ! command -v node >/dev/null 2>&1; then
    echo "Node.js is not installed: installing it from Debian's packages"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null
  fi
  if [ ! -d e2e/node_modules/playwright-core ]; then
    (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
  fi
  VIGIA_CHROMIUM=$(command -v chromium)
  export VIGIA_CHROMIUM
}
