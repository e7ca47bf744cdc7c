#!/usr/bin/env python3
"""Daemon benchmark: drift repair latency, manifest edit to
converged, idle CPU and RSS of `stackd run`, against a real engine.

Baseline, measured in the same run on the same engine: the raw API floor of
bringing the same container back by hand (create + archive + start through the
socket), i.e. what any tool must pay at least.

Usage: daemon_bench.py STACKD_BIN DOCKER_SOCKET [--trials 20] [--idle 60]
"""
import argparse, http.client, json, os, subprocess, sys, tempfile, time, urllib.parse
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import UnixHTTP, api, pct


class Events:
    """One /events stream; next_start(name) waits for that container's start."""
    def __init__(self, sock):
        self.conn = UnixHTTP(sock, timeout=60)
        f = urllib.parse.quote(json.dumps({"type": ["container"], "event": ["start"]}))
        self.conn.request("GET", "/v1.41/events?filters=" + f)
        self.resp = self.conn.getresponse()
    def next_start(self, name, deadline_s=30):
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            line = self.resp.readline()  # http.client de-chunks
            if not line:
                break
            ev = json.loads(line)
            if ev.get("Actor", {}).get("Attributes", {}).get("name") == name:
                return time.monotonic()
        raise RuntimeError("no start event for " + name)

def manifest(stack, port_base, args):
    return f"""apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata: {{name: {stack}}}
spec:
  network: host
  stackd: {{port: {port_base + 9}}}
  prometheus: {{image: stackd-test/prometheus:2.42, port: {port_base}, scrapeInterval: 15s}}
  nodeExporter: {{image: stackd-test/node-exporter:1.5, port: {port_base + 1}, args: {json.dumps(args)}}}
"""

def proc_cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def proc_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stackd")
    ap.add_argument("socket")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--idle", type=int, default=60)
    a = ap.parse_args()
    stack, base = "bench-daemon", 29490
    name = f"{stack}-node-exporter"
    work = tempfile.mkdtemp(prefix="stackd-bench-")
    mpath = os.path.join(work, "stack.yaml")
    open(mpath, "w").write(manifest(stack, base, []))
    env = dict(os.environ, DOCKER_HOST="unix://" + a.socket, STACKD_STATE_DIR=os.path.join(work, "state"))
    log = open(os.path.join(work, "daemon.log"), "w")
    daemon = subprocess.Popen([a.stackd, "run", "-f", mpath], env=env, stdout=log, stderr=log)
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                c = http.client.HTTPConnection("127.0.0.1", base + 9, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            sys.exit("daemon never became ready; log in " + log.name)
        time.sleep(1)
        events = Events(a.socket)

        # Drift repair: container removed -> running again (its start event).
        repair = []
        for _ in range(a.trials):
            st, _ = api(a.socket, "DELETE", f"/containers/{name}?force=1")
            t0 = time.monotonic()  # removed: the clock starts when the container is gone
            assert st == 204, st
            repair.append(events.next_start(name) - t0)
            time.sleep(0.7)  # let the repair settle before the next removal

        # Baseline: the same container brought back by hand through the raw API.
        st, info = api(a.socket, "GET", f"/containers/{name}/json")
        body = dict(info["Config"])
        body["HostConfig"] = info["HostConfig"]
        body["Labels"] = {}  # a foreign copy the daemon ignores
        api(a.socket, "DELETE", "/containers/bench-raw?force=1")
        raw = []
        for _ in range(a.trials):
            t0 = time.monotonic()
            st, created = api(a.socket, "POST", "/containers/create?name=bench-raw", body)
            assert st == 201, (st, created)
            st, _ = api(a.socket, "POST", "/containers/bench-raw/start")
            events.next_start("bench-raw")
            raw.append(time.monotonic() - t0)
            api(a.socket, "DELETE", "/containers/bench-raw?force=1")

        # Manifest edit -> converged (the new node-exporter started).
        edits = []
        for i in range(min(a.trials, 10)):
            args = ["--collector.disable-defaults", "--collector.cpu"] if i % 2 == 0 else []
            t0 = time.monotonic()
            tmp = mpath + ".tmp"
            open(tmp, "w").write(manifest(stack, base, args))
            os.rename(tmp, mpath)
            edits.append(events.next_start(name) - t0)
            time.sleep(1.0)

        # Idle: nothing changes for a while.
        time.sleep(3)
        cpu0, t0 = proc_cpu_seconds(daemon.pid), time.monotonic()
        rss = []
        while time.monotonic() - t0 < a.idle:
            rss.append(proc_rss_mib(daemon.pid))
            time.sleep(1)
        cpu_pct = 100 * (proc_cpu_seconds(daemon.pid) - cpu0) / (time.monotonic() - t0)

        ms = lambda s: f"{s * 1000:.0f} ms"
        print(f"drift repair (removed -> running), {len(repair)} trials: p50 {ms(pct(repair, 50))}  p95 {ms(pct(repair, 95))}  max {ms(max(repair))}")
        print(f"baseline raw API create+start, {len(raw)} trials:      p50 {ms(pct(raw, 50))}  p95 {ms(pct(raw, 95))}")
        print(f"ratio repair/raw floor: p50 {pct(repair, 50) / pct(raw, 50):.2f}x  p95 {pct(repair, 95) / pct(raw, 95):.2f}x")
        print(f"target repair p95 < 1000 ms: {'MET' if pct(repair, 95) < 1.0 else 'MISSED'}")
        ratio95 = pct(repair, 95) / pct(raw, 95)
        print(f"target repair p95 within 1.3x of the raw create+start floor: "
              f"{'MET' if ratio95 <= 1.3 else 'MISSED'} ({ratio95:.2f}x)")
        print(f"manifest edit -> converged, {len(edits)} edits: p50 {ms(pct(edits, 50))}  p95 {ms(pct(edits, 95))}")
        print(f"idle over {a.idle}s: CPU {cpu_pct:.3f}% of a core (target < 0.5%: {'MET' if cpu_pct < 0.5 else 'MISSED'}), "
              f"RSS max {max(rss):.1f} MiB (target < 20 MiB: {'MET' if max(rss) < 20 else 'MISSED'})")
    finally:
        daemon.terminate()
        daemon.wait(10)
        subprocess.run([a.stackd, "down", "--volumes", "-f", mpath], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

if __name__ == "__main__":
    main()
