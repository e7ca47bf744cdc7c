#!/usr/bin/env bash
# Builds stackd-test/prometheus-libc:2.42 for the Prometheus integration tests
# and benchmark: Debian's /usr/bin/prometheus and /usr/bin/promtool (2.42) with
# the shared libraries they need (ldd), as /bin/prometheus and /bin/promtool,
# imported with `docker import` (no registry here; design.md §6).
#
# Why not only scripts/build-test-images.sh: at the time of writing its images
# hold the binaries without libc/ld-linux, so they cannot exec
# ("exec /bin/prometheus: no such file or directory"). The harness prefers the
# project image when it runs and falls back to this one. Idempotent.
set -euo pipefail
: "${DOCKER_HOST:?set DOCKER_HOST}"
tag=stackd-test/prometheus-libc:2.42
if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,etc/prometheus,tmp,prometheus}
chmod 1777 "$root/tmp"
printf 'root:x:0:0::/:/bin/false\nnobody:x:65534:65534::/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
for b in /usr/bin/prometheus /usr/bin/promtool; do
  cp "$b" "$root/bin/"
  for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
done
cp /etc/prometheus/prometheus.yml "$root/etc/prometheus/"
tar -C "$root" -c . | docker import \
  -c 'ENTRYPOINT ["/bin/prometheus"]' \
  -c 'CMD ["--config.file=/etc/prometheus/prometheus.yml","--storage.tsdb.path=/prometheus"]' \
  -c 'WORKDIR /prometheus' - "$tag" >/dev/null
echo "$tag"
