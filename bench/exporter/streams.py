"""Stream measurements for bench/exporter/run.sh (standard library only).

  streams.py ttft PORT N            time to first NDJSON line, N sequential streams -> "p50 p99" in ms
  streams.py hold PORT N PID        opens N concurrent streams, waits until all got a first token,
                                    prints the VmRSS (KiB) of PID, then closes them
"""
import asyncio
import json
import socket
import sys
import time

# "[tokens:N]" makes the fake's answer N tokens long.
BODY = json.dumps({"model": "llama3.2:1b", "prompt": "tell me a long story [tokens:2000]"}).encode()
REQ = (b"POST /api/generate HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: "
       + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
SHORT = json.dumps({"model": "llama3.2:1b", "prompt": "hi [tokens:3]"}).encode()
SHORT_REQ = (b"POST /api/generate HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: "
             + str(len(SHORT)).encode() + b"\r\nConnection: close\r\n\r\n" + SHORT)


def first_token_time(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.perf_counter()
    s.sendall(SHORT_REQ)
    buf = b""
    # Past the header, the first chunk holds the first token line.
    while b"\r\n\r\n" not in buf or b'"response"' not in buf.split(b"\r\n\r\n", 1)[1]:
        d = s.recv(65536)
        if not d:
            raise RuntimeError("stream closed before the first token")
        buf += d
    t = time.perf_counter() - t0
    while s.recv(65536):
        pass
    s.close()
    return t


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def ttft(port, n):
    for _ in range(5):
        first_token_time(port)  # warm up
    times = [first_token_time(port) * 1000 for _ in range(n)]
    print(f"{pct(times, 50):.3f} {pct(times, 99):.3f}")


async def open_stream(port, started):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(REQ)
    await w.drain()
    buf = b""
    while b'"response"' not in buf:
        d = await r.read(65536)
        if not d:
            raise RuntimeError("stream closed early")
        buf += d
    started.append(1)
    return w


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


async def hold(port, n, pid):
    started = []
    before = rss_kib(pid)
    writers = []
    for i in range(0, n, 100):  # open in batches so the listen backlog is not the test
        writers += await asyncio.gather(*[open_stream(port, started) for _ in range(min(100, n - i))])
    await asyncio.sleep(1.0)
    during = rss_kib(pid)
    print(f"{len(started)} {before} {during}")
    for w in writers:
        w.close()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "ttft":
        ttft(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "hold":
        asyncio.run(hold(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
