#!/usr/bin/env bash
# Configures and builds stackd; the binary lands at build/stackd.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build build -j"${JOBS:-$(nproc)}"
echo "built build/stackd ($(build/stackd version))"
