"""What the Python benchmarks share: the Docker Engine API over its unix
socket, and the percentile every one of them reports.

Imported by bench/*/*_bench.py, which put bench/ on sys.path first.
"""
import http.client, json, socket

class UnixHTTP(http.client.HTTPConnection):
    """http.client over a unix socket (the engine's API)."""
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)

def api(sock, method, path, body=None, raw=None, content_type="application/json"):
    """One engine API call: (status, decoded JSON or raw bytes). `body` is
    sent as JSON, `raw` as is with `content_type`."""
    c = UnixHTTP(sock)
    if raw is not None:
        c.request(method, "/v1.41" + path, body=raw, headers={"Content-Type": content_type})
    else:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        c.request(method, "/v1.41" + path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data and data[:1] in b"{[" else data)

def pct(xs, p):
    """The p-th percentile of xs, nearest rank."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
