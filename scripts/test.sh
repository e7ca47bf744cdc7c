#!/usr/bin/env bash
# Runs every test: unit, integration (real Prometheus, fakes of Grafana and
# Ollama) and end to end against a real Docker engine, which the test fixture
# starts itself (a private dockerd, docs/CONTRIBUTING.md) unless STACKD_TEST_DOCKER_HOST
# names one. Installs what it needs first (Debian 12; needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${STACKD_SKIP_SETUP:-0}" != 1 ]; then scripts/setup.sh; fi
scripts/build.sh
cd build
# The engine fixture is shared, so tests run one at a time.
ctest --output-on-failure --timeout 900 "$@"
