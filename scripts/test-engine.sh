#!/usr/bin/env bash
# Starts or stops a private Docker engine for tests (docs/CONTRIBUTING.md): its own
# data root and socket, no bridge, no iptables, so it never touches the host's
# networks. Usage:
#   scripts/test-engine.sh start DIR   # prints DOCKER_HOST=unix://DIR/d.sock
#   scripts/test-engine.sh stop DIR    # stops it by pid
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# exec-root holds unix sockets: keep its path short (108-byte limit).
exec_root="/tmp/sd-x-$(echo "$dir" | md5sum | cut -c1-8)"
case "$cmd" in
start)
  if [ -f "$dir/dockerd.pid" ] && kill -0 "$(cat "$dir/dockerd.pid")" 2>/dev/null; then
    echo "DOCKER_HOST=unix://$dir/d.sock"; exit 0
  fi
  mkdir -p "$dir/data" "$exec_root"
  dockerd --data-root "$dir/data" --exec-root "$exec_root" -H "unix://$dir/d.sock" \
    --pidfile "$dir/dockerd.pid" --bridge=none --iptables=false --ip6tables=false \
    >"$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 100); do
    if curl -sf --unix-socket "$dir/d.sock" http://localhost/_ping >/dev/null 2>&1; then
      echo "DOCKER_HOST=unix://$dir/d.sock"; exit 0
    fi
    sleep 0.2
  done
  echo "dockerd did not come up; log:" >&2; tail -20 "$dir/dockerd.log" >&2; exit 1
  ;;
stop)
  if [ -f "$dir/dockerd.pid" ]; then
    pid=$(cat "$dir/dockerd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/dockerd.pid"
  fi
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
