#!/usr/bin/env bash
# Every unit and integration test again under AddressSanitizer and
# UndefinedBehaviorSanitizer, in a separate build directory. Only the test
# executables and the programs they start are built here, not the stackd
# binary: what needs it (the broken-manifest corpus through the CLI, the e2e
# suites) runs in the normal build. scripts/fuzz.sh covers the rest under the
# same sanitizers first: the committed fuzz corpora, and the broken-manifest
# corpus (tests/manifests/invalid) as the manifest loader's seeds.
# -O0 -g1: a sanitized unit compiles in about 60 % of the time it takes at
# -O1 (which is what makes the whole suite fit CI's time budget on 2 cores),
# the sanitizers find as much or more unoptimised, and line tables are enough
# for their reports. Shared libraries: each of the 25 sanitized test programs
# would otherwise hold its own copy of every library (4 GB in all, against
# 1.6 GB), and CI machines can be short of disk. Called from .ci/run. Integration tests that start
# services use fixed ports and the e2e lock.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${STACKD_SANITIZE_BUILD:-build-sanitize}
export CCACHE_DIR=${CCACHE_DIR:-/work/.ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_SLOPPINESS=time_macros
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
start=$(date +%s)
generator=()
[ -f "$build/CMakeCache.txt" ] || ! command -v ninja >/dev/null || generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DSTACKD_SANITIZE=ON -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" "${launcher[@]}" >/dev/null
# Every unit test target (unit_tests: each stackd_unit_test), the
# integration tests' executables, and the programs those tests start.
targets="unit_tests daemon_integration_test prometheus_reload_integration_test grafana_sync_test
         git_transports_test stackd-ollama-exporter fake-ollama"
nice cmake --build "$build" -j"${JOBS:-$(nproc)}" --target $targets
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
[ -e /tmp/stackd-e2e.lock ] || touch /tmp/stackd-e2e.lock
# Every unit and integration test, except:
# - those of programs not built here (gtest's discovery registers an unbuilt
#   target as <target>_NOT_BUILT), the corpus and fuzz replays (see above) and
#   the docs' check of `stackd --help` (it needs the stackd binary) and the
#   in-image checker test (it needs the Docker engine the e2e step stopped);
# - the accept loop out of descriptors: with every descriptor taken, the
#   sanitizers' own check that memory is readable (it needs a pipe) fails and
#   reports a false "invalid vptr". It runs in the normal build.
flock /tmp/stackd-e2e.lock ctest --test-dir "$build" -L 'unit|integration' -LE e2e \
  -E '_NOT_BUILT|^manifests\.|^docs\.|^live_config_image_check_integration$|^fuzz\.|^HttpEndpointsUnderFdExhaustion\.' \
  --output-on-failure --timeout 900 "$@"
echo "sanitizer build and tests took $(( $(date +%s) - start )) s"
