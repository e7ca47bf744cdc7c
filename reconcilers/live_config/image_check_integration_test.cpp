// The in-image check on a real engine: Debian's amtool inside the
// Alertmanager test image (scripts/build-test-images.sh) judges a raw config
// delivered by PUT archive into a short-lived container, which is gone
// afterwards.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "clients/docker/docker_client.hpp"
#include "desired/alertmanager/alertmanager_config.hpp"
#include "reconcilers/live_config/image_check.hpp"
#include "tests/prometheus/test_engine.hpp"

using namespace stackd;
namespace net = boost::asio;

namespace {

constexpr const char* kImage = "stackd-test/alertmanager:0.25";
constexpr const char* kEngineDir = "/tmp/sdk-amcheck";

class Engine : public ::testing::Environment {
 public:
  void SetUp() override { started_ = test_support::ensure_test_engine(kEngineDir); }
  void TearDown() override {
    if (started_) test_support::stop_test_engine(kEngineDir);
  }

 private:
  bool started_ = false;
};
const auto* const kEngine = ::testing::AddGlobalTestEnvironment(new Engine);

desired::LiveFileSet raw_config(const std::string& content) {
  manifest::Alertmanager am;
  am.config_file = manifest::FileRef{"/m/am.yml", "am.yml", content};
  desired::LiveFileSet set;
  set.kind = desired::LiveSet::AlertmanagerConfig;
  set.component = manifest::ComponentKind::Alertmanager;
  set.dir = alertmanager::kConfigDir;
  set.files = alertmanager::render_files(am);
  return set;
}

live_config::CheckVerdict check(const desired::LiveFileSet& files, const std::string& image = kImage) {
  net::io_context io;
  docker::Client docker(io.get_executor(), docker::Client::endpoint_from_env());
  auto f = net::co_spawn(io, live_config::check_live_set_in_image(docker, "amcheck", image, files), net::use_future);
  io.run();
  return f.get();
}

std::string leftovers() {
  std::array<char, 512> buf{};
  std::string out;
  FILE* p = ::popen("docker ps -aq --filter label=dev.stackd.stack=amcheck 2>&1", "r");
  while (p && std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  if (p) ::pclose(p);
  return out;
}

}  // namespace

TEST(AlertmanagerImageCheck, TheImagesAmtoolRejectsAMissingReceiver) {
  auto verdict = check(raw_config("route:\n  receiver: ops\n  routes: [{receiver: pager}]\n"
                                  "receivers:\n  - name: ops\n"));
  EXPECT_FALSE(verdict.passed);
  EXPECT_EQ(verdict.exit_code, 1);
  EXPECT_NE(verdict.output.find("undefined receiver \"pager\" used in route"), std::string::npos) << verdict.output;
  EXPECT_EQ(leftovers(), "");
}

TEST(AlertmanagerImageCheck, TheImagesAmtoolAcceptsAGoodConfig) {
  auto verdict = check(raw_config("route:\n  receiver: ops\nreceivers:\n  - name: ops\n    webhook_configs:\n"
                                  "      - url: http://127.0.0.1:5001/alerts\n"));
  EXPECT_TRUE(verdict.passed) << verdict.output;
  EXPECT_NE(verdict.output.find("SUCCESS"), std::string::npos) << verdict.output;
  EXPECT_EQ(leftovers(), "");
}

TEST(AlertmanagerImageCheck, AnImageThatIsNotThereFailsLoudlyAndLeavesNothing) {
  EXPECT_THROW(check(raw_config("route: {receiver: a}\nreceivers: [{name: a}]\n"), "stackd-test/no-such:0"),
               docker::DockerError);
  EXPECT_EQ(leftovers(), "");
}
