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
  ASSERT_TRUE(apply_ps(R"({"models":[{"name":"a:1","size":100,"size_vram":60},{"name":"b","size":50,"size_vram":50}]})",
                       m, labels));
  auto text = reg.expose();
  EXPECT_NE(text.find("ollama_model_loaded{model=\"a:1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ollama_model_memory_bytes{model=\"a:1\",location=\"ram\"} 40\n"), std::string::npos);
  EXPECT_NE(text.find("ollama_model_memory_bytes{model=\"a:1\",location=\"vram\"} 60\n"), std::string::npos);
  EXPECT_NE(text.find("ollama_model_memory_bytes{model=\"b:latest\",location=\"ram\"} 0\n"), std::string::npos);
  ASSERT_TRUE(apply_ps(R"({"models":[{"name":"b","size":50,"size_vram":50}]})", m, labels));
  text = reg.expose();
  EXPECT_EQ(text.find("a:1"), std::string::npos);
  EXPECT_FALSE(apply_ps("not json", m, labels));
  EXPECT_FALSE(apply_ps(R"({"models":3})", m, labels));
  EXPECT_NE(reg.expose().find("b:latest"), std::string::npos);  // a bad answer changes nothing
}

}  // namespace
}  // namespace stackd::exporter
