"""Process harness for the exporter's integration tests: starts the fake
Ollama, the exporter (and more) as real processes on 127.0.0.1, with free
ports, and stops them by pid. Standard library only."""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path="/", timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", path)
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port}{path} within {timeout}s")


class Processes:
    """Starts processes and stops exactly those, by pid, at exit."""

    def __init__(self):
        self.procs = []
        self.logs = []
        self.logdir = tempfile.mkdtemp(prefix="stackd-exporter-it-")

    def start(self, name, argv, env=None):
        log = open(os.path.join(self.logdir, name + ".log"), "wb")
        self.logs.append(log)
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=e)
        self.procs.append((name, p))
        return p

    def log(self, name):
        with open(os.path.join(self.logdir, name + ".log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop_all(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []
        for log in self.logs:
            log.close()
        self.logs = []


def start_fake_and_exporter(procs, fake_bin, exporter_bin, fake_env=None, exporter_args=()):
    fake_port, exp_port = free_port(), free_port()
    env = {"OLLAMA_HOST": f"127.0.0.1:{fake_port}"}
    env.update(fake_env or {})
    procs.start("fake-ollama", [fake_bin], env)
    wait_http(fake_port, "/api/version")
    procs.start("exporter", [exporter_bin, "--upstream", f"http://127.0.0.1:{fake_port}",
                             "--listen", f"127.0.0.1:{exp_port}", "--poll-interval-ms", "200", *exporter_args])
    wait_http(exp_port, "/metrics")
    return fake_port, exp_port


def post(port, path, body, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
    c.request("POST", path, body=data, headers={"Content-Type": "application/json"})
    try:
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def get(port, path, timeout=10):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read().decode()


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} from the text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        if "{" in head:
            name, rest = head.split("{", 1)
            labels = {}
            for part in _split_labels(rest[:-1]):
                k, v = part.split("=", 1)
                labels[k] = json.loads(v)
        else:
            name, labels = head, {}
        out[(name, frozenset(labels.items()))] = float(value)
    return out


def _split_labels(s):
    parts, cur, in_str, esc = [], "", False, False
    for ch in s:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            cur += ch
            esc = True
        elif ch == '"':
            cur += ch
            in_str = not in_str
        elif ch == "," and not in_str:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return parts


def metric(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


def metric_sum(metrics, name, **labels):
    """Sum over the series of `name` whose labels include these."""
    want = set(labels.items())
    return sum(v for (n, ls), v in metrics.items() if n == name and want <= set(ls))


def eventually(check, timeout=10.0, interval=0.02):
    """Polls check() until it returns a true value (returned) or the timeout
    passes (the last value is returned): waiting for a state, not a time."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
