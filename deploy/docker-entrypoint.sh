#!/bin/sh
# Entry point of the Warren container image.
#  - No arguments, or only options (`-` first): runs `warren server` with them.
#  - `server`, `ctl` or `perf` first: runs that `warren` command.
#  - Anything else runs as given (a shell, say).
# Secrets may come from files, as Docker and Kubernetes mount them: RABBITMQ_DEFAULT_USER_FILE,
# RABBITMQ_DEFAULT_PASS_FILE (and their WARREN_ twins) set the variable to the file's first line.
set -eu

from_file() {
  var="$1"
  eval "file=\${${var}_FILE:-}"
  [ -n "$file" ] || return 0
  eval "current=\${${var}:-}"
  if [ -n "$current" ]; then
    echo "warren: both $var and ${var}_FILE are set; set only one" >&2
    exit 64
  fi
  if [ ! -r "$file" ]; then
    echo "warren: ${var}_FILE names $file, which cannot be read" >&2
    exit 66
  fi
  value=$(head -n 1 "$file")
  export "$var=$value"
  unset "${var}_FILE"
}

for var in RABBITMQ_DEFAULT_USER RABBITMQ_DEFAULT_PASS WARREN_DEFAULT_USER WARREN_DEFAULT_PASS; do
  from_file "$var"
done

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- warren server "$@"
elif [ "$1" = server ] || [ "$1" = ctl ] || [ "$1" = perf ]; then
  set -- warren "$@"
fi
exec "$@"
