// Hot reload against a real engine and the real Prometheus 2.42 (Debian's
// binaries in an offline image): asserts on what Prometheus serves and what
// the container holds, not on which calls were made.
#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <algorithm>

#include "clients/prometheus/prometheus_client.hpp"
#include "reconcilers/live_config/live_config_reloader.hpp"
#include "desired/prometheus/prometheus_config.hpp"
#include "tests/prometheus/test_engine.hpp"

namespace net = boost::asio;
using namespace stackd;
using namespace stackd::prometheus;
using live_config::ReloadOutcome;
using live_config::to_string;

namespace {
// Prometheus's reload policy, as the config key uses it.
const live_config::ReloadPolicy& policy() { return *live_config::policy_for(desired::LiveSet::PrometheusConfig); }
}  // namespace
using Kind = ReloadOutcome::Kind;

namespace {

bool g_started_engine = false;

class EngineEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    // No silent skip: an engine that cannot be started fails every test.
    g_started_engine = test_support::ensure_test_engine();
  }
  void TearDown() override {
    if (g_started_engine) test_support::stop_test_engine();
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new EngineEnvironment);

std::string rule_group(const std::vector<std::string>& alerts) {
  std::string s = "groups:\n- name: stackd-test\n  rules:\n";
  for (const auto& a : alerts) s += "  - alert: " + a + "\n    expr: vector(1) > 2\n    for: 1m\n    labels: {severity: info}\n";
  return s;
}

ConfigInput input_for(unsigned short port, const std::string& rules) {
  ConfigInput in;
  in.scrape_interval = std::chrono::seconds(1);
  in.evaluation_interval = std::chrono::seconds(1);
  in.targets = {{"prometheus", "127.0.0.1:" + std::to_string(port)}};
  in.rule_files = {{"alerts.yml", rules}};
  return in;
}

std::vector<std::string> alert_names(const std::vector<RuleSummary>& rules) {
  std::vector<std::string> names;
  for (const auto& r : rules) names.push_back(r.name);
  std::sort(names.begin(), names.end());
  return names;
}

class PrometheusReload : public ::testing::Test {
 protected:
  template <class F>
  auto exec(F f) {
    auto fut = net::co_spawn(io_, f(), net::use_future);
    io_.restart();
    io_.run();
    return fut.get();
  }
  void SetUp() override {
    docker_ = std::make_unique<docker::Client>(io_.get_executor(), docker::Client::endpoint_from_env());
    port_ = test_support::free_loopback_port();
    endpoint_ = http::Endpoint::parse("http://127.0.0.1:" + std::to_string(port_));
    name_ = std::string("stackd-it-prom-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    // Named: the coroutine holds a reference to it until it completes.
    const auto files = render_files(input_for(port_, rule_group({"First"})));
    id_ = exec([&]() { return test_support::start_prometheus(*docker_, name_, port_, files); });
  }
  void TearDown() override {
    if (!id_.empty()) exec([&]() { return docker_->remove_container(id_, true); });
  }
  ReloadOutcome apply(const std::vector<TarFile>& files) {
    return exec([&]() { return live_config::reload_live_files(*docker_, id_, endpoint_, files, policy(), clock_); });
  }
  std::vector<std::string> served_alerts() {
    return alert_names(exec([&]() -> net::awaitable<std::vector<RuleSummary>> {
      Client prom(io_.get_executor(), endpoint_);
      co_return co_await prom.rules();
    }));
  }
  std::string started_at() {
    return exec([&]() { return docker_->inspect_container(id_); })->state.started_at;
  }
  std::string live_yml() {
    return exec([&]() -> net::awaitable<std::string> {
      auto archive = co_await docker_->get_archive(id_, "/etc/prometheus/stackd/prometheus.yml");
      co_return archive ? read_tar(*archive).at(0).content : std::string();
    });
  }

  bool exists(const std::string& path) {
    return exec([&]() { return docker_->stat_path(id_, path); }).has_value();
  }

  net::io_context io_;
  runtime::SystemClock clock_{io_.get_executor()};
  std::unique_ptr<docker::Client> docker_;
  unsigned short port_ = 0;
  http::Endpoint endpoint_;
  std::string name_, id_;
};

TEST_F(PrometheusReload, RuleAndScrapeEditsBecomeActiveWithoutRestart) {
  const std::string started = started_at();
  EXPECT_EQ(served_alerts(), std::vector<std::string>{"First"});

  auto edited = input_for(port_, rule_group({"First", "Second"}));
  edited.scrape_interval = std::chrono::seconds(7);
  auto outcome = apply(render_files(edited));
  EXPECT_EQ(outcome.kind, Kind::Reloaded) << outcome.message;

  EXPECT_EQ(served_alerts(), (std::vector<std::string>{"First", "Second"}));
  auto loaded = exec([&]() -> net::awaitable<std::string> {
    Client prom(io_.get_executor(), endpoint_);
    co_return co_await prom.loaded_config();
  });
  EXPECT_NE(loaded.find("scrape_interval: 7s"), std::string::npos) << loaded;
  EXPECT_EQ(started_at(), started) << "Prometheus was restarted";
  // The test image has a shell, as upstream's does: promtool's exec renamed
  // the checked files into place, so none is left in the staging dir.
  ASSERT_TRUE(exists("/bin/sh"));
  EXPECT_TRUE(exists("/etc/prometheus/stackd/prometheus.yml"));
  EXPECT_FALSE(exists("/etc/prometheus/stackd-staging/prometheus.yml"));

  // Level-triggered: the same desired files again change nothing (the
  // renamed files kept the mtime that fingerprints their content).
  EXPECT_EQ(apply(render_files(edited)).kind, Kind::Unchanged);
}

TEST_F(PrometheusReload, InvalidRuleIsRejectedWithPromtoolsMessageAndOldRulesStay) {
  const std::string yml_before = live_yml();
  auto bad = input_for(port_, "groups:\n- name: stackd-test\n  rules:\n  - alert: Broken\n    expr: sum(rate(x[5m]) by\n");
  auto outcome = apply(render_files(bad));
  EXPECT_EQ(outcome.kind, Kind::Rejected);
  EXPECT_NE(outcome.message.find("alerts.yml"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("parse error"), std::string::npos) << outcome.message;
  EXPECT_EQ(served_alerts(), std::vector<std::string>{"First"});
  EXPECT_EQ(live_yml(), yml_before);
}

// promtool 2.42 does not open global.query_log_file; Prometheus opens it on
// reload and fails when its directory does not exist (checked by hand against
// Debian's 2.42: promtool "SUCCESS", POST /-/reload 500).
TEST_F(PrometheusReload, ConfigPromtoolAcceptsButPrometheusRefusesIsRolledBack) {
  auto files = render_files(input_for(port_, rule_group({"First", "Second"})));
  auto& yml = files.at(0).content;
  const auto pos = yml.find("global:\n");
  ASSERT_NE(pos, std::string::npos);
  yml.insert(pos + 8, "  query_log_file: /nonexistent-dir/query.log\n");

  auto outcome = apply(files);
  EXPECT_EQ(outcome.kind, Kind::RolledBack) << outcome.message;
  EXPECT_NE(outcome.message.find("failed to reload config"), std::string::npos) << outcome.message;
  EXPECT_EQ(live_yml().find("query_log_file"), std::string::npos) << "the refused file is still live";
  EXPECT_EQ(served_alerts(), std::vector<std::string>{"First"});
  auto gauges = exec([&]() -> net::awaitable<ReloadGauges> {
    Client prom(io_.get_executor(), endpoint_);
    co_return co_await prom.reload_gauges();
  });
  EXPECT_TRUE(gauges.last_reload_successful) << "Prometheus was left with a failed reload";

  // A good edit afterwards goes through.
  auto good = apply(render_files(input_for(port_, rule_group({"First", "Third"}))));
  EXPECT_EQ(good.kind, Kind::Reloaded) << good.message;
  EXPECT_EQ(served_alerts(), (std::vector<std::string>{"First", "Third"}));
}

TEST_F(PrometheusReload, ScrapesItselfThroughTheGeneratedConfig) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  double up = 0;
  while (up != 1 && std::chrono::steady_clock::now() < deadline) {
    auto data = exec([&]() -> net::awaitable<nlohmann::json> {
      Client prom(io_.get_executor(), endpoint_);
      co_return co_await prom.query("up{job=\"prometheus\"}");
    });
    if (!data["result"].empty()) up = std::stod(data["result"][0]["value"][1].get<std::string>());
    if (up != 1) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(up, 1);
}

}  // namespace
