#include "exporter/upstream_failure_log.hpp"

#include <gtest/gtest.h>

namespace stackd::exporter {
namespace {

using namespace std::chrono_literals;

TEST(UpstreamFailureLog, OneLinePerStateChangeWithACount) {
  UpstreamFailureLog log("127.0.0.1:11434");
  UpstreamFailureLog::Clock::time_point t0{};
  EXPECT_EQ(log.succeeded(t0), std::nullopt);  // healthy: nothing to say
  auto first = log.failed("cannot connect: Connection refused", t0);
  ASSERT_TRUE(first);
  EXPECT_NE(first->find("127.0.0.1:11434"), std::string::npos) << *first;
  EXPECT_NE(first->find("Connection refused"), std::string::npos) << *first;
  for (int i = 0; i < 998; ++i) EXPECT_EQ(log.failed("cannot connect: Connection refused", t0 + 1s), std::nullopt);
  auto changed = log.failed("no answer within the upstream timeout", t0 + 2s);
  ASSERT_TRUE(changed);
  EXPECT_NE(changed->find("1000 failed request(s) in 2.0 s"), std::string::npos) << *changed;
  auto back = log.succeeded(t0 + 5s);
  ASSERT_TRUE(back);
  EXPECT_NE(back->find("answers again, after 1000 failed request(s) in 5.0 s"), std::string::npos) << *back;
  EXPECT_FALSE(log.failing());
  EXPECT_EQ(log.succeeded(t0 + 6s), std::nullopt);
  // A new failing period starts its own count.
  ASSERT_TRUE(log.failed("cannot connect: Connection refused", t0 + 7s));
  EXPECT_NE(log.succeeded(t0 + 8s)->find("after 1 failed request(s) in 1.0 s"), std::string::npos);
}

TEST(UpstreamFailureLog, LinesCarryNoSourceLocation) {
  UpstreamFailureLog log("h:1");
  auto line = log.failed("cannot connect: Connection refused", {});
  ASSERT_TRUE(line);
  EXPECT_EQ(line->find(".hpp"), std::string::npos);
  EXPECT_EQ(line->find("[system:"), std::string::npos);
  EXPECT_LT(line->size(), 200u);
}

}  // namespace
}  // namespace stackd::exporter
