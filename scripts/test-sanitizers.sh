#!/usr/bin/env bash
# The tests of everything that parses outside input (manifest loader and
# validation, bounded JSON, HTTP, the Docker and Grafana clients' decoding,
# Grafana canonicalisation, the exporter and its integration tests, the
# invalid-manifest corpus) again under AddressSanitizer and
# UndefinedBehaviorSanitizer, in a separate build directory (Debug -O1). Not
# the whole suite: building every test target a second time would push CI
# past its time budget on 2 cores; the reconcilers', runtime's and Grafana
# reconciler's tests run only in the normal build. Not replayed here because
# scripts/fuzz.sh runs them under the same sanitizers first: the committed
# fuzz corpora, and the broken-manifest corpus (tests/manifests/invalid) as
# the manifest loader's seeds. -g1: line tables for the reports, at a
# fraction of -g's compile time. Called from .ci/run.
# Integration tests that start services use fixed ports and the e2e lock.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${STACKD_SANITIZE_BUILD:-build-sanitize}
export CCACHE_DIR=${CCACHE_DIR:-/work/.ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_SLOPPINESS=time_macros
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
start=$(date +%s)
cmake -S . -B "$build" -DSTACKD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" "${launcher[@]}" >/dev/null
# Only these executables; the tests of targets not built are left out below.
targets="manifest_test common_test http_test docker_test grafana_client_test prometheus_client_test
         exporter_test stackd-ollama-exporter fake-ollama"
nice cmake --build "$build" -j2 --target $targets
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
lock=()
[ -e /tmp/stackd-e2e.lock ] || touch /tmp/stackd-e2e.lock
lock=(flock /tmp/stackd-e2e.lock)
# Every unit or integration test whose executable was built (gtest's
# discovery registers an unbuilt target as <target>_NOT_BUILT).
"${lock[@]}" ctest --test-dir "$build" -L 'unit|integration' -LE e2e \
  -E '_NOT_BUILT|^daemon\.|prometheus_reload_integration|^manifests\.|^fuzz\.' --output-on-failure --timeout 900 "$@"
echo "sanitizer build and tests took $(( $(date +%s) - start )) s"
