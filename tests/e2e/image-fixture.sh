#!/usr/bin/env bash
# ctest fixture for the image suite: builds the project's Dockerfile on the
# test engine, as users build it (scripts/build-stackd-image.sh), and says
# how long it took. The base images' rootfs is cached between runs outside
# the repository, so only the first run on a machine pays for mmdebstrap.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
export DOCKER_HOST=${STACKD_TEST_DOCKER_HOST:-${1:?docker host}}
tag=${2:?tag}
start=$(date +%s)
STACKD_BUILD_QUIET=1 "$here/scripts/build-stackd-image.sh" "$tag"
echo "built $tag from the Dockerfile in $(( $(date +%s) - start ))s"
