// A raw Alertmanager config judged in its image before the container is
// created: which sets are checked, the verdict told in the user's file, and
// a plan applied on the in-memory engine with a config the image's checker
// refuses creates no Alertmanager container (the real engine and Debian's
// amtool: tests/e2e/alertmanager_e2e_test.cpp).
#include "reconcilers/live_config/create_check.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "api/v1alpha1/loader.hpp"
#include "clients/docker/fake_engine.hpp"
#include "desired/alertmanager/alertmanager_config.hpp"
#include "desired/render.hpp"
#include "reconcilers/containers/apply.hpp"
#include "reconcilers/containers/plan.hpp"
#include "runtime/fake_clock.hpp"

using namespace stackd;
using namespace stackd::live_config;
using alertmanager::kConfigFile;
namespace net = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr auto kAlertmanager = manifest::ComponentKind::Alertmanager;
constexpr auto kPrometheus = manifest::ComponentKind::Prometheus;

const char* kGoodRule = "groups:\n- name: g\n  rules:\n  - alert: Good\n    expr: up == 0\n";
const char* kBadRule = "groups:\n- name: g\n  rules:\n  - alert: Bad\n    expr: up ==\n";
const char* kExtra = "- job_name: mine\n  static_configs:\n    - targets: ['127.0.0.1:1']\n  scrape_interval: 5mx\n";

// What promtool 2.42 prints for `check config` on a prometheus.yml whose
// rule file rules/bad.yml has the expression of kBadRule.
std::string promtool_rejects_rule() {
  return "Checking /etc/prometheus/stackd/prometheus.yml\n  SUCCESS: 1 rule files found\n SUCCESS: "
         "/etc/prometheus/stackd/prometheus.yml is valid prometheus config file syntax\n\nChecking "
         "/etc/prometheus/stackd/rules/bad.yml\n  FAILED:\n     /etc/prometheus/stackd/rules/bad.yml: 5:11: group \"g\", "
         "rule 1, \"Bad\": could not parse expression: 1:6: parse error: unexpected end of input\n";
}

// The image's promtool, as the real one answers: exit 1 for kBadRule;
// nullopt for the component's own container, which runs Prometheus.
std::optional<std::pair<int, std::string>> fake_promtool(const docker::FakeEngine::Container& c) {
  if (c.create_body.value("Entrypoint", nlohmann::json::array()).empty()) return std::nullopt;
  auto it = c.files.find("/etc/prometheus/stackd/rules/bad.yml");
  if (it != c.files.end() && it->second.content.find("up ==\n") != std::string::npos)
    return std::pair<int, std::string>{1, promtool_rejects_rule()};
  return std::pair<int, std::string>{0, "Checking /etc/prometheus/stackd/prometheus.yml\n SUCCESS\n"};
}

const char* kMissingReceiver =
    "route:\n  receiver: ops\n  routes:\n    - matchers: ['severity=\"critical\"']\n      receiver: pager\n"
    "receivers:\n  - name: ops\n";
const char* kValid = "route:\n  receiver: ops\nreceivers:\n  - name: ops\n";

class Stack {
 public:
  Stack() : dir_(fs::temp_directory_path() / ("stackd-create-check-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_ / "alertmanager");
  }
  ~Stack() { fs::remove_all(dir_); }
  void write(const std::string& relative, const std::string& content) const {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << content;
  }
  desired::DesiredState render(const std::string& alertmanager, const std::string& custom = kValid,
                               const std::string& others = "  prometheus: {port: 19090}\n") const {
    std::ofstream(dir_ / "alertmanager/custom.yml") << custom;
    std::ofstream(dir_ / "stack.yaml") << "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\n"
                                          "spec:\n  network: host\n" + others + "  alertmanager:\n" + alertmanager;
    manifest::LoadOptions o;
    o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    return desired::render(manifest::load((dir_ / "stack.yaml").string(), o), {"pw", "stackd:dev", ""});
  }

 private:
  fs::path dir_;
};

const char* kRaw = "    port: 19093\n    configFile: alertmanager/custom.yml\n";
const char* kGenerated = "    port: 19093\n    receivers:\n      - name: ops\n        webhook: {url: 'http://127.0.0.1:5001/'}\n";

// The image's amtool, as the real one answers (exit 1 and its FAILED line
// for a route naming an undefined receiver); nullopt for the component's own
// container, which runs Alertmanager.
std::optional<std::pair<int, std::string>> fake_amtool(const docker::FakeEngine::Container& c) {
  if (c.create_body.value("Entrypoint", nlohmann::json::array()).empty()) return std::nullopt;
  auto it = c.files.find(kConfigFile);
  if (it == c.files.end()) return std::pair<int, std::string>{1, "open: no such file or directory\n"};
  if (it->second.content.find("receiver: pager") != std::string::npos)
    return std::pair<int, std::string>{
        1, "Checking '" + std::string(kConfigFile) + "'  FAILED: undefined receiver \"pager\" used in route\n\namtool: error: failed to validate 1 file(s)\n"};
  return std::pair<int, std::string>{0, "Checking '" + std::string(kConfigFile) + "'  SUCCESS\n"};
}

containers::ApplyResult apply(docker::FakeEngine& engine, const desired::DesiredState& desired,
                              std::vector<std::string>& said) {
  net::io_context io;
  runtime::FakeClock clock;
  auto f = net::co_spawn(
      io,
      [&]() -> net::awaitable<containers::ApplyResult> {
        auto plan = co_await containers::make_plan(engine, desired);
        containers::ApplyOptions o;
        o.clock = &clock;
        o.start_grace = std::chrono::milliseconds(0);
        o.progress = [&said](const std::string& line) { said.push_back(line); };
        o.check_before_create = [&engine](const desired::DesiredState& d, const desired::ContainerSpec& spec,
                                          std::function<void(const std::string&)> say) {
          return check_before_create(engine, d, spec, std::move(say));
        };
        co_return co_await containers::apply_plan(engine, desired, plan, o);
      },
      net::use_future);
  io.run();
  return f.get();
}

void add_images(docker::FakeEngine& engine, const desired::DesiredState& d) {
  for (const auto& c : d.containers) engine.add_image(c.image);
  engine.set_image_behaviour(d.container(kAlertmanager)->image, {.runs_to_completion = fake_amtool});
}

}  // namespace

TEST(CheckBeforeCreate, OnlyARawConfigTheUserWroteIsChecked) {
  Stack stack;
  auto raw = stack.render(kRaw);
  auto sets = sets_checked_before_create(raw, kAlertmanager);
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0]->kind, desired::LiveSet::AlertmanagerConfig);
  EXPECT_TRUE(sets_checked_before_create(raw, manifest::ComponentKind::Prometheus).empty())
      << "a prometheus.yml without rules or extra scrape configs is stackd's own, checked when it renders";
  EXPECT_TRUE(sets_checked_before_create(stack.render(kGenerated), kAlertmanager).empty());
}

// Prometheus loads the user's rule files and scrape configs: a fresh
// Prometheus is created only once the image's promtool accepts them.
TEST(CheckBeforeCreate, PrometheusIsCheckedWhenItLoadsRulesOrScrapeConfigsTheUserWrote) {
  Stack stack;
  stack.write("prometheus/alerts.yml", kGoodRule);
  stack.write("prometheus/extra.yml", kExtra);
  for (const char* prometheus : {"  prometheus:\n    port: 19090\n    rules: [prometheus/alerts.yml]\n",
                                 "  prometheus:\n    port: 19090\n    extraScrapeConfigs: prometheus/extra.yml\n"}) {
    auto d = stack.render(kGenerated, kValid, prometheus);
    auto sets = sets_checked_before_create(d, kPrometheus);
    ASSERT_EQ(sets.size(), 1u) << prometheus;
    EXPECT_EQ(sets[0]->kind, desired::LiveSet::PrometheusConfig);
  }
}

TEST(CheckBeforeCreate, PromtoolsVerdictIsToldInTheUsersRuleFileFirst) {
  Stack stack;
  stack.write("prometheus/rules/bad.yml", kBadRule);
  auto d = stack.render(kGenerated, kValid, "  prometheus:\n    port: 19090\n    rules: [prometheus/rules/bad.yml]\n");
  const auto* set = d.live_set(desired::LiveSet::PrometheusConfig);
  ASSERT_NE(set, nullptr);
  auto line = rejected_before_create(*set, "prom/prometheus:v2.42.0", promtool_rejects_rule());
  EXPECT_EQ(line.rfind("prometheus/rules/bad.yml:5:11: group \"g\", rule 1, \"Bad\": could not parse expression", 0), 0u)
      << line;
  EXPECT_NE(line.find("promtool check config in prom/prometheus:v2.42.0 rejects the Prometheus configuration; "
                      "its container was not created"),
            std::string::npos)
      << line;
}

TEST(CheckBeforeCreate, PromtoolsVerdictOnAnExtraScrapeConfigIsToldInTheUsersFile) {
  Stack stack;
  stack.write("prometheus/extra.yml", kExtra);
  auto d = stack.render(kGenerated, kValid, "  prometheus:\n    port: 19090\n    extraScrapeConfigs: prometheus/extra.yml\n");
  const auto* set = d.live_set(desired::LiveSet::PrometheusConfig);
  ASSERT_NE(set, nullptr);
  auto line = rejected_before_create(
      *set, "prom/prometheus:v2.42.0",
      "Checking /etc/prometheus/stackd/prometheus.yml\n  FAILED: parsing YAML file "
      "/etc/prometheus/stackd/prometheus.yml: not a valid duration string: \"5mx\"\n");
  EXPECT_EQ(line.rfind("prometheus/extra.yml:4:20: ", 0), 0u) << line;
}

TEST(CheckBeforeCreate, ARuleFilePromtoolRejectsCreatesNoPrometheus) {
  Stack stack;
  stack.write("prometheus/rules/bad.yml", kBadRule);
  auto d = stack.render(kGenerated, kValid, "  prometheus:\n    port: 19090\n    rules: [prometheus/rules/bad.yml]\n");
  docker::FakeEngine engine;
  add_images(engine, d);
  engine.set_image_behaviour(d.container(kPrometheus)->image, {.runs_to_completion = fake_promtool});
  std::vector<std::string> said;
  auto result = apply(engine, d, said);
  EXPECT_FALSE(result.ok());
  const auto prom = std::find_if(result.results.begin(), result.results.end(),
                                 [](const containers::ComponentResult& r) { return r.name == "demo-prometheus"; });
  ASSERT_NE(prom, result.results.end());
  EXPECT_TRUE(prom->config_rejected);
  EXPECT_EQ(prom->error.rfind("prometheus/rules/bad.yml:5:11: ", 0), 0u) << prom->error;
  for (const auto& c : engine.containers()) {
    EXPECT_NE(c.name, "demo-prometheus") << "a rule file promtool refuses never reaches a container";
    EXPECT_EQ(c.name.find("config-check"), std::string::npos) << "the check's container is removed";
  }

  // The fixed file: checked, then created with it.
  stack.write("prometheus/rules/bad.yml", kGoodRule);
  d = stack.render(kGenerated, kValid, "  prometheus:\n    port: 19090\n    rules: [prometheus/rules/bad.yml]\n");
  said.clear();
  result = apply(engine, d, said);
  EXPECT_TRUE(result.ok()) << result.first_error();
  auto created = engine.find("demo-prometheus");
  ASSERT_NE(created, nullptr);
  EXPECT_TRUE(created->running());
  EXPECT_NE(std::find(said.begin(), said.end(), "checked the Prometheus configuration with promtool check config in " +
                                                    created->image),
            said.end())
      << testing::PrintToString(said);
}

TEST(CheckBeforeCreate, TheVerdictIsToldInTheUsersFile) {
  Stack stack;
  auto d = stack.render(kRaw, kMissingReceiver);
  const auto* set = d.live_set(desired::LiveSet::AlertmanagerConfig);
  auto line = rejected_before_create(*set, "prom/alertmanager:v0.27.0",
                                     "Checking '" + std::string(kConfigFile) +
                                         "'  FAILED: undefined receiver \"pager\" used in route\n");
  EXPECT_EQ(line.rfind("alertmanager/custom.yml:5:17: undefined receiver \"pager\" used in route\n", 0), 0u) << line;
  EXPECT_NE(line.find("amtool check-config in prom/alertmanager:v0.27.0 rejects the Alertmanager configuration; "
                      "its container was not created"),
            std::string::npos)
      << line;
}

TEST(CheckBeforeCreate, ARejectedRawConfigCreatesNoAlertmanagerAndTheRestOfTheStackRuns) {
  Stack stack;
  auto d = stack.render(kRaw, kMissingReceiver);
  docker::FakeEngine engine;
  add_images(engine, d);
  std::vector<std::string> said;
  auto result = apply(engine, d, said);
  EXPECT_FALSE(result.ok());
  const auto am = std::find_if(result.results.begin(), result.results.end(),
                               [](const containers::ComponentResult& r) { return r.name == "demo-alertmanager"; });
  ASSERT_NE(am, result.results.end());
  EXPECT_TRUE(am->config_rejected);
  EXPECT_NE(am->error.find("alertmanager/custom.yml:5:17: undefined receiver \"pager\""), std::string::npos) << am->error;
  for (const auto& c : engine.containers()) {
    EXPECT_NE(c.name, "demo-alertmanager") << "a config amtool refuses never reaches a container";
    EXPECT_EQ(c.name.find("config-check"), std::string::npos) << "the check's container is removed";
  }
  auto prometheus = engine.find("demo-prometheus");
  ASSERT_NE(prometheus, nullptr);
  EXPECT_TRUE(prometheus->running());
}

TEST(CheckBeforeCreate, AnAcceptedRawConfigIsCreatedWithItsFiles) {
  Stack stack;
  auto d = stack.render(kRaw, kValid);
  docker::FakeEngine engine;
  add_images(engine, d);
  std::vector<std::string> said;
  auto result = apply(engine, d, said);
  EXPECT_TRUE(result.ok()) << result.first_error();
  auto am = engine.find("demo-alertmanager");
  ASSERT_NE(am, nullptr);
  EXPECT_TRUE(am->running());
  ASSERT_TRUE(am->files.contains(kConfigFile));
  EXPECT_EQ(am->files.at(kConfigFile).content, kValid);
  EXPECT_NE(std::find(said.begin(), said.end(),
                      "checked the Alertmanager configuration with amtool check-config in " + am->image),
            said.end());
}

TEST(CheckBeforeCreate, ACheckThatCannotRunIsToldAndDoesNotStopTheCreate) {
  Stack stack;
  auto d = stack.render(kRaw, kValid, "");
  docker::FakeEngine engine;
  add_images(engine, d);
  // A custom image without amtool: the engine refuses to start the check
  // (the first start of this apply: the check runs before the create).
  engine.fail_next("start_container", "",
                   docker::DockerError(400, "failed to create task for container: exec: \"/bin/amtool\": stat "
                                            "/bin/amtool: no such file or directory"));
  std::vector<std::string> said;
  auto result = apply(engine, d, said);
  EXPECT_TRUE(result.ok()) << result.first_error();
  auto am = engine.find("demo-alertmanager");
  ASSERT_NE(am, nullptr);
  EXPECT_TRUE(am->running());
  EXPECT_TRUE(std::any_of(said.begin(), said.end(), [](const std::string& l) {
    return l.rfind("could not run amtool check-config in ", 0) == 0 && l.find("/bin/amtool") != std::string::npos &&
           l.find("creating demo-alertmanager with its configuration unchecked") != std::string::npos;
  })) << testing::PrintToString(said);
  EXPECT_EQ(engine.find("demo-alertmanager-config-check"), nullptr);
}
