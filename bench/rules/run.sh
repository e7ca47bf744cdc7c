#!/usr/bin/env bash
# Rule edit -> rule active in Prometheus under `stackd run`, against the floor
# of doing the same steps by hand (bench/rules/rule_edit_bench.py). Starts its
# own engine (scripts/test-engine.sh) and stops it by pid at the end; uses
# host ports 29670, 29671 and 29679 (run it under /tmp/stackd-e2e.lock on a
# shared machine). ~1 minute.
#   bench/rules/run.sh [build/stackd] [--trials 20]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/stackd}; shift || true
[[ -x $bin ]] || { echo "missing $bin (build the stackd target)" >&2; exit 2; }
dir=$(mktemp -d /tmp/sdk-rules-XXXX)
line=$("$root/scripts/test-engine.sh" start "$dir"); export "${line?}"
trap '"$root/scripts/test-engine.sh" stop "$dir"; rm -rf "$dir"' EXIT
"$root/scripts/build-test-images.sh" >/dev/null
python3 "$root/bench/rules/rule_edit_bench.py" "$bin" "$dir/d.sock" "$@"
