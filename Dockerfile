# stackd as a daemon container (docs/container.md):
#   docker build -t stackd:0.1.0 .
#   docker run -d --name stackd --restart unless-stopped --network host \
#     --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /var/run/docker.sock:/var/run/docker.sock -v stackd-state:/var/lib/stackd \
#     stackd:0.1.0
# With no manifest mounted it runs the default stack baked in at /etc/stackd
# (the repository's manifests/); mount your own directory there to replace it:
#     -v "$PWD/my-stack:/etc/stackd:ro"
# Host networking lets stackd reach the stack's loopback ports (Prometheus
# reload, Grafana API) and lets Prometheus scrape stackd's /metrics.
# deploy/compose.yaml does the same with docker-compose.
#
# Offline engines (no Docker Hub): scripts/build-base-images.sh makes
# debian:12 and debian:12-slim locally; add --network host where the engine
# has no bridge.

# Build stage: the -dev packages; only the stackd binary is compiled.
FROM debian:12 AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build libboost1.81-dev libyaml-cpp-dev nlohmann-json3-dev libsimdjson-dev libspdlog-dev \
      libcli11-dev libarchive-dev libssl-dev libgtest-dev libdtl-dev libcmark-dev python3-minimal ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Configuring the whole tree declares the test targets too: python3 is
# installed for them, and promtool and amtool (only the Prometheus and
# Alertmanager tests run them) are named so configure does not look for
# them. Only the stackd target is built.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPROMTOOL=/bin/true -DAMTOOL=/bin/true >/dev/null \
    && cmake --build /build -j"$(nproc)" --target stackd \
    && strip /build/stackd

# Runtime: only the shared libraries stackd links, CA certificates, and git
# with ssh for the git manifest source.
FROM debian:12-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
# scripts/build-stackd-image.sh passes the checkout's git revision and remote.
ARG SOURCE=
LABEL org.opencontainers.image.title="stackd" \
      org.opencontainers.image.description="Keeps an Ollama monitoring stack converged to a manifest on one Docker host" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
      libyaml-cpp0.7 libcmark0.30.2 libsimdjson14 libspdlog1.10 libfmt9 libarchive13 libssl3 ca-certificates git openssh-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/stackd --shell /usr/sbin/nologin stackd \
    && install -d -o stackd -g stackd -m 0750 /var/lib/stackd
COPY --from=build /build/stackd /usr/bin/stackd
# The embedded default stack; a directory mounted at /etc/stackd replaces it.
COPY manifests/ /etc/stackd/
# STACKD_CONTAINER: stackd runs in its own image, where the host's paths are not its own.
ENV STACKD_STATE_DIR=/var/lib/stackd HOME=/var/lib/stackd STACKD_CONTAINER=1
VOLUME /var/lib/stackd
# stackd healthcheck asks http://127.0.0.1:9321/healthz; with another --listen,
# set STACKD_HEALTHCHECK_ADDRESS=http://ADDR:PORT too.
# Non-root: the Docker socket is reached through its group (--group-add).
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/bin/stackd", "healthcheck"]
EXPOSE 9321
ENTRYPOINT ["/usr/bin/stackd"]
# No --listen: the manifest's spec.stackd (default 127.0.0.1:9321) decides,
# since that is also where the stack's Prometheus scrapes stackd.
CMD ["run", "-f", "/etc/stackd/stack.yaml"]
