#!/usr/bin/env python3
"""Rule edit -> rule active in Prometheus, under a running `stackd run`.

Per trial, the manifest's rules file is saved with a new alert name (written
to a temporary file and renamed over the old one, as editors do) and
Prometheus's /api/v1/rules is polled until that alert is served: the latency a
user sees between saving and the rule being evaluated.

Floor, measured in the same run on the same engine and image: the same edit
done by hand on a second Prometheus container that stackd does not own, with
the fewest steps any tool needs: upload the file into the container
(PUT /containers/{id}/archive), `promtool check rules` inside it (exec),
POST /-/reload, poll /api/v1/rules until the alert is served. The trials of
stackd and of the floor alternate, so load from elsewhere on the machine
lands on both.

Targets: stackd's p95 < 500 ms and within 1.5x of the floor's p95.

Usage: rule_edit_bench.py STACKD_BIN DOCKER_SOCKET [--trials 20] [--port-base 29670]
"""
import argparse, http.client, io, json, os, subprocess, sys, tarfile, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import api, pct


def rules_yaml(alert):
    return f"groups:\n- name: bench\n  rules:\n  - alert: {alert}\n    expr: vector(1) > 2\n    for: 1m\n"

def manifest(stack, port, stackd_port):
    return f"""apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata: {{name: {stack}}}
spec:
  network: host
  stackd: {{port: {stackd_port}}}
  prometheus:
    image: stackd-test/prometheus:2.42
    port: {port}
    scrapeInterval: 15s
    rules: [alerts.yml]
"""

def served_alerts(port):
    """Alert names Prometheus serves now; empty while it does not answer."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/api/v1/rules")
        r = c.getresponse()
        data = json.loads(r.read())
        c.close()
    except (OSError, ValueError, http.client.HTTPException):
        return set()
    return {rule.get("name") for g in data.get("data", {}).get("groups", []) for rule in g.get("rules", [])}

def wait_served(port, alert, t0, deadline_s=20):
    while time.monotonic() - t0 < deadline_s:
        if alert in served_alerts(port):
            return time.monotonic() - t0
        time.sleep(0.005)
    raise RuntimeError(f"{alert} not served by :{port} within {deadline_s} s")

def wait_http(port, path, deadline_s=60):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers 200 on :{port}{path}")

def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for path, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(time.time())
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()

def exec_in(sock, container, cmd):
    st, created = api(sock, "POST", f"/containers/{container}/exec",
                      {"Cmd": cmd, "AttachStdout": True, "AttachStderr": True})
    assert st == 201, (st, created)
    st, out = api(sock, "POST", f"/exec/{created['Id']}/start", {"Detach": False, "Tty": False})
    assert st == 200, (st, out)
    st, info = api(sock, "GET", f"/exec/{created['Id']}/json")
    return info["ExitCode"], out

class Floor:
    """A Prometheus container of the same image and config, not owned by stackd."""
    def __init__(self, sock, stackd_container, port, rules_dir):
        self.sock, self.port, self.name = sock, port, "bench-rules-floor"
        st, info = api(sock, "GET", f"/containers/{stackd_container}/json")
        assert st == 200, (st, info)
        body = {"Image": info["Config"]["Image"], "Entrypoint": info["Config"]["Entrypoint"],
                "Cmd": [a if not a.startswith("--web.listen-address=") else f"--web.listen-address=127.0.0.1:{port}"
                        for a in info["Config"]["Cmd"]] + ["--storage.tsdb.path=/tmp/floor-data"],
                "HostConfig": {"NetworkMode": "host"}, "Labels": {}}
        body["Cmd"] = [a for a in body["Cmd"] if a != "--storage.tsdb.path=/prometheus"]
        # The same live files stackd delivered, with a rules file of the floor's own.
        st, archive = api(sock, "GET", f"/containers/{stackd_container}/archive?path={rules_dir}/..")
        assert st == 200, st
        api(sock, "DELETE", f"/containers/{self.name}?force=1")
        st, created = api(sock, "POST", f"/containers/create?name={self.name}", body)
        assert st == 201, (st, created)
        self.rules_member = rules_dir.lstrip("/") + "/alerts.yml"
        parent = os.path.dirname(os.path.dirname(rules_dir))
        st, _ = api(sock, "PUT", f"/containers/{self.name}/archive?path={parent}", raw=archive,
                    content_type="application/x-tar")
        assert st == 200, st
        self.put_rules(rules_yaml("Floor0"))
        st, _ = api(sock, "POST", f"/containers/{self.name}/start")
        assert st == 204, st
        wait_http(port, "/-/ready")

    def put_rules(self, text):
        st, _ = api(self.sock, "PUT", f"/containers/{self.name}/archive?path=/",
                    raw=tar_of({self.rules_member: text}), content_type="application/x-tar")
        assert st == 200, st

    def edit(self, alert, host_file):
        t0 = time.monotonic()
        with open(host_file, "w") as f:
            f.write(rules_yaml(alert))
        self.put_rules(open(host_file).read())
        code, out = exec_in(self.sock, self.name, ["/bin/promtool", "check", "rules", "/" + self.rules_member])
        assert code == 0, out
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("POST", "/-/reload")
        r = c.getresponse()
        r.read()
        assert r.status == 200, r.status
        return wait_served(self.port, alert, t0)

    def remove(self):
        api(self.sock, "DELETE", f"/containers/{self.name}?force=1")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stackd")
    ap.add_argument("socket")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--port-base", type=int, default=29670)
    a = ap.parse_args()
    stack = "bench-rules"
    prom_port, floor_port, stackd_port = a.port_base, a.port_base + 1, a.port_base + 9
    work = tempfile.mkdtemp(prefix="stackd-rules-bench-")
    mpath, rpath = os.path.join(work, "stack.yaml"), os.path.join(work, "alerts.yml")
    open(rpath, "w").write(rules_yaml("Edit0"))
    open(mpath, "w").write(manifest(stack, prom_port, stackd_port))
    env = dict(os.environ, DOCKER_HOST="unix://" + a.socket, STACKD_STATE_DIR=os.path.join(work, "state"))
    log = open(os.path.join(work, "daemon.log"), "w")
    daemon = subprocess.Popen([a.stackd, "run", "-f", mpath, "--listen", f"127.0.0.1:{stackd_port}"],
                              env=env, stdout=log, stderr=log)
    floor = None
    try:
        wait_http(stackd_port, "/readyz")
        wait_served(prom_port, "Edit0", time.monotonic(), 60)
        floor = Floor(a.socket, f"{stack}-prometheus", floor_port, "/etc/prometheus/stackd/rules")
        wait_served(floor_port, "Floor0", time.monotonic(), 60)
        floor_file = os.path.join(work, "floor-alerts.yml")
        # One untimed round first: page cache, the engine's exec path, Prometheus's first reload.
        stackd_s, floor_s = [], []
        for i in range(a.trials + 1):
            def stackd_edit():
                t0 = time.monotonic()
                tmp = rpath + ".tmp"
                with open(tmp, "w") as f:
                    f.write(rules_yaml(f"Edit{i + 1}"))
                os.rename(tmp, rpath)
                return wait_served(prom_port, f"Edit{i + 1}", t0)
            order = [("stackd", stackd_edit), ("floor", lambda: floor.edit(f"Floor{i + 1}", floor_file))]
            if i % 2:
                order.reverse()
            for name, run in order:
                s = run()
                if i > 0:
                    (stackd_s if name == "stackd" else floor_s).append(s)
                # Let the daemon's pass (marker write, status) finish before the next edit.
                time.sleep(0.3)
        ms = lambda s: f"{s * 1000:.0f} ms"
        print(f"rule edit -> rule served by Prometheus, {len(stackd_s)} trials each (image stackd-test/prometheus:2.42)")
        print(f"  stackd run: p50 {ms(pct(stackd_s, 50))}  p95 {ms(pct(stackd_s, 95))}  max {ms(max(stackd_s))}")
        print(f"  floor (upload, promtool check rules, POST /-/reload, poll): "
              f"p50 {ms(pct(floor_s, 50))}  p95 {ms(pct(floor_s, 95))}  max {ms(max(floor_s))}")
        r95 = pct(stackd_s, 95) / pct(floor_s, 95)
        print(f"  ratio stackd/floor: p50 {pct(stackd_s, 50) / pct(floor_s, 50):.2f}x  p95 {r95:.2f}x")
        print(f"target p95 < 500 ms: {'MET' if pct(stackd_s, 95) < 0.5 else 'MISSED'} ({ms(pct(stackd_s, 95))})")
        print(f"target p95 within 1.5x of the floor: {'MET' if r95 <= 1.5 else 'MISSED'} ({r95:.2f}x)")
    finally:
        if floor:
            floor.remove()
        daemon.terminate()
        try:
            daemon.wait(10)
        except subprocess.TimeoutExpired:
            daemon.kill()
        subprocess.run([a.stackd, "down", "--volumes", "-f", mpath], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        print(f"(daemon log: {log.name})", file=sys.stderr)

if __name__ == "__main__":
    main()
