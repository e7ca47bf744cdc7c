#!/usr/bin/env bash
# The main job: run stackd the way users deploy it — the image built from the
# project's Dockerfile, as a daemon container on the local Docker engine with
# the socket mounted — converging the default stack baked into the image
# (manifests/). The stack's own Prometheus scrapes stackd's /metrics, and the
# script returns once every scrape target is up.
#   scripts/demo.sh        # start (idempotent)
#   scripts/demo.sh down   # remove the daemon, the stack and its volumes
#
# Without a Docker engine (a fresh CI-like machine), a private dockerd is
# started and the stack runs offline: host networking, the Debian base images
# made locally (scripts/build-base-images.sh), component images made with
# `docker import` from Debian's Prometheus and node-exporter, and the fake
# Grafana of tests/fakes (Grafana cannot be installed here).
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
container=stackd-demo
state_volume=stackd-demo-state
if ! command -v docker >/dev/null || ! command -v mmdebstrap >/dev/null || ! dpkg -s libboost1.81-dev >/dev/null 2>&1; then
  scripts/setup.sh
fi
version=$(sed -n 's/^project(stackd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
image=stackd:$version

engine_dir="$here/build/demo-engine"
if [ -z "${DOCKER_HOST:-}" ] && ! curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; then
  line=$(scripts/test-engine.sh start "$engine_dir")
  export "${line?}"
  offline=1
fi
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
socket=${DOCKER_HOST#unix://}

# The stack runs on the host's network so that stackd (on the host network
# too) and the stack's Prometheus reach each other on 127.0.0.1.
env_args=(-e STACKD_NETWORK=host)
if [ -n "${offline:-}" ]; then
  env_args+=(-e PROMETHEUS_IMAGE=stackd-test/prometheus:2.42 -e NODE_EXPORTER_IMAGE=stackd-test/node-exporter:1.5
             -e GRAFANA_IMAGE=stackd-test/grafana:fake -e OLLAMA_URL=http://127.0.0.1:11434)
fi

if [ "${1:-}" = down ]; then
  # The daemon first, so it does not repair what is being removed; then the
  # stack, by stackd itself from the same image.
  docker rm -f "$container" >/dev/null 2>&1 || true
  if docker image inspect "$image" >/dev/null 2>&1; then
    docker run --rm --network host --user 0 -v "$socket:/var/run/docker.sock" "${env_args[@]}" \
      "$image" down -f /etc/stackd/stack.yaml --volumes
  fi
  docker volume rm "$state_volume" >/dev/null 2>&1 || true
  if [ -n "${offline:-}" ]; then scripts/test-engine.sh stop "$engine_dir"; fi
  exit 0
fi

start=$(date +%s)
if [ -n "${offline:-}" ]; then
  echo "no Docker engine here: started a private one ($DOCKER_HOST), running the stack offline"
  scripts/build-test-images.sh >/dev/null
  scripts/build.sh stackd-fake-grafana >/dev/null
  tests/fakes/grafana/build-image.sh build/stackd-fake-grafana >/dev/null
fi
echo "building $image from the Dockerfile"
STACKD_BUILD_QUIET=1 scripts/build-stackd-image.sh "$image" >/dev/null

docker rm -f "$container" >/dev/null 2>&1 || true
docker run -d --name "$container" --restart unless-stopped --network host \
  --group-add "$(stat -c %g "$socket")" \
  -v "$socket:/var/run/docker.sock" -v "$state_volume:/var/lib/stackd" \
  "${env_args[@]}" "$image" >/dev/null
echo "started the stackd daemon container '$container' ($image), converging the default stack"

# Done when the daemon is healthy and Prometheus has every target up.
targets_up() {
  curl -sf http://127.0.0.1:9090/api/v1/targets | python3 -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
jobs = sorted(x["labels"]["job"] for x in t)
down = [x["labels"]["job"] for x in t if x["health"] != "up"]
print(" ".join(jobs)); sys.exit(1 if down or not t else 0)'
}
deadline=$(( $(date +%s) + 300 ))
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$container" 2>/dev/null)" = healthy ] && jobs=$(targets_up 2>/dev/null); do
  if [ "$(date +%s)" -gt "$deadline" ]; then
    echo "the stack did not converge in 5 minutes; stackd's log:" >&2
    docker logs --tail 40 "$container" >&2
    exit 1
  fi
  if [ "$(docker inspect -f '{{.State.Running}}' "$container")" != true ]; then
    echo "the stackd container stopped; its log:" >&2; docker logs --tail 40 "$container" >&2; exit 1
  fi
  sleep 2
done
echo "converged in $(( $(date +%s) - start ))s; every scrape target is up: $jobs"
echo "Prometheus: http://127.0.0.1:9090  Grafana: http://127.0.0.1:3000  stackd: http://127.0.0.1:9321/status"
echo "Grafana admin password: docker run --rm -v $state_volume:/s --entrypoint cat $image /s/frontier-llm/grafana-admin-password"
echo "stop with: scripts/demo.sh down"
