#!/usr/bin/env bash
# Copies the stack's alert rules and dashboards into the Helm chart, which
# cannot read files outside its own directory (helm package does not follow
# symlinks). manifests/ is the one source; the chart's files/ is generated.
#   scripts/sync-chart-files.sh          # refresh charts/stackd/files
#   scripts/sync-chart-files.sh --check  # exit 1 (and show the diff) when the copy is stale
set -euo pipefail
cd "$(dirname "$0")/.."
src=manifests
dst=charts/stackd/files
check=0
[ "${1:-}" = --check ] && check=1

staged=$(mktemp -d)
trap 'rm -rf "$staged"' EXIT
mkdir -p "$staged/prometheus" "$staged/dashboards"
# The rule files the stack ships (manifests/stack.yaml's rules).
for rules in alerts.yml gpu.yml; do cp "$src/prometheus/$rules" "$staged/prometheus/$rules"; done
cp "$src"/grafana/dashboards/*.json "$staged/dashboards/"

if [ "$check" = 1 ]; then
  if ! diff -r "$staged" "$dst"; then
    echo "charts/stackd/files differs from manifests/: run scripts/sync-chart-files.sh and commit" >&2
    exit 1
  fi
  exit 0
fi
rm -rf "$dst"
mkdir -p "$(dirname "$dst")"
cp -r "$staged" "$dst"
chmod -R u=rwX,go=rX "$dst"
