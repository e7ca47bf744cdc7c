#include "sources/git/git_options.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "sources/git/git_test_support.hpp"

namespace stackd::git {
namespace {
using testing::ScratchDir;

GitSettings parse(std::vector<std::string> args, bool daemon = true) {
  CLI::App app;
  GitSettings s;
  add_git_options(app, s, daemon);
  add_daemon_config_file(app);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return s;
}

TEST(GitOptions, FlagsEnvironmentAndConfigFile) {
  auto s = parse({"--git-url", "https://example.com/r.git", "--git-path", "deploy/stack.yaml", "--git-interval", "5s"});
  EXPECT_EQ(s.url, "https://example.com/r.git");
  EXPECT_EQ(s.ref, "main");
  EXPECT_EQ(s.interval, "5s");

  ::setenv("STACKD_GIT_URL", "file:///srv/r.git", 1);
  ::setenv("STACKD_GIT_REF", "v2", 1);
  s = parse({});
  EXPECT_EQ(s.url, "file:///srv/r.git");
  EXPECT_EQ(s.ref, "v2");
  ::unsetenv("STACKD_GIT_URL");
  ::unsetenv("STACKD_GIT_REF");

  ScratchDir tmp("options");
  auto config = tmp.path() / "stackd.toml";
  std::ofstream(config) << "git-url = \"git://127.0.0.1/r.git\"\ngit-path = \"stack.yaml\"\ngit-interval = \"30s\"\n";
  s = parse({"--config", config.string()});
  EXPECT_EQ(s.url, "git://127.0.0.1/r.git");
  EXPECT_EQ(s.path, "stack.yaml");
  EXPECT_EQ(s.interval, "30s");
  // The interval and webhook are the daemon's only.
  EXPECT_THROW(parse({"--git-interval", "5s"}, false), CLI::ParseError);
}

TEST(GitOptions, ResolveChecksTheCombination) {
  ScratchDir tmp("options");
  auto token = tmp.path() / "token";
  std::ofstream(token) << "ghp_0123456789\n";
  GitSettings s;
  s.url = "https://example.com/r.git";
  s.path = "deploy/stack.yaml";
  s.token_file = token.string();
  auto r = resolve_git_settings(s, tmp.path());
  EXPECT_EQ(r.path, "deploy/stack.yaml");
  EXPECT_EQ(r.repository.dir.parent_path(), tmp.path() / "git");
  EXPECT_EQ(r.source.interval, std::chrono::seconds(60));

  auto fails = [&](GitSettings bad, const std::string& expected) {
    try {
      resolve_git_settings(bad, tmp.path());
      ADD_FAILURE() << "accepted: " << expected;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("ghp_0123456789"), std::string::npos);
    }
  };
  auto ssh = s;
  ssh.url = "ssh://git@127.0.0.1/r.git";
  fails(ssh, "need an http(s) git URL");
  ssh.token_file.clear();
  fails(ssh, "needs --git-known-hosts");
  auto no_path = s;
  no_path.path.clear();
  fails(no_path, "--git-path is required");
  auto escaping = s;
  escaping.path = "../x.yaml";
  fails(escaping, "relative path inside the repository");
  auto interval = s;
  interval.interval = "often";
  fails(interval, "--git-interval");
  auto secret = s;
  secret.webhook_secret_file = (tmp.path() / "missing").string();
  fails(secret, "--webhook-secret-file");
  auto missing_token = s;
  missing_token.token_file = (tmp.path() / "missing").string();
  fails(missing_token, "cannot be read");
}

}  // namespace
}  // namespace stackd::git
