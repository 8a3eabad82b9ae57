#!/usr/bin/env bash
# CPU profile of Warren under one amqpbench scenario (default S1, the 16-byte flood):
#
#   bash bench/profile.sh [--scenario s1] [--duration 10s] [--out DIR] [--warren-rev REV | --warren-worktree]
#
# Starts Warren exactly as the harness's brokers/warren.sh does (same flags, its own data dir) with
# `node --cpu-prof` added, runs the scenario with amqpbench, stops Warren with SIGTERM (V8 writes the
# profile at exit), and prints the functions with the most self time (bench/cpuprofile-top.mjs). Open the
# .cpuprofile in Chrome DevTools (Performance tab) or speedscope for the flame graph.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/.." && pwd)
SHARED=${AMQPBENCH_DIR:-/work/shared/bench}
WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/warren-bench}
WARREN_FROM=head
WARREN_REV=HEAD
SCENARIO=s1
DURATION=10s
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) SCENARIO=$(echo "$2" | tr 'A-Z' 'a-z'); shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --warren-rev) WARREN_REV=$2; shift 2 ;;
    --warren-worktree) WARREN_FROM=worktree; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib.sh
. "$HERE/lib.sh"
OUT=${OUT:-$WORK/profile-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PORT=${WARREN_PORT:-5779}
HTTP_PORT=${WARREN_HTTP_PORT:-15779}
for p in "$PORT" "$HTTP_PORT"; do port_busy "$p" && { echo "port $p is in use (set WARREN_PORT/WARREN_HTTP_PORT)" >&2; exit 1; }; done

use_go
[ -x "$WORK/harness/bin/amqpbench" ] || copy_harness
build_warren "$WORK/warren-profile"
DATA=$WORK/profile-state/data
rm -rf "$WORK/profile-state"
mkdir -p "$DATA"

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
log "starting Warren with --cpu-prof on 127.0.0.1:$PORT"
(cd "$WARREN_PROJECT" && exec node $WARREN_NODE_FLAGS --cpu-prof --cpu-prof-dir "$OUT" --cpu-prof-name warren.cpuprofile \
  dist/src/bin/warren.js server --amqp-port "$PORT" --http-port "$HTTP_PORT" --data-dir "$DATA" \
  >"$OUT/console.log" 2>&1 </dev/null) &
WPID=$!
trap 'kill -TERM $WPID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

log "running $SCENARIO for $DURATION"
"$WORK/harness/bin/amqpbench" -url "amqp://guest:guest@127.0.0.1:$PORT/" -broker warren -label "$SCENARIO" \
  -scenario "$SCENARIO" -duration "$DURATION" -pid "$WPID" | tee "$OUT/result.json"
kill -TERM "$WPID"
for _ in $(seq 1 600); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
trap - EXIT
[ -s "$OUT/warren.cpuprofile" ] || { echo "no profile written (see $OUT/console.log)" >&2; exit 1; }
node "$HERE/cpuprofile-top.mjs" "$OUT/warren.cpuprofile" --top 30 | tee "$OUT/top.txt"
log "profile: $OUT/warren.cpuprofile"
