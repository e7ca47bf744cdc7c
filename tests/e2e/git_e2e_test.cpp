// `stackd run --git-url ...` end to end: the daemon follows a repository
// served by real git servers on 127.0.0.1 (git http-backend behind nginx with
// a token, sshd with its own host key: sources/git/testdata/git-servers.sh)
// and converges a real engine to each commit it fetches. One behaviour a
// test, each with its own servers, repository, stack and daemon.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "sources/git/git_test_support.hpp"
#include "tests/e2e/e2e_support.hpp"

using namespace stackd::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace gt = stackd::git::testing;

namespace {

constexpr int kProm = 29651, kNode = 29652, kApi = 29659;
constexpr int kGitPort = 29655, kHttpPort = 29656, kSshPort = 29657;

std::string manifest(const std::string& stack, const std::string& node_args = "[]") {
  return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: " + stack +
         "\nspec:\n  network: host\n  stackd:\n    port: " + std::to_string(kApi) +
         "\n  prometheus:\n    image: stackd-test/prometheus:2.42\n    port: " + std::to_string(kProm) +
         "\n    scrapeInterval: 1s\n    rules: [rules.yml]\n  nodeExporter:\n    image: stackd-test/node-exporter:1.5\n    port: " +
         std::to_string(kNode) + "\n    args: " + node_args + "\n";
}

std::string rules(const std::string& record) {
  return "groups:\n  - name: a\n    rules:\n      - record: " + record + "\n        expr: sum(up)\n";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string condition(const nlohmann::json& status, const std::string& type, const char* field) {
  if (!status.is_object() || !status.contains("conditions")) return "";
  for (const auto& c : status["conditions"])
    if (c.value("type", "") == type) return c.value(field, "");
  return "";
}

nlohmann::json status() { return nlohmann::json::parse(http_get(kApi, "/status"), nullptr, false); }

nlohmann::json git_status() {
  auto s = status();
  if (!s.is_object() || !s.contains("sources") || !s["sources"].contains("git")) return nlohmann::json::object();
  return s["sources"]["git"];
}

std::string git_field(const char* field) {
  auto g = git_status();
  return g.contains(field) && g[field].is_string() ? g[field].get<std::string>() : "";
}

bool has_rule(const std::string& record) {
  return http_get(kProm, "/api/v1/rules").find("\"" + record + "\"") != std::string::npos;
}

// Every stackd_reconcile_total series summed: the work the daemon did.
double reconciles() {
  std::istringstream lines(http_get(kApi, "/metrics"));
  double sum = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("stackd_reconcile_total{", 0) == 0) sum += std::stod(line.substr(line.rfind(' ') + 1));
  return sum;
}

// POST /hooks/git with curl; returns the HTTP status ("000" when nothing answered).
std::string post_hook(const std::string& header, const std::string& body = R"({"ref":"refs/heads/main"})") {
  auto r = sh("curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -H '" + header +
              "' --data-binary '" + body + "' http://127.0.0.1:" + std::to_string(kApi) + "/hooks/git");
  return r.output;
}

std::string hmac_hex(const std::string& secret, const std::string& body) {
  auto r = sh("printf %s '" + body + "' | openssl dgst -sha256 -hmac '" + secret + "' -r | cut -d' ' -f1");
  auto out = r.output;
  out.erase(out.find_last_not_of(" \n") + 1);
  return out;
}

class GitE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    servers_dir = scratch.path() / "servers";
    auto started = sh(servers_script() + " start " + servers_dir.string() + " " + std::to_string(kGitPort) + " " +
                      std::to_string(kHttpPort) + " " + std::to_string(kSshPort));
    ASSERT_EQ(started.exit_code, 0) << started.output;
    remote = std::make_unique<gt::Remote>(servers_dir / "repos");
    token = slurp(servers_dir / "http-token");
    webhook_secret = sh("head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'").output;
    ASSERT_EQ(webhook_secret.size(), 32u);
    std::ofstream(scratch.path() / "webhook-secret") << webhook_secret;
  }
  void TearDown() override {
    daemon.reset();  // SIGKILL if still running, before the stack is removed
    dir.reset();
    sh(servers_script() + " stop " + servers_dir.string());
  }
  static std::string servers_script() { return source_dir() + "/sources/git/testdata/git-servers.sh"; }

  // Pushes the stack's manifest and rules; also keeps a copy where StackDir
  // removes the stack from at the end.
  std::string push(const std::string& manifest_text, const std::string& rules_text, const std::string& message) {
    dir->write("stack.yaml", manifest_text);
    return remote->commit({{"deploy/stack.yaml", manifest_text}, {"deploy/rules.yml", rules_text}}, message);
  }

  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(kHttpPort) + "/remote.git"; }

  // The daemon on the HTTP remote with the token; `interval` between fetches.
  void start(const std::string& stack, const std::string& interval, const std::string& extra = "") {
    dir = std::make_unique<StackDir>(stack);
    first = push(manifest(stack), rules("first:up"), "first");
    launch("--git-url " + http_url() + " --git-token-file " + (servers_dir / "http-token").string() + " " + extra,
           interval);
    ASSERT_TRUE(eventually([&] { return ready(); }, 90s)) << log();
    prom = stack + "-prometheus";
    node = stack + "-node-exporter";
    ASSERT_TRUE(eventually([&] { return has_rule("first:up"); }, 20s)) << log();
  }
  void launch(const std::string& source_args, const std::string& interval) {
    daemon.reset();
    daemon = std::make_unique<StackdProcess>(
        "run --resync 10m --state-dir " + (scratch.path() / "state").string() + " " + source_args +
            " --git-ref main --git-path deploy/stack.yaml --git-interval " + interval + " --webhook-secret-file " +
            (scratch.path() / "webhook-secret").string(),
        dir->write("daemon-" + std::to_string(++launches) + ".log", ""));
  }
  bool ready() const { return http_get(kApi, "/readyz").find("ok") != std::string::npos; }
  std::string log() const { return daemon ? daemon->log() : ""; }
  bool applied(const std::string& commit) const { return git_field("appliedRevision") == "main@sha1:" + commit; }
  bool settled() const {
    auto s = status();
    return condition(s, "Ready", "status") == "True" && condition(s, "Progressing", "status") == "False";
  }

  gt::ScratchDir scratch{"git-e2e"};
  fs::path servers_dir;
  std::unique_ptr<gt::Remote> remote;
  std::string token, webhook_secret, first;
  std::unique_ptr<StackDir> dir;
  std::unique_ptr<StackdProcess> daemon;
  int launches = 0;
  std::string prom, node;
};

}  // namespace

TEST_F(GitE2E, FollowsPushesKeepsTheLastGoodCommitOnAnInvalidOneAndFollowsAForcePush) {
  start("e2e-git-push", "1s");
  const auto stack = dir->stack();
  EXPECT_TRUE(eventually([&] { return applied(first); }, 10s)) << git_status().dump();

  // A component's args: its container is recreated, Prometheus untouched.
  auto node_id = inspect(node, "{{.Id}}");
  auto prom_id = inspect(prom, "{{.Id}}");
  auto prom_started = inspect(prom, "{{.State.StartedAt}}");
  auto args = push(manifest(stack, "[\"--collector.disable-defaults\", \"--collector.cpu\"]"), rules("first:up"), "args");
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{json .Args}}").find("--collector.cpu") != std::string::npos; },
                         20s)) << log();
  EXPECT_NE(inspect(node, "{{.Id}}"), node_id);
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{.State.Running}}") == "true"; }, 10s));
  EXPECT_TRUE(eventually([&] { return applied(args); }, 10s)) << git_status().dump();
  EXPECT_EQ(inspect(prom, "{{.Id}}"), prom_id);

  // A rule: reloaded, not restarted.
  auto rule = push(manifest(stack, "[\"--collector.disable-defaults\", \"--collector.cpu\"]"), rules("second:up"), "rule");
  EXPECT_TRUE(eventually([&] { return has_rule("second:up"); }, 20s)) << log();
  EXPECT_FALSE(has_rule("first:up"));
  EXPECT_EQ(inspect(prom, "{{.Id}}"), prom_id);
  EXPECT_EQ(inspect(prom, "{{.State.StartedAt}}"), prom_started);
  EXPECT_TRUE(eventually([&] { return applied(rule); }, 10s));

  // An invalid manifest: nothing changes, the status names the commit, the
  // reason and the repository file:line:col; drift is still repaired.
  node_id = inspect(node, "{{.Id}}");
  auto bad_text = manifest(stack, "[\"--collector.disable-defaults\", \"--collector.meminfo\"]") + "  bogus: 1\n";
  auto bad = remote->commit({{"deploy/stack.yaml", bad_text}, {"deploy/rules.yml", rules("third:up")}}, "bad");
  EXPECT_TRUE(eventually([&] { return condition(status(), "Degraded", "reason") == "SourceInvalid"; }, 20s))
      << status().dump() << log();
  auto s = status();
  EXPECT_NE(condition(s, "Degraded", "message").find(bad), std::string::npos) << s.dump();
  EXPECT_NE(condition(s, "Degraded", "message").find("deploy/stack.yaml:18:3"), std::string::npos) << s.dump();
  auto invalid = git_status()["invalidRevision"];
  EXPECT_EQ(invalid.value("revision", ""), "main@sha1:" + bad) << git_status().dump();
  EXPECT_EQ(invalid.value("reason", ""), "SourceInvalid");
  EXPECT_TRUE(applied(rule)) << git_status().dump();
  EXPECT_EQ(inspect(node, "{{.Id}}"), node_id);
  EXPECT_NE(inspect(node, "{{json .Args}}").find("--collector.cpu"), std::string::npos);
  EXPECT_TRUE(has_rule("second:up"));
  EXPECT_FALSE(has_rule("third:up"));
  ASSERT_EQ(sh("docker rm -f " + node).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return inspect(node, "{{.State.Running}}") == "true" &&
           inspect(node, "{{json .Args}}").find("--collector.cpu") != std::string::npos;
  }, 20s)) << log();

  // The fix: applied, and the condition clears.
  auto fix = push(manifest(stack, "[\"--collector.disable-defaults\", \"--collector.meminfo\"]"), rules("fourth:up"), "fix");
  EXPECT_TRUE(eventually([&] { return has_rule("fourth:up"); }, 20s)) << log();
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{json .Args}}").find("--collector.meminfo") != std::string::npos; },
                         20s));
  EXPECT_TRUE(eventually([&] { return applied(fix) && condition(status(), "Degraded", "status") == "False"; }, 20s))
      << status().dump();

  // Force-push back to the first commit: the ref's commit is what is desired.
  remote->force_push(first);
  EXPECT_TRUE(eventually([&] { return has_rule("first:up"); }, 20s)) << log();
  EXPECT_FALSE(has_rule("fourth:up"));
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{json .Args}}").find("--collector") == std::string::npos; }, 20s))
      << inspect(node, "{{json .Args}}");
  EXPECT_TRUE(eventually([&] { return applied(first); }, 10s)) << git_status().dump();
  EXPECT_EQ(inspect(prom, "{{.State.StartedAt}}"), prom_started);
}

TEST_F(GitE2E, AWebhookWithAValidSignatureConvergesAtOnceAndABadOneTriggersNothing) {
  start("e2e-git-hook", "1h");  // the interval never fires during the test
  const auto stack = dir->stack();
  ASSERT_TRUE(eventually([&] { return settled(); }, 30s)) << status().dump();

  // Unchanged commit: the hook fetches, and nothing else happens.
  auto fetched = git_field("fetchedAt");
  auto work = reconciles();
  const std::string body = R"({"ref":"refs/heads/main","after":"0000"})";
  const auto countdown = git_status().value("nextFetchInMs", 0LL);
  EXPECT_EQ(post_hook("X-Hub-Signature-256: sha256=" + hmac_hex(webhook_secret, body), body), "202");
  // fetchedAt has a resolution of a second: the fetch also restarts the
  // interval's countdown, which shows at once.
  EXPECT_TRUE(eventually([&] {
    return git_field("fetchedAt") != fetched || git_status().value("nextFetchInMs", 0LL) > countdown;
  }, 10s)) << git_status().dump();
  EXPECT_TRUE(eventually([&] { return settled(); }, 10s));
  EXPECT_EQ(reconciles(), work) << http_get(kApi, "/metrics");

  auto pushed = push(manifest(stack), rules("hooked:up"), "hooked");
  // diff with the same flags plans the commit the daemon would apply: the
  // new rule is a reload of Prometheus' files, not a recreate.
  auto planned = run_stackd("diff --state-dir " + (scratch.path() / "state").string() + " --git-url " + http_url() +
                            " --git-token-file " + (servers_dir / "http-token").string() +
                            " --git-ref main --git-path deploy/stack.yaml");
  EXPECT_EQ(planned.exit_code, 3) << planned.output;  // changes pending
  EXPECT_NE(planned.output.find("main@sha1:" + pushed), std::string::npos) << planned.output;
  EXPECT_NE(planned.output.find("reload"), std::string::npos) << planned.output;
  EXPECT_EQ(planned.output.find("recreate"), std::string::npos) << planned.output;
  fetched = git_field("fetchedAt");
  // Bad signatures: 401 each, no fetch. What would follow a trigger (a fetch
  // starts at once) is watched for a while; it must not come.
  EXPECT_EQ(post_hook("X-Hub-Signature-256: sha256=" + hmac_hex("wrong-secret", body), body), "401");
  EXPECT_EQ(post_hook("X-Gitea-Signature: " + std::string(64, '0'), body), "401");
  EXPECT_EQ(post_hook("X-Gitlab-Token: not-the-secret", body), "401");
  EXPECT_EQ(post_hook("X-Unrelated: 1", body), "401");
  EXPECT_FALSE(eventually([&] { return git_field("fetchedAt") != fetched || has_rule("hooked:up"); }, 4s))
      << "a refused webhook triggered a fetch: " << git_status().dump();

  // A valid one (Gitea's form this time): converged long before any interval.
  auto sent = std::chrono::steady_clock::now();
  EXPECT_EQ(post_hook("X-Gitea-Signature: " + hmac_hex(webhook_secret, body), body), "202");
  EXPECT_TRUE(eventually([&] { return has_rule("hooked:up"); }, 20s)) << log();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 20s);
  EXPECT_TRUE(eventually([&] { return applied(pushed); }, 10s)) << git_status().dump();

  // GitLab's token form works too; a body past the bound is refused.
  EXPECT_EQ(post_hook("X-Gitlab-Token: " + webhook_secret, body), "202");
  auto big = sh("head -c 2000000 /dev/zero | tr '\\0' a | curl -s -o /dev/null -w '%{http_code}' -X POST "
                "-H 'X-Gitlab-Token: " + webhook_secret + "' --data-binary @- http://127.0.0.1:" +
                std::to_string(kApi) + "/hooks/git");
  EXPECT_EQ(big.output, "413");
  EXPECT_TRUE(ready()) << "the daemon survived the large body";
}

TEST_F(GitE2E, AStoppedRemoteKeepsTheLastGoodCommitAndTheDaemonRecoversWhenItIsBack) {
  start("e2e-git-down", "1s");
  ASSERT_TRUE(eventually([&] { return applied(first); }, 10s)) << git_status().dump();
  auto prom_id = inspect(prom, "{{.Id}}");

  ASSERT_EQ(sh(servers_script() + " http-stop " + servers_dir.string()).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return !git_field("lastError").empty() && !git_field("lastErrorSince").empty(); }, 20s))
      << git_status().dump() << log();
  EXPECT_TRUE(applied(first));
  EXPECT_EQ(inspect(prom, "{{.Id}}"), prom_id);
  EXPECT_TRUE(has_rule("first:up"));
  // Still enforced while the remote is away.
  ASSERT_EQ(sh("docker rm -f " + node).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return inspect(node, "{{.State.Running}}") == "true"; }, 20s)) << log();

  // Back, with a new commit: fetched on the next attempt of the backoff
  // (never later than one interval), applied, and the error clears.
  auto next = push(manifest(dir->stack()), rules("back:up"), "back");
  ASSERT_EQ(sh(servers_script() + " http-start " + servers_dir.string()).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return has_rule("back:up"); }, 30s)) << git_status().dump() << log();
  EXPECT_TRUE(eventually([&] { return applied(next) && git_field("lastError").empty(); }, 20s)) << git_status().dump();
}

TEST_F(GitE2E, TheTokenTheSshKeyAndTheWebhookSecretAppearNowhere) {
  // Over HTTP with the token, then over SSH with the key.
  start("e2e-git-secrets", "1s");
  const std::string body = R"({"ref":"refs/heads/main"})";
  EXPECT_EQ(post_hook("X-Hub-Signature-256: sha256=" + hmac_hex(webhook_secret, body), body), "202");
  EXPECT_EQ(post_hook("X-Gitlab-Token: " + webhook_secret + "x", body), "401");

  auto key = slurp(servers_dir / "ssh/user_ed25519");
  // The key's base64 lines, each long enough to be unmistakable.
  std::vector<std::string> key_lines;
  std::istringstream in(key);
  for (std::string line; std::getline(in, line);)
    if (line.size() > 20 && line.find("-----") == std::string::npos) key_lines.push_back(line);
  ASSERT_FALSE(key_lines.empty());
  std::string trimmed_token = token;
  trimmed_token.erase(trimmed_token.find_last_not_of("\n") + 1);
  ASSERT_GE(trimmed_token.size(), 16u);

  auto look_everywhere = [&](const std::string& when) {
    std::string seen = log() + "\n" + http_get(kApi, "/status") + "\n" + http_get(kApi, "/metrics") + "\n" +
                       sh("ps -eo args").output + "\n" +
                       sh("for c in $(docker ps -aq --filter label=dev.stackd.stack=" + dir->stack() +
                          "); do docker inspect -f '{{json .Config.Labels}} {{json .Config.Env}} {{json .Args}}' $c; done")
                           .output;
    EXPECT_EQ(seen.find(trimmed_token), std::string::npos) << when << ": the token leaked";
    EXPECT_EQ(seen.find(webhook_secret), std::string::npos) << when << ": the webhook secret leaked";
    for (const auto& line : key_lines) EXPECT_EQ(seen.find(line), std::string::npos) << when << ": the ssh key leaked";
  };
  look_everywhere("http");

  // The same daemon over SSH: the key file and known_hosts, host key checked.
  auto user = sh("id -un").output;
  user.erase(user.find_last_not_of("\n") + 1);
  auto ssh_url = "ssh://" + user + "@127.0.0.1:" + std::to_string(kSshPort) + (servers_dir / "repos/remote.git").string();
  ASSERT_EQ(daemon->stop(SIGTERM, 10s), 0) << log();
  auto over_ssh = push(manifest(dir->stack()), rules("ssh:up"), "over ssh");
  launch("--git-url " + ssh_url + " --git-ssh-key " + (servers_dir / "ssh/user_ed25519").string() +
             " --git-known-hosts " + (servers_dir / "ssh/known_hosts").string(),
         "1s");
  EXPECT_TRUE(eventually([&] { return has_rule("ssh:up") && applied(over_ssh); }, 60s)) << git_status().dump() << log();
  look_everywhere("ssh");
}
