#!/usr/bin/env bash
# Public portal throughput with wrk (Debian's package): one node on SQLite
# with N public (TLP:CLEAR) advisories, then the advisory list and its
# Atom feed under load from a second process on loopback.
#
# Usage: bench/portal.sh [ADVISORIES=50] [SECONDS=15] [CONNECTIONS=64]
# Goal (issue 9): >= 10,000 requests/s and p99 < 50 ms for both.
set -euo pipefail
cd "$(dirname "$0")/.."

ADVISORIES=${1:-50}
DURATION=${2:-15}
CONNECTIONS=${3:-64}

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
cargo build --release -p vigia
BIN=${CARGO_TARGET_DIR:-target}/release/vigia

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigia-portal.XXXXXX")
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

"$BIN" init --data-dir "$TMP/node" --country CR --name "CSIRT Bench" >"$TMP/init.log"
VIGIA_LOG=warn "$BIN" serve --data-dir "$TMP/node" --listen 127.0.0.1:0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
PID=$!
URL=""
for _ in $(seq 1 300); do
  URL=$(sed -n 's/^vigia listening on \(.*\)$/\1/p' "$TMP/serve.out" | head -n 1)
  [ -n "$URL" ] && break
  kill -0 "$PID" 2>/dev/null || { cat "$TMP/serve.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "vigia serve did not start" >&2; exit 1; }

TOKEN=$("$BIN" token create --data-dir "$TMP/node" --role analyst --user admin | tail -n 1)
for i in $(seq 1 "$ADVISORIES"); do
  curl -s --noproxy '*' -o /dev/null -w '' -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"kind\":\"advisory\",\"title\":\"Advisory $i: patch the gateways\",\"description\":\"Apply the vendor fix $i.\",\"severity\":\"high\",\"tlp\":\"clear\",\"cves\":[\"CVE-2026-$((1000 + i))\"]}" \
    "$URL/api/products"
done
# Let the node finish its work on the new advisories (projection, live
# stream), so that the run measures readers, not the publishing: wait
# until the list's ETag holds for 3 s.
last=""; still=0
for _ in $(seq 1 120); do
  etag=$(curl -s --noproxy '*' -o /dev/null -D - "$URL/advisories" | sed -n 's/^etag: //Ip' | tr -d '\r')
  if [ "$etag" = "$last" ]; then still=$((still + 1)); else still=0; last=$etag; fi
  [ "$still" -ge 6 ] && break
  sleep 0.5
done
entries=$(curl -s --noproxy '*' "$URL/feeds/advisories.atom" | grep -c '<entry>' || true)
echo "node $URL with $ADVISORIES public advisories ($entries in the feed)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

for path in /advisories /feeds/advisories.atom; do
  echo "== GET $path: wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency"
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$URL$path" | grep -E 'Requests/sec|Latency|99%|50%|Non-2xx|Socket errors'
done
