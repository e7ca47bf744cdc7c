"""Integration test: the fake Ollama and the exporter as real processes on
loopback. Asserts on what the exporter's /metrics holds after known traffic,
and on what a client sees on the wire (streaming is not buffered).

Usage: exporter_integration_test.py EXPORTER_BIN FAKE_OLLAMA_BIN"""
import http.client
import json
import socket
import sys
import threading
import time
import unittest

import harness

EXPORTER, FAKE = sys.argv[1], sys.argv[2]
TOKEN_DELAY_MS = 40
TOKENS = 8


class ExporterIntegration(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.procs = harness.Processes()
        cls.fake_port, cls.port = harness.start_fake_and_exporter(
            cls.procs, FAKE, EXPORTER,
            fake_env={"FAKE_OLLAMA_TOKEN_DELAY_MS": str(TOKEN_DELAY_MS), "FAKE_OLLAMA_TOKENS": str(TOKENS),
                      "OLLAMA_NUM_PARALLEL": "2", "OLLAMA_MAX_QUEUE": "2"},
            exporter_args=["--num-parallel", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()

    def metrics(self):
        return harness.parse_metrics(harness.get(self.port, "/metrics"))

    def test_1_counts_match_traffic(self):
        before = self.metrics()
        m = "llama3.2:1b"
        for _ in range(3):
            st, body = harness.post(self.port, "/api/generate", {"model": m, "prompt": "hello world"})
            self.assertEqual(st, 200)
            lines = [json.loads(l) for l in body.decode().splitlines()]
            self.assertTrue(lines[-1]["done"])  # the client got the whole stream unchanged
        for _ in range(2):
            st, _ = harness.post(self.port, "/api/chat", {"model": m, "stream": False, "messages": [{"role": "user", "content": "hi"}]})
            self.assertEqual(st, 200)
        st, body = harness.post(self.port, "/v1/chat/completions", {"model": "qwen2.5:0.5b", "stream": True,
                                                                  "stream_options": {"include_usage": True},
                                                                  "messages": [{"role": "user", "content": "a b c"}]})
        self.assertEqual(st, 200)
        self.assertTrue(body.decode().rstrip().endswith("data: [DONE]"))
        st, _ = harness.post(self.port, "/api/chat", {"model": m, "messages": [{"role": "user", "content": "x [fail-midstream]"}]})
        self.assertEqual(st, 200)  # the error arrives inside the 200 stream
        st, _ = harness.post(self.port, "/api/generate", {"model": "not-installed", "prompt": "x"})
        self.assertEqual(st, 404)
        st, _ = harness.post(self.port, "/api/embed", {"model": m, "input": "some text to embed"})
        self.assertEqual(st, 200)
        self.assertIn("models", json.loads(harness.get(self.port, "/api/tags")))

        after = self.metrics()
        def delta(name, **labels):
            return harness.metric(after, name, **labels) - harness.metric(before, name, **labels)
        R = "ollama_requests_total"
        self.assertEqual(delta(R, endpoint="/api/generate", model=m, status="200"), 3)
        self.assertEqual(delta(R, endpoint="/api/chat", model=m, status="200"), 2)
        self.assertEqual(delta(R, endpoint="/api/chat", model=m, status="stream_error"), 1)
        self.assertEqual(delta(R, endpoint="/v1/chat/completions", model="qwen2.5:0.5b", status="200"), 1)
        self.assertEqual(delta(R, endpoint="/api/generate", model="not-installed:latest", status="404"), 1)
        self.assertEqual(delta(R, endpoint="/api/embed", model=m, status="200"), 1)
        self.assertEqual(delta(R, endpoint="/api/tags", model="", status="200"), 1)
        # Tokens from the final chunks: 3 generate + 2 chat answers of TOKENS each.
        self.assertEqual(delta("ollama_generated_tokens_total", model=m), 5 * TOKENS)
        self.assertEqual(delta("ollama_generated_tokens_total", model="qwen2.5:0.5b"), TOKENS)  # from usage
        # Prompt tokens: the fake counts words + 10 (template).
        self.assertEqual(delta("ollama_prompt_tokens_total", model=m), 3 * 12 + 2 * 11 + (4 + 10))
        self.assertEqual(delta("ollama_prompt_tokens_total", model="qwen2.5:0.5b"), 13)
        self.assertEqual(delta("ollama_request_duration_seconds_count", endpoint="/api/generate", model=m), 3)
        self.assertEqual(delta("ollama_time_to_first_token_seconds_count", model=m), 3 + 1)  # streamed ones only
        self.assertEqual(delta("ollama_generation_tokens_per_second_count", model=m), 5)
        self.assertEqual(harness.metric(after, "ollama_requests_in_flight", model=m), 0)
        self.assertEqual(harness.metric(after, "ollama_up"), 1)

    def test_2_first_token_reaches_client_before_the_fake_finished(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        body = json.dumps({"model": "llama3.2:1b", "prompt": "stream please", "options": {"num_predict": 10}})
        t0 = time.monotonic()
        c.request("POST", "/api/generate", body=body)
        r = c.getresponse()
        first = r.readline()  # http.client decodes chunked framing; readline returns at the first NDJSON line
        t_first = time.monotonic() - t0
        rest = r.read()
        t_end = time.monotonic() - t0
        self.assertFalse(json.loads(first)["done"])
        c.close()
        self.assertTrue(json.loads(rest.splitlines()[-1])["done"])
        # 10 tokens at 40 ms: the first must arrive long before the last is even produced.
        self.assertLess(t_first, t_end - 5 * TOKEN_DELAY_MS / 1000, f"first token at {t_first:.3f}s, end at {t_end:.3f}s")

    def test_3_queue_full_503_and_queue_depth(self):
        before = self.metrics()
        results = []
        depth_seen = []

        def one():
            st, _ = harness.post(self.port, "/api/generate", {"model": "qwen2.5:0.5b", "prompt": "q", "options": {"num_predict": 15}})
            results.append(st)

        threads = [threading.Thread(target=one) for _ in range(5)]
        for t in threads:
            t.start()
        time.sleep(0.3)  # 2 running (parallel 2), 2 queued (max queue 2), 1 refused
        depth_seen.append(harness.metric(self.metrics(), "ollama_queue_depth"))
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200, 200, 200, 200, 503])
        self.assertEqual(depth_seen[0], 2)  # 4 in flight for the model, 2 slots
        after = self.metrics()
        self.assertEqual(harness.metric(after, "ollama_requests_total", endpoint="/api/generate", model="qwen2.5:0.5b", status="503")
                         - harness.metric(before, "ollama_requests_total", endpoint="/api/generate", model="qwen2.5:0.5b", status="503"), 1)
        self.assertEqual(harness.metric(after, "ollama_queue_depth"), 0)

    def test_4_client_disconnect_counts_499_and_frees_in_flight(self):
        before = self.metrics()
        s = socket.create_connection(("127.0.0.1", self.port))
        body = json.dumps({"model": "llama3.2:1b", "prompt": "long", "options": {"num_predict": 50}}).encode()
        s.sendall(b"POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                  + str(len(body)).encode() + b"\r\n\r\n" + body)
        s.recv(100)  # the stream has started
        s.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            after = self.metrics()
            d = (harness.metric(after, "ollama_requests_total", endpoint="/api/generate", model="llama3.2:1b", status="499")
                 - harness.metric(before, "ollama_requests_total", endpoint="/api/generate", model="llama3.2:1b", status="499"))
            if d == 1:
                break
            time.sleep(0.05)
        self.assertEqual(d, 1)
        self.assertEqual(harness.metric(after, "ollama_requests_in_flight", model="llama3.2:1b"), 0)

    def test_4b_client_leaving_while_queued_is_noticed_at_once(self):
        # Both slots busy with long streams; a third request queues in Ollama.
        before = self.metrics()
        holders = [threading.Thread(target=harness.post, args=(self.port, "/api/generate",
                   {"model": "llama3.2:1b", "prompt": "hold", "options": {"num_predict": 60}})) for _ in range(2)]
        for t in holders:
            t.start()
        time.sleep(0.2)
        s = socket.create_connection(("127.0.0.1", self.port))
        body = json.dumps({"model": "llama3.2:1b", "prompt": "queued", "options": {"num_predict": 5}}).encode()
        s.sendall(b"POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        time.sleep(0.3)
        self.assertEqual(harness.metric(self.metrics(), "ollama_queue_depth"), 1)
        s.close()
        time.sleep(0.3)  # the holders still stream for ~2 s: the queued request never got a byte
        after = self.metrics()
        self.assertEqual(harness.metric(after, "ollama_requests_total", endpoint="/api/generate", model="llama3.2:1b", status="499")
                         - harness.metric(before, "ollama_requests_total", endpoint="/api/generate", model="llama3.2:1b", status="499"), 1)
        self.assertEqual(harness.metric(after, "ollama_queue_depth"), 0)
        self.assertEqual(harness.metric(after, "ollama_requests_in_flight", model="llama3.2:1b"), 2)
        for t in holders:
            t.join()

    def test_5_large_request_body_and_keep_alive(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        big = json.dumps({"model": "llama3.2:1b", "stream": False, "prompt": "x " * (4 * 1024 * 1024)})  # 8 MiB
        for _ in range(2):  # two requests on one client connection
            c.request("POST", "/api/generate", body=big)
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            answer = json.loads(r.read())
            self.assertEqual(answer["prompt_eval_count"], 4 * 1024 * 1024 + 10)  # the fake saw every byte
        c.close()

    def test_6_loaded_models_from_api_ps(self):
        time.sleep(0.5)  # one poll interval
        m = self.metrics()
        self.assertEqual(harness.metric(m, "ollama_model_loaded", model="llama3.2:1b"), 1)
        self.assertEqual(harness.metric(m, "ollama_model_memory_bytes", model="qwen2.5:0.5b", location="ram"), 1e9)
        self.assertEqual(harness.metric(m, "ollama_model_memory_bytes", model="qwen2.5:0.5b", location="vram"), 1e9)

    def test_7_upstream_down_is_reported(self):
        # Last: stops the fake. ollama_up drops to 0 and requests get 502, counted.
        for name, p in self.procs.procs:
            if name == "fake-ollama":
                p.terminate()
                p.wait()
        st, _ = harness.post(self.port, "/api/generate", {"model": "llama3.2:1b", "prompt": "x"})
        self.assertEqual(st, 502)
        time.sleep(0.6)
        m = self.metrics()
        self.assertEqual(harness.metric(m, "ollama_up"), 0)
        self.assertEqual(harness.metric(m, "ollama_model_loaded", model="llama3.2:1b"), 0)
        self.assertGreaterEqual(harness.metric(m, "ollama_requests_total", endpoint="/api/generate", model="", status="502"), 1)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
