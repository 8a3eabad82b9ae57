#!/usr/bin/env bash
# Warren beside RabbitMQ 3.10 and garagemq, measured by the neutral Go load generator (amqpbench), in one
# command:
#
#   bash bench/compare.sh [--reps N] [--reps-backlog N] [--scenarios "S1 S2 S3 S4 S5 S6 S9 S7S8"]
#                         [--duration 10s] [--backlog N] [--conns N] [--brokers "warren rabbitmq garagemq"]
#                         [--out DIR] [--no-install] [--warren-rev REV | --warren-worktree]
#
# 1. installs what is missing (Debian, as root): rabbitmq-server, a Go toolchain, garagemq if apt has it;
# 2. copies the harness (read-only in $AMQPBENCH_DIR) to a work dir and builds amqpbench there;
# 3. builds Warren from a commit (default HEAD; git archive) in the work dir, so that edits and builds in
#    the checkout during the run cannot change the broker under test (--warren-worktree: the working tree
#    as it is, copied likewise), and starts the brokers on private ports with private, fresh state dirs;
# 4. runs the harness's compare.sh, which alternates the brokers scenario by scenario, run by run
#    (--reps-backlog: repetitions of S7S8, 1M persistent messages and restarts, minutes per run);
# 5. writes table.md (medians and min-max), throughput.svg and latency.svg, and stops its brokers.
# Everything listens on 127.0.0.1; every measurement has the harness's own timeout.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/.." && pwd)
SHARED=${AMQPBENCH_DIR:-/work/shared/bench}
WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/warren-bench}
REPS=1
REPS_BACKLOG=""
SCENARIOS="S1 S2 S3 S4 S5 S6 S9 S7S8"
BROKERS="warren rabbitmq garagemq"
OUT=""
INSTALL=1
WARREN_FROM=head
WARREN_REV=HEAD
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --reps-backlog) REPS_BACKLOG=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --brokers) BROKERS=$2; shift 2 ;;
    --duration|--backlog|--conns) EXTRA+=("$1" "$2"); shift 2 ;;
    --fresh-store) EXTRA+=("$1"); shift ;;
    --out) OUT=$2; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --warren-rev) WARREN_REV=$2; shift 2 ;;
    --warren-worktree) WARREN_FROM=worktree; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib.sh
. "$HERE/lib.sh"
REPS_BACKLOG=${REPS_BACKLOG:-$REPS}
OUT=${OUT:-$WORK/results-$(date -u +%Y%m%dT%H%M%SZ)}
[ -n "$(ls -A "$OUT/raw" 2>/dev/null)" ] && { echo "$OUT/raw already holds results; pick another --out" >&2; exit 1; }
mkdir -p "$WORK" "$OUT"
OUT=$(cd "$OUT" && pwd)

# Private ports and state, away from the harness defaults that other sessions may be using.
export BENCH_STATE=$WORK/state
export WARREN_PORT=${WARREN_PORT:-5778} WARREN_HTTP_PORT=${WARREN_HTTP_PORT:-15778}
export RMQ_PORT=${RMQ_PORT:-5773} RMQ_DIST_PORT=${RMQ_DIST_PORT:-25773} RMQ_MGMT_PORT=${RMQ_MGMT_PORT:-15773}
export RMQ_EPMD_PORT=${RMQ_EPMD_PORT:-4473} RMQ_NODENAME=${RMQ_NODENAME:-warrenbench@localhost}
export GMQ_PORT=${GMQ_PORT:-5775} GMQ_ADMIN_PORT=${GMQ_ADMIN_PORT:-15775}

apt_has() { apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'; }

install_missing() {
  local pkgs=()
  PATH=$PATH:/usr/sbin command -v rabbitmq-server >/dev/null || pkgs+=(rabbitmq-server)
  [ -n "$(find_go)" ] || pkgs+=(golang-go)
  if [[ " $BROKERS " == *" garagemq "* ]] && ! command -v garagemq >/dev/null && apt_has garagemq; then
    pkgs+=(garagemq)
  fi
  [ ${#pkgs[@]} -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then log "missing: ${pkgs[*]} (install them as root)"; return 1; fi
  log "installing ${pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" >"$WORK/apt.log" 2>&1 ||
    { apt-get update >>"$WORK/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" >>"$WORK/apt.log" 2>&1; }
}

[ "$INSTALL" = 1 ] && install_missing
use_go
copy_harness

# Which brokers can run here.
PAIRS=()
for b in $BROKERS; do
  case "$b" in
    warren)
      build_warren
      PAIRS+=("warren=amqp://guest:guest@127.0.0.1:$WARREN_PORT/") ;;
    rabbitmq) PAIRS+=("rabbitmq=amqp://guest:guest@127.0.0.1:$RMQ_PORT/") ;;
    garagemq)
      if command -v garagemq >/dev/null; then PAIRS+=("garagemq=amqp://guest:guest@127.0.0.1:$GMQ_PORT/")
      else log "garagemq not installed: skipped"; fi ;;
    *) echo "unknown broker $b (warren, rabbitmq, garagemq)" >&2; exit 2 ;;
  esac
done

for p in "$WARREN_PORT" "$WARREN_HTTP_PORT" "$RMQ_PORT" "$RMQ_DIST_PORT" "$RMQ_MGMT_PORT" "$RMQ_EPMD_PORT" "$GMQ_PORT" "$GMQ_ADMIN_PORT"; do
  port_busy "$p" && { echo "port $p is in use; set the *_PORT variables (see the top of $0)" >&2; exit 1; }
done
# Fresh state for every comparison: garagemq's store, for one, keeps growing with history.
rm -rf "$BENCH_STATE"

stop_all() {
  log "stopping brokers"
  for p in "${PAIRS[@]}"; do "$H/brokers/${p%%=*}.sh" stop >/dev/null 2>&1 || true; done
  "$H/brokers/rabbitmq.sh" epmd-stop >/dev/null 2>&1 || true
}
trap stop_all EXIT

for p in "${PAIRS[@]}"; do
  log "starting ${p%%=*}"
  "$H/brokers/${p%%=*}.sh" start >/dev/null
done

record_env() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(uname -srm), $(nproc) vCPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "node: $(node --version)"
  echo "go: $("$GO" version)"
  echo "warren: $(warren_version)"
  echo "rabbitmq-server: $(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null)"
  echo "erlang-base: $(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null)"
  echo "garagemq: $(dpkg-query -W -f '${Version}' garagemq 2>/dev/null || echo none)"
  echo "scenarios: $SCENARIOS; reps: $REPS (S7S8: $REPS_BACKLOG); extra: ${EXTRA[*]:-none}"
}
record_env > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

# harness <reps> <scenarios>: the harness's runner; its raw lines accumulate in $OUT/raw.
harness() {
  log "running: compare.sh --reps $1 --scenarios \"$2\" ${EXTRA[*]:-} ${PAIRS[*]}"
  (cd "$H" && BENCH_RESULTS=$OUT ./compare.sh --reps "$1" --scenarios "$2" "${EXTRA[@]}" "${PAIRS[@]}")
}
MAIN=$(echo " $SCENARIOS " | sed 's/ S7S8 / /g' | xargs)
[ -n "$MAIN" ] && harness "$REPS" "$MAIN"
[[ " $SCENARIOS " == *" S7S8 "* ]] && harness "$REPS_BACKLOG" S7S8

node "$HERE/report.mjs" --results "$OUT" --amqpbench "$H/bin/amqpbench"
log "results in $OUT (table.md, throughput.svg, latency.svg, env.txt, raw/)"
