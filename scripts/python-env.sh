# shellcheck shell=bash
# ensure_python_env: a Python virtual environment at the repository root's
# .venv holding the OASIS reference tools the black-box tests talk to (the
# medallion TAXII 2.1 server, the taxii2-client and the STIX validator),
# installed from PyPI at pinned versions. Exports:
#   VIGIA_PYTHON     the environment's python
#   VIGIA_MEDALLION  the medallion server script
#   VIGIA_WARNINGLISTS  MISP's warninglists as pymispwarninglists ships
#                    them (a directory of <name>/list.json)
# Idempotent: when the marker file records exactly these pins and the
# environment's interpreter runs, nothing is installed again.
#
# Usage: source scripts/python-env.sh && ensure_python_env

VIGIA_PYTHON_PINS="pymispwarninglists==1.7.0 medallion==3.0.0 taxii2-client==2.3.0 stix2-validator==3.3.1 Flask==3.1.3 Werkzeug==3.1.9 Flask-HTTPAuth==4.8.1 requests==2.34.2"

ensure_python_env() {
  local root venv marker
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || return 1
  venv="$root/.venv"
  marker="$venv/.vigia-python-pins"

  if [ "$(cat "$marker" 2>/dev/null)" != "$VIGIA_PYTHON_PINS" ] ||
    [ ! -x "$venv/bin/medallion" ] ||
    ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
    if ! command -v python3 >/dev/null 2>&1; then
      echo "ensure_python_env: python3 is not installed" >&2
      return 1
    fi
    echo "Python tools for tests: installing $VIGIA_PYTHON_PINS into $venv"
    rm -f "$marker"
    if ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
      # Missing or broken (say, its interpreter is gone): start afresh.
      python3 -m venv --clear "$venv" || {
        echo "ensure_python_env: cannot create $venv (python3 -m venv)" >&2
        return 1
      }
    fi
    # shellcheck disable=SC2086 # the pins are meant to split into words
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      $VIGIA_PYTHON_PINS || {
      echo "ensure_python_env: pip could not install $VIGIA_PYTHON_PINS" >&2
      return 1
    }
    printf '%s\n' "$VIGIA_PYTHON_PINS" >"$marker"
  fi
  export VIGIA_PYTHON="$venv/bin/python"
  export VIGIA_MEDALLION="$venv/bin/medallion"
  VIGIA_WARNINGLISTS=$("$venv/bin/python" -c \
    'import os, pymispwarninglists as w; print(os.path.join(os.path.dirname(w.__file__), "data", "misp-warninglists", "lists"))') || {
    echo "ensure_python_env: pymispwarninglists is not importable" >&2
    return 1
  }
  export VIGIA_WARNINGLISTS
}
