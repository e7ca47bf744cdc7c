#include "exporter/ollama_metrics.hpp"

#include <gtest/gtest.h>

#include "exporter/ps_poller.hpp"

namespace stackd::exporter {
namespace {

TEST(EndpointLabel, KnownRoutesAndBoundedRest) {
  EXPECT_EQ(endpoint_label("/api/generate"), "/api/generate");
  EXPECT_EQ(endpoint_label("/api/chat?x=1"), "/api/chat");
  EXPECT_EQ(endpoint_label("/v1/chat/completions/"), "/v1/chat/completions");
  EXPECT_EQ(endpoint_label("/v1/models/llama3"), "/v1/models");
  EXPECT_EQ(endpoint_label("/api/blobs/sha256:abc"), "/api/blobs");
  EXPECT_EQ(endpoint_label("/random/" + std::string(100, 'x')), "other");
  EXPECT_TRUE(uses_model_slot("/api/chat"));
  EXPECT_FALSE(uses_model_slot("/api/tags"));
}

TEST(ModelLabels, NormalisesAndBoundsUnknownNames) {
  ModelLabels labels(2, 20);
  labels.set_known({"llama3:latest"});
  EXPECT_EQ(labels.label("llama3"), "llama3:latest");
  EXPECT_EQ(labels.label("hf.co/org/model"), "hf.co/org/model:latest");
  EXPECT_EQ(labels.label("a:1"), "a:1");
  EXPECT_EQ(labels.label("b:1"), "other");  // over the cap of 2 unknown names
  EXPECT_EQ(labels.label("a:1"), "a:1");    // already admitted names stay
  EXPECT_EQ(labels.label(std::string(21, 'x')), "other");
  EXPECT_EQ(labels.label(""), "");
}

TEST(ApplyPs, SetsLoadedAndMemoryAndDropsUnloaded) {
  metrics::Registry reg;
  OllamaMetrics m(reg);
  ModelLabels labels;
  LoadedModels models;
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(apply_ps(R"({"models":[{"name":"a:1","size":100,"size_vram":60},{"name":"b","size":50,"size_vram":50}]})",
                       now, m, labels, models));
  auto text = reg.expose();
  EXPECT_NE(text.find("ollama_model_loaded{model=\"a:1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ollama_model_memory_bytes{model=\"a:1\",location=\"ram\"} 40\n"), std::string::npos);
  EXPECT_NE(text.find("ollama_model_memory_bytes{model=\"a:1\",location=\"vram\"} 60\n"), std::string::npos);
  EXPECT_NE(text.find("ollama_model_memory_bytes{model=\"b:latest\",location=\"ram\"} 0\n"), std::string::npos);
  ASSERT_TRUE(apply_ps(R"({"models":[{"name":"b","size":50,"size_vram":50}]})", now, m, labels, models));
  text = reg.expose();
  EXPECT_EQ(text.find("ollama_model_loaded{model=\"a:1\""), std::string::npos);
  EXPECT_EQ(text.find("ollama_model_offload_ratio{model=\"a:1\""), std::string::npos);
  EXPECT_FALSE(apply_ps("not json", now, m, labels, models));
  EXPECT_FALSE(apply_ps(R"({"models":3})", now, m, labels, models));
  EXPECT_NE(reg.expose().find("ollama_model_loaded{model=\"b:latest\"} 1"), std::string::npos);  // a bad answer changes nothing
  // Names of the wrong type are skipped, not fatal.
  EXPECT_TRUE(apply_ps(R"({"models":[{"name":7,"model":"c:1","size":1}]})", now, m, labels, models));
  EXPECT_NE(reg.expose().find("ollama_model_loaded{model=\"c:1\"} 1"), std::string::npos);
}

TEST(ApplyPs, OffloadContextAndKeepAliveLeft) {
  metrics::Registry reg;
  OllamaMetrics m(reg);
  ModelLabels labels;
  LoadedModels models;
  // As Ollama writes it: expires_at in the server's local zone.
  const auto now = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} + std::chrono::hours(12);
  ASSERT_TRUE(apply_ps(R"({"models":[{"name":"q:1","size":2000,"size_vram":500,"context_length":8192,)"
                       R"("expires_at":"2026-01-01T14:04:30.5+02:00"},)"
                       R"({"name":"g:1","size":1000,"size_vram":1000,"context_length":4096,"expires_at":"2025-12-31T00:00:00Z"},)"
                       R"({"name":"z:1","size":0,"size_vram":0,"expires_at":"soon"}]})",
                       now, m, labels, models));
  EXPECT_DOUBLE_EQ(m.model_offload_ratio.with({"q:1"}).value(), 0.75);
  EXPECT_DOUBLE_EQ(m.model_offload_ratio.with({"g:1"}).value(), 0);
  EXPECT_DOUBLE_EQ(m.model_offload_ratio.with({"z:1"}).value(), 0);
  EXPECT_DOUBLE_EQ(m.model_context_length.with({"q:1"}).value(), 8192);
  EXPECT_DOUBLE_EQ(m.model_expires_in.with({"q:1"}).value(), 270.5);
  EXPECT_DOUBLE_EQ(m.model_expires_in.with({"g:1"}).value(), 0);  // past: about to unload
  EXPECT_EQ(reg.expose().find("ollama_model_expires_in_seconds{model=\"z:1\"}"), std::string::npos);  // unparseable
  EXPECT_EQ(models.context_length("q:1"), 8192u);
  EXPECT_EQ(models.context_length("z:1"), std::nullopt);
}

TEST(ApplyPs, CountsLoadsAfterTheFirstAnswer) {
  metrics::Registry reg;
  OllamaMetrics m(reg);
  ModelLabels labels;
  LoadedModels models;
  const auto now = std::chrono::system_clock::now();
  auto ps = [&](const std::string& body) { ASSERT_TRUE(apply_ps(body, now, m, labels, models)); };
  ps(R"({"models":[{"name":"a:1","size":100,"context_length":4096}]})");  // loaded before the exporter started
  EXPECT_EQ(m.model_loads.with({"a:1"}).value(), 0);
  EXPECT_NE(reg.expose().find("ollama_model_loads_total{model=\"a:1\"} 0"), std::string::npos);  // a series from 0
  ps(R"({"models":[{"name":"a:1","size":100,"context_length":4096}]})");
  EXPECT_EQ(m.model_loads.with({"a:1"}).value(), 0);
  ps(R"({"models":[]})");  // unloaded
  ps(R"({"models":[{"name":"a:1","size":100,"context_length":4096},{"name":"b:1","size":5}]})");
  EXPECT_EQ(m.model_loads.with({"a:1"}).value(), 1);
  EXPECT_EQ(m.model_loads.with({"b:1"}).value(), 1);
  ps(R"({"models":[{"name":"a:1","size":120,"context_length":8192},{"name":"b:1","size":5}]})");  // reloaded with num_ctx 8192
  EXPECT_EQ(m.model_loads.with({"a:1"}).value(), 2);
  EXPECT_EQ(m.model_loads.with({"b:1"}).value(), 1);
  EXPECT_EQ(models.context_length("a:1"), 8192u);
}

TEST(ApplyVersion, OneSeriesForTheCurrentVersion) {
  metrics::Registry reg;
  OllamaMetrics m(reg);
  EXPECT_TRUE(apply_version(R"({"version":"0.12.6"})", m));
  EXPECT_TRUE(apply_version(R"({"version":"0.13.0"})", m));
  auto text = reg.expose();
  EXPECT_NE(text.find("ollama_version_info{version=\"0.13.0\"} 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("0.12.6"), std::string::npos) << text;
  EXPECT_FALSE(apply_version(R"({"version":7})", m));
  EXPECT_FALSE(apply_version(R"({"version":")" + std::string(100, 'v') + R"("})", m));
  EXPECT_FALSE(apply_version("nope", m));
}

TEST(OllamaMetrics, EveryNameOfTheContract) {
  // docs/exporter.md: names, types and labels are a contract.
  metrics::Registry reg;
  OllamaMetrics m(reg);
  m.inter_token_latency.with({"x"}).observe(0.01);
  m.time_per_output_token.with({"x"}).observe(0.01);
  m.prefill_duration.with({"x"}).observe(0.01);
  m.decode_duration.with({"x"}).observe(0.01);
  m.load_duration.with({"x"}).observe(0.01);
  m.queue_wait.with({"x"}).observe(0.01);
  m.prefill_tokens_per_second.with({"x"}).observe(100);
  m.cached_prompt_tokens.with({"x"}).inc();
  m.request_prompt_tokens.with({"x"}).observe(10);
  m.request_generation_tokens.with({"x"}).observe(10);
  m.finished.with({"x", "stop"}).inc();
  m.errors.with({"/api/chat", "x", "busy"}).inc();
  m.model_context_length.with({"x"}).set(1);
  m.model_offload_ratio.with({"x"}).set(1);
  m.model_expires_in.with({"x"}).set(1);
  m.model_loads.with({"x"}).inc();
  m.context_fill.with({"x"}).observe(0.5);
  m.version_info.with({"0.1"}).set(1);
  m.parallel_slots.get().set(1);
  const auto text = reg.expose();
  for (const char* line :
       {"# TYPE ollama_inter_token_latency_seconds histogram", "# TYPE ollama_time_per_output_token_seconds histogram",
        "# TYPE ollama_request_prefill_duration_seconds histogram", "# TYPE ollama_request_decode_duration_seconds histogram",
        "# TYPE ollama_request_load_duration_seconds histogram", "# TYPE ollama_request_queue_wait_seconds histogram",
        "# TYPE ollama_prefill_tokens_per_second histogram", "# TYPE ollama_prompt_cached_tokens_total counter",
        "# TYPE ollama_request_prompt_tokens histogram", "# TYPE ollama_request_generation_tokens histogram",
        "# TYPE ollama_requests_finished_total counter", "# TYPE ollama_request_errors_total counter",
        "# TYPE ollama_model_context_length gauge", "# TYPE ollama_model_offload_ratio gauge",
        "# TYPE ollama_model_expires_in_seconds gauge", "# TYPE ollama_model_loads_total counter",
        "# TYPE ollama_context_fill_ratio histogram", "# TYPE ollama_version_info gauge", "# TYPE ollama_parallel_slots gauge",
        "ollama_requests_finished_total{model=\"x\",reason=\"stop\"} 1",
        "ollama_request_errors_total{endpoint=\"/api/chat\",model=\"x\",kind=\"busy\"} 1",
        "ollama_request_generation_tokens_bucket{model=\"x\",le=\"1e+06\"} 1"})
    EXPECT_NE(text.find(line), std::string::npos) << line;
  // HELP says which are estimates.
  for (const char* name : {"ollama_request_queue_wait_seconds Estimate", "ollama_context_fill_ratio Estimate"})
    EXPECT_NE(text.find(std::string("# HELP ") + name), std::string::npos) << name;
}

}  // namespace
}  // namespace stackd::exporter
