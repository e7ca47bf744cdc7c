#!/usr/bin/env bash
# Configures and builds; the binary lands at build/stackd.
#   scripts/build.sh            everything (the tests too: scripts/test.sh)
#   scripts/build.sh TARGET...  only these targets (scripts/demo.sh: stackd)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"${JOBS:-$(nproc)}" "${targets[@]}"
echo "built build/stackd ($(build/stackd version))"
