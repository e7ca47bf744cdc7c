// The runbooks served by the daemon: every runbook_url anchor of the shipped
// alerts is an id in the page.
#include "controller/runbooks/runbooks_page.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace stackd::runbooks {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Runbooks, AnchorsAreGitHubsSlugs) {
  EXPECT_EQ(heading_anchor("OllamaHighResponseTime"), "ollamahighresponsetime");
  EXPECT_EQ(heading_anchor("Runbooks for the shipped alerts"), "runbooks-for-the-shipped-alerts");
  EXPECT_EQ(heading_anchor("What `x` does!"), "what-x-does");
}

TEST(Runbooks, TheBuiltInTextIsDocsRunbooksMd) {
  EXPECT_EQ(markdown(), read(STACKD_SOURCE_DIR "/docs/runbooks.md"));
}

TEST(Runbooks, EveryRunbookUrlOfTheShippedAlertsOpensASection) {
  auto page = respond();
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  auto alerts = read(STACKD_SOURCE_DIR "/manifests/prometheus/alerts.yml") +
                read(STACKD_SOURCE_DIR "/manifests/prometheus/gpu.yml");
  int links = 0;
  for (std::size_t at = alerts.find("runbook_url:"); at != std::string::npos; at = alerts.find("runbook_url:", at + 1)) {
    auto hash = alerts.find('#', at);
    auto end = alerts.find_first_of("'\"\n", hash);
    ASSERT_NE(hash, std::string::npos);
    auto anchor = alerts.substr(hash + 1, end - hash - 1);
    EXPECT_NE(page.body.find("id=\"" + anchor + "\""), std::string::npos) << "no section for #" << anchor;
    ++links;
  }
  EXPECT_GT(links, 5);
  EXPECT_NE(page.body.find("<h2><a id=\"ollamadown\"></a>OllamaDown</h2>"), std::string::npos);
}

TEST(Runbooks, MarkupInTheTextIsRenderedNotEscapedTwice) {
  auto page = render_page("# T\n\n**Means:** `a < b`\n");
  EXPECT_NE(page.find("<strong>Means:</strong> <code>a &lt; b</code>"), std::string::npos) << page;
  EXPECT_NE(page.find("<title>T</title>"), std::string::npos);
}

}  // namespace
}  // namespace stackd::runbooks
