#!/usr/bin/env bash
# Installs the real client libraries of exporter/tests/real_clients_test.cjs
# (npm's ollama and openai, pinned by package-lock.json beside this file) and
# prints the directory holding their node_modules. Installed with npm into a
# cache outside the repository (STACKD_TEST_CACHE, default
# ${XDG_CACHE_HOME:-~/.cache}/stackd-test), keyed by the lock file's hash, so
# the registry is asked once per lock file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${STACKD_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stackd-test}
mkdir -p "$cache"
exec 9>"$cache/.exporter-clients.lock"  # one installer at a time
flock 9
key=$(sha256sum "$here/package-lock.json" | cut -c1-16)
dir=$cache/exporter-clients-$key
if [ ! -f "$dir/node_modules/openai/package.json" ] || [ ! -f "$dir/node_modules/ollama/package.json" ]; then
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  cp "$here/package.json" "$here/package-lock.json" "$dir.tmp/"
  (cd "$dir.tmp" && npm ci --no-audit --no-fund --loglevel=error) >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir"
