#!/usr/bin/env bash
# Packages the fixture GPU exporter (fixture_exporter.cpp) with each
# exporter's fixture output into local images, with `docker import` as the
# other test images (no registry is reachable here):
#   stackd-test/dcgm-exporter:fixture        dcgm.metrics, dcgm-exporter's flags
#   stackd-test/nvidia-gpu-exporter:fixture  nvidia-smi.metrics, nvidia_gpu_exporter's flags
# stackd's rendered command is appended to the entrypoint, as it is to the
# real images' (dcgm-exporter's entrypoint script passes its arguments on).
#   DOCKER_HOST=unix:///path/d.sock tests/fakes/gpu_exporters/build-images.sh path/to/fixture-exporter
set -euo pipefail
: "${DOCKER_HOST:?set DOCKER_HOST to a test engine (scripts/test-engine.sh start DIR)}"
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?path to the fixture-exporter binary}
[ -x "$bin" ] || { echo "no fixture exporter at $bin; build the fixture-exporter target" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,fixture}
printf 'root:x:0:0::/:/bin/false\nnobody:x:65534:65534::/:/bin/false\n' >"$root/etc/passwd"
cp "$bin" "$root/bin/fixture-exporter"
cp "$here/dcgm.metrics" "$here/nvidia-smi.metrics" "$root/fixture/"
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
tar -C "$root" -c . | docker import \
  -c 'ENTRYPOINT ["/bin/fixture-exporter", "--fixture", "/fixture/dcgm.metrics", "--as", "dcgm"]' \
  -c 'EXPOSE 9400' - stackd-test/dcgm-exporter:fixture >/dev/null
tar -C "$root" -c . | docker import \
  -c 'ENTRYPOINT ["/bin/fixture-exporter", "--fixture", "/fixture/nvidia-smi.metrics", "--as", "nvidia-smi"]' \
  -c 'EXPOSE 9835' - stackd-test/nvidia-gpu-exporter:fixture >/dev/null
echo stackd-test/dcgm-exporter:fixture stackd-test/nvidia-gpu-exporter:fixture
