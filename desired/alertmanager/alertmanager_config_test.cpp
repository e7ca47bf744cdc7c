// The rendered Alertmanager config, checked by the real amtool (Debian's
// 0.25): it loads, it routes the way the manifest says (`amtool config routes
// test`), and no secret is inside it.
#include "desired/alertmanager/alertmanager_config.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "api/v1alpha1/loader.hpp"

using namespace stackd;
namespace fs = std::filesystem;

namespace {

class Dir {
 public:
  Dir() : path_(fs::temp_directory_path() / ("stackd-am-config-" + std::to_string(::getpid()) + "-" + std::to_string(n_++))) {
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

constexpr const char* kPassword = "pw-7f3a91-not-in-config";
constexpr const char* kSlackUrl = "https://hooks.slack.com/services/T000/B000/secret-token-42";

// The manifest reference's example routing plus a mail and a chat receiver.
manifest::Manifest example(const Dir& dir) {
  dir.write("secrets/smtp-password", std::string(kPassword) + "\n");
  dir.write("secrets/slack-url", kSlackUrl);
  manifest::LoadOptions o;
  o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return manifest::load(dir.write("stack.yaml",
                                  "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n"
                                  "  prometheus: {}\n"
                                  "  alertmanager:\n"
                                  "    receivers:\n"
                                  "      - name: ops\n"
                                  "        webhook: {url: 'http://127.0.0.1:5001/alerts'}\n"
                                  "      - name: mail\n"
                                  "        email: {to: ops@example.org, from: stackd@example.org, smarthost: 'smtp.example.org:587',\n"
                                  "                username: stackd, passwordFile: secrets/smtp-password}\n"
                                  "      - name: chat\n"
                                  "        slack: {apiUrlFile: secrets/slack-url, channel: '#ollama'}\n"
                                  "    routes:\n"
                                  "      - {matchers: ['severity=\"critical\"'], receiver: mail}\n"
                                  "      - {matchers: ['severity=\"info\"'], receiver: chat}\n"),
                        o);
}

// The receiver amtool says these labels go to.
std::string route(const std::string& config, const std::string& labels) {
  auto r = run(std::string(STACKD_AMTOOL) + " config routes test --config.file=" + config + " " + labels);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto out = r.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  // The receiver is the last line (amtool may warn about its own config first).
  return out.substr(out.find_last_of('\n') == std::string::npos ? 0 : out.find_last_of('\n') + 1);
}

TEST(AlertmanagerConfig, AmtoolAcceptsTheRenderedConfigAndNoSecretIsInIt) {
  Dir dir;
  auto m = example(dir);
  const auto yml = alertmanager::render_config_yml(m.alertmanager);
  EXPECT_EQ(yml.find(kPassword), std::string::npos) << yml;
  EXPECT_EQ(yml.find("secret-token-42"), std::string::npos) << yml;
  EXPECT_NE(yml.find("auth_password_file: \"/etc/alertmanager/stackd/secrets/mail-auth_password_file\""), std::string::npos) << yml;
  EXPECT_NE(yml.find("api_url_file: \"/etc/alertmanager/stackd/secrets/chat-api_url_file\""), std::string::npos) << yml;
  auto file = dir.write("out/alertmanager.yml", yml);
  auto checked = run(std::string(STACKD_AMTOOL) + " check-config " + file);
  EXPECT_EQ(checked.exit_code, 0) << checked.output << yml;
  EXPECT_NE(checked.output.find("1 inhibit rules"), std::string::npos) << checked.output;
  EXPECT_NE(checked.output.find("3 receivers"), std::string::npos) << checked.output;
}

TEST(AlertmanagerConfig, DefaultRoutingSendsBySeverity) {
  Dir dir;
  auto file = dir.write("out/alertmanager.yml", alertmanager::render_config_yml(example(dir).alertmanager));
  EXPECT_EQ(route(file, "alertname=OllamaDown severity=critical instance=127.0.0.1:11435"), "mail");
  EXPECT_EQ(route(file, "alertname=OllamaQueueBacklog severity=warning"), "ops");
  EXPECT_EQ(route(file, "alertname=Watchdog severity=info"), "chat");
  EXPECT_EQ(route(file, "alertname=NoSeverity"), "ops");  // the first receiver is the default
}

TEST(AlertmanagerConfig, SecretsAreFilesOnlyNobodyCanRead) {
  Dir dir;
  auto files = alertmanager::render_files(example(dir).alertmanager);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "etc/alertmanager/stackd/alertmanager.yml");
  EXPECT_EQ(files[1].path, "etc/alertmanager/stackd/secrets/mail-auth_password_file");
  EXPECT_EQ(files[1].content, kPassword);  // the file's newline is not part of the password
  EXPECT_EQ(files[1].mode, 0400u);
  EXPECT_EQ(files[1].uid, alertmanager::kAlertmanagerUid);
  EXPECT_EQ(files[2].content, kSlackUrl);
  // Deterministic: the same manifest renders the same bytes (no spurious reloads).
  EXPECT_EQ(alertmanager::render_config_yml(example(dir).alertmanager), files[0].content);
}

TEST(AlertmanagerConfig, GroupingAndDurations) {
  Dir dir;
  auto m = example(dir);
  m.alertmanager.route.group_wait = std::chrono::seconds(90);
  auto yml = alertmanager::render_config_yml(m.alertmanager);
  EXPECT_NE(yml.find("group_wait: 1m30s"), std::string::npos) << yml;
  EXPECT_NE(yml.find("group_by: [alertname, instance]"), std::string::npos) << yml;
  EXPECT_NE(yml.find("repeat_interval: 4h"), std::string::npos) << yml;
  EXPECT_THROW(alertmanager::alertmanager_duration(std::chrono::seconds(0)), std::invalid_argument);
}

TEST(AlertmanagerConfig, ConfigFileIsDeliveredAsWritten) {
  manifest::Alertmanager am;
  am.config_file = manifest::FileRef{"/x/am.yml", "am.yml", "route: {receiver: x}\nreceivers: [{name: x}]\n"};
  auto files = alertmanager::render_files(am);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].content, am.config_file->content);
}

}  // namespace
