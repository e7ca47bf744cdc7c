"""Integration test: the exporter out of file descriptors. Under a
1024-descriptor limit (prlimit) and 1,500 idle client connections it must
not spin (a few percent of a CPU at most), must log a bounded number of
lines, and must serve a new client as soon as descriptors are free again.
Run twice: with --max-connections above what the limit allows (accept()
itself fails with EMFILE and backs off) and with the default cap derived
from the limit (the cap holds new clients in the listen queue).

Usage: exporter_fd_limit_test.py EXPORTER_BIN FAKE_OLLAMA_BIN"""
import http.client
import os
import resource
import socket
import sys
import time
import unittest

import harness

EXPORTER, FAKE = sys.argv[1], sys.argv[2]
LIMIT = 1024
IDLE = 1500


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class FdLimit(unittest.TestCase):
    def setUp(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.assertGreaterEqual(hard, 2 * IDLE, "the test itself needs more descriptors (raise the hard limit)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
        self.procs = harness.Processes()
        self.sockets = []

    def tearDown(self):
        for s in self.sockets:
            s.close()
        self.procs.stop_all()

    def run_case(self, extra_args, expect_log):
        fake_port, port = harness.free_port(), harness.free_port()
        self.procs.start("fake-ollama", [FAKE], {"OLLAMA_HOST": f"127.0.0.1:{fake_port}"})
        harness.wait_http(fake_port, "/api/version")
        exporter = self.procs.start("exporter", ["prlimit", f"--nofile={LIMIT}:{LIMIT}", "--", EXPORTER,
                                                 "--upstream", f"http://127.0.0.1:{fake_port}",
                                                 "--listen", f"127.0.0.1:{port}", *extra_args])
        harness.wait_http(port, "/metrics")
        pid = exporter.pid  # prlimit execs the exporter: same pid
        for _ in range(IDLE):
            self.sockets.append(socket.create_connection(("127.0.0.1", port)))  # queued when not accepted
        # Wait until the exporter took what it may (the cap, or every descriptor).
        deadline = time.monotonic() + 20
        last, stable_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            n = open_fds(pid)
            if n != last:
                last, stable_since = n, time.monotonic()
            elif time.monotonic() - stable_since > 0.5:
                break
            time.sleep(0.05)
        self.assertGreater(last, 400)

        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(3)  # the measurement window
        share = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
        self.assertLess(share, 0.05, f"exporter used {share:.1%} of a CPU while out of descriptors")

        # Free descriptors: the oldest 1,100 clients leave (clients are accepted
        # in the order they connected, so fewer would leave the new one queued
        # behind idle ones); a new client is served at once.
        for s in self.sockets[:1100]:
            s.close()
        del self.sockets[:1100]
        t1 = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/api/version")
        r = c.getresponse()
        body = r.read()
        waited = time.monotonic() - t1
        c.close()
        self.assertEqual(r.status, 200, body)
        self.assertLess(waited, 0.5, f"served {waited:.3f}s after descriptors were freed")

        log = self.procs.log("exporter")
        lines = [l for l in log.splitlines() if expect_log in l]
        self.assertGreaterEqual(len(lines), 1, log[-2000:])
        self.assertLessEqual(len(lines), 2, "\n".join(lines[:10]))
        self.assertLess(len(log.splitlines()), 20, log[-2000:])

    def test_accept_failures_back_off(self):
        self.run_case(["--max-connections", "4096"], "accept failed")

    def test_default_cap_keeps_clients_queued(self):
        self.run_case([], "new clients wait until one closes")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
