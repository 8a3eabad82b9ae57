#!/usr/bin/env bash
# Deduplicating exchange vs direct exchange over the wire, in one run: one Warren (this checkout's build,
# a fresh data directory), `warren perf throughput` alternating direct and x-message-deduplication runs,
# REPS times each, every message with an x-deduplication-header of its own (the expensive case: each is
# a new key; once the cache is full each also evicts one). The direct runs carry the same header, so
# both sides decode the same frames. Extra arguments go to warren perf (e.g. --persistent --confirm 2000).
# Prints one JSON line per run and the medians with their ratio last.
# Usage (after npm run build): bench/dedup-wire.sh [perf flags...]
# Env: REPS (5), SECONDS_PER_RUN (8), CACHE (x-cache-size, 100000), PORT (5699), OUT (raw lines file).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-flags.sh
. bench/node-flags.sh
REPS=${REPS:-5}
RUN_S=${SECONDS_PER_RUN:-8}
CACHE=${CACHE:-100000}
PORT=${PORT:-5699}
OUT=${OUT:-$(mktemp /tmp/dedup-wire.XXXXXX.jsonl)}
DATA=$(mktemp -d /tmp/dedup-wire-data.XXXXXX)
node $(warren_node_flags .) dist/src/bin/warren.js server --data-dir "$DATA" --amqp-port "$PORT" --http-port 0 \
  --prometheus-port 0 --log-level warn >"$DATA.log" 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null; wait $BROKER 2>/dev/null; rm -rf "$DATA" "$DATA.log"' EXIT
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.2; done
for rep in $(seq "$REPS"); do
  for type in direct x-message-deduplication; do
    node dist/src/bin/warren.js perf throughput --uri "amqp://guest:guest@127.0.0.1:$PORT/" --json -q \
      --duration "$RUN_S" --exchange-type "$type" --exchange-arg "x-cache-size=$CACHE" \
      --unique-header x-deduplication-header --broker-pid "$BROKER" "$@" | tee -a "$OUT"
    echo
  done
done
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l))
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
  const rate = (t) => median(lines.filter((l) => l.options.exchange_type === t).map((l) => l.rates.consumed))
  const d = rate("direct"), x = rate("x-message-deduplication")
  console.log(`median consumed msg/s: direct ${Math.round(d)}, x-message-deduplication ${Math.round(x)} (${(100 * x / d).toFixed(0)} %)`)
  // Each dedup run against the direct run just before it: the pairs share the machine noise of the moment.
  const pairs = []
  for (let i = 0; i + 1 < lines.length; i += 2) pairs.push(lines[i + 1].rates.consumed / lines[i].rates.consumed)
  console.log(`per pair: ${pairs.map((r) => (100 * r).toFixed(0) + " %").join(", ")}; median ${(100 * median(pairs)).toFixed(0)} %`)
' "$OUT"
