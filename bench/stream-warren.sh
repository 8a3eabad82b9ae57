#!/bin/sh
# Starts this worktree's Warren build with a fresh data directory for the Stream-protocol benchmarks:
# AMQP, HTTP, Prometheus and MQTT on ports that do not clash, the Stream protocol on $1 (default 5562).
# Prints the broker's pid; stop it with kill <pid>.
set -e
PORT=${1:-5562}
DIR=$(mktemp -d /tmp/warren-stream-bench.XXXXXX)
HERE=$(dirname "$0")
. "$HERE/node-flags.sh"
# shellcheck disable=SC2046
node $(warren_node_flags "$HERE/..") "$HERE/../dist/src/bin/warren.js" server --data-dir "$DIR" --stream-port "$PORT" \
  --amqp-port 5682 --http-port 15682 --prometheus-port 15702 --mqtt-port 0 --log-level warn \
  >"$DIR/broker.log" 2>&1 &
echo $!
for i in $(seq 1 50); do
  if ss -ltn | grep -q ":$PORT "; then exit 0; fi
  sleep 0.2
done
echo "Warren did not listen on $PORT; see $DIR/broker.log" >&2
exit 1
