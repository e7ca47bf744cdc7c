#!/usr/bin/env bash
# The unit and integration tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer (a separate build directory, Debug -O1, only the
# test targets those labels need). Called from .ci/run after the main tests.
# Integration tests that start services use fixed ports and the e2e lock.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${STACKD_SANITIZE_BUILD:-build-sanitize}
export CCACHE_DIR=${CCACHE_DIR:-/work/.ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_SLOPPINESS=time_macros
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
start=$(date +%s)
cmake -S . -B "$build" -DSTACKD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" "${launcher[@]}" >/dev/null
# Every executable a unit or integration test runs (no e2e suites, no benches).
targets=$(cd "$build" && cmake --build . --target help | sed -n 's/^\.\.\. \(.*_test\|replay_fuzz_.*\|stackd\|fake-ollama\|stackd-fake-grafana\)$/\1/p' |
          grep -v '_e2e_test$' | sort -u | tr '\n' ' ')
nice cmake --build "$build" -j2 --target $targets
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
lock=()
[ -e /tmp/stackd-e2e.lock ] || touch /tmp/stackd-e2e.lock
lock=(flock /tmp/stackd-e2e.lock)
"${lock[@]}" ctest --test-dir "$build" -L 'unit|integration' -LE e2e --output-on-failure --timeout 900 "$@"
echo "sanitizer build and tests took $(( $(date +%s) - start )) s"
