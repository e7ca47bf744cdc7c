#!/usr/bin/env bash
# Packages the Grafana fake into the image stackd-test/grafana:fake with
# `docker import` (no registry is reachable here), so end-to-end tests run
# "Grafana" as a real container that stackd manages like the real one:
# same GF_* environment, data in /var/lib/grafana, port 3000 by default.
#   DOCKER_HOST=unix:///path/d.sock tests/fakes/grafana/build-image.sh [path/to/stackd-fake-grafana]
# The binary defaults to build-grafana/stackd-fake-grafana. The rootfs holds the
# binary plus every shared library `ldd` lists (and the dynamic loader).
set -euo pipefail
: "${DOCKER_HOST:?set DOCKER_HOST to a test engine (scripts/test-engine.sh start DIR)}"
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../../build-grafana/stackd-fake-grafana}
[ -x "$bin" ] || { echo "no fake binary at $bin; build the stackd-fake-grafana target" >&2; exit 1; }
tag=${IMAGE_TAG:-stackd-test/grafana:fake}

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,var/lib/grafana,run/secrets}
chmod 1777 "$root/tmp"
printf 'root:x:0:0::/:/bin/false\ngrafana:x:472:0::/var/lib/grafana:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
cp "$bin" "$root/bin/grafana"
# Copy each library ldd resolves, at the same path (covers the loader too).
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
tar -C "$root" -c . | docker import \
  -c 'ENTRYPOINT ["/bin/grafana"]' \
  -c 'ENV GF_PATHS_DATA=/var/lib/grafana GF_SERVER_HTTP_PORT=3000 FAKE_GRAFANA_VERSION=11.3' \
  -c 'EXPOSE 3000' \
  -c 'WORKDIR /var/lib/grafana' - "$tag" >/dev/null
echo "$tag"
