# stackd as a daemon container: mount the Docker socket and the manifest.
#   docker build -t stackd:0.1.0 .
#   docker run -d --name stackd --network host \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v $PWD/manifests:/manifests:ro -v stackd-state:/var/lib/stackd \
#     stackd:0.1.0 run -f /manifests/stack.yaml
# Host networking lets stackd reach the stack's loopback ports (Prometheus
# reload, Grafana API) and lets Prometheus scrape stackd's /metrics.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      g++ cmake make libboost1.81-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev \
      libcli11-dev libarchive-dev libssl-dev libgtest-dev ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release && cmake --build /build -j"$(nproc)" --target stackd \
    && strip /build/stackd

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libyaml-cpp0.7 libspdlog1.10 libfmt9 libarchive13 libssl3 ca-certificates \
      git openssh-client \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/stackd /usr/bin/stackd
# The Ollama exporter component runs from this same image.
ENV STACKD_IMAGE=stackd:0.1.0 STACKD_STATE_DIR=/var/lib/stackd
VOLUME /var/lib/stackd
ENTRYPOINT ["/usr/bin/stackd"]
CMD ["run", "-f", "/manifests/stack.yaml"]
