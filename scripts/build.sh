#!/usr/bin/env bash
# Configures and builds; the binary lands at build/stackd.
#   scripts/build.sh            everything (the tests too: scripts/test.sh)
#   scripts/build.sh TARGET...  only these targets (scripts/demo.sh: the fake Grafana)
# RelWithDebInfo by default, with line tables only (-g1): enough for
# backtraces and sanitizer reports, and a third cheaper to compile than -g.
# Ninja where it is installed (scripts/setup.sh installs it): it compiles
# the files of a library while the libraries it depends on still build,
# which make's per-target order does not; an existing build directory keeps
# the generator it was configured with.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
if [ ! -f build/CMakeCache.txt ] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"${JOBS:-$(nproc)}" "${targets[@]}"
if [ -x build/stackd ]; then echo "built build/stackd ($(build/stackd version))"; fi
