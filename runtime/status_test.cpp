#include "runtime/status.hpp"

#include <gtest/gtest.h>

#include "runtime/fake_clock.hpp"

namespace stackd::runtime {
namespace {

using namespace std::chrono_literals;

TEST(StackStatus, TransitionTimeChangesOnlyWhenStatusFlips) {
  FakeClock clock;
  StackStatus s;
  const SystemTime t0 = clock.system_now();
  EXPECT_TRUE(s.set_condition(kConditionReady, false, "Reconciling", "starting", t0));
  clock.advance(10s);
  EXPECT_TRUE(s.set_condition(kConditionReady, false, "ImagePull", "pulling prom/prometheus", clock.system_now()));
  EXPECT_EQ(s.condition(kConditionReady)->last_transition_time, t0);
  EXPECT_FALSE(s.set_condition(kConditionReady, false, "ImagePull", "pulling prom/prometheus", clock.system_now()));
  clock.advance(10s);
  EXPECT_TRUE(s.set_condition(kConditionReady, true, "Converged", "", clock.system_now()));
  EXPECT_EQ(s.condition(kConditionReady)->last_transition_time, t0 + 20s);
  EXPECT_TRUE(s.is_true(kConditionReady));
  EXPECT_FALSE(s.is_true(kConditionDegraded));
}

TEST(StackStatus, SecretsAreRedactedAndMessagesBounded) {
  StackStatus s;
  s.set_redactions({"hunter2", "", "hunter2-long"});
  s.record_reconcile("grafana", "abc", "running", "login as admin:hunter2-long failed; hunter2 again\x1b[31m",
                     SystemTime{});
  EXPECT_EQ(s.components["grafana"].last_error, "login as admin:***** failed; ***** again [31m");
  s.set_condition(kConditionDegraded, true, "X", std::string(10000, 'a'), SystemTime{});
  EXPECT_LE(s.condition(kConditionDegraded)->message.size(), kMaxStatusMessage);
  const std::string dumped = nlohmann::json(s).dump();
  EXPECT_EQ(dumped.find("hunter2"), std::string::npos);
}

TEST(StackStatus, JsonRoundTripsInTheServedShape) {
  StackStatus s;
  s.stack = "frontier-llm";
  s.applied_revision = "sha256:aa";
  s.attempted_revision = "sha256:bb";
  const SystemTime t = *parse_time("2026-01-02T03:04:05Z");
  s.set_condition(kConditionReady, true, "Converged", "all components match", t);
  s.set_condition(kConditionDegraded, false, "AsExpected", "", t);
  s.record_reconcile("prometheus", "0123456789abcdef", "running", "", t);
  s.components["grafana"] = ComponentStatus{.name = "grafana", .state = "missing"};

  const nlohmann::json j = s;
  EXPECT_EQ(j["stack"], "frontier-llm");
  EXPECT_EQ(j["appliedRevision"], "sha256:aa");
  EXPECT_EQ(j["conditions"][0]["type"], "Ready");
  EXPECT_EQ(j["conditions"][0]["status"], "True");
  EXPECT_EQ(j["conditions"][0]["lastTransitionTime"], "2026-01-02T03:04:05Z");
  EXPECT_EQ(j["components"][1]["name"], "prometheus");
  EXPECT_EQ(j["components"][1]["containerId"], "0123456789abcdef");
  EXPECT_TRUE(j["components"][0]["lastReconcileTime"].is_null());

  const StackStatus back = j.get<StackStatus>();
  EXPECT_EQ(nlohmann::json(back), j);
}

TEST(StackStatus, FromJsonRejectsForeignDocuments) {
  EXPECT_THROW(nlohmann::json::parse(R"({"status":"ok"})").get<StackStatus>(), std::invalid_argument);
  EXPECT_THROW(nlohmann::json::parse(R"({"conditions":[{"type":"Ready","status":"yes"}]})").get<StackStatus>(),
               std::invalid_argument);
  nlohmann::json many = {{"conditions", nlohmann::json::array()}, {"components", nlohmann::json::array()}};
  for (int i = 0; i < 100; ++i) many["components"].push_back({{"name", std::to_string(i)}});
  EXPECT_THROW(many.get<StackStatus>(), std::invalid_argument);
}

TEST(FormatTime, RoundTripsAndRejectsGarbage) {
  const SystemTime t = SystemTime(std::chrono::seconds(1'767'225'600));
  EXPECT_EQ(format_time(t), "2026-01-01T00:00:00Z");
  EXPECT_EQ(parse_time("2026-01-01T00:00:00Z"), t);
  EXPECT_EQ(parse_time("2026-01-01T00:00:00.123456Z"), t);
  EXPECT_EQ(parse_time("2026-01-01 00:00:00"), std::nullopt);
  EXPECT_EQ(parse_time(""), std::nullopt);
}

TEST(FormatStatus, PrintsConditionsAndComponents) {
  StackStatus s;
  s.stack = "frontier-llm";
  s.applied_revision = "sha256:aa";
  const SystemTime t = *parse_time("2026-01-02T03:04:05Z");
  s.set_condition(kConditionDegraded, true, "NameConflict", "container frontier-llm-grafana is not ours", t);
  s.record_reconcile("grafana", "0123456789abcdef", "running", "name conflict", t);
  const std::string text = format_status(s, t + 3min);
  EXPECT_NE(text.find("frontier-llm"), std::string::npos);
  EXPECT_NE(text.find("Degraded      True    NameConflict"), std::string::npos) << text;
  EXPECT_NE(text.find("3m ago"), std::string::npos) << text;
  EXPECT_NE(text.find("0123456789ab "), std::string::npos) << text;
  EXPECT_NE(text.find("name conflict"), std::string::npos) << text;
}

TEST(FormatStatus, AMultiLineMessageIsCutToItsFirstLineInTheTableAndKeptWholeInJson) {
  StackStatus s;
  const SystemTime t = *parse_time("2026-01-02T03:04:05Z");
  const std::string promtool = "prometheus-config: promtool check config (exit 1): Checking prometheus.yml\n"
                               "  FAILED: rules.yml: 3:11: parse error\n\n  more\n";
  s.set_condition(kConditionDegraded, true, "PrometheusConfigRejected", promtool, t);
  s.record_reconcile("prometheus", "0123456789abcdef", "running", "line one\nline two", t);
  const std::string text = format_status(s, t);
  EXPECT_NE(text.find("prometheus-config: promtool check config (exit 1): Checking prometheus.yml (+3 lines: stackd "
                      "status -o json)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("FAILED"), std::string::npos) << text;
  EXPECT_NE(text.find("line one (+1 line: stackd status -o json)\n"), std::string::npos) << text;
  const nlohmann::json j = s;
  EXPECT_EQ(j["conditions"][0]["message"], promtool);
  EXPECT_EQ(first_line("single"), "single");
  EXPECT_EQ(first_line("single\n"), "single");
}

}  // namespace
}  // namespace stackd::runtime
