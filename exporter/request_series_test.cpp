#include "exporter/request_series.hpp"

#include <gtest/gtest.h>

namespace stackd::exporter {
namespace {

TEST(RequestSeries, UpdatesTheFamiliesChildren) {
  metrics::Registry registry;
  OllamaMetrics m(registry);
  RequestSeries series(m);
  auto& s = series.get("/api/generate", "llama3:latest");
  s.requests("200").inc();
  s.requests("200").inc();
  s.requests("499").inc();
  s.duration().observe(0.3);
  s.model().in_flight().inc();
  s.model().generated_tokens().inc(7);
  EXPECT_EQ(m.requests.with({"/api/generate", "llama3:latest", "200"}).value(), 2);
  EXPECT_EQ(m.requests.with({"/api/generate", "llama3:latest", "499"}).value(), 1);
  EXPECT_EQ(m.request_duration.with({"/api/generate", "llama3:latest"}).snapshot().count, 1u);
  EXPECT_EQ(m.in_flight.with({"llama3:latest"}).value(), 1);
  EXPECT_EQ(m.generated_tokens.with({"llama3:latest"}).value(), 7);
}

TEST(RequestSeries, SameLabelsSameSeriesOtherLabelsOthers) {
  metrics::Registry registry;
  OllamaMetrics m(registry);
  RequestSeries series(m);
  auto& a = series.get("/api/chat", "a:1");
  EXPECT_EQ(&a, &series.get("/api/chat", "a:1"));
  auto& b = series.get("/api/chat", "b:1");
  auto& c = series.get("/api/generate", "a:1");
  EXPECT_NE(&a, &b);
  EXPECT_NE(&a, &c);
  // One model, one set of model children, whatever the endpoint.
  EXPECT_EQ(&a.model(), &c.model());
  a.model().in_flight().inc();
  c.model().in_flight().inc();
  EXPECT_EQ(m.in_flight.with({"a:1"}).value(), 2);
  EXPECT_EQ(m.in_flight.with({"b:1"}).value(), 0);
}

TEST(RequestSeries, CreatesNoSeriesBeforeItsFirstUse) {
  metrics::Registry registry;
  OllamaMetrics m(registry);
  RequestSeries series(m);
  auto& s = series.get("/api/embed", "e:1");
  s.model().in_flight().inc();
  s.requests("200").inc();
  const auto text = registry.expose();
  EXPECT_NE(text.find("ollama_requests_total{endpoint=\"/api/embed\",model=\"e:1\",status=\"200\"} 1"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("ollama_time_to_first_token_seconds_count{model=\"e:1\"}"), std::string::npos) << text;
  EXPECT_EQ(text.find("ollama_prompt_tokens_total{model=\"e:1\"}"), std::string::npos) << text;
}

}  // namespace
}  // namespace stackd::exporter
