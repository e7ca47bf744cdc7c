#!/usr/bin/env bash
# Daemon benchmark: drift repair and edit latency, idle CPU/RSS.
# Starts its own engine, stops it by pid at the end. ~2 minutes.
#   bench/daemon/run.sh [build/stackd] [--trials 20] [--idle 60]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/stackd}; shift || true
dir=$(mktemp -d /tmp/sdk-bench-XXXX)
line=$("$root/scripts/test-engine.sh" start "$dir"); export "${line?}"
trap '"$root/scripts/test-engine.sh" stop "$dir"; rm -rf "$dir"' EXIT
"$root/scripts/build-test-images.sh" >/dev/null
python3 "$root/bench/daemon/daemon_bench.py" "$bin" "$dir/d.sock" "$@"
