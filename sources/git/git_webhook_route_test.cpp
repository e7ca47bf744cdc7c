// POST /hooks/git as the daemon's endpoints serve it (runtime::HttpEndpoints
// with the route the daemon registers): a valid signature fetches the new
// commit at once, anything else is 401 and fetches nothing.
#include "sources/git/git_webhook_route.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "runtime/fake_clock.hpp"
#include "sources/git/git_test_support.hpp"
#include "sources/git/git_webhook.hpp"

namespace stackd::git {
namespace {
using namespace std::chrono_literals;
namespace http = boost::beast::http;

struct Route {
  testing::ScratchDir tmp{"hook-route"};
  testing::Remote remote{tmp.path()};
  boost::asio::io_context io;
  runtime::FakeClock clock;
  runtime::FakeRandom random;
  std::unique_ptr<GitTracker> tracker;
  std::unique_ptr<GitSource> source;
  std::unique_ptr<runtime::HttpEndpoints> endpoints;
  const std::string secret = "s3cret-for-the-route";

  explicit Route(const std::string& first_commit_content) {
    remote.commit({{"f", first_commit_content}}, "first");
    GitRepositoryConfig c;
    c.remote = parse_remote_url(remote.file_url());
    c.dir = tmp.path() / "state";
    tracker = std::make_unique<GitTracker>(c, clock);
    source = std::make_unique<GitSource>(io.get_executor(), clock, random, *tracker, GitSourceConfig{1h});
    source->start({[](const std::string&) {}, [] {}});
    runtime::EndpointHandlers h;
    auto* s = source.get();
    h.routes[{http::verb::post, kWebhookPath}] = [this, s](const runtime::HttpRequest& r) {
      return respond_git_webhook(r, secret, *s);
    };
    endpoints = std::make_unique<runtime::HttpEndpoints>(io.get_executor(), runtime::HttpEndpointsConfig{}, h);
    run_until([&] { return tracker->latest().has_value(); });  // the first fetch at start
  }
  ~Route() {
    source->stop();
    tracker->stop();
  }
  void run_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    clock.advance(0ms);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_for(20ms);
      io.restart();
    }
  }
  // Lets whatever a request started run for a while (a refused one starts nothing).
  void run_for(std::chrono::milliseconds d) {
    auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) {
      io.run_for(20ms);
      io.restart();
    }
  }
  runtime::HttpResponse post(const std::string& header, const std::string& value, const std::string& body) {
    runtime::HttpRequest r{http::verb::post, kWebhookPath, 11};
    if (!header.empty()) r.set(header, value);
    r.body() = body;
    r.prepare_payload();
    return endpoints->respond(r);
  }
};

TEST(GitWebhookRoute, AValidSignatureFetchesTheNewCommitAtOnce) {
  Route route("1");
  auto pushed = route.remote.commit({{"f", "2"}}, "second");
  const std::string body = R"({"ref":"refs/heads/main"})";
  auto res = route.post("X-Hub-Signature-256", "sha256=" + hmac_sha256_hex(route.secret, body), body);
  EXPECT_EQ(res.result(), http::status::accepted);
  route.run_until([&] { return route.tracker->latest() == pushed; });
  EXPECT_EQ(route.tracker->latest(), pushed) << "the interval (1 h) never passed: only the hook fetched";
}

TEST(GitWebhookRoute, AnythingElseIs401AndFetchesNothing) {
  Route route("1");
  auto before = route.tracker->latest();
  route.remote.commit({{"f", "2"}}, "second");
  const std::string body = R"({"ref":"refs/heads/main"})";
  EXPECT_EQ(route.post("X-Hub-Signature-256", "sha256=" + hmac_sha256_hex("other", body), body).result(),
            http::status::unauthorized);
  EXPECT_EQ(route.post("X-Gitea-Signature", hmac_sha256_hex(route.secret, body + " "), body).result(),
            http::status::unauthorized);
  EXPECT_EQ(route.post("X-Gitlab-Token", route.secret + "x", body).result(), http::status::unauthorized);
  EXPECT_EQ(route.post("", "", body).result(), http::status::unauthorized);
  route.run_for(500ms);
  EXPECT_EQ(route.tracker->latest(), before);
  EXPECT_FALSE(route.source->status().contains("lastError"));
}

}  // namespace
}  // namespace stackd::git
