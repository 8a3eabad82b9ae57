#!/usr/bin/env bash
# Is the client the bottleneck? S1 (1 publisher, 1 queue, 1 no-ack consumer, 16 B transient flood) driven
# alternately by amqpbench (the neutral Go harness) and by `warren perf`, against the same brokers:
#
#   bash bench/client-check.sh [--reps 3] [--duration 10] [--brokers "warren rabbitmq garagemq"] [--out DIR]
#
# If `warren perf` reports what amqpbench reports, the Node client keeps up with the broker. Brokers are
# started and stopped like compare.sh does (same ports, Warren built from HEAD, --warren-rev to pick).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/.." && pwd)
SHARED=${AMQPBENCH_DIR:-/work/shared/bench}
WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/warren-bench}
REPS=3
DURATION=10
BROKERS="warren rabbitmq garagemq"
OUT=""
WARREN_FROM=head
WARREN_REV=HEAD
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --brokers) BROKERS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --warren-rev) WARREN_REV=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib.sh
. "$HERE/lib.sh"
OUT=${OUT:-$WORK/client-check-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
export BENCH_STATE=$WORK/client-check-state
export WARREN_PORT=${WARREN_PORT:-5778} WARREN_HTTP_PORT=${WARREN_HTTP_PORT:-15778}
export RMQ_PORT=${RMQ_PORT:-5773} RMQ_DIST_PORT=${RMQ_DIST_PORT:-25773} RMQ_MGMT_PORT=${RMQ_MGMT_PORT:-15773}
export RMQ_EPMD_PORT=${RMQ_EPMD_PORT:-4473} RMQ_NODENAME=${RMQ_NODENAME:-warrenbench@localhost}
export GMQ_PORT=${GMQ_PORT:-5775} GMQ_ADMIN_PORT=${GMQ_ADMIN_PORT:-15775}
declare -A PORT=([warren]=$WARREN_PORT [rabbitmq]=$RMQ_PORT [garagemq]=$GMQ_PORT)

use_go
[ -x "$WORK/harness/bin/amqpbench" ] || copy_harness
H=$WORK/harness
[[ " $BROKERS " == *" warren "* ]] && build_warren "$WORK/warren-client-check"
(cd "$PROJECT" && npm run build >"$OUT/build.log" 2>&1) || log "npm run build failed; using dist/ as it is"
rm -rf "$BENCH_STATE"
trap 'for b in $BROKERS; do "$H/brokers/$b.sh" stop >/dev/null 2>&1 || true; done; "$H/brokers/rabbitmq.sh" epmd-stop >/dev/null 2>&1 || true' EXIT
for b in $BROKERS; do "$H/brokers/$b.sh" start >/dev/null; done

RAW=$OUT/raw.jsonl
for ((rep = 1; rep <= REPS; rep++)); do
  for b in $BROKERS; do
    url="amqp://guest:guest@127.0.0.1:${PORT[$b]}/"
    pid=$("$H/brokers/$b.sh" pid)
    a=$(timeout 120 "$H/bin/amqpbench" -url "$url" -broker "$b" -rep "$rep" -scenario s1 -duration "${DURATION}s" -pid "$pid" 2>/dev/null || echo '{}')
    "$H/bin/amqpbench" -scenario settle -pid "$pid" -timeout 120s >/dev/null 2>&1 || true
    w=$(timeout 120 node "$PROJECT/dist/src/bin/warren.js" perf --uri "$url" --duration "$DURATION" --broker-pid "$pid" --json -q || echo '{}')
    "$H/bin/amqpbench" -scenario settle -pid "$pid" -timeout 120s >/dev/null 2>&1 || true
    echo "{\"broker\":\"$b\",\"rep\":$rep,\"amqpbench\":$a,\"warren_perf\":$w}" >> "$RAW"
    log "$b rep $rep done"
  done
done
node - "$RAW" <<'JS' | tee "$OUT/table.md"
const fs = require('node:fs')
const lines = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l))
const med = (v) => { const s = [...v].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN }
const f = (v) => (v >= 1e3 ? `${(v / 1e3).toFixed(0)}k` : `${Math.round(v)}`)
const cell = (v) => (v.length ? `${f(med(v))} (${f(Math.min(...v))}–${f(Math.max(...v))})` : 'n/a')
console.log('| broker | amqpbench consumed msg/s | warren perf consumed msg/s | amqpbench client CPU % | warren perf client CPU % |')
console.log('|---|---|---|---|---|')
for (const b of [...new Set(lines.map((l) => l.broker))]) {
  const ls = lines.filter((l) => l.broker === b)
  const ab = ls.map((l) => l.amqpbench.cons_rate).filter((v) => v !== undefined)
  const wp = ls.map((l) => l.warren_perf.rates?.consumed).filter((v) => v !== undefined)
  const ac = ls.map((l) => l.amqpbench.client_cpu_pct).filter((v) => v !== undefined)
  const wc = ls.map((l) => l.warren_perf.client_cpu_pct).filter((v) => v !== undefined)
  console.log(`| ${b} | ${cell(ab)} | ${cell(wp)} | ${med(ac)} | ${med(wc)} |`)
}
JS
log "results in $OUT"
