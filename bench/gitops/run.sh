#!/usr/bin/env bash
# GitOps benchmark: push-to-converged latency of a one-rule commit (webhook,
# 1 s interval) next to the same change made by editing the file source, in
# the same run. Starts its own engine and git servers, stops them by pid.
# Uses host ports 29680, 29681, 29689 (the stack) and 29685-29687 (the git
# servers): run it under /tmp/stackd-e2e.lock on a shared machine.
#   bench/gitops/run.sh [build/stackd] [--trials 20]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/stackd}; shift || true
dir=$(mktemp -d /tmp/sdg-bench-XXXX)
# nginx's workers (nobody) read the htpasswd and reach fcgiwrap's socket in here.
chmod 755 "$dir"
servers="$dir/servers"
cleanup() {
  "$root/sources/git/testdata/git-servers.sh" stop "$servers" || true
  "$root/scripts/test-engine.sh" stop "$dir" || true
  rm -rf "$dir"
}
trap cleanup EXIT
line=$("$root/scripts/test-engine.sh" start "$dir"); export "${line?}"
"$root/scripts/build-test-images.sh" >/dev/null
"$root/sources/git/testdata/git-servers.sh" start "$servers" 29685 29686 29687
python3 "$root/bench/gitops/gitops_bench.py" "$bin" "$dir/d.sock" "$servers" "$@"
