#!/usr/bin/env bash
# Would several event loops with queue ownership pay on this machine? The best such a design can do is
# two loops that never exchange a message (every connection on the loop that owns its queue). This
# script measures exactly that bound, without writing the design:
#
#   bash bench/loops.sh [--reps 2] [--duration 10s] [--warren-rev REV | --warren-worktree]
#
# For S1 (one publisher, one queue, one consumer) and S5 (50 such pairs) it runs the same total load two
# ways, alternately: two amqpbench clients against ONE Warren (one event loop serves both), and one
# client against each of TWO Warrens (two event loops, no traffic between them). It prints the summed
# consumed msg/s and CPU of each run, then a table of medians. A real sharded broker would add to the
# second line the cost of messages crossing loops (bench/micro/loop-handoff.mjs) and of keeping
# exchanges, bindings and policies in step, so the second line is an upper bound.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/.." && pwd)
SHARED=${AMQPBENCH_DIR:-/work/shared/bench}
WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/warren-bench}
WARREN_FROM=head
WARREN_REV=HEAD
REPS=2
DURATION=10s
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warren-rev) WARREN_REV=$2; shift 2 ;;
    --warren-worktree) WARREN_FROM=worktree; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib.sh
. "$HERE/lib.sh"
PORTS=(5793 5794)
for p in "${PORTS[@]}" 15793 15794; do port_busy "$p" && { echo "port $p is in use" >&2; exit 1; }; done
use_go
[ -x "$WORK/harness/bin/amqpbench" ] || copy_harness
build_warren "$WORK/warren-loops"
STATE=$WORK/loops-state
rm -rf "$STATE"
mkdir -p "$STATE"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

PIDS=()
start_warren() { # start_warren PORT
  (cd "$WARREN_PROJECT" && exec node $WARREN_NODE_FLAGS dist/src/bin/warren.js server --amqp-port "$1" --http-port "1$1" \
    --data-dir "$STATE/data-$1" >"$STATE/warren-$1.log" 2>&1 </dev/null) &
  PIDS+=($!)
  for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done
  echo "Warren on port $1 did not start (see $STATE/warren-$1.log)" >&2
  exit 1
}
trap 'kill -TERM "${PIDS[@]}" 2>/dev/null || true' EXIT
start_warren "${PORTS[0]}"
start_warren "${PORTS[1]}"

bench() { # bench PORT PID SCENARIO -> one JSON line
  "$WORK/harness/bin/amqpbench" -url "amqp://guest:guest@127.0.0.1:$1/" -broker warren -scenario "$3" \
    -duration "$DURATION" -pid "$2" 2>/dev/null
}
RAW=$STATE/raw.jsonl
: >"$RAW"
for scenario in s1 s5; do
  for rep in $(seq 1 "$REPS"); do
    for layout in one-loop two-loops; do
      if [ "$layout" = one-loop ]; then
        second=0
      else
        second=1
      fi
      # Both clients at once; wait for this one only (a bare `wait` would wait for the brokers too).
      bench "${PORTS[0]}" "${PIDS[0]}" "$scenario" >"$STATE/a.json" &
      first_client=$!
      bench "${PORTS[$second]}" "${PIDS[$second]}" "$scenario" >"$STATE/b.json"
      wait "$first_client"
      node -e '
        const [a, b] = [process.argv[1], process.argv[2]].map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")))
        const line = { scenario: process.argv[3], layout: process.argv[4], rep: +process.argv[5],
          consumed_msg_s: Math.round(a.cons_rate + b.cons_rate),
          broker_cpu_pct: process.argv[4] === "one-loop" ? a.broker_cpu_pct : a.broker_cpu_pct + b.broker_cpu_pct,
          clients_cpu_pct: a.client_cpu_pct + b.client_cpu_pct, system_cpu_pct: a.system_cpu_pct }
        console.log(JSON.stringify(line))' "$STATE/a.json" "$STATE/b.json" "$scenario" "$layout" "$rep" | tee -a "$RAW"
    done
  done
done
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l))
  const med = (xs) => { const s = [...xs].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
  console.log("\n| load | layout | consumed msg/s (median, all) | broker CPU % | clients CPU % | machine CPU % of 200 |")
  console.log("|---|---|---|---|---|---|")
  for (const sc of ["s1", "s5"]) for (const layout of ["one-loop", "two-loops"]) {
    const ls = lines.filter((l) => l.scenario === sc && l.layout === layout)
    const load = sc === "s1" ? "2 x S1 (2 queues, 4 connections)" : "2 x S5 (100 queues, 200 connections)"
    const desc = layout === "one-loop" ? "one Warren (one event loop)" : "two Warrens (two loops, no crossing)"
    const k = (x) => (x / 1000).toFixed(0) + "k"
    console.log(`| ${load} | ${desc} | ${k(med(ls.map((l) => l.consumed_msg_s)))} (${ls.map((l) => k(l.consumed_msg_s)).join(", ")}) | ${med(ls.map((l) => l.broker_cpu_pct)).toFixed(0)} | ${med(ls.map((l) => l.clients_cpu_pct)).toFixed(0)} | ${med(ls.map((l) => l.system_cpu_pct)).toFixed(0)} |`)
  }' "$RAW"
log "raw lines in $RAW"
