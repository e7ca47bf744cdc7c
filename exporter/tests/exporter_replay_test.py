"""Integration test: the exporter replays a request only when the
first attempt cannot have reached Ollama. The fake Ollama keeps a journal of
every request it read (FAKE_OLLAMA_JOURNAL), drops the connection after
reading a request marked X-Fake-Ollama-Drop (a crash after receiving it),
and can stay silent (X-Fake-Ollama-Delay-Ms) past the exporter's upstream
timeout. Asserts on what the fake received and what the client got.

Usage: exporter_replay_test.py EXPORTER_BIN FAKE_OLLAMA_BIN"""
import http.client
import json
import os
import sys
import time
import unittest

import harness

EXPORTER, FAKE = sys.argv[1], sys.argv[2]
UPSTREAM_TIMEOUT_MS = 1000


class Replay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.procs = harness.Processes()
        cls.journal = os.path.join(cls.procs.logdir, "journal")
        cls.fake_port, cls.port = harness.start_fake_and_exporter(
            cls.procs, FAKE, EXPORTER,
            fake_env={"FAKE_OLLAMA_JOURNAL": cls.journal, "FAKE_OLLAMA_TOKEN_DELAY_MS": "1"},
            exporter_args=["--upstream-timeout-ms", str(UPSTREAM_TIMEOUT_MS)])

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()

    def received(self, method, path, token="-"):
        """How many times the fake read METHOD PATH with this drop token."""
        with open(self.journal) as f:
            return sum(1 for line in f if line.split() == [method, path, token])

    def send(self, method, path, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        data = json.dumps(body).encode() if body is not None else None
        c.request(method, path, body=data, headers=headers or {})
        r = c.getresponse()
        out = r.status, r.read()
        c.close()
        return out

    def warm(self):
        """One complete exchange, so the exporter's next request to Ollama rides
        on a reused keep-alive connection."""
        st, _ = self.send("GET", "/api/version")
        self.assertEqual(st, 200)

    def count(self, endpoint, status):
        m = harness.parse_metrics(harness.get(self.port, "/metrics"))
        return sum(v for (name, labels), v in m.items()
                   if name == "ollama_requests_total" and dict(labels).get("endpoint") == endpoint
                   and dict(labels).get("status") == status)

    def test_non_idempotent_requests_reach_ollama_at_most_once_when_the_connection_drops(self):
        cases = [("POST", "/api/pull", {"model": "llama3.2:3b", "stream": False}),
                 ("POST", "/api/create", {"model": "mine", "from": "llama3.2:1b"}),
                 ("POST", "/api/copy", {"source": "llama3.2:1b", "destination": "backup"}),
                 ("POST", "/api/push", {"model": "llama3.2:1b"}),
                 ("DELETE", "/api/delete", {"model": "qwen2.5:0.5b"})]
        for reused in (True, False):
            for method, path, body in cases:
                token = f"{path.rsplit('/', 1)[1]}-{'reused' if reused else 'fresh'}"
                if reused:
                    self.warm()
                before = self.count(path, "502")
                st, answer = self.send(method, path, body, {"X-Fake-Ollama-Drop": token})
                self.assertEqual(st, 502, f"{method} {path}: {answer!r}")
                self.assertEqual(self.received(method, path, token), 1, f"{method} {path} ({token}) reached Ollama again")
                self.assertEqual(self.count(path, "502") - before, 1)
        # The dropped delete never ran, and was not repeated behind the client's back.
        self.assertIn("qwen2.5:0.5b", harness.get(self.port, "/api/tags"))

    def test_a_safe_request_is_replayed_once_on_a_new_connection(self):
        self.warm()
        st, body = self.send("GET", "/api/tags", headers={"X-Fake-Ollama-Drop": "tags-reused"})
        self.assertEqual(st, 200)
        self.assertIn("models", json.loads(body))
        self.assertEqual(self.received("GET", "/api/tags", "tags-reused"), 2)  # the drop, then the replay

    def test_no_replay_after_a_timeout(self):
        self.warm()
        before = self.received("POST", "/api/pull")
        timeouts = self.count("/api/pull", "504")
        t0 = time.monotonic()
        st, _ = self.send("POST", "/api/pull", {"model": "llama3.2:3b", "stream": False},
                          {"X-Fake-Ollama-Delay-Ms": str(3 * UPSTREAM_TIMEOUT_MS)})
        elapsed = time.monotonic() - t0
        self.assertEqual(st, 504)
        self.assertGreaterEqual(elapsed, UPSTREAM_TIMEOUT_MS / 1000 * 0.9)
        self.assertLess(elapsed, 3 * UPSTREAM_TIMEOUT_MS / 1000)  # answered at the timeout, not after a second try
        # The exporter answered only after deciding; one attempt reached Ollama.
        self.assertEqual(self.received("POST", "/api/pull") - before, 1)
        self.assertEqual(self.count("/api/pull", "504") - timeouts, 1)

    def test_no_replay_of_a_generation_after_a_timeout(self):
        self.warm()
        before = self.received("POST", "/api/generate")
        st, _ = self.send("POST", "/api/generate", {"model": "llama3.2:1b", "prompt": "x", "stream": False},
                          {"X-Fake-Ollama-Delay-Ms": str(3 * UPSTREAM_TIMEOUT_MS)})
        self.assertEqual(st, 504)
        self.assertEqual(self.received("POST", "/api/generate") - before, 1)

    def test_pull_and_delete_pass_through(self):
        st, body = self.send("POST", "/api/pull", {"model": "tinyllama"})
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body.decode().splitlines()[-1]), {"status": "success"})
        self.assertIn("tinyllama:latest", harness.get(self.port, "/api/tags"))
        st, _ = self.send("DELETE", "/api/delete", {"model": "tinyllama"})
        self.assertEqual(st, 200)
        self.assertNotIn("tinyllama:latest", harness.get(self.port, "/api/tags"))
        st, _ = self.send("DELETE", "/api/delete", {"model": "tinyllama"})
        self.assertEqual(st, 404)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
