# Shared by compare.sh and profile.sh (sourced): the Go toolchain, the harness copy, the Warren snapshot.
# Expects WORK (work dir), PROJECT (the Warren checkout), SHARED (the read-only harness), WARREN_FROM
# (head or worktree) and WARREN_REV (the commit for head, default HEAD).

# shellcheck source=node-flags.sh
. "$(dirname "${BASH_SOURCE[0]}")/node-flags.sh"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

find_go() { command -v go || ls -d /usr/lib/go-*/bin/go 2>/dev/null | sort -V | tail -1; }

# Puts Go on PATH with its caches in the work dir; fails when there is no toolchain.
use_go() {
  GO=$(find_go)
  [ -n "$GO" ] || { echo "no Go toolchain (apt-get install golang-go)" >&2; exit 1; }
  export PATH=$(dirname "$GO"):$PATH GOCACHE=$WORK/gocache GOPATH=$WORK/gopath GOFLAGS=-mod=mod GO111MODULE=on
}

# The harness is read-only where it lives: copy it to $WORK/harness and build amqpbench there (its
# compare.sh rebuilds in place, so the copy must be writable).
copy_harness() {
  H=$WORK/harness
  rm -rf "$H"
  cp -r "$SHARED" "$H"
  chmod -R u+w "$H"
  rm -rf "$H/results" "$H/bin"
  # Its warren.sh starts the broker as `node <bin>`: with Node's flags as Warren's launcher passes them.
  sed -i 's|exec nohup node "\$bin"|exec nohup node $WARREN_NODE_FLAGS "$bin"|' "$H/brokers/warren.sh"
  log "building amqpbench with $("$GO" version)"
  (cd "$H/amqpbench" && go build -trimpath -o ../bin/amqpbench .)
}

# build_warren [DIR]: builds the Warren under test into DIR (default $WORK/warren) and points
# WARREN_PROJECT there: commit WARREN_REV (git archive), or with WARREN_FROM=worktree the working tree as
# it is. A copy, so that edits and builds in the checkout while a run is on cannot change the broker.
build_warren() {
  local snap=${1:-$WORK/warren}
  rm -rf "$snap"
  mkdir -p "$snap"
  if [ "$WARREN_FROM" = head ]; then
    WARREN_REV=$(git -C "$PROJECT" rev-parse --short "${WARREN_REV:-HEAD}")
    log "building Warren $WARREN_REV in $snap"
    git -C "$PROJECT" archive --format=tar "$WARREN_REV" | tar -x -C "$snap"
    ln -s "$PROJECT/node_modules" "$snap/node_modules"
    (cd "$snap" && node_modules/.bin/tsc -p tsconfig.json >"$snap.build.log" 2>&1) ||
      { echo "Warren build failed, see $snap.build.log" >&2; exit 1; }
  else
    log "building Warren from the working tree of $PROJECT"
    (cd "$PROJECT" && npm run build >"$snap.build.log" 2>&1) ||
      log "npm run build failed (see $snap.build.log); using dist/ as it is"
    cp -r "$PROJECT/package.json" "$PROJECT/dist" "$snap/"
    ln -s "$PROJECT/node_modules" "$snap/node_modules"
  fi
  [ -f "$snap/dist/src/bin/warren.js" ] || { echo "no $snap/dist/src/bin/warren.js" >&2; exit 1; }
  export WARREN_PROJECT=$snap
  WARREN_NODE_FLAGS=$(warren_node_flags "$snap")
  export WARREN_NODE_FLAGS
}

warren_version() {
  if [ "$WARREN_FROM" = head ]; then git -C "$PROJECT" log -1 --format='%h %cI %s' "$WARREN_REV" | cut -c1-120
  else echo "working tree of $(git -C "$PROJECT" rev-parse --short HEAD) with uncommitted changes"; fi
}

port_busy() { [ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]; }
