"""Every PromQL expression of every panel of the shipped Grafana dashboards
returns data from a real Prometheus (Debian's /usr/bin/prometheus) scraping
the exporter in front of the fake Ollama, a real node-exporter, and a
fixture exposition of stackd's daemon metrics. All on 127.0.0.1.

Usage: dashboards_prometheus_test.py EXPORTER_BIN FAKE_OLLAMA_BIN DASHBOARD_DIR"""
import glob
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness

EXPORTER, FAKE, DASHBOARDS = sys.argv[1], sys.argv[2], sys.argv[3]
PROMETHEUS = "/usr/bin/prometheus"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"

# The daemon's metric names; served from a fixture
# because this test exercises the dashboards, not the daemon.
STACKD_FIXTURE = """# TYPE stackd_reconcile_total counter
stackd_reconcile_total{reconciler="containers",result="success"} %(n)d
stackd_reconcile_total{reconciler="containers",result="error"} %(e)d
stackd_reconcile_total{reconciler="grafana",result="success"} %(n)d
# TYPE stackd_reconcile_duration_seconds histogram
stackd_reconcile_duration_seconds_bucket{reconciler="containers",le="0.1"} %(n)d
stackd_reconcile_duration_seconds_bucket{reconciler="containers",le="1"} %(n)d
stackd_reconcile_duration_seconds_bucket{reconciler="containers",le="+Inf"} %(n)d
stackd_reconcile_duration_seconds_sum{reconciler="containers"} %(s)f
stackd_reconcile_duration_seconds_count{reconciler="containers"} %(n)d
# TYPE stackd_drift_repairs_total counter
stackd_drift_repairs_total{kind="container"} %(e)d
# TYPE stackd_workqueue_depth gauge
stackd_workqueue_depth 1
# TYPE stackd_prometheus_reload_total counter
stackd_prometheus_reload_total{result="success"} %(e)d
# TYPE stackd_last_successful_reconcile_timestamp_seconds gauge
stackd_last_successful_reconcile_timestamp_seconds %(t)f
"""


class FixtureHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        n = int(time.time() * 10) % 100000
        body = (STACKD_FIXTURE % {"n": n, "e": n // 7, "s": n * 0.05, "t": time.time()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def substitute(expr):
    """Grafana template variables -> what Grafana would send for 'All' and a
    short dashboard range."""
    for var, value in [("$__rate_interval", "20s"), ("$__interval", "1s"), ("$__range", "1m"),
                       ("$model", ".*"), ("$instance", ".*")]:
        expr = expr.replace(var, value)
    return expr


def is_gpu_query(expr):
    """A query of the GPU recording rules (manifests/prometheus/gpu.yml): data
    only where a GPU exporter runs; tests/e2e/gpu_e2e_test.cpp proves those."""
    return "gpu:" in expr or "energy_per_generated_token" in expr


def panels(dashboard):
    for p in dashboard.get("panels", []):
        yield p
        for inner in p.get("panels", []):  # collapsed rows hold their panels
            yield inner


class DashboardsReturnData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for binary in (PROMETHEUS, NODE_EXPORTER):
            if not os.access(binary, os.X_OK):  # a missing dependency fails the test; it never skips
                raise AssertionError(f"{binary} is required (apt-get install prometheus prometheus-node-exporter)")
        cls.procs = harness.Processes()
        cls.tmp = tempfile.mkdtemp(prefix="stackd-dash-it-")
        # Cached counts on: Ollama reports them since ollama/ollama#17943, and
        # the cache-hit panel needs them.
        cls.fake_port, cls.exp_port = harness.start_fake_and_exporter(
            cls.procs, FAKE, EXPORTER, fake_env={"FAKE_OLLAMA_TOKEN_DELAY_MS": "20", "OLLAMA_MAX_QUEUE": "1",
                                                 "FAKE_OLLAMA_CACHED_COUNT": "1"})
        cls.node_port = harness.free_port()
        cls.procs.start("node-exporter", [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{cls.node_port}"])
        cls.fixture = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FixtureHandler)
        threading.Thread(target=cls.fixture.serve_forever, daemon=True).start()
        cls.prom_port = harness.free_port()
        config = os.path.join(cls.tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: ollama-exporter
    static_configs: [{{targets: ['127.0.0.1:{cls.exp_port}']}}]
  - job_name: node
    static_configs: [{{targets: ['127.0.0.1:{cls.node_port}']}}]
  - job_name: stackd
    static_configs: [{{targets: ['127.0.0.1:{cls.fixture.server_address[1]}']}}]
""")
        cls.procs.start("prometheus", [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={cls.tmp}/data",
                                       f"--web.listen-address=127.0.0.1:{cls.prom_port}"])
        harness.wait_http(cls.prom_port, "/-/ready", timeout=30)
        cls.send_traffic(rounds=6, pause=0.5)

    @classmethod
    def send_traffic(cls, rounds, pause):
        p = cls.exp_port
        for i in range(rounds):
            harness.post(p, "/api/generate", {"model": "llama3.2:1b", "prompt": f"round {i}"})
            harness.post(p, "/api/chat", {"model": "qwen2.5:0.5b", "messages": [{"role": "user", "content": "hi"}]})
            harness.post(p, "/api/chat", {"model": "llama3.2:1b", "messages": [{"role": "user", "content": "[fail-midstream]"}]})
            harness.post(p, "/v1/chat/completions", {"model": "qwen2.5:0.5b", "stream": True, "stream_options": {"include_usage": True},
                                                     "messages": [{"role": "user", "content": "x"}]})
            harness.post(p, "/api/generate", {"model": "qwen2.5:0.5b", "prompt": "long [tokens:20]", "options": {"num_predict": 4}})
            harness.post(p, "/api/embed", {"model": "qwen2.5:0.5b", "input": "embed me"})
            # Unloaded, then three at once: one loads it, one waits in Ollama's
            # queue (OLLAMA_MAX_QUEUE=1), one gets 503; the poller sees a load.
            harness.post(p, "/api/generate", {"model": "llama3.2:1b", "keep_alive": 0})
            threads = [threading.Thread(target=harness.post, args=(p, "/api/generate", {"model": "llama3.2:1b", "prompt": "q"}))
                       for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            time.sleep(pause)

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()
        cls.fixture.shutdown()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def query(self, expr):
        url = f"/api/v1/query?query={urllib.parse.quote(expr)}"
        return json.loads(harness.get(self.prom_port, url))

    def test_every_panel_query_returns_data(self):
        files = sorted(glob.glob(os.path.join(DASHBOARDS, "*.json")))
        self.assertGreaterEqual(len(files), 3, f"dashboards missing in {DASHBOARDS}")
        checked, empty = 0, []
        for path in files:
            with open(path) as f:
                dash = json.load(f)
            self.assertNotIn("dashboard", dash, f"{path}: plain dashboard JSON expected, not wrapped")
            for key in ("uid", "title", "panels"):
                self.assertIn(key, dash, path)
            for panel in panels(dash):
                if panel.get("type") == "row":
                    continue
                # Every panel queries Prometheus through the dashboard's
                # datasource variable (a Prometheus datasource picker).
                self.assertEqual(panel.get("datasource", {}).get("uid"), "${datasource}", f"{path}: {panel['title']}")
                self.assertEqual(panel.get("datasource", {}).get("type"), "prometheus", f"{path}: {panel['title']}")
                for target in panel.get("targets", []):
                    if is_gpu_query(target["expr"]):
                        continue
                    expr = substitute(target["expr"])
                    # Retry briefly: the last scrapes may still be landing.
                    for _ in range(10):
                        answer = self.query(expr)
                        self.assertEqual(answer["status"], "success", f"{path}: {panel['title']}: {expr}: {answer}")
                        if answer["data"]["result"]:
                            break
                        time.sleep(0.5)
                    checked += 1
                    if not answer["data"]["result"]:
                        empty.append(f"{os.path.basename(path)} / {panel['title']} / {target['refId']}: {expr}")
        self.assertFalse(empty, "panel queries without data:\n" + "\n".join(empty))
        print(f"{checked} panel queries returned data", file=sys.stderr)

    def test_template_variable_queries_list_values(self):
        for path in sorted(glob.glob(os.path.join(DASHBOARDS, "*.json"))):
            with open(path) as f:
                dash = json.load(f)
            variables = dash.get("templating", {}).get("list", [])
            pickers = [v for v in variables if v.get("type") == "datasource"]
            self.assertEqual([(v["name"], v["query"]) for v in pickers], [("datasource", "prometheus")], path)
            for var in variables:
                if var.get("type") == "datasource":
                    continue
                q = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
                if is_gpu_query(q):
                    continue
                # label_values(metric, label) -> the series API Grafana uses.
                self.assertTrue(q.startswith("label_values("), q)
                metric, label = [s.strip() for s in q[len("label_values("):-1].split(",")]
                answer = json.loads(harness.get(self.prom_port, f"/api/v1/label/{label}/values?match[]={urllib.parse.quote(metric)}"))
                self.assertTrue(answer["data"], f"{path}: variable {var['name']} has no values")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
