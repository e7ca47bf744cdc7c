// `stackd validate`'s local run of a reload policy's checker: Debian's real
// amtool on a raw Alertmanager config, its verdict told in the user's file.
#include "reconcilers/live_config/local_checker.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "desired/alertmanager/alertmanager_config.hpp"
#include "reconcilers/live_config/checker_output.hpp"
#include "desired/alertmanager/test_configs.hpp"

using namespace stackd;
using namespace stackd::live_config;

namespace {

using stackd::alertmanager::test_configs::kMissingReceiver;
using stackd::alertmanager::test_configs::kValid;

std::vector<TarFile> raw_config(const std::string& content) {
  manifest::Alertmanager am;
  am.config_file = manifest::FileRef{"/m/alertmanager/custom.yml", "alertmanager/custom.yml", content};
  return alertmanager::render_files(am);
}

const ReloadPolicy& amtool() { return *policy_for(desired::LiveSet::AlertmanagerConfig); }

// PATH for the duration of a test.
struct PathOverride {
  std::string saved;
  explicit PathOverride(const char* path) : saved(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", path, 1);
  }
  ~PathOverride() { ::setenv("PATH", saved.c_str(), 1); }
};

}  // namespace

TEST(LocalChecker, AmtoolRejectsAMissingReceiverAndTheVerdictNamesTheUsersFile) {
  auto output = check_with_local_checker(amtool(), raw_config(kMissingReceiver));
  ASSERT_TRUE(output);
  EXPECT_NE(output->find("undefined receiver \"pager\" used in route"), std::string::npos) << *output;
  EXPECT_EQ(output->find("stackd-check-"), std::string::npos) << "no temp paths: " << *output;
  auto summary = checker_summary(
      *output, {CheckedFile{alertmanager::kConfigFile, "alertmanager/custom.yml", kMissingReceiver, {}}}, "stack.yaml");
  EXPECT_EQ(summary, "alertmanager/custom.yml:5:17: undefined receiver \"pager\" used in route");
  EXPECT_FALSE(check_with_local_checker(amtool(), raw_config(kValid)));
}

TEST(LocalChecker, WithoutTheProgramOnPathItSaysSo) {
  PathOverride none("/nonexistent");
  EXPECT_THROW(check_with_local_checker(amtool(), raw_config(kValid)), CheckerMissing);
}
