// The fetcher against real git servers on 127.0.0.1 (git daemon, nginx +
// git http-backend, openssh-server), started and stopped by pid by
// testdata/git-servers.sh as a ctest fixture.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "sources/git/git_repository.hpp"
#include "sources/git/git_test_support.hpp"

namespace stackd::git {
namespace {
namespace fs = std::filesystem;
using testing::ScratchDir;

const fs::path kServers = STACKD_GIT_SERVERS_DIR;
const std::string kGitPort = std::to_string(STACKD_GIT_DAEMON_PORT);
const std::string kHttpPort = std::to_string(STACKD_GIT_HTTP_PORT);
const std::string kSshPort = std::to_string(STACKD_GIT_SSH_PORT);

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A bare repository served by all three servers, and a work tree pushing to it.
class ServedRepo {
 public:
  explicit ServedRepo(const std::string& name) : name_(name + "-" + std::to_string(::getpid())), work_("work-" + name) {
    remote_ = std::make_unique<testing::Remote>(work_.path());
    // The servers export kServers/repos: move the bare repository there.
    fs::remove_all(kServers / "repos" / (name_ + ".git"));
    fs::rename(remote_->bare(), kServers / "repos" / (name_ + ".git"));
    fs::create_symlink(kServers / "repos" / (name_ + ".git"), remote_->bare());
  }
  ~ServedRepo() {
    std::error_code ec;
    fs::remove_all(kServers / "repos" / (name_ + ".git"), ec);
  }
  std::string commit(const std::string& content) { return remote_->commit({{"deploy/stack.yaml", content}}, content); }
  fs::path bare_path() const { return kServers / "repos" / (name_ + ".git"); }
  std::string git_url() const { return "git://127.0.0.1:" + kGitPort + "/" + name_ + ".git"; }
  std::string http_url() const { return "http://127.0.0.1:" + kHttpPort + "/" + name_ + ".git"; }
  std::string ssh_url() const { return "ssh://" + std::string(::getpwuid(::getuid())->pw_name) + "@127.0.0.1:" + kSshPort + (kServers / "repos" / (name_ + ".git")).string(); }

 private:
  std::string name_;
  ScratchDir work_;
  std::unique_ptr<testing::Remote> remote_;
};

GitRepositoryConfig config(const std::string& url, const fs::path& state) {
  GitRepositoryConfig c;
  c.remote = parse_remote_url(url);
  c.dir = state / "git";
  c.fetch_limits.timeout = std::chrono::seconds(30);
  return c;
}

void expect_fetches_and_follows(ServedRepo& served, GitRepositoryConfig c) {
  auto first = served.commit("one");
  GitRepository repo(std::move(c));
  auto r = repo.fetch();
  EXPECT_EQ(r.commit, first);
  EXPECT_EQ(slurp(repo.checkout(r.commit) / "deploy/stack.yaml"), "one");
  auto second = served.commit("two");
  EXPECT_EQ(repo.fetch().commit, second);
  EXPECT_EQ(slurp(repo.checkout(second) / "deploy/stack.yaml"), "two");
}

TEST(GitTransports, GitDaemon) {
  ScratchDir state("state");
  ServedRepo served("daemon");
  expect_fetches_and_follows(served, config(served.git_url(), state.path()));
}

TEST(GitTransports, FileUrlAndLocalPath) {
  ScratchDir state("state");
  ServedRepo served("file");
  expect_fetches_and_follows(served, config("file://" + served.bare_path().string(), state.path()));
  ScratchDir state2("state");
  GitRepository local(config(served.bare_path().string(), state2.path()));
  auto head = testing::run({"git", "--git-dir=" + served.bare_path().string(), "rev-parse", "main"});
  EXPECT_EQ(local.fetch().commit + "\n", head);
}

TEST(GitTransports, SmartHttpWithATokenFile) {
  ScratchDir state("state");
  ServedRepo served("http");
  const auto token = slurp(kServers / "http-token");
  auto c = config(served.http_url(), state.path());
  c.auth.token_file = kServers / "http-token";
  // A git that records how it was called: the token must be in neither its
  // argv nor its environment (what `ps e` and /proc show).
  const auto record = state.path() / "git-invocations.log";
  const auto wrapper = state.path() / "recording-git";
  std::ofstream(wrapper) << "#!/bin/sh\n{ echo \"argv: $*\"; env; } >> '" << record.string() << "'\nexec git \"$@\"\n";
  fs::permissions(wrapper, fs::perms::owner_all);
  c.git = wrapper.string();
  expect_fetches_and_follows(served, c);
  auto log = slurp(record);
  EXPECT_NE(log.find("argv: "), std::string::npos);
  EXPECT_EQ(log.find(token), std::string::npos) << "the token reached git's argv or environment";
}

TEST(GitTransports, SmartHttpCredentialsInTheUrlNeverShow) {
  ScratchDir state("state");
  ServedRepo served("http-url");
  const auto token = slurp(kServers / "http-token");
  auto url = served.http_url();
  url.insert(std::string("http://").size(), "git:" + token + "@");
  auto c = config(url, state.path());
  EXPECT_EQ(c.remote.display.find(token), std::string::npos);
  expect_fetches_and_follows(served, c);
}

TEST(GitTransports, SmartHttpRefusesAWrongOrMissingToken) {
  ScratchDir state("state");
  ServedRepo served("http-bad");
  served.commit("one");
  const auto wrong = state.path() / "wrong-token";
  std::ofstream(wrong) << "not-the-token-123456\n";
  auto c = config(served.http_url(), state.path());
  c.auth.token_file = wrong;
  GitRepository repo(c);
  try {
    repo.fetch();
    FAIL() << "fetched with a wrong token";
  } catch (const FetchError& e) {
    EXPECT_EQ(e.kind(), FetchError::Kind::Remote);
    EXPECT_NE(std::string(e.what()).find("Authentication failed"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("not-the-token-123456"), std::string::npos) << e.what();
  }
  ScratchDir state2("state");
  GitRepository anonymous(config(served.http_url(), state2.path()));
  EXPECT_THROW(anonymous.fetch(), FetchError);
}

TEST(GitTransports, SshWithKeyAndKnownHosts) {
  ScratchDir state("state");
  ServedRepo served("ssh");
  auto c = config(served.ssh_url(), state.path());
  c.auth.ssh_key = kServers / "ssh/user_ed25519";
  c.auth.known_hosts = kServers / "ssh/known_hosts";
  check_auth(c.auth, c.remote);
  expect_fetches_and_follows(served, c);
}

TEST(GitTransports, SshRefusesAnUnknownHostKey) {
  ScratchDir state("state");
  ServedRepo served("ssh-bad");
  served.commit("one");
  auto c = config(served.ssh_url(), state.path());
  c.auth.ssh_key = kServers / "ssh/user_ed25519";
  c.auth.known_hosts = kServers / "ssh/wrong_known_hosts";
  GitRepository repo(c);
  try {
    repo.fetch();
    FAIL() << "fetched from a host whose key is not the known one";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("Host key verification failed"), std::string::npos) << e.what();
    const auto key = slurp(kServers / "ssh/user_ed25519");
    EXPECT_EQ(std::string(e.what()).find(key.substr(40, 40)), std::string::npos);
  }
}

// A server that accepts and never answers: the fetch ends at its deadline.
TEST(GitTransports, ASilentServerCannotBlockAFetch) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const auto port = std::to_string(ntohs(addr.sin_port));
  ScratchDir state("state");
  for (const auto& url : {"git://127.0.0.1:" + port + "/r.git", "http://127.0.0.1:" + port + "/r.git"}) {
    auto c = config(url, state.path() / port);
    c.fetch_limits.timeout = std::chrono::seconds(2);
    GitRepository repo(c);
    auto start = std::chrono::steady_clock::now();
    try {
      repo.fetch();
      FAIL() << "fetched from a silent server";
    } catch (const FetchError& e) {
      EXPECT_EQ(e.kind(), FetchError::Kind::Timeout) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << url;
    fs::remove_all(state.path() / port);
  }
  ::close(listener);
}

}  // namespace
}  // namespace stackd::git
