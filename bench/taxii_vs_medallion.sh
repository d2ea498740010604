#!/usr/bin/env bash
# vigia's TAXII 2.1 server against the OASIS reference server, medallion
# 3.0.0 (memory back-end), with the same generated STIX 2.1 data and the
# same client code (bench/taxii_bench.py), on loopback only.
#
# For each size (10,000 and 100,000 objects): start a fresh vigia node on
# SQLite and a fresh medallion; POST the objects to both in 1,000-object
# envelopes (objects/s until each status is complete); then read the whole
# collection by paging, limit=1000 following `next` (objects/s, p50/p99 of
# one page). Prints a Markdown table.
#
# medallion's memory back-end is quadratic: above MEDALLION_POST_MAX objects
# it is preloaded from its data file and its POST rate is measured on the
# last MEDALLION_POST_SUBSET objects only. A full read it does not finish
# within MEDALLION_READ_TIMEOUT seconds (MEDALLION_READ_TIMEOUT_LARGE above
# MEDALLION_POST_MAX objects) is reported as a bound: its first page costs
# time quadratic in the collection size (about 25 s at 2,000 objects).
#
# Usage: bench/taxii_vs_medallion.sh [--million]
#   --million   also load 1,000,000 objects into one vigia collection and time
#               200 `added_after` pages of 1,000 (goal: p99 < 50 ms)
# Environment: SIZES ("10000 100000"), MEDALLION_POST_MAX (10000),
#   MEDALLION_POST_SUBSET (2000), MEDALLION_READ_TIMEOUT (1800),
#   MEDALLION_READ_TIMEOUT_LARGE (300),
#   MILLION_COUNT (1000000), MILLION_REQUESTS (200), SKIP_MEDALLION (0; 1
#   measures vigia alone, for a quick check between comparisons)
set -euo pipefail
cd "$(dirname "$0")/.."

MILLION=0
for arg in "$@"; do
  case "$arg" in
    --million) MILLION=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
SIZES=${SIZES:-"10000 100000"}
MEDALLION_POST_MAX=${MEDALLION_POST_MAX:-10000}
MEDALLION_POST_SUBSET=${MEDALLION_POST_SUBSET:-2000}
MEDALLION_READ_TIMEOUT=${MEDALLION_READ_TIMEOUT:-1800}
MEDALLION_READ_TIMEOUT_LARGE=${MEDALLION_READ_TIMEOUT_LARGE:-300}
MILLION_COUNT=${MILLION_COUNT:-1000000}
MILLION_REQUESTS=${MILLION_REQUESTS:-200}
SKIP_MEDALLION=${SKIP_MEDALLION:-0}
MEDALLION_COLLECTION=9cfa669c-ee94-4ece-afd2-f8edac37d8fd
MEDALLION_USER=bench
MEDALLION_PASSWORD=bench-$$-$RANDOM

# shellcheck source=../scripts/python-env.sh
source scripts/python-env.sh
ensure_python_env
PY=$VIGIA_PYTHON
BENCH=bench/taxii_bench.py

cargo build --release -p vigia
BIN=target/release/vigia

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigia-taxii-bench.XXXXXX")
OUT=bench/out
mkdir -p "$OUT"
PIDS=()
stop() { # stop PID: TERM, wait up to 10 s, then KILL
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  for pid in "${PIDS[@]}"; do stop "$pid"; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# start_vigia DIR: init and serve a node; sets VIGIA_URL, VIGIA_PID, TOKEN, COLL
start_vigia() {
  local dir=$1
  "$BIN" init --data-dir "$dir" --country CR --name "Bench" --listen 127.0.0.1:0 >"$dir.init.log"
  VIGIA_LOG=warn "$BIN" serve --data-dir "$dir" --listen 127.0.0.1:0 >"$dir.out" 2>"$dir.err" &
  VIGIA_PID=$!
  PIDS+=("$VIGIA_PID")
  VIGIA_URL=""
  for _ in $(seq 1 300); do
    VIGIA_URL=$(sed -n 's/^vigia listening on \(.*\)$/\1/p' "$dir.out" | head -n 1)
    [ -n "$VIGIA_URL" ] && break
    kill -0 "$VIGIA_PID" 2>/dev/null || { cat "$dir.err" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$VIGIA_URL" ] || { echo "vigia did not report its address" >&2; exit 1; }
  TOKEN=$("$BIN" token create --data-dir "$dir" --role analyst 2>/dev/null | tail -n 1)
  COLL=$(curl -s --noproxy '*' --max-time 10 -H "Authorization: Bearer $TOKEN" \
    -H 'Accept: application/taxii+json;version=2.1' "$VIGIA_URL/taxii2/api/collections/" |
    "$PY" -c 'import json,sys; print(next(c["id"] for c in json.load(sys.stdin)["collections"] if c["alias"]=="indicators"))')
}

# start_medallion DIR PRELOAD OBJECTS: sets MED_URL, MED_PID
start_medallion() {
  local dir=$1 preload=$2 objects=$3 port
  mkdir -p "$dir"
  port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$PY" "$BENCH" medallion --objects "$objects" --preload "$preload" --port "$port" --dir "$dir" \
    --collection-id "$MEDALLION_COLLECTION" --user "$MEDALLION_USER" --password "$MEDALLION_PASSWORD"
  "$VIGIA_MEDALLION" --host 127.0.0.1 --port "$port" --log-level WARN "$dir/medallion-config.json" \
    >"$dir/medallion.out" 2>"$dir/medallion.err" &
  MED_PID=$!
  PIDS+=("$MED_PID")
  MED_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 600); do
    code=$(curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' \
      -u "$MEDALLION_USER:$MEDALLION_PASSWORD" -H 'Accept: application/taxii+json;version=2.1' \
      "$MED_URL/taxii2/" || true)
    [ "$code" = 200 ] && return 0
    kill -0 "$MED_PID" 2>/dev/null || { cat "$dir/medallion.err" >&2; exit 1; }
    sleep 0.1
  done
  echo "medallion did not answer within 60 s" >&2
  exit 1
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS=()
for n in $SIZES; do
  echo "== $n objects"
  objects="$TMP/objects-$n.json"
  "$PY" "$BENCH" generate --count "$n" --out "$objects"

  start_vigia "$TMP/vigia-$n"
  "$PY" "$BENCH" measure --name vigia --objects "$objects" --url "$VIGIA_URL" --token "$TOKEN" \
    --collection "/taxii2/api/collections/$COLL/" --out "$TMP/vigia-$n.json"
  stop "$VIGIA_PID"
  RESULTS+=("$TMP/vigia-$n.json")

  if [ "$SKIP_MEDALLION" = 1 ]; then
    rm -f "$objects"
    continue
  fi
  preload=0 read_timeout=$MEDALLION_READ_TIMEOUT
  if [ "$n" -gt "$MEDALLION_POST_MAX" ]; then
    preload=$((n - MEDALLION_POST_SUBSET)) read_timeout=$MEDALLION_READ_TIMEOUT_LARGE
  fi
  start_medallion "$TMP/medallion-$n" "$preload" "$objects"
  "$PY" "$BENCH" measure --name medallion --objects "$objects" --url "$MED_URL" \
    --user "$MEDALLION_USER" --password "$MEDALLION_PASSWORD" --skip "$preload" \
    --read-timeout "$read_timeout" \
    --collection "/bench/collections/$MEDALLION_COLLECTION/" --out "$TMP/medallion-$n.json"
  stop "$MED_PID"
  RESULTS+=("$TMP/medallion-$n.json")
  rm -f "$objects"
done

if [ "$MILLION" = 1 ]; then
  echo "== vigia alone: $MILLION_COUNT objects, $MILLION_REQUESTS added_after pages"
  start_vigia "$TMP/vigia-million"
  "$PY" "$BENCH" million --count "$MILLION_COUNT" --requests "$MILLION_REQUESTS" \
    --url "$VIGIA_URL" --token "$TOKEN" --collection "/taxii2/api/collections/$COLL/" \
    --out "$TMP/vigia-million.json"
  du -sh "$TMP/vigia-million" | sed 's/^/data directory: /'
  stop "$VIGIA_PID"
  RESULTS+=("$TMP/vigia-million.json")
fi

if [ "$SKIP_MEDALLION" = 1 ]; then
  # No comparison to report: vigia's figures were printed as measured.
  exit 0
fi

{
  echo "# TAXII: vigia against medallion ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(free -g | awk '/^Mem:/ {print $2}') GiB; load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  "$PY" "$BENCH" report "${RESULTS[@]}"
} | tee "$OUT/taxii_vs_medallion.md"
cp "${RESULTS[@]}" "$OUT/" 2>/dev/null || true
