#!/usr/bin/env bash
# More SIGKILL trials than CI runs (tests/e2e/chaos_e2e_test.cpp): stackd
# apply killed at random points of a cold apply and of a recreate, then a
# normal apply must leave one container per component and the data volume.
#   bench/core/chaos.sh [build-dir] [trials per case, default 100]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
trials=${2:-100}
dir=$(mktemp -d /tmp/sdk-chaos-XXXX)
line=$("$root/scripts/test-engine.sh" start "$dir"); export "${line?}"
trap '"$root/scripts/test-engine.sh" stop "$dir"; rm -rf "$dir"' EXIT
DOCKER_HOST=${DOCKER_HOST} "$root/scripts/build-test-images.sh" >/dev/null
STACKD_TEST_DOCKER_HOST=$DOCKER_HOST STACKD_STATE_DIR=$dir/state STACKD_CHAOS_TRIALS=$trials \
  "$build/tests/e2e/chaos_e2e_test"
