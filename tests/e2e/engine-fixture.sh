#!/usr/bin/env bash
# ctest fixture for the end-to-end tests: start or stop the private engine and
# build the offline images. With STACKD_TEST_DOCKER_HOST set, the tests use
# that engine and this script does nothing but build the images there.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cmd=$1 dir=$2
stackd_bin=${3:-} fake_grafana=${4:-} fixture_exporter=${5:-}
images() {
  "$here/scripts/build-test-images.sh"
  # The stack's Grafana (the fake: Grafana cannot be installed here) and the
  # Ollama exporter, which runs from stackd's own image.
  [ -n "$fake_grafana" ] && "$here/tests/fakes/grafana/build-image.sh" "$fake_grafana" >/dev/null
  [ -n "$stackd_bin" ] && "$here/scripts/build-stackd-image.sh" "$stackd_bin" stackd-test/stackd:e2e >/dev/null
  # The GPU exporters' fixtures (no GPU here).
  [ -n "$fixture_exporter" ] && "$here/tests/fakes/gpu_exporters/build-images.sh" "$fixture_exporter" >/dev/null
  return 0
}
if [ -n "${STACKD_TEST_DOCKER_HOST:-}" ]; then
  if [ "$cmd" = start ]; then export DOCKER_HOST=$STACKD_TEST_DOCKER_HOST; images; fi
  exit 0
fi
case "$cmd" in
start)
  line=$("$here/scripts/test-engine.sh" start "$dir")
  export "${line?}"
  images
  ;;
stop) "$here/scripts/test-engine.sh" stop "$dir" ;;
esac
