#!/usr/bin/env bash
# Idle memory of one vigia node: build the release binary, create a node on
# SQLite in a temporary directory, start it on a free loopback port, send a
# few requests, let it settle and read its resident set size (VmRSS).
#
# Usage: bench/idle_memory.sh            (goal: VmRSS <= 40 MB)
set -euo pipefail
cd "$(dirname "$0")/.."

GOAL_MB=40
SETTLE_SECS=3

cargo build --release -p vigia
BIN=target/release/vigia

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigia-idle.XXXXXX")
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

"$BIN" init --data-dir "$TMP/node" --country CR --name "Bench" >"$TMP/init.log"

# stdout goes to a file we poll, so the node never blocks on a pipe.
VIGIA_LOG=warn "$BIN" serve --data-dir "$TMP/node" --listen 127.0.0.1:0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
PID=$!

URL=""
for _ in $(seq 1 300); do
  URL=$(sed -n 's/^vigia listening on \(.*\)$/\1/p' "$TMP/serve.out" | head -n 1)
  [ -n "$URL" ] && break
  kill -0 "$PID" 2>/dev/null || { echo "vigia serve exited:" >&2; cat "$TMP/serve.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "vigia serve did not report its address within 30 s" >&2; exit 1; }

for path in /healthz /readyz /api/node /healthz /readyz /api/node; do
  code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 5 "$URL$path")
  echo "GET $path -> $code"
  [ "$code" = 200 ] || { echo "unexpected status for $path" >&2; exit 1; }
done

sleep "$SETTLE_SECS"
RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
HWM_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status")
THREADS=$(awk '/^Threads:/ {print $2}' "/proc/$PID/status")
# /proc reports KiB; MB below are decimal (10^6 bytes), the stricter reading of the goal.
RSS_MB=$(awk -v kb="$RSS_KB" 'BEGIN { printf "%.1f", kb * 1024 / 1e6 }')
RSS_MIB=$(awk -v kb="$RSS_KB" 'BEGIN { printf "%.1f", kb / 1024 }')
HWM_MB=$(awk -v kb="$HWM_KB" 'BEGIN { printf "%.1f", kb * 1024 / 1e6 }')

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM_GIB=$(awk '/^MemTotal:/ {printf "%.1f", $2 / 1024 / 1024}' /proc/meminfo)
echo "machine: $(nproc) CPUs (nproc), $CPU_MODEL, $MEM_GIB GiB RAM, Linux $(uname -r)"
echo "binary: $BIN ($(du -k "$BIN" | cut -f1) KiB), node on SQLite at $URL, $THREADS threads"
echo "idle VmRSS after ${SETTLE_SECS} s: $RSS_MB MB ($RSS_MIB MiB, $RSS_KB kB); peak VmHWM: $HWM_MB MB"
if awk -v kb="$RSS_KB" -v goal="$GOAL_MB" 'BEGIN { exit !(kb * 1024 / 1e6 <= goal) }'; then
  echo "goal: <= $GOAL_MB MB: met"
else
  echo "goal: <= $GOAL_MB MB: NOT met"
fi
