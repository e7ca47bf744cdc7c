// The in-image check's handling of its short-lived container, against the
// in-memory engine (the real engine: image_check_integration_test.cpp).
#include "reconcilers/live_config/image_check.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "api/v1alpha1/labels.hpp"
#include "clients/docker/fake_engine.hpp"
#include "desired/alertmanager/alertmanager_config.hpp"
#include "desired/alertmanager/test_configs.hpp"

using namespace stackd;
using namespace stackd::live_config;
using alertmanager::kConfigFile;
namespace net = boost::asio;

namespace {

using stackd::alertmanager::test_configs::kMissingReceiver;
using stackd::alertmanager::test_configs::kValid;

template <typename T>
T run(net::io_context& io, net::awaitable<T> a) {
  auto f = net::co_spawn(io, std::move(a), net::use_future);
  io.restart();
  io.run();
  return f.get();
}

// The image's "amtool": exit 1 when the delivered config names a receiver
// it does not define (as the real one does), with the message it prints.
std::optional<std::pair<int, std::string>> fake_amtool(const docker::FakeEngine::Container& c) {
  auto it = c.files.find(kConfigFile);
  if (it == c.files.end()) return std::pair<int, std::string>{1, "open " + std::string(kConfigFile) + ": no such file or directory\n"};
  if (it->second.content.find("receiver: pager") != std::string::npos)
    return std::pair<int, std::string>{1, "Checking '" + std::string(kConfigFile) + "'  FAILED: undefined receiver \"pager\" used in route\n"};
  return std::pair<int, std::string>{0, "Checking '" + std::string(kConfigFile) + "'  SUCCESS\n"};
}

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

}  // namespace

TEST(InImageCheck, TheImagesCheckerJudgesTheDeliveredFilesAndTheContainerIsGone) {
  net::io_context io;
  docker::FakeEngine engine;
  engine.add_image("prom/alertmanager:v0.27.0");
  engine.set_image_behaviour("prom/alertmanager:v0.27.0", {.runs_to_completion = fake_amtool});
  auto bad = raw_config(kMissingReceiver);
  auto verdict = run(io, check_live_set_in_image(engine, "frontier", "prom/alertmanager:v0.27.0", bad));
  EXPECT_FALSE(verdict.passed);
  EXPECT_EQ(verdict.exit_code, 1);
  EXPECT_NE(verdict.output.find("undefined receiver \"pager\""), std::string::npos) << verdict.output;
  EXPECT_TRUE(engine.containers().empty()) << "removed after the check";

  auto good = raw_config(kValid);
  verdict = run(io, check_live_set_in_image(engine, "frontier", "prom/alertmanager:v0.27.0", good));
  EXPECT_TRUE(verdict.passed) << verdict.output;
  EXPECT_TRUE(engine.containers().empty());
}

TEST(InImageCheck, TheCheckContainerIsNotTheComponentsAndRunsWithoutNetwork) {
  ImageCheck check{.stack = "frontier",
                   .component = "alertmanager",
                   .image = "img",
                   .argv = {"/bin/amtool", "check-config", "/etc/alertmanager/stackd/alertmanager.yml"}};
  auto body = check_container_body(check);
  EXPECT_EQ(check_container_name(check), "frontier-alertmanager-config-check");
  EXPECT_EQ(body["Labels"][labels::kManagedBy], "stackd");
  EXPECT_EQ(body["Labels"][labels::kStack], "frontier");
  EXPECT_FALSE(body["Labels"].contains(labels::kComponent));
  EXPECT_EQ(body["HostConfig"]["NetworkMode"], "none");
  EXPECT_EQ(body["Entrypoint"][0], "/bin/amtool");
}

TEST(InImageCheck, ALeftoverCheckIsReplacedAndAForeignNameHolderLeftAlone) {
  net::io_context io;
  docker::FakeEngine engine;
  engine.add_image("img");
  engine.set_image_behaviour("img", {.runs_to_completion = fake_amtool});
  auto leftover_labels = labels::owner_labels("frontier");
  leftover_labels[kRoleLabel] = kConfigCheckRole;
  engine.add_container("frontier-alertmanager-config-check", leftover_labels, "img", false);
  auto good = raw_config(kValid);
  EXPECT_TRUE(run(io, check_live_set_in_image(engine, "frontier", "img", good)).passed);
  EXPECT_TRUE(engine.containers().empty());

  auto foreign = engine.add_container("frontier-alertmanager-config-check", {{"someone", "else"}}, "img", false);
  EXPECT_THROW(run(io, check_live_set_in_image(engine, "frontier", "img", good)), docker::DockerError);
  ASSERT_EQ(engine.containers().size(), 1u);
  EXPECT_EQ(engine.containers()[0].id, foreign);
}

TEST(InImageCheck, ASetWithoutACheckerIsRefused) {
  net::io_context io;
  docker::FakeEngine engine;
  desired::LiveFileSet password;
  password.kind = desired::LiveSet::GrafanaAdminPassword;
  EXPECT_THROW(run(io, check_live_set_in_image(engine, "frontier", "img", password)), std::invalid_argument);
  EXPECT_TRUE(engine.containers().empty());
}
