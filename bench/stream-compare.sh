#!/usr/bin/env bash
# Stream protocol, 1 publisher and 1 consumer with confirms: Warren beside RabbitMQ, alternating run by
# run, both measured by `warren perf stream`. Appends one JSON object per run (with "broker" and "rep"
# added) to $OUT. Needs a running Warren (WARREN_PID, WARREN_PORT) and RabbitMQ with rabbitmq_stream
# (RABBIT_PID, RABBIT_PORT); with BASE_PID and BASE_PORT, a second Warren (say, a build of main) runs
# as "warren-base" in the same rotation, for before/after figures from one run.
#   WARREN_PID=.. WARREN_PORT=5562 RABBIT_PID=.. RABBIT_PORT=5553 bash bench/stream-compare.sh OUT [REPS] [SIZES]
set -euo pipefail
OUT=$1
REPS=${2:-3}
SIZES=${3:-"16 1024"}
PERF="node $(dirname "$0")/../dist/src/bin/warren.js perf stream --json --quiet --duration 10"
for rep in $(seq 1 "$REPS"); do
  for size in $SIZES; do
    for broker in rabbitmq warren ${BASE_PID:+warren-base}; do
      case $broker in
        warren) pid=$WARREN_PID port=$WARREN_PORT ;;
        warren-base) pid=$BASE_PID port=$BASE_PORT ;;
        *) pid=$RABBIT_PID port=$RABBIT_PORT ;;
      esac
      # The previous run's dirty pages (RabbitMQ's stream plugin does not fsync) are written back first, so
      # that their writeback does not land on the next broker's run.
      sync
      timeout 60 $PERF --uri "rabbitmq-stream://guest:guest@127.0.0.1:$port/" --size "$size" --broker-pid "$pid" |
        jq -c --arg b "$broker" --argjson rep "$rep" '{broker: $b, rep: $rep} + .' | tee -a "$OUT" |
        jq -r '"\(.broker) \(.options.size) B rep \(.rep): confirmed \(.rates.confirmed)/s consumed \(.rates.consumed)/s p50 \(.confirm_latency.p50_ms) ms broker CPU \(.broker_cpu_pct)%"'
    done
  done
done
