#!/usr/bin/env bash
# Core benchmark: cold converge, no-op apply and apply --wait of
# prometheus + node-exporter (host networking), side by side in one run with
# docker-compose 1.29.2 and the raw API floor, on a private engine and the
# offline test images; then diff against no-op apply of the default stack
# (manifests/, with its dashboards, the Grafana fake). Prints medians,
# ratios and MET/MISSED per target.
#   bench/core/run.sh [build/stackd] [--trials 7]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/stackd}; shift || true
dir=$(mktemp -d /tmp/sdk-core-XXXX)
line=$("$root/scripts/test-engine.sh" start "$dir"); export "${line?}"
trap '"$root/scripts/test-engine.sh" stop "$dir"; rm -rf "$dir"' EXIT
"$root/scripts/build-test-images.sh" >/dev/null
# The default stack's Grafana is the fake (Grafana cannot be installed here).
"$root/tests/fakes/grafana/build-image.sh" "$(dirname "$bin")/stackd-fake-grafana" >/dev/null
python3 "$root/bench/core/core_bench.py" "$bin" "$dir" "$@"
