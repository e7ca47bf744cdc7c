#!/usr/bin/env bash
# Packages a built stackd binary into an image with `docker import` (no base
# image or registry needed): the binary, the shared libraries ldd lists, CA
# certificates. The project's Dockerfile is the way to build it where a
# registry is reachable; this is for offline machines and tests.
#   scripts/build-stackd-image.sh build/stackd stackd:0.1.0
set -euo pipefail
: "${DOCKER_HOST:?set DOCKER_HOST}"
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
