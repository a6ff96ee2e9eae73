#!/usr/bin/env bash
# The local S3 server (@20minutes/s3rver, pinned in scripts/s3rver/) on a
# free 127.0.0.1 port.
#   scripts/s3rver.sh start STATE_DIR [BUCKET...]   prints the port
#   scripts/s3rver.sh stop STATE_DIR
# Objects live in STATE_DIR/data; the pid and port in STATE_DIR/{pid,port}.
# Exit code 77 when Node.js or the npm package is unavailable (tests skip).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}; state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: $0 start|stop STATE_DIR [BUCKET...]" >&2; exit 2; }
shift 2

case "$cmd" in
start)
  command -v node >/dev/null 2>&1 || { echo "s3rver: node not installed (run scripts/setup.sh)" >&2; exit 77; }
  if [ ! -d "$here/s3rver/node_modules/@20minutes/s3rver" ]; then
    command -v npm >/dev/null 2>&1 || { echo "s3rver: npm not installed (run scripts/setup.sh)" >&2; exit 77; }
    (cd "$here/s3rver" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
      { echo "s3rver: 'npm ci' failed in scripts/s3rver (no registry?)" >&2; exit 77; }
  fi
  [ $# -gt 0 ] || set -- twinslot
  mkdir -p "$state/data"
  rm -f "$state/port" "$state/out"
  node "$here/s3rver/start.js" "$state/data" "$@" >"$state/out" 2>&1 &
  echo $! >"$state/pid"
  for _ in $(seq 1 100); do            # up to 10 s
    if grep -q '^PORT ' "$state/out" 2>/dev/null; then
      awk '/^PORT /{print $2; exit}' "$state/out" | tee "$state/port"
      exit 0
    fi
    kill -0 "$(cat "$state/pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "s3rver: did not start:" >&2; cat "$state/out" >&2
  kill "$(cat "$state/pid")" 2>/dev/null || true
  exit 1 ;;
stop)
  if [ -f "$state/pid" ]; then
    pid=$(cat "$state/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$state/pid" "$state/port"
  fi ;;
*) echo "usage: $0 start|stop STATE_DIR [BUCKET...]" >&2; exit 2 ;;
esac
