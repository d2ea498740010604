# shellcheck shell=bash
# ensure_postgres: make PostgreSQL answer on 127.0.0.1:5432 with trust auth,
# a superuser role for the current OS user and a database named `test`.
# Installs PostgreSQL from Debian's packages when it is missing.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

as_postgres() {
  if command -v runuser >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    sudo -u postgres "$@"
  fi
}

pg_answers() {
  command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432
}

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "PostgreSQL is not installed: installing it from Debian's packages"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  fi
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    as_root pg_createcluster "$version" main >/dev/null
  fi
  if ! pg_answers; then
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      # Tests talk to a local throw-away server: trust on loopback only.
      as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 60); do pg_answers && break; sleep 1; done
  fi
  pg_answers || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; return 1; }
  local me
  me=$(id -un)
  if ! psql -h 127.0.0.1 -U "$me" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    as_postgres psql -q -c "CREATE ROLE \"$me\" SUPERUSER LOGIN" >/dev/null
  fi
  if [ "$(psql -h 127.0.0.1 -U "$me" -d postgres -tAc "select 1 from pg_database where datname = 'test'")" != "1" ]; then
    psql -h 127.0.0.1 -U "$me" -d postgres -qc 'CREATE DATABASE test' >/dev/null
  fi
  export VIGIA_TEST_DATABASE_URL="${VIGIA_TEST_DATABASE_URL:-postgres://$me@127.0.0.1:5432/test}"
}
