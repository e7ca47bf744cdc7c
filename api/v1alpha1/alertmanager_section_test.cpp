// spec.alertmanager and spec.alerts through the real loader: what a user
// writes, what the manifest then holds, and the file:line:col errors.
#include "api/v1alpha1/alertmanager_section.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/v1alpha1/loader.hpp"

using namespace stackd::manifest;
namespace fs = std::filesystem;

namespace {

class Dir {
 public:
  Dir() : path_(fs::temp_directory_path() / ("stackd-am-section-" + std::to_string(::getpid()) + "-" + std::to_string(n_++))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Dir() { fs::remove_all(path_); }
  std::string write(const std::string& rel, const std::string& content) const {
    auto p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p.string();
  }

 private:
  static inline int n_ = 0;
  fs::path path_;
};

const std::string kHead =
    "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n"
    "  prometheus: {port: 9090}\n";

Manifest load_spec(const Dir& dir, const std::string& tail) {
  LoadOptions o;
  o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return load(dir.write("stack.yaml", kHead + tail), o);
}

std::string errors_of(const Dir& dir, const std::string& tail) {
  try {
    load_spec(dir, tail);
  } catch (const ManifestError& e) {
    return e.what();
  }
  return "";
}

TEST(AlertmanagerSection, AbsentMeansDisabled) {
  Dir dir;
  auto m = load_spec(dir, "");
  EXPECT_FALSE(m.alertmanager.enabled);
  EXPECT_FALSE(m.alertmanager.declared);
  EXPECT_TRUE(m.alerts.tuning.empty());
}

TEST(AlertmanagerSection, ReadsTheIssueExample) {
  Dir dir;
  dir.write("secrets/smtp-password", "s3cret\n");
  dir.write("secrets/slack-url", "https://hooks.slack.com/services/T/B/X");
  auto m = load_spec(dir,
                     "  alertmanager:\n"
                     "    image: prom/alertmanager:v0.27.0\n"
                     "    port: 9093\n"
                     "    route: {groupBy: [alertname], groupWait: 1s, groupInterval: 5m, repeatInterval: 4h}\n"
                     "    receivers:\n"
                     "      - name: ops\n"
                     "        webhook: {url: http://127.0.0.1:5001/alerts}\n"
                     "      - name: mail\n"
                     "        email: {to: ops@example.org, from: stackd@example.org, smarthost: smtp.example.org:587,\n"
                     "                username: stackd, passwordFile: secrets/smtp-password}\n"
                     "      - name: chat\n"
                     "        slack: {apiUrlFile: secrets/slack-url, channel: \"#ollama\"}\n"
                     "    routes:\n"
                     "      - matchers: ['severity=\"critical\"']\n"
                     "        receiver: mail\n"
                     "      - matchers: ['team=~\"chat|ops\"', 'severity!=\"info\"']\n"
                     "        receiver: chat\n"
                     "  alerts:\n"
                     "    ollamaHighResponseTime: {threshold: 1m30s, for: 90s}\n"
                     "    ollamaQueueBacklog: {threshold: 3}\n");
  const auto& am = m.alertmanager;
  EXPECT_TRUE(am.enabled);
  EXPECT_EQ(am.port, 9093);
  EXPECT_EQ(am.route.group_by, std::vector<std::string>{"alertname"});
  EXPECT_EQ(am.route.group_wait.count(), 1);
  ASSERT_EQ(am.receivers.size(), 3u);
  EXPECT_EQ(am.receivers[0].kind, "webhook");
  EXPECT_EQ(am.receivers[1].kind, "email");
  ASSERT_EQ(am.receivers[1].secret_files.size(), 1u);
  EXPECT_EQ(am.receivers[1].secret_files[0].first, "auth_password_file");
  EXPECT_EQ(am.receivers[1].secret_files[0].second.content, "s3cret");  // trailing newline dropped
  EXPECT_EQ(am.receivers[2].secret_files[0].first, "api_url_file");
  ASSERT_EQ(am.routes.size(), 2u);
  EXPECT_EQ(am.routes[1].matchers.size(), 2u);
  EXPECT_EQ(m.alerts.tuning.at("ollamaHighResponseTime").threshold, "90");
  EXPECT_EQ(m.alerts.tuning.at("ollamaHighResponseTime").for_duration, "1m30s");
  EXPECT_EQ(m.alerts.tuning.at("ollamaQueueBacklog").threshold, "3");
  EXPECT_FALSE(m.alerts.tuning.at("ollamaQueueBacklog").for_duration);
  // Secrets are referenced files: they change the revision.
  int secrets = 0;
  for (const auto* f : m.referenced_files()) secrets += f->relative.rfind("secrets/", 0) == 0;
  EXPECT_EQ(secrets, 2);
}

TEST(AlertmanagerSection, UnknownFieldsAndBadValuesHavePositions) {
  Dir dir;
  auto e = errors_of(dir,
                     "  alertmanager:\n"
                     "    recievers: []\n"            // line 7
                     "    route: {groupWait: soon}\n"  // line 8
                     "  alerts:\n"
                     "    ollamaQueueBacklog: {threshold: lots}\n"  // line 10
                     "    ollamaSlow: {threshold: 1}\n");          // line 11
  EXPECT_NE(e.find("stack.yaml:7:5: unknown field 'recievers' in spec.alertmanager"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:8:24: spec.alertmanager.route.groupWait: invalid duration 'soon'"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:7:5: spec.alertmanager.receivers is required"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:10:37: spec.alerts.ollamaQueueBacklog.threshold must be a non-negative number"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:11:5: unknown field 'ollamaSlow' in spec.alerts"), std::string::npos) << e;
}

// An alert that fires on a state has no threshold in its rule: a threshold
// for it would be accepted and change nothing, so it is refused where it is.
TEST(AlertmanagerSection, ThresholdOfAnAlertWithoutOneIsAnError) {
  Dir dir;
  auto e = errors_of(dir,
                     "  alerts:\n"
                     "    gpuXidError: {threshold: 3, for: 1m}\n"   // line 7
                     "    gpuThermalThrottling:\n"
                     "      threshold: 1\n"                          // line 9
                     "    gpuExporterDown: {for: 2m}\n"
                     "    ollamaDown: {threshold: 0}\n");            // line 11
  EXPECT_NE(e.find("stack.yaml:7:30: spec.alerts.gpuXidError.threshold: GpuXidError fires on a state, not above a "
                   "threshold; only its 'for' can be set"),
            std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:9:18: spec.alerts.gpuThermalThrottling.threshold: GpuThermalThrottling fires on a state"),
            std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:11:29: spec.alerts.ollamaDown.threshold: OllamaDown fires on a state"), std::string::npos) << e;
  EXPECT_EQ(e.find("gpuExporterDown"), std::string::npos) << e;  // its `for` alone is fine
}

TEST(AlertmanagerSection, UnusedReceiverAndMissingReceiverAreErrors) {
  Dir dir;
  auto e = errors_of(dir,
                     "  alertmanager:\n"
                     "    receivers:\n"
                     "      - {name: ops, webhook: {url: 'http://127.0.0.1:5001/'}}\n"
                     "      - {name: idle, webhook: {url: 'http://127.0.0.1:5002/'}}\n"  // line 9
                     "    routes:\n"
                     "      - {matchers: ['severity=\"critical\"'], receiver: pager}\n");  // line 11
  EXPECT_NE(e.find("stack.yaml:9:16: spec.alertmanager.receivers: 'idle' is not used by any route"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:11:55: spec.alertmanager.routes[].receiver: no receiver is named 'pager'"), std::string::npos) << e;
}

TEST(AlertmanagerSection, MissingSecretFileAndInlineSecretsAreErrors) {
  Dir dir;
  auto e = errors_of(dir,
                     "  alertmanager:\n"
                     "    receivers:\n"
                     "      - name: mail\n"
                     "        email: {to: a@b.c, from: s@b.c, smarthost: 'localhost:25', username: u, passwordFile: secrets/nope}\n"
                     "      - name: chat\n"
                     "        slack: {apiUrl: 'https://hooks.slack.com/x'}\n"
                     "    routes: [{matchers: ['x=\"y\"'], receiver: chat}]\n");
  EXPECT_NE(e.find("stack.yaml:9:"), std::string::npos) << e;
  EXPECT_NE(e.find("passwordFile: file 'secrets/nope' does not exist"), std::string::npos) << e;
  // A secret inline is not a field at all: only *File fields exist.
  EXPECT_NE(e.find("stack.yaml:11:17: unknown field 'apiUrl'"), std::string::npos) << e;
}

TEST(AlertmanagerSection, BadMatcherAndTwoIntegrationsAreErrors) {
  Dir dir;
  auto e = errors_of(dir,
                     "  alertmanager:\n"
                     "    receivers:\n"
                     "      - name: ops\n"
                     "        webhook: {url: 'http://127.0.0.1:5001/'}\n"
                     "        slack: {apiUrlFile: x}\n"
                     "    routes: [{matchers: ['severity critical'], receiver: ops}]\n");
  EXPECT_NE(e.find("needs exactly one of webhook, email"), std::string::npos) << e;
  EXPECT_NE(e.find("'severity critical' is not a matcher"), std::string::npos) << e;
}

TEST(AlertmanagerSection, MatcherErrorsSayWhatIsWrong) {
  Dir dir;
  auto e = errors_of(dir,
                     "  alertmanager:\n"
                     "    receivers: [{name: ops, webhook: {url: 'http://127.0.0.1:5001/'}},\n"
                     "                {name: pager, webhook: {url: 'http://127.0.0.1:5002/'}}]\n"
                     "    routes:\n"
                     "      - {matchers: ['alertname=Ollama Down', 'a=b,c'], receiver: pager}\n");
  EXPECT_NE(e.find("stack.yaml:10:21: spec.alertmanager.routes[].matchers: 'alertname=Ollama Down' is not a matcher "
                   "(label=\"value\", !=, =~ or !~): quote a value with spaces"), std::string::npos) << e;
  EXPECT_NE(e.find("stack.yaml:10:46: spec.alertmanager.routes[].matchers: 'a=b,c' is not a matcher"), std::string::npos) << e;
}

// Each of these values of ~60 KB (under the loader's 64 KB bound) made
// `stackd validate` die with SIGSEGV while std::regex checked it (its
// matcher recurses once per character). Now each is an error at its
// position, and the value is not echoed back whole.
TEST(AlertmanagerSection, LongValuesAreErrorsNotCrashes) {
  Dir dir;
  const std::string lng(60 * 1024, 'a');
  auto e = errors_of(dir,
                     "  alertmanager:\n"
                     "    route: {groupBy: ['" + lng + "-']}\n"
                     "    receivers:\n"
                     "      - {name: ops, webhook: {url: 'http://127.0.0.1:5001/" + lng + " '}}\n"
                     "      - {name: '" + lng + "', webhook: {url: 'http://127.0.0.1:5001/'}}\n"
                     "      - name: mail\n"
                     "        email: {to: a@b, from: c@d, smarthost: '" + lng + ":25x'}\n"
                     "      - name: chat\n"
                     "        telegram: {botTokenFile: token, chatId: '" + std::string(60 * 1024, '1') + "'}\n"
                     "    routes:\n"
                     "      - {matchers: ['severity=\"" + lng + "'], receiver: mail}\n"
                     "      - {matchers: ['severity=" + lng + " x'], receiver: chat}\n"
                     "  alerts:\n"
                     "    runbookUrl: '" + lng + "#x'\n"
                     "    ollamaQueueBacklog: {threshold: '" + std::string(60 * 1024, '1') + "'}\n");
  EXPECT_NE(e.find("stack.yaml:7:23: spec.alertmanager.route.groupBy: 'aaaa"), std::string::npos) << e.substr(0, 4000);
  EXPECT_NE(e.find("url must be an http:// or https:// URL: it is longer than 2048 characters"), std::string::npos);
  EXPECT_NE(e.find("stack.yaml:10:16: spec.alertmanager.receivers[].name 'aaaa"), std::string::npos);
  EXPECT_NE(e.find("stack.yaml:12:48: spec.alertmanager.receivers[mail].email.smarthost must be host:port"), std::string::npos);
  EXPECT_NE(e.find("spec.alertmanager.receivers[chat].telegram.chatId must be a number"), std::string::npos);
  EXPECT_NE(e.find("stack.yaml:16:21: spec.alertmanager.routes[].matchers: 'severity=\"aaaa"), std::string::npos);
  EXPECT_NE(e.find("is not a matcher (label=\"value\", !=, =~ or !~): its quoted value has no closing '\"'"), std::string::npos);
  EXPECT_NE(e.find("stack.yaml:17:21: spec.alertmanager.routes[].matchers: 'severity=aaaa"), std::string::npos);
  EXPECT_NE(e.find("spec.alerts.runbookUrl must be a URL without spaces, quotes or '#'"), std::string::npos);
  EXPECT_NE(e.find("spec.alerts.ollamaQueueBacklog.threshold must be a non-negative number"), std::string::npos);
  EXPECT_LT(e.size(), 8 * 1024u) << "a long value was echoed back";
}

TEST(AlertmanagerSection, ConfigFileExcludesRouteAndItsPortIsChecked) {
  Dir dir;
  dir.write("alertmanager/am.yml", "route: {receiver: x}\nreceivers: [{name: x}]\n");
  auto m = load_spec(dir, "  alertmanager: {configFile: alertmanager/am.yml, port: 9094}\n");
  ASSERT_TRUE(m.alertmanager.config_file);
  EXPECT_EQ(m.alertmanager.config_file->relative, "alertmanager/am.yml");
  auto e = errors_of(dir,
                     "  alertmanager:\n"
                     "    port: 9090\n"
                     "    configFile: alertmanager/am.yml\n"
                     "    receivers: [{name: x, webhook: {url: 'http://127.0.0.1:1/'}}]\n");
  EXPECT_NE(e.find("configFile replaces route, receivers and routes"), std::string::npos) << e;
  EXPECT_NE(e.find("port 9090 of alertmanager is already used by prometheus"), std::string::npos) << e;
}

}  // namespace
