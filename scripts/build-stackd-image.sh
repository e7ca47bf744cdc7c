#!/usr/bin/env bash
# Builds the stackd image.
#   scripts/build-stackd-image.sh stackd:0.1.0
#       from the project's Dockerfile, as users build it. Where the engine
#       has no debian:12 / debian:12-slim and cannot pull them, they are made
#       locally first (scripts/build-base-images.sh). --network host, so the
#       RUN steps reach Debian's archive on engines without a bridge.
#   scripts/build-stackd-image.sh build/stackd stackd-test/stackd:e2e
#       packages an already built binary with `docker import` (the binary,
#       the libraries ldd lists, CA certificates): seconds instead of minutes,
#       for tests that only need stackd's exporter in a container.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
: "${DOCKER_HOST:=unix:///var/run/docker.sock}"
export DOCKER_HOST

if [ $# -eq 1 ]; then
  tag=$1
  for base in debian:12 debian:12-slim; do
    docker image inspect "$base" >/dev/null 2>&1 || docker pull -q "$base" >/dev/null 2>&1 || {
      "$here/scripts/build-base-images.sh" >/dev/null
      break
    }
  done
  version=$(sed -n 's/^project(stackd VERSION \([0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
  revision=$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)
  source=$(git -C "$here" remote get-url origin 2>/dev/null || true)
  # BuildKit builds the two stages in parallel; the Docker CLI 23+ needs the
  # buildx plugin for it, older CLIs (Debian's 20.10) talk to the engine's own.
  buildkit=0
  if docker buildx version >/dev/null 2>&1; then buildkit=1
  elif [ "$(docker version -f '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)" -lt 23 ] 2>/dev/null; then buildkit=1
  fi
  DOCKER_BUILDKIT=$buildkit docker build --network host -t "$tag" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg SOURCE="$source" \
    ${STACKD_BUILD_QUIET:+-q} "$here" >&2
  echo "$tag"
  exit 0
fi

bin=${1:?binary} tag=${2:?tag}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/tmp" "$root/etc" "$root/var/lib/stackd"
chmod 1777 "$root/tmp"
strip -o "$root/usr/bin/stackd" "$bin"
for lib in $(ldd "$bin" | grep -o '/[^ ]*' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0::/:/bin/false\nnobody:x:65534:65534::/:/bin/false\n' >"$root/etc/passwd"
tar -C "$root" -c . | docker import -c 'ENTRYPOINT ["/usr/bin/stackd"]' -c "ENV STACKD_IMAGE=$tag" - "$tag" >/dev/null
echo "$tag"
