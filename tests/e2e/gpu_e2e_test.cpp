// GPU metrics end to end on the real engine (issue 26), without a GPU: the
// stack runs each exporter's fixture (tests/fakes/gpu_exporters: their real
// output formats) with `devices: none`, or Debian's node-exporter reading a
// fixture amdgpu sysfs tree through the manifest's volumes and args. For
// each, every vendor-neutral recording rule returns the fixture's values,
// every GPU panel query of the shipped dashboards returns data, and the
// energy per generated token has a value once Ollama traffic flows through
// stackd's exporter. And with `vendor: nvidia` and every GPU on this engine
// (no NVIDIA container toolkit), the rest of the stack converges, the stack
// is Degraded with GPUUnavailable, and the refused exporter is not started
// in a loop.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/e2e/dashboard_queries.hpp"
#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int kProm = 29820, kNode = 29821, kGpu = 29822, kExporter = 29823, kOllama = 29824, kApi = 29829;
constexpr const char* kHost = "gpu-box";

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The stack of these tests: Prometheus with the shipped GPU rules, the Ollama
// exporter in front of the fake Ollama, node-exporter, and `gpu`.
std::string manifest(const std::string& stack, const std::string& gpu, const std::string& node_exporter_extra = "",
                     bool ollama = true) {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: " + stack +
         "}\nspec:\n  network: host\n  stackd: {port: " + std::to_string(kApi) +
         "}\n  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: " + std::to_string(kProm) +
         "\n    scrapeInterval: 1s\n    rules: [prometheus/gpu.yml]\n    externalLabels: {host: " + kHost +
         "}\n  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: " + std::to_string(kNode) + "\n" +
         node_exporter_extra +
         (ollama ? "  ollama:\n    url: http://127.0.0.1:" + std::to_string(kOllama) +
                       "\n    exporter: {image: stackd-test/stackd:e2e, port: " + std::to_string(kExporter) + "}\n"
                 : std::string()) +
         "  gpu:\n" + gpu;
}

// One series of a query: its labels and value.
struct Sample {
  std::map<std::string, std::string> labels;
  double value;
};

std::vector<Sample> samples(const std::string& expr) {
  std::vector<Sample> out;
  auto j = prometheus_query(kProm, expr);
  if (j.is_discarded() || j.value("status", "") != "success") return out;
  for (const auto& r : j["data"]["result"]) {
    Sample s{{}, std::stod(r["value"][1].get<std::string>())};
    for (const auto& [k, v] : r["metric"].items()) s.labels[k] = v.get<std::string>();
    out.push_back(std::move(s));
  }
  return out;
}

// The query succeeded and returned no series: a failed query (Prometheus
// not answering, a rule name it rejects) is not "no data".
::testing::AssertionResult answers_no_series(const std::string& expr) {
  auto j = prometheus_query(kProm, expr);
  if (j.is_discarded() || j.value("status", "") != "success")
    return ::testing::AssertionFailure() << expr << " failed: " << (j.is_discarded() ? "no answer" : j.dump());
  if (!j["data"]["result"].empty()) return ::testing::AssertionFailure() << expr << " returned " << j["data"]["result"].dump();
  return ::testing::AssertionSuccess();
}

// The one value of `expr` at evaluation time `time`; nullopt when the query
// fails or does not give exactly one series.
std::optional<double> value_at(const std::string& expr, const std::string& time) {
  auto j = prometheus_query(kProm, expr, time);
  if (j.is_discarded() || j.value("status", "") != "success" || j["data"]["result"].size() != 1) return std::nullopt;
  return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
}

// A recorded series (one) holds exactly what `inputs` gives at the time the
// rule was evaluated: the same PromQL over the rule's own inputs, asked of
// Prometheus at that evaluation's timestamp. Tried on later evaluations too:
// a scrape stamped before an evaluation may be stored just after it.
void expect_recorded_exactly(const std::string& recorded, const std::string& inputs) {
  std::string seen;
  EXPECT_TRUE(eventually([&] {
    auto ts = samples("timestamp(" + recorded + ")");
    if (ts.size() != 1) return false;
    char at[32];
    std::snprintf(at, sizeof at, "%.3f", ts[0].value);
    auto got = value_at(recorded, at), want = value_at(inputs, at);
    seen = std::string("at ") + at + ": " + recorded + " = " + (got ? std::to_string(*got) : "none") + ", " + inputs +
           " = " + (want ? std::to_string(*want) : "none");
    return got && want && *got > 0 && std::abs(*got - *want) <= 1e-9 * std::abs(*want);
  }, 30s)) << seen;
}

// What a recording rule must give for one card: its labels and value.
struct Expected {
  std::string gpu, model_name, vendor;
  double value;
};

// The rule returns exactly these series (labels host, gpu, model_name,
// vendor) with exactly these values.
void expect_rule(const std::string& rule, const std::vector<Expected>& cards) {
  std::string seen;
  const bool ok = eventually([&] {
    auto got = samples(rule);
    seen.clear();
    for (const auto& s : got) {
      seen += "{";
      for (const auto& [k, v] : s.labels) seen += k + "=" + v + ",";
      seen += "} " + std::to_string(s.value) + "\n";
    }
    if (got.size() != cards.size()) return false;
    for (const auto& c : cards) {
      bool found = false;
      for (const auto& s : got)
        found |= s.labels == std::map<std::string, std::string>{{"__name__", rule}, {"host", kHost}, {"gpu", c.gpu},
                                                                  {"model_name", c.model_name}, {"vendor", c.vendor}} &&
                 s.value == c.value;
      if (!found) return false;
    }
    return true;
  }, 30s);
  EXPECT_TRUE(ok) << rule << " returned:\n" << seen;
}

// Ollama traffic through stackd's exporter until Prometheus has two samples of
// the generated-token counter that differ, so rate() over it is positive.
void send_ollama_traffic() {
  const std::string proxy = "http://127.0.0.1:" + std::to_string(kExporter);
  auto generate = [&] {
    auto r = sh("curl -sf " + proxy + "/api/generate -d '{\"model\":\"llama3.2:1b\",\"prompt\":\"hi\",\"stream\":false}'");
    EXPECT_EQ(r.exit_code, 0) << r.output;
  };
  generate();
  ASSERT_TRUE(eventually([] { return !samples("sum(ollama_generated_tokens_total)").empty(); }, 20s));
  const double first = samples("sum(ollama_generated_tokens_total)")[0].value;
  generate();
  ASSERT_TRUE(eventually([&] {
    auto s = samples("sum(ollama_generated_tokens_total)");
    return !s.empty() && s[0].value > first;
  }, 20s));
}

// Every query of the shipped dashboards' GPU panels returns data; the energy
// panel only where the exporter reports energy.
void expect_gpu_panels_answer(bool exporter_reports_energy) {
  int checked = 0;
  for (const auto& [where, expr] : shipped_panel_queries()) {
    if (!is_gpu_query(expr)) continue;
    if (!exporter_reports_energy && expr.find("gpu:energy:joules") != std::string::npos) continue;
    ++checked;
    const auto e = as_grafana_sends(expr);
    EXPECT_TRUE(eventually([&] { return !samples(e).empty(); }, 20s))
        << where << ": " << e << " -> " << prometheus_query(kProm, e).dump();
  }
  EXPECT_GE(checked, 12) << "the GPU dashboard and the GPU row of Ollama LLM Performance";
}

// A stack directory with the shipped GPU rules and the fake Ollama.
struct GpuStack {
  explicit GpuStack(const std::string& name) : dir(name) {
    dir.write("prometheus/gpu.yml", read_file(fs::path(source_dir()) / "manifests/prometheus/gpu.yml"));
    ollama = std::make_unique<BackgroundProcess>(
        "env OLLAMA_HOST=127.0.0.1:" + std::to_string(kOllama) + " FAKE_OLLAMA_TOKEN_DELAY_MS=1 " + STACKD_E2E_FAKE_OLLAMA,
        dir.write("ollama.log", ""));
  }
  void apply(const std::string& text) {
    dir.write("stack.yaml", text);
    auto r = run_stackd("apply -f " + dir.manifest());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  StackDir dir;
  std::unique_ptr<BackgroundProcess> ollama;
};

}  // namespace

TEST(GpuE2E, DcgmExporterRulesPanelsAndEnergyPerToken) {
  GpuStack s("e2e-gpu-dcgm");
  s.apply(manifest(s.dir.stack(), "    vendor: nvidia\n    exporter: dcgm\n    devices: none\n"
                                  "    image: stackd-test/dcgm-exporter:fixture\n    port: " + std::to_string(kGpu) + "\n"));
  EXPECT_EQ(inspect(s.dir.stack() + "-gpu-exporter", "{{.State.Running}}"), "true");
  const std::string m0 = "NVIDIA GeForce RTX 4090", m1 = "NVIDIA GeForce RTX 3090";
  expect_rule("gpu:utilization:ratio", {{"0", m0, "nvidia", 0.87}, {"1", m1, "nvidia", 0}});
  expect_rule("gpu:memory_used:bytes", {{"0", m0, "nvidia", 21843.0 * 1048576}, {"1", m1, "nvidia", 1.0 * 1048576}});
  expect_rule("gpu:memory_total:bytes",
              {{"0", m0, "nvidia", (21843.0 + 2361 + 360) * 1048576}, {"1", m1, "nvidia", (1.0 + 23943 + 319) * 1048576}});
  expect_rule("gpu:power:watts", {{"0", m0, "nvidia", 285.512}, {"1", m1, "nvidia", 21.8}});
  expect_rule("gpu:temperature:celsius", {{"0", m0, "nvidia", 71}, {"1", m1, "nvidia", 38}});
  // Energy is a counter growing at the card's power (the fixture's 285512
  // mJ/s from 1234567890 mJ): joules from the base on, at 285.512 W.
  ASSERT_TRUE(eventually([] { return samples("gpu:energy:joules").size() == 2; }, 20s));
  for (const auto& e : samples("gpu:energy:joules")) {
    EXPECT_EQ(e.labels.at("host"), kHost);
    EXPECT_GE(e.value, e.labels.at("gpu") == "0" ? 1234567.890 : 987654.321) << e.labels.at("gpu");
  }
  // Exactly the exporter's counter in joules at each evaluation, per card.
  for (const char* card : {"0", "1"})
    expect_recorded_exactly(std::string("gpu:energy:joules{gpu=\"") + card + "\"}",
                            std::string("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"") + card + "\"} / 1000");
  EXPECT_TRUE(eventually([] {
    auto r = samples("rate(gpu:energy:joules{gpu=\"0\"}[15s])");
    return r.size() == 1 && std::abs(r[0].value - 285.512) < 285.512 * 0.01;
  }, 30s)) << prometheus_query(kProm, "rate(gpu:energy:joules[15s])").dump();
  send_ollama_traffic();
  EXPECT_TRUE(eventually([] {
    auto r = samples("ollama:energy_per_generated_token:joules");
    return r.size() == 1 && r[0].labels.at("host") == kHost && r[0].value > 0 && std::isfinite(r[0].value);
  }, 30s)) << prometheus_query(kProm, "ollama:energy_per_generated_token:joules").dump();
  // Energy counted: the cards' energy rate over the token rate, exactly.
  expect_recorded_exactly("ollama:energy_per_generated_token:joules",
                          "sum(rate(gpu:energy:joules[5m])) / sum(rate(ollama_generated_tokens_total[5m]))");
  expect_gpu_panels_answer(true);
}

TEST(GpuE2E, NvidiaSmiExporterRulesPanelsAndEnergyPerToken) {
  GpuStack s("e2e-gpu-smi");
  s.apply(manifest(s.dir.stack(), "    vendor: nvidia\n    exporter: nvidia-smi\n    devices: none\n"
                                  "    image: stackd-test/nvidia-gpu-exporter:fixture\n    port: " + std::to_string(kGpu) + "\n"));
  const std::string m = "NVIDIA GeForce RTX 4080 SUPER";
  expect_rule("gpu:utilization:ratio", {{"0", m, "nvidia", 0.07}});
  expect_rule("gpu:memory_used:bytes", {{"0", m, "nvidia", 1545601024}});
  expect_rule("gpu:memory_total:bytes", {{"0", m, "nvidia", 17171480576}});
  expect_rule("gpu:power:watts", {{"0", m, "nvidia", 84.24}});
  expect_rule("gpu:temperature:celsius", {{"0", m, "nvidia", 46}});
  EXPECT_TRUE(answers_no_series("gpu:energy:joules")) << "its default (nvidia-smi) backend reports no energy";
  // Energy per token from the average power instead: the fixture's constant
  // 84.24 W over the token rate, exactly.
  send_ollama_traffic();
  EXPECT_TRUE(eventually([] {
    auto r = samples("ollama:energy_per_generated_token:joules");
    return r.size() == 1 && r[0].value > 0 && std::isfinite(r[0].value);
  }, 30s)) << prometheus_query(kProm, "ollama:energy_per_generated_token:joules").dump();
  expect_recorded_exactly("ollama:energy_per_generated_token:joules",
                          "84.24 / sum(rate(ollama_generated_tokens_total[5m]))");
  expect_gpu_panels_answer(false);
}

TEST(GpuE2E, AmdCardsThroughNodeExportersDrmAndHwmonCollectors) {
  GpuStack s("e2e-gpu-amd");
  // The fixture sysfs tree in a named volume, node-exporter pointed at it:
  // stackd adds --collector.drm and --collector.hwmon and leaves --path.sysfs
  // to the user. node-exporter refuses to start on a sysfs path that does
  // not exist, so the tree goes into the volume first (through the running
  // node-exporter of a first apply), then the args point at it.
  const std::string volume = "    volumes: ['" + s.dir.stack() + "-sysfs:/fixture']\n";
  s.apply(manifest(s.dir.stack(), "    vendor: amd\n", volume));
  const std::string node = s.dir.stack() + "-node-exporter";
  const auto tree = fs::path(s.dir.write("sysfs/.keep", "")).parent_path();
  auto made = sh(source_dir() + "/tests/fakes/gpu_exporters/amd-sysfs.sh " + (tree / "sys").string() +
                 " && docker cp " + tree.string() + "/. " + node + ":/fixture");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  s.apply(manifest(s.dir.stack(), "    vendor: amd\n", volume + "    args: [--path.sysfs=/fixture/sys]\n"));
  EXPECT_EQ(inspect(node, "{{json .Args}}"),
            "[\"--web.listen-address=127.0.0.1:" + std::to_string(kNode) +
                "\",\"--path.rootfs=/host\",\"--collector.drm\",\"--collector.hwmon\",\"--path.sysfs=/fixture/sys\"]");
  EXPECT_FALSE(container_exists(s.dir.stack() + "-gpu-exporter")) << "AMD cards need no container of their own";
  expect_rule("gpu:utilization:ratio", {{"0", "amdgpu", "amd", 0.04}});
  expect_rule("gpu:memory_used:bytes", {{"0", "amdgpu", "amd", 1490378752}});
  expect_rule("gpu:memory_total:bytes", {{"0", "amdgpu", "amd", 8573157376}});
  expect_rule("gpu:temperature:celsius", {{"0", "amdgpu", "amd", 61}});
  expect_rule("gpu:power:watts", {{"0", "amdgpu", "amd", 198}});
  EXPECT_TRUE(answers_no_series("gpu:energy:joules")) << "node-exporter reports no energy";
  send_ollama_traffic();
  EXPECT_TRUE(eventually([] {
    auto r = samples("ollama:energy_per_generated_token:joules");
    return r.size() == 1 && r[0].value > 0 && std::isfinite(r[0].value);
  }, 30s)) << prometheus_query(kProm, "ollama:energy_per_generated_token:joules").dump();
  // The fixture's constant 198 W over the token rate, exactly.
  expect_recorded_exactly("ollama:energy_per_generated_token:joules", "198 / sum(rate(ollama_generated_tokens_total[5m]))");
  expect_gpu_panels_answer(false);
}

// vendor: nvidia, devices: all on this engine, which has no NVIDIA container
// toolkit: the engine creates the exporter and refuses every start of it.
TEST(GpuE2E, NoToolkitIsGpuUnavailableWithTheRestConvergedAndNoRestartLoop) {
  StackDir dir("e2e-gpu-none");
  dir.write("prometheus/gpu.yml", read_file(fs::path(source_dir()) / "manifests/prometheus/gpu.yml"));
  dir.write("stack.yaml", manifest(dir.stack(),
                                   "    vendor: nvidia\n    image: stackd-test/dcgm-exporter:fixture\n    port: " +
                                       std::to_string(kGpu) + "\n",
                                   "", false));
  const std::string gpu = dir.stack() + "-gpu-exporter";
  // The engine's own record of the attempts: its log names every refused
  // start (HTTP 500 on 20.10), its events every create.
  const auto engine_log = fs::path(std::string(STACKD_E2E_DOCKER_HOST).substr(std::string("unix://").size())).parent_path() / "dockerd.log";
  ASSERT_TRUE(!std::getenv("STACKD_TEST_DOCKER_HOST") && fs::exists(engine_log))
      << "counting refused starts needs the test engine's log at " << engine_log;
  auto refused_starts = [&] {
    std::istringstream lines(read_file(engine_log));
    int n = 0;
    for (std::string line; std::getline(lines, line);)
      n += line.find("could not select device driver") != std::string::npos && line.find("/start") != std::string::npos;
    return n;
  };
  const int refused_before = refused_starts();
  auto unix_now = [] {
    auto out = sh("date +%s").output;
    return out.substr(0, out.find('\n'));
  };
  const auto since = unix_now();

  StackdProcess daemon("run -f " + dir.manifest(), dir.write("daemon.log", ""));
  ASSERT_TRUE(eventually([&] {
    auto status = nlohmann::json::parse(http_get(kApi, "/status"), nullptr, false);
    if (status.is_discarded()) return false;
    for (const auto& c : status["conditions"])
      if (c["type"] == "Degraded") return c["status"] == "True" && c["reason"] == "GPUUnavailable";
    return false;
  }, 60s)) << http_get(kApi, "/status") << daemon.log();
  // The minute counted starts here, once the refusal is known, however long
  // the daemon took to get there.
  const auto degraded_at = std::chrono::steady_clock::now();
  const int refused_at_degraded = refused_starts() - refused_before;
  const auto status = nlohmann::json::parse(http_get(kApi, "/status"));
  // The GPU component's own entry says why, not only the stack's condition.
  bool gpu_reported = false;
  for (const auto& c : status["components"]) {
    if (c.value("name", "") != "gpu-exporter") continue;
    gpu_reported = true;
    EXPECT_EQ(c.value("state", ""), "devices unavailable") << c.dump();
    const auto error = c.value("lastError", "");
    EXPECT_NE(error.find("could not select device driver \"nvidia\" with capabilities: [[gpu]]"), std::string::npos)
        << error;
    EXPECT_NE(error.find("install the NVIDIA container toolkit"), std::string::npos) << error;
  }
  EXPECT_TRUE(gpu_reported) << status.dump();
  for (const auto& c : status["conditions"])
    if (c["type"] == "Degraded") {
      const auto message = c["message"].get<std::string>();
      EXPECT_NE(message.find("could not select device driver \"nvidia\" with capabilities: [[gpu]]"), std::string::npos)
          << message;
      EXPECT_NE(message.find("install the NVIDIA container toolkit"), std::string::npos) << message;
      EXPECT_NE(message.find("spec.gpu.vendor: none"), std::string::npos) << message;
    }
  // The rest converged: running, and Prometheus answers.
  EXPECT_EQ(inspect(dir.stack() + "-prometheus", "{{.State.Running}}"), "true");
  EXPECT_EQ(inspect(dir.stack() + "-node-exporter", "{{.State.Running}}"), "true");
  EXPECT_TRUE(eventually([] { return http_get(kProm, "/-/ready").find("Ready") != std::string::npos; }, 30s));
  EXPECT_EQ(inspect(gpu, "{{.State.Status}}"), "created");
  EXPECT_EQ(inspect(gpu, "{{.State.Error}}"), "could not select device driver \"nvidia\" with capabilities: [[gpu]]");

  // A minute from the refusal on: one create in all, the refused start and
  // the one its own create event brings, nothing after.
  std::this_thread::sleep_until(degraded_at + 60s);
  const auto until = unix_now();
  auto creates = sh("docker events --since " + since + " --until " + until + " --filter container=" + gpu +
                    " --filter event=create --format '{{.Action}}' | wc -l");
  EXPECT_EQ(std::stoi(creates.output), 1) << creates.output;
  const int refused = refused_starts() - refused_before;
  EXPECT_GE(refused_at_degraded, 1) << "the engine's log does not show the refused start";
  EXPECT_LE(refused, 2) << "the refused exporter is started again and again";
  EXPECT_LE(refused - refused_at_degraded, 1) << "started again during the minute after the refusal";
  EXPECT_EQ(inspect(gpu, "{{.State.Status}}"), "created");
  EXPECT_TRUE(daemon.running()) << daemon.log();

  // diff says what it found and what apply would do (start it again).
  auto diff = run_stackd("diff -f " + dir.manifest());
  EXPECT_EQ(diff.exit_code, 3) << diff.output;
  EXPECT_NE(diff.output.find("GPUs: nvidia (spec.gpu.vendor: nvidia)"), std::string::npos) << diff.output;
  EXPECT_NE(diff.output.find("start    container " + gpu +
                             ": created; its last start was refused: could not select device driver"),
            std::string::npos)
      << diff.output;
  EXPECT_EQ(daemon.stop(SIGTERM, 20s), 0) << daemon.log();
}
