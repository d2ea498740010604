#!/usr/bin/env bash
# Bulk ingest into PostgreSQL with its stock settings, then with settings
# commonly used for bulk loads (SETTINGS below), in one run on the same
# server (the store benchmark crates/store/benches/ingest.rs). On the
# project's machine they did not help (BENCHMARKS.md): the bound is CPU.
#
# The settings are written with ALTER SYSTEM and the cluster is
# restarted (shared_buffers takes effect only at start); on exit, even on
# failure, exactly those settings are reset and the cluster restarted
# again. Needs superuser on the server and Debian's pg_ctlcluster.
#
# Usage: bench/ingest_postgres_tuned.sh
# Environment: OBJECTS (1000000), CLUSTER ("15 main"),
#   VIGIA_TEST_DATABASE_URL (postgres://root@127.0.0.1:5432/test)
set -euo pipefail
cd "$(dirname "$0")/.."

OBJECTS=${OBJECTS:-1000000}
read -r -a CLUSTER <<<"${CLUSTER:-15 main}"
URL=${VIGIA_TEST_DATABASE_URL:-postgres://root@127.0.0.1:5432/test}
PSQL=(psql "$URL" -v ON_ERROR_STOP=1 -Atq)

# name=value
SETTINGS=(
  "shared_buffers=4GB"
  "max_wal_size=8GB"
  "min_wal_size=2GB"
  "checkpoint_timeout=15min"
  "wal_compression=lz4"
)

restart() {
  pg_ctlcluster "${CLUSTER[@]}" restart
  for _ in $(seq 1 100); do
    "${PSQL[@]}" -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "PostgreSQL did not come back after a restart" >&2
  return 1
}

TUNED=0
restore() {
  if [ "$TUNED" = 1 ]; then
    for s in "${SETTINGS[@]}"; do "${PSQL[@]}" -c "ALTER SYSTEM RESET ${s%%=*}"; done
    restart
    echo "settings reset: ${SETTINGS[*]%%=*}"
  fi
}
trap restore EXIT

run() {
  cargo bench -q -p vigia-store --bench ingest -- --objects "$OBJECTS" --backend postgres \
    | grep -E "^PostgreSQL on|^throughput|^\| (back-end|---|PostgreSQL)"
}

cargo bench -p vigia-store --bench ingest --no-run
echo "## stock settings"
run
TUNED=1
for s in "${SETTINGS[@]}"; do "${PSQL[@]}" -c "ALTER SYSTEM SET ${s%%=*} = '${s#*=}'"; done
restart
echo "## tuned: ${SETTINGS[*]}"
run
