#!/usr/bin/env bash
# S3 on a quorum queue, Warren against a reference broker, alternating: persistent 16-byte messages,
# confirms with 256 in flight, one consumer with manual acks and prefetch 100 (amqpbench's S3), with
# `warren perf` as the client for both and `x-queue-type: quorum` on the queue. Warren is this checkout's
# build on a fresh data directory; the reference is any running broker (RabbitMQ 3.10 on REF_URL).
# Usage (after npm run build): bench/quorum-s3.sh
# Env: REPS (3), RUN_S (10), PORT (5698), REF_URL (amqp://guest:guest@127.0.0.1:5676/), REF_PID (its pid,
# for its CPU), OUT (raw lines file).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-flags.sh
. bench/node-flags.sh
REPS=${REPS:-3}
RUN_S=${RUN_S:-10}
PORT=${PORT:-5698}
REF_URL=${REF_URL:-amqp://guest:guest@127.0.0.1:5676/}
OUT=${OUT:-$(mktemp /tmp/quorum-s3.XXXXXX.jsonl)}
DATA=$(mktemp -d /tmp/quorum-s3-data.XXXXXX)
node $(warren_node_flags .) dist/src/bin/warren.js server --data-dir "$DATA" --amqp-port "$PORT" --http-port 0 \
  --prometheus-port 0 --log-level warn >"$DATA.log" 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null; wait $BROKER 2>/dev/null; rm -rf "$DATA" "$DATA.log"' EXIT
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.2; done
run() {
  node dist/src/bin/warren.js perf throughput --uri "$1" --json -q --duration "$RUN_S" --persistent \
    --confirm 256 --ack --prefetch 100 --queue-arg x-queue-type=quorum ${2:+--broker-pid "$2"}
}
for _ in $(seq "$REPS"); do
  run "amqp://guest:guest@127.0.0.1:$PORT/" "$BROKER" | tee -a "$OUT"
  echo
  run "$REF_URL" "${REF_PID:-}" | tee -a "$OUT"
  echo
done
echo "raw lines: $OUT"
