// Pure parts of the shared reloader. The whole stage/check/swap/reload/rollback
// path runs against a real engine with Prometheus (tests/prometheus) and
// Alertmanager (tests/e2e/alertmanager_e2e_test.cpp).
#include "reconcilers/live_config/live_config_reloader.hpp"

#include <gtest/gtest.h>

namespace stackd::live_config {
namespace {

TEST(ConfigReloader, RebasesArchiveMembersToRenderNames) {
  auto files = rebase_archive_members({{"stackd/prometheus.yml", "x"}, {"stackd/rules/a.yml", "y"}},
                                      "/etc/prometheus/stackd");
  EXPECT_EQ(files[0].path, "etc/prometheus/stackd/prometheus.yml");
  EXPECT_EQ(files[1].path, "etc/prometheus/stackd/rules/a.yml");
}

TEST(ConfigReloader, HoldsAllIgnoresExtraHeldFiles) {
  std::vector<TarFile> held = {{"a", "1"}, {"b", "2"}, {"old", "3"}};
  EXPECT_TRUE(holds_all(held, {{"a", "1"}, {"b", "2"}}));
  EXPECT_FALSE(holds_all(held, {{"a", "1"}, {"b", "changed"}}));
  EXPECT_FALSE(holds_all(held, {{"c", "new"}}));
}

TEST(ConfigReloader, FilesHashSeparatesPathAndContent) {
  EXPECT_EQ(files_hash({{"a", "1"}}), files_hash({{"a", "1"}}));
  EXPECT_NE(files_hash({{"a", "1"}}), files_hash({{"a1", ""}}));
  EXPECT_NE(files_hash({{"a", "1"}}), files_hash({{"a", "2"}}));
  EXPECT_EQ(files_hash({{"a", "1"}}).size(), 64u);
}

TEST(ConfigReloader, OutcomeNames) {
  EXPECT_STREQ(to_string(ReloadOutcome::Kind::RolledBack), "rolled_back");
  EXPECT_STREQ(to_string(ReloadOutcome::Kind::NotReady), "not_ready");
}

}  // namespace
}  // namespace stackd::live_config
