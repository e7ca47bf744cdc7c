#!/usr/bin/env bash
# The chart's API-only mode end to end against the Grafana fake, from the
# objects real helm renders (tests/chart/grafana_only_e2e.cjs).
#   scripts/test-chart-grafana-only.sh build/stackd build/stackd-fake-grafana
# Binds 127.0.0.1:19331 (stackd's endpoints); the fake takes any free port.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
stackd=$(realpath "${1:?stackd binary}") fake=$(realpath "${2:?stackd-fake-grafana binary}")
tools=$("$repo/scripts/chart-tools.sh")
NODE_PATH=$tools/node_modules exec node "$repo/tests/chart/grafana_only_e2e.cjs" \
  "$tools/helm-v4/helm" "$stackd" "$fake" "$repo" 19331
