#!/usr/bin/env bash
# Federation between vigia nodes, each a separate `vigia serve` process on
# loopback, on SQLite, in a temporary directory under /tmp. The client side
# is bench/federation_bench.py (Python 3.11 standard library only).
#
# latency  N nodes (default 35, one per OAS member state, in the order of
#          member-states.csv) in a partial mesh: ring in CSV order + one
#          seeded random chord per node + a hub per subregion (its first
#          member) that the subregion's other members peer with. One
#          peripheral node publishes N GREEN alerts (STIX `report`,
#          report_types alert) through POST /api/objects, one every
#          --interval-ms; the script waits until every node holds every
#          alert and reports per-(object, node) latency p50/p90/p99/max from
#          the nodes' date_added (goals: p50 < 300 ms, p99 < 1 s), and the
#          summed VmRSS of all nodes idle and after.
# catchup  Nodes A (CR) and B (UY) peered; B stopped with SIGTERM; N GREEN
#          indicators published at A with `vigia publish` in bundle files of
#          --chunk; B started; time until B holds all N, by counting B's
#          indicator rows every 0.5 s (goal: >= 10,000 objects/s).
# all      both.
#
# Usage: bench/federation.sh [latency|catchup|all] [--nodes N] [--alerts N]
#          [--interval-ms MS] [--origin CC] [--objects N] [--chunk N]
#          [--pull-interval S] [--push-batch N] [--seed N] [--timeout S]
#          [--wait-idle S] [--out FILE] [--keep]
#   --wait-idle S  before each benchmark wait up to S seconds for the machine
#               to be under 25 % busy (it may be shared with builds)
#   --out FILE  also write the Markdown summary to FILE
#   --keep      keep the temporary directory (node data and logs) afterwards;
#               it is always kept when a benchmark fails
# Environment:
#   VIGIA_BIN      the vigia binary; default: build it with
#                  `nice -n 10 cargo build --release -p vigia` (honours
#                  CARGO_TARGET_DIR) and use <target>/release/vigia
#   VIGIA_LOG      log level of the nodes (default error); their stdout and
#                  stderr go to files in the temporary directory
#   MEMBER_STATES  the member-state CSV
#                  (default /work/shared/data/oas/member-states.csv)
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=all
PYARGS=()
OUT=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    latency | catchup | all) MODE=$1 ;;
    --nodes | --alerts | --interval-ms | --origin | --objects | --chunk | --pull-interval | \
      --push-batch | --seed | --timeout | --retry-base-ms | --retry-max-secs | --settle | --wait-idle)
      [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
      PYARGS+=("$1" "$2"); shift ;;
    --out) [ $# -ge 2 ] || { echo "--out needs a value" >&2; exit 2; }; OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
COMMAND_LINE="bench/federation.sh $MODE ${PYARGS[*]:-}"
MEMBER_STATES=${MEMBER_STATES:-/work/shared/data/oas/member-states.csv}
PY=${PYTHON:-python3}
export VIGIA_LOG=${VIGIA_LOG:-error}

if [ -n "${VIGIA_BIN:-}" ]; then
  BIN=$VIGIA_BIN
else
  nice -n 10 cargo build --release -p vigia
  BIN=${CARGO_TARGET_DIR:-target}/release/vigia
fi
[ -x "$BIN" ] || { echo "no vigia binary at $BIN" >&2; exit 1; }
BIN=$(realpath "$BIN")

TMP=$(mktemp -d /tmp/vigia-federation-bench.XXXXXX)
STATUS=1
# Stops every node still running: by pid, read from the pid files the Python
# side keeps current, and only if the pid is still a `vigia serve` of $BIN.
cleanup() {
  local pids=() pid
  for f in "$TMP"/*/pids; do
    [ -f "$f" ] || continue
    while read -r pid; do
      [ -n "$pid" ] || continue
      if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^$BIN serve "; then
        pids+=("$pid")
      fi
    done <"$f"
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do
      local alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      [ $alive = 1 ] || break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ] || [ "$STATUS" != 0 ]; then
    echo "kept node data and logs in $TMP" >&2
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SUMMARY=$TMP/summary.md
{
  echo "## vigia federation benchmark"
  echo
  echo "- **Command**: \`$COMMAND_LINE\` (VIGIA_LOG=$VIGIA_LOG)"
  echo "- **Date**: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- **Source tree** now: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- crates 2>/dev/null || echo ' with uncommitted changes under crates/')"
  echo "- **Binary**: $BIN ($(du -k "$BIN" | cut -f1) KiB, built $(date -u -r "$BIN" +%Y-%m-%dT%H:%M:%SZ)$([ -n "${VIGIA_BIN:-}" ] && echo '; given by VIGIA_BIN, so it may predate the tree above'))"
  echo "- **Machine**: $(nproc) CPUs (\`nproc\`), $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Linux $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo '```'
  echo '$ free -g'
  free -g
  echo '```'
  echo
} | tee "$SUMMARY"

run() {
  local name=$1
  shift
  local rc=0
  "$PY" bench/federation_bench.py "$name" --bin "$BIN" --work "$TMP/$name" \
    --states "$MEMBER_STATES" "$@" 2> >(tee "$TMP/$name.progress" >&2) | tee -a "$SUMMARY" || rc=$?
  echo | tee -a "$SUMMARY"
  return $rc
}

RC=0
if [ "$MODE" = latency ] || [ "$MODE" = all ]; then
  run latency "${PYARGS[@]}" || RC=1
fi
if [ "$MODE" = catchup ] || [ "$MODE" = all ]; then
  run catchup "${PYARGS[@]}" || RC=1
fi
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$SUMMARY"
if [ -n "$OUT" ]; then
  cp "$SUMMARY" "$OUT"
  echo "summary written to $OUT" >&2
fi
STATUS=$RC
exit $RC
