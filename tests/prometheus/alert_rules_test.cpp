// The shipped alert rules through the real promtool: manifests/prometheus/
// alerts.yml rendered the way stackd renders it (its placeholders filled
// from spec.alerts) passes `promtool check rules` and the rule unit tests,
// and a threshold from the manifest moves the alert: the thresholds test
// passes on the manifest's rendering and fails on the defaults.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/v1alpha1/loader.hpp"
#include "reconcilers/prometheus/alert_thresholds.hpp"

using namespace stackd;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Run {
  int exit_code;
  std::string output;
};

Run run(const std::string& command) {
  std::array<char, 4096> buf;
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  while (p && std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  int status = p ? ::pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

manifest::Alerts alerts_of(const std::string& spec_alerts) {
  manifest::LoadOptions o;
  o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto m = manifest::load_from_string(
      "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: t}\nspec:\n  prometheus: {}\n" + spec_alerts,
      (fs::temp_directory_path() / "stack.yaml").string(), o);
  return m.alerts;
}

// A directory holding the rendered alerts.yml and one promtool test file.
class RuleDir {
 public:
  RuleDir(const manifest::Alerts& alerts, const std::string& test_file) {
    static int n = 0;
    path_ = fs::temp_directory_path() / ("stackd-alert-rules-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(path_);
    const fs::path src(STACKD_SOURCE_DIR);
    rendered_ = prometheus::render_alert_thresholds(read(src / "manifests/prometheus/alerts.yml"), alerts, "alerts.yml");
    std::ofstream(path_ / "alerts.yml") << rendered_;
    fs::copy_file(src / "tests/prometheus" / test_file, path_ / test_file);
    test_file_ = test_file;
  }
  ~RuleDir() { fs::remove_all(path_); }
  Run check() const { return run(std::string(STACKD_PROMTOOL) + " check rules " + (path_ / "alerts.yml").string()); }
  Run test() const { return run("cd " + path_.string() + " && " + STACKD_PROMTOOL + " test rules " + test_file_); }
  const std::string& rendered() const { return rendered_; }

 private:
  fs::path path_;
  std::string test_file_, rendered_;
};

const char* kTuned =
    "  alerts:\n"
    "    ollamaQueueBacklog: {threshold: 3, for: 2m}\n"
    "    ollamaHighResponseTime: {threshold: 10s, for: 1m}\n"
    "    runbookUrl: https://runbooks.example.org/stackd.md\n";

TEST(AlertRules, DefaultRenderingIsValidAndPassesTheRuleTests) {
  RuleDir dir(alerts_of(""), "alerts_test.yml");
  EXPECT_EQ(dir.rendered().find("${"), std::string::npos) << "a placeholder was left unrendered";
  auto checked = dir.check();
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  auto tested = dir.test();
  EXPECT_EQ(tested.exit_code, 0) << tested.output;
}

TEST(AlertRules, DefaultsAreTheSeeds) {
  RuleDir dir(alerts_of(""), "alerts_test.yml");
  EXPECT_NE(dir.rendered().find("ollama_queue_depth > 10\n        for: 10m"), std::string::npos) << dir.rendered();
  EXPECT_NE(dir.rendered().find(") > 30\n        for: 5m"), std::string::npos) << dir.rendered();
}

TEST(AlertRules, ManifestThresholdsMoveTheAlerts) {
  RuleDir tuned(alerts_of(kTuned), "alert_thresholds_test.yml");
  auto checked = tuned.check();
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  auto passes = tuned.test();
  EXPECT_EQ(passes.exit_code, 0) << passes.output;
  // The same cases against the seed's thresholds: the alerts must not fire.
  RuleDir defaults(alerts_of(""), "alert_thresholds_test.yml");
  auto fails = defaults.test();
  EXPECT_NE(fails.exit_code, 0) << fails.output;
  EXPECT_NE(fails.output.find("OllamaQueueBacklog"), std::string::npos) << fails.output;
  EXPECT_NE(fails.output.find("OllamaHighResponseTime"), std::string::npos) << fails.output;
}

TEST(AlertRules, UnknownPlaceholderIsAnError) {
  manifest::Alerts none;
  EXPECT_THROW(prometheus::render_alert_thresholds("x > ${alerts.nope.threshold:-1}", none, "r.yml"), std::invalid_argument);
  EXPECT_THROW(prometheus::render_alert_thresholds("x > ${alerts.ollamaQueueBacklog.threshold}", none, "r.yml"),
               std::invalid_argument);
  // Other ${...} text is the user's: left alone.
  EXPECT_EQ(prometheus::render_alert_thresholds("a ${HOME} b", none, "r.yml"), "a ${HOME} b");
}

}  // namespace
