# shellcheck shell=bash
# ensure_browser: Debian's Chromium and e2e/'s pinned npm packages
# (playwright-core, axe-core for the console's browser tests,
# @secvisogram/csaf-validator-lib for BSI's CSAF validator in vigia-csaf's
# tests). Installs what is missing; exports VIGIA_CHROMIUM for the tests.

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
  if [ ! -d e2e/node_modules/playwright-core ] || [ ! -d e2e/node_modules/axe-core ] \
    || [ ! -d e2e/node_modules/@secvisogram/csaf-validator-lib ]; then
    (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
  fi
  VIGIA_CHROMIUM=$(command -v chromium)
  export VIGIA_CHROMIUM
}
