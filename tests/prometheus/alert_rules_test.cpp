// The shipped alert rules through the real promtool: manifests/prometheus/
// alerts.yml rendered the way stackd renders it (its placeholders filled
// from spec.alerts) passes `promtool check rules` and the rule unit tests,
// and a threshold from the manifest moves the alert: the thresholds test
// passes on the manifest's rendering and fails on the defaults.
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/v1alpha1/loader.hpp"
#include "desired/prometheus/alert_thresholds.hpp"

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
  // rule_file: a file of manifests/prometheus/ (alerts.yml, gpu.yml).
  RuleDir(const manifest::Alerts& alerts, const std::string& test_file, const std::string& rule_file = "alerts.yml") {
    static int n = 0;
    path_ = fs::temp_directory_path() / ("stackd-alert-rules-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(path_);
    const fs::path src(STACKD_SOURCE_DIR);
    rendered_ = prometheus::render_alert_thresholds(read(src / "manifests/prometheus" / rule_file), alerts, rule_file);
    std::ofstream(path_ / rule_file) << rendered_;
    fs::copy_file(src / "tests/prometheus" / test_file, path_ / test_file);
    test_file_ = test_file;
    rule_file_ = rule_file;
  }
  ~RuleDir() { fs::remove_all(path_); }
  Run check() const { return run(std::string(STACKD_PROMTOOL) + " check rules " + (path_ / rule_file_).string()); }
  Run test() const { return run("cd " + path_.string() + " && " + STACKD_PROMTOOL + " test rules " + test_file_); }
  const std::string& rendered() const { return rendered_; }

 private:
  fs::path path_;
  std::string test_file_, rendered_, rule_file_;
};

const char* kTuned =
    "  alerts:\n"
    "    ollamaQueueBacklog: {threshold: 3, for: 2m}\n"
    "    ollamaHighResponseTime: {threshold: 10s, for: 1m}\n"
    "    ollamaHighInterTokenLatency: {threshold: 200ms, for: 2m}\n"
    "    ollamaModelLoadThrash: {threshold: 2, for: 5m}\n"
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
  EXPECT_NE(fails.output.find("OllamaHighInterTokenLatency"), std::string::npos) << fails.output;
  EXPECT_NE(fails.output.find("OllamaModelLoadThrash"), std::string::npos) << fails.output;
}

TEST(AlertRules, EveryTunableAlertHasItsPlaceholdersAndEveryPlaceholderItsTunable) {
  // tunable_alerts() and the rule file name the same alerts: a tunable the file
  // never uses would be accepted in the manifest and change nothing.
  const auto text = read(fs::path(STACKD_SOURCE_DIR) / "manifests/prometheus/alerts.yml") +
                    read(fs::path(STACKD_SOURCE_DIR) / "manifests/prometheus/gpu.yml");
  // Alerts on a state (down, throttling, an Xid error) have a duration only:
  // the manifest refuses a threshold for them, and the rules have none.
  for (const auto& [name, kind] : manifest::tunable_alerts()) {
    EXPECT_NE(text.find("${alerts." + name + ".for:-"), std::string::npos) << name;
    EXPECT_EQ(text.find("${alerts." + name + ".threshold:-") != std::string::npos, kind != manifest::ThresholdKind::None)
        << name;
    // The chart keys alerts by the alert's name with a lower-case first letter.
    std::string alert = name;
    alert[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(alert[0])));
    EXPECT_NE(text.find("- alert: " + alert + "\n"), std::string::npos) << alert;
  }
}

// manifests/prometheus/gpu.yml: every GPU recording rule gives the same
// series for dcgm-exporter's, nvidia_gpu_exporter's and node-exporter's own
// output, and every GPU alert fires and stays quiet as it should.
TEST(GpuRules, DefaultRenderingIsValidAndPassesTheRuleTests) {
  RuleDir dir(alerts_of(""), "gpu_rules_test.yml", "gpu.yml");
  EXPECT_EQ(dir.rendered().find("${"), std::string::npos) << "a placeholder was left unrendered";
  auto checked = dir.check();
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  auto tested = dir.test();
  EXPECT_EQ(tested.exit_code, 0) << tested.output;
}

TEST(GpuRules, ManifestThresholdsMoveTheGpuAlerts) {
  const char* gpu_tuned = "  alerts:\n    gpuHot: {threshold: 80, for: 2m}\n    gpuMemoryNearlyFull: {threshold: 0.9}\n";
  RuleDir tuned(alerts_of(gpu_tuned), "gpu_alert_thresholds_test.yml", "gpu.yml");
  EXPECT_NE(tuned.rendered().find("gpu:temperature:celsius > 80\n        for: 2m"), std::string::npos) << tuned.rendered();
  EXPECT_NE(tuned.rendered().find("gpu:memory_total:bytes > 0.9\n        for: 10m"), std::string::npos)
      << tuned.rendered();
  auto checked = tuned.check();
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  auto passes = tuned.test();
  EXPECT_EQ(passes.exit_code, 0) << passes.output;
  // The same cases against the defaults: neither alert may fire.
  RuleDir defaults(alerts_of(""), "gpu_alert_thresholds_test.yml", "gpu.yml");
  auto fails = defaults.test();
  EXPECT_NE(fails.exit_code, 0) << fails.output;
  EXPECT_NE(fails.output.find("alertname: GpuHot"), std::string::npos) << fails.output;
  EXPECT_NE(fails.output.find("alertname: GpuMemoryNearlyFull"), std::string::npos) << fails.output;
}

TEST(AlertRules, UnknownPlaceholderIsAnError) {
  manifest::Alerts none;
  EXPECT_THROW(prometheus::render_alert_thresholds("x > ${alerts.nope.threshold:-1}", none, "r.yml"), std::invalid_argument);
  EXPECT_THROW(prometheus::render_alert_thresholds("x > ${alerts.ollamaQueueBacklog.threshold}", none, "r.yml"),
               std::invalid_argument);
  // Other ${...} text is the user's: left alone.
  EXPECT_EQ(prometheus::render_alert_thresholds("a ${HOME} b", none, "r.yml"), "a ${HOME} b");
}

// A ~60 KB placeholder made `stackd validate` (and the daemon) die with
// SIGSEGV while std::regex scanned for placeholders; now it is an error
// naming the file, or rendered when it is well-formed.
TEST(AlertRules, LongPlaceholdersRenderOrFailWithoutCrashing) {
  manifest::Alerts tuned;
  tuned.tuning["ollamaDown"].for_duration = "5m";
  const std::string lng(60 * 1024, 'x');
  try {
    prometheus::render_alert_thresholds("expr: up > ${alerts." + lng + "}", tuned, "r.yml");
    ADD_FAILURE() << "a malformed placeholder was rendered";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("r.yml: placeholder ${alerts.xxxx", 0), 0u);
    EXPECT_LT(std::string(e.what()).size(), 400u) << "the placeholder was echoed back whole";
  }
  EXPECT_EQ(prometheus::render_alert_thresholds("for: ${alerts.ollamaDown.for:-" + lng + "}", tuned, "r.yml"), "for: 5m");
  EXPECT_EQ(prometheus::render_alert_thresholds("for: ${alerts.ollamaDown.for:-" + lng + "}", manifest::Alerts{}, "r.yml"),
            "for: " + lng);
}

}  // namespace
