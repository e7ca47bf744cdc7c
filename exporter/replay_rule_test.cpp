#include "exporter/replay_rule.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <gtest/gtest.h>

namespace stackd::exporter {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using bhttp::verb;

FailedAttempt closed_after_write(verb method) {
  return FailedAttempt{.method = method,
                       .reused_connection = true,
                       .request_bytes_written = 180,
                       .response_started = false,
                       .error = net::error::eof,
                       .request_at_hand = true};
}

TEST(ReplayRule, NonIdempotentRoutesAreNeverReplayedOnceWritten) {
  for (verb m : {verb::post, verb::delete_, verb::put, verb::patch})
    EXPECT_FALSE(may_replay(closed_after_write(m))) << bhttp::to_string(m);
}

TEST(ReplayRule, SafeMethodsAreReplayedWhenAReusedConnectionClosedWithoutAnswer) {
  for (verb m : {verb::get, verb::head, verb::options}) EXPECT_TRUE(may_replay(closed_after_write(m)));
  auto reset = closed_after_write(verb::get);
  reset.error = net::error::connection_reset;
  EXPECT_TRUE(may_replay(reset));
}

TEST(ReplayRule, AnythingIsReplayedWhenNotOneByteWasWritten) {
  auto a = closed_after_write(verb::post);
  a.request_bytes_written = 0;
  a.error = net::error::broken_pipe;
  EXPECT_TRUE(may_replay(a));
}

TEST(ReplayRule, NeverAfterATimeoutAPartialResponseOrOnAFreshConnection) {
  auto timeout = closed_after_write(verb::get);
  timeout.error = boost::beast::error::timeout;
  EXPECT_FALSE(may_replay(timeout));
  timeout.request_bytes_written = 0;
  EXPECT_FALSE(may_replay(timeout));

  auto partial = closed_after_write(verb::get);
  partial.response_started = true;
  EXPECT_FALSE(may_replay(partial));

  auto fresh = closed_after_write(verb::get);
  fresh.reused_connection = false;
  EXPECT_FALSE(may_replay(fresh));
  fresh.request_bytes_written = 0;
  EXPECT_FALSE(may_replay(fresh));

  auto gone = closed_after_write(verb::get);
  gone.request_at_hand = false;  // a streamed body too large to keep
  EXPECT_FALSE(may_replay(gone));

  auto bad = closed_after_write(verb::get);
  bad.error = bhttp::error::bad_version;  // a protocol error is an answer, if a bad one
  EXPECT_FALSE(may_replay(bad));
}

}  // namespace
}  // namespace stackd::exporter
