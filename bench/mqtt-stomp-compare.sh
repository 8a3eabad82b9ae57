#!/usr/bin/env bash
# MQTT and STOMP (issue 15): Warren beside RabbitMQ 3.10's MQTT and STOMP plugins and a private Mosquitto,
# broker by broker in turn within each repetition so that the machine's noise hits all of them, every
# run measured by the same client (`warren perf mqtt` / `warren perf stomp`, one process).
#   qos0   MQTT QoS 0, 1 publisher and 1 subscriber, 16-byte payloads
#   qos1   MQTT QoS 1, the same, with at most WINDOW unacknowledged publishes (no message may be lost)
#   stomp  1 producer and 1 consumer, client-individual acks, prefetch-count 1000
#   idle   IDLE_N idle MQTT connections: broker RSS per connection (bench/mqtt-idle.mjs); Warren and
#          Mosquitto are started afresh for each repetition, RabbitMQ (not ours to restart) is read before
#          and after as it runs
# Warren is this checkout's dist/ (npm run build first) on a data dir of its own; Mosquitto is started
# here on MOSQ_PORT (anonymous, no persistence, no cap on queued QoS 1 messages) and stopped at the end.
# Usage: bench/mqtt-stomp-compare.sh [SCENARIOS...]   (default: idle qos0 qos1 stomp; idle first, before
# the floods leave RabbitMQ with memory to give back)
# Env: REPS (3), FIRST_REP (1: repetitions FIRST_REP..REPS, to redo one), BROKERS (all: a subset to run,
#      e.g. "rabbitmq"), RUN_S (10), WINDOW (1000), IDLE_N (10000), OUT_DIR (bench/results/<today>),
#      RABBIT_MQTT (127.0.0.1:1884), RABBIT_STOMP (127.0.0.1:61614), RABBIT_PID (beam.smp's pid)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-flags.sh
. bench/node-flags.sh
REPS=${REPS:-3}
FIRST_REP=${FIRST_REP:-1}
BROKERS=${BROKERS:-rabbitmq mosquitto warren}
RUN_S=${RUN_S:-10}
WINDOW=${WINDOW:-1000}
IDLE_N=${IDLE_N:-10000}
OUT_DIR=${OUT_DIR:-bench/results/$(date -u +%F)}
RABBIT_MQTT=${RABBIT_MQTT:-127.0.0.1:1884}
RABBIT_STOMP=${RABBIT_STOMP:-127.0.0.1:61614}
RABBIT_PID=${RABBIT_PID:-$(ss -ltnpH "sport = :${RABBIT_MQTT##*:}" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)}
WARREN_MQTT=${WARREN_MQTT:-1897}
WARREN_STOMP=${WARREN_STOMP:-61627}
WARREN_AMQP=${WARREN_AMQP:-5797}
MOSQ_PORT=${MOSQ_PORT:-1885}
SCENARIOS=${*:-idle qos0 qos1 stomp}
ulimit -n "$(ulimit -Hn)"
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d /tmp/mqtt-stomp-compare.XXXXXX)
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
PERF="node dist/src/bin/warren.js perf"

WARREN_PID=""
MOSQ_PID=""
start_warren() {
  rm -rf "$WORK/data"
  node $(warren_node_flags .) dist/src/bin/warren.js server --data-dir "$WORK/data" --amqp-port "$WARREN_AMQP" --http-port 0 \
    --prometheus-port 0 --stream-port 0 --mqtt-port "$WARREN_MQTT" --stomp-port "$WARREN_STOMP" \
    --log-level warn >>"$WORK/warren.log" 2>&1 &
  WARREN_PID=$!
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$WARREN_STOMP") 2>/dev/null && return; sleep 0.1; done
  echo "Warren did not start, see $WORK/warren.log" >&2
  exit 1
}
start_mosquitto() {
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n' \
    "$MOSQ_PORT" >"$WORK/mosquitto.conf"
  mosquitto -c "$WORK/mosquitto.conf" >>"$WORK/mosquitto.log" 2>&1 &
  MOSQ_PID=$!
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$MOSQ_PORT") 2>/dev/null && return; sleep 0.1; done
  echo "Mosquitto did not start, see $WORK/mosquitto.log" >&2
  exit 1
}
stop() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
trap 'stop "$WARREN_PID"; stop "$MOSQ_PID"; rm -rf "$WORK/data"' EXIT

# tag BROKER REP: the run's JSON line with broker and rep in front, appended to $OUT and shown.
tag() { jq -c --arg b "$1" --argjson rep "$2" '{broker: $b, rep: $rep} + .' | tee -a "$OUT"; }

mqtt_endpoint() {
  case $1 in
    rabbitmq) echo "mqtt://guest:guest@$RABBIT_MQTT $RABBIT_PID" ;;
    mosquitto) echo "mqtt://guest:guest@127.0.0.1:$MOSQ_PORT $MOSQ_PID" ;;
    warren) echo "mqtt://guest:guest@127.0.0.1:$WARREN_MQTT $WARREN_PID" ;;
  esac
}

mqtt_runs() {
  local qos=$1
  OUT=$OUT_DIR/mqtt-qos$qos.jsonl
  for rep in $(seq "$FIRST_REP" "$REPS"); do
    for broker in rabbitmq mosquitto warren; do
      case " $BROKERS " in *" $broker "*) ;; *) continue ;; esac
      read -r uri pid <<<"$(mqtt_endpoint $broker)"
      log "MQTT QoS $qos rep $rep: $broker"
      timeout 60 $PERF mqtt --json -q --qos "$qos" --size 16 --window "$WINDOW" --duration "$RUN_S" \
        --drain 8 --uri "$uri" --broker-pid "$pid" | tag "$broker" "$rep" >/dev/null || log "run failed"
      tail -1 "$OUT" | jq -r '"  sent \(.rates.sent)/s received \(.rates.received)/s lost \(.lost) broker CPU \(.broker_cpu_pct)%"' >&2
    done
  done
}

stomp_runs() {
  OUT=$OUT_DIR/stomp.jsonl
  for rep in $(seq "$FIRST_REP" "$REPS"); do
    for broker in rabbitmq warren; do
      case " $BROKERS " in *" $broker "*) ;; *) continue ;; esac
      if [ $broker = warren ]; then uri=stomp://guest:guest@127.0.0.1:$WARREN_STOMP/ pid=$WARREN_PID
      else uri=stomp://guest:guest@$RABBIT_STOMP/ pid=$RABBIT_PID; fi
      log "STOMP rep $rep: $broker"
      timeout 60 $PERF stomp --json -q --ack client-individual --prefetch 1000 --size 16 --duration "$RUN_S" \
        --drain 8 --uri "$uri" --broker-pid "$pid" | tag "$broker" "$rep" >/dev/null || log "run failed"
      tail -1 "$OUT" | jq -r '"  sent \(.rates.sent)/s received \(.rates.received)/s lost \(.lost) broker CPU \(.broker_cpu_pct)%"' >&2
    done
  done
}

idle_runs() {
  OUT=$OUT_DIR/mqtt-idle-$IDLE_N.jsonl
  for rep in $(seq "$FIRST_REP" "$REPS"); do
    for broker in rabbitmq mosquitto warren; do
      case " $BROKERS " in *" $broker "*) ;; *) continue ;; esac
      if [ $broker = warren ]; then stop "$WARREN_PID"; start_warren; sleep 2; fi
      if [ $broker = mosquitto ]; then stop "$MOSQ_PID"; start_mosquitto; sleep 1; fi
      read -r uri pid <<<"$(mqtt_endpoint $broker)"
      log "idle $IDLE_N rep $rep: $broker"
      timeout 300 node bench/mqtt-idle.mjs --uri "$uri" --broker-pid "$pid" --count "$IDLE_N" --hold 8 \
        --settle 5 --label "$broker" | tag "$broker" "$rep" >/dev/null || log "run failed"
      tail -1 "$OUT" | jq -r '"  open \(.open_after_hold)/\(.count) RSS \(.rss_before_mb) -> \(.rss_after_mb) MB: \(.per_connection_kb) KB per connection"' >&2
    done
  done
}

log "Warren $(git rev-parse --short HEAD), RabbitMQ pid $RABBIT_PID, results in $OUT_DIR"
start_warren
start_mosquitto
for s in $SCENARIOS; do
  case $s in
    qos0) mqtt_runs 0 ;;
    qos1) mqtt_runs 1 ;;
    stomp) stomp_runs ;;
    idle) idle_runs ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
done
