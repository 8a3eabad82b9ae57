# Sourced by the bench scripts that start Warren as `node <bin>`: Node's flags on the shebang line of the
# built launcher (src/bin/warren.ts), so that they run the broker as `warren server` and `npm start` do.
# warren_node_flags DIR: the flags of the build in DIR (a Warren checkout or snapshot).
warren_node_flags() {
  sed -n '1s|^#!/usr/bin/env -S node *||p' "$1/dist/src/bin/warren.js"
}
