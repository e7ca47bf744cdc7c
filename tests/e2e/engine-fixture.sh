#!/usr/bin/env bash
# ctest fixture for the end-to-end tests: start or stop the private engine and
# build the offline images. With STACKD_TEST_DOCKER_HOST set, the tests use
# that engine and this script does nothing but build the images there.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cmd=$1 dir=$2
if [ -n "${STACKD_TEST_DOCKER_HOST:-}" ]; then
  [ "$cmd" = start ] && DOCKER_HOST=$STACKD_TEST_DOCKER_HOST "$here/scripts/build-test-images.sh"
  exit 0
fi
case "$cmd" in
start)
  line=$("$here/scripts/test-engine.sh" start "$dir")
  export "${line?}"
  "$here/scripts/build-test-images.sh"
  if [ -x "$here/tests/fakes/grafana/build-image.sh" ]; then "$here/tests/fakes/grafana/build-image.sh"; fi
  ;;
stop) "$here/scripts/test-engine.sh" stop "$dir" ;;
esac
