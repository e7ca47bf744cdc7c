#!/usr/bin/env bash
# Builds the offline images the tests use, with `docker import`, from Debian's
# binaries (no registry is reachable here; docs/CONTRIBUTING.md). Idempotent.
#   stackd-test/prometheus:{2.42,2.42b}  /bin/prometheus + /bin/promtool, and a
#                                        shell with mv, mkdir and cp, as upstream's
#                                        busybox-based image has
#   stackd-test/node-exporter:1.5        /bin/node_exporter
#   stackd-test/alertmanager:0.25        /bin/alertmanager + /bin/amtool, no
#                                        shell (a distroless image: stackd
#                                        must reload without one)
# The "b" tag is the same content under another tag, so tests can change the
# image of a component without needing a second Prometheus release.
set -euo pipefail
: "${DOCKER_HOST:?set DOCKER_HOST}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rootfs() {  # rootfs DIR BIN... : a minimal root with the binaries and what they need
  local root=$1; shift
  mkdir -p "$root"/{bin,etc,tmp,prometheus,data}
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0::/:/bin/false\nnobody:x:65534:65534::/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  for b in "$@"; do
    cp "$b" "$root/bin/"
    # Debian's binaries are dynamically linked (libc and the loader at least).
    for lib in $(ldd "$b" | grep -o '/[^ ]*' | sort -u); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
}

# Bump when the rootfs recipe changes, so stale images are rebuilt.
recipe=6
have() { [ "$(docker image inspect -f '{{index .Config.Labels "dev.stackd.test-recipe"}}' "$1" 2>/dev/null)" = "$recipe" ]; }

if ! have stackd-test/prometheus:2.42 || ! have stackd-test/prometheus:2.42b; then
  rootfs "$work/prom" /usr/bin/prometheus /usr/bin/promtool /usr/bin/dash /usr/bin/mv /usr/bin/mkdir /usr/bin/cp
  mv "$work/prom/bin/dash" "$work/prom/bin/sh"
  mkdir -p "$work/prom/etc/prometheus"
  cp /etc/prometheus/prometheus.yml "$work/prom/etc/prometheus/"
  tar -C "$work/prom" -c . | docker import -c "LABEL dev.stackd.test-recipe=$recipe" \
    -c 'ENTRYPOINT ["/bin/prometheus"]' \
    -c 'CMD ["--config.file=/etc/prometheus/prometheus.yml","--storage.tsdb.path=/prometheus"]' \
    -c 'WORKDIR /prometheus' - stackd-test/prometheus:2.42 >/dev/null
  docker tag stackd-test/prometheus:2.42 stackd-test/prometheus:2.42b
fi
if ! have stackd-test/node-exporter:1.5; then
  rootfs "$work/ne" /usr/bin/prometheus-node-exporter
  mv "$work/ne/bin/prometheus-node-exporter" "$work/ne/bin/node_exporter"
  tar -C "$work/ne" -c . | docker import -c "LABEL dev.stackd.test-recipe=$recipe" -c 'ENTRYPOINT ["/bin/node_exporter"]' - stackd-test/node-exporter:1.5 >/dev/null
fi
if ! have stackd-test/alertmanager:0.25; then
  rootfs "$work/am" /usr/bin/prometheus-alertmanager /usr/bin/amtool
  mkdir -p "$work/am/alertmanager" "$work/am/usr/share/prometheus"
  # Debian's build reads its notification templates from here, not from the binary.
  cp -r /usr/share/prometheus/alertmanager "$work/am/usr/share/prometheus/"
  mv "$work/am/bin/prometheus-alertmanager" "$work/am/bin/alertmanager"
  tar -C "$work/am" -c . | docker import -c "LABEL dev.stackd.test-recipe=$recipe" -c 'ENTRYPOINT ["/bin/alertmanager"]' -c 'WORKDIR /alertmanager' - stackd-test/alertmanager:0.25 >/dev/null
fi
docker images --format '{{.Repository}}:{{.Tag}}' | grep '^stackd-test/' | sort
