#!/usr/bin/env bash
# The main job on this machine: build stackd and converge the default stack
# (manifests/stack.yaml) on the local Docker engine with `stackd apply`.
#
# With a Docker engine and registry access, the default images are pulled.
# Without a Docker engine (a fresh CI-like machine), a private dockerd is
# started and the stack runs offline: host networking, and images made with
# `docker import` from Debian's Prometheus and node-exporter binaries, the
# fake Grafana of tests/fakes (Grafana cannot be installed here), and stackd
# itself for the Ollama exporter. Stop it with: scripts/demo.sh down
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
if ! command -v cmake >/dev/null || ! dpkg -s libboost1.81-dev >/dev/null 2>&1; then scripts/setup.sh; fi
[ -x build/stackd ] || scripts/build.sh

engine_dir="$here/build/demo-engine"
if [ -z "${DOCKER_HOST:-}" ] && ! curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; then
  line=$(scripts/test-engine.sh start "$engine_dir")
  export "${line?}"
  offline=1
fi
if [ "${1:-}" = down ]; then
  build/stackd down -f manifests/stack.yaml
  [ -n "${offline:-}" ] && scripts/test-engine.sh stop "$engine_dir"
  exit 0
fi
if [ -n "${offline:-}" ]; then
  echo "no Docker engine here: started a private one ($DOCKER_HOST), running the stack offline"
  scripts/build-test-images.sh >/dev/null
  cmake --build build --target stackd-fake-grafana >/dev/null 2>&1 || true
  tests/fakes/grafana/build-image.sh build/stackd-fake-grafana >/dev/null
  scripts/build-stackd-image.sh build/stackd "stackd:$(build/stackd version | awk '{print $2}')" >/dev/null
  export STACKD_NETWORK=host \
    PROMETHEUS_IMAGE=stackd-test/prometheus:2.42 \
    NODE_EXPORTER_IMAGE=stackd-test/node-exporter:1.5 \
    GRAFANA_IMAGE=stackd-test/grafana:fake \
    OLLAMA_URL=http://127.0.0.1:11434
fi
export STACKD_STATE_DIR="${STACKD_STATE_DIR:-$here/build/demo-state}"
build/stackd apply -f manifests/stack.yaml
echo "Prometheus: http://127.0.0.1:9090  Grafana: http://127.0.0.1:3000 (admin password: $STACKD_STATE_DIR/frontier-llm/grafana-admin-password)"
