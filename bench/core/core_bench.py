#!/usr/bin/env python3
"""Core converge benchmark, run by bench/core/run.sh (it starts the engine).

Every trial measures, on the same engine and images:
  stackd apply (cold), stackd apply (no-op), stackd apply --wait (cold),
  docker-compose up -d (cold), docker-compose up -d (no-op),
  the raw API floor: create+start of both containers in parallel by hand
  (curl --unix-socket), and one list call for the no-op floor.
The world is emptied between measurements. Medians are compared.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

PROM_PORT, NE_PORT, STACKD_PORT = 39190, 39200, 39321
STACK = "bench-core"


def sh(cmd, check=True, **kw):
    return subprocess.run(cmd, shell=True, check=check, capture_output=True, text=True, **kw)


def timed(cmd):
    t = time.monotonic()
    r = sh(cmd, check=False)
    dt = time.monotonic() - t
    if r.returncode != 0:
        sys.exit(f"failed: {cmd}\n{r.stdout}\n{r.stderr}")
    return dt


def empty_world():
    ids = sh("docker ps -aq").stdout.split()
    if ids:
        sh("docker rm -f " + " ".join(ids))
    sh("docker volume prune -af >/dev/null 2>&1 || docker volume prune -f", check=False)


def main():
    binary, work = sys.argv[1], sys.argv[2]
    trials = 7
    if "--trials" in sys.argv:
        trials = int(sys.argv[sys.argv.index("--trials") + 1])
    sock = os.environ["DOCKER_HOST"].removeprefix("unix://")
    state = os.path.join(work, "state")

    manifest = os.path.join(work, "stack.yaml")
    with open(manifest, "w") as f:
        f.write(f"""apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata:
  name: {STACK}
spec:
  network: host
  stackd:
    port: {STACKD_PORT}
  prometheus:
    image: stackd-test/prometheus:2.42
    port: {PROM_PORT}
  nodeExporter:
    image: stackd-test/node-exporter:1.5
    port: {NE_PORT}
""")
    # The compose equivalent: same images, args, data volume, host network.
    prom_yml = os.path.join(work, "prometheus.yml")
    with open(prom_yml, "w") as f:
        f.write(f"""global: {{scrape_interval: 15s}}
scrape_configs:
  - job_name: prometheus
    static_configs: [{{targets: ['127.0.0.1:{PROM_PORT}']}}]
  - job_name: node-exporter
    static_configs: [{{targets: ['127.0.0.1:{NE_PORT}']}}]
""")
    compose = os.path.join(work, "compose.yml")
    with open(compose, "w") as f:
        f.write(f"""version: "3.7"
services:
  prometheus:
    image: stackd-test/prometheus:2.42
    network_mode: host
    restart: unless-stopped
    command: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
              "--web.enable-lifecycle", "--web.listen-address=127.0.0.1:{PROM_PORT}"]
    volumes: ["{prom_yml}:/etc/prometheus/prometheus.yml:ro", "prometheus-data:/prometheus"]
  node-exporter:
    image: stackd-test/node-exporter:1.5
    network_mode: host
    restart: unless-stopped
    command: ["--web.listen-address=127.0.0.1:{NE_PORT}"]
volumes:
  prometheus-data: {{}}
""")
    floor_bodies = {
        "floor-prometheus": {
            "Image": "stackd-test/prometheus:2.42",
            "Cmd": ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
                    f"--web.listen-address=127.0.0.1:{PROM_PORT}"],
            "HostConfig": {"NetworkMode": "host",
                           "Mounts": [{"Type": "volume", "Source": "floor-data", "Target": "/prometheus"}]},
        },
        "floor-node-exporter": {
            "Image": "stackd-test/node-exporter:1.5",
            "Cmd": [f"--web.listen-address=127.0.0.1:{NE_PORT}"],
            "HostConfig": {"NetworkMode": "host"},
        },
    }
    for name, body in floor_bodies.items():
        with open(os.path.join(work, name + ".json"), "w") as f:
            json.dump(body, f)
    curl = f"curl -sf --unix-socket {sock} -H 'Content-Type: application/json'"
    floor_cold = " & ".join(
        f"( id=$({curl} -d @{work}/{n}.json 'http://localhost/containers/create?name={n}' | "
        f"python3 -c 'import json,sys; print(json.load(sys.stdin)[\"Id\"])') && "
        f"{curl} -X POST http://localhost/containers/$id/start )" for n in floor_bodies) + " & wait"
    floor_noop = f"{curl} 'http://localhost/containers/json?all=1' >/dev/null"

    apply = f"{binary} apply -f {manifest} --state-dir {state}"
    down = f"{binary} down -f {manifest} --volumes"
    dc = f"docker-compose -p benchcore -f {compose}"
    results = {k: [] for k in ["stackd_cold", "stackd_noop", "stackd_wait", "compose_cold", "compose_noop",
                               "floor_cold", "floor_noop"]}
    empty_world()
    for t in range(trials):
        results["stackd_cold"].append(timed(apply))
        results["stackd_noop"].append(timed(apply))
        timed(down)
        empty_world()
        results["stackd_wait"].append(timed(apply + " --wait"))
        timed(down)
        empty_world()
        results["compose_cold"].append(timed(dc + " up -d"))
        results["compose_noop"].append(timed(dc + " up -d"))
        timed(dc + " down -v")
        empty_world()
        results["floor_cold"].append(timed(floor_cold))
        results["floor_noop"].append(timed(floor_noop))
        empty_world()
        print(f"trial {t + 1}/{trials}: " + ", ".join(f"{k} {v[-1] * 1000:.0f} ms" for k, v in results.items()),
              flush=True)

    results.update(default_stack(binary, work, trials))

    med = {k: statistics.median(v) for k, v in results.items()}
    print("\nmedians over", trials, "trials:")
    for k, v in med.items():
        print(f"  {k:14s} {v * 1000:8.1f} ms")
    targets = [
        ("cold converge within 1.3x of the raw API floor", med["stackd_cold"] / med["floor_cold"], "<=", 1.3),
        ("no-op apply within 1.2x of one list call", med["stackd_noop"] / med["floor_noop"], "<=", 1.2),
        ("diff of the default stack with its dashboards <= 1.5x its no-op apply",
         med["default_diff"] / med["default_noop"], "<=", 1.5),
        ("cold converge >= 3x faster than docker-compose", med["compose_cold"] / med["stackd_cold"], ">=", 3.0),
        ("no-op apply >= 20x faster than docker-compose", med["compose_noop"] / med["stackd_noop"], ">=", 20.0),
    ]
    print()
    for name, ratio, op, bound in targets:
        ok = ratio <= bound if op == "<=" else ratio >= bound
        print(f"  {'MET   ' if ok else 'MISSED'} {name}: ratio {ratio:.2f} (target {op} {bound})")
    print(f"  (info) apply --wait / apply: {med['stackd_wait'] / med['stackd_cold']:.2f}")


def default_stack(binary, work, trials):
    """manifests/ as shipped (its rules and dashboards), with host networking,
    the offline images and the bench's ports; without the Ollama exporter,
    whose image (stackd's own) is not built for the bench. Converged once, then
    no-op apply and diff timed alternately."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "manifests")
    dst = os.path.join(work, "default")
    shutil.copytree(src, dst)
    path = os.path.join(dst, "stack.yaml")
    with open(path) as f:
        text = f.read()
    text = text[:text.index("  ollama:")]
    for old, new in (("port: 9090", "port: 39290"), ("port: 3000", "port: 39230"), ("port: 9100", "port: 39210")):
        text = text.replace(old, new)
    text += "  stackd: {port: 39323}\n"
    with open(path, "w") as f:
        f.write(text)
    env = ("STACKD_NETWORK=host PROMETHEUS_IMAGE=stackd-test/prometheus:2.42 GRAFANA_IMAGE=stackd-test/grafana:fake "
           "NODE_EXPORTER_IMAGE=stackd-test/node-exporter:1.5 ")
    state = os.path.join(work, "default-state")
    apply = f"{env}{binary} apply -f {path} --state-dir {state}"
    diff = f"{env}{binary} diff -f {path} --state-dir {state}"
    timed(apply)
    out = {"default_noop": [], "default_diff": []}
    for _ in range(trials):
        out["default_noop"].append(timed(apply))
        out["default_diff"].append(timed(diff))
    print(f"default stack: no-op apply {statistics.median(out['default_noop']) * 1000:.0f} ms, "
          f"diff {statistics.median(out['default_diff']) * 1000:.0f} ms (medians)", flush=True)
    sh(f"{env}{binary} down -f {path} --volumes", check=False)
    return out


if __name__ == "__main__":
    main()
