"""Integration test: the fake Ollama and the exporter as real processes on
loopback. Asserts on what the exporter's /metrics holds after known traffic,
on what a client sees on the wire (streaming is not buffered, headers are not
held back, usage injection is invisible) and on the exporter's log.

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
LOAD_MS = 300
CONTEXT = 4096
LLAMA, QWEN = "llama3.2:1b", "qwen2.5:0.5b"


def raw_request(port, path, body, extra_headers=b""):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers
              + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return s


class Base(unittest.TestCase):
    FAKE_ENV = {}
    EXPORTER_ARGS = []

    @classmethod
    def setUpClass(cls):
        cls.procs = harness.Processes()
        cls.fake_port, cls.port = harness.start_fake_and_exporter(
            cls.procs, FAKE, EXPORTER,
            fake_env={"FAKE_OLLAMA_TOKEN_DELAY_MS": str(TOKEN_DELAY_MS), "FAKE_OLLAMA_TOKENS": str(TOKENS),
                      "FAKE_OLLAMA_LOAD_MS": str(LOAD_MS), "OLLAMA_NUM_PARALLEL": "2", "OLLAMA_MAX_QUEUE": "2",
                      **cls.FAKE_ENV},
            exporter_args=["--num-parallel", "2", *cls.EXPORTER_ARGS])

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()

    def metrics(self):
        return harness.parse_metrics(harness.get(self.port, "/metrics"))

    def delta(self, before, name, **labels):
        return harness.metric(self.metrics(), name, **labels) - harness.metric(before, name, **labels)


class ExporterIntegration(Base):
    def test_1_counts_match_traffic(self):
        before = self.metrics()
        m = LLAMA
        for _ in range(3):
            st, body = harness.post(self.port, "/api/generate", {"model": m, "prompt": "hello world"})
            self.assertEqual(st, 200)
            lines = [json.loads(l) for l in body.decode().splitlines()]
            self.assertTrue(lines[-1]["done"])  # the client got the whole stream unchanged
        for _ in range(2):
            st, _ = harness.post(self.port, "/api/chat", {"model": m, "stream": False, "messages": [{"role": "user", "content": "hi"}]})
            self.assertEqual(st, 200)
        st, body = harness.post(self.port, "/v1/chat/completions", {"model": QWEN, "stream": True,
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
        st, _ = harness.post(self.port, "/v1/embeddings", {"model": QWEN, "input": "a b"})
        self.assertEqual(st, 200)
        self.assertIn("models", json.loads(harness.get(self.port, "/api/tags")))

        after = self.metrics()
        def delta(name, **labels):
            return harness.metric(after, name, **labels) - harness.metric(before, name, **labels)
        R = "ollama_requests_total"
        self.assertEqual(delta(R, endpoint="/api/generate", model=m, status="200"), 3)
        self.assertEqual(delta(R, endpoint="/api/chat", model=m, status="200"), 2)
        self.assertEqual(delta(R, endpoint="/api/chat", model=m, status="stream_error"), 1)
        self.assertEqual(delta(R, endpoint="/v1/chat/completions", model=QWEN, status="200"), 1)
        self.assertEqual(delta(R, endpoint="/api/generate", model="not-installed:latest", status="404"), 1)
        self.assertEqual(delta(R, endpoint="/api/embed", model=m, status="200"), 1)
        self.assertEqual(delta(R, endpoint="/v1/embeddings", model=QWEN, status="200"), 1)
        self.assertEqual(delta(R, endpoint="/api/tags", model="", status="200"), 1)
        # Tokens from the final chunks: 3 generate + 2 chat answers of TOKENS each.
        self.assertEqual(delta("ollama_generated_tokens_total", model=m), 5 * TOKENS)
        self.assertEqual(delta("ollama_generated_tokens_total", model=QWEN), TOKENS)  # from usage
        # Prompt tokens: the fake counts words + 10 (template); embeddings count theirs too.
        self.assertEqual(delta("ollama_prompt_tokens_total", model=m), 3 * 12 + 2 * 11 + (4 + 10))
        self.assertEqual(delta("ollama_prompt_tokens_total", model=QWEN), 13 + (2 + 10))
        self.assertEqual(delta("ollama_request_prompt_tokens_count", model=m), 6)
        self.assertEqual(delta("ollama_request_prompt_tokens_sum", model=m), 3 * 12 + 2 * 11 + 14)
        self.assertEqual(delta("ollama_request_generation_tokens_count", model=m), 5)
        self.assertEqual(delta("ollama_request_generation_tokens_bucket", model=m, le="5"), 0)
        self.assertEqual(delta("ollama_request_generation_tokens_bucket", model=m, le="10"), 5)
        self.assertEqual(delta("ollama_request_duration_seconds_count", endpoint="/api/generate", model=m), 3)
        self.assertEqual(delta("ollama_time_to_first_token_seconds_count", model=m), 3 + 1)  # streamed ones only
        self.assertEqual(delta("ollama_generation_tokens_per_second_count", model=m), 5)
        # Why answers ended, and the errors by kind.
        self.assertEqual(delta("ollama_requests_finished_total", model=m, reason="stop"), 5)
        self.assertEqual(delta("ollama_requests_finished_total", model=QWEN, reason="stop"), 1)
        E = "ollama_request_errors_total"
        self.assertEqual(delta(E, endpoint="/api/chat", model=m, kind="stream_error"), 1)
        self.assertEqual(delta(E, endpoint="/api/generate", model="not-installed:latest", kind="model_not_found"), 1)
        self.assertEqual(harness.metric_sum(after, E) - harness.metric_sum(before, E), 2)
        # The latency breakdown of the 5 native answers (embeddings: a load duration only).
        for name in ("ollama_request_queue_wait_seconds_count", "ollama_request_prefill_duration_seconds_count",
                     "ollama_request_decode_duration_seconds_count", "ollama_time_per_output_token_seconds_count",
                     "ollama_prefill_tokens_per_second_count"):
            self.assertEqual(delta(name, model=m), 5, name)
        self.assertEqual(delta("ollama_request_load_duration_seconds_count", model=m), 6)
        # Each answer took TOKENS tokens at TOKEN_DELAY_MS: the decode time and
        # the time per output token say so (timers only ever run late).
        delay = TOKEN_DELAY_MS / 1000
        self.assertGreaterEqual(delta("ollama_request_decode_duration_seconds_sum", model=m), 5 * TOKENS * delay * 0.95)
        tpot = delta("ollama_time_per_output_token_seconds_sum", model=m) / 5
        self.assertTrue(delay * 0.95 <= tpot < delay * 3, tpot)
        # Inter-token latency: one gap per streamed piece after the first (pieces
        # that arrived together count once), each about TOKEN_DELAY_MS.
        itl_n = delta("ollama_inter_token_latency_seconds_count", model=m)
        self.assertTrue(3 <= itl_n <= 3 * (TOKENS - 1) + 1, itl_n)
        itl = delta("ollama_inter_token_latency_seconds_sum", model=m) / itl_n
        self.assertTrue(delay * 0.9 <= itl < delay * 10, itl)
        self.assertEqual(harness.metric(after, "ollama_requests_in_flight", model=m), 0)
        self.assertEqual(harness.metric(after, "ollama_up"), 1)

    def test_1b_finish_reasons_load_and_unload(self):
        before = self.metrics()
        # num_predict cuts the answer: done_reason "length".
        st, body = harness.post(self.port, "/api/generate",
                                {"model": LLAMA, "prompt": "tell me [tokens:20]", "stream": False, "options": {"num_predict": 3}})
        self.assertEqual((st, json.loads(body)["done_reason"]), (200, "length"))
        # An empty prompt loads the model; with keep_alive 0 it unloads it.
        st, body = harness.post(self.port, "/api/generate", {"model": LLAMA})
        self.assertEqual(json.loads(body)["done_reason"], "load")
        st, body = harness.post(self.port, "/api/chat", {"model": LLAMA, "messages": [], "keep_alive": 0})
        self.assertEqual(json.loads(body)["done_reason"], "unload")
        self.assertEqual(self.delta(before, "ollama_requests_finished_total", model=LLAMA, reason="length"), 1)
        self.assertEqual(self.delta(before, "ollama_requests_finished_total", model=LLAMA, reason="load"), 1)
        self.assertEqual(self.delta(before, "ollama_requests_finished_total", model=LLAMA, reason="unload"), 1)
        self.assertEqual(self.delta(before, "ollama_generated_tokens_total", model=LLAMA), 3)
        # Load and unload answers carry no metrics: no breakdown for them.
        self.assertEqual(self.delta(before, "ollama_request_queue_wait_seconds_count", model=LLAMA), 1)
        # The poller sees the model go and come back: one load.
        self.assertTrue(harness.eventually(
            lambda: harness.metric(self.metrics(), "ollama_model_loaded", model=LLAMA) == 0))
        loads = harness.metric(self.metrics(), "ollama_model_loads_total", model=LLAMA)
        st, _ = harness.post(self.port, "/api/generate", {"model": LLAMA})
        self.assertEqual(st, 200)
        self.assertTrue(harness.eventually(
            lambda: harness.metric(self.metrics(), "ollama_model_loads_total", model=LLAMA) == loads + 1))

    def test_2_first_token_reaches_client_before_the_fake_finished(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        body = json.dumps({"model": LLAMA, "prompt": "stream please [tokens:10]"})
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

    def test_2b_response_header_is_not_held_until_the_first_chunk(self):
        # A server that sends a stream's header at once (the fake's knob; Ollama
        # sends it with the first chunk): the client gets it at once too.
        harness.post(self.port, "/api/generate", {"model": LLAMA})  # loaded: no load time in the way
        s = raw_request(self.port, "/api/generate", json.dumps({"model": LLAMA, "prompt": "hi [tokens:2]"}).encode(),
                        b"X-Fake-Ollama-Early-Headers: 1\r\n")
        t0 = time.monotonic()
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(65536)
        t_header = time.monotonic() - t0
        while b'"response"' not in buf.split(b"\r\n\r\n", 1)[1]:
            buf += s.recv(65536)
        t_chunk = time.monotonic() - t0
        s.close()
        self.assertTrue(buf.startswith(b"HTTP/1.1 200"), buf[:100])
        # The first token comes TOKEN_DELAY_MS after the header.
        self.assertLess(t_header, t_chunk - TOKEN_DELAY_MS / 2000, f"header at {t_header:.4f}s, first chunk at {t_chunk:.4f}s")

    def test_3_queue_depth_and_queue_wait_for_a_loaded_model(self):
        # Ollama queues requests for a loaded model without a bound (server/sched.go
        # sends them straight to the runner): 5 requests, 2 slots, 3 wait.
        harness.post(self.port, "/api/generate", {"model": QWEN, "prompt": "warm", "stream": False})
        before = self.metrics()
        results = []
        threads = [threading.Thread(target=lambda: results.append(harness.post(
            self.port, "/api/generate", {"model": QWEN, "prompt": "q [tokens:10]"})[0])) for _ in range(5)]
        for t in threads:
            t.start()
        self.assertTrue(harness.eventually(lambda: harness.metric(self.metrics(), "ollama_queue_depth") == 3))
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200] * 5)
        after = self.metrics()
        self.assertEqual(harness.metric(after, "ollama_queue_depth"), 0)
        # Two waited one answer (10 x 40 ms), one waited two: the estimate sees it.
        answer = 10 * TOKEN_DELAY_MS / 1000
        waited = (harness.metric(after, "ollama_request_queue_wait_seconds_sum", model=QWEN)
                  - harness.metric(before, "ollama_request_queue_wait_seconds_sum", model=QWEN))
        self.assertGreater(waited, 0.9 * 4 * answer)
        self.assertEqual(self.delta(before, "ollama_request_errors_total", endpoint="/api/generate", model=QWEN, kind="busy"), 0)

    def test_3b_busy_while_a_model_loads(self):
        # Requests that need a load queue in the scheduler (OLLAMA_MAX_QUEUE=2);
        # beyond that Ollama answers 503.
        harness.post(self.port, "/api/generate", {"model": QWEN, "keep_alive": 0})
        self.assertTrue(harness.eventually(
            lambda: harness.metric(self.metrics(), "ollama_model_loaded", model=QWEN) == 0))
        before = self.metrics()
        results = []
        threads = [threading.Thread(target=lambda: results.append(harness.post(
            self.port, "/api/generate", {"model": QWEN, "prompt": "q", "stream": False})[0])) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200, 200, 200, 503, 503])
        self.assertEqual(self.delta(before, "ollama_requests_total", endpoint="/api/generate", model=QWEN, status="503"), 2)
        self.assertEqual(self.delta(before, "ollama_request_errors_total", endpoint="/api/generate", model=QWEN, kind="busy"), 2)
        # Each of the three waited for the load: load_duration includes that wait.
        self.assertGreater(self.delta(before, "ollama_request_load_duration_seconds_sum", model=QWEN), 3 * 0.9 * LOAD_MS / 1000)
        self.assertTrue(harness.eventually(
            lambda: harness.metric(self.metrics(), "ollama_model_loads_total", model=QWEN)
            > harness.metric(before, "ollama_model_loads_total", model=QWEN)))

    def test_4_client_disconnect_counts_499_and_frees_in_flight(self):
        before = self.metrics()
        s = raw_request(self.port, "/api/generate", json.dumps({"model": LLAMA, "prompt": "long [tokens:50]"}).encode())
        s.recv(100)  # the stream has started
        s.close()
        self.assertTrue(harness.eventually(lambda: self.delta(
            before, "ollama_requests_total", endpoint="/api/generate", model=LLAMA, status="499") == 1))
        after = self.metrics()
        self.assertEqual(harness.metric(after, "ollama_requests_in_flight", model=LLAMA), 0)
        self.assertEqual(self.delta(before, "ollama_request_errors_total", endpoint="/api/generate", model=LLAMA,
                                    kind="cancelled"), 1)

    def test_4b_client_leaving_while_queued_is_noticed_at_once(self):
        # Both slots busy with long streams; a third request queues in Ollama.
        before = self.metrics()
        holders = [threading.Thread(target=harness.post, args=(self.port, "/api/generate",
                   {"model": LLAMA, "prompt": "hold [tokens:60]"})) for _ in range(2)]
        for t in holders:
            t.start()
        self.assertTrue(harness.eventually(
            lambda: harness.metric(self.metrics(), "ollama_requests_in_flight", model=LLAMA) == 2))
        s = raw_request(self.port, "/api/generate", json.dumps({"model": LLAMA, "prompt": "queued"}).encode())
        self.assertTrue(harness.eventually(lambda: harness.metric(self.metrics(), "ollama_queue_depth") == 1))
        s.close()
        # The holders still stream for ~2 s: the queued request never got a byte.
        self.assertTrue(harness.eventually(lambda: self.delta(
            before, "ollama_requests_total", endpoint="/api/generate", model=LLAMA, status="499") == 1, timeout=1.5))
        after = self.metrics()
        self.assertEqual(harness.metric(after, "ollama_queue_depth"), 0)
        self.assertEqual(harness.metric(after, "ollama_requests_in_flight", model=LLAMA), 2)
        for t in holders:
            t.join()

    def test_4c_in_flight_and_queued_from_the_moment_headers_arrive(self):
        # Three uploads whose bodies have not come yet (an image upload, or the
        # "model" after a long prompt): in flight and, beyond the 2 slots, queued.
        body = json.dumps({"prompt": "p " * 1000, "model": LLAMA, "stream": False}).encode()
        head = body[:1000]
        sockets = []
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.port))
            s.sendall(b"POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(body)).encode()
                      + b"\r\n\r\n" + head)
            sockets.append(s)
        self.assertTrue(harness.eventually(lambda: (
            harness.metric(self.metrics(), "ollama_requests_in_flight", model="") == 3
            and harness.metric(self.metrics(), "ollama_queue_depth") == 1)))
        before = self.metrics()
        for s in sockets:
            s.sendall(body[1000:])
        for s in sockets:
            r = http.client.HTTPResponse(s)
            r.begin()
            self.assertEqual(r.status, 200)
            r.read()
            s.close()
        after = self.metrics()
        self.assertEqual(harness.metric(after, "ollama_requests_in_flight", model=""), 0)
        self.assertEqual(harness.metric(after, "ollama_requests_in_flight", model=LLAMA), 0)
        self.assertEqual(harness.metric(after, "ollama_requests_total", endpoint="/api/generate", model=LLAMA, status="200")
                         - harness.metric(before, "ollama_requests_total", endpoint="/api/generate", model=LLAMA, status="200"), 3)
        self.assertEqual(harness.metric_sum(after, "ollama_requests_total", model="", endpoint="/api/generate"), 0)

    def test_5_large_request_body_and_keep_alive(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        big = json.dumps({"model": LLAMA, "stream": False, "prompt": "x " * (4 * 1024 * 1024)})  # 8 MiB
        for _ in range(2):  # two requests on one client connection
            c.request("POST", "/api/generate", body=big)
            r = c.getresponse()
            self.assertEqual(r.status, 200)  # a body cut anywhere would not be JSON: the fake got every byte
            answer = json.loads(r.read())
            self.assertEqual(answer["prompt_eval_count"], CONTEXT)  # Ollama cuts the prompt to the context
        c.close()

    def test_6_loaded_models_from_api_ps(self):
        harness.post(self.port, "/api/generate", {"model": QWEN})
        m = harness.eventually(lambda: (lambda m: m if harness.metric(m, "ollama_model_loaded", model=QWEN) == 1 else None)(
            self.metrics()))
        self.assertEqual(harness.metric(m, "ollama_model_memory_bytes", model=QWEN, location="ram"), 1e9)
        self.assertEqual(harness.metric(m, "ollama_model_memory_bytes", model=QWEN, location="vram"), 1e9)
        self.assertEqual(harness.metric(m, "ollama_model_offload_ratio", model=QWEN), 0.5)
        self.assertEqual(harness.metric(m, "ollama_model_context_length", model=QWEN), CONTEXT)
        # keep-alive 5m, counting down from the load: not 0, not Ollama's 24h
        # default; wide below so a slow (sanitized, loaded) run still passes.
        self.assertTrue(200 < harness.metric(m, "ollama_model_expires_in_seconds", model=QWEN) <= 300)
        self.assertEqual(harness.metric(m, "ollama_version_info", version="0.12.6"), 1)
        self.assertEqual(harness.metric(m, "ollama_parallel_slots"), 2)
        # Context fill of an answer: (prompt + generated) / context length.
        before = m
        harness.post(self.port, "/api/generate", {"model": QWEN, "prompt": "a b c", "stream": False})
        filled = self.delta(before, "ollama_context_fill_ratio_sum", model=QWEN)
        self.assertAlmostEqual(filled, (13 + TOKENS) / CONTEXT, places=9)

    def test_7_upstream_down_is_reported(self):
        # Last: stops the fake. ollama_up drops to 0; requests get 502, counted
        # with their model, and the log says so once.
        for name, p in self.procs.procs:
            if name == "fake-ollama":
                p.terminate()
                p.wait()
        st, _ = harness.post(self.port, "/api/generate", {"model": LLAMA, "prompt": "x"})
        self.assertEqual(st, 502)
        # The model after 30 KB of prompt: the exporter reads on to find it.
        st, _ = harness.post(self.port, "/api/chat", {"messages": [{"role": "user", "content": "y " * 15000}], "model": QWEN})
        self.assertEqual(st, 502)
        for _ in range(20):
            harness.post(self.port, "/api/generate", {"model": LLAMA, "prompt": "retry"})
        m = harness.eventually(lambda: (lambda m: m if harness.metric(m, "ollama_up") == 0 else None)(self.metrics()))
        self.assertEqual(harness.metric(m, "ollama_model_loaded", model=LLAMA), 0)
        self.assertEqual(harness.metric(m, "ollama_requests_total", endpoint="/api/generate", model=LLAMA, status="502"), 21)
        self.assertEqual(harness.metric(m, "ollama_requests_total", endpoint="/api/chat", model=QWEN, status="502"), 1)
        self.assertEqual(harness.metric_sum(m, "ollama_requests_total", model="", status="502"), 0)
        self.assertEqual(harness.metric(m, "ollama_request_errors_total", endpoint="/api/generate", model=LLAMA,
                                        kind="upstream_unreachable"), 21)
        log = self.procs.log("exporter")
        failing = [l for l in log.splitlines() if "fails requests" in l]
        self.assertEqual(len(failing), 1, log)
        self.assertIn("Connection refused", failing[0])
        self.assertNotIn("[system:", log)
        self.assertNotIn(".hpp", log)


class UsageInjection(Base):
    """--openai-usage=inject: every /v1 stream is counted; clients see what they would without."""
    EXPORTER_ARGS = ["--openai-usage", "inject"]

    @staticmethod
    def events(raw):
        """The SSE events as JSON, without the fields that differ per answer."""
        out = []
        for line in raw.decode().split("\n"):
            if not line.startswith("data: "):
                continue
            data = line[len("data: "):]
            if data == "[DONE]":
                out.append(data)
                continue
            j = json.loads(data)
            j.pop("id", None)
            j.pop("created", None)
            out.append(j)
        return out

    def stream(self, port, path, body, chunked=False):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        data = json.dumps(body).encode()
        if chunked:
            c.request("POST", path, body=iter([data[:10], data[10:]]), headers={"Content-Type": "application/json"},
                      encode_chunked=True)
        else:
            c.request("POST", path, body=data, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        out = r.status, r.getheader("Content-Type"), r.read()
        c.close()
        return out

    def test_chat_stream_is_unchanged_for_the_client_and_counted(self):
        body = {"model": QWEN, "stream": True, "messages": [{"role": "user", "content": "a b c"}]}
        direct = self.stream(self.fake_port, "/v1/chat/completions", body)
        for chunked in (False, True):
            before = self.metrics()
            via = self.stream(self.port, "/v1/chat/completions", body, chunked)
            self.assertEqual(via[:2], direct[:2])
            self.assertEqual(self.events(via[2]), self.events(direct[2]))
            self.assertNotIn(b'"usage"', via[2])
            self.assertEqual(self.delta(before, "ollama_generated_tokens_total", model=QWEN), TOKENS)
            self.assertEqual(self.delta(before, "ollama_prompt_tokens_total", model=QWEN), 13)
            self.assertEqual(self.delta(before, "ollama_requests_finished_total", model=QWEN, reason="stop"), 1)

    def test_completions_stream_is_unchanged_for_the_client_and_counted(self):
        body = {"model": QWEN, "stream": True, "prompt": "x y", "max_tokens": 4}
        direct = self.stream(self.fake_port, "/v1/completions", body)
        before = self.metrics()
        via = self.stream(self.port, "/v1/completions", body)
        self.assertEqual(self.events(via[2]), self.events(direct[2]))
        self.assertNotIn(b'"usage"', via[2])
        self.assertEqual(self.delta(before, "ollama_generated_tokens_total", model=QWEN), 4)
        self.assertEqual(self.delta(before, "ollama_requests_finished_total", model=QWEN, reason="length"), 1)

    def test_a_client_that_asks_for_usage_gets_it_once(self):
        body = {"model": QWEN, "stream": True, "stream_options": {"include_usage": True},
                "messages": [{"role": "user", "content": "hi"}]}
        direct = self.stream(self.fake_port, "/v1/chat/completions", body)
        before = self.metrics()
        via = self.stream(self.port, "/v1/chat/completions", body)
        self.assertEqual(self.events(via[2]), self.events(direct[2]))
        self.assertEqual(via[2].count(b'"usage"'), 1)
        self.assertEqual(self.delta(before, "ollama_generated_tokens_total", model=QWEN), TOKENS)

    def test_requests_that_are_not_streams_are_untouched(self):
        for path, body in (("/v1/chat/completions", {"model": QWEN, "messages": [{"role": "user", "content": "hi"}]}),
                           ("/v1/chat/completions", {"model": QWEN, "stream": False, "messages": []}),
                           ("/api/chat", {"model": QWEN, "stream": True, "messages": [{"role": "user", "content": "hi"}]})):
            direct = self.stream(self.fake_port, path, body)
            via = self.stream(self.port, path, body)
            self.assertEqual(via[0], direct[0], path)
            strip = lambda raw: [{k: v for k, v in json.loads(l).items() if k not in ("id", "created", "created_at")}
                                 for l in raw.decode().splitlines() if l.strip()]
            if path.startswith("/api/"):
                self.assertEqual(len(strip(via[2])), len(strip(direct[2])))
            else:
                self.assertEqual(strip(via[2]), strip(direct[2]))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
